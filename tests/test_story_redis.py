"""StoryIndex on a real Redis server: stale writers, lost data, settings, server configuration."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
import warnings

import pytest

from dupdetect.settings import Settings
from dupdetect.story import StoryIndex

sys.path.insert(0, os.path.dirname(__file__))
from conftest import HAS_REDIS, NO_REDIS  # noqa: E402
from redis_server import RedisServer  # noqa: E402
from story_texts import group_text  # noqa: E402

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not HAS_REDIS, reason=NO_REDIS),
]


def _ns() -> str:
    return f"r{uuid.uuid4().hex[:8]}"


def _stalled_storage(url: str, ns: str, delay: float, **options):
    """A RedisStorage whose first commit of an insert sleeps ``delay`` s first: a writer that
    read the index, then stalled (a GC pause, a slow host) before writing what it decided."""
    from dupdetect.storage import RedisStorage

    class Stalled(RedisStorage):
        def __init__(self) -> None:
            super().__init__(url, ns, **options)
            self.delay = delay
            self.stalled = threading.Event()
            self.commits = 0

        def commit(self, change):
            self.commits += 1
            if self.delay and change.insert:
                d, self.delay = self.delay, 0.0
                self.stalled.set()
                time.sleep(d)
            return super().commit(change)

    return Stalled()


# --- item 1: a stalled writer must not commit on a stale view -------------------------------------
def test_a_stalled_writer_does_not_commit_on_a_stale_view(redis_url):
    ns = _ns()
    text = group_text(3, 0)
    slow_storage = _stalled_storage(redis_url, ns, 2.5, lock_timeout=1)
    slow = StoryIndex(storage=slow_storage, namespace=ns, window=None)
    fast = StoryIndex(storage=redis_url, namespace=ns, window=None, lock_timeout=1)
    got = {}
    t = threading.Thread(target=lambda: got.update(a=slow.add("a", text)))
    t.start()
    try:
        assert slow_storage.stalled.wait(10)
        b = fast.add("b", text)  # the same text, while "a" is decided but not written
        t.join(20)
        assert not t.is_alive()
        assert got["a"].story_id == b.story_id, "the same text ended up in two stories"
        assert len(list(fast.stories())) == 1 and len(fast) == 2
        assert slow_storage.commits >= 2  # its stale commit was refused, and the add re-run
    finally:
        t.join(20)
        fast.clear()


# --- item 2: a server that lost everything --------------------------------------------------------
def test_a_server_restart_without_persistence_is_detected_and_ids_are_not_reused():
    from dupdetect.storage import NamespaceLost

    with RedisServer() as srv:  # no RDB, no AOF: a restart empties it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns at connect (tested below)
            idx = StoryIndex(storage=srv.url, namespace="news", window=None)
        ids = [idx.add(f"d{k}", group_text(k % 2, k // 2)).story_id for k in range(4)]
        assert len(set(ids)) == 2 and len(idx) == 4
        srv.restart()
        with pytest.raises(NamespaceLost, match=r"'news'.*(restart|persist)"):
            idx.add("d9", group_text(7, 0))
        with pytest.raises(NamespaceLost, match="'news'"):
            len(idx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fresh = StoryIndex(storage=srv.url, namespace="news", window=None)
        new = fresh.add("d0", group_text(0, 0)).story_id
        assert new not in ids, f"story id {new} was given to another story before the restart"
        idx.close()
        fresh.close()


def test_connect_warns_when_the_server_keeps_nothing():
    ns = _ns()
    with RedisServer() as srv:
        with pytest.warns(UserWarning, match="appendonly"):
            StoryIndex(storage=srv.url, namespace=ns).close()
    with RedisServer(persistence="everysec") as srv:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            StoryIndex(storage=srv.url, namespace=ns).close()
    with RedisServer(extra=["--rename-command", "CONFIG", ""]) as srv:  # CONFIG disabled
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            idx = StoryIndex(storage=srv.url, namespace=ns)
            assert idx.add("a", group_text(0, 0)).new_story
            idx.close()


# --- item 7: one namespace, one set of settings -------------------------------------------------
def test_a_writer_with_other_settings_is_refused(redis_url):
    ns = _ns()
    first = StoryIndex(storage=redis_url, namespace=ns, window=None)
    first.add("a", group_text(0, 0))
    other = Settings(num_perm=64, ngram=4)
    with pytest.raises(ValueError) as err:
        StoryIndex(other, storage=redis_url, namespace=ns, window=None)
    msg = str(err.value)
    assert first.settings.fingerprint in msg and other.fingerprint in msg
    assert "num_perm=64" in msg and "ngram=4" in msg and repr(ns) in msg
    same = StoryIndex(Settings(), storage=redis_url, namespace=ns, window=None)
    assert same.add("b", group_text(0, 0)).story_id == first.story_of("a")
    assert len(list(first.stories())) == 1
    first.clear()


def test_a_namespace_cleared_by_another_writer_is_detected(redis_url):
    from dupdetect.storage import NamespaceLost

    ns = _ns()
    a = StoryIndex(storage=redis_url, namespace=ns, window=None)
    b = StoryIndex(storage=redis_url, namespace=ns, window=None)
    old = a.add("x", group_text(0, 0)).story_id
    b.clear()  # a new epoch: b goes on, a learns that its view is gone
    with pytest.raises(NamespaceLost, match="another epoch"):
        a.add("y", group_text(1, 0))
    assert b.add("x", group_text(0, 0)).story_id != old and len(b) == 1
    b.clear()


def test_a_writer_fetches_only_the_low_entries_it_has_not_met(redis_url):
    """Each writer keeps the immutable low-byte entries it has met and, once most proposals are
    known, asks the server for the bucket union only: the candidates stay exactly those of a
    writer that fetches every entry every time (low_cache=0), through another writer's adds and
    removals, and the kept entries stay within low_cache."""
    from dupdetect.storage import RedisStorage

    ns = _ns()
    texts = [group_text(g, k) for k in range(6) for g in range(4)]
    a = StoryIndex(storage=redis_url, namespace=ns, window=None)
    b_st = RedisStorage(redis_url, ns, low_cache=1000)
    ref_st = RedisStorage(redis_url, ns, low_cache=0)
    small_st = RedisStorage(redis_url, ns, low_cache=5)
    b = StoryIndex(storage=b_st, namespace=ns, window=None)
    fetched: list[int] = []  # low entries b asks the server for, per call
    hmget, with_entries = b_st.r.hmget, b_st._with_entries

    def counting_hmget(name, keys, *args):
        if name == b_st._k("low"):
            fetched.append(len(keys))
        return hmget(name, keys, *args)

    def counting_script(keys, args):
        got = with_entries(keys=keys, args=args)
        fetched.append(len(got[0].split(b",")) if got[0] else 0)
        return got

    b_st.r.hmget, b_st._with_entries = counting_hmget, counting_script
    try:
        for i, t in enumerate(texts[:12]):
            a.add(f"a{i}", t)
        keys = [b.band_keys(b._featurize(group_text(g, 0))[0]) for g in range(4)]

        def check() -> list[int]:
            fetched.clear()
            sizes = []
            for k in keys:
                got, want = b_st.candidates(k, None), ref_st.candidates(k, None)
                small = small_st.candidates(k, None)
                assert got.nums.tolist() == want.nums.tolist() == small.nums.tolist() != []
                assert (got.signatures == want.signatures).all()
                assert (small.signatures == want.signatures).all()
                sizes.append(len(got.nums))
            return sizes

        sizes = check()  # fresh: every entry is fetched once (the first with the union)
        assert sum(fetched) == sum(sizes) and len(b_st._low) == sum(sizes), (fetched, sizes)
        check()  # warm: the union alone, nothing fetched
        assert fetched == []
        for i, t in enumerate(texts[12:], 12):  # another writer adds: only those are fetched
            a.add(f"a{i}", t)
        grown = check()
        assert sum(fetched) == sum(grown) - sum(sizes) > 0, (fetched, sizes, grown)
        a.remove("a0")  # removed by another writer: known here, but no proposal any more
        num = a.storage.number_of("a0")
        assert num is None
        check()
        assert len(small_st._low) <= 5
        b.add("b0", group_text(0, 9))  # its own add: known without asking
        fetched.clear()
        check()
        assert fetched == []
        with pytest.raises(ValueError, match="low_cache"):
            RedisStorage(redis_url, ns, low_cache=-1)
    finally:
        a.clear()
        for st in (b_st, ref_st, small_st):
            st.close()


def test_records_read_while_another_thread_empties_the_cache_are_all_returned(redis_url):
    """``records`` takes what is cached before it asks the server: another thread that trims
    (here: empties) the record cache meanwhile must not turn indexed records into None."""
    ns = _ns()
    idx = StoryIndex(storage=redis_url, namespace=ns, window=None)
    try:
        for k in range(6):
            idx.add(f"d{k}", group_text(k, 0))
        st = idx.storage
        nums = [st.number_of(f"d{k}") for k in range(6)]
        assert all(r is not None for r in st.records(nums))  # now all cached
        pipeline = st.r.pipeline

        def racing_pipeline(*args, **kwargs):
            p = pipeline(*args, **kwargs)
            execute = p.execute

            def execute_after_a_trim():
                st._cache.clear()  # what another thread's records() trimming may do
                return execute()

            p.execute = execute_after_a_trim
            return p

        st.r.pipeline = racing_pipeline
        got = st.records(nums)
        st.r.pipeline = pipeline
        assert [r.record.doc_id if r else None for r in got] == [f"d{k}" for k in range(6)]
    finally:
        idx.clear()


def test_more_records_than_the_cache_holds_are_all_read_saved_and_evicted(redis_url, tmp_path):
    """``records`` of more numbers than ``cache_size`` returns every one of them (it read
    them back from its LRU cache, which had dropped the oldest: ``save`` of a namespace larger
    than the cache wrote only a cache's worth of articles, and evicting a backlog larger than
    the cache deleted only that many), so ``save`` keeps them all and ``evict`` removes them."""
    from datetime import datetime, timedelta, timezone

    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    idx = StoryIndex(storage=redis_url, namespace=_ns(), window=timedelta(hours=1), cache_size=5)
    try:
        for i in range(30):  # far apart, so no add evicts another
            idx.add(f"d{i}", group_text(i, 0), published=t0 + timedelta(minutes=i))
        idx.storage._cache.clear()
        nums = [idx.storage.number_of(f"d{i}") for i in range(30)]
        rows = idx.storage.records(nums)
        assert [r.record.doc_id for r in rows if r is not None] == [f"d{i}" for i in range(30)]
        assert len(idx.storage._cache) == 5
        idx.storage._cache.clear()
        idx.save(tmp_path / "all.dds")
        back = StoryIndex.load(tmp_path / "all.dds")
        assert len(back) == 30 and back.story_of("d0") == idx.story_of("d0")
        gone = idx.evict(t0 + timedelta(days=1))
        assert sorted(gone) == sorted(f"d{i}" for i in range(30)) and len(idx) == 0
        assert idx.storage.audit(idx._keys_of) == []
    finally:
        idx.clear()
        idx.close()


def test_save_reads_a_consistent_snapshot_without_watching_every_story(redis_url, tmp_path):
    """``save`` takes Redis's own snapshot (read again while commits come in between), not one
    atomic section: that WATCHed every story key in one command, and at 100k articles the
    command timed out (save failed)."""
    idx = StoryIndex(storage=redis_url, namespace=_ns(), window=None)
    try:
        for i in range(12):
            idx.add(f"d{i}", group_text(i % 4, i), published=1.7e9 + i)
        watched: list[str] = []
        st, watch = idx.storage, idx.storage._watch

        def spy(names):  # what a WATCH would cover: _watch is a no-op outside a section
            if st._tx() is not None:
                watched.extend(names)
            watch(names)

        st._watch = spy  # type: ignore[method-assign]
        idx.save(tmp_path / "x.dds")
        assert watched == []
        back = StoryIndex.load(tmp_path / "x.dds")
        assert len(back) == 12 and {back.story_of(f"d{i}") for i in range(12)} == {
            idx.story_of(f"d{i}") for i in range(12)
        }
    finally:
        idx.clear()
        idx.close()


def test_save_gives_up_with_a_clear_error_while_writes_never_stop(redis_url, tmp_path):
    """Each snapshot read is repeated until no commit came in between; when one always does,
    ``save`` raises ``TimeoutError`` saying to pause the writers, and writes no file."""
    idx = StoryIndex(storage=redis_url, namespace=_ns(), window=None)
    try:
        idx.add("a", group_text(1, 0), published=1.7e9)
        st, read = idx.storage, idx.storage.read_snapshot

        def busy():  # another writer commits during every read
            snap = read()
            st.r.incr(st._k("v"))
            return snap

        st.read_snapshot = busy  # type: ignore[method-assign]
        with pytest.raises(TimeoutError, match="kept changing during save.*pause the writers"):
            idx.save(tmp_path / "x.dds")
        assert not (tmp_path / "x.dds").exists()
        st.read_snapshot = read  # type: ignore[method-assign]
        idx.save(tmp_path / "x.dds")  # and once they pause, it saves
        assert len(StoryIndex.load(tmp_path / "x.dds")) == 1
    finally:
        idx.clear()
        idx.close()
