"""Deterministic hashing (never Python's salted ``hash()``)."""

from __future__ import annotations

import numpy as np

__all__ = ["fmix64", "fmix32_inplace"]

_C1 = np.uint64(0xFF51AFD7ED558CCD)
_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_D1 = np.uint32(0x85EBCA6B)
_D2 = np.uint32(0xC2B2AE35)


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, elementwise on a uint64 array (a new array)."""
    x = x ^ (x >> _S33)
    x *= _C1
    x ^= x >> _S33
    x *= _C2
    x ^= x >> _S33
    return x


def fmix32_inplace(h: np.ndarray, tmp: np.ndarray) -> None:
    """MurmurHash3's 32-bit finalizer on a uint32 array, in place (``tmp``: scratch, same size)."""
    np.right_shift(h, np.uint32(16), out=tmp)
    np.bitwise_xor(h, tmp, out=h)
    np.multiply(h, _D1, out=h)
    np.right_shift(h, np.uint32(13), out=tmp)
    np.bitwise_xor(h, tmp, out=h)
    np.multiply(h, _D2, out=h)
    np.right_shift(h, np.uint32(16), out=tmp)
    np.bitwise_xor(h, tmp, out=h)
