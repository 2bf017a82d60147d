"""In-process storage: one Python process, arrays for the per-``add`` hot path."""

from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from itertools import chain
from typing import Any

import numpy as np

from .base import (
    EVENTS_KEPT,
    Candidates,
    Change,
    Identity,
    Record,
    Snapshot,
    Storage,
    Stored,
    story_number,
)

__all__ = ["MemoryStorage"]


class MemoryStorage(Storage):
    """In-process storage. Thread-safe.

    Layout for the per-``add`` hot path: every indexed (non-short) document has a *slot*; the
    signatures are rows of one growable ``(slots, num_perm)`` uint32 matrix, with the published
    times (float64) and document numbers (int64) in arrays beside it. LSH buckets (one dict per
    band, band key -> slot or list of slots) hold slots, so :meth:`candidates` gathers the
    bucket members, dedups them and filters them by time and signature with numpy, without
    touching a Python object per proposal. A deleted document is taken out of its buckets at
    once and its slot goes on a free list for the next insert, so memory stays bounded by the
    largest number of live documents (the matrix grows by doubling and never shrinks).
    Records (term vectors, id, meta) stay Python objects, fetched only for the few proposals
    that pass the prefilter.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self.identity: Identity | None = None
        self._reset()

    def _reset(self) -> None:
        """Empty every structure but the counters and the identity."""
        self._bands: list[dict[int, int | list[int]]] = []
        self._recs: dict[int, Record] = {}
        self._story_of: dict[int, str] = {}
        self._ids: dict[str | int, int] = {}
        self._stories: dict[str, list[int]] = {}
        self._times: list[tuple[float, int]] = []  # heap; lazily skips deleted numbers
        self._wm: float | None = None
        self._events: list[dict[str, Any]] = []
        self._retired: dict[str, str] = {}  # retired story id -> live survivor
        self._absorbed: dict[str, set[str]] = {}  # survivor -> the retired ids that point to it
        # slot arrays (see the class docstring); allocated on the first indexed insert
        self._slot: dict[int, int] = {}  # number -> slot
        self._free: list[int] = []
        self._used = 0  # slots ever handed out (high-water mark)
        self._sigs = np.zeros((0, 0), np.uint32)
        self._pub = np.zeros(0, np.float64)
        self._num = np.zeros(0, np.int64)

    def atomic(self) -> AbstractContextManager[None]:
        return self._lock  # type: ignore[return-value]

    def bind(self, fingerprint: str, settings: str) -> Identity:
        with self._lock:
            if self.identity is None:
                self.identity = Identity(fingerprint, settings)
            self.identity.check(fingerprint, settings, "memory")
            return self.identity

    def next_number(self, counter: str) -> int:
        with self._lock:
            n = self._counters.get(counter, 0) + 1
            self._counters[counter] = n
            return n

    def counters(self) -> dict[str, int]:
        return dict(self._counters)

    def number_of(self, doc_id: str | int) -> int | None:
        return self._ids.get(doc_id)

    def _gather(self, keys: Sequence[int]) -> np.ndarray:
        """Slots in the buckets of ``keys`` (unique, sorted)."""
        singles: list[int] = []
        lists: list[list[int]] = []
        for band, key in zip(self._bands, keys):
            hit = band.get(key)
            if hit is None:
                continue
            if type(hit) is int:
                singles.append(hit)
            else:
                lists.append(hit)  # type: ignore[arg-type]
        if lists:
            singles.extend(chain.from_iterable(lists))
        return np.unique(np.array(singles, dtype=np.int64))

    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        return set(self._num[self._gather(keys)].tolist())

    def candidates(self, keys: Sequence[int], cutoff: float | None) -> Candidates:
        slots = self._gather(keys)
        if cutoff is not None and slots.size:
            slots = slots[self._pub[slots] >= cutoff]
        nums = self._num[slots]
        order = np.argsort(nums, kind="stable")  # slots are reused: numbers in number order
        return Candidates(nums[order], self._sigs[slots[order]])

    def _new_slot(self, rec: Record) -> int:
        if self._free:
            slot = self._free.pop()
        else:
            slot = self._used
            self._used += 1
            if slot >= len(self._pub):
                cap = max(1024, 2 * len(self._pub))
                k = rec.signature.size
                sigs = np.zeros((cap, k), np.uint32)
                if slot:
                    sigs[:slot] = self._sigs[:slot]
                pub = np.full(cap, -np.inf, np.float64)
                pub[:slot] = self._pub[:slot]
                num = np.full(cap, -1, np.int64)
                num[:slot] = self._num[:slot]
                self._sigs, self._pub, self._num = sigs, pub, num
        if rec.signature.size != self._sigs.shape[1]:
            raise ValueError(
                f"signature of {rec.signature.size} values in an index of "
                f"{self._sigs.shape[1]}; all documents need the same num_perm"
            )
        self._sigs[slot] = rec.signature
        self._pub[slot] = rec.published
        self._num[slot] = rec.num
        self._slot[rec.num] = slot
        return slot

    def _free_slot(self, num: int) -> int | None:
        slot = self._slot.pop(num, None)
        if slot is not None:
            self._pub[slot] = -np.inf
            self._num[slot] = -1
            self._free.append(slot)
        return slot

    def records(self, nums: Sequence[int]) -> list[Stored | None]:
        recs, sto = self._recs, self._story_of
        return [Stored(recs[n], sto[n]) if n in recs else None for n in nums]

    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        return {s: list(self._stories.get(s, ())) for s in story_ids}

    def story_ids(self) -> list[str]:
        return sorted(self._stories, key=story_number)

    def count(self) -> int:
        return len(self._recs)

    def expired(self, cutoff: float, limit: int | None) -> list[int]:
        out: list[int] = []
        times = self._times
        while times and times[0][0] < cutoff and (limit is None or len(out) < limit):
            _, n = heapq.heappop(times)
            if n in self._recs:
                out.append(n)
        # the caller deletes them in the same locked section
        return out

    def watermark(self) -> float | None:
        return self._wm

    def events(self) -> list[dict[str, Any]]:
        return list(self._events)

    def _index(self, slot: int, keys: Sequence[int]) -> None:
        while len(self._bands) < len(keys):
            self._bands.append({})
        for band, key in zip(self._bands, keys):
            hit = band.get(key)
            if hit is None:
                band[key] = slot
            elif type(hit) is int:
                band[key] = [hit, slot]
            else:
                hit.append(slot)  # type: ignore[union-attr]

    def _unindex(self, slot: int, keys: Sequence[int]) -> None:
        for band, key in zip(self._bands, keys):
            hit = band.get(key)
            if hit == slot:
                del band[key]
            elif isinstance(hit, list) and slot in hit:
                hit.remove(slot)
                if len(hit) == 1:
                    band[key] = hit[0]

    def commit(self, change: Change) -> None:
        with self._lock:
            deleted = {rec.num for rec, _, _ in change.delete}
            for rec, _, _ in change.insert:  # (plain tuples work too, e.g. a benchmark's preload)
                held = self._ids.get(rec.doc_id)
                if held is not None and held not in deleted:
                    raise ValueError(f"doc_id {rec.doc_id!r} is already indexed")
            for rec, _, keys in change.delete:
                self._delete(rec, keys)
            for rec, story, keys in change.insert:
                self._recs[rec.num] = rec
                self._story_of[rec.num] = story
                self._ids[rec.doc_id] = rec.num
                bisect.insort(self._stories.setdefault(story, []), rec.num)
                if keys:
                    self._index(self._new_slot(rec), keys)
                heapq.heappush(self._times, (rec.published, rec.num))
            for nums, retired, survivor in change.moves:
                dst = self._stories.setdefault(survivor, [])
                for n in nums:
                    self._story_of[n] = survivor
                dst.extend(nums)
                dst.sort()
                self._stories.pop(retired, None)
                # retired (and every id it had absorbed) now resolve to survivor, in one hop
                moved = self._absorbed.pop(retired, set()) | {retired}
                for old in moved:
                    self._retired[old] = survivor
                self._absorbed.setdefault(survivor, set()).update(moved)
            self._events.extend(change.events)
            if len(self._events) > EVENTS_KEPT:
                del self._events[: len(self._events) - EVENTS_KEPT]
            if change.watermark is not None and (self._wm is None or change.watermark > self._wm):
                self._wm = change.watermark

    def _delete(self, rec: Record, keys: Sequence[int]) -> None:
        if self._recs.pop(rec.num, None) is None:
            return
        story = self._story_of.pop(rec.num)
        if self._ids.get(rec.doc_id) == rec.num:
            del self._ids[rec.doc_id]
        members = self._stories.get(story, [])
        if rec.num in members:
            members.remove(rec.num)
        if not members:  # the story is gone: so are the retired ids that resolved to it
            self._stories.pop(story, None)
            for old in self._absorbed.pop(story, ()):
                self._retired.pop(old, None)
        slot = self._free_slot(rec.num)
        if keys and slot is not None:
            self._unindex(slot, keys)

    def survivor(self, retired: str) -> str | None:
        return self._retired.get(retired)

    def retired_map(self) -> dict[str, str]:
        return dict(self._retired)

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
