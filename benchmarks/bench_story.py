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
    python benchmarks/bench_story.py --sizes 100000,1000000 --backends memory --save /tmp
    python benchmarks/bench_story.py --load /tmp/story-memory-1000000.dds
    python benchmarks/bench_story.py --sizes 1000000 --backends memory --span-days 1095 --window 72

``--save DIR``: after the adds, time ``StoryIndex.save`` to ``DIR/story-<backend>-<n>.dds`` (kept; a Redis index is saved to the same file format);
``--load FILE`` (alone) times ``StoryIndex.load(FILE)`` in a fresh process and the RSS it adds
per article, so that loading never shares the machine with the benchmark's own index. ``--span-days D``: preloaded articles are spread evenly over
D days (default: one second apart) and the timed adds come after the newest; ``--window H``:
the index's window in hours (default None: no window, every article a candidate); the articles
older than the window are then evicted before the timed adds (``evicted``, ``evict_s`` and the
articles ``held`` after it are printed with the row).

``--fresh-writer`` (Redis): the timed adds run in a second ``StoryIndex`` on the same namespace,
opened after the preload: a writer process that has met none of the indexed articles yet (the
preloading one keeps the low-byte entries of what it wrote); ``low_entries`` in the row is how
many the timed writer kept at the end.

``--grouped``: the preloaded articles are clustered first by the batch job's own grouping
(:func:`dupdetect.grouping.group`, the index's window, two workers) and each cluster is preloaded
as one story, as an index built by ``add`` would hold them; without it every preloaded article is
its own story, and an add that matches many of them merges them all (``merges`` in the row: mean
merges per timed add). Featurizes all N at once: meant for N up to a few hundred thousand.

``--profile``: run the timed adds under cProfile and print the top functions (cumulative) to
stderr; the latencies printed are then inflated by the profiler.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
from _redis import redis_url  # noqa: E402

from dupdetect.features import Profile, TermVector, featurize_terms, prepare  # noqa: E402
from dupdetect.grouping import group  # noqa: E402
from dupdetect.storage import Change, Insert, Record  # noqa: E402
from dupdetect.story import StoryIndex  # noqa: E402


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


T0 = 1.7e9  # time of the first preloaded article


def draw(n: int, n_sentences: int, rng: random.Random, batch: int = 2000) -> np.ndarray:
    """The sentence choices of n synthetic articles, an ``(n, 8)`` int32 array (small next to
    the index, unlike lists of ints)."""
    chosen = np.zeros((n, 8), np.int32)
    for s in range(0, n, batch):
        m = min(batch, n - s)
        chosen[s : s + m] = [rng.sample(range(n_sentences), 8) for _ in range(m)]
    return chosen


def clusters_of(
    chosen: np.ndarray, sent_terms: list[list[str]], idx: StoryIndex, step: float
) -> np.ndarray:
    """``--grouped``: row -> the first row of its cluster in the batch job's own grouping
    (:func:`dupdetect.grouping.group` with the index's settings and window, two workers)."""
    f = featurize_terms([[t for i in p for t in sent_terms[i]] for p in chosen], idx.settings)
    times = T0 + np.arange(len(chosen)) * step
    first = np.arange(len(chosen))
    for c in group(f, idx.settings, times=times, window=idx.window, workers=2).clusters:
        first[c] = c[0]
    return first


def preload(
    idx: StoryIndex,
    chosen: np.ndarray,
    sent_terms: list[list[str]],
    step: float,
    cluster_of: np.ndarray | None = None,
    batch: int = 2000,
) -> None:
    """Insert the synthetic articles of ``chosen`` (``step`` seconds apart) straight into
    storage, each its own story, or with ``cluster_of`` (row -> first row of its cluster) each
    cluster one story.

    The one place that goes below ``StoryIndex``'s own methods: records are written through the
    storage interface (``Storage.next_number`` / ``commit(Change)``) with the band keys ``add``
    would compute (``StoryIndex.band_keys``), so a 100k index loads in a minute instead of 100k
    verified ``add`` calls.
    """
    st, n = idx.storage, len(chosen)
    story_of: dict[int, str] = {}
    for s in range(0, n, batch):
        picks = chosen[s : s + batch].tolist()
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
            pub = T0 + (num - 1) * step
            rec = Record(num, f"pre{num}", pub, bool(f.short[j]), sig, prof, None)
            if cluster_of is None:
                story = f"s-{st.next_number('story')}"
            else:  # one story per cluster, numbered as its first member is met
                first = int(cluster_of[s + j])
                if first not in story_of:
                    story_of[first] = f"s-{st.next_number('story')}"
                story = story_of[first]
            change.insert.append(Insert(rec, story, [] if rec.short else idx.band_keys(rec)))
        st.commit(change)


def measure(
    idx: StoryIndex,
    sentences: list[str],
    chosen: np.ndarray,
    adds: int,
    rng: random.Random,
    start: float,
    recent: int,
) -> dict[str, float]:
    """Time ``adds`` adds published from ``start`` on, one second apart; a third rewrite one of
    the ``recent`` newest preloaded articles (all of them without a window)."""
    lat, joined, merges = [], 0, 0
    for i in range(adds):
        if i % 3 == 0:  # a rewrite of a preloaded article: drop one sentence, add another
            p = chosen[len(chosen) - 1 - rng.randrange(recent)].tolist()
            p[rng.randrange(8)] = rng.randrange(len(sentences))
        else:
            p = rng.sample(range(len(sentences)), 8)
        text = " ".join(sentences[k] for k in p)
        t0 = time.perf_counter()
        a = idx.add(f"m{i}", text, published=start + i)
        lat.append(time.perf_counter() - t0)
        joined += not a.new_story
        merges += len(a.merged)
    ms = np.array(lat) * 1000
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
        "joined": joined / adds,
        "merges": merges / adds,
    }


