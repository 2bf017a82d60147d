"""Storage in a Redis server, shared by every worker process that uses the same URL and namespace.

``redis://[:password@]host:port/db``, ``rediss://`` for TLS, ``unix://`` for a socket.

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

import json
import struct
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np

from .base import (
    EVENTS_KEPT,
    Candidates,
    Change,
    Record,
    Storage,
    Stored,
    pack_record,
    story_number,
    unpack_record,
)

__all__ = ["RedisStorage"]


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

    def counters(self) -> dict[str, int]:
        names = ("doc", "story")
        got = self.r.mget([self._k("n", c) for c in names])
        return {c: int(v) for c, v in zip(names, got) if v is not None}

    def restore_state(
        self, counters: dict[str, int], watermark: float | None, events: list[dict[str, Any]]
    ) -> None:
        p = self.r.pipeline(transaction=True)
        for name, value in counters.items():
            p.set(self._k("n", name), int(value))
        p.delete(self._k("wm"), self._k("events"))
        if watermark is not None:
            p.set(self._k("wm"), repr(watermark))
        if events:
            p.rpush(self._k("events"), *[json.dumps(e, ensure_ascii=False) for e in events])
        p.execute()

    def number_of(self, doc_id: str | int) -> int | None:
        v = self.r.hget(self._k("ids"), _jid(doc_id))
        return None if v is None else int(v)

    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        if not keys:
            return set()
        names = [self._k("b", band, f"{key:x}") for band, key in enumerate(keys)]
        return {int(x) for x in self.r.sunion(names)}

    def candidates(self, keys: Sequence[int], cutoff: float | None) -> Candidates:
        empty = Candidates(np.zeros(0, np.int64), np.zeros((0, 0), np.uint32))
        if not keys:
            return empty
        names = self._bucket_names(keys)
        have, packed, lost = self._candidates(keys=[self._k("sig"), *names])
        nums_l = _ints(have)
        blobs = [packed] if packed else []
        if lost:  # indexed before the sig hash existed, or deleted meanwhile: use the record
            rows = [r for r in self.records(_ints(lost)) if r is not None]
            nums_l += [r.record.num for r in rows]
            blobs += [_pack_sig(r.record) for r in rows]
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
        return Candidates(nums[order], sigs[order])

    def records(self, nums: Sequence[int]) -> list[Stored | None]:
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
        out: list[Stored | None] = []
        for n, st in zip(nums, stories):
            rec = cache.get(n)
            if rec is None or st is None:
                out.append(None)
            else:
                cache.move_to_end(n)
                out.append(Stored(rec, st.decode()))
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
            p.zadd(self._k("stories"), {story: story_number(story)})
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
            stories = sorted({d.story for d in change.delete})
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
