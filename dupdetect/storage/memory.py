"""In-process storage: one Python process, compact arrays instead of Python objects per record."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import numpy as np

from ..features import Profile, TermVector, row_ranges
from ..lsh import band_keys
from ..score import VECTORS, scores_to_flat
from .arrays import (
    BandTable,
    Columns,
    Grow,
    TermPool,
    TimeQueue,
    short_keys_of_band,
    sorted_runs,
)
from .base import (
    EVENTS_KEPT,
    Candidates,
    Change,
    Identity,
    Record,
    Scores,
    Snapshot,
    Storage,
    Stored,
    story_number,
)

__all__ = ["MemoryStorage"]

_SHORT, _INDEXED, _LATIN = 1, 2, 4  # flag bits of a slot


class MemoryStorage(Storage):
    """In-process storage. Thread-safe.

    Every record has a *slot*, a row of parallel arrays: signature (one row of a ``(slots,
    num_perm)`` uint32 matrix), published time, number, flags; its term vectors live in a
    :class:`~dupdetect.storage.arrays.TermPool` (uint32 ids, uint8 counts), its LSH band keys in
    one :class:`~dupdetect.storage.arrays.BandTable` (sorted arrays of 32-bit keys and slots).
    Doc ids, story ids and meta are the only Python objects per record. :meth:`records` builds
    :class:`Record` objects on demand, bit-identical to the ones committed, so the per-``add``
    hot path (:meth:`candidates`) gathers, dedups and filters proposals with numpy and only the
    few that pass the prefilter become objects. A deleted record leaves its buckets at once and
    its slot is reused by the next insert; the arrays grow by half and never shrink.

    Band keys must be :meth:`dupdetect.StoryIndex.band_keys` of the record's signature (the
    number of rows per band is read off the first indexed record), because a proposal is
    checked against its own signature's band key.
    """

    #: Records kept built (a record never changes, so a cached one is never stale).
    cache_size = 8192

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self.identity: Identity | None = None
        self._reset()

    def _reset(self) -> None:
        """Empty every structure but the counters and the identity."""
        self._ids: dict[str | int, int] = {}  # doc id -> number
        self._cache: dict[int, Record] = {}  # number -> Record, the latest built first out
        self._slot_of: dict[int, int] = {}  # number -> slot
        self._stories: dict[str, int | list[int]] = {}  # one member: its number, else sorted
        self._wm: float | None = None
        self._events: list[dict[str, Any]] = []
        self._retired: dict[str, str] = {}  # retired story id -> live survivor
        self._absorbed: dict[str, set[str]] = {}  # survivor -> the retired ids that point to it
        self._free: list[int] = []
        self._used = 0  # slots ever handed out (high-water mark)
        self._num = Grow(np.int64, -1)
        self._pub = Grow(np.float64, -np.inf)
        self._flags = Grow(np.uint8)
        self._sigs = np.zeros((0, 0), np.uint32)
        self._doc: list[str | int | None] = []
        self._story: list[str | None] = []
        self._meta: dict[int, dict[str, Any]] = {}
        self._odd_sig: dict[int, np.ndarray] = {}  # signatures of records not indexed
        self._terms = TermPool(2)
        self._table = BandTable()
        self._times = TimeQueue()
        self._bands = 0
        self._rows = 0

    def atomic(self) -> AbstractContextManager[None]:
        return self._lock  # type: ignore[return-value]

    def bind(self, fingerprint: str, settings: str) -> Identity:
        with self._lock:
            if self.identity is None:
                self.identity = Identity(fingerprint, settings)
            self.identity.check(fingerprint, settings, "memory")
            return self.identity

    def next_number(self, counter: str) -> int:
        return self.next_numbers(counter, 1)[0]

    def next_numbers(self, counter: str, count: int) -> list[int]:
        with self._lock:
            last = self._counters.get(counter, 0)
            self._counters[counter] = last + max(count, 0)
            return list(range(last + 1, last + max(count, 0) + 1))

    def counters(self) -> dict[str, int]:
        return dict(self._counters)

    def number_of(self, doc_id: str | int) -> int | None:
        return self._ids.get(doc_id)

    # -- reads --------------------------------------------------------------------------------
    def _gather(self, keys: Sequence[int]) -> np.ndarray:
        if not self._rows or len(keys) != self._bands:
            return np.zeros(0, np.int64)
        return self._table.gather(keys, self._sigs, self._rows)

    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        return set(self._num.a[self._gather(keys)].tolist())

    def candidates(self, keys: Sequence[int], cutoff: float | None) -> Candidates:
        slots = self._gather(keys)
        if cutoff is not None and slots.size:
            slots = slots[self._pub.a[slots] >= cutoff]
        nums = self._num.a[slots]
        order = np.argsort(nums, kind="stable")  # slots are reused: numbers in number order
        return Candidates(nums[order], self._sigs[slots[order]])

    def scores_to(self, nums: Sequence[int], profile: Profile) -> Scores:
        # scored straight from the pooled vectors (vector v of the pool is VECTORS[v]): no
        # Record per candidate, the same float arithmetic as scoring the built records
        slot_of = self._slot_of
        present = [n for n in nums if n in slot_of]
        slots = [slot_of[n] for n in present]
        at = np.array(slots, np.int64)
        flats = [self._terms.flat(v, at) for v in range(len(VECTORS))]
        doc, story = self._doc, self._story
        return Scores(
            present,
            [doc[s] for s in slots],  # type: ignore[misc]
            [story[s] for s in slots],  # type: ignore[misc]
            scores_to_flat(profile, flats) if present else np.zeros(0, np.float64),
        )

    def records(self, nums: Sequence[int]) -> list[Stored | None]:
        slot_of, cache, story = self._slot_of, self._cache, self._story
        want = [n for n in nums if n in slot_of and n not in cache]
        fresh = {r.num: r for r in self._build([slot_of[n] for n in want])} if want else {}
        out: list[Stored | None] = []
        for n in nums:
            s = slot_of.get(n)
            if s is not None:
                rec = cache.get(n) or fresh[n]
                out.append(Stored(rec, story[s]))  # type: ignore[arg-type]
            else:
                out.append(None)
        cache.update(fresh)
        while len(cache) > self.cache_size:
            del cache[next(iter(cache))]  # the oldest built
        return out

    def _build(self, present: list[int]) -> list[Record]:
        """:class:`Record` objects of ``present`` slots, rebuilt from the arrays."""
        slots = np.array(present, np.int64)
        rows = self._sigs.shape[0]
        # a copy (slots get reused); a record not indexed has its signature apart
        sigs = self._sigs[np.minimum(slots, rows - 1)] if rows else None
        uni_ids, uni_w = self._terms.get(0, slots)
        bi_ids, bi_w = self._terms.get(1, slots)
        pubs = self._pub.a[slots].tolist()
        nums = self._num.a[slots].tolist()
        flags = self._flags.a[slots].tolist()
        doc, meta, odd = self._doc, self._meta, self._odd_sig
        built: list[Record] = []
        for i, s in enumerate(present):
            f = flags[i]
            sig = odd[s].copy() if odd and s in odd else sigs[i]  # type: ignore[index]
            prof = Profile(
                TermVector(uni_ids[i], uni_w[i]), TermVector(bi_ids[i], bi_w[i]), bool(f & _LATIN)
            )
            m = meta.get(s) if meta else None
            built.append(Record(nums[i], doc[s], pubs[i], bool(f & _SHORT), sig, prof, m))  # type: ignore[arg-type]
        return built

    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for s in story_ids:
            m = self._stories.get(s, ())
            out[s] = [m] if type(m) is int else list(m)  # type: ignore[arg-type]
        return out

    def story_ids(self) -> list[str]:
        return sorted(self._stories, key=story_number)

    def count(self) -> int:
        return len(self._slot_of)

    def expired(self, cutoff: float, limit: int | None) -> list[int]:
        out: list[int] = []
        while limit is None or len(out) < limit:
            n = self._times.pop_before(cutoff)
            if n is None:
                break
            if n in self._slot_of:
                out.append(n)
        # the caller deletes them in the same locked section
        return out

    def watermark(self) -> float | None:
        return self._wm

    def events(self) -> list[dict[str, Any]]:
        return list(self._events)

    def survivor(self, retired: str) -> str | None:
        return self._retired.get(retired)

    def retired_map(self) -> dict[str, str]:
        return dict(self._retired)

    # -- writes -------------------------------------------------------------------------------
    def _grow(self, slot: int, k: int) -> None:
        for g in (self._num, self._pub, self._flags):
            g.reserve(slot + 1)
            g.n = max(g.n, slot + 1)
        self._terms.reserve(slot + 1)
        if slot >= len(self._doc):
            self._doc.append(None)
            self._story.append(None)
        if k and (self._sigs.shape[1] != k or slot >= self._sigs.shape[0]):
            if self._sigs.size and self._sigs.shape[1] != k:
                raise ValueError(
                    f"signature of {k} values in an index of {self._sigs.shape[1]}; all "
                    "documents need the same num_perm"
                )
            cap = max(1024, self._num.a.size)
            sigs = np.zeros((cap, k), np.uint32)
            if self._sigs.size:
                sigs[: self._sigs.shape[0]] = self._sigs
            self._sigs = sigs

    def _learn_bands(self, sig: np.ndarray, keys: Sequence[int]) -> None:
        """Rows per band, read off the first indexed record (its keys are its band keys)."""
        b = len(keys)
        for r in range(1, sig.size // b + 1):
            if band_keys(sig[: b * r].reshape(b, r), 0, r).tolist() == list(keys):
                self._bands, self._rows = b, r
                return
        raise ValueError(
            "band keys are not the LSH band keys of the record's signature; "
            "use StoryIndex.band_keys(record)"
        )

    def _insert(self, rec: Record, story: str, keys: Sequence[int]) -> None:
        indexed = bool(keys)
        if indexed and not self._rows:
            self._learn_bands(rec.signature, keys)
        if indexed and len(keys) != self._bands:
            raise ValueError(f"{len(keys)} band keys in an index of {self._bands} bands")
        slot = self._free.pop() if self._free else self._used
        self._used = max(self._used, slot + 1)
        self._grow(slot, rec.signature.size if indexed else 0)
        if indexed:
            self._sigs[slot] = rec.signature
        else:
            self._odd_sig[slot] = rec.signature.copy()
        self._num.a[slot] = rec.num
        self._pub.a[slot] = rec.published
        self._flags.a[slot] = (
            (_SHORT if rec.short else 0)
            | (_INDEXED if indexed else 0)
            | (_LATIN if rec.profile.latin else 0)
        )
        self._doc[slot], self._story[slot] = rec.doc_id, story
        if rec.meta is not None:
            self._meta[slot] = rec.meta
        for v, vec in enumerate((rec.profile.unigrams, rec.profile.bigrams)):
            self._terms.put(slot, v, vec.ids, vec.weights)
        if indexed:
            self._table.add(slot, keys)
        self._slot_of[rec.num] = slot
        self._ids[rec.doc_id] = rec.num
        self._add_member(story, rec.num)
        self._times.push(rec.published, rec.num)

    def _add_member(self, story: str, num: int) -> None:
        m = self._stories.get(story)
        if m is None:
            self._stories[story] = num
        elif type(m) is int:
            self._stories[story] = sorted((m, num))
        else:
            bisect.insort(m, num)  # type: ignore[arg-type]

    def commit(self, change: Change) -> None:
        with self._lock:
            deleted = {rec.num for rec, _, _ in change.delete}
            for rec, _, _ in change.insert:  # (plain tuples work too, e.g. a benchmark's preload)
                held = self._ids.get(rec.doc_id)
                if held is not None and held not in deleted:
                    raise ValueError(f"doc_id {rec.doc_id!r} is already indexed")
            gone = [self._delete(rec.num) for rec, _, _ in change.delete]
            self._unindex([slot for slot in gone if slot is not None])  # before slots are reused
            for rec, story, keys in change.insert:
                self._insert(rec, story, keys)
            for nums, retired, survivor in change.moves:
                self._move(nums, retired, survivor)
            self._events.extend(change.events)
            if len(self._events) > EVENTS_KEPT:
                del self._events[: len(self._events) - EVENTS_KEPT]
            if change.watermark is not None and (self._wm is None or change.watermark > self._wm):
                self._wm = change.watermark

    def _move(self, nums: list[int], retired: str, survivor: str) -> None:
        for n in nums:
            slot = self._slot_of.get(n)
            if slot is not None:
                self._story[slot] = survivor
        have = self.members([survivor])[survivor]
        merged = sorted({*have, *nums})
        self._stories[survivor] = merged[0] if len(merged) == 1 else merged
        self._stories.pop(retired, None)
        # retired (and every id it had absorbed) now resolve to survivor, in one hop
        moved = self._absorbed.pop(retired, set()) | {retired}
        for old in moved:
            self._retired[old] = survivor
        self._absorbed.setdefault(survivor, set()).update(moved)

    def _unindex(self, slots: list[int]) -> None:
        """Take deleted records' slots out of the band table, all in one pass."""
        if not slots:
            return
        b, r = self._bands, self._rows
        rows = np.asarray(slots, dtype=np.int64)
        sigs = self._sigs[rows, : b * r]
        keys = np.stack([band_keys(sigs, j * r, (j + 1) * r) for j in range(b)], axis=1)
        self._table.remove_many(rows, keys)

    def _delete(self, num: int) -> int | None:
        """Forget record ``num``; its slot if the band table still holds it (the caller
        removes it there: :meth:`_unindex`), else None."""
        slot = self._slot_of.pop(num, None)
        if slot is None:
            return None
        self._cache.pop(num, None)
        doc, story = self._doc[slot], self._story[slot]
        if self._ids.get(doc) == num:  # type: ignore[arg-type]
            del self._ids[doc]  # type: ignore[arg-type]
        m = self._stories.get(story)  # type: ignore[arg-type]
        if type(m) is int or not m:
            self._stories.pop(story, None)  # type: ignore[arg-type]
            # the story is gone: so are the retired ids that resolved to it
            for old in self._absorbed.pop(story, ()):  # type: ignore[arg-type]
                self._retired.pop(old, None)
        else:
            m.remove(num)  # type: ignore[union-attr]
            if len(m) == 1:  # type: ignore[arg-type]
                self._stories[story] = m[0]  # type: ignore[index]
        indexed = bool(self._flags.a[slot] & _INDEXED)
        self._terms.drop(slot)
        self._odd_sig.pop(slot, None)
        self._meta.pop(slot, None)
        self._doc[slot] = self._story[slot] = None
        self._num.a[slot], self._pub.a[slot], self._flags.a[slot] = -1, -np.inf, 0
        self._free.append(slot)
        return slot if indexed else None

    def clear(self) -> None:
        with self._lock:
            self._reset()

    def restore_state(self, snap: Snapshot) -> None:
        with self._lock:
            self._counters = dict(snap.counters)
            self._wm = snap.watermark
            self._events = list(snap.events)
            self._retired = {k: v for k, v in snap.retired.items() if v in self._stories}
            self._absorbed = {}
            for old, survivor in self._retired.items():
                self._absorbed.setdefault(survivor, set()).add(old)
            if self.identity is not None:
                self.identity = replace(self.identity, epoch=snap.epoch)

    # -- whole-index copies in arrays (save / load) ------------------------------------------
    def columns(self) -> Columns:
        """Every record as :class:`Columns`, in number order (call inside :meth:`atomic`)."""
        slots = np.array(sorted(self._slot_of.values(), key=self._num.a.__getitem__), np.int64)
        n, k = slots.size, self._sigs.shape[1] if self._sigs.size else 0
        odd = self._odd_sig
        if odd and any(s in odd for s in slots.tolist()):
            rows = [odd[s] if s in odd else self._sigs[s] for s in slots.tolist()]
            sig_len = np.array([r.size for r in rows], np.uint32)
            sig = np.concatenate(rows).astype(np.uint32) if rows else np.zeros(0, np.uint32)
        else:
            sig_len, sig = np.full(n, k, np.uint32), self._sigs[slots].ravel()
        pool = self._terms
        lens, ids, counts = [], [], []
        for v in range(2):
            ln = pool.length[v].a[slots].astype(np.int64)
            at = row_ranges(pool.off[v].a[slots], ln)
            lens.append(ln.astype(np.uint32))
            ids.append(pool.ids.a[at])
            counts.append(pool.counts.a[at])
        row_of = {s: i for i, s in enumerate(slots.tolist())} if pool.raw else {}
        raw = sorted((v, row_of[s], w.size, w) for (v, s), w in pool.raw.items() if s in row_of)
        return Columns(
            num=self._num.a[slots].copy(),
            published=self._pub.a[slots].copy(),
            flags=self._flags.a[slots] & np.uint8(_SHORT | _LATIN),
            sig_len=sig_len,
            sig=sig,
            lens=lens,
            ids=ids,
            counts=counts,
            raw=np.array([r[:3] for r in raw], np.int64).reshape(-1, 3),
            raw_w=np.concatenate([r[3] for r in raw]) if raw else np.zeros(0, np.float32),
            doc=[self._doc[s] for s in slots.tolist()],  # type: ignore[misc]
            story=[self._story[s] for s in slots.tolist()],  # type: ignore[misc]
            meta=[self._meta.get(s) for s in slots.tolist()],
        )

    def restore_columns(self, cols: Columns, bands: int, rows: int) -> None:
        """Fill this empty storage with ``cols`` in bulk (a load): slot ``i`` is row ``i``.
        Records that are not short are indexed under their ``bands`` x ``rows`` band keys."""
        with self._lock:
            if self.count():
                raise ValueError("restore_columns() needs an empty storage")
            n = len(cols)
            self._reset()
            self._bands, self._rows = bands, rows
            indexed = (cols.flags & _SHORT) == 0
            self._num.extend(cols.num.astype(np.int64))
            self._pub.extend(cols.published.astype(np.float64))
            self._flags.extend(cols.flags | np.where(indexed, _INDEXED, 0).astype(np.uint8))
            self._used = n
            k = int(cols.sig_len[indexed][0]) if indexed.any() else 0
            ends = np.cumsum(cols.sig_len.astype(np.int64))
            starts = ends - cols.sig_len
            if n and (cols.sig_len == k).all():
                self._sigs = np.zeros((max(n, 1024), k), np.uint32)
                self._sigs[:n] = cols.sig.reshape(n, k)
            else:
                self._sigs = np.zeros((max(n, 1024), k), np.uint32)
                for i in np.flatnonzero(indexed).tolist():
                    self._sigs[i] = cols.sig[starts[i] : ends[i]]
            for i in np.flatnonzero(~indexed).tolist():
                self._odd_sig[i] = cols.sig[starts[i] : ends[i]].copy()
            pool = self._terms
            pool.reserve(n)
            total = sum(int(a.size) for a in cols.ids)
            pool.ids.reserve(total)  # one allocation each, not a copy per vector
            pool.counts.reserve(total)
            for v in range(2):
                ln = cols.lens[v].astype(np.int64)
                pool.off[v].a[:n] = np.cumsum(ln) - ln + pool.ids.n
                pool.length[v].a[:n] = ln
                pool.ids.extend(cols.ids[v])
                pool.counts.extend(cols.counts[v])
                pool.live += int(ln.sum())
            at = 0
            for v, i, ln in cols.raw.tolist():
                pool.raw[(v, i)] = cols.raw_w[at : at + ln].copy()
                at += ln
            self._doc, self._story = list(cols.doc), list(cols.story)
            self._meta = {i: m for i, m in enumerate(cols.meta) if m is not None}
            nums = cols.num.tolist()
            self._slot_of = dict(zip(nums, range(n)))
            self._ids = dict(zip(cols.doc, nums))
            for story, num in zip(cols.story, nums):  # rows are in number order: sorted lists
                m = self._stories.get(story)
                if m is None:
                    self._stories[story] = num
                elif type(m) is int:
                    self._stories[story] = [m, num]
                else:
                    m.append(num)  # type: ignore[union-attr]
            self._times.push_many(self._pub.view().copy(), cols.num.astype(np.int64))
            self._table_of(np.flatnonzero(indexed))

    def _table_of(self, slots: np.ndarray) -> None:
        """The band table of ``slots`` in one sort (a load)."""
        b, r, n = self._bands, self._rows, slots.size
        every = n == self._used  # all records indexed: slices, not gathers
        sigs = self._sigs[:n] if every else self._sigs[slots]
        packed = np.empty((b, n), np.uint64)  # table key << 32 | slot, band by band
        low = slots.astype(np.uint64)
        for j in range(b):
            k64 = band_keys(sigs[:, j * r : (j + 1) * r], 0, r)
            np.left_shift(short_keys_of_band(k64, j), np.uint64(32), out=packed[j], dtype=np.uint64)
            packed[j] |= low
        from ..parallel import default_workers

        runs = sorted_runs(packed.ravel(), default_workers())
        del packed
        keys, slots = np.empty(b * n, np.uint32), np.empty(b * n, np.uint32)
        at = 0
        for run in runs:
            keys[at : at + run.size] = run >> np.uint64(32)
            slots[at : at + run.size] = run  # the low 32 bits
            at += run.size
        del runs
        self._table.keys, self._table.slots = keys, slots.view(np.int32)

    def nbytes(self) -> dict[str, int]:
        """Bytes held in arrays, by part (Python objects not counted)."""
        return {
            "signatures": int(self._sigs.nbytes),
            "terms": self._terms.nbytes(),
            "lsh": self._table.nbytes(),
            "slots": sum(g.nbytes() for g in (self._num, self._pub, self._flags)),
            "times": self._times.nbytes(),
        }
