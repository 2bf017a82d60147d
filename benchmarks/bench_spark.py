"""dupdetect.spark (local[N]) next to the local pipeline on SaudiNewsNet, in one run.

    python benchmarks/bench_spark.py [--master local[2]] [--limit N] [--json OUT]
        [--broadcast-bytes B] [--local-edges E]   # 0 0: the shuffle path and Spark's components
        [--stages]   # also list every Spark job and stage of the run with its duration

Reads every SaudiNewsNet zip (``_data.saudinewsnet``; nothing of it is stored here),
text = title + "\\n" + content, id = url (first occurrence kept). Times
``dupdetect.cluster_texts`` and ``dupdetect.spark.cluster_dataframe`` on the same mapping, checks
that they agree (clusters, ids, scores within 1e-6), and reports the driver's stage timers and
how the documents divide across partitions. ``--stages`` turns Spark's UI on for the run and lists
each job and stage from its REST API (wall time, tasks, summed task run / CPU / GC time): where
the time between the driver's timers goes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from datetime import datetime
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import _data  # noqa: E402

import dupdetect  # noqa: E402
from dupdetect import spark as dspark  # noqa: E402


def load(limit: int | None) -> tuple[dict[str, str], int]:
    """url -> text (first occurrence of a url kept), and how many records were read."""
    texts: dict[str, str] = {}
    records = _data.saudinewsnet() or []
    for seen, rec in enumerate(records, 1):
        texts.setdefault(rec["url"], rec["text"])
        if limit and len(texts) >= limit:
            return texts, seen
    return texts, len(records)


def _when(stamp: str) -> datetime:
    return datetime.strptime(stamp.replace("GMT", ""), "%Y-%m-%dT%H:%M:%S.%f")


def stage_table(spark: Any) -> list[str]:
    """Every completed job and stage of this application, from the UI's REST API."""
    sc = spark.sparkContext
    base = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}"
    jobs = json.load(urllib.request.urlopen(f"{base}/jobs"))
    stages = json.load(urllib.request.urlopen(f"{base}/stages"))
    lines = ["| job / stage | wall s | tasks | task run s | task CPU s | GC s | what |"]
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    by_job = {stage: j["jobId"] for j in jobs for stage in j["stageIds"]}
    for j in sorted(jobs, key=lambda j: j["jobId"]):
        if "completionTime" not in j:
            continue
        wall = (_when(j["completionTime"]) - _when(j["submissionTime"])).total_seconds()
        lines.append(
            f"| job {j['jobId']} | {wall:.2f} | {j['numTasks']} | | | | {j['name'][:60]} |"
        )
        for st in sorted(stages, key=lambda x: x["stageId"]):
            if by_job.get(st["stageId"]) != j["jobId"] or st.get("status") != "COMPLETE":
                continue
            wall = (
                _when(st["completionTime"]) - _when(st["firstTaskLaunchedTime"])
            ).total_seconds()
            lines.append(
                f"| stage {st['stageId']} | {wall:.2f} | {st['numTasks']} "
                f"| {st['executorRunTime'] / 1e3:.2f} | {st['executorCpuTime'] / 1e9:.2f} "
                f"| {st['jvmGcTime'] / 1e3:.2f} | |"
            )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--partitions", type=int, default=None)
    ap.add_argument("--shuffle-partitions", type=int, default=8)
    ap.add_argument("--json", default=None)
    ap.add_argument("--broadcast-bytes", type=int, default=None, help="0: never broadcast")
    ap.add_argument("--local-edges", type=int, default=None, help="0: components in Spark")
    ap.add_argument("--stages", action="store_true", help="list Spark's jobs and stages")
    a = ap.parse_args()

    texts, seen = load(a.limit)
    if not texts:
        print(f"skipped: no SaudiNewsNet zips in {_data.SAUDINEWSNET}")
        return
    print(f"{seen} records, {len(texts)} unique urls", flush=True)

    t = time.perf_counter()
    local = dupdetect.cluster_texts(texts)
    local_s = time.perf_counter() - t
    print(f"local: {local_s:.1f}s  {local.summary()}", flush=True)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        x for x in (ROOT, os.environ.get("PYTHONPATH", "")) if x
    )
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    t = time.perf_counter()
    spark = (
        SparkSession.builder.master(a.master)
        .appName("bench_spark")
        .config("spark.sql.shuffle.partitions", str(a.shuffle_partitions))
        .config("spark.ui.enabled", "true" if a.stages else "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.createDataFrame(list(texts.items()), "id string, text string")
    if a.partitions:
        df = df.repartition(a.partitions)  # before numbering: order then follows partitions
    per_part = sorted(
        r["n"]
        for r in df.groupBy(F.spark_partition_id().alias("p"))
        .agg(F.count("*").alias("n"))
        .collect()
    )
    startup_s = time.perf_counter() - t
    print(f"spark session + input: {startup_s:.1f}s; records/partition {per_part}", flush=True)

    t = time.perf_counter()
    res = dspark.cluster_dataframe(df, broadcast_bytes=a.broadcast_bytes, local_edges=a.local_edges)
    got = {r["id"]: (r["cluster"], r["score"]) for r in res.assignments.collect()}
    spark_s = time.perf_counter() - t
    print(f"spark: {spark_s:.1f}s {res.timings} {res.counts}", flush=True)

    want = {r["id"]: (r["cluster"], r["score"]) for r in local.to_records()}
    same_clusters = sum(got[k][0] == want[k][0] for k in want)
    worst = max(abs(got[k][1] - want[k][1]) for k in want)
    pairs_equal = {(r["a"], r["b"]) for r in res.pairs.collect()} == {
        (p.a, p.b) for p in local.pairs
    }
    stages = stage_table(spark) if a.stages else []
    spark.stop()
    if stages:
        print("\n".join(stages))

    out = {
        "master": a.master,
        "broadcast_bytes": a.broadcast_bytes,
        "local_edges": a.local_edges,
        "records": seen,
        "documents": len(texts),
        "local_s": round(local_s, 2),
        "spark_s": round(spark_s, 2),
        "spark_startup_s": round(startup_s, 2),
        "ratio": round(spark_s / local_s, 2),
        "records_per_partition": per_part,
        "stage_s": res.timings,
        "counts": res.counts,
        "equal_cluster_ids": f"{same_clusters}/{len(want)}",
        "max_score_diff": worst,
        "pairs_equal": pairs_equal,
        "local_clusters": len(local.clusters),
        "local_groups": len(local.groups),
        "cpus": os.cpu_count(),
        "load_avg_at_end": os.getloadavg(),
    }
    print(json.dumps(out, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
