"""Storage in a Redis server, shared by every worker process that uses the same URL and namespace.

``redis://[:password@]host:port/db``, ``rediss://`` for TLS, ``unix://`` for a socket.

Redis layout (``{ns}`` is the namespace)::

    {ns}:id                 identity JSON: settings fingerprint, settings, epoch (SET NX, once)
    {ns}:v                  version: +1 on every commit (save's consistency check)
    {ns}:n:doc, {ns}:n:story  counters (INCR)
    {ns}:b:{band}:{key}     set of document numbers in one LSH bucket
    {ns}:rec                hash number -> packed immutable record (see pack_record)
    {ns}:low                hash number -> '<f8' published + the low byte of each signature
                            value (the prefilter's first pass for every LSH proposal; the few
                            that pass are confirmed on the signature in their record). Entries
                            never change, so each writer keeps those it has met (``low_cache``)
                            and asks the server for the bucket union and the entries it lacks
    {ns}:sto                hash number -> story id
    {ns}:ids                hash json(doc id) -> number
    {ns}:s:{story}          set of member numbers
    {ns}:stories            sorted set story id, scored by its counter value (creation order)
    {ns}:ret                hash retired story id -> the live story that absorbed it
    {ns}:abs:{story}        set of the retired ids that resolve to story
    {ns}:t                  sorted set number, scored by published (epoch seconds)
    {ns}:wm                 newest published time seen
    {ns}:events             list of merge events (JSON), capped at EVENTS_KEPT

No lock. An ``add`` WATCHes the keys its decision reads (its LSH buckets, the member sets of the
candidate stories), reads, decides, and commits with one Lua script inside MULTI/EXEC. EXEC fails
if a watched key changed (another writer added to those buckets or stories): the add runs again
on the new state. The script itself checks, in the same atomic step, that the namespace identity
is still the one this writer bound to (:class:`NamespaceLost` otherwise) and that the doc id is
not indexed yet, then writes everything, so a commit is all or nothing and a writer that stalls
after reading (a GC pause, SIGSTOP) cannot write what it decided on a stale view. Writers only
contend when they touch the same buckets or stories, so throughput grows with writers.
"""

from __future__ import annotations

import json
import random
import struct
import threading
import time
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from ..lsh import low_bytes
from .base import (
    EVENTS_KEPT,
    Candidates,
    Change,
    Conflict,
    Identity,
    NamespaceLost,
    Record,
    Snapshot,
    Storage,
    Stored,
    pack_record,
    story_number,
    unpack_record,
)
from .redis_scripts import CANDIDATES, COMMIT, UNION

__all__ = ["RedisStorage", "masked_url"]

T = TypeVar("T")


def _int_array(raw: bytes) -> np.ndarray:
    """Numbers a script joined with ',' as an int64 array (numpy parses the digits)."""
    return np.array(raw.split(b","), dtype=np.int64) if raw else np.zeros(0, np.int64)


_PUB = struct.Struct("<d")


def _pack_low(rec: Record) -> bytes:
    return _PUB.pack(rec.published) + low_bytes(rec.signature.reshape(1, -1)).tobytes()


