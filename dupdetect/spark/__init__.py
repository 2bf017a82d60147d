"""The batch job on Apache Spark: the same clustering as :func:`dupdetect.cluster_texts`.

Needs ``pip install "dupdetect[spark]"`` (pyspark with pandas and pyarrow, and a Java runtime).
pyspark is imported only when a Spark function is called.

The job is a handful of per-partition functions (plain pandas in, pandas out; they call the
core's own code, so normalization, shingles, signatures and scores are computed by the very code
:func:`dupdetect.cluster` runs) and a thin driver that wires them with DataFrame operations.
Two bounds of :func:`cluster_dataframe` pick how (same result either way):

    docs --mapInPandas(featurize)--> idx, signature, term vectors, LSH band keys     (cached)
    features <= broadcast_bytes (driver memory / 8): collected once and broadcast (:mod:`.shared`)
      range(bands) --mapInPandas: band keys, buckets, MinHash prefilter--> pairs --distinct
      --mapInPandas(score on the broadcast features)--> scored pairs
    else (:mod:`.driver`, :mod:`.partitions`):
      --explode (band, key) with signatures, groupBy--> buckets --mapInPandas(bucket pairs,
        prefiltered in the bucket)--> pairs --distinct, join both docs' term vectors,
        mapInPandas(score)--> scored pairs
    scored pairs <= local_edges (20 M): collected, connected components by union-find on the
      driver; else min-label propagation in Spark (iterative joins)
    components --mapInPandas / cogroup(members, edges).applyInPandas(split)--> average
      linkage, member scores and cluster ids per component

Equality with the local pipeline: the same input (same ids, same texts, same order) gives the
same clusters, cluster ids and member scores (to float rounding, < 1e-6) and the same verified
pairs. Row order only breaks exact ties, as in :mod:`dupdetect.pipeline`; here it is the input
DataFrame's order (``monotonically_increasing_id`` before any repartitioning).

Layout: :mod:`.partitions` (the per-partition functions), :mod:`.shared` (the broadcast
features and the functions that read them), :mod:`.driver` (the stages as DataFrame
operations), :mod:`.result` (what is returned and written), :mod:`.job` (reading inputs,
:func:`cluster_path`, the command line).

Run it::

    python -m dupdetect.spark INPUT OUTPUT [--master local[4]] [--threshold 0.35]
    spark-submit --master yarn --py-files dupdetect.zip -m dupdetect.spark ...  # see README
"""

from __future__ import annotations

from .driver import cluster_dataframe, default_columns
from .job import cluster_path, main
from .partitions import (
    bucket_pairs_partition,
    featurize_partition,
    split_component,
    verify_partition,
)
from .result import SparkClustering

__all__ = [
    "cluster_dataframe",
    "cluster_path",
    "default_columns",
    "SparkClustering",
    "main",
    "featurize_partition",
    "bucket_pairs_partition",
    "verify_partition",
    "split_component",
]
