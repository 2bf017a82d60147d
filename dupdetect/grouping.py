"""A featurized batch -> clusters: candidates, prefilter, verification, components, linkage.

    Features --lsh.propose (band by band: MinHash estimate >= prefilter, window)--> pairs
      --score--> verified pairs --components at threshold--> components
      --average linkage (cannot-link across the time window)--> clusters --> member scores

:func:`group` is shared by :func:`dupdetect.cluster`, :func:`dupdetect.cluster_texts` and the
Spark job's per-component split; :func:`cluster_id` names a cluster after its smallest member id
so the id does not depend on input order or on the other clusters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .features import Features
from .linkage import average_linkage, components
from .lsh import propose
from .parallel import score_pairs

# The fixed rules of the grouping live with Settings, so its fingerprint covers them.
from .settings import DENSE_COMPONENT, Settings
from .timewindow import outside_window

__all__ = [
    "group",
    "Grouping",
    "PairScores",
    "pair_thresholds",
    "all_pairs",
    "member_scores",
    "member_scores_many",
    "cluster_id",
]


class PairScores:
    """Scores already computed for some row pairs, looked up by pair (either orientation).

    :func:`group` scores the candidate pairs, then every pair of each small component, then
    :func:`member_scores_many` every pair of each cluster: the same pairs come back, and a score
    depends on its pair alone, so a lookup gives the value scoring again would.
    """

    def __init__(self, pairs: np.ndarray, scores: np.ndarray) -> None:
        keys = _pair_keys(pairs)
        order = np.argsort(keys, kind="stable")
        self.keys, self.scores = keys[order], np.asarray(scores)[order]

    def __len__(self) -> int:
        return len(self.keys)

    def __add__(self, other: PairScores) -> PairScores:
        both = PairScores.__new__(PairScores)
        keys = np.concatenate([self.keys, other.keys])
        order = np.argsort(keys, kind="stable")
        both.keys = keys[order]
        both.scores = np.concatenate([self.scores, other.scores])[order]
        return both

    def score(self, features: Features, pairs: np.ndarray, workers: int = 1) -> np.ndarray:
        """The score of each pair (float32): looked up where known, computed for the rest
        (:func:`dupdetect.parallel.score_pairs`)."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        out = np.zeros(len(pairs), dtype=np.float32)
        found = np.zeros(len(pairs), dtype=bool)
        if len(self.keys) and len(pairs):
            keys = _pair_keys(pairs)
            pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            found = self.keys[pos] == keys
            out[found] = self.scores[pos[found]]
        if not found.all():
            out[~found] = score_pairs(features, pairs[~found], workers)
        return out


