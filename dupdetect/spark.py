"""The batch job on Apache Spark: the same clustering as :func:`dupdetect.cluster_texts`.

Needs ``pip install "dupdetect[spark]"`` (pyspark with pandas and pyarrow, and a Java runtime).
pyspark is imported only when a Spark function is called.

The job is a handful of per-partition functions (plain pandas in, pandas out; they call the
core's own code, so normalization, shingles, signatures and scores are computed by the very code
:func:`dupdetect.cluster` runs) and a thin driver that wires them with DataFrame operations:

    docs --mapInPandas(featurize)--> idx, signature, term vectors, LSH band keys     (cached)
      --explode (band, key), groupBy--> buckets --mapInPandas(bucket pairs)--> candidate pairs
      --distinct, join both docs' features--> mapInPandas(verify): MinHash prefilter + score
      --strong edges--> connected components by min-label propagation (iterative joins)
      --cogroup(component members, component edges).applyInPandas(split)--> average linkage,
        member scores and cluster ids per component; singletons get theirs in a map

Equality with the local pipeline: the same input (same ids, same texts, same order) gives the
same clusters, cluster ids and member scores (to float rounding, < 1e-6) and the same verified
pairs. Row order only breaks exact ties, as in :mod:`dupdetect.pipeline`; here it is the input
DataFrame's order (``monotonically_increasing_id`` before any repartitioning).

Run it::

    python -m dupdetect.spark INPUT OUTPUT [--master local[4]] [--threshold 0.35]
    spark-submit --master yarn --py-files dupdetect.zip -m dupdetect.spark ...  # see README
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .features import Features, TermMatrix, featurize
from .grouping import cluster_id, member_scores
from .linkage import average_linkage
from .lsh import MAX_BUCKET, band_keys, estimated_jaccard_pairs
from .settings import DENSE_COMPONENT, PREFILTER_FRACTION, Settings

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["cluster_dataframe", "cluster_path", "SparkClustering", "main"]

_INSTALL = 'pip install "dupdetect[spark]"'
#: Stop label propagation after this many rounds (each round at least doubles the reach).
MAX_ROUNDS = 64


def _require_spark() -> Any:
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import functions as F
    except ImportError as e:
        raise ImportError(f"dupdetect.spark needs pyspark: {_INSTALL} (and a Java runtime)") from e
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f"dupdetect.spark runs its partition functions with pandas and pyarrow: {_INSTALL} "
            '(or pip install "pyspark[sql]")'
        ) from e
    return F


# ----------------------------------------------------------------------------- schemas (DDL)
_FEATURES_SCHEMA = (
    "idx long, short boolean, n_terms long, sig binary, uni_ids binary, uni_w binary, "
    "bi_ids binary, bi_w binary, keys array<long>"
)
_PAIRS_SCHEMA = "a long, b long"
_SCORED_SCHEMA = "a long, b long, similarity double, strong boolean"
_SPLIT_SCHEMA = "idx long, cluster string, score double, first long"


# ----------------------------------------------------------------------------- partition functions
def _blob(a: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(a, dtype=dtype).tobytes()


def _matrix(ids: Sequence[bytes], weights: Sequence[bytes]) -> TermMatrix:
    """A TermMatrix from per-row little-endian blobs (what :func:`featurize_partition` stores)."""
    lens = np.fromiter((len(b) // 4 for b in ids), dtype=np.int64, count=len(ids))
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return TermMatrix(
        np.frombuffer(b"".join(ids), dtype="<u4").astype(np.uint32),
        np.frombuffer(b"".join(weights), dtype="<f4").astype(np.float32),
        offsets,
    )


def _features(frame: pd.DataFrame, suffix: str = "", num_perm: int | None = None) -> Features:
    """Rebuild core :class:`Features` from stored columns (``uni_ids{suffix}``, ...)."""
    n = len(frame)
    if num_perm is not None and n:
        sig = np.frombuffer(b"".join(frame["sig" + suffix]), dtype="<u4").astype(np.uint32)
        signatures = sig.reshape(n, num_perm)
    else:
        signatures = np.zeros((n, num_perm or 0), dtype=np.uint32)
    return Features(
        unigrams=_matrix(list(frame["uni_ids" + suffix]), list(frame["uni_w" + suffix])),
        bigrams=_matrix(list(frame["bi_ids" + suffix]), list(frame["bi_w" + suffix])),
        n_terms=np.zeros(n, dtype=np.int64),
        signatures=signatures,
        short=np.zeros(n, dtype=bool),
    )


def _concat(a: Features, b: Features) -> Features:
    def cat(x: TermMatrix, y: TermMatrix) -> TermMatrix:
        return TermMatrix(
            np.concatenate([x.ids, y.ids]),
            np.concatenate([x.weights, y.weights]),
            np.concatenate([x.offsets, y.offsets[1:] + x.offsets[-1]]),
        )

    return Features(
        cat(a.unigrams, b.unigrams),
        cat(a.bigrams, b.bigrams),
        np.concatenate([a.n_terms, b.n_terms]),
        np.concatenate([a.signatures, b.signatures]),
        np.concatenate([a.short, b.short]),
    )


def featurize_partition(
    batches: Iterator[pd.DataFrame], settings: Settings
) -> Iterator[pd.DataFrame]:
    """``idx, text`` -> per-document features and LSH band keys (core :func:`featurize`)."""
    import pandas as pd

    bands, rows = settings.lsh_params
    for batch in batches:
        texts = [t if isinstance(t, str) else "" for t in batch["text"]]
        f = featurize(texts, settings)
        n = len(f)
        keys = np.zeros((n, bands), dtype=np.uint64)
        for b in range(bands):
            keys[:, b] = band_keys(f.signatures, b * rows, (b + 1) * rows)
        keys_i = keys.view(np.int64)
        uo, bo = f.unigrams.offsets, f.bigrams.offsets
        yield pd.DataFrame(
            {
                "idx": batch["idx"].to_numpy(np.int64),
                "short": f.short,
                "n_terms": f.n_terms,
                "sig": [_blob(s, "<u4") for s in f.signatures],
                "uni_ids": [_blob(f.unigrams.ids[uo[i] : uo[i + 1]], "<u4") for i in range(n)],
                "uni_w": [_blob(f.unigrams.weights[uo[i] : uo[i + 1]], "<f4") for i in range(n)],
                "bi_ids": [_blob(f.bigrams.ids[bo[i] : bo[i + 1]], "<u4") for i in range(n)],
                "bi_w": [_blob(f.bigrams.weights[bo[i] : bo[i + 1]], "<f4") for i in range(n)],
                "keys": [np.zeros(0, np.int64) if f.short[i] else keys_i[i] for i in range(n)],
            }
        )


def bucket_pairs_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """LSH buckets (``members``: doc indices sharing one band key) -> candidate pairs ``a < b``.

    A bucket of more than :data:`dupdetect.lsh.MAX_BUCKET` members is linked as a star around
    its first member plus a chain, exactly like the local banding.
    """
    import pandas as pd

    for batch in batches:
        out_a: list[np.ndarray] = []
        out_b: list[np.ndarray] = []
        for members in batch["members"]:
            m = np.unique(np.asarray(members, dtype=np.int64))
            k = m.size
            if k < 2:
                continue
            if k > MAX_BUCKET:
                out_a += [np.repeat(m[0], k - 1), m[1:-1]]
                out_b += [m[1:], m[2:]]
            else:
                iu, ju = np.triu_indices(k, k=1)
                out_a.append(m[iu])
                out_b.append(m[ju])
        if out_a:
            yield pd.DataFrame({"a": np.concatenate(out_a), "b": np.concatenate(out_b)})


def verify_partition(batches: Iterator[pd.DataFrame], settings: Settings) -> Iterator[pd.DataFrame]:
    """Candidate pairs with both documents' features -> MinHash prefilter, then the core score.

    Keeps the pairs whose estimate passes ``PREFILTER_FRACTION * candidate_threshold`` (as
    :func:`dupdetect.grouping.group` does), with ``similarity`` and ``strong`` (>= threshold),
    both computed with the same numpy expressions as the local pipeline.
    """
    import pandas as pd

    for batch in batches:
        m = len(batch)
        if m == 0:
            continue
        both = _concat(
            _features(batch, "_a", settings.num_perm), _features(batch, "_b", settings.num_perm)
        )
        local = np.stack([np.arange(m), np.arange(m) + m], axis=1).astype(np.int64)
        est = estimated_jaccard_pairs(both.signatures, local)
        keep = est >= PREFILTER_FRACTION * settings.candidate_threshold
        local = local[keep]
        sims = both.similarities(local) if len(local) else np.zeros(0, np.float32)
        strong = sims >= settings.threshold
        yield pd.DataFrame(
            {
                "a": batch["a"].to_numpy(np.int64)[keep],
                "b": batch["b"].to_numpy(np.int64)[keep],
                "similarity": sims.astype(np.float64),
                "strong": strong,
            }
        )


def split_component(members: pd.DataFrame, edges: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One connected component -> its average-linkage clusters, member scores and cluster ids.

    ``members``: ``idx, id_str`` and term-vector columns; ``edges``: the component's scored
    candidate pairs ``a, b, similarity`` (used only above ``DENSE_COMPONENT`` members, where the
    local pipeline also uses the proposed pairs only). Same rules as
    :func:`dupdetect.grouping.group` and ``_run``.
    """
    import pandas as pd

    members = members.sort_values("idx", kind="stable").reset_index(drop=True)
    k = len(members)
    idx = members["idx"].to_numpy(np.int64)
    ids = [str(x) for x in members["id_str"]]
    feats = _features(members)
    pos = list(range(k))
    if k <= 2:
        groups = [pos]
    elif k <= DENSE_COMPONENT:
        iu, ju = np.triu_indices(k, k=1)
        cp = np.stack([iu, ju], axis=1).astype(np.int64)
        sims = feats.similarities(cp).tolist()
        groups = average_linkage(
            pos, zip(iu.tolist(), ju.tolist(), sims, strict=True), settings.threshold
        )
    else:
        where = {int(v): i for i, v in enumerate(idx)}
        e = edges.sort_values(["a", "b"], kind="stable")
        trip = [
            (where[a], where[b], float(s))
            for a, b, s in zip(
                e["a"].tolist(), e["b"].tolist(), e["similarity"].tolist(), strict=True
            )
            if a in where and b in where
        ]
        groups = average_linkage(pos, trip, settings.threshold)
    out_idx: list[int] = []
    out_cluster: list[str] = []
    out_score: list[float] = []
    out_first: list[int] = []
    for rows in groups:
        scores = member_scores(feats, rows)
        cid = cluster_id([ids[r] for r in rows], set())
        for r, s in zip(rows, scores.tolist(), strict=True):
            out_idx.append(int(idx[r]))
            out_cluster.append(cid)
            out_score.append(float(s))
            out_first.append(int(idx[rows[0]]))
    return pd.DataFrame(
        {"idx": out_idx, "cluster": out_cluster, "score": out_score, "first": out_first}
    )


