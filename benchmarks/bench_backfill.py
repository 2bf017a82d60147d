"""Filling an empty StoryIndex: ``backfill`` (the batch job's clusters, at once) against the same
articles ``add``-ed one by one, in one run.

    python benchmarks/bench_backfill.py [--sizes 10000,100000] [--backends memory,redis]
        [--add-limit 10000]

Articles are the synthetic ones of ``bench_story.py`` (8 random SaudiNewsNet sentences each, one
second apart; nothing of the corpus is written anywhere). For each backend and size: seconds for
``StoryIndex(window=None).backfill(texts, published=dates)`` (featurizing included), stories
made; then, for sizes up to ``--add-limit``, the same articles through ``add`` into a fresh
index, and how far the two indexes' stories agree (pairwise F1 of "same story": backfill gives
the batch job's average-linkage clusters, ``add`` assigns greedily in arrival order).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _redis import redis_url  # noqa: E402
from bench_story import T0, draw, sentence_pool  # noqa: E402

from dupdetect.story import StoryIndex  # noqa: E402


def pairs_of(idx: StoryIndex) -> set[tuple[str, str]]:
    out = set()
    for s in idx.stories():
        ids = sorted(str(m.doc_id) for m in idx.story(s))
        out.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return out


def run(backend: str, n: int, sentences: list[str], add_limit: int) -> dict:
    rng = random.Random(n)
    chosen = draw(n, len(sentences), rng)
    texts = {f"a{i}": " ".join(sentences[k] for k in row) for i, row in enumerate(chosen.tolist())}
    dates = {k: T0 + i for i, k in enumerate(texts)}
    row: dict = {"backend": backend, "n": n}
    with redis_url() if backend == "redis" else nullcontext(None) as url:
        idx = StoryIndex(storage=url or "memory", window=None, namespace="backfill")
        t = time.perf_counter()
        done = idx.backfill(texts, published=dates)
        row["backfill_s"] = time.perf_counter() - t
        row["stories"] = len(set(done.stories.values()))
        row["errors"] = len(done.errors)
        if n <= add_limit:
            one = StoryIndex(storage=url or "memory", window=None, namespace="adds")
            t = time.perf_counter()
            for k, text in texts.items():
                one.add(k, text, published=dates[k])
            row["adds_s"] = time.perf_counter() - t
            row["add_stories"] = len(list(one.stories()))
            pb, pa = pairs_of(idx), pairs_of(one)
            both = len(pb & pa)
            row["pair_f1"] = 2 * both / (len(pb) + len(pa)) if pb or pa else 1.0
            row["ratio"] = row["backfill_s"] / row["adds_s"]
            one.clear()
            one.close()
        idx.clear()
        idx.close()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--backends", default="memory,redis")
    ap.add_argument("--add-limit", type=int, default=10_000, help="add() one by one up to N")
    ap.add_argument("--sentences", type=int, default=60_000)
    a = ap.parse_args()
    sentences = sentence_pool(a.sentences)
    if sentences is None:
        return
    rows = []
    for backend in a.backends.split(","):
        for n in [int(x) for x in a.sizes.split(",")]:
            rows.append(run(backend, n, sentences, a.add_limit))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(
        "| backend | articles | backfill s | ms/article | stories | add() one by one s | backfill / add | same-story pairs F1 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        adds = f"{r['adds_s']:.1f}" if "adds_s" in r else "-"
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "-"
        f1 = f"{r['pair_f1']:.3f}" if "pair_f1" in r else "-"
        print(
            f"| {r['backend']} | {r['n']:,} | {r['backfill_s']:.1f} "
            f"| {r['backfill_s'] / r['n'] * 1000:.2f} | {r['stories']:,} | {adds} | {ratio} | {f1} |"
        )


if __name__ == "__main__":
    main()