def run_one(backend: str, n: int, args: argparse.Namespace, sentences, sent_terms) -> dict:
    """Preload ``n`` articles into a fresh index on ``backend``, then time ``args.adds`` adds."""
    rng = random.Random(n)
    step = 1.0 if args.span_days is None else args.span_days * 86400 / n
    window = None if args.window is None else args.window * 3600
    with redis_url() if backend == "redis" else nullcontext(None) as url:
        # a bare number is refused by StoryIndex (no unit): pass the window as a timedelta
        idx = StoryIndex(
            storage=url or "memory", window=None if window is None else timedelta(seconds=window)
        )

        def mem() -> int:
            return idx.storage.r.info("memory")["used_memory"] if url else rss()

        chosen = draw(n, len(sent_terms), rng)
        cluster_of = clusters_of(chosen, sent_terms, idx, step) if args.grouped else None
        gc.collect()
        mem0 = mem()
        t0 = time.perf_counter()
        preload(idx, chosen, sent_terms, step, cluster_of)
        t_load = time.perf_counter() - t0
        gc.collect()
        mem1 = mem()
        newest = T0 + (n - 1) * step
        # without a window any preloaded article may be rewritten; with one, a recent one
        recent = n if window is None else max(1, min(n, int(window / step)))
        evict = {}
        if window is not None:  # the preload ignores the window: evict its backlog first, else
            # the timed adds would each take their share of it (evict_batch per add)
            t0 = time.perf_counter()
            evict["evicted"] = len(idx.evict(newest))
            evict["evict_s"] = time.perf_counter() - t0
            evict["held"] = len(idx)
        timed = idx
        if url and args.fresh_writer:
            timed = StoryIndex(
                storage=url, window=None if window is None else timedelta(seconds=window)
            )
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        res = measure(timed, sentences, chosen, args.adds, rng, newest + 1, recent)
        if args.profile:
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        row = {"backend": backend, "n": n, "bytes_per_doc": (mem1 - mem0) / n}
        row["grouped"] = args.grouped
        row["stories"] = len(set(idx.stories()))
        row |= {"preload_s": t_load, **res, **evict}
        if args.save:
            path = os.path.join(args.save, f"story-{backend}-{n}.dds")
            t0 = time.perf_counter()
            idx.save(path)
            row["save_s"] = time.perf_counter() - t0
            row["file_mb"] = os.path.getsize(path) / 2**20
            row["saved_to"] = path
            row["saved_articles"] = len(idx)
        if url:
            row["lock_ms_per_add"] = timed.storage.lock_wait_total / args.adds * 1000
            row["low_entries"] = len(getattr(timed.storage, "_low", ()))
            row["fresh_writer"] = timed is not idx
            if timed is not idx:
                timed.close()
            idx.close()
    return row


