"""The verification score: the one implementation of "how similar are two documents".

    per document   VECTORS: unit term vectors (built by :mod:`dupdetect.features`)
    per pair       one cosine per vector --combine--> score in [0, 1]

Change the score here, in two places that say everything: :data:`VECTORS` (which per-document
vectors exist: attribute names of :class:`~dupdetect.features.Profile` for one document and of
:class:`~dupdetect.features.Features` for a batch) and :func:`combine` (how their cosines make
one score). Every caller goes through the three shapes below, so the batch job, the incremental
index, Spark and :func:`dupdetect.similarity` cannot drift apart:

- :func:`pair_scores` - row pairs of a batch (LSH candidates, the members of a cluster);
- :func:`scores_to` - one document against many (``StoryIndex.add``), bit-identical to
  :func:`pair_scores` on the same pairs;
- :func:`group_sum` - the sum of the scores over all pairs of two groups, from summed vectors
  (average linkage between two stories), equal to summing :func:`pair_scores` up to rounding.

Plus :func:`pair_score` for two documents (:func:`dupdetect.similarity`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _kernels as kernels
from .features import Features, Profile, TermMatrix, TermVector, row_ranges

__all__ = [
    "VECTORS",
    "WEIGHTS",
    "combine",
    "pair_scores",
    "pair_score",
    "scores_to",
    "GroupVectors",
    "group_sum",
    "cosines",
    "cosines_to",
    "cosines_to_flat",
    "scores_to_flat",
    "flatten",
    "Flat",
    "cosine",
    "positions",
]

#: Which per-document vectors the score compares: content-term counts (what the articles are
#: about) and adjacent content-term pairs (how they say it). Attribute names of ``Profile``
#: (one ``TermVector`` each) and ``Features`` (one ``TermMatrix`` each).
VECTORS: tuple[str, ...] = ("unigrams", "bigrams")
#: The weight of each vector's cosine in :func:`combine`, in the order of :data:`VECTORS`.
WEIGHTS: tuple[float, ...] = (0.5, 0.5)


def combine(cosines: Sequence[Any]) -> Any:
    """The score from one cosine per :data:`VECTORS` entry (floats or arrays of one shape).

    A weighted sum with :data:`WEIGHTS`. It must stay linear in the cosines: :func:`group_sum`
    relies on it (the sum of the scores of many pairs is then ``combine`` of the summed
    cosines); a non-linear calibration would have to score each pair in :func:`group_sum`.
    """
    if len(cosines) != len(VECTORS):
        raise ValueError(f"combine() takes {len(VECTORS)} cosines ({VECTORS}), got {len(cosines)}")
    total = WEIGHTS[0] * cosines[0]
    for w, c in zip(WEIGHTS[1:], cosines[1:]):
        total = total + w * c
    return total


def _vectors(doc: Profile | Features) -> tuple[Any, ...]:
    return tuple(getattr(doc, name) for name in VECTORS)


# -- batch: row pairs -----------------------------------------------------------------------------
def pair_scores(features: Features, pairs: np.ndarray) -> np.ndarray:
    """The score of each ``(i, j)`` row pair of a batch, float32 in [0, 1]."""
    return combine([cosines(m, pairs) for m in _vectors(features)])


def cosines(matrix: TermMatrix, pairs: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Cosine of each ``(i, j)`` row pair of ``matrix``, float32 in [0, 1].

    Each pair is turned so that its longer row is the one gathered and its shorter row the one
    looked up (the lookups are the work: a quarter fewer on news), and the pairs are taken in
    order of the gathered row. Each distinct gathered row's terms are gathered once per chunk
    (tens of pairs each), then every looked-up row's terms are found in that small sorted array:
    one ``searchsorted`` instead of a per-pair merge. The result does not depend on the turn:
    matching terms are summed in term-id order either way. With numba installed, calls of
    :data:`dupdetect._kernels.MIN_PAIRS` pairs or more merge each pair's two rows in compiled
    code instead (:mod:`dupdetect._kernels`): the same sums in the same order, bit for bit.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs), dtype=np.float32)
    offsets, ids, weights = matrix.offsets, matrix.ids, matrix.weights
    merge = kernels.merge_cosines() if len(pairs) >= kernels.MIN_PAIRS else None
    # numba installed: the same sums, one merge per pair, ~4x faster; rows out of range are left
    # to numpy (the compiled loop does not check its indices)
    if merge is not None and len(pairs) and 0 <= pairs.min() and pairs.max() < len(offsets) - 1:
        a, b = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
        merge(offsets, ids, weights, a, b, out)
        np.clip(out, 0.0, 1.0, out=out)
        return out
    lens_all = np.diff(offsets)
    turn = lens_all[pairs[:, 1]] > lens_all[pairs[:, 0]]
    gathered = np.where(turn, pairs[:, 1], pairs[:, 0])
    looked_up = np.where(turn, pairs[:, 0], pairs[:, 1])
    order = np.argsort(gathered, kind="stable")
    for s in range(0, len(pairs), chunk):
        at = order[s : s + chunk]
        first, second = gathered[at], looked_up[at]
        m = len(at)
        firsts, rank = np.unique(first, return_inverse=True)
        la = lens_all[firsts]
        ia = row_ranges(offsets[firsts], la)
        ka = (np.repeat(np.arange(firsts.size, dtype=np.uint64), la) << np.uint64(32)) | (
            ids[ia].astype(np.uint64)
        )  # sorted: first row's rank, then term id
        lb = lens_all[second]
        ib = row_ranges(offsets[second], lb)
        pb = np.repeat(np.arange(m, dtype=np.int64), lb)
        kb = (rank.astype(np.uint64)[pb] << np.uint64(32)) | ids[ib].astype(np.uint64)
        if ka.size == 0 or kb.size == 0:
            continue
        pos = np.minimum(np.searchsorted(ka, kb), ka.size - 1)
        hit = ka[pos] == kb
        prod = weights[ia][pos[hit]] * weights[ib][hit]
        out[at] = np.bincount(pb[hit], weights=prod, minlength=m)
    np.clip(out, 0.0, 1.0, out=out)
    return out


# -- two documents --------------------------------------------------------------------------------
def pair_score(a: Profile, b: Profile) -> float:
    """The score of two documents, in [0, 1] (equal to :func:`pair_scores` within 1e-6)."""
    return float(combine([cosine(va, vb) for va, vb in zip(_vectors(a), _vectors(b))]))


def cosine(a: TermVector, b: TermVector) -> float:
    """Cosine of two unit vectors, in [0, 1]."""
    _, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
    if ia.size == 0:
        return 0.0
    return float(min(1.0, max(0.0, float(np.dot(a.weights[ia], b.weights[ib])))))


# -- one against many -----------------------------------------------------------------------------
def scores_to(doc: Profile, others: Sequence[Profile]) -> np.ndarray:
    """The score of ``doc`` with each of ``others``, float64; bit-identical to
    :func:`pair_scores` of the pairs ``(doc, other)`` in one batch."""
    if not others:
        return np.zeros(0, dtype=np.float64)
    return scores_to_flat(doc, [flatten([getattr(o, name) for o in others]) for name in VECTORS])


#: Many term vectors laid end to end: ids, float32 weights, and each vector's length.
Flat = tuple[np.ndarray, np.ndarray, np.ndarray]


def flatten(vectors: Sequence[TermVector]) -> Flat:
    """``vectors`` as one :data:`Flat` (what :func:`scores_to_flat` takes)."""
    lens = np.fromiter((v.ids.size for v in vectors), dtype=np.int64, count=len(vectors))
    if not vectors:
        return np.zeros(0, np.uint32), np.zeros(0, np.float32), lens
    return (
        np.concatenate([v.ids for v in vectors]),
        np.concatenate([v.weights for v in vectors]),
        lens,
    )


def scores_to_flat(doc: Profile, flats: Sequence[Flat]) -> np.ndarray:
    """:func:`scores_to` with the others' vectors given flat, one :data:`Flat` per
    :data:`VECTORS` entry (a store that pools its vectors scores without building objects)."""
    per_vector = [cosines_to_flat(q, f) for q, f in zip(_vectors(doc), flats)]
    return np.asarray(combine(per_vector)).astype(np.float64)


_TABLE_BITS = 16


def positions(keys: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Index in ``keys`` (unique uint32) of each needle, -1 where absent.

    A direct-mapped table on the low bits of the ids (term ids are hashes, so the low bits are
    uniform): one gather per needle instead of a binary search. Keys that collide in the table
    (a few per call at most) are resolved with one vectorized compare each.
    """
    if keys.size == 0:
        return np.full(needles.size, -1, dtype=np.int32)
    mask = (1 << _TABLE_BITS) - 1
    table = np.full(1 << _TABLE_BITS, -1, dtype=np.int32)
    slots = (keys & mask).astype(np.intp)
    table[slots] = np.arange(keys.size, dtype=np.int32)  # a collision: the last key wins
    pos = table[(needles & mask).astype(np.intp)]
    found = pos >= 0
    pos[found & (keys[np.maximum(pos, 0)] != needles)] = -1  # a slot holding another key
    lost = np.flatnonzero(table[slots] != np.arange(keys.size, dtype=np.int32))
    for i in lost.tolist():
        pos[needles == keys[i]] = i
    return pos


