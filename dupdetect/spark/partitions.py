"""The per-partition functions of the Spark job: plain pandas in, pandas out.

Each calls the core's own code (featurize, LSH bucket pairs, MinHash prefilter, the score, average
linkage, member scores, cluster ids), so Spark computes exactly what :func:`dupdetect.cluster`
computes; the driver (:mod:`dupdetect.spark.driver`) only wires them with DataFrame operations.
Term vectors and signatures travel as little-endian byte blobs, one per document.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..features import Features, TermMatrix, featurize
from ..grouping import cluster_id, mean_scores, member_scores, pair_thresholds
from ..linkage import average_linkage
from ..lsh import all_band_keys, estimated_jaccard_pairs, pairs_in_runs
from ..parallel import concat_features
from ..settings import DENSE_COMPONENT, Settings

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "FEATURES_SCHEMA",
    "PAIRS_SCHEMA",
    "SCORED_SCHEMA",
    "SPLIT_SCHEMA",
    "VECTOR_COLUMNS",
    "features_of",
    "featurize_partition",
    "bucket_pairs_partition",
    "verify_partition",
    "split_component",
    "split_members",
    "singletons_partition",
]

FEATURES_SCHEMA = (
    "idx long, short boolean, latin boolean, n_terms long, sig binary, uni_ids binary, "
    "uni_w binary, bi_ids binary, bi_w binary, keys array<long>"
)
PAIRS_SCHEMA = "a long, b long"
SCORED_SCHEMA = "a long, b long, similarity double, strong boolean"
SPLIT_SCHEMA = "idx long, cluster string, score double, first long"


#: The columns the score and the cut read: a document's term vectors and its script (the
#: threshold of a pair of Latin-script documents is ``Settings.latin_threshold``).
VECTOR_COLUMNS = ["uni_ids", "uni_w", "bi_ids", "bi_w", "latin"]


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


def features_of(frame: pd.DataFrame, suffix: str = "", num_perm: int | None = None) -> Features:
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
        latin=frame["latin" + suffix].to_numpy(bool),
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
        keys_i = all_band_keys(f.signatures, bands, rows).view(np.int64)
        uo, bo = f.unigrams.offsets, f.bigrams.offsets
        yield pd.DataFrame(
            {
                "idx": batch["idx"].to_numpy(np.int64),
                "short": f.short,
                "latin": f.latin,
                "n_terms": f.n_terms,
                "sig": [_blob(s, "<u4") for s in f.signatures],
                "uni_ids": [_blob(f.unigrams.ids[uo[i] : uo[i + 1]], "<u4") for i in range(n)],
                "uni_w": [_blob(f.unigrams.weights[uo[i] : uo[i + 1]], "<f4") for i in range(n)],
                "bi_ids": [_blob(f.bigrams.ids[bo[i] : bo[i + 1]], "<u4") for i in range(n)],
                "bi_w": [_blob(f.bigrams.weights[bo[i] : bo[i + 1]], "<f4") for i in range(n)],
                "keys": [np.zeros(0, np.int64) if f.short[i] else keys_i[i] for i in range(n)],
            }
        )


def bucket_pairs_partition(
    batches: Iterator[pd.DataFrame], settings: Settings | None = None
) -> Iterator[pd.DataFrame]:
    """LSH buckets (``members``: doc numbers sharing one band key; with ``settings``, ``sigs``:
    their signatures) -> candidate pairs ``a < b``, by the local banding's own
    :func:`dupdetect.lsh.pairs_in_runs` (one run per bucket, so a bucket of more than
    :data:`dupdetect.lsh.MAX_BUCKET` members is a star plus a chain). With ``settings``, only
    the pairs whose MinHash estimate passes ``settings.prefilter * candidate_threshold`` (as
    :func:`dupdetect.lsh.propose` filters each band)."""
    import pandas as pd

    for batch in batches:
        members = [np.asarray(m, dtype=np.int64) for m in batch["members"]]
        keep = [i for i, m in enumerate(members) if np.unique(m).size >= 2]
        if not keep:
            continue
        order = np.concatenate([members[i] for i in keep])
        runs = np.repeat(np.arange(len(keep), dtype=np.uint64), [members[i].size for i in keep])
        # pairs_in_runs packs two 32-bit numbers into one code, and monotonically_increasing_id
        # puts the partition in the high bits: pair ranks of this batch, then map back
        nodes, first, rank = np.unique(order, return_index=True, return_inverse=True)
        codes = np.unique(pairs_in_runs(rank.astype(np.int64), runs))
        if settings is not None and codes.size:
            k = settings.num_perm
            sigs = b"".join(s for i in keep for s in batch["sigs"].iloc[i])
            sig = np.frombuffer(sigs, dtype="<u4").reshape(-1, k)[first]
            pairs = np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)
            floor = settings.prefilter * settings.candidate_threshold
            codes = codes[estimated_jaccard_pairs(sig, pairs) >= floor]
        yield pd.DataFrame({"a": nodes[codes >> 32], "b": nodes[codes & 0xFFFFFFFF]})


def verify_partition(batches: Iterator[pd.DataFrame], settings: Settings) -> Iterator[pd.DataFrame]:
    """Prefiltered pairs with both documents' term vectors -> the core score, ``similarity`` and
    ``strong`` (>= threshold), computed with the same numpy expressions as the local pipeline."""
    import pandas as pd

    for batch in batches:
        m = len(batch)
        if m == 0:
            continue
        both = concat_features([features_of(batch, "_a"), features_of(batch, "_b")], settings)
        local = np.stack([np.arange(m), np.arange(m) + m], axis=1).astype(np.int64)
        sims = both.similarities(local)
        yield pd.DataFrame(
            {
                "a": batch["a"].to_numpy(np.int64),
                "b": batch["b"].to_numpy(np.int64),
                "similarity": sims.astype(np.float64),
                "strong": sims >= pair_thresholds(both.latin, local, settings),
            }
        )


def split_component(members: pd.DataFrame, edges: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One connected component -> its average-linkage clusters, member scores and cluster ids.

    ``members``: ``idx, id_str`` and term-vector columns; ``edges``: the component's scored
    candidate pairs ``a, b, similarity`` (used only above ``DENSE_COMPONENT`` members, where the
    local pipeline also uses the proposed pairs only). See :func:`split_members`.
    """
    members = members.sort_values("idx", kind="stable").reset_index(drop=True)
    e = (
        edges["a"].to_numpy(np.int64),
        edges["b"].to_numpy(np.int64),
        edges["similarity"].to_numpy(np.float64),
    )
    import pandas as pd

    ids = [str(x) for x in members["id_str"]]
    rows = split_members(members["idx"].to_numpy(np.int64), ids, features_of(members), e, settings)
    return pd.DataFrame(rows, columns=["idx", "cluster", "score", "first"])


