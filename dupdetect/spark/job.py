"""Reading inputs for the Spark job, :func:`cluster_path`, and ``python -m dupdetect.spark``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from .driver import cluster_dataframe, require_spark
from .result import SparkClustering, output_exists

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["cluster_path", "main"]


def read_files(part: Iterable[tuple[str, bytes]]) -> Iterable[tuple[str, str, str, str | None]]:
    """``(uri, bytes)`` of whole files -> ``(id, text, title, error)``, read like
    :func:`dupdetect.cluster`: decoded, HTML main text by trafilatura, ``.txt``/``.html`` only;
    a local file's id is its resolved path (as locally). A file that cannot be used is a row with
    ``error`` set, never silently dropped."""
    from urllib.parse import urlparse

    from ..io import DecodeError, decode_bytes, extract_html

    for uri, data in part:
        parsed = urlparse(uri)
        name = os.path.realpath(parsed.path) if parsed.scheme in ("", "file") else uri
        low = name.lower()
        if not low.endswith((".txt", ".html", ".htm")):
            yield name, "", "", "unsupported file type (.txt, .html and .htm are read)"
            continue
        try:
            text = decode_bytes(data, name=name)
            title = ""
            if low.endswith((".html", ".htm")):
                title, text = extract_html(text)
        except (DecodeError, ImportError, ValueError) as e:
            yield name, "", "", str(e)
            continue
        yield name, text, title, None


def _read(spark: SparkSession, path: str) -> tuple[DataFrame, bool]:
    """A DataFrame from parquet, JSON Lines / JSON, or a folder of text or HTML files (then
    ``id, text, title, error``: one article per file, see :func:`read_files`; the flag says
    so)."""
    F = require_spark()
    low = path.rstrip("/").lower()
    local_dir = os.path.isdir(path)
    names = os.listdir(path) if local_dir else []
    if low.endswith(".parquet") or any(n.endswith(".parquet") for n in names):
        df = spark.read.parquet(path)
    elif low.endswith((".jsonl", ".ndjson")) or any(n.endswith(".jsonl") for n in names):
        df = spark.read.json(path)
    elif low.endswith(".json"):
        df = spark.read.option("multiLine", True).json(path)
    else:
        files = spark.sparkContext.binaryFiles(path)
        df = spark.createDataFrame(
            files.mapPartitions(read_files).sortBy(lambda r: r[0]),
            "id string, text string, title string, error string",
        )
        return df, True
    del F
    return df, False


def cluster_path(
    spark: SparkSession,
    path: str,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    title_col: str | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> SparkClustering:
    """:func:`cluster_dataframe` on parquet, JSON Lines (``.jsonl``/a folder of them), a JSON
    array file, or a folder of ``.txt``/``.html`` files (ids are paths, as in
    :func:`dupdetect.cluster`). Columns not given are found by the local readers' defaults."""
    F = require_spark()
    df, files = _read(spark, path)
    errors = None
    if files:
        id_col, text_col, title_col = "id", "text", "title"
        df = df.cache()
        errors = df.where("error is not null").select(
            F.col("id").alias("input"), F.col("error").alias("message")
        )
        df = df.where("error is null").drop("error")
    result = cluster_dataframe(
        df, id_col=id_col, text_col=text_col, title_col=title_col, settings=settings, **options
    )
    if errors is not None:
        result.errors = errors
        result.counts["errors"] = errors.count()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dupdetect.spark INPUT OUTPUT [--master local[4]] [--threshold T] ...``"""
    # long because argparse declarations are: one option per few lines, no logic among them
    p = argparse.ArgumentParser(
        prog="python -m dupdetect.spark",
        description="Cluster news articles into stories on Apache Spark; writes parquet "
        "OUTPUT/assignments (id, cluster, score) and OUTPUT/pairs (a, b, similarity).",
    )
    p.add_argument(
        "input",
        help="parquet, .jsonl (or a folder of them), .json, or a folder of "
        ".txt/.html files; any path Spark can read",
    )
    p.add_argument("output", help="output folder (must not exist unless --overwrite)")
    p.add_argument(
        "--master",
        default=None,
        help="Spark master, e.g. local[4] (default: from spark-submit, else local[*])",
    )
    p.add_argument("--id-col", default=None, help="default: id|doc_id|guid|url|link")
    p.add_argument("--text-col", default=None, help="default: text|content|body|article|story")
    p.add_argument("--title-col", default=None, help="default: title|headline")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--candidate-threshold", type=float, default=None)
    p.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="repartition the documents into this many partitions",
    )
    p.add_argument(
        "--shuffle-partitions",
        type=int,
        default=None,
        help="spark.sql.shuffle.partitions (default: Spark's)",
    )
    p.add_argument(
        "--broadcast-bytes",
        type=int,
        default=None,
        help="broadcast the featurized documents up to this size (default: an eighth of "
        "spark.driver.memory, at most 1 GiB; 0: never)",
    )
    p.add_argument(
        "--local-edges",
        type=int,
        default=None,
        help="find components on the driver up to this many scored pairs (default 20 M)",
    )
    p.add_argument("--overwrite", action="store_true")
    a = p.parse_args(argv)
    require_spark()
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    if existing is None and (a.master or "local").startswith("local"):
        # local workers are fresh interpreters: let them import this very dupdetect
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.environ.get("PYTHONPATH", "")
        if here not in path.split(os.pathsep):
            os.environ["PYTHONPATH"] = os.pathsep.join(x for x in (here, path) if x)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    b = SparkSession.builder.appName("dupdetect")
    if a.master:  # else spark-submit's --master, or pyspark's default local[*]
        b = b.master(a.master)
    if a.shuffle_partitions:
        b = b.config("spark.sql.shuffle.partitions", str(a.shuffle_partitions))
    spark = b.getOrCreate()
    try:
        if not a.overwrite and output_exists(spark, a.output):
            print(
                f"dupdetect.spark: {a.output} exists already; choose another folder or pass "
                "--overwrite",
                file=sys.stderr,
            )
            return 2
        result = cluster_path(
            spark,
            a.input,
            id_col=a.id_col,
            text_col=a.text_col,
            title_col=a.title_col,
            threshold=a.threshold,
            candidate_threshold=a.candidate_threshold,
            partitions=a.partitions,
            broadcast_bytes=a.broadcast_bytes,
            local_edges=a.local_edges,
        )
        result.write(a.output, mode="overwrite" if a.overwrite else "error")
        if result.errors is not None:
            for row in result.errors.limit(20).collect():
                print(f"dupdetect.spark: skipped {row['input']}: {row['message']}", file=sys.stderr)
        print(result.summary(), file=sys.stderr)
        print(json.dumps({"timings": result.timings, "counts": result.counts}), file=sys.stderr)
    finally:
        if existing is None:
            spark.stop()
    return 0