class _LowEntries:
    """The low-byte entries a writer has met (number -> ``_pack_low`` bytes as a uint8 row) in
    a ring of slots ``number % size``, grown by doubling up to ``capacity``: numbers are handed
    out in order, so a newer number takes the slot of one ``size`` older (the oldest go first).
    Lookups and inserts are whole arrays at a time."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.tags = np.zeros(0, np.int64)  # the number in each slot, -1 for none
        self.rows = np.zeros((0, 0), np.uint8)
        # threads of one process may share a storage: a lookup must never pair a number with
        # a row that is being written or moved
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(np.count_nonzero(self.tags >= 0))

    def get(self, nums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``nums`` are here (a mask), and their rows (in the order of the mask's
        True entries)."""
        with self._lock:
            if not self.tags.size:
                return np.zeros(nums.size, bool), self.rows[:0]
            slots = nums % self.tags.size
            hit = self.tags[slots] == nums
            return hit, self.rows[slots[hit]]

    def put(self, nums: np.ndarray, rows: np.ndarray) -> None:
        if not self.capacity or not nums.size:
            return
        with self._lock:
            self._put(nums, rows)

    def _put(self, nums: np.ndarray, rows: np.ndarray) -> None:
        if self.rows.shape[1:] != rows.shape[1:]:  # the first put, or another width
            self.tags, self.rows = np.full(0, -1, np.int64), np.zeros((0, rows.shape[1]), np.uint8)
        want = len(self) + nums.size if self.tags.size < self.capacity else 0
        if self.tags.size < min(self.capacity, 2 * want):  # grow: at most half the slots used
            size = min(self.capacity, max(1024, 1 << int(2 * want - 1).bit_length()))
            live = self.tags >= 0
            old_tags, old_rows = self.tags[live], self.rows[live]
            self.tags = np.full(size, -1, np.int64)
            self.rows = np.zeros((size, rows.shape[1]), np.uint8)
            self._place(old_tags, old_rows)
        self._place(nums, rows)

    def _place(self, nums: np.ndarray, rows: np.ndarray) -> None:
        slots = nums % self.tags.size
        self.tags[slots], self.rows[slots] = nums, rows

    def drop(self, nums: np.ndarray) -> None:
        with self._lock:
            if self.tags.size and nums.size:
                slots = nums % self.tags.size
                self.tags[slots[self.tags[slots] == nums]] = -1

    def clear(self) -> None:
        with self._lock:
            self.tags = np.zeros(0, np.int64)
            self.rows = np.zeros((0, 0), np.uint8)


