"""The Spark job's shared-features path: when the featurized documents are small enough
(:data:`BROADCAST_BYTES`), the driver collects them once and broadcasts them, and the stages
run the core's own batch code on them inside tasks, with no per-pair join:

    feats --collect + broadcast--> SharedFeatures (doc numbers, core Features, id strings)
    range(bands) --mapInPandas(band pairs)--> pairs of one band, MinHash-filtered as found
      --distinct--> mapInPandas(score)--> a, b, similarity, strong
    components (collected on the driver) --mapInPandas(split)--> idx, cluster, score, first

Each band task is :func:`dupdetect.lsh.propose` restricted to its bands (same keys, same
buckets, same ``prefilter * candidate_threshold`` floor), so chance collisions are dropped
where they are found and only the kept pairs reach a shuffle. Scoring and the split read
the same :class:`dupdetect.features.Features` the local pipeline builds, so the results are
the local ones.

Scaling: every executor holds the whole broadcast (signatures ``4 * num_perm`` bytes per
document plus its term vectors: 3.4 KB per SaudiNewsNet article), and the driver builds it;
past :func:`broadcast_limit` the driver takes the shuffle path of :mod:`.driver` instead.
Within the bound, banding is ``bands`` sorts of the eligible documents split across tasks and
scoring is linear in the kept pairs, both spread over every core.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..features import Features
from ..grouping import all_pairs, cluster_id, pair_thresholds
from ..lsh import band_codes, low_bytes
from ..settings import DENSE_COMPONENT, Settings
from .partitions import VECTOR_COLUMNS, features_of, split_members, split_scored

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "BROADCAST_BYTES",
    "broadcast_limit",
    "SharedFeatures",
    "collect_shared",
    "shared_band_pairs",
    "shared_verify",
    "shared_split",
    "COMPONENTS_SCHEMA",
    "arrow",
    "balanced_order",
    "to_pandas",
]

#: Upper bound on the features the driver collects and broadcasts by default (bytes of the
#: signature and term-vector columns); see :func:`broadcast_limit`.
BROADCAST_BYTES = 1 << 30

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def _size(text: str, default: int) -> int:
    """Bytes of a Spark size setting (``4g``, ``512m``, ``1024k``, a plain number of bytes)."""
    t = text.strip().lower().rstrip("b")
    try:
        return int(float(t[:-1]) * _UNITS[t[-1]]) if t and t[-1] in _UNITS else int(t)
    except ValueError:
        return default


def broadcast_limit(spark: SparkSession) -> int:
    """The default bound of the shared path: an eighth of ``spark.driver.memory`` (the driver
    holds the collected columns, their pandas copy and the pickled broadcast at once), at most
    half of ``spark.driver.maxResultSize`` and :data:`BROADCAST_BYTES`. With Spark's defaults
    (1g, 1g) 128 MiB, about 38,000 news articles at 3.4 KB each."""
    conf = spark.sparkContext.getConf()
    memory = _size(conf.get("spark.driver.memory", "1g") or "1g", 1 << 30)
    result = _size(conf.get("spark.driver.maxResultSize", "1g") or "1g", 1 << 30)
    limit = min(BROADCAST_BYTES, memory // 8)
    return min(limit, result // 2) if result > 0 else limit


#: One connected component per row: member doc numbers (sorted), and for components above
#: ``DENSE_COMPONENT`` members their scored pairs (``ea, eb, es``; empty otherwise).
COMPONENTS_SCHEMA = "members array<long>, ea array<long>, eb array<long>, es array<double>"


@dataclass
class SharedFeatures:
    """The featurized documents in input order: ``idx`` (sorted doc numbers), the core
    ``features`` (row ``i`` is document ``idx[i]``) and each document's id as text."""

    idx: np.ndarray
    features: Features
    ids: list[str]
    _low: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """Row positions of doc numbers ``idx`` (all of them present)."""
        return np.searchsorted(self.idx, np.asarray(idx, dtype=np.int64))

    def low_bytes(self) -> np.ndarray:
        """:func:`dupdetect.lsh.low_bytes` of the signatures, made once per process."""
        if self._low is None:
            self._low = low_bytes(self.features.signatures)
        return self._low


