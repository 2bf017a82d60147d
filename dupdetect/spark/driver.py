"""The Spark driver: the stages of the batch job as DataFrame operations over the per-partition
functions of :mod:`dupdetect.spark.partitions` (see :mod:`dupdetect.spark` for the picture)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..grouping import cluster_id
from ..settings import DENSE_COMPONENT, Settings
from .partitions import (
    FEATURES_SCHEMA,
    PAIRS_SCHEMA,
    SCORED_SCHEMA,
    SPLIT_SCHEMA,
    VECTOR_COLUMNS,
    bucket_pairs_partition,
    featurize_partition,
    prefilter_partition,
    singletons_partition,
    split_component,
    verify_partition,
)
from .result import SparkClustering

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["cluster_dataframe", "default_columns", "require_spark", "MAX_ROUNDS"]

INSTALL = 'pip install "dupdetect[spark]"'
#: Stop label propagation after this many rounds (each round at least doubles the reach).
MAX_ROUNDS = 64


def require_spark() -> Any:
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import functions as F
    except ImportError as e:
        raise ImportError(f"dupdetect.spark needs pyspark: {INSTALL} (and a Java runtime)") from e
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f"dupdetect.spark runs its partition functions with pandas and pyarrow: {INSTALL} "
            '(or pip install "pyspark[sql]")'
        ) from e
    return F


def _timed(timings: dict[str, float], name: str, start: float) -> float:
    now = time.perf_counter()
    timings[name] = round(now - start, 3)
    return now


def _components(
    strong: DataFrame, F: Any, timings: dict[str, float], counts: dict[str, int]
) -> DataFrame:
    """``node, comp`` for every node on a strong edge: comp = smallest node of its component.

    Min-label propagation with pointer jumping: each round a node takes the smallest label among
    itself and its neighbours, then the label of its label. Labels are always nodes of the same
    component, so the fixed point gives each component its smallest node.
    """
    und = strong.select("a", "b").union(strong.select(F.col("b").alias("a"), F.col("a").alias("b")))
    und = und.localCheckpoint()
    labels = und.groupBy(F.col("a").alias("node")).agg(
        F.least(F.col("a"), F.min("b")).alias("label")
    )
    rounds = 0
    while True:
        rounds += 1
        msgs = (
            und.join(labels.withColumnRenamed("node", "a"), "a")
            .groupBy(F.col("b").alias("node"))
            .agg(F.min("label").alias("cand"))
        )
        step = labels.join(msgs, "node").select("node", F.least("label", "cand").alias("label"))
        hop = (
            step.alias("s")
            .join(step.alias("t"), F.col("s.label") == F.col("t.node"))
            .select(
                F.col("s.node").alias("node"),
                F.least(F.col("s.label"), F.col("t.label")).alias("label"),
            )
        )
        new = hop.localCheckpoint()
        changed = (
            new.alias("n")
            .join(labels.alias("o"), "node")
            .where(F.col("n.label") != F.col("o.label"))
            .count()
        )
        labels = new
        if changed == 0 or rounds >= MAX_ROUNDS:
            break
    if changed:
        raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
    counts["cc_rounds"] = rounds
    return labels.select("node", F.col("label").alias("comp"))


def _first(df: Any) -> Any:
    """The single row of an aggregation (never None for an aggregation without groupBy)."""
    row = df.first()
    if row is None:  # pragma: no cover - Spark returns one row for a global aggregation
        raise RuntimeError("Spark returned no row for a global aggregation")
    return row


def _check_columns(df: DataFrame, cols: dict[str, str | None]) -> None:
    for name, col in cols.items():
        if col is not None and col not in df.columns:
            raise ValueError(
                f"{name}={col!r} is not a column of the DataFrame; columns: {', '.join(df.columns)}"
            )


def default_columns(columns: Sequence[str]) -> dict[str, str | None]:
    """``id_col``/``text_col``/``title_col`` found among ``columns`` by the local readers' own
    default field names (:class:`dupdetect.io.FieldMap`: ``id|doc_id|guid|url|link``,
    ``text|content|body|article|story``, ``title|headline``), exact name first, then any case."""
    from ..io import FieldMap

    fm = FieldMap()
    lower = {c.lower(): c for c in columns}
    found: dict[str, str | None] = {}
    for key, names in (("id_col", fm.id), ("text_col", fm.text), ("title_col", fm.title)):
        found[key] = next((n for n in names if n in columns), None) or next(
            (lower[n.lower()] for n in names if n.lower() in lower), None
        )
    return found


def _numbered_docs(
    df: DataFrame, F: Any, id_col: str, text_col: str, title_col: str | None, partitions: int | None
) -> DataFrame:
    """``id, text, idx``: the title joined on as the local reader does, null texts left out,
    numbered in the input's order before any repartitioning (the numbering breaks ties)."""
    text = F.col(text_col)
    if title_col:
        title = F.col(title_col)
        text = F.when(
            title.isNotNull() & (title != ""), F.concat(title, F.lit("\n"), text)
        ).otherwise(text)
    docs = (
        df.select(F.col(id_col).alias("id"), text.alias("text"))
        .where(F.col("text").isNotNull())
        .withColumn("idx", F.monotonically_increasing_id())
    )
    if partitions:
        docs = docs.repartition(partitions)
    return docs.localCheckpoint()  # fixes idx (a recomputation could renumber)


