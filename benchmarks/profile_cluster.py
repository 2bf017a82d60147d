"""Where cluster_texts() spends its time, stage by stage, on SaudiNewsNet (one process).

    python benchmarks/profile_cluster.py [--zips N]

Reads ../shared/eval/saudinewsnet/*.zip (skips when absent); prints seconds per stage.
"""

from __future__ import annotations

import argparse
import glob
import json
import time
import zipfile
from pathlib import Path

from dupdetect import pipeline
from dupdetect.lsh import candidate_pairs, estimated_jaccard_pairs
from dupdetect.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "saudinewsnet"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zips", type=int, default=None, help="only the first N daily zips")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    zips = sorted(glob.glob(str(DATA / "*.zip")))[: a.zips]
    if not zips:
        print(f"skipped: no zips in {DATA}")
        return 0
    texts = []
    for z in zips:
        name = Path(z).stem + ".json"
        texts += [f"{x['title']}\n{x['content']}" for x in json.load(zipfile.ZipFile(z).open(name))]
    s = Settings()
    t0 = time.perf_counter()
    f = pipeline._featurize_all(texts, s, False, a.workers)
    t1 = time.perf_counter()
    pairs = candidate_pairs(f.signatures, *s.lsh_params, eligible=~f.short)
    t2 = time.perf_counter()
    est = estimated_jaccard_pairs(f.signatures, pairs)
    kept = pairs[est >= pipeline.PREFILTER_FRACTION * s.candidate_threshold]
    t3 = time.perf_counter()
    f.similarities(kept)
    t4 = time.perf_counter()
    groups, _, _ = pipeline.group(f, s)
    t5 = time.perf_counter()
    pipeline._member_scores_many(f, groups)
    t6 = time.perf_counter()
    print(f"{len(texts)} articles, workers={a.workers}")
    print(f"featurize          {t1 - t0:6.1f} s")
    print(f"LSH candidates     {t2 - t1:6.1f} s  ({len(pairs):,} pairs)")
    print(f"MinHash prefilter  {t3 - t2:6.1f} s  ({len(kept):,} kept)")
    print(f"verification       {t4 - t3:6.1f} s")
    print(f"group() in full    {t5 - t4:6.1f} s  (candidates + prefilter + verify + linkage)")
    print(f"member scores      {t6 - t5:6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