def collect_shared(feats: DataFrame, ids: DataFrame, settings: Settings) -> SharedFeatures:
    """Collect ``feats`` and ``ids``' ``id_str`` on the driver, ordered by doc number (two
    collects, no join: both hold every document once)."""
    frame = to_pandas(feats.select("idx", "short", "sig", *VECTOR_COLUMNS))
    frame = frame.sort_values("idx", kind="stable").reset_index(drop=True)
    names = to_pandas(ids.select("idx", "id_str")).sort_values("idx", kind="stable")
    idx = frame["idx"].to_numpy(np.int64)
    if not np.array_equal(idx, names["idx"].to_numpy(np.int64)):  # pragma: no cover
        raise RuntimeError("features and ids of the Spark job disagree on the documents")
    f = features_of(frame, num_perm=settings.num_perm)
    f.short = frame["short"].to_numpy(bool)
    return SharedFeatures(idx, f, [str(x) for x in names["id_str"]])


@contextmanager
def arrow(spark: SparkSession) -> Iterator[None]:
    """Arrow for ``toPandas`` and ``createDataFrame(pandas)`` (row by row they are ~10x
    slower), the session's setting restored afterwards."""
    conf = spark.conf
    key = "spark.sql.execution.arrow.pyspark.enabled"
    before = conf.get(key, "false")
    conf.set(key, "true")
    try:
        yield
    finally:
        conf.set(key, before or "false")


