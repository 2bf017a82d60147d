"""Shingle hashes -> MinHash signatures, by one-permutation hashing with optimal densification.

Instead of ``num_perm`` independent hash functions applied to every shingle (k x n work), each
shingle is hashed once (by :mod:`dupdetect.shingle`, whose hash is seeded); the high bits of the
hash pick one of ``num_perm`` bins and the hash is the value; a bin keeps its minimum
(Li, Owen & Zhang 2012, "One Permutation Hashing"). Empty bins (short texts) borrow the value
of a non-empty bin chosen by a fixed pseudo-random probe sequence per bin (Shrivastava 2017,
"Optimal Densification for Fast and Accurate Minwise Hashing"), which keeps
Pr[sig_a[i] == sig_b[i]] equal to the Jaccard similarity of the two sets.

Signatures are uint32 arrays of length ``num_perm``; :func:`to_datasketch` wraps one as a
``datasketch.LeanMinHash`` so datasketch's ``MinHashLSH`` (and its Redis/Cassandra storage)
accept it. An empty set has the all-``EMPTY`` signature and must never be indexed.
"""

from __future__ import annotations

import numpy as np

from ._hash import fmix64

__all__ = ["sign_many", "sign", "to_datasketch", "estimate_jaccard", "EMPTY"]

#: Value of a bin no shingle fell into (and of every bin of an empty set).
EMPTY = np.uint32(0xFFFFFFFF)
_PROBES = 512


_probe_cache: dict[tuple[int, int], np.ndarray] = {}


def _probe_table(num_perm: int, seed: int) -> np.ndarray:
    key = (num_perm, seed)
    table = _probe_cache.get(key)
    if table is None:
        # the seed offset wraps modulo 2**64 on purpose; computed on Python ints (no warning)
        offset = np.uint64((seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        idx = np.arange(num_perm * _PROBES, dtype=np.uint64) + offset
        h = fmix64(idx)
        table = (((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.int64)
        table = table.reshape(num_perm, _PROBES)
        _probe_cache[key] = table
    return table


def _densify(sig: np.ndarray, num_perm: int, seed: int) -> None:
    """Fill empty bins in place (rows that are entirely empty stay empty)."""
    empty = sig == EMPTY
    row_empty = empty.any(axis=1)
    if not row_empty.any():
        return
    all_empty = empty.all(axis=1)
    rows, cols = np.nonzero(empty & (row_empty & ~all_empty)[:, None])
    if rows.size == 0:
        return
    orig = sig.copy()
    probes = _probe_table(num_perm, seed)
    pending = np.arange(rows.size)
    for t in range(_PROBES):
        cand = probes[cols[pending], t]
        got = orig[rows[pending], cand]
        ok = got != EMPTY
        sig[rows[pending[ok]], cols[pending[ok]]] = got[ok]
        pending = pending[~ok]
        if pending.size == 0:
            return
    # Astronomically rare fallback (a row with very few non-empty bins): the next non-empty bin
    # to the right, circularly. Still a fixed rule, so still consistent across documents.
    for p in pending:
        r, c = rows[p], cols[p]
        for step in range(1, num_perm):
            v = orig[r, (c + step) % num_perm]
            if v != EMPTY:
                sig[r, c] = v
                break


_CHUNK_VALUES = 1 << 18  # shingles per pass: the scratch arrays stay in L2


def _min_into_bins(sig: np.ndarray, values: np.ndarray, offsets: np.ndarray, num_perm: int) -> None:
    """``sig[d * num_perm + bin(v)] = min(...)`` over every shingle ``v`` of every document ``d``.

    Works in passes of whole documents holding about ``_CHUNK_VALUES`` shingles, with 32-bit
    scratch reused between passes: no 64-bit temporaries of the size of ``values``.
    """
    n_docs = len(offsets) - 1
    pow2 = num_perm & (num_perm - 1) == 0
    shift = np.uint32(32 - (num_perm.bit_length() - 1))
    clamp = values.size and int(values.max()) == int(EMPTY)  # EMPTY is reserved
    lens = np.diff(offsets)
    # document boundaries of each pass
    cuts = np.searchsorted(offsets, np.arange(0, values.size, _CHUNK_VALUES), side="right") - 1
    cuts = np.unique(np.append(cuts, n_docs))
    buf = np.empty(min(values.size, _CHUNK_VALUES * 2), dtype=np.uint32)
    for d0, d1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        a, b = int(offsets[d0]), int(offsets[d1])
        if a == b:
            continue
        if b - a > buf.size:
            buf = np.empty(b - a, dtype=np.uint32)
        v = values[a:b]
        if clamp:
            v = np.minimum(v, np.uint32(0xFFFFFFFE))
        slot = buf[: b - a]
        if pow2:  # (v * num_perm) >> 32 == v >> (32 - log2(num_perm)) exactly
            np.right_shift(v, shift, out=slot)
        else:
            slot[:] = (v.astype(np.uint64) * np.uint64(num_perm)) >> np.uint64(32)
        base = np.arange(d1 - d0, dtype=np.uint32) * np.uint32(num_perm)
        slot += np.repeat(base, lens[d0:d1])
        np.minimum.at(sig[d0 * num_perm : d1 * num_perm], slot, v)


def sign_many(
    values: np.ndarray, offsets: np.ndarray, num_perm: int = 128, seed: int = 1
) -> np.ndarray:
    """Signatures of many shingle sets in CSR form (see :func:`dupdetect.shingle.shingle_many`).

    Returns a ``(n_docs, num_perm)`` uint32 array; a document without shingles gets a row of
    :data:`EMPTY`.
    """
    values = np.asarray(values, dtype=np.uint32)
    offsets = np.asarray(offsets, dtype=np.int64)
    n_docs = len(offsets) - 1
    flat = np.full(n_docs * num_perm, EMPTY, dtype=np.uint32)
    if values.size:
        _min_into_bins(flat, values, offsets, num_perm)
    sig = flat.reshape(n_docs, num_perm)
    _densify(sig, num_perm, seed)
    return sig


def sign(shingle_hashes: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """Signature of one shingle set (uint32 array of length ``num_perm``)."""
    hashes = np.asarray(shingle_hashes, dtype=np.uint32)
    return sign_many(hashes, np.array([0, hashes.size]), num_perm, seed)[0]


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of equal signature positions: the MinHash estimate of Jaccard similarity."""
    if a.shape != b.shape:
        raise ValueError(f"signatures differ in length ({a.shape} vs {b.shape}); use one num_perm")
    if (a == EMPTY).all() or (b == EMPTY).all():
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size


def to_datasketch(signature: np.ndarray, seed: int = 1):  # -> datasketch.LeanMinHash
    """Wrap a signature as ``datasketch.LeanMinHash`` for ``MinHashLSH`` and datasketch storage.

    Compare such objects only with others made here with the same ``seed``: datasketch's own
    ``MinHash`` uses other hash functions, and its scheme label here ("affine32") only records
    that the values are 32-bit.
    """
    from datasketch import LeanMinHash

    hv = np.asarray(signature, dtype=np.uint64)
    try:
        return LeanMinHash(seed=seed, hashvalues=hv, scheme="affine32")
    except TypeError:  # datasketch < 2.0 has no scheme argument
        return LeanMinHash(seed=seed, hashvalues=hv)
