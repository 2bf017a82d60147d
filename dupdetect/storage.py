"""Where a :class:`dupdetect.StoryIndex` keeps its state: one small abstract class, two backends.

The index logic (assign, merge, evict) lives in :mod:`dupdetect.story` and only talks to
:class:`Storage`. A backend keeps, per namespace:

- LSH buckets: for each band, band key -> document numbers (``settings.lsh_params`` bands);
- document records: number -> :class:`Record` (signature, term vectors, id, time, meta) and
  number -> story id (the only mutable field), plus doc id -> number;
- stories: story id -> member numbers; story ids are ``"s-<n>"`` with ``n`` from a counter, so a
  smaller ``n`` is an older story;
- a time index (published -> numbers) for window eviction, the newest time seen (watermark),
  and the merge-event log.

Document numbers come from a counter and are never reused, so a number names one immutable
record forever (a removed and re-added doc id gets a new number).

Backends: :class:`MemoryStorage` (default, one process) and :class:`RedisStorage` (several worker
processes share one index through a Redis server; ``redis://[:password@]host:port/db`` or
``rediss://`` for TLS). Make one with :func:`make_storage`.

Redis layout (``{ns}`` is the namespace)::

    {ns}:lock               the write lock (SET NX PX token; released by a compare-and-delete)
    {ns}:n:doc, {ns}:n:story  counters (INCR)
    {ns}:b:{band}:{key}     set of document numbers in one LSH bucket
    {ns}:rec                hash number -> packed immutable record (see pack_record)
    {ns}:sig                hash number -> '<f8' published + '<u4' signature (the prefilter's
                            input, fetched for every LSH proposal without the term vectors)
    {ns}:sto                hash number -> story id
    {ns}:ids                hash json(doc id) -> number
    {ns}:s:{story}          set of member numbers
    {ns}:stories            sorted set story id, scored by its counter value (creation order)
    {ns}:t                  sorted set number, scored by published (epoch seconds)
    {ns}:wm                 newest published time seen
    {ns}:events             list of merge events (JSON), capped at EVENTS_KEPT

Every ``add`` runs its read-assign-write section under the namespace lock, and the writes go out
in one MULTI/EXEC transaction, so concurrent writers in several processes lose nothing and never
give one story two ids; featurizing (the expensive part) runs outside the lock.
"""

from __future__ import annotations

import bisect
import heapq
import json
import struct
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from .features import Profile, TermVector

__all__ = [
    "Record",
    "Change",
    "Storage",
    "MemoryStorage",
    "RedisStorage",
    "make_storage",
    "pack_record",
    "unpack_record",
    "EVENTS_KEPT",
]

#: Merge events kept in the log (oldest dropped first).
EVENTS_KEPT = 10_000


@dataclass(frozen=True)
class Record:
    """One indexed document. Immutable except its story, which backends keep apart."""

    num: int
    doc_id: str | int
    published: float
    short: bool
    signature: np.ndarray  # uint32 (num_perm,)
    profile: Profile
    meta: dict[str, Any] | None = None


@dataclass
class Change:
    """Everything one ``add``/``remove``/``evict`` writes, applied atomically by a backend."""

    insert: list[tuple[Record, str, list[int]]] = field(default_factory=list)  # rec, story, keys
    moves: list[tuple[list[int], str, str]] = field(default_factory=list)  # nums, retired, survivor
    delete: list[tuple[Record, str, list[int]]] = field(default_factory=list)  # rec, story, keys
    events: list[dict[str, Any]] = field(default_factory=list)
    watermark: float | None = None


# ------------------------------------------------------------------------------------------------
# Record packing: fixed little-endian layout, no pickle.
_HEAD = struct.Struct("<IIIII")  # json length, num_perm, n unigrams, n bigrams, flags


