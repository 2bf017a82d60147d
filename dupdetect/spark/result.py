"""What the Spark job returns and writes: :class:`SparkClustering` (parquet folders plus one small
``_dupdetect.json`` file), and the file-system helpers that work on local paths and Hadoop's."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkClustering", "output_exists"]


@dataclass
class SparkClustering:
    """The result of :func:`cluster_dataframe`.

    ``assignments``: DataFrame ``id, cluster, score`` (one row per document, input order);
    ``pairs``: DataFrame ``a, b, similarity`` of verified pairs (>= threshold);
    ``timings``: seconds per driver stage; ``counts``: sizes seen on the way.
    """

    assignments: DataFrame
    pairs: DataFrame
    settings: Settings
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    #: for a folder of files: DataFrame ``input, message`` of the files that could not be used
    errors: DataFrame | None = None

    def write(self, path: str, *, mode: str = "error") -> None:
        """Parquet ``assignments/`` and ``pairs/`` under ``path``, plus the file
        ``_dupdetect.json`` holding the settings, their fingerprint and the counts."""
        root = path.rstrip("/")
        self.assignments.write.mode(mode).parquet(root + "/assignments")
        self.pairs.write.mode(mode).parquet(root + "/pairs")
        meta = {
            "fingerprint": self.settings.fingerprint,
            "settings": asdict(self.settings),
            "counts": self.counts,
        }
        _write_file(
            self.assignments.sparkSession, root + "/_dupdetect.json", json.dumps(meta, default=str)
        )

    def summary(self) -> str:
        c = self.counts
        return (
            f"{c.get('documents', '?')} documents -> {c.get('clusters', '?')} clusters, "
            f"{c.get('verified_pairs', '?')} verified pairs"
        )


def _local_path(path: str) -> str | None:
    """The local file-system path of ``path`` (no scheme, or ``file:``), else None."""
    from urllib.parse import urlparse

    if "://" not in path and not path.startswith("file:"):
        return path
    parsed = urlparse(path)
    return parsed.path if parsed.scheme == "file" else None


def _hadoop_fs(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """(FileSystem, Path) of a non-local path, through the JVM (hdfs://, s3a://, ...)."""
    sc = spark.sparkContext
    jpath = sc._jvm.org.apache.hadoop.fs.Path(path)  # type: ignore[attr-defined,union-attr]
    return jpath.getFileSystem(sc._jsc.hadoopConfiguration()), jpath  # type: ignore[attr-defined]


def _write_file(spark: SparkSession, path: str, text: str) -> None:
    """One small file (not a Spark output folder) at ``path``, local or on Hadoop's FS."""
    local = _local_path(path)
    if local is not None:
        with open(local, "w", encoding="utf-8") as f:
            f.write(text)
        return
    fs, jpath = _hadoop_fs(spark, path)
    out = fs.create(jpath, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def output_exists(spark: SparkSession, path: str) -> bool:
    """Whether anything is at ``path`` already (checked before the job, not after it)."""
    local = _local_path(path)
    if local is not None:
        return os.path.exists(local)
    fs, jpath = _hadoop_fs(spark, path)
    return bool(fs.exists(jpath))