def balanced_order(costs: np.ndarray, parts: int) -> np.ndarray:
    """A row order whose ``parts`` contiguous slices, cut as Spark cuts local rows into
    partitions (slice ``k``: rows ``k * n // parts`` up to ``(k + 1) * n // parts``), carry
    about equal cost: rows taken largest cost first, each into the slice with the least cost
    so far that has room (longest processing time first)."""
    costs = np.asarray(costs, dtype=np.float64)
    n = costs.size
    room = [(k + 1) * n // parts - k * n // parts for k in range(parts)]
    rows: list[list[int]] = [[] for _ in range(parts)]
    heap = [(0.0, k) for k in range(parts) if room[k]]
    for i in np.argsort(-costs, kind="stable").tolist():
        load, k = heapq.heappop(heap)
        rows[k].append(i)
        if len(rows[k]) < room[k]:  # a full slice leaves the heap
            heapq.heappush(heap, (load + float(costs[i]), k))
    return np.array([i for r in rows for i in r], dtype=np.int64)


def to_pandas(df: DataFrame) -> pd.DataFrame:
    """``df.toPandas()`` through Arrow."""
    with arrow(df.sparkSession):
        return df.toPandas()


def shared_band_pairs(
    batches: Iterator[pd.DataFrame], shared: Any, settings: Settings
) -> Iterator[pd.DataFrame]:
    """``band`` numbers -> the pairs ``a < b`` (doc numbers) that share a bucket in those bands
    and whose MinHash estimate passes ``prefilter * candidate_threshold``, repeats within the
    task dropped. ``shared``: a broadcast :class:`SharedFeatures`."""
    import pandas as pd

    sf: SharedFeatures = shared.value
    f = sf.features
    _, rows = settings.lsh_params
    floor = settings.prefilter * settings.candidate_threshold
    eligible = np.flatnonzero(~f.short)
    low = sf.low_bytes()
    for batch in batches:
        found = [
            codes
            for b in batch["band"].tolist()
            for codes in band_codes(
                f.signatures, eligible, rows, (b, b + 1), min_estimate=floor, low=low
            )
        ]
        if not found:
            continue
        codes = np.unique(np.concatenate(found))
        yield pd.DataFrame({"a": sf.idx[codes >> 32], "b": sf.idx[codes & 0xFFFFFFFF]})


def shared_verify(
    batches: Iterator[pd.DataFrame], shared: Any, settings: Settings
) -> Iterator[pd.DataFrame]:
    """Pairs ``a, b`` (doc numbers) -> the core score, ``similarity`` and ``strong``."""
    import pandas as pd

    sf: SharedFeatures = shared.value
    for batch in batches:
        if len(batch) == 0:
            continue
        a, b = batch["a"].to_numpy(np.int64), batch["b"].to_numpy(np.int64)
        pairs = np.stack([sf.rows(a), sf.rows(b)], axis=1)
        sims = sf.features.similarities(pairs)
        yield pd.DataFrame(
            {
                "a": a,
                "b": b,
                "similarity": sims.astype(np.float64),
                "strong": sims >= pair_thresholds(sf.features.latin, pairs, settings),
            }
        )


def shared_split(
    batches: Iterator[pd.DataFrame], shared: Any, settings: Settings
) -> Iterator[pd.DataFrame]:
    """Components (:data:`COMPONENTS_SCHEMA`) -> their average-linkage clusters, member scores
    and cluster ids (``idx, cluster, score, first``), by :func:`.partitions.split_members`."""
    import pandas as pd

    sf: SharedFeatures = shared.value
    for batch in batches:
        out: list[tuple[int, str, float, int]] = []
        small: list[np.ndarray] = []  # components of 2..DENSE_COMPONENT members: scored at once
        for members, ea, eb, es in zip(
            batch["members"], batch["ea"], batch["eb"], batch["es"], strict=True
        ):
            idx = np.asarray(members, dtype=np.int64)
            if idx.size == 1:  # alone: its own cluster, score 1.0 (as split_members says)
                row = int(sf.rows(idx)[0])
                out.append((int(idx[0]), cluster_id([sf.ids[row]], set()), 1.0, int(idx[0])))
            elif idx.size <= DENSE_COMPONENT:
                small.append(idx)
            else:
                rows = sf.rows(idx)
                edges = (np.asarray(ea, np.int64), np.asarray(eb, np.int64), np.asarray(es))
                feats = _take(sf.features, rows)
                out.extend(split_members(idx, [sf.ids[r] for r in rows], feats, edges, settings))
        out.extend(_split_small(small, sf, settings))
        if out:
            yield pd.DataFrame(out, columns=["idx", "cluster", "score", "first"])


def _split_small(
    comps: list[np.ndarray], sf: SharedFeatures, settings: Settings
) -> list[tuple[int, str, float, int]]:
    """:func:`.partitions.split_members` of components of at most ``DENSE_COMPONENT`` members,
    every pair of all of them scored in one call (as :func:`dupdetect.grouping.group` does)."""
    if not comps:
        return []
    rows = [sf.rows(c) for c in comps]
    pairs = all_pairs([r.tolist() for r in rows])
    sims = sf.features.similarities(pairs)
    out: list[tuple[int, str, float, int]] = []
    at = 0
    for idx, r in zip(comps, rows, strict=True):
        n = len(r) * (len(r) - 1) // 2
        latin = bool(sf.features.latin[r].all())
        out.extend(split_scored(idx, [sf.ids[x] for x in r], latin, sims[at : at + n], settings))
        at += n
    return out


def _take(f: Features, rows: np.ndarray) -> Features:
    """The term vectors and scripts of ``rows`` (what the score and the cut read)."""
    return Features(
        unigrams=f.unigrams.take(rows),
        bigrams=f.bigrams.take(rows),
        n_terms=np.zeros(rows.size, dtype=np.int64),
        signatures=np.zeros((rows.size, 0), dtype=np.uint32),
        short=np.zeros(rows.size, dtype=bool),
        latin=f.latin[rows],
    )
