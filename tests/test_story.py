"""StoryIndex: incremental assignment, merges, window, save/load, and Redis shared by processes.

The same suite runs on memory and on a real redis-server started here (tests marked ``redis``
skip when the binary is absent).
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from dupdetect.lsh import low_bytes
from dupdetect.pipeline import cluster_texts
from dupdetect.settings import Settings
from dupdetect.storage import story_id, story_number
from dupdetect.story import MergeEvent, StoryIndex

sys.path.insert(0, os.path.dirname(__file__))
from conftest import HAS_REDIS, NO_REDIS  # noqa: E402
from redis_server import RedisServer  # noqa: E402
from story_texts import T0, article, group_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# --- assignment ---------------------------------------------------------------------------------
def test_near_duplicates_share_a_story_and_others_stay_apart(make_index):
    idx = make_index(window=None)
    got = {}
    for k in range(3):
        for g in range(4):
            a = idx.add(f"g{g}-{k}", group_text(g, k))
            got[(g, k)] = a
    for g in range(4):
        ids = {got[(g, k)].story_id for k in range(3)}
        assert len(ids) == 1, f"group {g} split over {ids}"
        assert got[(g, 0)].new_story and not got[(g, 1)].new_story
        assert got[(g, 1)].score >= idx.settings.threshold
        assert got[(g, 1)].matches[0].doc_id == f"g{g}-0"
        assert got[(g, 2)].matches[0].score >= got[(g, 2)].matches[-1].score
    assert len({got[(g, 0)].story_id for g in range(4)}) == 4
    assert len(idx) == 12 and sorted(idx.stories()) == sorted({a.story_id for a in got.values()})
    assert [m.doc_id for m in idx.story(got[(2, 0)].story_id)] == ["g2-0", "g2-1", "g2-2"]


def test_story_ids_are_stable_and_deterministic(make_index):
    first = make_index(window=None)
    second = make_index(window=None)
    texts = [(f"d{g}-{k}", group_text(g, k)) for k in range(2) for g in range(3)]
    a = [first.add(i, t).story_id for i, t in texts]
    b = [second.add(i, t).story_id for i, t in texts]
    assert [story_number(s) for s in a] == [story_number(s) for s in b] == [1, 2, 3, 1, 2, 3]
    if first.storage.identity.epoch is None:  # memory: deterministic ids
        assert a == b == ["s-1", "s-2", "s-3", "s-1", "s-2", "s-3"]
    else:  # Redis: ids carry the namespace's epoch, so an id never names two stories
        epoch = first.storage.identity.epoch
        assert a[:3] == [f"s-{epoch}-1", f"s-{epoch}-2", f"s-{epoch}-3"]
    for n in range(5):  # unrelated news does not move existing articles
        first.add(f"other{n}", article(50_000 + n, 50_100 + n, 50_200 + n))
    assert [first.story_of(i) for i, _ in texts] == a


def test_bridging_article_merges_two_stories_older_id_survives(make_index):
    seen = []
    idx = make_index(window=None, on_merge=seen.append)
    a = idx.add("A", article(1, 2, 3, 4))
    b = idx.add("B", article(4, 5, 6, 7))
    s1, s2 = a.story_id, b.story_id
    assert (story_number(s1), story_number(s2)) == (1, 2)  # too little overlap to join
    c = idx.add("C", article(1, 2, 3, 4, 5, 6, 7))  # reports both: batch would merge all three
    assert c.story_id == s1 and not c.new_story
    assert c.merged == (MergeEvent(s1, s2, ("B",), "C", c.merged[0].at),)
    assert seen == list(c.merged) == idx.events()
    assert idx.story_of("B") == s1 and list(idx.stories()) == [s1]
    assert idx.resolve(s2) == s1 and idx.story(s2) == idx.story(s1)  # a retired id still works
    batch = cluster_texts(
        {"A": article(1, 2, 3, 4), "B": article(4, 5, 6, 7), "C": article(1, 2, 3, 4, 5, 6, 7)}
    )
    assert len(batch) == 1


def test_window_evicts_old_articles(make_index):
    idx = make_index(window=timedelta(hours=72), evict_batch=1)
    idx.add("old", group_text(1, 0), published=T0)
    idx.add("old2", group_text(2, 0), published=T0.timestamp() + 60)
    fresh = idx.add("fresh", group_text(1, 1), published=T0 + timedelta(hours=73))
    assert fresh.new_story and fresh.matches == ()  # the old report is out of the window
    assert "old" not in idx and len(idx) == 2  # evicted on add, one per add (evict_batch=1)
    assert idx.evict(now=T0 + timedelta(hours=73)) == ["old2"]
    assert idx.evict(now=T0 + timedelta(days=30)) == ["fresh"]
    assert len(idx) == 0 and list(idx.stories()) == []
    idx.add("today", group_text(3, 0))  # no published: the wall clock
    assert idx.evict() == [] and len(idx) == 1
    within = make_index(window=timedelta(hours=72))
    within.add("x", group_text(1, 0), published=T0)
    assert not within.add("y", group_text(1, 1), published=T0 + timedelta(hours=71)).new_story


def test_short_and_empty_texts_are_flagged_singletons(make_index):
    idx = make_index(window=None)
    for i, text in enumerate(["", "   ", "خبر عاجل", "عاجل عاجل"]):
        a = idx.add(f"s{i}", text)
        assert a.short and a.new_story and a.flag and "too short" in a.flag
    assert len(set(idx.stories())) == 4
    assert idx.query("") == []
    assert all(m.doc_id != "s3" for m in idx.query("عاجل عاجل عاجل"))


def test_bad_input_raises_clear_errors(make_index):
    idx = make_index(window=None)
    idx.add("a", group_text(0, 0))
    for bad_id in (None, 1.5, True, ("a",)):
        with pytest.raises(TypeError, match="doc_id"):
            idx.add(bad_id, "نص")
    with pytest.raises(TypeError, match="text"):
        idx.add("b", b"bytes")
    with pytest.raises(ValueError, match="already indexed; pass replace=True"):
        idx.add("a", group_text(0, 1))
    with pytest.raises(TypeError, match="meta"):
        idx.add("c", "نص", meta={"x": object()})
    with pytest.raises(ValueError, match="published='yesterday' is not a date"):
        idx.add("d", "نص", published="yesterday")
    with pytest.raises(TypeError, match="published"):
        idx.add("d", "نص", published=object())
    with pytest.raises(ValueError, match="finite"):
        idx.add("d", "نص", published=float("nan"))
    with pytest.raises(TypeError, match="unknown option"):
        StoryIndex(treshold=0.3)
    with pytest.raises(TypeError, match="low_cache for memory storage: they are options of Redis"):
        StoryIndex(low_cache=5)
    with pytest.raises(ValueError, match="window"):
        StoryIndex(window="-5h")
    with pytest.raises(TypeError, match="no unit"):  # 48 seconds or 48 hours? refused
        StoryIndex(window=48)
    with pytest.raises(ValueError, match="unknown storage"):
        StoryIndex(storage="postgres://x")
    assert len(idx) == 1


def test_query_remove_and_meta(make_index):
    idx = make_index(window=None)
    idx.add(1, group_text(0, 0), meta={"url": "https://example.org/1"})
    idx.add(2, group_text(0, 1), published=T0)
    m = idx.query(group_text(0, 2))
    assert [x.doc_id for x in m] in ([1, 2], [2, 1]) and len(idx) == 2
    assert idx.story(m[0].story_id)[0].meta == {"url": "https://example.org/1"}
    idx.remove(1)
    assert 1 not in idx and len(idx) == 1 and [x.doc_id for x in idx.query(group_text(0, 2))] == [2]
    with pytest.raises(KeyError, match="not indexed"):
        idx.remove(1)
    assert idx.add(1, group_text(0, 0)).story_id == idx.story_of(2)


# --- batch agreement ----------------------------------------------------------------------------
def _pairs(groups):
    return {(a, b) for g in groups for a in g for b in g if a < b}


def test_incremental_matches_batch_on_fixture_stories():
    paths = sorted(glob.glob(str(ROOT / "tests/fixtures/stories/*.txt")))
    paths += sorted(glob.glob(str(ROOT / "dupdetect/data/sample/*.txt")))
    texts = {Path(p).stem: Path(p).read_text(encoding="utf-8") for p in paths}
    assert len(texts) >= 20
    idx = StoryIndex(window=None)
    for k, t in texts.items():
        idx.add(k, t)
    inc = {frozenset(m.doc_id for m in idx.story(s)) for s in idx.stories()}
    batch = {frozenset(c.ids) for c in cluster_texts(texts)}
    pi, pb = _pairs([sorted(g) for g in inc]), _pairs([sorted(g) for g in batch])
    f1 = 2 * len(pi & pb) / (len(pi) + len(pb)) if pi or pb else 1.0
    assert inc == batch, f"pairwise F1 {f1:.3f}"


def test_fast_candidates_equal_the_plain_path_and_slots_are_reused(make_index):
    """``Storage.candidates`` (arrays / the Redis union and entries) gives exactly what the
    generic path (bucket_members + records) gives, through evictions; freed memory slots are
    reused."""
    from dupdetect.storage import Storage

    idx = make_index(window=timedelta(hours=2), evict_batch=1000)
    st = idx.storage
    for i in range(60):
        g, k = i % 6, i // 6
        idx.add(f"d{i}", group_text(g, k), published=T0 + timedelta(minutes=10 * i))
        keys = idx.band_keys(idx._featurize(group_text(g, 0))[0])
        for cutoff in (None, (T0 + timedelta(minutes=10 * i - 30)).timestamp()):
            nums, sigs = st.candidates(keys, cutoff)
            ref_nums, ref_sigs = Storage.candidates(st, keys, cutoff)
            if sigs.dtype == np.uint8:  # a backend that ships the low bytes only (Redis)
                ref_sigs = low_bytes(ref_sigs)
            assert nums.tolist() == ref_nums.tolist() and (sigs == ref_sigs).all()
    assert len(idx) <= 13  # a 2-hour window of articles 10 minutes apart
    if hasattr(st, "_used"):
        assert st._used <= 14, "freed slots must be reused, not appended"
    if hasattr(st, "r"):  # a record indexed before the low hash existed: falls back to records
        st.r.delete(st._k("low"))
        sig_width = idx.settings.num_perm
        for warm in (False, True):  # both ways of asking (a fresh writer, a warm one)
            st._low.clear()
            if warm:  # knows one entry, none of these
                st._low.put(np.array([10**12]), np.zeros((1, 8 + sig_width), np.uint8))
            nums, _ = st.candidates(keys, None)
            assert nums.tolist() == Storage.candidates(st, keys, None)[0].tolist() != []


def test_threads_sharing_one_index_lose_nothing_and_agree_with_one_thread(make_index):
    """A threaded server shares one StoryIndex: four threads adding at once index every article
    once and give the stories of the same articles added by one thread (on Redis with small
    caches, so records and low-byte entries are dropped and fetched again while other threads
    read them, and the namespace audits clean)."""
    import sys
    import threading

    texts = {f"g{g}k{k}": group_text(g, k) for g in range(6) for k in range(8)}
    names = sorted(texts)
    idx, one = make_index(window=None), make_index(window=None)
    if hasattr(idx.storage, "r"):
        from dupdetect.storage.redis import _LowEntries

        idx.storage.cache_size, idx.storage._low = 8, _LowEntries(16)
    errors: list[str] = []

    def work(part: list[str]) -> None:
        try:
            for name in part:
                idx.add(name, texts[name])
        except Exception as e:  # noqa: BLE001 - a thread's error must fail the test
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(names[t::4],)) for t in range(4)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, not every 5 ms
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        sys.setswitchinterval(switch)
    assert not errors, errors[0]
    assert len(idx) == len(texts)
    if hasattr(idx.storage, "r"):
        assert idx.storage.audit(idx.band_keys) == []
    for name in names:
        one.add(name, texts[name])

    def groups(ix: StoryIndex) -> set[frozenset]:
        return {frozenset(m.doc_id for m in ix.story(s)) for s in ix.stories()}

    assert groups(idx) == groups(one) and len(groups(one)) == 6


@pytest.mark.redis
def test_low_byte_candidates_keep_exactly_the_proposals_of_full_signatures(redis_url):
    """Redis ships the low bytes of the proposals' signatures; the survivors, confirmed on the
    records' full signatures, are exactly what the memory backend keeps from full signatures,
    including proposals whose low bytes pass the floor and whose full signatures do not."""
    import random

    rng = random.Random(3)
    texts = [article(*rng.sample(range(60), 6)) for _ in range(150)]  # sentences shared around
    ours = StoryIndex(window=None)
    theirs = StoryIndex(storage=redis_url, namespace=f"t{uuid.uuid4().hex[:8]}", window=None)
    floor = ours.settings.prefilter * ours.settings.candidate_threshold
    only_low = 0
    try:
        for i, text in enumerate(texts):
            ours.add(f"d{i}", text, published=T0)
            theirs.add(f"d{i}", text, published=T0)
        for q in range(40):
            sig, prof = ours._featurize(article(*rng.sample(range(60), 6)))[:2]
            nums, sigs = ours.storage.candidates(ours.band_keys(sig), None)
            low = (low_bytes(sigs) == low_bytes(sig.reshape(1, -1))).mean(axis=1) >= floor
            only_low += int((low & ((sigs == sig).mean(axis=1) < floor)).sum())
            want = [(c.num, c.doc_id, c.score) for c in ours._candidates(sig, prof, None)]
            got = [(c.num, c.doc_id, c.score) for c in theirs._candidates(sig, prof, None)]
            assert got == want and want, q
        assert only_low > 0, "no proposal that only the low bytes pass: the test checks nothing"
    finally:
        theirs.clear()
        theirs.close()


# --- save / load --------------------------------------------------------------------------------
def _filled(make_index):
    idx = make_index(window=timedelta(days=3))
    for g in range(3):
        for k in range(2):
            idx.add(
                f"{g}/{k}", group_text(g, k), published=T0 + timedelta(minutes=g + k), meta={"g": g}
            )
    idx.add("short", "", published=T0)
    return idx


def test_save_load_roundtrip(make_index, tmp_path):
    idx = _filled(make_index)
    path = tmp_path / "stories.ddx"
    idx.save(path)
    back = StoryIndex.load(path)
    assert len(back) == len(idx) and list(back.stories()) == list(idx.stories())
    assert back.window == idx.window and back.settings == idx.settings
    for s in idx.stories():
        assert back.story(s) == idx.story(s)
    probe = group_text(1, 5)
    assert back.query(probe) == idx.query(probe)
    a, b = back.add("new", probe, published=T0), idx.add("new", probe, published=T0)
    assert (a.story_id, a.score) == (b.story_id, b.score)
    assert back.add("new2", group_text(9, 0), published=T0).story_id == story_id(
        5, idx.storage.identity.epoch
    )  # the counter and the epoch go on


def test_load_refuses_corrupted_truncated_and_foreign_files(tmp_path):
    idx = StoryIndex(window=None)
    idx.add("a", group_text(0, 0))
    path = tmp_path / "i.ddx"
    idx.save(path)
    data = bytearray(path.read_bytes())
    for pos in (len(data) // 2, 20, len(data) - 1):
        bad = bytearray(data)
        bad[pos] ^= 0x01
        path.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match="checksum"):
            StoryIndex.load(path)
    path.write_bytes(bytes(data[:-40]))
    with pytest.raises(ValueError, match="checksum|truncated"):
        StoryIndex.load(path)
    path.write_bytes(b"PK\x03\x04" + bytes(data[4:]))
    with pytest.raises(ValueError, match="magic"):
        StoryIndex.load(path)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="other settings"):
        StoryIndex.load(path, settings=Settings(threshold=0.5))
    assert len(StoryIndex.load(path, settings=Settings())) == 1


def test_crash_during_save_leaves_previous_file_loadable(tmp_path, monkeypatch):
    idx = StoryIndex(window=None)
    idx.add("a", group_text(0, 0))
    path = tmp_path / "i.ddx"
    idx.save(path)
    before = path.read_bytes()
    idx.add("b", group_text(1, 0))

    def crash(src, dst):
        assert Path(src).stat().st_size > 0  # the temp file was fully written
        raise OSError("power cut")

    monkeypatch.setattr("dupdetect.story.os.replace", crash)
    with pytest.raises(OSError, match="power cut"):
        idx.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["i.ddx"]
    assert len(StoryIndex.load(path)) == 1


# --- Redis specifics ----------------------------------------------------------------------------
def _worker(args):
    url, ns, proc, n_groups = args
    idx = StoryIndex(storage=url, namespace=ns, window=None)
    out = []
    for i in range(50):
        g, k = (proc * 50 + i) % n_groups, (proc * 50 + i) // n_groups
        out.append((f"g{g}-v{k}", idx.add(f"g{g}-v{k}", group_text(g, k)).story_id))
    idx.close()
    return out


@pytest.mark.redis
def test_concurrent_writers_in_four_processes(redis_url):
    ns = f"conc{uuid.uuid4().hex[:6]}"
    n_groups = 40  # 200 articles: 40 stories x 5 reports, each story spread over processes
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.map(_worker, [(redis_url, ns, p, n_groups) for p in range(4)])
    idx = StoryIndex(storage=redis_url, namespace=ns, window=None)
    try:
        added = [d for r in results for d, _ in r]
        assert len(added) == len(set(added)) == 200 and len(idx) == 200
        members = [m.doc_id for s in idx.stories() for m in idx.story(s)]
        assert sorted(members) == sorted(added)  # every article exactly once, in one story
        by_group = {}
        for d in added:
            by_group.setdefault(d.split("-")[0], set()).add(idx.story_of(d))
        assert all(len(s) == 1 for s in by_group.values()), by_group
        assert len({next(iter(s)) for s in by_group.values()}) == n_groups
        assert len(list(idx.stories())) == n_groups
    finally:
        idx.storage.clear()
        idx.close()


@pytest.mark.redis
def test_redis_password_url():
    if not HAS_REDIS:
        pytest.skip(NO_REDIS)
    import redis

    with RedisServer(password="s3cr%t", persistence="everysec") as srv:
        url = f"redis://:s3cr%25t@127.0.0.1:{srv.port}/0"
        idx = StoryIndex(storage=url, namespace="pw", window=None)
        assert idx.add("a", group_text(0, 0)).new_story and len(idx) == 1
        idx.close()
        with pytest.raises(redis.AuthenticationError):
            StoryIndex(storage=f"redis://:wrong@127.0.0.1:{srv.port}/0")


def test_missing_redis_py_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ImportError, match=r'pip install "dupdetect\[redis\]"'):
        StoryIndex(storage="redis://127.0.0.1:1/0")


def test_english_articles_are_cut_at_the_latin_threshold() -> None:
    a = (
        "The city council approved a new budget for road repairs on Monday after a long "
        "debate, the mayor said the money will fix potholes across the northern districts."
    )
    b = (
        "Road repairs get funding: councillors voted the budget through after hours of "
        "argument, and the mayor promised that northern districts will see potholes fixed."
    )
    idx = StoryIndex(window=None)
    first, second = idx.add("a", a), idx.add("b", b)
    assert second.story_id == first.story_id and not second.new_story  # as cluster_texts does
    strict = StoryIndex(window=None, latin_threshold=0.35)
    strict.add("a", a)
    assert strict.add("b", b).new_story


def test_doc_ids_and_meta_that_cannot_be_stored_as_utf8_are_refused_at_add(tmp_path):
    """A lone surrogate (a non-UTF-8 file name through os.fsdecode, a broken JSON escape) used
    to be accepted by add and then break save() (and Redis); now add refuses it, clearly."""
    idx = StoryIndex()
    text = "وزير الخارجية يلتقي نظيره في العاصمة لبحث العلاقات الثنائية " * 3
    with pytest.raises(ValueError, match="lone surrogate.*pass a valid id"):
        idx.add("report-\udce9.txt", text)
    with pytest.raises(TypeError, match="UTF-8"):
        idx.add("ok", text, meta={"source": "caf\udce9"})
    assert len(idx) == 0
    idx.add("report-é.txt", text, meta={"source": "café"})  # valid Unicode is fine
    idx.save(tmp_path / "idx.dds")
    assert "report-é.txt" in StoryIndex.load(tmp_path / "idx.dds")