def cosines_to(q: TermVector, others: Sequence[TermVector]) -> np.ndarray:
    """Cosine of ``q`` with each of ``others``, float32 in [0, 1] (:func:`cosines_to_flat`)."""
    return cosines_to_flat(q, flatten(others))


def cosines_to_flat(q: TermVector, others: Flat) -> np.ndarray:
    """Cosine of ``q`` with each vector of ``others``, float32 in [0, 1].

    The arithmetic of :func:`cosines` for the pairs ``(q, other)`` (float32 products of
    matching weights summed in the other's term order, float32, clipped), so the values are
    bit-identical to the batch kernel's, without its per-pair sort keys: one lookup of all the
    others' term ids in ``q``'s ids (:func:`positions`).
    """
    ids, w, lens = others
    k = lens.size
    out = np.zeros(k, dtype=np.float32)
    if k == 0 or q.ids.size == 0:
        return out
    row = np.repeat(np.arange(k, dtype=np.int64), lens)
    pos = positions(q.ids, ids)
    hit = pos >= 0
    prod = q.weights[pos[hit]] * w[hit]
    out[:] = np.bincount(row[hit], weights=prod, minlength=k)
    np.clip(out, 0.0, 1.0, out=out)
    return out


# -- group against group --------------------------------------------------------------------------
_Sum = tuple[np.ndarray, np.ndarray]  # sorted unique term ids, float64 weight sums


