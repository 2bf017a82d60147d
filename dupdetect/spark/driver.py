"""The Spark driver: the stages of the batch job as DataFrame operations over the per-partition
functions of :mod:`dupdetect.spark.partitions` (see :mod:`dupdetect.spark` for the picture)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..grouping import cluster_id
from ..linkage import components
from ..settings import DENSE_COMPONENT, Settings
from .partitions import (
    FEATURES_SCHEMA,
    PAIRS_SCHEMA,
    SCORED_SCHEMA,
    SPLIT_SCHEMA,
    VECTOR_COLUMNS,
    bucket_pairs_partition,
    featurize_partition,
    singletons_partition,
    split_component,
    verify_partition,
)
from .result import SparkClustering
from .shared import (
    COMPONENTS_SCHEMA,
    arrow,
    balanced_order,
    broadcast_limit,
    collect_shared,
    shared_band_pairs,
    shared_split,
    shared_verify,
    to_pandas,
)

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["cluster_dataframe", "default_columns", "require_spark", "MAX_ROUNDS", "LOCAL_EDGES"]

INSTALL = 'pip install "dupdetect[spark]"'
#: Stop label propagation after this many rounds (each round at least doubles the reach).
MAX_ROUNDS = 64
#: Default bound on the scored pairs the driver collects to find connected components itself
#: (union-find, ~1 s per million edges, 24 bytes each); above it, label propagation in Spark.
LOCAL_EDGES = 20_000_000


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


@dataclass
class _Run:
    """What a run reports (:class:`SparkClustering` ``timings`` and ``counts``): seconds per
    stage, each from the end of the one before, and the sizes seen on the way."""

    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    start: float = field(default_factory=time.perf_counter)

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.start = now


def _components(strong: DataFrame, F: Any, counts: dict[str, int]) -> DataFrame:
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


def _candidates(feats: DataFrame, F: Any, s: Settings) -> DataFrame:
    """LSH banding as a shuffle: (band, key) buckets carrying their members' signatures ->
    distinct pairs ``a < b`` whose MinHash estimate passes the prefilter, dropped in the bucket
    task as :func:`dupdetect.lsh.propose` drops them, so chance collisions never reach a shuffle
    (on 31,030 articles 0.34 M pairs are kept of 4.16 M; joining signatures onto all of them
    took half the job). The shuffle carries ``bands`` signatures per document."""
    buckets = (
        feats.where(~F.col("short"))
        .select("idx", "sig", F.posexplode("keys").alias("band", "key"))
        .groupBy("band", "key")
        .agg(F.collect_list(F.struct("idx", "sig")).alias("m"))
        .where(F.size("m") >= 2)
        .select(F.col("m.idx").alias("members"), F.col("m.sig").alias("sigs"))
    )
    return buckets.mapInPandas(lambda it: bucket_pairs_partition(it, s), PAIRS_SCHEMA).distinct()


def _shared_candidates(feats: DataFrame, shared: Any, F: Any, s: Settings) -> DataFrame:
    """LSH banding inside tasks over the broadcast signatures: a task per few bands, each band
    filtered as it is found (:func:`.shared.shared_band_pairs`), then one distinct."""
    spark = feats.sparkSession
    bands, _ = s.lsh_params
    slices = max(1, min(bands, 4 * spark.sparkContext.defaultParallelism))
    return (
        spark.range(0, bands, 1, numPartitions=slices)
        .select(F.col("id").alias("band"))
        .mapInPandas(lambda it: shared_band_pairs(it, shared, s), PAIRS_SCHEMA)
        .distinct()
    )


def _verified(cand: DataFrame, feats: DataFrame, F: Any, s: Settings) -> DataFrame:
    """Join both documents' term vectors onto the (already prefiltered) pairs and score them."""

    def side(x: str, cols: list[str]) -> DataFrame:
        return feats.select(F.col("idx").alias(x), *[F.col(c).alias(f"{c}_{x}") for c in cols])

    vec = VECTOR_COLUMNS
    return (
        cand.join(side("a", vec), "a")
        .join(side("b", vec), "b")
        .mapInPandas(lambda it: verify_partition(it, s), SCORED_SCHEMA)
    )


