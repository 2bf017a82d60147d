"""A dated JSONL news stream of any size, with planted copies whose groups are known.

    python benchmarks/make_stream.py --n 100000 [--seed 1] [--days D] [--out benchmarks/out]

writes (under benchmarks/out/, which git ignores; no text is stored in the repository)

    stream-<n>-s<seed>.jsonl          {id, title, text, date, source} per line, in date order
    stream-<n>-s<seed>.planted.jsonl  {id, of, kind} per planted copy: ``of`` is its original
    stream-<n>-s<seed>.meta.json      the parameters and counts

How an article is made, from the distinct SaudiNewsNet sentences of 6-80 words (``_data``):

- an **original** is 4-14 sentences drawn at random; every word of every sentence is replaced
  with probability 1/4 by a word drawn from the corpus (frequency-weighted), so no sentence
  repeats verbatim across articles; its title is the first 6-12 words of its first sentence;
- about 15% of articles are **planted copies** of an original published less than a day
  earlier, from another outlet: a *wire copy* (60%: a new headline, 5% of the words re-worded,
  sometimes one sentence dropped) or a *rewrite* (40%: a new headline, 35% of the words
  re-worded, 1-2 sentences dropped, the rest shuffled, one new sentence added). The planted file
  names each copy's original; the group of an original is it and all its copies.
- dates: evenly spread with jitter over ``days`` (default: 3 years per million articles, at
  least one day) from 2013-01-01 UTC; a copy's date is its own slot, so within a day of its
  original.

Deterministic for ``(n, seed, days)`` and the data; streaming: only the originals of the last
24 hours are held while writing (not the whole stream).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402

__all__ = ["StreamFiles", "stream_files", "make_stream", "default_days"]

OUT = Path(__file__).resolve().parent / "out"
START = datetime(2013, 1, 1, tzinfo=timezone.utc).timestamp()
DAY = 86400.0
PLANTED = 0.15  # share of articles that are copies of an earlier original
WIRE = 0.6  # share of the copies that are wire copies (the rest are rewrites)
REWORD = 0.25  # share of words re-worded in every sentence of every article
OUTLETS = [f"outlet{k:02d}" for k in range(1, 15)]


@dataclass(frozen=True)
class StreamFiles:
    """The three files of one stream."""

    stream: Path
    planted: Path
    meta: Path


def stream_files(n: int, seed: int = 1, out: Path = OUT) -> StreamFiles:
    """Where the stream of ``n`` articles with ``seed`` is (or will be) written."""
    base = out / f"stream-{n}-s{seed}"
    return StreamFiles(
        Path(f"{base}.jsonl"), Path(f"{base}.planted.jsonl"), Path(f"{base}.meta.json")
    )


def default_days(n: int) -> float:
    """3 years per million articles (about 900 a day), at least one day."""
    return max(1.0, 3 * 365 * n / 1_000_000)


class _Pool:
    """Sentences as word ids (CSR), the vocabulary, and every word occurrence for re-wording."""

    def __init__(self, sentences: list[str]) -> None:
        ids: dict[str, int] = {}
        flat: list[int] = []
        offsets = [0]
        for s in sentences:
            flat.extend(ids.setdefault(w, len(ids)) for w in s.split())
            offsets.append(len(flat))
        self.words = np.array(list(ids), dtype=object)
        self.flat = np.array(flat, dtype=np.int32)
        self.offsets = np.array(offsets, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sentence(self, k: int) -> np.ndarray:
        return self.flat[self.offsets[k] : self.offsets[k + 1]]

    def reword(self, rng: np.random.Generator, ids: np.ndarray, share: float) -> np.ndarray:
        """A copy of ``ids`` with each word replaced by a random corpus word with ``share``."""
        out = ids.copy()
        hit = rng.random(out.size) < share
        out[hit] = self.flat[rng.integers(0, self.flat.size, int(hit.sum()))]
        return out

    def text(self, ids: np.ndarray) -> str:
        return " ".join(self.words[ids].tolist())


@dataclass
class _Article:
    id: str
    t: float
    title: np.ndarray
    sentences: list[np.ndarray]


def _original(pool: _Pool, rng: np.random.Generator, doc_id: str, t: float) -> _Article:
    picks = rng.integers(0, len(pool), int(rng.integers(4, 15)))
    sents = [pool.reword(rng, pool.sentence(int(k)), REWORD) for k in picks]
    return _Article(doc_id, t, sents[0][: int(rng.integers(6, 13))], sents)


def _copy(
    pool: _Pool, rng: np.random.Generator, of: _Article, doc_id: str, t: float, wire: bool
) -> _Article:
    title = pool.reword(rng, of.title, 0.5)  # every outlet writes its own headline
    sents = [pool.reword(rng, s, 0.05 if wire else 0.35) for s in of.sentences]
    if wire:
        if len(sents) > 4 and rng.random() < 0.5:
            sents.pop(int(rng.integers(1, len(sents))))
    else:
        for _ in range(int(rng.integers(1, 3))):
            if len(sents) > 3:
                sents.pop(int(rng.integers(1, len(sents))))
        rest = [sents[int(k)] for k in rng.permutation(np.arange(1, len(sents)))]
        new = pool.reword(rng, pool.sentence(int(rng.integers(0, len(pool)))), REWORD)
        sents = [sents[0], *rest, new]
    return _Article(doc_id, t, title, sents)


def _record(pool: _Pool, a: _Article, source: str) -> dict[str, str]:
    paras = [
        " ".join(pool.text(s) for s in a.sentences[k : k + 3])
        for k in range(0, len(a.sentences), 3)
    ]
    date = datetime.fromtimestamp(a.t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": a.id,
        "title": pool.text(a.title),
        "text": "\n".join(paras),
        "date": date,
        "source": source,
    }


def _articles(
    pool: _Pool, n: int, seed: int, days: float
) -> Iterator[tuple[dict[str, str], tuple[str, str] | None]]:
    """Records in date order, each with (original id, kind) when it is a planted copy."""
    rng = np.random.default_rng(seed)
    step = days * DAY / n
    recent: deque[_Article] = deque()  # originals of the last 24 h, oldest first
    for i in range(n):
        t = START + (i + rng.random()) * step
        while recent and recent[0].t < t - DAY:
            recent.popleft()
        doc_id = f"d{i:07d}"
        source = OUTLETS[int(rng.integers(0, len(OUTLETS)))]
        if recent and rng.random() < PLANTED:
            of = recent[int(rng.integers(0, len(recent)))]
            wire = bool(rng.random() < WIRE)
            yield (
                _record(pool, _copy(pool, rng, of, doc_id, t, wire), source),
                (
                    of.id,
                    "wire" if wire else "rewrite",
                ),
            )
        else:
            a = _original(pool, rng, doc_id, t)
            recent.append(a)
            yield _record(pool, a, source), None


def make_stream(
    n: int, *, seed: int = 1, days: float | None = None, out: Path = OUT
) -> StreamFiles | None:
    """Write the stream of ``n`` articles (see the module docstring); None without the data."""
    if n < 1:
        raise ValueError(f"n must be a positive number of articles, got {n}")
    records = _data.saudinewsnet()
    if records is None:
        return None
    days = default_days(n) if days is None else days
    if not days > 0:
        raise ValueError(f"days must be positive, got {days}")
    pool = _Pool([s for s in _data.sentences(records) if len(s.split()) <= 80])
    del records
    files = stream_files(n, seed, out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"wire": 0, "rewrite": 0}
    tmp = [Path(f"{p}.part") for p in (files.stream, files.planted)]
    with tmp[0].open("w", encoding="utf-8") as fs, tmp[1].open("w", encoding="utf-8") as fp:
        for rec, planted in _articles(pool, n, seed, days):
            fs.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if planted is not None:
                fp.write(json.dumps({"id": rec["id"], "of": planted[0], "kind": planted[1]}) + "\n")
                counts[planted[1]] += 1
    tmp[0].replace(files.stream)  # complete files only: a killed run leaves .part files
    tmp[1].replace(files.planted)
    meta = {"n": n, "seed": seed, "days": days, "sentences": len(pool), **counts}
    files.meta.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, required=True, help="number of articles")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=None, help="time span (default 3 y per 1M)")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    t = time.perf_counter()
    files = make_stream(a.n, seed=a.seed, days=a.days, out=a.out)
    if files is None:
        print(f"skipped: no SaudiNewsNet zips in {_data.SAUDINEWSNET}")
        return 0
    meta = json.loads(files.meta.read_text(encoding="utf-8"))
    print(
        f"{files.stream} ({files.stream.stat().st_size / 1e6:.1f} MB, {meta['days']:.1f} days, "
        f"{meta['wire']} wire copies + {meta['rewrite']} rewrites planted) in "
        f"{time.perf_counter() - t:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
