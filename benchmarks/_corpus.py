"""SaudiNewsNet loading and synthetic corpora for the benchmarks (no text is stored here).

SaudiNewsNet: each zip in the data folder holds one JSON array of
``{source, url, date_extracted, title, author, content}``; a document is ``title + "\\n" + content``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import zipfile

import numpy as np

DEFAULT_DIR = os.environ.get("SAUDINEWSNET", "/work/shared/eval/saudinewsnet")


def available(folder: str = DEFAULT_DIR) -> bool:
    return bool(glob.glob(os.path.join(folder, "*.zip")))


def load_articles(folder: str = DEFAULT_DIR, limit: int | None = None) -> list[dict]:
    """All articles, in zip-name order then file order (each dict gets a ``text`` key)."""
    out: list[dict] = []
    for path in sorted(glob.glob(os.path.join(folder, "*.zip"))):
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                if not name.endswith(".json"):
                    continue
                for rec in json.loads(z.read(name).decode("utf-8")):
                    title = rec.get("title") or ""
                    content = rec.get("content") or ""
                    rec["text"] = f"{title}\n{content}"
                    out.append(rec)
                    if limit is not None and len(out) >= limit:
                        return out
    return out


_SENT_RE = re.compile(r"(?<=[.!?؟])\s+|\n+")


def sentences(texts: list[str], min_len: int = 30) -> list[str]:
    out = []
    for t in texts:
        out.extend(s.strip() for s in _SENT_RE.split(t) if len(s.strip()) >= min_len)
    return out


def synthetic(texts: list[str], n: int, *, dup_fraction: float = 0.2, seed: int = 0) -> list[str]:
    """``n`` articles of 6-20 real sentences recombined at random; ``dup_fraction`` of them are
    near-duplicates of an earlier article (a sentence dropped, one swapped, one added), so LSH has
    real clusters to find. Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    sents = sentences(texts)
    n_s = len(sents)
    out: list[str] = []
    lens = rng.integers(6, 21, n)
    is_dup = rng.random(n) < dup_fraction
    for i in range(n):
        if is_dup[i] and i > 0:
            base = out[int(rng.integers(0, i))].split("\n")
            if len(base) > 2:
                base.pop(int(rng.integers(0, len(base))))
                base[int(rng.integers(0, len(base)))] = sents[int(rng.integers(0, n_s))]
            base.append(sents[int(rng.integers(0, n_s))])
            out.append("\n".join(base))
        else:
            idx = rng.integers(0, n_s, int(lens[i]))
            out.append("\n".join(sents[j] for j in idx))
    return out