def _scored(feats: DataFrame, shared: Any, F: Any, s: Settings, run: _Run) -> DataFrame:
    """The candidate pairs, prefiltered and scored (``a, b, similarity, strong``; cached).
    Shared path: banding, the distinct and the score run as one job, so the kept pairs are
    never cached or counted apart (one timing, ``lsh_and_verify``); shuffle path: the pairs are
    cached before the term vectors are joined onto them (``lsh_candidates``, ``verify``)."""
    strong = F.sum(F.col("strong").cast("long"))
    if shared is not None:
        scored = (
            _shared_candidates(feats, shared, F, s)
            .mapInPandas(lambda it: shared_verify(it, shared, s), SCORED_SCHEMA)
            .cache()
        )
        row = _first(scored.agg(F.count("*"), strong))
        run.counts["prefiltered_pairs"] = int(row[0])
        run.counts["verified_pairs"] = int(row[1] or 0)
        run.done("lsh_and_verify")
        return scored
    cand = _candidates(feats, F, s).cache()
    run.counts["prefiltered_pairs"] = cand.count()
    run.done("lsh_candidates")
    scored = _verified(cand, feats, F, s).cache()
    run.counts["verified_pairs"] = int(_first(scored.agg(strong))[0] or 0)
    run.done("verify")
    return scored


def _local_components(scored: Any) -> list[np.ndarray]:
    """Components (sorted doc numbers, 2+ members, ordered by their first) of the strong
    edges of ``scored`` (a pandas frame), by the local union-find."""
    strong = scored[scored["strong"]]
    ends = np.stack([strong["a"].to_numpy(np.int64), strong["b"].to_numpy(np.int64)], axis=1)
    nodes, inverse = np.unique(ends, return_inverse=True)
    return [nodes[c] for c in components(len(nodes), inverse.reshape(-1, 2)) if len(c) > 1]


def _labels_frame(spark: Any, comps: list[np.ndarray]) -> DataFrame:
    """``node, comp`` (comp = the component's smallest node), as :func:`_components` gives."""
    import pandas as pd

    nodes = np.concatenate(comps) if comps else np.zeros(0, np.int64)
    label = np.repeat([c[0] for c in comps], [len(c) for c in comps]).astype(np.int64)
    with arrow(spark):
        return spark.createDataFrame(
            pd.DataFrame({"node": nodes, "comp": label}), "node long, comp long"
        )


