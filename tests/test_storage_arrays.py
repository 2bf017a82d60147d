"""The compact arrays behind MemoryStorage give exactly what the plain structures gave."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import pytest

from dupdetect import StoryIndex
from dupdetect.features import term_matrices
from dupdetect.lsh import band_keys
from dupdetect.storage import arrays
from dupdetect.storage.arrays import BandTable, TermPool, TimeQueue, decode_counts, encode_counts

sys.path.insert(0, os.path.dirname(__file__))
from story_ops import run_ops  # noqa: E402


def test_counts_rebuild_featurized_weights_bit_for_bit():
    rng = random.Random(1)
    words = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(words) for _ in range(rng.randint(1, 300))] for _ in range(200)]
    for m in term_matrices(docs):
        for i in range(len(docs)):
            w = m.row(i).weights
            c = encode_counts(w)
            assert c is not None
            back = decode_counts(c, np.zeros(c.size, np.int64), 1)
            assert back.tobytes() == w.tobytes()


def test_weights_not_from_counts_are_kept_as_they_are():
    pool = TermPool(1)
    pool.reserve(2)
    odd = np.array([0.6, 0.8000001], np.float32)
    pool.put(0, 0, np.array([3, 9], np.uint32), odd)
    pool.put(1, 0, np.array([4], np.uint32), np.array([1.0], np.float32))
    ids, w = pool.get(0, np.array([0, 1]))
    assert w[0].tobytes() == odd.tobytes() and w[1].tolist() == [1.0]
    assert ids[0].tolist() == [3, 9] and ids[1].tolist() == [4]
    assert encode_counts(np.array([300.0, 1.0], np.float32) / np.float32(300.0)) is None


@pytest.mark.parametrize("collide", [False, True])
def test_band_table_proposes_exactly_the_documents_sharing_a_band_key(monkeypatch, collide):
    monkeypatch.setattr(BandTable, "min_merge", 40)  # merges and tombstone purges happen often
    if collide:  # 4-bit table keys: nearly every lookup meets other bands' entries
        short = arrays.short_keys
        monkeypatch.setattr(arrays, "short_keys", lambda k: short(k) & np.uint32(15))
    rng = np.random.default_rng(5)
    bands, rows, n = 16, 2, 600
    sigs = rng.integers(0, 6, size=(n, bands * rows), dtype=np.uint32)  # many shared bands
    keys = np.stack(
        [band_keys(sigs[:, j * rows : (j + 1) * rows], 0, rows) for j in range(bands)], 1
    )
    table, live = BandTable(), set()
    for s in range(n):
        table.add(s, keys[s].tolist())
        live.add(s)
        if s % 3 == 0:  # delete an earlier one
            d = int(rng.choice(sorted(live)))
            table.remove(d, keys[d].tolist())
            live.discard(d)
        if s % 50 == 0:
            q = int(rng.integers(0, n))
            want = sorted(x for x in live if (keys[x] == keys[q]).any())
            assert table.gather(keys[q].tolist(), sigs, rows).tolist() == want


@pytest.mark.parametrize("merged", [True, False])
@pytest.mark.parametrize("count", [3, 150])  # a lookup per key, or one pass over everything
def test_removing_many_slots_at_once_equals_removing_them_one_by_one(monkeypatch, merged, count):
    """An eviction takes many records out of the band table in one pass (remove_many): the
    table answers as after the same removals one by one, whether the entries sit in the sorted
    arrays or among the recent inserts."""
    monkeypatch.setattr(BandTable, "min_merge", 10**9 if not merged else 40)
    rng = np.random.default_rng(9)
    bands, rows, n = 16, 2, 400
    sigs = rng.integers(0, 6, size=(n, bands * rows), dtype=np.uint32)
    keys = np.stack(
        [band_keys(sigs[:, j * rows : (j + 1) * rows], 0, rows) for j in range(bands)], 1
    )
    one, many = BandTable(), BandTable()
    for t in (one, many):
        for s in range(n):
            t.add(s, keys[s].tolist())
        if merged:
            t.merge()
    assert bool(one.recent) is not merged
    gone = rng.choice(n, count, replace=False)
    for d in gone.tolist():
        one.remove(d, keys[d].tolist())
    many.remove_many(gone, keys[gone])
    assert many.n_recent == one.n_recent  # (tombstones may be purged at other times)
    live = set(range(n)) - set(gone.tolist())
    for q in range(0, n, 7):
        want = sorted(x for x in live if (keys[x] == keys[q]).any())
        assert many.gather(keys[q].tolist(), sigs, rows).tolist() == want
        assert one.gather(keys[q].tolist(), sigs, rows).tolist() == want


def test_time_queue_pops_oldest_first(monkeypatch):
    monkeypatch.setattr(TimeQueue, "min_merge", 3)
    q, rng = TimeQueue(), random.Random(2)
    pairs = [(rng.uniform(0, 100), i) for i in range(200)]
    for p, n in pairs[:150]:
        q.push(p, n)
    q.push_many(np.array([p for p, _ in pairs[150:]]), np.array([n for _, n in pairs[150:]]))
    got = []
    while (n := q.pop_before(50.0)) is not None:
        got.append(n)
    assert got == [n for p, n in sorted(pairs) if p < 50.0]


@pytest.mark.parametrize("window", [None, "12h"])
def test_merges_and_compactions_change_no_answer(monkeypatch, window):
    """The same workload (adds, rewrites, removals, redeliveries, evictions, merges) gives the
    same answers whether the arrays merge and compact all the time or never."""
    plain = run_ops(StoryIndex(window=window), 1200)
    monkeypatch.setattr(arrays.BandTable, "min_merge", 30)
    monkeypatch.setattr(arrays.TimeQueue, "min_merge", 4)
    monkeypatch.setattr(arrays.TermPool, "min_compact", 64)
    churned = run_ops(StoryIndex(window=window), 1200)
    assert churned == plain
    assert sum(len(x[5]) for x in plain if len(x) == 6) > 5  # the workload merges stories


def test_records_beyond_the_cache_are_all_returned(monkeypatch):
    from dupdetect.storage import MemoryStorage

    monkeypatch.setattr(MemoryStorage, "cache_size", 4)
    idx = StoryIndex(window=None)
    for i in range(12):
        idx.add(
            f"d{i}", f"{'جدرز ' * i} شصضط{i} عغقم حخثذ مححخ ثذجد رزشص ضطظع غقمح", published=1.7e9
        )
    nums = sorted(idx.storage.number_of(f"d{i}") for i in range(12))
    got = idx.storage.records(nums)
    assert [r.record.doc_id for r in got] == [f"d{i}" for i in range(12)]
    assert [r.record.num for r in idx.storage.records(nums[::-1])] == nums[::-1]


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_split_sort_equals_one_sort(monkeypatch, threads):
    monkeypatch.setattr(arrays, "SPLIT_SORT", 1)
    rng = np.random.default_rng(threads)
    keys = rng.integers(0, 2**64 - 1, 50_000, dtype=np.uint64, endpoint=True)
    keys[:100] = keys[100:200]  # repeats
    keys[-3:] = [0, 2**64 - 1, 2**63]  # the edges of the split
    runs = arrays.sorted_runs(keys.copy(), threads)
    assert len(runs) == (1 if threads == 1 else 1 << (threads - 1).bit_length())
    got = np.concatenate(runs)  # the runs are consecutive ranges: concatenated, one sort
    assert got.dtype == np.uint64 and np.array_equal(got, np.sort(keys))


@pytest.mark.parametrize("window, split", [(None, False), ("12h", False), (None, True)])
def test_a_loaded_index_answers_as_the_saved_one(tmp_path, monkeypatch, window, split):
    """Loading rebuilds the band table, term pool and time queue in bulk: the same workload
    after the load gets the same answers from the loaded index as from the original (``split``:
    the band table sorted in threads, as a large index is)."""
    if split:
        monkeypatch.setattr(arrays, "SPLIT_SORT", 1)
        monkeypatch.setattr("dupdetect.parallel.default_workers", lambda: 2)
    idx = StoryIndex(window=window)
    run_ops(idx, 700, seed=3)
    idx.save(tmp_path / "i.dds")
    loaded = StoryIndex.load(tmp_path / "i.dds")
    assert len(loaded) == len(idx)
    assert run_ops(loaded, 500, seed=4, prefix="e") == run_ops(idx, 500, seed=4, prefix="e")


def test_pooled_scores_equal_the_scores_of_the_built_records():
    """``MemoryStorage.scores_to`` scores from the pooled vectors; the base class scores the
    built records: the same numbers, doc ids, stories and scores bit for bit, absent numbers
    skipped, a record whose weights are not counts (kept raw) included."""
    from dupdetect.features import Profile, TermVector
    from dupdetect.storage import Change, Insert, MemoryStorage, Record, Storage

    idx = StoryIndex(window=None)
    run_ops(idx, 300, seed=7)
    st = idx.storage
    assert isinstance(st, MemoryStorage)
    num = st.next_number("doc")
    first = st.records([st.all_numbers()[0]])[0]
    assert first is not None
    odd = Profile(
        TermVector(first.record.profile.unigrams.ids, first.record.profile.unigrams.weights * 0.9),
        first.record.profile.bigrams,
    )
    raw = Record(num, "raw", 1.7e9, False, first.record.signature, odd, None)
    st.commit(Change(insert=[Insert(raw, st.new_story_id(), idx.band_keys(raw))]))
    assert st._terms.raw  # the test covers the raw-weights path
    query = st.records([st.all_numbers()[5]])[0].record.profile  # type: ignore[union-attr]
    nums = [*st.all_numbers(), 10**9]
    pooled = st.scores_to(nums, query)
    built = Storage.scores_to(st, nums, query)
    assert pooled.nums == built.nums and pooled.doc_ids == built.doc_ids
    assert pooled.stories == built.stories and 10**9 not in pooled.nums
    assert pooled.scores.tobytes() == built.scores.tobytes()
    assert (pooled.scores > 0).sum() > 10
    # and against the committed objects themselves, not only the ones rebuilt from the pool
    from dupdetect.score import scores_to

    at = pooled.nums.index(num)
    assert pooled.scores[at].tobytes() == scores_to(query, [odd])[0].tobytes()


def test_the_redis_writers_low_entries_ring_keeps_the_newest_and_finds_them():
    """RedisStorage's cache of low-byte entries: whole-array lookups give each number its own
    row, growth keeps what was there, a newer number takes an older one's slot at capacity, and
    dropped numbers are gone."""
    from dupdetect.storage.redis import _LowEntries

    def rows(nums):
        return (np.asarray(nums)[:, None] * 7 + np.arange(10)).astype(np.uint8)

    ring = _LowEntries(4096)
    assert len(ring) == 0 and not ring.get(np.array([1, 2]))[0].any()
    ring.put(np.arange(1, 101), rows(np.arange(1, 101)))
    ring.put(np.arange(101, 3001), rows(np.arange(101, 3001)))  # grows past 1024 slots
    ask = np.array([5, 3000, 4000, 77, -3])
    hit, got = ring.get(ask)
    assert hit.tolist() == [True, True, False, True, False]
    assert (got == rows(ask[hit])).all()
    ring.put(np.arange(3001, 9001), rows(np.arange(3001, 9001)))  # past capacity
    assert len(ring) == 4096
    hit, got = ring.get(np.arange(1, 9001))
    assert hit.sum() == 4096 and hit[-4096:].all(), "the newest numbers are the ones kept"
    assert (got == rows(np.arange(1, 9001)[hit])).all()
    ring.drop(np.array([9000, 1]))
    assert ring.get(np.array([9000, 8999]))[0].tolist() == [False, True]
    none = _LowEntries(0)
    none.put(np.array([1]), rows([1]))
    assert len(none) == 0


def test_the_low_entries_ring_pairs_numbers_with_their_own_rows_across_threads():
    """Threads of one process share a RedisStorage: lookups running while other threads insert
    (and grow the ring, and overwrite slots) never return a row that belongs to another
    number. (A race shows in about half the rounds when the ring has no lock: ten rounds.)"""
    import threading

    from dupdetect.storage.redis import _LowEntries

    width = 136

    def rows(nums):
        return (np.asarray(nums)[:, None] * 31 + np.arange(width)).astype(np.uint8)

    bad: list[str] = []

    def one_round(seed: int) -> _LowEntries:
        ring = _LowEntries(1 << 14)
        stop = threading.Event()

        def writer(start: int) -> None:
            for s in range(start, 200_000, 2 * 500):
                nums = np.arange(s, s + 500)
                ring.put(nums, rows(nums))
            stop.set()

        def reader() -> None:
            rng = np.random.default_rng(seed)
            while not stop.is_set() and not bad:
                ask = rng.integers(0, 200_000, 2000)
                try:
                    hit, got = ring.get(ask)
                    if hit.any() and not (got == rows(ask[hit])).all():
                        bad.append("a number came back with another number's row")
                except Exception as e:  # noqa: BLE001 - a thread's error must fail the test
                    bad.append(repr(e))

        threads = [threading.Thread(target=reader) for _ in range(3)]
        threads += [threading.Thread(target=writer, args=(s,)) for s in (0, 500)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return ring

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between any two steps, not every 5 ms
    try:
        for seed in range(10):
            ring = one_round(seed)
            assert not bad, bad[0]
            assert len(ring) > 0
    finally:
        sys.setswitchinterval(switch)
