"""StoryIndex in a news backend, on every storage backend: retired ids, replays, scores,
redelivered messages, clear() and repr(), the window through save/load."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta, timezone

import pytest

from dupdetect.story import StoryIndex

sys.path.insert(0, os.path.dirname(__file__))
from story_texts import T0, article, group_text  # noqa: E402

Y2015 = datetime(2015, 7, 21, 2, 51, 32, tzinfo=timezone.utc)


def _chain(idx):
    """Stories A, B, C; then C merges into B, and B (with C) into A: a chain of two merges."""
    ids = {k: idx.add(k, article(*seeds)).story_id for k, seeds in _CHAIN_FIRST}
    merged = []
    for k, seeds in _CHAIN_LINKS:
        merged += idx.add(k, article(*seeds)).merged
    return ids, merged


_A, _B, _C = (1, 2, 3, 4), (11, 12, 13, 14), (21, 22, 23, 24)
_CHAIN_FIRST = [("A", _A), ("B", _B), ("C", _C)]
_CHAIN_LINKS = [("BC", _B + _C), ("ABC", _A + _B + _C), ("AB", _A + _B), ("ABA", _A + _B + _A)]


# --- item 6: retired ids ----------------------------------------------------------------------
def test_resolve_follows_chains_of_merges_and_story_accepts_retired_ids(make_index):
    idx = make_index(window=None)
    ids, merged = _chain(idx)
    a, b, c = ids["A"], ids["B"], ids["C"]
    assert [(e.retired, e.survivor) for e in merged] == [(c, b), (b, a)]
    assert list(idx.stories()) == [a]
    assert idx.resolve(a) == a and idx.resolve(b) == a and idx.resolve(c) == a  # c -> b -> a
    members = [m.doc_id for m in idx.story(a)]
    assert members == ["A", "B", "C", "BC", "ABC", "AB", "ABA"]
    assert idx.story(c) == idx.story(b) == idx.story(a)
    with pytest.raises(KeyError, match="no story 's-999'"):
        idx.resolve("s-999")
    with pytest.raises(KeyError, match="no story"):
        idx.story("s-999")


def test_resolve_after_the_survivor_is_gone(make_index):
    idx = make_index(window=None)
    ids, _ = _chain(idx)
    for d in ["A", "B", "C", "BC", "ABC", "AB", "ABA"]:
        idx.remove(d)
    with pytest.raises(KeyError, match="no story"):
        idx.resolve(ids["C"])  # its survivor has no members left: nothing to resolve to
    assert list(idx.stories()) == []


# --- item 4: replays of old articles -----------------------------------------------------------
def test_evict_defaults_to_the_newest_published_time_not_the_wall_clock(make_index):
    idx = make_index(window=timedelta(hours=72))
    for k in range(4):
        idx.add(f"d{k}", group_text(k, 0), published=Y2015 + timedelta(hours=10 * k))
    assert idx.evict() == [] and len(idx) == 4  # 2015 replayed: the newest is 30 h after the first
    assert idx.evict(now=Y2015 + timedelta(hours=85)) == ["d0", "d1"]
    assert sorted(idx.evict(now="wall")) == ["d2", "d3"]  # the wall clock only when asked
    with pytest.raises(ValueError, match="now="):
        idx.evict(now="tomorrow")


def test_evict_clears_a_backlog_in_commits_of_at_most_commit_batch(make_index):
    """A backlog larger than the backend's ``commit_batch`` (Redis: one Lua script per commit,
    which blocks the server while it runs) is deleted in several commits, all of it; the
    per-add eviction (``evict_batch``) too, in commits no larger."""
    idx = make_index(window=timedelta(hours=1), evict_batch=10)
    st = idx.storage
    assert st.commit_batch == (2000 if hasattr(st, "r") else None)  # README: Redis, 2,000
    st.commit_batch = 4
    sizes: list[int] = []
    commit = st.commit

    def counted(change):
        if change.delete:
            sizes.append(len(change.delete))
        commit(change)

    st.commit = counted
    for i in range(23):  # a minute apart: nothing expires while they come in
        idx.add(f"d{i}", group_text(i, 0), published=T0 + timedelta(minutes=i))
    assert sizes == []
    gone = idx.evict(T0 + timedelta(days=1))
    assert sorted(gone) == sorted(f"d{i}" for i in range(23)) and len(idx) == 0
    assert sizes == [4, 4, 4, 4, 4, 3], sizes
    for i in range(23):  # again, then one add a day later evicts evict_batch of them
        idx.add(f"e{i}", group_text(i, 0), published=T0 + timedelta(days=2, minutes=i))
    sizes.clear()
    idx.add("late", group_text(99, 0), published=T0 + timedelta(days=3))
    assert len(idx) == 23 + 1 - 10 and sizes == [4, 4, 2], sizes


def test_an_undated_article_in_a_replay_gets_the_newest_time_seen(make_index):
    idx = make_index(window=timedelta(hours=72))
    idx.add("dated", group_text(1, 0), published="2015-07-21 02:51:32")
    a = idx.add("undated", group_text(1, 1))  # no published: not the wall clock of today
    assert not a.new_story and len(idx) == 2
    assert [m.published for m in idx.story(a.story_id)] == [Y2015.timestamp()] * 2
    live = make_index(window=timedelta(hours=72))
    live.add("x", group_text(2, 0))  # a live stream without dates: the wall clock
    assert abs(live.story(live.story_of("x"))[0].published - datetime.now().timestamp()) < 60


# --- item 5: one score convention ---------------------------------------------------------------
def test_a_story_of_one_member_scores_one(make_index):
    idx = make_index(window=None)
    first = idx.add("a", group_text(0, 0))
    assert first.new_story and first.score == 1.0  # cluster()'s rule: 1.0 alone
    short = idx.add("s", "خبر")
    assert short.short and short.score == 1.0
    second = idx.add("b", group_text(0, 1))
    assert not second.new_story and second.score < 1.0
    assert second.score == pytest.approx(second.matches[0].score, abs=1e-6)  # mean over one


# --- item 8: redelivered messages, clear(), repr() ------------------------------------------------
def test_replace_makes_redelivery_harmless(make_index):
    idx = make_index(window=None)
    a = idx.add("m1", group_text(0, 0), published=T0)
    idx.add("m2", group_text(0, 1), published=T0)
    again = idx.add("m1", group_text(0, 0), published=T0, replace=True)  # the same message again
    assert again.story_id == a.story_id and not again.new_story and len(idx) == 2
    assert [m.doc_id for m in idx.story(a.story_id)] == ["m1", "m2"]
    changed = idx.add("m1", group_text(5, 0), published=T0, replace=True)  # a corrected text
    assert changed.new_story and changed.story_id != a.story_id and len(idx) == 2
    assert idx.story_of("m1") == changed.story_id
    assert [m.doc_id for m in idx.story(a.story_id)] == ["m2"]
    with pytest.raises(ValueError, match="replace=True"):
        idx.add("m2", group_text(0, 2))


def test_clear_empties_the_index_and_never_reuses_story_ids(make_index):
    idx = make_index(window=None)
    old = {idx.add(f"d{k}", group_text(k, 0)).story_id for k in range(3)}
    idx.clear()
    assert len(idx) == 0 and list(idx.stories()) == [] and "d0" not in idx
    assert idx.add("d0", group_text(0, 0)).story_id not in old


def test_repr_says_backend_namespace_counts_and_window(make_index):
    idx = make_index(window=timedelta(hours=48))
    idx.add("a", group_text(0, 0))
    idx.add("b", group_text(0, 1))
    idx.add("c", group_text(1, 0))
    r = repr(idx)
    assert r.startswith("StoryIndex(") and "articles=3" in r and "stories=2" in r
    assert "window=48h" in r and f"namespace={idx.namespace!r}" in r
    assert "password" not in r


# --- item 3: the window through save/load ---------------------------------------------------
@pytest.mark.parametrize("window", ["36h", timedelta(days=2, minutes=30), None])
def test_load_round_trips_the_window(window, tmp_path):
    idx = StoryIndex(window=window)
    idx.add("a", group_text(0, 0), published=T0)
    idx.save(tmp_path / "i.ddx")
    back = StoryIndex.load(tmp_path / "i.ddx")
    assert back.window == idx.window
    assert (back.window is None) == (window is None)


def test_save_load_keeps_retired_ids_and_the_epoch(make_index, tmp_path):
    idx = make_index(window=None)
    ids, _ = _chain(idx)
    idx.save(tmp_path / "i.ddx")
    back = StoryIndex.load(tmp_path / "i.ddx")
    assert back.resolve(ids["C"]) == back.resolve(ids["B"]) == ids["A"]
    assert back.story(ids["C"]) == idx.story(ids["A"])
    new = back.add("new", group_text(40, 0)).story_id
    epoch = idx.storage.identity.epoch
    assert new.startswith(f"s-{epoch}-" if epoch else "s-") and new not in ids.values()


def test_a_shared_memory_storage_refuses_other_settings():
    from dupdetect.settings import Settings
    from dupdetect.storage import MemoryStorage

    shared = MemoryStorage()
    StoryIndex(storage=shared).add("a", group_text(0, 0))
    with pytest.raises(ValueError, match="fingerprint"):
        StoryIndex(Settings(num_perm=64, ngram=4), storage=shared)