def _pair_keys(pairs: np.ndarray) -> np.ndarray:
    """One uint64 per row pair, the same for ``(i, j)`` and ``(j, i)``."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    return (lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64)


_NONE_SCORED = PairScores(np.zeros((0, 2), np.int64), np.zeros(0, np.float32))


class Grouping(NamedTuple):
    """What :func:`group` finds in a batch (rows are positions in the featurized batch)."""

    clusters: list[list[int]]  # sorted member rows, clusters ordered by their first row
    pairs: np.ndarray  # (m, 2) verified pairs, score >= threshold
    scores: np.ndarray  # their scores
    scored: PairScores = _NONE_SCORED  # every pair scored on the way (member_scores_many's known)


def cluster_id(member_ids: list[Any], taken: set[str]) -> str:
    """``c`` + 10 hex digits of a hash of the smallest member id (as text); longer when ``taken``
    already holds that id. Adds the id to ``taken``."""
    key = min(str(i) for i in member_ids)
    # surrogatepass: a file name that is not UTF-8 reaches Python with surrogate escapes
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    for width in (10, 16, 32):
        cid = "c" + digest[:width]
        if cid not in taken:
            taken.add(cid)
            return cid
    raise RuntimeError("cluster id collision")  # unreachable in practice: 128-bit digest


def group(
    features: Features,
    settings: Settings,
    *,
    times: np.ndarray | None = None,
    window: float | None = None,
    on_stage: Callable[..., None] | None = None,
    workers: int = 1,
) -> Grouping:
    """Candidate generation, verification and clustering on a featurized batch.

    Returns a :class:`Grouping`; only pairs at or above the threshold are returned. ``times``
    (epoch seconds per row, NaN when unknown) and ``window`` (seconds): pairs published further
    apart are never compared, and no cluster spans more than ``window`` between its earliest and
    latest known publication time.
    Shared by :func:`cluster`, :func:`cluster_texts` and the Spark driver's equality checks.
    ``on_stage(name, **sizes)`` is called as each stage ends (progress reporting).
    ``workers``: processes that band the signatures (:func:`dupdetect.lsh.propose`) and score
    the candidate pairs (:func:`dupdetect.parallel.score_pairs`); the same result in any number.
    """
    stage = on_stage or (lambda name, **sizes: None)
    n = len(features)
    bands, rows = settings.lsh_params
    found = propose(
        features.signatures,
        bands,
        rows,
        eligible=~features.short,
        times=times,
        window=window,
        min_estimate=settings.prefilter * settings.candidate_threshold,
        exact_window=True,
        workers=workers,
    )
    pairs = found.pairs
    stage("candidates", band_proposals=found.proposed, kept=len(pairs))
    sims = score_pairs(features, pairs, workers) if len(pairs) else np.zeros(0, np.float32)
    strong = sims >= pair_thresholds(features.latin, pairs, settings)
    stage("verify", verified_pairs=int(strong.sum()))
    comps = components(n, pairs[strong])
    dense = [c for c in comps if 2 < len(c) <= DENSE_COMPONENT]
    dense_pairs = all_pairs(dense)  # every pair of every small component, scored in one call
    scored = PairScores(pairs, sims)  # the candidates' scores are not computed twice
    dense_raw = scored.score(features, dense_pairs, workers)
    scored = scored + PairScores(dense_pairs, dense_raw)
    dense_sims = dense_raw.copy()
    dense_sims[outside_window(times, window, dense_pairs)] = 0.0
    bounds = np.cumsum([0] + [len(c) * (len(c) - 1) // 2 for c in dense])
    links = _Links(
        [c for c in comps if len(c) > 2],
        dense_pairs,
        dense_sims,
        bounds,
        candidates=pairs,
        candidate_sims=sims,
        latin=features.latin,
        settings=settings,
        times=times,
        window=window,
    )
    clusters = [c for c in comps if len(c) <= 2] + links.run(workers)
    clusters.sort(key=lambda g: g[0])
    stage("group", components=len(comps))
    return Grouping(clusters, pairs[strong], sims[strong], scored)


#: Average linkage runs in forked processes (``workers`` > 1) only when the components to cut
#: hold at least this many candidate edges: below it a fork costs more than it saves.
PARALLEL_EDGES = 100_000


@dataclass
class _Links:
    """The components of more than two members, cut by average linkage; one job a component,
    in this process or spread over forked ones (each component's result depends on it alone).
    The k-th component of at most ``DENSE_COMPONENT`` members has every pair scored, at
    ``bounds[k]:bounds[k + 1]`` of ``dense_pairs``; larger ones read their candidate pairs."""

    comps: list[list[int]]
    dense_pairs: np.ndarray
    dense_sims: np.ndarray
    bounds: np.ndarray
    candidates: np.ndarray
    candidate_sims: np.ndarray
    latin: np.ndarray
    settings: Settings
    times: np.ndarray | None
    window: float | None

    def __post_init__(self) -> None:
        small = (c for c in self.comps if len(c) <= DENSE_COMPONENT)
        self.dense_at = {id(c): k for k, c in enumerate(small)}
        # work per component: its pair count (every pair of a small one is an edge)
        self.cost = np.array([len(c) * (len(c) - 1) // 2 for c in self.comps], dtype=np.int64)

    def cut(self, i: int) -> list[list[int]]:
        comp = self.comps[i]
        k = self.dense_at.get(id(comp))
        if k is not None:
            a, b = self.bounds[k], self.bounds[k + 1]
            cp, cs = self.dense_pairs[a:b], self.dense_sims[a:b]
        else:
            cand = self.candidates
            inside = np.isin(cand[:, 0], comp) & np.isin(cand[:, 1], comp)
            cp, cs = cand[inside], self.candidate_sims[inside]
        edges = zip(cp[:, 0].tolist(), cp[:, 1].tolist(), cs.tolist())
        thr = self.settings.threshold_for(bool(self.latin[comp].all()))
        return average_linkage(comp, edges, thr, times=self.times, window=self.window)

    def cut_range(self, span: tuple[int, int]) -> list[list[int]]:
        return [g for i in range(*span) for g in self.cut(i)]

    def run(self, workers: int) -> list[list[int]]:
        """Every component's clusters, the same in any number of ``workers``."""
        total = int(self.cost.sum())
        if workers > 1 and total >= PARALLEL_EDGES and len(self.comps) > 1:
            from .parallel import forked_map

            # contiguous ranges of about equal work, a few per worker to even out the tail
            ends = np.searchsorted(
                np.cumsum(self.cost), np.linspace(0, total, 2 * workers + 1)[1:-1]
            )
            cuts = sorted({0, len(self.comps), *(int(e) + 1 for e in ends)})
            spans = [(a, min(b, len(self.comps))) for a, b in zip(cuts, cuts[1:]) if a < b]
            parts = forked_map(_cut_range, self, spans, workers)
            if parts is not None:
                return [g for part in parts for g in part]
        return self.cut_range((0, len(self.comps)))


def _cut_range(links: _Links, span: tuple[int, int]) -> list[list[int]]:
    return links.cut_range(span)


def pair_thresholds(latin: np.ndarray, pairs: np.ndarray, settings: Settings) -> np.ndarray:
    """The threshold of each pair: ``latin_threshold`` when both documents are Latin-script,
    else ``threshold`` (a component is cut with ``latin_threshold`` only when all its members
    are Latin-script)."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float64)
    both = latin[pairs[:, 0]] & latin[pairs[:, 1]]
    return np.where(both, settings.latin_threshold, settings.threshold)


def all_pairs(groups: list[list[int]]) -> np.ndarray:
    """Every (a, b) pair inside each group, groups one after another, as an (m, 2) array."""
    parts = []
    for g in groups:
        r = np.asarray(g, dtype=np.int64)
        iu, ju = np.triu_indices(len(r), k=1)
        parts.append(np.stack([r[iu], r[ju]], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def mean_scores(k: int, s: np.ndarray) -> np.ndarray:
    """Each of ``k`` members' mean score to the others, from the scores ``s`` (float64) of
    their pairs in ``np.triu_indices(k, 1)`` order."""
    iu, ju = np.triu_indices(k, k=1)
    m = np.zeros((k, k))
    m[iu, ju] = s
    m[ju, iu] = s
    return m.sum(axis=1) / (k - 1)


def member_scores(features: Features, rows: list[int]) -> np.ndarray:
    """Each member's mean similarity to the other members (1.0 alone)."""
    return member_scores_many(features, [rows])[0]


def member_scores_many(
    features: Features, groups: list[list[int]], known: PairScores | None = None, workers: int = 1
) -> list[np.ndarray]:
    """:func:`member_scores` of many clusters with one scoring call; pairs in ``known`` (what
    :func:`group` scored: :attr:`Grouping.scored`) are looked up, not scored again."""
    multi = [g for g in groups if len(g) > 1]
    sims = None
    if multi:
        sims = (known or _NONE_SCORED).score(features, all_pairs(multi), workers)
        sims = sims.astype(np.float64)
    out, at = [], 0
    for g in groups:
        k = len(g)
        if k == 1:
            out.append(np.ones(1))
            continue
        n = k * (k - 1) // 2
        out.append(mean_scores(k, sims[at : at + n]))  # type: ignore[index]
        at += n
    return out
