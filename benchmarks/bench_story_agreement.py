"""StoryIndex (one ``add`` at a time) against the batch job on the same dated stream: planted-copy
recall and precision of each, and how far their partitions agree, in one run.

    python benchmarks/bench_story_agreement.py [--n 10000] [--seed 1] [--window 72h]

The stream is ``make_stream.py``'s (built under benchmarks/out/ when missing, as
``bench_scale.py`` builds it): recombined, re-worded SaudiNewsNet sentences with planted wire
copies and rewrites whose groups are known. Batch: ``dupdetect.cluster_texts`` with the records'
dates and ``window``; incremental: a fresh in-memory ``StoryIndex(window=window)`` that ``add``s
every record in stream (date) order; each article's story is the one ``add`` gave it, followed
through the merge events that came after (an evicted article keeps its story, as in the index). Recall and
precision as in ``bench_scale.py`` (pairs inside a planted group sharing a cluster / of all pairs
sharing one); agreement: pairwise F1 of "same cluster" between the two partitions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import _ensure_stream, _quality  # noqa: E402

import dupdetect  # noqa: E402
from dupdetect.story import StoryIndex  # noqa: E402


def _labels(groups: list[list[str]], row_of: dict[str, int]) -> tuple[np.ndarray, int]:
    labels = np.arange(len(row_of))  # alone: a label of its own
    together = 0
    for k, g in enumerate(groups):
        labels[[row_of[d] for d in g]] = len(row_of) + k
        together += len(g) * (len(g) - 1) // 2
    return labels, together


def _pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    for g in np.split(order, cuts):
        if g.size > 1:
            g = np.sort(g).tolist()
            out.update((a, b) for i, a in enumerate(g) for b in g[i + 1 :])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", default="72h")
    a = ap.parse_args()
    stream, planted, _ = _ensure_stream(a.n, a.seed)
    ids, texts, dates = [], {}, {}
    with open(stream, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids.append(r["id"])
            texts[r["id"]] = f"{r['title']}\n{r['text']}" if r["title"] else r["text"]
            dates[r["id"]] = r["date"]
    row_of = {d: i for i, d in enumerate(ids)}

    t = time.perf_counter()
    res = dupdetect.cluster_texts(texts, published=dates, window=a.window)
    batch_s = time.perf_counter() - t
    batch, b_together = _labels([[m.id for m in c.members] for c in res.groups], row_of)

    idx = StoryIndex(window=a.window)
    story_at: dict[str, str] = {}
    merged_into: dict[str, str] = {}  # retired story -> survivor, from the merge events
    t = time.perf_counter()
    lat = []
    for d in ids:
        t0 = time.perf_counter()
        got = idx.add(d, texts[d], published=dates[d])
        lat.append(time.perf_counter() - t0)
        story_at[d] = got.story_id
        for ev in got.merged:
            merged_into[ev.retired] = ev.survivor
    inc_s = time.perf_counter() - t

    def final(story: str) -> str:  # evicted articles keep the story they had, merges followed
        while story in merged_into:
            story = merged_into[story]
        return story

    stories: dict[str, list[str]] = {}
    for d in ids:
        stories.setdefault(final(story_at[d]), []).append(d)
    inc, i_together = _labels([g for g in stories.values() if len(g) > 1], row_of)

    pb, pi = _pairs(batch), _pairs(inc)
    f1 = 2 * len(pb & pi) / (len(pb) + len(pi)) if pb or pi else 1.0
    qb = _quality(batch, planted, row_of, b_together)
    qi = _quality(inc, planted, row_of, i_together)
    ms = np.array(lat) * 1000
    print(
        json.dumps(
            {
                "n": a.n,
                "window": a.window,
                "batch_s": batch_s,
                "incremental_s": inc_s,
                "add_p50_ms": float(np.percentile(ms, 50)),
                "add_p99_ms": float(np.percentile(ms, 99)),
                "held_at_end": len(idx),
                "batch": qb,
                "incremental": qi,
                "pair_f1": f1,
            }
        ),
        file=sys.stderr,
    )
    print("| partition | seconds | planted recall (wire / rewrite) | precision | pairs together |")
    print("|---|---:|---|---:|---:|")
    for name, secs, q, tog in (
        ("batch `cluster_texts`", batch_s, qb, b_together),
        ("`StoryIndex.add` one by one", inc_s, qi, i_together),
    ):
        print(
            f"| {name} | {secs:.1f} | {q['recall']:.3f} ({q.get('recall_wire', float('nan')):.3f}"
            f" / {q.get('recall_rewrite', float('nan')):.3f}) | {q['precision']:.4f} | {tog:,} |"
        )
    print(f"\nsame-cluster pairs F1 between the two partitions: {f1:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