def _jid(doc_id: str | int) -> str:
    return json.dumps(doc_id, ensure_ascii=False)


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and ``repr``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStorage(Storage):
    """Storage in a Redis server, shared by every process that uses the same URL and namespace.

    ``lock_wait``: seconds an operation keeps retrying (conflicts with other writers, a server
    that is restarting) before it gives up with ``TimeoutError`` / ``ConnectionError``;
    ``lock_timeout``: accepted for compatibility, unused (writers no longer hold a lock);
    ``cache_size``: records kept in this process (LRU) so that scoring does not fetch and unpack
    them again; ``low_cache``: low-byte entries kept in this process (144 bytes each with their
    number; the oldest go first), so that an add fetches only the entries of proposals it has
    not met before (0: fetch them all every time); ``connect_timeout``: seconds to wait for the
    server when connecting. Threads of one process may share one storage (each runs its own
    transactions; the caches are locked).
    """

    #: records per commit when ``evict`` clears a backlog: one commit is one Lua script, ~70
    #: server calls per deleted record; 2,000 keep each well under a second
    commit_batch = 2000

    def __init__(
        self,
        url: str,
        namespace: str = "dupdetect",
        *,
        lock_timeout: float = 30.0,
        lock_wait: float = 60.0,
        cache_size: int = 20_000,
        low_cache: int = 200_000,
        connect_timeout: float = 5.0,
        client: Any = None,
    ) -> None:
        try:
            import redis
            from redis.backoff import ExponentialWithJitterBackoff
            from redis.retry import Retry
        except ImportError as e:
            raise ImportError(
                'StoryIndex(storage="redis://...") needs redis-py: pip install "dupdetect[redis]"'
            ) from e
        if not isinstance(namespace, str) or not namespace or any(c in namespace for c in " \n"):
            raise ValueError(f"namespace must be a non-empty str without spaces, got {namespace!r}")
        self.url = url
        self.namespace = namespace
        self._redis = redis
        # redis-py types replies as broad unions (bytes | str | list ...); we decode explicitly
        self.r: Any = client
        if client is None:
            self.r = redis.Redis.from_url(
                url,
                socket_connect_timeout=connect_timeout,
                socket_timeout=max(connect_timeout, 10.0),
                retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 2),
            )
        self._connect()
        self._retry_for = float(lock_wait)
        del lock_timeout  # no lock any more; the option stays accepted
        if not isinstance(low_cache, int) or isinstance(low_cache, bool) or low_cache < 0:
            raise ValueError(f"low_cache must be an int >= 0, got {low_cache!r}")
        self._union = self.r.register_script(UNION)
        self._with_entries = self.r.register_script(CANDIDATES)
        self._commit = self.r.register_script(COMMIT)
        self._local = threading.local()
        self._ident_raw: bytes | None = None
        # number -> Record: numbers are never reused and records never change, so a cached
        # record is never stale (its story is always read from the server)
        self._cache: OrderedDict[int, Record] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_size = cache_size
        # number -> low-byte entry (immutable like the record)
        self._low = _LowEntries(low_cache)
        self.low_cache = low_cache
        #: commits refused because another writer changed what they read (then re-run)
        self.conflicts = 0
        #: seconds spent backing off before re-running (conflicts, a restarting server)
        self.lock_wait_total = 0.0
        #: the namespace version written by this process's last commit (commit order)
        self.last_version: int | None = None

    def _connect(self) -> None:
        """PING (fail here, with the URL in the message) and warn when nothing is persisted."""
        redis, where = self._redis, masked_url(self.url)
        try:
            self.r.ping()
        except redis.AuthenticationError as e:
            raise redis.AuthenticationError(
                f"Redis at {where} refused the credentials ({e}); check the password in the URL "
                "(redis://:PASSWORD@host:port/db, with % escapes for special characters)"
            ) from None
        except (redis.ConnectionError, redis.TimeoutError) as e:
            raise redis.ConnectionError(
                f"cannot reach Redis at {where} ({e}); is redis-server running there, and are "
                "the host and port right?"
            ) from None
        try:
            aof = self.r.config_get("appendonly").get("appendonly")
            save = self.r.config_get("save").get("save")
        except redis.ResponseError:  # CONFIG renamed away or not allowed: nothing to check
            return
        if aof == "no" and not save:
            warnings.warn(
                f"Redis at {where} keeps nothing on disk (appendonly no, save ''): a restart "
                "loses the whole StoryIndex. Run it with appendonly yes and appendfsync "
                "everysec (at most ~1 s of adds lost) or always (none lost)",
                UserWarning,
                stacklevel=4,
            )

    def _k(self, *parts: object) -> str:
        return ":".join([self.namespace, *map(str, parts)])

    def _bucket_names(self, keys: Sequence[int]) -> list[str]:
        ns = self.namespace
        return [f"{ns}:b:{band}:{key:x}" for band, key in enumerate(keys)]

    def describe(self) -> str:
        return masked_url(self.url)

    # -- identity ----------------------------------------------------------------------------
    def bind(self, fingerprint: str, settings: str) -> Identity:
        fresh = Identity(fingerprint, settings, uuid.uuid4().hex[:8])
        self.r.set(self._k("id"), fresh.to_json(), nx=True)
        raw = self.r.get(self._k("id"))
        if raw is None:  # cleared between the two calls
            raise NamespaceLost(f"namespace {self.namespace!r} was cleared while connecting")
        ident = Identity.from_json(raw)
        ident.check(fingerprint, settings, self.namespace)
        self.identity, self._ident_raw = ident, raw
        return ident

    def _lost(self, current: bytes | None) -> NamespaceLost:
        was = self.identity.epoch if self.identity is not None else None
        if current:
            what = f"now belongs to another epoch ({Identity.from_json(current).epoch}, was {was})"
        else:
            what = f"has lost its identity key {self._k('id')!r} (epoch {was})"
        return NamespaceLost(
            f"Redis namespace {self.namespace!r} at {masked_url(self.url)} {what}: its data is "
            "gone. Likely cause: the server restarted without persistence (appendonly no and no "
            "RDB save) or was flushed (FLUSHDB/FLUSHALL), or another process cleared the "
            "namespace. The articles indexed before are not there any more; make a new "
            "StoryIndex (a new epoch: story ids are not reused) and add them again from your "
            "source. Keep every acknowledged add with appendonly yes, appendfsync everysec or "
            "always"
        )

    def _check(self, current: bytes | None) -> None:
        if self._ident_raw is not None and current != self._ident_raw:
            raise self._lost(current)

    # -- transactions ----------------------------------------------------------------------------
    def _tx(self) -> Any:
        return getattr(self._local, "tx", None)

    def _watch(self, names: Sequence[str]) -> None:
        """In an atomic section: WATCH keys before reading them, so EXEC fails if they change."""
        tx = self._tx()
        if tx is not None and names:
            tx.watch(*names)

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        if self._tx() is not None:  # nested: part of the enclosing section
            yield
            return
        self._local.tx = self.r.pipeline(transaction=True)
        try:
            yield
        finally:
            tx, self._local.tx = self._local.tx, None
            tx.reset()

    def atomic(self) -> AbstractContextManager[None]:
        return self._atomic()

    def transact(self, section: Callable[[], T]) -> T:
        """Run ``section`` (reads, then at most one commit) until it commits on a view nobody
        changed meanwhile; retries with jittered backoff for ``lock_wait`` seconds."""
        redis = self._redis
        deadline = time.monotonic() + self._retry_for
        attempt = 0
        while True:
            try:
                with self._atomic():
                    return section()
            except (Conflict, redis.WatchError):
                self.conflicts += 1
                error: Exception | None = None
            except (redis.ConnectionError, redis.TimeoutError) as e:
                error = e  # the server is down or restarting: try again until the deadline
            if time.monotonic() > deadline:
                if error is not None:
                    raise redis.ConnectionError(
                        f"Redis at {masked_url(self.url)} unreachable for {self._retry_for:g} s "
                        f"(lock_wait): {error}"
                    ) from error
                raise TimeoutError(
                    f"StoryIndex write in namespace {self.namespace!r} kept conflicting with "
                    f"other writers for {self._retry_for:g} s (lock_wait); raise lock_wait"
                )
            pause = random.uniform(0, min(0.05, 0.0005 * 2**attempt))
            if error is not None:
                pause = min(0.2 * (attempt + 1), 1.0)
            time.sleep(pause)
            self.lock_wait_total += pause
            attempt += 1

    # -- reads ----------------------------------------------------------------------------
    def next_number(self, counter: str) -> int:
        return int(self.r.incr(self._k("n", counter)))

    def next_numbers(self, counter: str, count: int) -> list[int]:
        if count <= 0:
            return []
        last = int(self.r.incrby(self._k("n", counter), count))
        return list(range(last - count + 1, last + 1))

    def counters(self) -> dict[str, int]:
        names = ("doc", "story")
        got = self.r.mget([self._k("n", c) for c in names])
        return {c: int(v) for c, v in zip(names, got) if v is not None}

    def number_of(self, doc_id: str | int) -> int | None:
        v = self.r.hget(self._k("ids"), _jid(doc_id))
        return None if v is None else int(v)

    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        if not keys:
            return set()
        return {int(x) for x in self.r.sunion(self._bucket_names(keys))}

    def candidates(self, keys: Sequence[int], cutoff: float | None) -> Candidates:
        empty = Candidates(np.zeros(0, np.int64), np.zeros((0, 0), np.uint32))
        if not keys:
            return empty
        names = self._bucket_names(keys)
        self._watch(names)
        ident = [self._ident_raw or b""]
        if not self._low.tags.size:  # a fresh writer (or low_cache=0): every entry with the union,
            # in one round trip; then the union alone and the entries not met yet (two)
            have, packed, lost, same = self._with_entries(
                keys=[self._k("low"), self._k("id"), *names], args=ident
            )
            self._check_same(same)
            nums = _int_array(have)
            rows = np.frombuffer(packed, np.uint8).reshape(nums.size, -1) if nums.size else None
            if rows is not None:
                self._low.put(nums, rows)
            missing = _int_array(lost)
        else:
            have, same = self._union(keys=[self._k("id"), *names], args=ident)
            self._check_same(same)
            union = _int_array(have)
            hit, rows = self._low.get(union)
            nums, missing = union[hit], union[~hit]
        if missing.size:
            more = self._fetch_low(missing.tolist())
            if more:
                got = np.fromiter(more, dtype=np.int64, count=len(more))
                extra = np.frombuffer(b"".join(more.values()), np.uint8).reshape(got.size, -1)
                self._low.put(got, extra)
                nums = np.concatenate([nums, got])
                rows = extra if rows is None or not rows.size else np.concatenate([rows, extra])
        if not nums.size or rows is None:
            return empty
        pub = rows[:, :8].copy().view("<f8").ravel()
        order = np.argsort(nums, kind="stable")
        if cutoff is not None:
            order = order[pub[order] >= cutoff]
        # low bytes: StoryIndex confirms the survivors on their records
        return Candidates(nums[order], np.ascontiguousarray(rows[order, 8:]))

    def _check_same(self, same: bytes) -> None:
        if same != b"1" and self._ident_raw is not None:
            raise self._lost(self.r.get(self._k("id")))

    def _fetch_low(self, nums: list[int]) -> dict[int, bytes]:
        """The low-byte entries of ``nums`` from the server; a number without one (indexed
        before the low hash existed) gets it from its record; one deleted since the union was
        read has neither and is left out."""
        got = self.r.hmget(self._k("low"), nums)
        out = {n: b for n, b in zip(nums, got) if b is not None}
        lost = [n for n, b in zip(nums, got) if b is None]
        if lost:
            out.update((r.record.num, _pack_low(r.record)) for r in self.records(lost) if r)
        return out

    def records(self, nums: Sequence[int]) -> list[Stored | None]:
        if not nums:
            return []
        cache = self._cache
        with self._cache_lock:  # threads may share this storage: take what is cached now
            have = {n: cache[n] for n in nums if n in cache}
        need = [n for n in nums if n not in have]
        p = self.r.pipeline(transaction=False)
        p.hmget(self._k("sto"), list(nums))
        if need:
            p.hmget(self._k("rec"), need)
        got = p.execute()
        stories = got[0]
        # the answer is built from what was fetched and what was taken above, never read back
        # from the cache: a request larger than the cache (evicting a backlog) or another
        # thread would otherwise drop records from under it
        if need:
            have.update((n, unpack_record(b)) for n, b in zip(need, got[1]) if b is not None)
        out: list[Stored | None] = []
        for n, st in zip(nums, stories):
            rec = have.get(n)
            out.append(None if rec is None or st is None else Stored(rec, st.decode()))
        with self._cache_lock:
            for n, rec in have.items():
                cache[n] = rec
                cache.move_to_end(n)
            while len(cache) > self.cache_size:
                cache.popitem(last=False)
        return out

    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        names = [self._k("s", s) for s in story_ids]
        self._watch(names)
        p = self.r.pipeline(transaction=False)
        for name in names:
            p.smembers(name)
        return {s: sorted(int(x) for x in m) for s, m in zip(story_ids, p.execute())}

    def story_ids(self) -> list[str]:
        p = self.r.pipeline(transaction=False)
        p.get(self._k("id"))
        p.zrange(self._k("stories"), 0, -1)
        ident, ids = p.execute()
        self._check(ident)
        return [s.decode() for s in ids]

    def survivor(self, retired: str) -> str | None:
        v = self.r.hget(self._k("ret"), retired)
        return None if v is None else v.decode()

    def retired_map(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self._k("ret")).items()}

    def count(self) -> int:
        p = self.r.pipeline(transaction=False)
        p.get(self._k("id"))
        p.hlen(self._k("rec"))
        ident, n = p.execute()
        self._check(ident)
        return int(n)

    def expired(self, cutoff: float, limit: int | None) -> list[int]:
        kw = {} if limit is None else {"start": 0, "num": limit}
        return [int(x) for x in self.r.zrangebyscore(self._k("t"), "-inf", f"({cutoff!r}", **kw)]

    def watermark(self) -> float | None:
        v = self.r.get(self._k("wm"))
        return None if v is None else float(v)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.r.lrange(self._k("events"), 0, -1)]

    def snapshot(self) -> Snapshot:
        """Reads everything, and again until no commit happened in between (version key)."""
        for _ in range(20):
            v0 = self.r.get(self._k("v"))
            snap = self.read_snapshot()
            if self.r.get(self._k("v")) == v0:
                return snap
            time.sleep(0.05)
        raise TimeoutError(
            f"namespace {self.namespace!r} kept changing during save(); pause the writers"
        )

    # -- writes ----------------------------------------------------------------------------
    def _plan(self, change: Change) -> tuple[str, list[bytes]]:
        blobs: list[bytes] = []
        ins = []
        for rec, story, keys in change.insert:
            blobs += [pack_record(rec), _pack_low(rec) if keys else b""]
            ins.append(
                [
                    str(rec.num),
                    _jid(rec.doc_id),
                    story,
                    str(story_number(story)),
                    repr(rec.published),
                    "1" if keys else "0",
                    self._bucket_names(keys),
                ]
            )
        plan: dict[str, Any] = {
            "del": [
                [str(rec.num), _jid(rec.doc_id), self._bucket_names(keys)]
                for rec, _, keys in change.delete
            ],
            "ins": ins,
            "mov": [[[str(n) for n in nums], r, s] for nums, r, s in change.moves],
            "ev": [json.dumps(e, ensure_ascii=False) for e in change.events],
            "keep": str(EVENTS_KEPT),
        }
        if change.watermark is not None:
            plan["wm"] = repr(change.watermark)
        return json.dumps(plan, ensure_ascii=False, separators=(",", ":")), blobs

    def commit(self, change: Change) -> None:
        plan, blobs = self._plan(change)
        args = [self.namespace, self._ident_raw or b"", plan, *blobs]
        tx = self._tx()
        if tx is None:
            reply = self._commit(args=args)
        else:
            tx.multi()
            self._commit(args=args, client=tx)
            try:
                reply = tx.execute()[0]
            except self._redis.WatchError:
                raise Conflict("what this commit read changed meanwhile") from None
        status = reply[0]
        if status == b"ok":
            self.last_version = int(reply[1])
            self._low.drop(np.array([rec.num for rec, _, _ in change.delete], np.int64))
            new = [
                (rec.num, blob) for (rec, _, keys), blob in zip(change.insert, blobs[1::2]) if keys
            ]
            if new:
                nums = np.array([n for n, _ in new], np.int64)
                rows = np.frombuffer(b"".join(b for _, b in new), np.uint8).reshape(len(new), -1)
                self._low.put(nums, rows)
        if status == b"lost":
            raise self._lost(reply[1] or None)
        if status == b"exists":
            raise ValueError(f"doc_id {json.loads(reply[1])!r} is already indexed")

    def restore_state(self, snap: Snapshot) -> None:
        p = self.r.pipeline(transaction=True)
        for name, value in snap.counters.items():
            p.set(self._k("n", name), int(value))
        p.delete(self._k("wm"), self._k("events"))
        if snap.watermark is not None:
            p.set(self._k("wm"), repr(snap.watermark))
        if snap.events:
            p.rpush(self._k("events"), *[json.dumps(e, ensure_ascii=False) for e in snap.events])
        for old, survivor in snap.retired.items():
            p.hset(self._k("ret"), old, survivor)
            p.sadd(self._k("abs", survivor), old)
        p.execute()

    def clear(self) -> None:
        """Delete every key of this namespace (SCAN + UNLINK) and start a new epoch; the
        counters go on. Other writers bound to the old epoch get :class:`NamespaceLost`."""
        counters = self.counters()
        self.r.delete(self._k("id"))  # first: concurrent writers fail from here on
        batch = []
        for key in self.r.scan_iter(match=self._pattern("*"), count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                self.r.unlink(*batch)
                batch = []
        if batch:
            self.r.unlink(*batch)
        for name, value in counters.items():
            self.r.set(self._k("n", name), value)
        with self._cache_lock:
            self._cache.clear()
        self._low.clear()
        if self.identity is not None:
            self.bind(self.identity.fingerprint, self.identity.settings)

    def audit(self, keys_of: Callable[[Record], list[int]]) -> list[str]:
        """Every disagreement between the namespace's structures (empty when consistent): each
        record has its story, id, time, signature and buckets, and nothing else refers to a
        record that is not there. For tests and operators; reads everything (not for hot use)."""
        r, k, bad = self.r, self._k, []
        recs = {int(n): unpack_record(b) for n, b in r.hgetall(k("rec")).items()}
        sto = {int(n): s.decode() for n, s in r.hgetall(k("sto")).items()}
        ids = {json.loads(j): int(n) for j, n in r.hgetall(k("ids")).items()}
        # the low-byte entries (or, in a namespace written before them, the signature entries)
        sig = {int(n) for name in ("low", "sig") for n in r.hkeys(k(name))}
        times = {int(n) for n in r.zrange(k("t"), 0, -1)}
        live = {s.decode() for s in r.zrange(k("stories"), 0, -1)}
        sets = {n: {int(x) for x in r.smembers(k("s", n))} for n in live}
        if set(sto) != set(recs):
            bad.append(
                f"records without a story: {sorted(set(recs) - set(sto))}, "
                f"stories without a record: {sorted(set(sto) - set(recs))}"
            )
        for num, rec in recs.items():
            story = sto.get(num)
            if ids.get(rec.doc_id) != num:
                bad.append(f"doc {rec.doc_id!r} (#{num}): id map says {ids.get(rec.doc_id)}")
            if story not in sets or num not in sets[story]:
                bad.append(f"doc #{num}: not among the members of its story {story!r}")
            if num not in times:
                bad.append(f"doc #{num}: not in the time index")
            keys = keys_of(rec) if not rec.short else []
            if bool(keys) != (num in sig):
                bad.append(f"doc #{num}: signature entry {'missing' if keys else 'extra'}")
            for name in self._bucket_names(keys):
                if not r.sismember(name, num):
                    bad.append(f"doc #{num}: missing from bucket {name}")
        for n in ids.values():
            if n not in recs:
                bad.append(f"id map points to missing doc #{n}")
        for story, members in sets.items():
            if not members:
                bad.append(f"live story {story!r} has no members")
            for n in members - set(recs):
                bad.append(f"story {story!r} lists missing doc #{n}")
        stray = times - set(recs)
        if stray:
            bad.append(f"time index lists missing docs {sorted(stray)}")
        for name in r.scan_iter(match=self._pattern("b:*"), count=10_000):
            for n in r.smembers(name):
                if int(n) not in recs:
                    bad.append(f"bucket {name.decode()} lists missing doc #{int(n)}")
        for old, survivor in self.retired_map().items():
            if survivor not in live:
                bad.append(f"retired id {old!r} resolves to {survivor!r}, which is not live")
        return bad

    def _pattern(self, suffix: str) -> str:
        """A SCAN pattern for this namespace's keys (glob characters in the name escaped)."""
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in self.namespace)
        return f"{escaped}:{suffix}"

    def close(self) -> None:
        self.r.close()
