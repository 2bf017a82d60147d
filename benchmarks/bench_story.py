"""StoryIndex add+assign latency and memory per article, in memory and on Redis over loopback.

Articles are synthetic: random recombinations of 8 sentences taken from the SaudiNewsNet zips
(``_data.SAUDINEWSNET``, ``$SAUDINEWSNET`` to override; skipped cleanly when absent; no text is
written anywhere). The index is preloaded with N articles through the storage directly (each its
own story, no per-add verification, for speed); then ``--adds`` real ``StoryIndex.add`` calls are
timed, a third of them light rewrites of preloaded articles (they join a story), the rest new
recombinations. Latency includes featurizing. Memory: RSS delta of this process per preloaded
article (memory) or Redis ``used_memory`` delta per article (redis).

    python benchmarks/bench_story.py --sizes 10000,100000 --backends memory,redis
    python benchmarks/bench_story.py --sizes 100000 --backends memory --adds 1000 --profile

``--profile``: run the timed adds under cProfile and print the top functions (cumulative) to
stderr; the latencies printed are then inflated by the profiler.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
from _redis import redis_url  # noqa: E402

from dupdetect.features import Profile, TermVector, featurize_terms, prepare  # noqa: E402
from dupdetect.storage import Change, Insert, Record  # noqa: E402
from dupdetect.story import StoryIndex  # noqa: E402


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def preload(
    idx: StoryIndex, n: int, sent_terms: list[list[str]], rng: random.Random, batch: int = 2000
) -> list[list[int]]:
    """Insert n synthetic articles straight into storage; returns their sentence choices.

    The one place that goes below ``StoryIndex``'s own methods: records are written through the
    storage interface (``Storage.next_number`` / ``commit(Change)``), each its own story, with
    the band keys ``add`` would compute (``StoryIndex.band_keys``), so a 100k index loads in a
    minute instead of 100k verified ``add`` calls.
    """
    st, chosen = idx.storage, []
    for s in range(0, n, batch):
        picks = [rng.sample(range(len(sent_terms)), 8) for _ in range(min(batch, n - s))]
        chosen += picks
        terms = [[t for i in p for t in sent_terms[i]] for p in picks]
        f = featurize_terms(terms, idx.settings)
        change = Change()
        for j in range(len(picks)):
            uni, bi = f.unigrams.row(j), f.bigrams.row(j)
            prof = Profile(
                TermVector(uni.ids.copy(), uni.weights.copy()),
                TermVector(bi.ids.copy(), bi.weights.copy()),
            )
            num = st.next_number("doc")
            sig = f.signatures[j].copy()
            rec = Record(num, f"pre{num}", 1.7e9 + num, bool(f.short[j]), sig, prof, None)
            story = f"s-{st.next_number('story')}"
            change.insert.append(Insert(rec, story, [] if rec.short else idx.band_keys(rec)))
        st.commit(change)
    return chosen


def measure(
    idx: StoryIndex, sentences: list[str], chosen: list[list[int]], adds: int, rng: random.Random
) -> dict[str, float]:
    lat, joined = [], 0
    for i in range(adds):
        if i % 3 == 0:  # a rewrite of a preloaded article: drop one sentence, add another
            p = list(rng.choice(chosen))
            p[rng.randrange(8)] = rng.randrange(len(sentences))
        else:
            p = rng.sample(range(len(sentences)), 8)
        text = " ".join(sentences[k] for k in p)
        t0 = time.perf_counter()
        a = idx.add(f"m{i}", text, published=1.7e9 + 10**7 + i)
        lat.append(time.perf_counter() - t0)
        joined += not a.new_story
    ms = np.array(lat) * 1000
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
        "joined": joined / adds,
    }


def run_one(backend: str, n: int, args: argparse.Namespace, sentences, sent_terms) -> dict:
    """Preload ``n`` articles into a fresh index on ``backend``, then time ``args.adds`` adds."""
    rng = random.Random(n)
    with redis_url() if backend == "redis" else nullcontext(None) as url:
        idx = StoryIndex(storage=url or "memory", window=None)

        def mem() -> int:
            return idx.storage.r.info("memory")["used_memory"] if url else rss()

        mem0 = mem()
        t0 = time.perf_counter()
        chosen = preload(idx, n, sent_terms, rng)
        t_load = time.perf_counter() - t0
        mem1 = mem()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        res = measure(idx, sentences, chosen, args.adds, rng)
        if args.profile:
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        row = {"backend": backend, "n": n, "bytes_per_doc": (mem1 - mem0) / n}
        row |= {"preload_s": t_load, **res}
        if url:
            row["lock_ms_per_add"] = idx.storage.lock_wait_total / args.adds * 1000
            idx.close()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--backends", default="memory,redis")
    ap.add_argument("--adds", type=int, default=1000)
    ap.add_argument("--sentences", type=int, default=60_000, help="size of the sentence pool")
    ap.add_argument("--profile", action="store_true", help="cProfile the timed adds")
    args = ap.parse_args()
    records = _data.saudinewsnet()
    if records is None:
        print(f"skipped: no SaudiNewsNet zips in {_data.SAUDINEWSNET}")
        return
    sentences = _data.sentences(records)[: args.sentences]
    del records
    sent_terms = [prepare(s, clean=False) for s in sentences]
    print(f"{len(sentences)} sentences", file=sys.stderr)
    rows = []
    for backend in args.backends.split(","):
        for n in [int(x) for x in args.sizes.split(",")]:
            rows.append(run_one(backend, n, args, sentences, sent_terms))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(
        "| backend | indexed | add p50 ms | add p99 ms | max ms | joined a story "
        "| memory/article | preload s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['n']:,} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.1f} "
            f"| {r['joined']:.0%} | {r['bytes_per_doc'] / 1024:.1f} KiB | {r['preload_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