def _candidates(feats: DataFrame, F: Any) -> DataFrame:
    """LSH banding as a shuffle: (band, key) buckets -> distinct candidate pairs ``a < b``."""
    buckets = (
        feats.where(~F.col("short"))
        .select("idx", F.posexplode("keys").alias("band", "key"))
        .groupBy("band", "key")
        .agg(F.collect_list("idx").alias("members"))
        .where(F.size("members") >= 2)
        .select("members")
    )
    return buckets.mapInPandas(bucket_pairs_partition, PAIRS_SCHEMA).distinct()


def _verified(cand: DataFrame, feats: DataFrame, F: Any, s: Settings) -> DataFrame:
    """Prefilter on the signatures alone, then join the term vectors of the survivors only and
    score them (joining every vector onto every LSH pair first cost 63% of the job)."""

    def side(x: str, cols: list[str]) -> DataFrame:
        return feats.select(F.col("idx").alias(x), *[F.col(c).alias(f"{c}_{x}") for c in cols])

    kept = (
        cand.join(side("a", ["sig"]), "a")
        .join(side("b", ["sig"]), "b")
        .mapInPandas(lambda it: prefilter_partition(it, s), PAIRS_SCHEMA)
    )
    vec = VECTOR_COLUMNS
    return (
        kept.join(side("a", vec), "a")
        .join(side("b", vec), "b")
        .mapInPandas(lambda it: verify_partition(it, s), SCORED_SCHEMA)
    )


def _split(
    labels: DataFrame,
    sizes: DataFrame,
    feats: DataFrame,
    ids: DataFrame,
    scored: DataFrame,
    F: Any,
    s: Settings,
) -> DataFrame:
    """Average-linkage split of every component next to its members' term vectors (and, for
    components above ``DENSE_COMPONENT``, their scored pairs); singletons get their own ids."""
    vec = VECTOR_COLUMNS
    members = (
        labels.join(sizes, "comp")
        .join(feats.select(F.col("idx").alias("node"), *vec), "node")
        .join(ids.select(F.col("idx").alias("node"), "id_str"), "node")
        .select("comp", F.col("node").alias("idx"), "id_str", *vec)
    )
    big = sizes.where(F.col("size") > DENSE_COMPONENT).select("comp")
    la = labels.select(F.col("node").alias("a"), F.col("comp"))
    lb = labels.select(F.col("node").alias("b"), F.col("comp").alias("comp_b"))
    edges = (
        scored.join(la, "a")
        .join(lb, "b")
        .where(F.col("comp") == F.col("comp_b"))
        .join(big, "comp")
        .select("comp", "a", "b", "similarity")
    )
    edges = edges.localCheckpoint()  # own lineage: cogroup keys of one self-joined plan clash
    grouped = (
        members.groupBy("comp")
        .cogroup(edges.groupBy("comp"))
        .applyInPandas(lambda m, e: split_component(m, e, s), SPLIT_SCHEMA)
    )
    alone = (
        ids.join(labels.select(F.col("node").alias("idx")), "idx", "left_anti")
        .select("idx", "id_str")
        .mapInPandas(singletons_partition, SPLIT_SCHEMA)
    )
    return grouped.unionByName(alone)


def _unique_ids(assigned: DataFrame, ids: DataFrame, F: Any, counts: dict[str, int]) -> DataFrame:
    """Cluster ids are 10 hex digits, longer for a (practically never seen) collision, as
    locally: the cluster whose first member comes first keeps the short id."""
    per_id = assigned.groupBy("cluster").agg(F.countDistinct("first").alias("n"))
    row = _first(per_id.agg(F.sum("n"), F.max("n")))
    counts["clusters"] = int(row[0] or 0)
    fixes: list[tuple[int, str]] = []
    if (row[1] or 0) > 1:
        clash = per_id.where("n > 1").select("cluster")
        fixes = _resolve_clashes(assigned.join(clash, "cluster"), ids)
    counts["id_clashes"] = len(fixes)
    if not fixes:
        return assigned
    fix_df = assigned.sparkSession.createDataFrame(fixes, "first long, fixed string")
    return (
        assigned.join(fix_df, "first", "left")
        .withColumn("cluster", F.coalesce("fixed", "cluster"))
        .drop("fixed")
    )