def pack_record(rec: Record) -> bytes:
    """Bytes of a record: header, JSON (id, number, time, meta), '<u4' / '<f4' arrays."""
    head = json.dumps(
        {"id": rec.doc_id, "n": rec.num, "p": rec.published, "m": rec.meta},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    u, b = rec.profile.unigrams, rec.profile.bigrams
    return b"".join(
        [
            _HEAD.pack(len(head), rec.signature.size, u.ids.size, b.ids.size, int(rec.short)),
            head,
            rec.signature.astype("<u4").tobytes(),
            u.ids.astype("<u4").tobytes(),
            u.weights.astype("<f4").tobytes(),
            b.ids.astype("<u4").tobytes(),
            b.weights.astype("<f4").tobytes(),
        ]
    )


def unpack_record(data: bytes) -> Record:
    """Inverse of :func:`pack_record` (``ValueError`` on a truncated or malformed record)."""
    if len(data) < _HEAD.size:
        raise ValueError("truncated record")
    jl, k, nu, nb, flags = _HEAD.unpack_from(data)
    need = _HEAD.size + jl + 4 * (k + 2 * nu + 2 * nb)
    if len(data) != need:
        raise ValueError(f"record is {len(data)} bytes, expected {need}")
    pos = _HEAD.size
    head = json.loads(data[pos : pos + jl].decode("utf-8"))
    pos += jl

    def arr(n: int, dtype: str) -> np.ndarray:
        nonlocal pos
        a = np.frombuffer(data, dtype=dtype, count=n, offset=pos)
        pos += 4 * n
        return a.astype(np.uint32 if dtype == "<u4" else np.float32)  # native order, own copy

    sig = arr(k, "<u4")
    ui, uw = arr(nu, "<u4"), arr(nu, "<f4")
    bi, bw = arr(nb, "<u4"), arr(nb, "<f4")
    return Record(
        num=int(head["n"]),
        doc_id=head["id"],
        published=float(head["p"]),
        short=bool(flags & 1),
        signature=sig,
        profile=Profile(TermVector(ui, uw), TermVector(bi, bw)),
        meta=head["m"],
    )


# ------------------------------------------------------------------------------------------------
class Storage(ABC):
    """State of one story index. Reads may run anywhere; writes only through :meth:`commit`
    while holding :meth:`lock`."""

    @abstractmethod
    def lock(self) -> AbstractContextManager[None]:
        """Exclusive section for read-assign-write (across processes for shared backends)."""

    @abstractmethod
    def next_number(self, counter: str) -> int:
        """Next value (1, 2, ...) of a named counter ("doc" or "story"); never reused."""

    @abstractmethod
    def number_of(self, doc_id: str | int) -> int | None:
        """The number of an indexed doc id, or None."""

    @abstractmethod
    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        """Union of the numbers in bucket ``keys[band]`` of each band."""

    def candidates(
        self, keys: Sequence[int], cutoff: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """LSH proposals for band ``keys``: their numbers (int64, unique, sorted) and signatures
        (one uint32 row each), only documents published at or after ``cutoff`` (when given).

        The hot path of every ``add``: backends override it to answer from arrays (memory) or in
        one round trip (Redis), without building a :class:`Record` per proposal. This default
        goes through :meth:`bucket_members` and :meth:`records`.
        """
        rows = [r for r in self.records(sorted(self.bucket_members(keys))) if r is not None]
        if cutoff is not None:
            rows = [r for r in rows if r[0].published >= cutoff]
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.uint32)
        return (
            np.array([r.num for r, _ in rows], dtype=np.int64),
            np.stack([r.signature for r, _ in rows]),
        )

    @abstractmethod
    def records(self, nums: Sequence[int]) -> list[tuple[Record, str] | None]:
        """(record, story id) for each number, None where absent."""

    @abstractmethod
    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        """Member numbers of each story (sorted; empty for an unknown story)."""

    @abstractmethod
    def story_ids(self) -> list[str]:
        """All live story ids, oldest first."""

    @abstractmethod
    def count(self) -> int:
        """Number of indexed documents."""

    @abstractmethod
    def expired(self, cutoff: float, limit: int | None) -> list[int]:
        """Numbers of documents published before ``cutoff`` (oldest first, at most ``limit``)."""

    @abstractmethod
    def watermark(self) -> float | None:
        """Newest published time committed so far."""

    @abstractmethod
    def events(self) -> list[dict[str, Any]]:
        """The merge-event log, oldest first."""

    @abstractmethod
    def commit(self, change: Change) -> None:
        """Apply ``change`` atomically."""

    def all_numbers(self) -> list[int]:
        """Every indexed document number (for save)."""
        out: list[int] = []
        for members in self.members(self.story_ids()).values():
            out.extend(members)
        return sorted(out)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def _story_number(story_id: str) -> int:
    return int(story_id.rsplit("-", 1)[1])


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
        self._bands: list[dict[int, int | list[int]]] = []
        self._recs: dict[int, Record] = {}
        self._story_of: dict[int, str] = {}
        self._ids: dict[str | int, int] = {}
        self._stories: dict[str, list[int]] = {}
        self._times: list[tuple[float, int]] = []  # heap; lazily skips deleted numbers
        self._wm: float | None = None
        self._events: list[dict[str, Any]] = []
        # slot arrays (see the class docstring); allocated on the first indexed insert
        self._slot: dict[int, int] = {}  # number -> slot
        self._free: list[int] = []
        self._used = 0  # slots ever handed out (high-water mark)
        self._sigs = np.zeros((0, 0), np.uint32)
        self._pub = np.zeros(0, np.float64)
        self._num = np.zeros(0, np.int64)

    def lock(self) -> AbstractContextManager[None]:
        return self._lock  # type: ignore[return-value]

    def next_number(self, counter: str) -> int:
        with self._lock:
            n = self._counters.get(counter, 0) + 1
            self._counters[counter] = n
            return n

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

    def candidates(
        self, keys: Sequence[int], cutoff: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        slots = self._gather(keys)
        if cutoff is not None and slots.size:
            slots = slots[self._pub[slots] >= cutoff]
        nums = self._num[slots]
        order = np.argsort(nums, kind="stable")  # slots are reused: numbers in number order
        return nums[order], self._sigs[slots[order]]

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

    def records(self, nums: Sequence[int]) -> list[tuple[Record, str] | None]:
        recs, sto = self._recs, self._story_of
        return [(recs[n], sto[n]) if n in recs else None for n in nums]

    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        return {s: list(self._stories.get(s, ())) for s in story_ids}

    def story_ids(self) -> list[str]:
        return sorted(self._stories, key=_story_number)

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
            for rec, story, keys in change.delete:
                if self._recs.pop(rec.num, None) is None:
                    continue
                story = self._story_of.pop(rec.num)
                self._ids.pop(rec.doc_id, None)
                members = self._stories.get(story, [])
                if rec.num in members:
                    members.remove(rec.num)
                if not members:
                    self._stories.pop(story, None)
                slot = self._free_slot(rec.num)
                if keys and slot is not None:
                    self._unindex(slot, keys)
            self._events.extend(change.events)
            if len(self._events) > EVENTS_KEPT:
                del self._events[: len(self._events) - EVENTS_KEPT]
            if change.watermark is not None and (self._wm is None or change.watermark > self._wm):
                self._wm = change.watermark

    # used by StoryIndex.load
    def _restore(
        self, counters: dict[str, int], wm: float | None, events: list[dict[str, Any]]
    ) -> None:
        self._counters = dict(counters)
        self._wm = wm
        self._events = list(events)


# ------------------------------------------------------------------------------------------------
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# KEYS[1] = the sig hash, KEYS[2..] = the bucket sets: the union of the buckets and the packed
# signature of each member, in one round trip (HMGET in chunks: Lua's unpack() stack limit).
# Replies are three flat strings (numbers with a signature, their signatures concatenated,
# numbers without one): a client parses 3 bulk strings, not 2 elements per proposal.
_CANDIDATES = """
local nums = redis.call('SUNION', unpack(KEYS, 2))
local have, sigs, lost = {}, {}, {}
for i = 1, #nums, 4000 do
  local last = math.min(i + 3999, #nums)
  local part = redis.call('HMGET', KEYS[1], unpack(nums, i, last))
  for j = 1, #part do
    if part[j] then
      have[#have + 1] = nums[i + j - 1]
      sigs[#sigs + 1] = part[j]
    else
      lost[#lost + 1] = nums[i + j - 1]
    end
  end
end
return {table.concat(have, ','), table.concat(sigs), table.concat(lost, ',')}
"""

# add (SADD) or remove (SREM) ARGV[2] in every set KEYS[...]: one command for a document's
# bucket sets instead of one per band
_BUCKETS = """
for i = 1, #KEYS do redis.call(ARGV[1], KEYS[i], ARGV[2]) end
return #KEYS
"""


def _ints(raw: bytes) -> list[int]:
    return [int(x) for x in raw.split(b",")] if raw else []


_PUB = struct.Struct("<d")


def _pack_sig(rec: Record) -> bytes:
    return _PUB.pack(rec.published) + rec.signature.astype("<u4").tobytes()


def _jid(doc_id: str | int) -> str:
    return json.dumps(doc_id, ensure_ascii=False)


class RedisStorage(Storage):
    """Storage in a Redis server, shared by every process that uses the same URL and namespace.

    ``lock_timeout``: seconds after which a lock held by a crashed writer expires;
    ``lock_wait``: seconds to wait for the lock before ``TimeoutError``; ``cache_size``:
    records kept in this process (LRU) so that scoring does not fetch and unpack them again.
    """

    def __init__(
        self,
        url: str,
        namespace: str = "dupdetect",
        *,
        lock_timeout: float = 30.0,
        lock_wait: float = 60.0,
        cache_size: int = 20_000,
        client: Any = None,
    ) -> None:
        try:
            import redis
        except ImportError as e:
            raise ImportError(
                'StoryIndex(storage="redis://...") needs redis-py: pip install "dupdetect[redis]"'
            ) from e
        if not isinstance(namespace, str) or not namespace or any(c in namespace for c in " \n"):
            raise ValueError(f"namespace must be a non-empty str without spaces, got {namespace!r}")
        self.url = url
        self.namespace = namespace
        # redis-py types replies as broad unions (bytes | str | list ...); we decode explicitly
        self.r: Any = client if client is not None else redis.Redis.from_url(url)
        self.r.ping()  # fail here, with the URL in the message, not on the first add
        self._lock_px = int(lock_timeout * 1000)
        self._lock_wait = lock_wait
        self._release = self.r.register_script(_RELEASE)
        self._candidates = self.r.register_script(_CANDIDATES)
        self._buckets = self.r.register_script(_BUCKETS)
        self._local = threading.local()
        # number -> Record: numbers are never reused and records never change, so a cached
        # record is never stale (its story is always read from the server)
        self._cache: OrderedDict[int, Record] = OrderedDict()
        self.cache_size = cache_size
        #: seconds spent waiting for and holding the lock (for the benchmark)
        self.lock_wait_total = 0.0

    def _k(self, *parts: object) -> str:
        return ":".join([self.namespace, *map(str, parts)])

    def _bucket_names(self, keys: Sequence[int]) -> list[str]:
        ns = self.namespace
        return [f"{ns}:b:{band}:{key:x}" for band, key in enumerate(keys)]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth:  # re-entrant within one thread
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        token = uuid.uuid4().hex
        key = self._k("lock")
        t0 = time.perf_counter()
        delay = 0.0002
        while not self.r.set(key, token, nx=True, px=self._lock_px):
            if time.perf_counter() - t0 > self._lock_wait:
                raise TimeoutError(
                    f"could not take the StoryIndex lock {key!r} within {self._lock_wait} s; "
                    "another writer holds it (it expires after lock_timeout if that writer died)"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.005)
        self.lock_wait_total += time.perf_counter() - t0
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            self._release(keys=[key], args=[token])

    def lock(self) -> AbstractContextManager[None]:
        return self._locked()

    def next_number(self, counter: str) -> int:
        return int(self.r.incr(self._k("n", counter)))

    def number_of(self, doc_id: str | int) -> int | None:
        v = self.r.hget(self._k("ids"), _jid(doc_id))
        return None if v is None else int(v)

    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        if not keys:
            return set()
        names = [self._k("b", band, f"{key:x}") for band, key in enumerate(keys)]
        return {int(x) for x in self.r.sunion(names)}

    def candidates(
        self, keys: Sequence[int], cutoff: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        empty = np.zeros(0, np.int64), np.zeros((0, 0), np.uint32)
        if not keys:
            return empty
        names = self._bucket_names(keys)
        have, packed, lost = self._candidates(keys=[self._k("sig"), *names])
        nums_l = _ints(have)
        blobs = [packed] if packed else []
        if lost:  # indexed before the sig hash existed, or deleted meanwhile: use the record
            rows = [r for r in self.records(_ints(lost)) if r is not None]
            nums_l += [r.num for r, _ in rows]
            blobs += [_pack_sig(r) for r, _ in rows]
        if not nums_l:
            return empty
        nums = np.array(nums_l, dtype=np.int64)
        blob = b"".join(blobs)
        width = len(blob) // len(nums_l)
        buf = np.frombuffer(blob, dtype=np.uint8).reshape(len(nums_l), width)
        pub = buf[:, :8].copy().view("<f8").ravel()
        sigs = buf[:, 8:].copy().view("<u4").astype(np.uint32)
        order = np.argsort(nums, kind="stable")
        if cutoff is not None:
            order = order[pub[order] >= cutoff]
        return nums[order], sigs[order]

    def records(self, nums: Sequence[int]) -> list[tuple[Record, str] | None]:
        if not nums:
            return []
        cache = self._cache
        need = [n for n in nums if n not in cache]
        p = self.r.pipeline(transaction=False)
        p.hmget(self._k("sto"), list(nums))
        if need:
            p.hmget(self._k("rec"), need)
        got = p.execute()
        stories = got[0]
        if need:
            for n, b in zip(need, got[1]):
                if b is not None:
                    cache[n] = unpack_record(b)
            while len(cache) > self.cache_size:
                cache.popitem(last=False)
        out: list[tuple[Record, str] | None] = []
        for n, st in zip(nums, stories):
            rec = cache.get(n)
            if rec is None or st is None:
                out.append(None)
            else:
                cache.move_to_end(n)
                out.append((rec, st.decode()))
        return out

    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        p = self.r.pipeline(transaction=False)
        for s in story_ids:
            p.smembers(self._k("s", s))
        return {s: sorted(int(x) for x in m) for s, m in zip(story_ids, p.execute())}

    def story_ids(self) -> list[str]:
        return [s.decode() for s in self.r.zrange(self._k("stories"), 0, -1)]

    def count(self) -> int:
        return int(self.r.hlen(self._k("rec")))

    def expired(self, cutoff: float, limit: int | None) -> list[int]:
        kw = {} if limit is None else {"start": 0, "num": limit}
        return [int(x) for x in self.r.zrangebyscore(self._k("t"), "-inf", f"({cutoff!r}", **kw)]

    def watermark(self) -> float | None:
        v = self.r.get(self._k("wm"))
        return None if v is None else float(v)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.r.lrange(self._k("events"), 0, -1)]

    def commit(self, change: Change) -> None:
        p = self.r.pipeline(transaction=True)
        for rec, story, keys in change.insert:
            p.hset(self._k("rec"), rec.num, pack_record(rec))
            if keys:
                p.hset(self._k("sig"), rec.num, _pack_sig(rec))
            p.hset(self._k("sto"), rec.num, story)
            p.hset(self._k("ids"), _jid(rec.doc_id), rec.num)
            p.sadd(self._k("s", story), rec.num)
            p.zadd(self._k("stories"), {story: _story_number(story)})
            p.zadd(self._k("t"), {rec.num: rec.published})
            if keys:
                self._buckets(keys=self._bucket_names(keys), args=["SADD", rec.num], client=p)
        for nums, retired, survivor in change.moves:
            if nums:
                p.sadd(self._k("s", survivor), *nums)
                p.hset(self._k("sto"), mapping=dict.fromkeys(nums, survivor))
            p.delete(self._k("s", retired))
            p.zrem(self._k("stories"), retired)
        for rec, story, keys in change.delete:
            p.hdel(self._k("rec"), rec.num)
            p.hdel(self._k("sig"), rec.num)
            p.hdel(self._k("sto"), rec.num)
            p.hdel(self._k("ids"), _jid(rec.doc_id))
            p.srem(self._k("s", story), rec.num)
            p.zrem(self._k("t"), rec.num)
            if keys:
                self._buckets(keys=self._bucket_names(keys), args=["SREM", rec.num], client=p)
        if change.events:
            p.rpush(self._k("events"), *[json.dumps(e, ensure_ascii=False) for e in change.events])
            p.ltrim(self._k("events"), -EVENTS_KEPT, -1)
        if change.watermark is not None:
            wm = self.watermark()
            if wm is None or change.watermark > wm:
                p.set(self._k("wm"), repr(change.watermark))
        p.execute()
        # a story emptied by deletes disappears (SREM of the last member deletes the set)
        if change.delete:
            stories = sorted({s for _, s, _ in change.delete})
            q = self.r.pipeline(transaction=False)
            for s in stories:
                q.exists(self._k("s", s))
            gone = [s for s, e in zip(stories, q.execute()) if not e]
            if gone:
                self.r.zrem(self._k("stories"), *gone)

    def clear(self) -> None:
        """Delete every key of this namespace (SCAN + UNLINK)."""
        batch = []
        for key in self.r.scan_iter(match=self.namespace + ":*", count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                self.r.unlink(*batch)
                batch = []
        if batch:
            self.r.unlink(*batch)

    def close(self) -> None:
        self.r.close()


def make_storage(
    storage: str | Storage = "memory", namespace: str = "dupdetect", **options: Any
) -> Storage:
    """A backend from ``"memory"``, a ``redis://``/``rediss://``/``unix://`` URL, or an instance."""
    if isinstance(storage, Storage):
        if options:
            raise TypeError(f"options {sorted(options)} only apply when storage is a URL")
        return storage
    if not isinstance(storage, str):
        raise TypeError(
            f"storage must be 'memory', a redis:// URL or a Storage, got {type(storage).__name__}"
        )
    if storage == "memory":
        if options:
            raise TypeError(f"unknown option(s) {', '.join(sorted(options))} for memory storage")
        return MemoryStorage()
    if storage.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(storage, namespace, **options)
    raise ValueError(
        f"unknown storage {storage!r}; use 'memory' or a URL like redis://localhost:6379/0 "
        "(rediss:// for TLS, redis://:password@host:port/db with a password)"
    )
