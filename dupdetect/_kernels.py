"""Compiled kernels (numba), used where numba is installed: ``pip install "dupdetect[fast]"``.

A kernel here computes exactly what the numpy code of its caller computes: the same float32
products, summed in the same order in float64, rounded to float32 once. Results are therefore
bit-identical with and without numba (``tests/test_kernels.py`` compares them); numba only makes
large calls faster.

Kernels are compiled on first use (numba caches the machine code on disk, so later processes
only load it, ~0.3 s with numba's import) and only taken for calls of at least
:data:`MIN_PAIRS` pairs, where that cost is soon repaid: the sample, small batches and
``StoryIndex.add`` stay in numpy. ``DUPDETECT_NUMBA=0`` in the environment turns
them off (for comparisons); a numba that fails to compile falls back to numpy with a warning.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MIN_PAIRS", "merge_cosines", "enabled"]

#: The smallest call (pairs) that takes a compiled kernel: loading one costs ~0.3 s once per
#: process (a second of compiling the first time), and saves ~3.5 us per pair and vector (numpy
#: ~4.7 us, the kernel ~1.2 us here); Spark's tasks score 10,000 pairs per Arrow batch.
MIN_PAIRS = 5_000

_loaded: dict[str, Any] = {}


def _merge_cosines_py(
    offsets: np.ndarray,
    ids: np.ndarray,
    weights: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba; the numpy path is the reference
    # one merge of the two sorted id runs per pair; matching terms in id order, as numpy's
    # bincount adds them in :func:`dupdetect.score.cosines`
    for k in range(a.size):
        p, pe = offsets[a[k]], offsets[a[k] + 1]
        q, qe = offsets[b[k]], offsets[b[k] + 1]
        acc = 0.0
        while p < pe and q < qe:
            x, y = ids[p], ids[q]
            if x == y:
                acc += np.float64(weights[p] * weights[q])  # the float32 product, then float64
                p += 1
                q += 1
            elif x < y:
                p += 1
            else:
                q += 1
        out[k] = np.float32(acc)


def enabled() -> bool:
    """Whether numba kernels may be used (installed, not turned off, compiled)."""
    return merge_cosines() is not None


def merge_cosines() -> Callable[..., None] | None:
    """The compiled cosine kernel ``f(offsets, ids, weights, a, b, out)`` (``out[k]`` = the
    cosine of rows ``a[k]`` and ``b[k]``, before clipping), or None without numba."""
    if "merge" not in _loaded:
        _loaded["merge"] = _compile(_merge_cosines_py)
    kernel: Callable[..., None] | None = _loaded["merge"]
    return kernel


def _compile(func: Callable[..., None]) -> Callable[..., None] | None:
    if os.environ.get("DUPDETECT_NUMBA", "1").strip() in ("0", "false", "no", "off"):
        return None
    try:
        import numba
    except ImportError:
        return None
    probe = (
        np.array([0, 2, 3], np.int64),
        np.array([1, 5, 5], np.uint32),
        np.array([0.6, 0.8, 1.0], np.float32),
        np.array([0], np.int64),
        np.array([1], np.int64),
    )
    last: Exception | None = None
    for cache in (True, False):  # the disk cache needs a writable place; without it, compile
        try:
            kernel = numba.njit(cache=cache, nogil=True)(func)
            kernel(*probe, np.zeros(1, np.float32))  # compiles (or loads) now, not mid-batch
            return kernel  # type: ignore[no-any-return]
        except Exception as e:  # noqa: BLE001 - any numba failure means: use numpy
            last = e
    warnings.warn(
        f"numba is installed but its kernel could not be compiled ({last!r}); "
        "scoring in numpy instead (same results, slower)",
        RuntimeWarning,
        stacklevel=3,
    )
    return None