def sentence_pool(size: int) -> list[str] | None:
    """The first ``size`` distinct SaudiNewsNet sentences the synthetic articles are made of;
    None (and a line saying so) when the zips are absent."""
    records = _data.saudinewsnet()
    if records is None:
        print(f"skipped: no SaudiNewsNet zips in {_data.SAUDINEWSNET}")
        return None
    return _data.sentences(records)[:size]


def load_only(path: str) -> None:
    """``--load FILE``: time ``StoryIndex.load`` in this fresh process; RSS per article."""
    gc.collect()
    m0 = rss()
    t0 = time.perf_counter()
    idx = StoryIndex.load(path)
    t = time.perf_counter() - t0
    n = len(idx)
    print(json.dumps({"file": path, "loaded": n, "load_s": t, "rss_per_doc": (rss() - m0) / n}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--backends", default="memory,redis")
    ap.add_argument("--adds", type=int, default=1000)
    ap.add_argument("--sentences", type=int, default=60_000, help="size of the sentence pool")
    ap.add_argument("--profile", action="store_true", help="cProfile the timed adds")
    ap.add_argument("--save", metavar="DIR", help="save each index to DIR (timed)")
    ap.add_argument("--load", metavar="FILE", help="only time loading FILE, then exit")
    ap.add_argument("--span-days", type=float, default=None, help="preload dates over D days")
    ap.add_argument("--window", type=float, default=None, help="the index's window in hours")
    ap.add_argument(
        "--grouped", action="store_true", help="preload the batch grouping's clusters as stories"
    )
    ap.add_argument(
        "--fresh-writer", action="store_true", help="Redis: time the adds in a second writer"
    )
    args = ap.parse_args()
    if args.load:
        load_only(args.load)
        return
    sentences = sentence_pool(args.sentences)
    if sentences is None:
        return
    sent_terms = [prepare(s, clean=False) for s in sentences]
    print(f"{len(sentences)} sentences", file=sys.stderr)
    rows = []
    for backend in args.backends.split(","):
        for n in [int(x) for x in args.sizes.split(",")]:
            rows.append(run_one(backend, n, args, sentences, sent_terms))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(
        "| backend | indexed | stories | add p50 ms | add p99 ms | max ms | joined a story "
        "| merges per add | memory/article | preload s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['n']:,} | {r['stories']:,} | {r['p50']:.2f} | {r['p99']:.2f} "
            f"| {r['max']:.1f} | {r['joined']:.0%} | {r['merges']:.2f} "
            f"| {r['bytes_per_doc'] / 1024:.1f} KiB | {r['preload_s']:.0f} |"
        )
    saved = [r for r in rows if "save_s" in r]
    if saved:
        print("\n| backend | indexed | articles saved | save s | file MB |")
        print("|---|---:|---:|---:|---:|")
        for r in saved:
            print(
                f"| {r['backend']} | {r['n']:,} | {r['saved_articles']:,} | {r['save_s']:.1f} "
                f"| {r['file_mb']:.0f} |"
            )
        print("load times: python benchmarks/bench_story.py --load FILE, for each FILE saved")


if __name__ == "__main__":
    main()