def _summed(ids: list[np.ndarray], weights: list[np.ndarray]) -> _Sum:
    """Sum of sparse vectors given as id and weight arrays."""
    if not ids:
        return np.zeros(0, np.uint32), np.zeros(0, np.float64)
    uniq, inv = np.unique(np.concatenate(ids), return_inverse=True)
    w = np.concatenate(weights).astype(np.float64)
    return uniq, np.bincount(inv.ravel(), weights=w, minlength=uniq.size)


@dataclass(frozen=True)
class GroupVectors:
    """The summed vectors of a group of documents (one sparse sum per :data:`VECTORS` entry)."""

    sums: tuple[_Sum, ...]

    @classmethod
    def of(cls, docs: Sequence[Profile]) -> GroupVectors:
        vecs = [_vectors(d) for d in docs]
        return cls(
            tuple(
                _summed([v[k].ids for v in vecs], [v[k].weights for v in vecs])
                for k in range(len(VECTORS))
            )
        )

    def __add__(self, other: GroupVectors) -> GroupVectors:
        """The summed vectors of both groups together."""
        return GroupVectors(tuple(_added(a, b) for a, b in zip(self.sums, other.sums)))


def _added(a: _Sum, b: _Sum) -> _Sum:
    """``a + b`` of two sums (sorted unique ids), bit-identical to :func:`_summed` of both
    (each shared id gets ``a + b``), in O(len(a) + len(b)) without sorting again: a story that
    absorbs many others on one add grows by merging, not by re-sorting all its terms each time."""
    (ia, wa), (ib, wb) = a, b
    if not ib.size:
        return ia, wa
    if not ia.size:
        return ib, wb.astype(np.float64)
    pos = np.searchsorted(ia, ib)
    found = ia[np.minimum(pos, ia.size - 1)] == ib
    w = wa.astype(np.float64)  # a copy
    w[pos[found]] += wb[found]
    new = ~found
    if not new.any():
        return ia, w
    return np.insert(ia, pos[new], ib[new]), np.insert(w, pos[new], wb[new])


def group_sum(a: GroupVectors, b: GroupVectors) -> float:
    """Sum of the scores of every pair (one document of ``a``, one of ``b``).

    A cosine is a dot product of unit vectors, so the sum over all ``|a| * |b|`` pairs is the
    dot product of the two summed vectors: O(terms) instead of O(|a| * |b| * terms). Equal to
    summing :func:`pair_scores` over the pairs up to float rounding (float64 sums here, ~1e-7
    relative; the per-pair clip to [0, 1] only trims rounding above 1, weights being >= 0).
    """
    dots = []
    for (ua, sa), (ub, sb) in zip(a.sums, b.sums):
        _, ia, ib = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
        dots.append(float(np.dot(sa[ia], sb[ib])))
    return float(combine(dots))
