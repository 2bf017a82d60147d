"""LSH candidate pairs from MinHash signatures.

Batch mode (:func:`candidate_pairs`) bands a whole ``(n, num_perm)`` signature matrix at once with
numpy: each band's rows are folded into one 64-bit key, keys are sorted, and every run of equal
keys is a bucket whose members become candidate pairs. It proposes exactly the pairs that
datasketch's ``MinHashLSH`` with the same ``(bands, rows)`` proposes (a test checks this on real
text), without a Python object per band key, so it is fast and compact at millions of documents.

The incremental :class:`dupdetect.StoryIndex` keys its buckets with the same :func:`band_keys`,
so it proposes the same candidates as the batch job (its storage is its own, in memory or Redis,
see :mod:`dupdetect.storage`). :func:`make_lsh` gives a datasketch ``MinHashLSH`` with the same
bands and rows for users who want datasketch's own storage.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ._hash import fmix64
from .timewindow import outside_window

__all__ = [
    "band_keys",
    "all_band_keys",
    "pairs_in_runs",
    "windowed_codes",
    "candidate_pairs",
    "Proposals",
    "propose",
    "estimated_jaccard_pairs",
    "estimate_at_least",
    "make_lsh",
    "optimal_bands",
    "MAX_BUCKET",
]

#: Buckets larger than this (thousands of exact copies, or a degenerate text) are linked as a
#: star around their first member plus a chain, instead of all k*(k-1)/2 pairs.
MAX_BUCKET = 500

_M = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=8)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [-1, 1]: exact for polynomials of degree < 2 n."""
    return np.polynomial.legendre.leggauss(n)


def _integral(bands: int, rows: int, lo: float, hi: float, n: int) -> float:
    """Integral over ``[lo, hi]`` of ``P(s) = 1 - (1 - s**rows)**bands``, the chance that two
    documents of Jaccard similarity ``s`` share at least one band bucket (a polynomial of
    degree ``bands * rows``, integrated exactly with ``n`` Gauss-Legendre nodes)."""
    x, w = _gauss_legendre(n)
    s = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    return float(0.5 * (hi - lo) * np.dot(w, 1.0 - (1.0 - s**rows) ** bands))


