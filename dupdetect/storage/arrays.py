"""Compact building blocks of :class:`dupdetect.storage.MemoryStorage`: numpy arrays, not
Python objects per document.

- :class:`Grow`: a 1-d array that grows by half (over-allocation bounded to 1.5x).
- :class:`TermPool`: the term vectors of every record in pooled arrays (uint32 term ids and
  uint8 term counts, one offset and length per vector). A unit count vector is rebuilt from its
  counts with the arithmetic of :func:`dupdetect.features.term_matrices`, so the float32
  weights are bit-identical; a vector that cannot be rebuilt (counts above 255, or weights not
  made from counts) keeps its float32 weights beside the pool.
- :class:`BandTable`: LSH buckets of every band in one sorted uint32 key array (32-bit keys
  of (band, band key)) with a slot array beside it, plus a small dict for recent inserts merged
  in periodically; a deleted entry is a tombstone (slot -1) purged at the next merge. A 32-bit
  key can collide, so every proposal is checked against the 64-bit band key of its slot's
  signature: the proposals are exactly the documents sharing a 64-bit band key, as before.
- :class:`TimeQueue`: (published, number) in time order for eviction, as sorted arrays plus a
  heap of recent inserts.
- :class:`Columns`: every record as parallel arrays, what :mod:`dupdetect.persist` writes and
  reads in blocks (``MemoryStorage.columns`` / ``MemoryStorage.restore_columns``).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._hash import fmix64
from ..features import row_ranges
from ..lsh import band_keys

__all__ = [
    "Grow",
    "TermPool",
    "BandTable",
    "TimeQueue",
    "Columns",
    "encode_counts",
    "decode_counts",
    "short_keys",
    "short_keys_of_band",
]


class Grow:
    """A growable 1-d numpy array: ``.a[:n]`` is in use."""

    def __init__(self, dtype: type | np.dtype, fill: float | int = 0) -> None:
        self.a = np.zeros(0, dtype)
        self.n = 0
        self.fill = fill

    def reserve(self, size: int) -> None:
        if size > self.a.size:
            cap = max(size, 1024, self.a.size + self.a.size // 2)
            if self.fill == 0:  # zeroed pages come from the OS untouched
                new = np.zeros(cap, self.a.dtype)
            else:
                new = np.empty(cap, self.a.dtype)
                new[self.n :] = self.fill
            new[: self.n] = self.a[: self.n]
            self.a = new

    def extend(self, values: np.ndarray) -> int:
        """Append ``values``; returns where they start."""
        start = self.n
        self.reserve(start + values.size)
        self.a[start : start + values.size] = values
        self.n += values.size
        return start

    def view(self) -> np.ndarray:
        return self.a[: self.n]

    def nbytes(self) -> int:
        return int(self.a.nbytes)


# ------------------------------------------------------------------------------------------------
def decode_counts(counts: np.ndarray, row: np.ndarray, n_rows: int) -> np.ndarray:
    """Unit count vectors (float32) from concatenated counts and their row numbers: the
    arithmetic of ``features._batch_matrix`` (float64 counts, square root of the summed
    squares, float64 division, float32), so the result is bit-identical to featurizing."""
    w = counts.astype(np.float64)
    norms = np.sqrt(np.bincount(row, weights=w * w, minlength=n_rows))
    with np.errstate(invalid="ignore", divide="ignore"):  # a kept-apart row has counts 0
        return (w / norms[row]).astype(np.float32)


def encode_counts(weights: np.ndarray) -> np.ndarray | None:
    """The uint8 counts that :func:`decode_counts` turns back into exactly ``weights``, or None
    (weights not from counts of at most 255)."""
    if weights.size == 0:
        return np.zeros(0, np.uint8)
    w = weights.astype(np.float64)
    low = float(w.min())
    if not low > 0:
        return None
    ratio = w / low  # count / smallest count
    for smallest in range(1, 256):  # almost always 1
        c = np.rint(ratio * smallest)
        if c.max() > 255:
            return None
        if np.abs(c - ratio * smallest).max() > 1e-3:
            continue
        back = decode_counts(c, np.zeros(c.size, np.int64), 1)
        if np.array_equal(back.view(np.uint32), weights.astype(np.float32).view(np.uint32)):
            return c.astype(np.uint8)
    return None


class TermPool:
    """Term vectors of many slots, pooled. Vector ``v`` of slot ``s`` lives at
    ``ids[off[v][s] : off[v][s] + length[v][s]]``; rewrites leave garbage, compacted when it
    passes half the pool."""

    min_compact = 4096  # pooled entries below which garbage is left alone

    def __init__(self, vectors: int) -> None:
        self.ids = Grow(np.uint32)
        self.counts = Grow(np.uint8)
        self.off = [Grow(np.int64) for _ in range(vectors)]
        self.length = [Grow(np.int32) for _ in range(vectors)]
        self.raw: dict[tuple[int, int], np.ndarray] = {}  # (vector, slot) -> float32 weights
        self.live = 0  # pooled entries in use

    def reserve(self, slots: int) -> None:
        for g in (*self.off, *self.length):
            g.reserve(slots)
            g.n = max(g.n, slots)

    def put(self, slot: int, vector: int, ids: np.ndarray, weights: np.ndarray) -> None:
        counts = encode_counts(weights)
        if counts is None:
            self.raw[(vector, slot)] = weights.astype(np.float32, copy=True)
            counts = np.zeros(ids.size, np.uint8)
        else:
            self.raw.pop((vector, slot), None)
        self.off[vector].a[slot] = self.ids.extend(ids.astype(np.uint32, copy=False))
        self.counts.extend(counts)
        self.length[vector].a[slot] = ids.size
        self.live += ids.size

    def drop(self, slot: int) -> None:
        for v in range(len(self.off)):
            self.live -= int(self.length[v].a[slot])
            self.length[v].a[slot] = 0
            self.raw.pop((v, slot), None)
        if self.ids.n > self.min_compact and self.live < self.ids.n // 2:
            self.compact()

    def compact(self) -> None:
        """Rewrite the pool with only the vectors in use (offsets updated)."""
        slots = self.off[0].n
        starts = np.concatenate([o.a[:slots] for o in self.off])
        lens = np.concatenate([g.a[:slots] for g in self.length]).astype(np.int64)
        idx = row_ranges(starts, lens)
        ids, counts = self.ids.view()[idx], self.counts.view()[idx]
        self.ids, self.counts = Grow(np.uint32), Grow(np.uint8)
        self.ids.extend(ids)
        self.counts.extend(counts)
        new = np.concatenate(([0], np.cumsum(lens)[:-1]))
        for v, o in enumerate(self.off):
            o.a[:slots] = new[v * slots : (v + 1) * slots]

    def flat(self, vector: int, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Term ids, float32 weights and lengths of vector ``vector`` of each slot, laid end to
        end in slot order (fresh arrays; :data:`dupdetect.score.Flat`)."""
        starts = self.off[vector].a[slots]
        lens = self.length[vector].a[slots].astype(np.int64)
        idx = row_ranges(starts, lens)
        row = np.repeat(np.arange(slots.size, dtype=np.int64), lens)
        ids = self.ids.a[idx]
        w = decode_counts(self.counts.a[idx], row, slots.size)
        if self.raw:
            at = np.concatenate(([0], np.cumsum(lens)[:-1]))
            for i, s in enumerate(slots.tolist()):
                raw = self.raw.get((vector, s))
                if raw is not None:
                    w[at[i] : at[i] + raw.size] = raw
        return ids, w, lens

    def get(self, vector: int, slots: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Term ids and float32 weights of vector ``vector`` of each slot (fresh arrays)."""
        ids, w, lens = self.flat(vector, slots)
        ends = np.cumsum(lens).tolist()
        spans = list(zip([0, *ends[:-1]], ends))
        return [ids[a:b] for a, b in spans], [w[a:b] for a, b in spans]

    def nbytes(self) -> int:
        return sum(g.nbytes() for g in (self.ids, self.counts, *self.off, *self.length))


# ------------------------------------------------------------------------------------------------
#: Below this many keys one sort in the calling thread is as fast as splitting.
SPLIT_SORT = 1 << 22


def sorted_runs(keys: np.ndarray, threads: int) -> list[np.ndarray]:
    """``np.sort(keys)`` of uint64 keys whose top bits are hash bits, as consecutive runs (their
    concatenation is the sorted array), sorted on ``threads`` threads.

    The keys are split by their top bits into ranges of about equal size (hash bits are
    uniform) and each range is sorted in its own thread (numpy's sort releases the GIL): a
    loaded 1M-article index sorts 64 M band keys. The caller writes the runs where it needs
    them (no concatenated copy).
    """
    threads = min(threads, 8)
    if threads < 2 or keys.size < SPLIT_SORT:
        return [np.sort(keys)]
    bits = max(1, (threads - 1).bit_length())
    step = 1 << (64 - bits)
    runs = []
    for r in range(1 << bits):
        lo, hi = r * step, (r + 1) * step  # [lo, hi): one range of the top bits
        here = keys >= np.uint64(lo) if hi >= 1 << 64 else keys < np.uint64(hi)
        if 0 < lo and hi < 1 << 64:
            here &= keys >= np.uint64(lo)
        runs.append(keys[here])  # boolean indexing: np.compress(out=) is 5x slower here
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(np.ndarray.sort, runs))
    return runs


# ------------------------------------------------------------------------------------------------
_SALT = np.uint64(0x9E3779B97F4A7C15)


def short_keys(keys: Sequence[int] | np.ndarray) -> np.ndarray:
    """The 32-bit table key of band ``j``'s 64-bit key ``keys[..., j]`` (band number mixed
    in); a 2-d ``keys`` holds one document's band keys per row."""
    k = np.asarray(keys, dtype=np.uint64)
    bands = np.arange(1, k.shape[-1] + 1, dtype=np.uint64)
    return (fmix64(k ^ (bands * _SALT)) >> np.uint64(32)).astype(np.uint32)


def short_keys_of_band(keys: np.ndarray, band: int) -> np.ndarray:
    """:func:`short_keys` of many documents' 64-bit keys of one band."""
    salt = np.uint64(((band + 1) * int(_SALT)) & 0xFFFFFFFFFFFFFFFF)  # wraps like the arrays
    return (fmix64(keys.astype(np.uint64) ^ salt) >> np.uint64(32)).astype(np.uint32)


class BandTable:
    """LSH buckets of all bands: 32-bit keys -> slots (see the module docstring)."""

    min_merge = 65536  # recent entries (or tombstones) that always wait for the next merge

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.uint32)  # sorted
        self.slots = np.zeros(0, np.int32)  # -1: a deleted entry
        self.recent: dict[int, int | list[int]] = {}
        self.n_recent = 0
        self.dead = 0

    def add(self, slot: int, keys: Sequence[int]) -> None:
        recent = self.recent
        for k in short_keys(keys).tolist():
            hit = recent.get(k)
            if hit is None:
                recent[k] = slot
            elif type(hit) is int:
                recent[k] = [hit, slot]
            else:
                hit.append(slot)  # type: ignore[union-attr]
        self.n_recent += len(keys)
        if self.n_recent > max(self.min_merge, self.keys.size // 32):
            self.merge()

    def add_many(self, slots: np.ndarray, keys: np.ndarray) -> None:
        """Bulk insert: ``keys`` is ``(len(slots), bands)`` uint64 (a restore)."""
        short = np.stack([short_keys(row) for row in keys]) if len(keys) else keys
        self._merge_in(short.ravel().astype(np.uint32), np.repeat(slots, keys.shape[1]))

    def remove(self, slot: int, keys: Sequence[int]) -> None:
        """Take ``slot`` out under its band keys ``keys`` (:meth:`remove_many` of one)."""
        self.remove_many(np.array([slot]), np.asarray(keys, dtype=np.uint64)[None, :])

    def remove_many(self, slots: np.ndarray, keys: np.ndarray) -> None:
        """:meth:`remove` of many slots at once (an eviction): ``keys`` is ``(len(slots),
        bands)`` uint64, row ``i`` the band keys of ``slots[i]``. Two binary searches for all
        of them instead of two per slot; where the removed keys' buckets hold more entries than
        a quarter of the table (keys shared by many articles), one pass over the whole table
        instead, and likewise over the recent inserts."""
        slots = np.asarray(slots, dtype=np.int64)
        if slots.size == 0:
            return
        bands = keys.shape[1]
        sk = short_keys(keys)
        if self.recent:
            self._remove_recent(slots, sk)
        flat = sk.ravel()
        whole = flat.size * 8 > self.keys.size  # as many lookups as an eighth of the table
        if not whole:
            lo = np.searchsorted(self.keys, flat, "left")
            hi = np.searchsorted(self.keys, flat, "right")
            span = hi - lo
            whole = int(span.sum()) > self.keys.size // 4
        if whole:
            removed = np.zeros(int(max(slots.max(), self.slots.max(initial=0))) + 1, bool)
            removed[slots] = True
            gone = np.flatnonzero(removed[np.maximum(self.slots, 0)] & (self.slots >= 0))
        else:
            idx = row_ranges(lo, span)
            owner = np.repeat(np.repeat(slots, bands), span)
            gone = idx[self.slots[idx] == owner]
        self.slots[gone] = -1
        self.dead += gone.size
        if self.dead > max(self.min_merge, self.keys.size // 8):
            self.merge()

    def _remove_recent(self, slots: np.ndarray, sk: np.ndarray) -> None:
        recent = self.recent
        if sk.size > len(recent):  # fewer recent keys than removed ones: filter them all
            drop = set(slots.tolist())
            kept: dict[int, int | list[int]] = {}
            for k, hit in recent.items():
                if type(hit) is int:
                    if hit not in drop:
                        kept[k] = hit
                    continue
                left = [x for x in hit if x not in drop]  # type: ignore[union-attr]
                if left:
                    kept[k] = left[0] if len(left) == 1 else left
            self.n_recent = sum(len(h) if isinstance(h, list) else 1 for h in kept.values())
            self.recent = kept
            return
        for slot, row in zip(slots.tolist(), sk.tolist()):
            self._drop_recent(slot, row)

    def _drop_recent(self, slot: int, short: list[int]) -> None:
        """Take ``slot`` out of the recent inserts under each of its table keys ``short``."""
        recent = self.recent
        for k in short:
            hit = recent.get(k)
            if hit == slot:
                del recent[k]
                self.n_recent -= 1
            elif isinstance(hit, list) and slot in hit:
                hit.remove(slot)
                self.n_recent -= 1
                if len(hit) == 1:
                    recent[k] = hit[0]

    def merge(self) -> None:
        """Fold the recent inserts into the sorted arrays and purge tombstones."""
        ks: list[int] = []
        ss: list[int] = []
        for k, hit in self.recent.items():
            if type(hit) is int:
                ks.append(k)
                ss.append(hit)  # type: ignore[arg-type]
            else:
                ks.extend([k] * len(hit))  # type: ignore[arg-type]
                ss.extend(hit)  # type: ignore[arg-type]
        self.recent, self.n_recent = {}, 0
        self._merge_in(np.array(ks, np.uint32), np.array(ss, np.int32))

    def _merge_in(self, keys: np.ndarray, slots: np.ndarray) -> None:
        live = self.slots >= 0
        k = np.concatenate([self.keys[live], keys])
        s = np.concatenate([self.slots[live], slots.astype(np.int32)])
        order = np.argsort(k, kind="stable")
        self.keys, self.slots, self.dead = k[order], s[order], 0

    def gather(self, keys: Sequence[int], sigs: np.ndarray, rows: int) -> np.ndarray:
        """Slots sharing a 64-bit band key with ``keys`` (unique, sorted). ``sigs``: the
        signature matrix (slot rows), used to drop 32-bit key collisions."""
        k64 = np.asarray(keys, dtype=np.uint64)
        sk = short_keys(k64)
        lo = np.searchsorted(self.keys, sk, "left")
        hi = np.searchsorted(self.keys, sk, "right")
        found = self.slots[row_ranges(lo, hi - lo)]
        band = np.repeat(np.arange(sk.size, dtype=np.int64), hi - lo)
        if self.recent:
            extra_s: list[int] = []
            extra_b: list[int] = []
            for j, key in enumerate(sk.tolist()):
                hit = self.recent.get(key)
                if hit is None:
                    continue
                if type(hit) is int:
                    extra_s.append(hit)  # type: ignore[arg-type]
                    extra_b.append(j)
                else:
                    extra_s.extend(hit)  # type: ignore[arg-type]
                    extra_b.extend([j] * len(hit))  # type: ignore[arg-type]
            if extra_s:
                found = np.concatenate([found, np.array(extra_s, np.int32)])
                band = np.concatenate([band, np.array(extra_b, np.int64)])
        alive = found >= 0
        found, band = found[alive].astype(np.int64), band[alive]
        if found.size == 0:
            return found
        # the 64-bit key of the matching band of each proposal's own signature
        cols = band[:, None] * rows + np.arange(rows)
        vals = sigs[found[:, None], cols]
        same = band_keys(vals, 0, rows) == k64[band]
        return np.unique(found[same])

    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.slots.nbytes)


# ------------------------------------------------------------------------------------------------
class TimeQueue:
    """(published, number) pairs popped oldest first; sorted arrays plus a heap of recent
    pushes (merged in when it grows). Entries of deleted numbers are skipped by the caller."""

    min_merge = 4096  # heap entries that always wait for the next merge

    def __init__(self) -> None:
        self.pub = np.zeros(0, np.float64)
        self.num = np.zeros(0, np.int64)
        self.pos = 0
        self.heap: list[tuple[float, int]] = []

    def push(self, published: float, num: int) -> None:
        heapq.heappush(self.heap, (published, num))
        if len(self.heap) > max(self.min_merge, (self.pub.size - self.pos) // 16):
            self.merge()

    def push_many(self, published: np.ndarray, nums: np.ndarray) -> None:
        self.merge(published, nums)

    def merge(self, pub: np.ndarray | None = None, num: np.ndarray | None = None) -> None:
        hp = np.array([p for p, _ in self.heap], np.float64)
        hn = np.array([n for _, n in self.heap], np.int64)
        parts_p = [self.pub[self.pos :], hp] + ([pub] if pub is not None else [])
        parts_n = [self.num[self.pos :], hn] + ([num] if num is not None else [])
        p, n = np.concatenate(parts_p), np.concatenate(parts_n)
        order = np.lexsort((n, p))
        self.pub, self.num, self.pos, self.heap = p[order], n[order], 0, []

    def pop_before(self, cutoff: float) -> int | None:
        """The number of the oldest entry published before ``cutoff`` (removed), or None."""
        bulk = self.pos < self.pub.size and self.pub[self.pos] < cutoff
        heap = bool(self.heap) and self.heap[0][0] < cutoff
        if bulk and heap:
            bulk = (self.pub[self.pos], self.num[self.pos]) <= self.heap[0]
        if bulk:
            self.pos += 1
            return int(self.num[self.pos - 1])
        if heap:
            return heapq.heappop(self.heap)[1]
        return None

    def nbytes(self) -> int:
        return int(self.pub.nbytes + self.num.nbytes) + 64 * len(self.heap)


# ------------------------------------------------------------------------------------------------
@dataclass
class Columns:
    """Every record of an index as parallel arrays (what a StoryIndex file holds), rows in
    number order. Term vector ``v`` (0 unigrams, 1 bigrams) of row ``i`` has ``lens[v][i]``
    entries in ``ids[v]`` / ``counts[v]``; ``raw`` rows ``(v, i, length)`` keep their float32
    weights in ``raw_w`` instead (counts 0 there)."""

    num: np.ndarray  # int64
    published: np.ndarray  # float64
    flags: np.ndarray  # uint8: 1 short, 4 Latin script
    sig_len: np.ndarray  # uint32
    sig: np.ndarray  # uint32, concatenated
    lens: list[np.ndarray]  # uint32 per vector
    ids: list[np.ndarray]  # uint32 per vector, concatenated
    counts: list[np.ndarray]  # uint8 per vector, concatenated
    raw: np.ndarray  # int64 (m, 3): vector, row, length
    raw_w: np.ndarray  # float32, concatenated
    doc: list[str | int]
    story: list[str]
    meta: list[dict[str, Any] | None]

    def __len__(self) -> int:
        return int(self.num.size)
