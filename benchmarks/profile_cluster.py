"""Where cluster_texts() spends its time, stage by stage, on SaudiNewsNet.

    python benchmarks/profile_cluster.py [--zips N] [--workers N]

Reads ../shared/eval/saudinewsnet/*.zip (``_data.saudinewsnet``; skips when absent); prints
seconds per stage, each stage rebuilt from public API (``dupdetect.parallel.featurize_parallel``,
``_candidates.candidate_stage``, ``Features.similarities``, ``grouping.group``), then
``group()``'s own stages (``on_stage``) with ``--workers`` processes, as ``cluster()`` runs them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
from _candidates import candidate_stage  # noqa: E402

from dupdetect.grouping import group  # noqa: E402
from dupdetect.parallel import featurize_parallel  # noqa: E402
from dupdetect.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zips", type=int, default=None, help="only the first N daily zips")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    records = _data.saudinewsnet(max_zips=a.zips)
    if records is None:
        print(f"skipped: no zips in {_data.SAUDINEWSNET}")
        return 0
    texts = [r["text"] for r in records]
    s = Settings()
    t0 = time.perf_counter()
    f = featurize_parallel(texts, s, workers=a.workers)
    t1 = time.perf_counter()
    cand = candidate_stage(f, s)
    t2 = time.perf_counter()
    f.similarities(cand.kept)
    t3 = time.perf_counter()
    stages: list[tuple[str, float]] = []
    group(
        f,
        s,
        workers=a.workers,
        on_stage=lambda name, **_: stages.append((name, time.perf_counter())),
    )
    t4 = time.perf_counter()
    print(f"{len(texts)} articles, workers={a.workers}")
    print(f"featurize          {t1 - t0:6.1f} s")
    print(
        f"LSH + prefilter    {t2 - t1:6.1f} s  ({len(cand.proposed):,} proposed, "
        f"{len(cand.kept):,} kept)"
    )
    print(f"verification       {t3 - t2:6.1f} s")
    print(f"group() in full    {t4 - t3:6.1f} s  (candidates + prefilter + verify + linkage)")
    last = t3
    for name, t in stages:  # group()'s own stages, with as many processes as featurized
        print(f"  group: {name:<10} {t - last:6.1f} s")
        last = t
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