@lru_cache(maxsize=64)
def optimal_bands(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` minimizing the weighted false-positive and false-negative areas around
    ``threshold`` (the rule of datasketch's ``MinHashLSH``, which gives the same choice; a test
    compares them). False positives: the area under the collision curve below ``threshold``;
    false negatives: the area above it missed by the curve."""
    nodes = num_perm // 2 + 1  # degree b * r <= num_perm < 2 * nodes: exact
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _integral(b, r, 0.0, threshold, nodes)
            fn = (1.0 - threshold) - _integral(b, r, threshold, 1.0, nodes)
            err = fp * fp_weight + fn * fn_weight
            if err < best:
                best, opt = err, (b, r)
    return opt


def band_keys(signatures: np.ndarray, start: int, end: int) -> np.ndarray:
    """One 64-bit key per row for signature columns ``start:end`` (one LSH band)."""
    band = signatures[:, start:end].astype(np.uint64)
    key = np.zeros(signatures.shape[0], dtype=np.uint64)
    for c in range(band.shape[1]):
        key *= _M
        key += band[:, c]
        key = fmix64(key)
    return key


def pairs_in_runs(order: np.ndarray, keys_sorted: np.ndarray) -> np.ndarray:
    """All (a, b) pairs of documents that share a key, as int64 codes a * 2**32 + b with a < b.

    ``order``: document numbers, grouped so that equal ``keys_sorted`` values are adjacent (one
    run = one bucket). A bucket of more than :data:`MAX_BUCKET` members is linked as a star
    around its smallest member plus a chain instead of all its pairs."""
    n = keys_sorted.size
    if n < 2:
        return np.zeros(0, dtype=np.int64)
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.not_equal(keys_sorted[1:], keys_sorted[:-1], out=boundary[1:])
    run_start = np.flatnonzero(boundary)
    run_len = np.diff(np.append(run_start, n))
    multi = run_len >= 2
    if not multi.any():
        return np.zeros(0, dtype=np.int64)
    codes: list[np.ndarray] = []
    big = multi & (run_len > MAX_BUCKET)
    small = multi & ~big
    if small.any():
        starts, lens = run_start[small], run_len[small]
        # element p (k-th in its run of length s) pairs with the s-k-1 elements after it
        elem = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(lens.sum())
        run_end = np.repeat(starts + lens, lens)
        partners = run_end - elem - 1
        total = int(partners.sum())
        if total:
            first = np.repeat(elem, partners)
            step = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
            second = first + 1 + step
            a, b = order[first], order[second]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            codes.append(lo.astype(np.int64) << 32 | hi.astype(np.int64))
    for s, L in zip(run_start[big], run_len[big]):
        members = np.sort(order[s : s + L]).astype(np.int64)
        codes.append(members[0] << 32 | members[1:])  # star around the first
        codes.append(members[1:-1] << 32 | members[2:])  # and a chain
    return np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)


def all_band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(n, bands)`` uint64: the key of each document in each band (the LSH bucket names)."""
    keys = np.zeros((signatures.shape[0], bands), dtype=np.uint64)
    for b in range(bands):
        keys[:, b] = band_keys(signatures, b * rows, (b + 1) * rows)
    return keys


class Proposals(NamedTuple):
    """What :func:`propose` returns."""

    pairs: np.ndarray  # (m, 2) int64, i < j, sorted: the pairs that passed the filters
    proposed: int  # band proposals before the filters (a pair found in k bands counts k times)


def candidate_pairs(
    signatures: np.ndarray,
    bands: int,
    rows: int,
    eligible: np.ndarray | None = None,
    *,
    times: np.ndarray | None = None,
    window: float | None = None,
) -> np.ndarray:
    """Candidate pairs ``(i, j)``, ``i < j``, sorted, as an ``(m, 2)`` int64 array.

    ``eligible`` (bool per row) excludes documents that must never be grouped (too short).
    With ``times`` (epoch seconds per row, NaN unknown) and ``window`` (seconds), only pairs
    that may be at most ``window`` apart are proposed: the same pairs as without a window minus
    some that are further apart (:func:`windowed_codes`), so the work follows the stream's rate
    instead of the square of its length.
    """
    return propose(signatures, bands, rows, eligible, times=times, window=window).pairs


def propose(
    signatures: np.ndarray,
    bands: int,
    rows: int,
    eligible: np.ndarray | None = None,
    *,
    times: np.ndarray | None = None,
    window: float | None = None,
    min_estimate: float | None = None,
    exact_window: bool = False,
    workers: int = 1,
) -> Proposals:
    """:func:`candidate_pairs`, filtered band by band as the pairs are found.

    ``min_estimate``: drop pairs whose MinHash Jaccard estimate
    (:func:`estimated_jaccard_pairs`) is below it; ``exact_window``: drop pairs whose known
    times are more than ``window`` apart (:func:`dupdetect.timewindow.outside_window`). The
    result is exactly the unfiltered pairs with those filters applied afterwards, but only one
    band's proposals are held at a time: chance collisions, nearly all of a large batch's
    proposals, never pile up (at a million documents, 75 M proposals vs 0.5 M kept).
    ``workers``: the bands are split over as many forked processes (from
    :data:`PARALLEL_DOCS` documents, where fork is safe); the result is the same.
    """
    n, k = signatures.shape
    if bands * rows > k:
        raise ValueError(f"bands*rows = {bands * rows} exceeds num_perm {k}")
    if n >= 2**31:
        raise ValueError("more than 2**31 documents in one batch; split the input")
    idx = np.arange(n, dtype=np.int64) if eligible is None else np.flatnonzero(eligible)
    # the low byte of every MinHash value: a first, 4x cheaper pass of the estimate filter
    low = low_bytes(signatures) if min_estimate is not None else None
    job = _BandJob(signatures, idx, rows, times, window, min_estimate, exact_window, low)
    parts = None
    if workers > 1 and n >= PARALLEL_DOCS and bands > 1:
        from .parallel import forked_map

        step = -(-bands // workers)
        parts = forked_map(
            _band_range, job, [(b, min(b + step, bands)) for b in range(0, bands, step)], workers
        )
    if parts is None:
        parts = [_band_range(job, (0, bands))]
    all_codes = [c for codes, _ in parts for c in codes]
    proposed = sum(p for _, p in parts)
    if not all_codes:
        return Proposals(np.zeros((0, 2), dtype=np.int64), proposed)
    # sort + drop repeats (pairs found in several bands); numpy 2's hash-based np.unique was
    # ~10x slower here
    codes = np.concatenate(all_codes)
    codes.sort()
    if codes.size > 1:
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return Proposals(np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1), proposed)


#: Below this many documents the bands are banded in this process (forking costs ~0.1 s).
PARALLEL_DOCS = 20_000


class _BandJob(NamedTuple):
    """What banding needs, handed to :func:`_band_range` (in forked children: by inheritance)."""

    signatures: np.ndarray
    idx: np.ndarray  # the eligible rows
    rows: int
    times: np.ndarray | None
    window: float | None
    min_estimate: float | None
    exact_window: bool
    low: np.ndarray | None


def _band_range(job: _BandJob, bands: tuple[int, int]) -> tuple[list[np.ndarray], int]:
    """The filtered pair codes of bands ``bands[0]:bands[1]``, one array per band, and how many
    pairs they proposed before filtering."""
    signatures, idx, rows = job.signatures, job.idx, job.rows
    n = signatures.shape[0]
    every = idx.size == n  # then no copy of the eligible rows (512 MB at a million)
    out: list[np.ndarray] = []
    proposed = 0
    for b in range(*bands):  # one band at a time: memory stays at one key per document
        lo, hi = b * rows, (b + 1) * rows
        keys = (
            band_keys(signatures, lo, hi) if every else band_keys(signatures[idx, lo:hi], 0, rows)
        )
        if job.times is not None and job.window is not None:
            codes = windowed_codes(idx, keys, job.times[idx], job.window, n)
        else:
            order = np.argsort(keys, kind="stable")
            codes = pairs_in_runs(idx[order], keys[order])
        proposed += int(codes.size)
        if codes.size and (job.min_estimate is not None or job.exact_window):
            times = job.times if job.exact_window else None
            codes = _filtered(codes, signatures, job.min_estimate, times, job.window, job.low)
        if codes.size:
            out.append(codes)
    return out, proposed


def band_codes(
    signatures: np.ndarray,
    eligible_rows: np.ndarray,
    rows: int,
    bands: tuple[int, int],
    *,
    min_estimate: float | None = None,
    low: np.ndarray | None = None,
) -> list[np.ndarray]:
    """The pair codes (``a << 32 | b``, rows of ``signatures``, ``a < b``) of bands
    ``bands[0]:bands[1]`` among ``eligible_rows``, one array per band, each filtered by the
    MinHash estimate as :func:`propose` filters it (no time window); repeats across bands are
    kept. What a Spark task does with its share of the bands (:mod:`dupdetect.spark.shared`).
    ``low``: :func:`low_bytes` of ``signatures``, if at hand."""
    if min_estimate is not None and low is None:
        low = low_bytes(signatures)
    idx = np.asarray(eligible_rows, dtype=np.int64)
    job = _BandJob(signatures, idx, rows, None, None, min_estimate, False, low)
    return _band_range(job, bands)[0]


def _filtered(
    codes: np.ndarray,
    signatures: np.ndarray,
    min_estimate: float | None,
    times: np.ndarray | None,
    window: float | None,
    low: np.ndarray | None = None,
) -> np.ndarray:
    """The pair codes that pass the estimate and window filters of :func:`propose`."""
    pairs = np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)
    keep = ~outside_window(times, window, pairs)
    if min_estimate is not None:
        keep &= estimate_at_least(signatures, pairs, min_estimate, low)
    return codes[keep]


def low_bytes(signatures: np.ndarray) -> np.ndarray:
    """The low byte of each (uint32) MinHash value, as a contiguous ``(n, k)`` uint8 matrix."""
    n, k = signatures.shape
    as_bytes = signatures.astype("<u4", copy=False).view(np.uint8).reshape(n, k, 4)
    return np.ascontiguousarray(as_bytes[:, :, 0])


def estimate_at_least(
    signatures: np.ndarray, pairs: np.ndarray, min_estimate: float, low: np.ndarray | None = None
) -> np.ndarray:
    """``estimated_jaccard_pairs(signatures, pairs) >= min_estimate``, exactly, in two passes.

    Two equal values have equal low bytes, so the count of equal low bytes bounds the count of
    equal values from above: a pair whose low bytes already fall short is dropped without
    reading its full signatures (nearly all LSH proposals are chance collisions), and only the
    rest get the exact estimate. ``low``: :func:`low_bytes` of ``signatures`` if at hand.
    """
    low = low_bytes(signatures) if low is None else low
    k = signatures.shape[1]
    keep = np.zeros(len(pairs), dtype=bool)
    for s in range(0, len(pairs), 16384):
        p = pairs[s : s + 16384]
        bound = np.count_nonzero(low[p[:, 0]] == low[p[:, 1]], axis=1)
        # the same float32 arithmetic as the estimate, so the bound compares like it
        maybe = np.flatnonzero((bound / k).astype(np.float32) >= min_estimate)
        if maybe.size:
            exact = estimated_jaccard_pairs(signatures, p[maybe]) >= min_estimate
            keep[s + maybe[exact]] = True
    return keep


_BLOCK_SALT = np.uint64(0xD6E8FEB86659FD93)


def _salted(keys: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """One 64-bit key for (band key, time block), folded like :func:`band_keys` folds a band's
    values (plain XOR of two hashes collides on structured inputs)."""
    return fmix64(keys * _M + fmix64(blocks ^ _BLOCK_SALT))


def windowed_codes(
    docs: np.ndarray, keys: np.ndarray, times: np.ndarray, window: float, n: int
) -> np.ndarray:
    """Pair codes of one band for documents that share a key and may be ``window`` apart.

        Time is cut into blocks of ``window``; a dated document is entered under (key, its block)
        and (key, the block before), so two documents at most ``window`` apart always share one
        entry, and two far apart never do: each key's bucket is split by time (entry ``b`` is salted
    with ``b + 1``, entry ``b - 1`` with ``b``, so no negative block is needed). An undated document
        pairs with every document of its bucket (the window does not constrain it).
    """
    dated = ~np.isnan(times)
    out: list[np.ndarray] = []
    if dated.any():
        t = times[dated]
        block = np.floor((t - t.min()) / window).astype(np.uint64)
        kd = keys[dated]
        ids = np.concatenate([docs[dated], docs[dated]])
        salted = np.concatenate([_salted(kd, block + np.uint64(1)), _salted(kd, block)])
        order = np.argsort(salted, kind="stable")
        out.append(pairs_in_runs(ids[order], salted[order]))
    if not dated.all():  # buckets holding an undated document: its pairs with every member
        order = np.argsort(keys, kind="stable")
        ks, ds, und = keys[order], docs[order], ~dated[order]
        run = np.concatenate(([0], np.cumsum(ks[1:] != ks[:-1])))
        sel = np.isin(run, np.unique(run[und]))
        codes = pairs_in_runs(ds[sel], ks[sel])
        undated = np.zeros(n, dtype=bool)
        undated[docs[~dated]] = True
        out.append(codes[undated[codes >> 32] | undated[codes & 0xFFFFFFFF]])
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def estimated_jaccard_pairs(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """MinHash Jaccard estimate for each pair (vectorized, in chunks)."""
    out = np.empty(len(pairs), dtype=np.float32)
    k = signatures.shape[1]
    for s in range(0, len(pairs), 16384):  # 16 MB of gathered signatures at a time
        p = pairs[s : s + 16384]
        out[s : s + len(p)] = (signatures[p[:, 0]] == signatures[p[:, 1]]).sum(axis=1) / k
    return out


def make_lsh(bands: int, rows: int, num_perm: int, storage_config: dict | None = None):
    """A datasketch ``MinHashLSH`` with explicit ``(bands, rows)`` (for the incremental index)."""
    from datasketch import MinHashLSH

    return MinHashLSH(num_perm=num_perm, params=(bands, rows), storage_config=storage_config)
