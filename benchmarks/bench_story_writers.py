"""StoryIndex adds per second with 1, 2, 4 writer processes sharing one Redis namespace.

A real ``redis-server`` is started on loopback (append-only file, ``appendfsync everysec``). For
each writer count, a fresh namespace receives the same ``--articles`` SaudiNewsNet articles
(file order, dealt round-robin to the writers); every writer featurizes and adds its share, all
starting together. Reported: adds/s over the whole run (first start to last finish), the commits
refused because another writer had changed what they read (then re-run), and a CPU ceiling:
featurizing alone in one process (``add`` cannot beat it per core). Bounded: one server, at most
``--articles`` adds per writer count, nothing leaves the machine.

    python benchmarks/bench_story_writers.py [--articles 2000] [--writers 1,2,4]

Run it with another checkout first on ``PYTHONPATH`` to compare versions (``conflicts`` is
reported as ``-`` by a dupdetect that has no such counter).
"""

from __future__ import annotations

import argparse
import glob
import json
import multiprocessing
import os
import sys
import time
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def load_articles(corpus: str, n: int) -> list[tuple[str, str, str]]:
    """(url, text, date) of the first ``n`` SaudiNewsNet articles with a body."""
    out: list[tuple[str, str, str]] = []
    for z in sorted(glob.glob(os.path.join(corpus, "*.zip"))):
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                for art in json.loads(zf.read(name).decode("utf-8")):
                    if art.get("content") and art.get("url"):
                        out.append((art["url"], art["content"], art["date_extracted"]))
                        if len(out) >= n:
                            return out
    return out


def _writer(args: tuple) -> dict[str, float]:
    url, ns, share, start_at = args
    from dupdetect.story import StoryIndex

    idx = StoryIndex(storage=url, namespace=ns, window=None)
    while time.time() < start_at:  # all writers start together, connections made
        time.sleep(0.001)
    t0 = time.time()
    for doc_id, text, date in share:
        idx.add(doc_id, text, published=date)
    t1 = time.time()
    st = idx.storage
    out = {"t0": t0, "t1": t1, "n": len(share), "conflicts": getattr(st, "conflicts", -1)}
    idx.close()
    return out


def featurize_rate(articles: list[tuple[str, str, str]]) -> float:
    from dupdetect.features import featurize_terms, prepare
    from dupdetect.settings import Settings

    s = Settings()
    t0 = time.perf_counter()
    for _, text, _ in articles:
        featurize_terms([prepare(text)], s)
    return len(articles) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--writers", default="1,2,4")
    ap.add_argument("--corpus", default="/work/shared/eval/saudinewsnet")
    args = ap.parse_args()
    articles = load_articles(args.corpus, args.articles)
    if not articles:
        print(f"skipped: no SaudiNewsNet zips in {args.corpus}")
        return
    from redis_server import RedisServer

    import dupdetect

    ctx = multiprocessing.get_context("spawn")
    rows = []
    print(
        f"dupdetect from {os.path.dirname(dupdetect.__file__)}; {os.cpu_count()} CPUs", flush=True
    )
    print(f"featurize only, one process: {featurize_rate(articles[:500]):.0f} articles/s")
    with RedisServer(persistence="everysec") as srv:
        for w in [int(x) for x in args.writers.split(",")]:
            ns = f"bench{uuid.uuid4().hex[:6]}"
            shares = [articles[k::w] for k in range(w)]
            start_at = time.time() + 3.0  # spawned interpreters import and connect first
            with ctx.Pool(w) as pool:
                got = pool.map(_writer, [(srv.url, ns, sh, start_at) for sh in shares])
            wall = max(g["t1"] for g in got) - min(g["t0"] for g in got)
            conflicts = sum(g["conflicts"] for g in got)
            from dupdetect.story import StoryIndex

            idx = StoryIndex(storage=srv.url, namespace=ns, window=None)
            indexed, stories = len(idx), len(list(idx.stories()))
            idx.close()
            rows.append((w, len(articles), wall, conflicts, indexed, stories))
            print(f"{w} writers: {len(articles) / wall:.0f} adds/s", flush=True)
    print("\n| writers | articles | wall s | adds/s | conflicts (re-run) | indexed | stories |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for w, n, wall, conflicts, indexed, stories in rows:
        c = "-" if conflicts < 0 else str(conflicts)
        print(f"| {w} | {n} | {wall:.1f} | {n / wall:.0f} | {c} | {indexed} | {stories} |")


if __name__ == "__main__":
    main()