def _components_frame(spark: Any, comps: list[np.ndarray], scored: Any, shared: Any) -> DataFrame:
    """One row per component (:data:`.shared.COMPONENTS_SCHEMA`), singletons included (every
    document gets its cluster from the split); components above ``DENSE_COMPONENT`` carry
    their scored pairs."""
    import pandas as pd

    in_comp = np.concatenate(comps) if comps else np.zeros(0, np.int64)
    alone = np.setdiff1d(shared.value.idx, in_comp, assume_unique=True)
    members = [c.tolist() for c in comps] + [[int(i)] for i in alone]
    empty: list[Any] = [[] for _ in members]
    ea, eb, es = list(empty), list(empty), list(empty)
    # a row's work is the pairs its split reads: every pair of a component up to
    # DENSE_COMPONENT members, the scored pairs of a larger one
    cost = [len(m) * (len(m) - 1) // 2 + 2 for m in members]
    a, b = scored["a"].to_numpy(np.int64), scored["b"].to_numpy(np.int64)
    for k, c in enumerate(comps):
        if len(c) > DENSE_COMPONENT:
            inside = np.isin(a, c) & np.isin(b, c)
            ea[k], eb[k] = a[inside].tolist(), b[inside].tolist()
            es[k] = scored["similarity"].to_numpy(np.float64)[inside].tolist()
            cost[k] = len(ea[k]) + 2
    # the rows become defaultParallelism partitions, cut in row order; components come first
    # in ``members``, so in that order the first task would split them all: order the rows so
    # that each partition gets about the same work
    order = balanced_order(np.array(cost), spark.sparkContext.defaultParallelism)
    frame = pd.DataFrame({"members": members, "ea": ea, "eb": eb, "es": es}).iloc[order]
    with arrow(spark):
        return spark.createDataFrame(frame, COMPONENTS_SCHEMA)


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


def _graph_and_split(
    feats: DataFrame,
    ids: DataFrame,
    scored: DataFrame,
    strong: DataFrame,
    shared: Any,
    local: bool,
    F: Any,
    s: Settings,
    run: _Run,
) -> DataFrame:
    """Components (on the driver when ``local``, else in Spark; their time is the run's
    ``components``), then the per-component split: ``idx, cluster, score, first`` of every
    document (cached, not yet computed)."""
    spark = feats.sparkSession
    if local:
        scored_pd = to_pandas(scored)
        comps = _local_components(scored_pd)
        run.counts["multi_components"] = len(comps)
        if shared is not None:
            run.done("components")
            frame = _components_frame(spark, comps, scored_pd, shared)
            return frame.mapInPandas(lambda it: shared_split(it, shared, s), SPLIT_SCHEMA).cache()
        labels = _labels_frame(spark, comps).cache()
    else:
        labels = _components(strong, F, run.counts).cache()
    sizes = labels.groupBy("comp").agg(F.count("*").alias("size"))
    run.counts["multi_components"] = sizes.count()
    run.done("components")
    return _split(labels, sizes, feats, ids, scored, F, s).cache()


def cluster_dataframe(
    df: DataFrame,
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    title_col: str | None = None,
    settings: Settings | None = None,
    threshold: float | None = None,
    partitions: int | None = None,
    broadcast_bytes: int | None = None,
    local_edges: int | None = None,
    **options: Any,
) -> SparkClustering:
    """Group the articles of a Spark DataFrame into stories (see the module docstring).

    ``df`` holds one article per row: ``id_col`` (unique ids, any type that prints stably),
    ``text_col`` (str); with ``title_col`` the text is ``title + "\\n" + text`` (as
    :func:`dupdetect.cluster` does for records with a title). Columns not given are found by the
    local readers' default names (:func:`default_columns`). Rows with a null text are left out.
    ``threshold`` and ``options`` override ``settings`` as in :func:`dupdetect.cluster_texts`.
    ``partitions`` repartitions the documents after numbering them (default: as they come).

    Two bounds choose how the stages run (the result is the same either way):
    ``broadcast_bytes`` (default :func:`.shared.broadcast_limit`: an eighth of the driver's
    memory, at most 1 GiB; 0: never): featurized
    documents up to this size are collected once and broadcast, and banding, scoring and the
    split run the core's batch code inside tasks (:mod:`.shared`); above it, banding is a
    shuffle of (band, key) buckets carrying signatures and the term vectors are joined onto the
    pairs. ``local_edges`` (default :data:`LOCAL_EDGES`; 0: never): up to this many scored pairs
    are collected and their connected components found on the driver by union-find; above it,
    by label propagation in Spark.

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
    run = _Run()
    counts = run.counts

    docs = _numbered_docs(df, F, id_col, text_col, title_col, partitions)
    ids = docs.select("idx", "id", F.col("id").cast("string").alias("id_str")).cache()
    feats = (
        docs.select("idx", "text")
        .mapInPandas(lambda it: featurize_partition(it, s), FEATURES_SCHEMA)
        .cache()
    )
    size = sum(F.coalesce(F.sum(F.length(c)), F.lit(0)) for c in ("sig", *VECTOR_COLUMNS[:4]))
    row = _first(feats.agg(F.count("*"), F.sum(F.col("short").cast("long")), size))
    counts["documents"], counts["short"] = int(row[0]), int(row[1] or 0)
    counts["feature_bytes"] = int(row[2] or 0)  # signatures and term vectors
    run.done("featurize")

    shared = None
    spark = feats.sparkSession
    bound = broadcast_limit(spark) if broadcast_bytes is None else broadcast_bytes
    if counts["feature_bytes"] <= bound:
        shared = spark.sparkContext.broadcast(collect_shared(feats, ids, s))
        run.done("share")
    counts["shared_features"] = int(shared is not None)

    scored = _scored(feats, shared, F, s, run)
    strong = scored.where("strong").select("a", "b", "similarity")

    limit = LOCAL_EDGES if local_edges is None else local_edges
    local = counts["prefiltered_pairs"] <= limit
    assigned = _graph_and_split(feats, ids, scored, strong, shared, local, F, s, run)
    assigned = _unique_ids(assigned, ids, F, counts)
    run.done("split")

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
    run.done("assemble")
    run.timings["total"] = round(sum(run.timings.values()), 3)
    return SparkClustering(assignments, pairs, s, run.timings, counts)


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