def split_members(
    idx: np.ndarray,
    ids: list[str],
    feats: Features,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    settings: Settings,
) -> list[tuple[int, str, float, int]]:
    """A component's members (doc numbers ``idx`` in ascending order, their ``ids`` and term
    vectors ``feats``) -> rows ``idx, cluster, score, first`` of its average-linkage clusters
    (``first``: the cluster's first member).

    ``edges``: doc numbers ``a, b`` and scores of the component's scored candidate pairs, read
    only above ``DENSE_COMPONENT`` members (smaller ones have every pair scored). Same rules as
    :func:`dupdetect.grouping.group` and ``_run``.
    """

    k = len(idx)
    if 2 < k <= DENSE_COMPONENT:
        iu, ju = np.triu_indices(k, k=1)
        sims = feats.similarities(np.stack([iu, ju], axis=1).astype(np.int64))
        return split_scored(idx, ids, bool(feats.latin.all()), sims, settings)
    thr = settings.threshold_for(bool(feats.latin.all()))  # as grouping.group cuts a component
    pos = list(range(k))
    if k <= 2:
        groups = [pos]
    else:
        where = {int(v): i for i, v in enumerate(idx)}
        ea, eb, es = edges
        order = np.lexsort((eb, ea))
        trip = [
            (where[a], where[b], float(s))
            for a, b, s in zip(ea[order].tolist(), eb[order].tolist(), es[order].tolist())
            if a in where and b in where
        ]
        groups = average_linkage(pos, trip, thr)
    return _rows_of(idx, ids, groups, [member_scores(feats, rows) for rows in groups])


def split_scored(
    idx: np.ndarray, ids: list[str], latin: bool, sims: np.ndarray, settings: Settings
) -> list[tuple[int, str, float, int]]:
    """:func:`split_members` of a component of at most ``DENSE_COMPONENT`` members from the
    scores of all its pairs (``sims``, float32, ``np.triu_indices(len(idx), 1)`` order): the
    linkage and the member scores read them, nothing is scored again."""
    k = len(idx)
    iu, ju = np.triu_indices(k, k=1)
    if k <= 2:
        groups = [list(range(k))]
    else:
        edges = zip(iu.tolist(), ju.tolist(), sims.tolist(), strict=True)
        groups = average_linkage(list(range(k)), edges, settings.threshold_for(latin))
    full = np.zeros((k, k), dtype=np.float32)
    full[iu, ju] = sims
    scores = []
    for rows in groups:
        r = np.asarray(rows, dtype=np.int64)
        a, b = np.triu_indices(len(r), k=1)
        pair = full[r[a], r[b]].astype(np.float64)  # member_scores' float32 -> float64
        scores.append(mean_scores(len(r), pair) if len(r) > 1 else np.ones(1))
    return _rows_of(idx, ids, groups, scores)


def _rows_of(
    idx: np.ndarray, ids: list[str], groups: list[list[int]], scores: list[np.ndarray]
) -> list[tuple[int, str, float, int]]:
    out: list[tuple[int, str, float, int]] = []
    for rows, sc in zip(groups, scores, strict=True):
        cid = cluster_id([ids[r] for r in rows], set())
        first = int(idx[rows[0]])
        out.extend((int(idx[r]), cid, float(v), first) for r, v in zip(rows, sc.tolist()))
    return out


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