def cluster_dataframe(
    df: DataFrame,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    title_col: str | None = None,
    settings: Settings | None = None,
    threshold: float | None = None,
    partitions: int | None = None,
    **options: Any,
) -> SparkClustering:
    """Group the articles of a Spark DataFrame into stories (see the module docstring).

    ``df`` holds one article per row: ``id_col`` (unique ids, any type that prints stably),
    ``text_col`` (str); with ``title_col`` the text is ``title + "\\n" + text`` (as
    :func:`dupdetect.cluster` does for records with a title). Columns not given are found by the
    local readers' default names (:func:`default_columns`). Rows with a null text are left out.
    ``threshold`` and ``options`` override ``settings`` as in :func:`dupdetect.cluster_texts`.
    ``partitions`` repartitions the documents after numbering them (default: as they come).

    Caches intermediate results and runs the stages eagerly (timings and counts are filled in);
    ``assignments`` and ``pairs`` are cached DataFrames.
    """
    # ~70 lines on purpose: the stages and their timings read top to bottom, each one call
    F = require_spark()
    s = Settings.from_options(settings, threshold=threshold, **options)
    found = default_columns(df.columns)
    if id_col is None and text_col is None and title_col is None:
        title_col = found["title_col"]
    id_col = id_col or found["id_col"]
    text_col = text_col or found["text_col"]
    if id_col is None or text_col is None:
        raise ValueError(
            f"no id or text column among {', '.join(df.columns)}; pass id_col= and text_col="
        )
    _check_columns(df, {"id_col": id_col, "text_col": text_col, "title_col": title_col})
    s.lsh_params  # noqa: B018 - resolved once on the driver, shipped with s
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    t = time.perf_counter()

    docs = _numbered_docs(df, F, id_col, text_col, title_col, partitions)
    ids = docs.select("idx", "id", F.col("id").cast("string").alias("id_str")).cache()
    feats = (
        docs.select("idx", "text")
        .mapInPandas(lambda it: featurize_partition(it, s), FEATURES_SCHEMA)
        .cache()
    )
    row = _first(feats.agg(F.count("*"), F.sum(F.col("short").cast("long"))))
    counts["documents"], counts["short"] = int(row[0]), int(row[1] or 0)
    t = _timed(timings, "featurize", t)

    cand = _candidates(feats, F).cache()
    counts["candidate_pairs"] = cand.count()
    t = _timed(timings, "lsh_candidates", t)

    scored = _verified(cand, feats, F, s).cache()
    row = _first(scored.agg(F.count("*"), F.sum(F.col("strong").cast("long"))))
    counts["prefiltered_pairs"], counts["verified_pairs"] = int(row[0]), int(row[1] or 0)
    strong = scored.where("strong").select("a", "b", "similarity")
    t = _timed(timings, "verify", t)

    labels = _components(strong, F, timings, counts).cache()
    sizes = labels.groupBy("comp").agg(F.count("*").alias("size"))
    counts["multi_components"] = sizes.count()
    t = _timed(timings, "components", t)

    assigned = _split(labels, sizes, feats, ids, scored, F, s).cache()
    assigned = _unique_ids(assigned, ids, F, counts)
    t = _timed(timings, "split", t)

    assignments = (
        assigned.join(ids, "idx").orderBy("idx").select("id", "cluster", "score")
    ).cache()
    ia = ids.select(F.col("idx").alias("a"), F.col("id").alias("id_a"))
    ib = ids.select(F.col("idx").alias("b"), F.col("id").alias("id_b"))
    pairs = (
        strong.join(ia, "a")
        .join(ib, "b")
        .orderBy("a", "b")
        .select(F.col("id_a").alias("a"), F.col("id_b").alias("b"), "similarity")
    ).cache()
    assignments.count()
    _timed(timings, "assemble", t)
    timings["total"] = round(sum(timings.values()), 3)
    return SparkClustering(assignments, pairs, s, timings, counts)


def _resolve_clashes(clashing: DataFrame, ids: DataFrame) -> list[tuple[int, str]]:
    """Cluster ids shared by different clusters: the one whose first member comes first keeps
    it, the others get the longer id (as ``pipeline._cluster_id`` does with its ``taken`` set)."""
    rows = clashing.select("cluster", "first", "idx").join(ids, "idx").collect()
    if not rows:
        return []
    by_first: dict[int, list[str]] = {}
    cid_of: dict[int, str] = {}
    for r in rows:
        by_first.setdefault(r["first"], []).append(r["id_str"])
        cid_of[r["first"]] = r["cluster"]
    taken: set[str] = set()
    fixes = []
    for first in sorted(by_first):
        cid = cluster_id(by_first[first], taken)
        if cid != cid_of[first]:
            fixes.append((first, cid))
    return fixes