def singletons_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Documents alone in their component: their own cluster, score 1.0."""
    import pandas as pd

    for batch in batches:
        idx = batch["idx"].to_numpy(np.int64)
        yield pd.DataFrame(
            {
                "idx": idx,
                "cluster": [cluster_id([str(i)], set()) for i in batch["id_str"]],
                "score": np.ones(len(idx)),
                "first": idx,
            }
        )


# ----------------------------------------------------------------------------- result
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

    def write(self, path: str, *, mode: str = "error") -> None:
        """Parquet ``assignments/`` and ``pairs/`` under ``path``, plus ``_dupdetect.json``
        holding the settings and their fingerprint."""
        self.assignments.write.mode(mode).parquet(path.rstrip("/") + "/assignments")
        self.pairs.write.mode(mode).parquet(path.rstrip("/") + "/pairs")
        spark = self.assignments.sparkSession
        meta = json.dumps(
            {
                "fingerprint": self.settings.fingerprint,
                "settings": asdict(self.settings),
                "counts": self.counts,
            },
            default=str,
        )
        spark.createDataFrame([(meta,)], "value string").coalesce(1).write.mode(mode).text(
            path.rstrip("/") + "/_dupdetect.json"
        )

    def summary(self) -> str:
        c = self.counts
        return (
            f"{c.get('documents', '?')} documents -> {c.get('clusters', '?')} clusters, "
            f"{c.get('verified_pairs', '?')} verified pairs"
        )


# ----------------------------------------------------------------------------- driver
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


def cluster_dataframe(
    df: DataFrame,
    *,
    id_col: str = "id",
    text_col: str = "text",
    title_col: str | None = None,
    settings: Settings | None = None,
    threshold: float | None = None,
    partitions: int | None = None,
    **options: Any,
) -> SparkClustering:
    """Group the articles of a Spark DataFrame into stories (see the module docstring).

    ``df`` holds one article per row: ``id_col`` (unique ids, any type that prints stably),
    ``text_col`` (str); with ``title_col`` the text is ``title + "\\n" + text`` (as
    :func:`dupdetect.cluster` does for records with a title). Rows with a null text are left out.
    ``threshold`` and ``options`` override ``settings`` as in :func:`dupdetect.cluster_texts`.
    ``partitions`` repartitions the documents after numbering them (default: as they come).

    Caches intermediate results and runs the stages eagerly (timings and counts are filled in);
    ``assignments`` and ``pairs`` are cached DataFrames.
    """
    F = _require_spark()
    s = Settings.from_options(settings, threshold=threshold, **options)
    for name, col in (("id_col", id_col), ("text_col", text_col)) + (
        (("title_col", title_col),) if title_col else ()
    ):
        if col not in df.columns:
            raise ValueError(
                f"{name}={col!r} is not a column of the DataFrame; columns: {', '.join(df.columns)}"
            )
    bands, rows = s.lsh_params  # resolved on the driver (datasketch), shipped with s
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    t = time.perf_counter()

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
    docs = docs.localCheckpoint()  # fixes idx (a recomputation could renumber)
    ids = docs.select("idx", "id", F.col("id").cast("string").alias("id_str")).cache()
    feats = (
        docs.select("idx", "text")
        .mapInPandas(lambda it: featurize_partition(it, s), _FEATURES_SCHEMA)
        .cache()
    )
    row = _first(feats.agg(F.count("*"), F.sum(F.col("short").cast("long"))))
    counts["documents"], counts["short"] = int(row[0]), int(row[1] or 0)
    t = _timed(timings, "featurize", t)

    # LSH banding as a shuffle: (band, key) buckets -> candidate pairs
    buckets = (
        feats.where(~F.col("short"))
        .select("idx", F.posexplode("keys").alias("band", "key"))
        .groupBy("band", "key")
        .agg(F.collect_list("idx").alias("members"))
        .where(F.size("members") >= 2)
        .select("members")
    )
    cand = buckets.mapInPandas(bucket_pairs_partition, _PAIRS_SCHEMA).distinct().cache()
    counts["candidate_pairs"] = cand.count()
    t = _timed(timings, "lsh_candidates", t)

    # prefilter + verification with the core's scoring, next to both documents' features
    cols = ["sig", "uni_ids", "uni_w", "bi_ids", "bi_w"]

    def side(x: str) -> DataFrame:
        return feats.select(F.col("idx").alias(x), *[F.col(c).alias(f"{c}_{x}") for c in cols])

    scored = (
        cand.join(side("a"), "a")
        .join(side("b"), "b")
        .mapInPandas(lambda it: verify_partition(it, s), _SCORED_SCHEMA)
        .cache()
    )
    row = _first(scored.agg(F.count("*"), F.sum(F.col("strong").cast("long"))))
    counts["prefiltered_pairs"], counts["verified_pairs"] = int(row[0]), int(row[1] or 0)
    strong = scored.where("strong").select("a", "b", "similarity")
    t = _timed(timings, "verify", t)

    labels = _components(strong, F, timings, counts).cache()
    sizes = labels.groupBy("comp").agg(F.count("*").alias("size"))
    counts["multi_components"] = sizes.count()
    t = _timed(timings, "components", t)

    # average-linkage split per component, next to the members' term vectors
    members = (
        labels.join(sizes, "comp")
        .join(
            feats.select(F.col("idx").alias("node"), "uni_ids", "uni_w", "bi_ids", "bi_w"), "node"
        )
        .join(ids.select(F.col("idx").alias("node"), "id_str"), "node")
        .select("comp", F.col("node").alias("idx"), "id_str", "uni_ids", "uni_w", "bi_ids", "bi_w")
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
        .applyInPandas(lambda m, e: split_component(m, e, s), _SPLIT_SCHEMA)
    )
    alone = (
        ids.join(labels.select(F.col("node").alias("idx")), "idx", "left_anti")
        .select("idx", "id_str")
        .mapInPandas(singletons_partition, _SPLIT_SCHEMA)
    )
    assigned = grouped.unionByName(alone).cache()
    # cluster ids: 10 hex digits, longer for a (practically never seen) collision, as locally
    per_id = assigned.groupBy("cluster").agg(F.countDistinct("first").alias("n"))
    row = _first(per_id.agg(F.sum("n"), F.max("n")))
    counts["clusters"] = int(row[0] or 0)
    t = _timed(timings, "split", t)
    fixes: list[tuple[int, str]] = []
    if (row[1] or 0) > 1:
        clash = per_id.where("n > 1").select("cluster")
        fixes = _resolve_clashes(assigned.join(clash, "cluster"), ids)
    if fixes:
        fix_df = assigned.sparkSession.createDataFrame(fixes, "first long, fixed string")
        assigned = (
            assigned.join(fix_df, "first", "left")
            .withColumn("cluster", F.coalesce("fixed", "cluster"))
            .drop("fixed")
        )
    counts["id_clashes"] = len(fixes)

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


def _read(
    spark: SparkSession, path: str, id_col: str, text_col: str, title_col: str | None
) -> tuple[DataFrame, str | None]:
    """A DataFrame ``id, text[, title]`` from parquet, JSON Lines / JSON, or a folder of text or
    HTML files (one article per file, id = the path, decoded like :mod:`dupdetect.io`)."""
    F = _require_spark()
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
        given = path.rstrip("/")
        prefix = "file:" + os.path.abspath(given) if local_dir else None
        files = spark.sparkContext.binaryFiles(path)

        def read_files(part: Iterable[tuple[str, bytes]]) -> Iterable[tuple[str, str, str]]:
            from .io import DecodeError, decode_bytes, extract_html

            for uri, data in part:
                name = uri
                if prefix and uri.startswith(prefix):
                    name = given + uri[len(prefix) :]
                try:
                    text = decode_bytes(data, name=name)
                except DecodeError:
                    continue
                title = ""
                if name.lower().endswith((".html", ".htm")):
                    title, text = extract_html(text)
                elif not name.lower().endswith(".txt"):
                    continue
                yield name, text, title

        df = spark.createDataFrame(
            files.mapPartitions(read_files).sortBy(lambda r: r[0]),
            "id string, text string, title string",
        )
        return df.withColumnRenamed("id", id_col).withColumnRenamed("text", text_col), "title"
    del F
    return df, title_col


def cluster_path(
    spark: SparkSession,
    path: str,
    *,
    id_col: str = "id",
    text_col: str = "text",
    title_col: str | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> SparkClustering:
    """:func:`cluster_dataframe` on parquet, JSON Lines (``.jsonl``/a folder of them), a JSON
    array file, or a folder of ``.txt``/``.html`` files (ids are paths, as in
    :func:`dupdetect.cluster`)."""
    df, title = _read(spark, path, id_col, text_col, title_col)
    return cluster_dataframe(
        df, id_col=id_col, text_col=text_col, title_col=title, settings=settings, **options
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dupdetect.spark INPUT OUTPUT [--master local[4]] [--threshold T] ...``"""
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
    p.add_argument("--id-col", default="id")
    p.add_argument("--text-col", default="text")
    p.add_argument("--title-col", default=None)
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
    p.add_argument("--overwrite", action="store_true")
    a = p.parse_args(argv)
    _require_spark()
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    if existing is None and (a.master or "local").startswith("local"):
        # local workers are fresh interpreters: let them import this very dupdetect
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
        result = cluster_path(
            spark,
            a.input,
            id_col=a.id_col,
            text_col=a.text_col,
            title_col=a.title_col,
            threshold=a.threshold,
            candidate_threshold=a.candidate_threshold,
            partitions=a.partitions,
        )
        result.write(a.output, mode="overwrite" if a.overwrite else "error")
        print(result.summary(), file=sys.stderr)
        print(json.dumps({"timings": result.timings, "counts": result.counts}), file=sys.stderr)
    finally:
        if existing is None:
            spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
