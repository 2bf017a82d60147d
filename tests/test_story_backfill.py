"""StoryIndex.backfill: an empty index filled at once with the batch job's clusters as stories,
on both backends (Redis tests skip without a redis-server)."""

from __future__ import annotations

import glob
import os
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from dupdetect.pipeline import cluster_texts
from dupdetect.storage import story_number
from dupdetect.story import StoryIndex

sys.path.insert(0, os.path.dirname(__file__))
from story_texts import T0, group_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _fixture_texts() -> dict[str, str]:
    paths = sorted(glob.glob(str(ROOT / "tests/fixtures/stories/*.txt")))
    paths += sorted(glob.glob(str(ROOT / "dupdetect/data/sample/*.txt")))
    return {Path(p).stem: Path(p).read_text(encoding="utf-8") for p in paths}


def _stories(idx: StoryIndex) -> set[frozenset]:
    return {frozenset(m.doc_id for m in idx.story(s)) for s in idx.stories()}


def test_backfill_gives_the_batch_clusters_as_stories_and_add_goes_on(make_index):
    texts = _fixture_texts()
    assert len(texts) >= 20
    idx = make_index(window=None)
    done = idx.backfill(texts)
    assert done.errors == [] and done.too_old == []
    assert len(idx) == len(texts) and set(done.stories) == set(texts)
    batch = {frozenset(c.ids) for c in cluster_texts(texts)}
    assert _stories(idx) == batch
    assert any(len(g) > 1 for g in batch)  # the fixtures do group
    for doc_id, story in done.stories.items():
        assert idx.story_of(doc_id) == story
    # what is stored is what add() stores: a second index that adds one article agrees
    name = next(k for k in sorted(texts) if len(idx.story(done.stories[k])) > 1)
    one = make_index(window=None)
    one.add(name, texts[name])
    mine = idx.storage.records([idx.storage.number_of(name)])[0].record
    theirs = one.storage.records([one.storage.number_of(name)])[0].record
    assert np.array_equal(mine.signature, theirs.signature)
    assert np.array_equal(mine.profile.unigrams.weights, theirs.profile.unigrams.weights)
    assert mine.profile.latin == theirs.profile.latin
    # the index goes on: the same text again joins that story, a new one starts its own
    again = idx.add("again", texts[name])
    assert again.story_id == done.stories[name] and not again.new_story
    other = idx.add("other", group_text(77, 0))
    assert other.new_story and story_number(other.story_id) > max(
        story_number(s) for s in done.stories.values()
    )


def test_backfill_numbers_stories_oldest_first_and_leaves_out_what_the_window_drops(make_index):
    texts, dates = {}, {}
    for g in range(4):  # story g published on day g, two reports each, newest first in input
        for k in range(2):
            key = f"{3 - g}/{k}"
            texts[key] = group_text(3 - g, k)
            dates[key] = T0 + timedelta(days=3 - g, minutes=k)
    idx = make_index(window=timedelta(hours=36))
    done = idx.backfill(texts, published=dates, meta={"3/0": {"outlet": "a"}})
    assert sorted(done.too_old) == ["0/0", "0/1", "1/0", "1/1"]
    assert sorted(done.stories) == ["2/0", "2/1", "3/0", "3/1"] and len(idx) == 4
    s2, s3 = done.stories["2/0"], done.stories["3/0"]
    assert done.stories["2/1"] == s2 and done.stories["3/1"] == s3 and s2 != s3
    assert story_number(s2) < story_number(s3)  # the older story has the smaller number
    assert [m.meta for m in idx.story(s3) if m.doc_id == "3/0"] == [{"outlet": "a"}]
    later = idx.add("3/2", group_text(3, 2), published=T0 + timedelta(days=3, hours=1))
    assert later.story_id == s3


def test_backfill_lists_what_it_cannot_use_and_refuses_a_filled_index(make_index):
    idx = make_index(window=None)
    good = group_text(5, 0)
    texts = {
        "ok": good,
        "ok2": group_text(5, 1),
        "bytes": good.encode("utf-8"),
        "bad-date": group_text(6, 0),
        "bad-meta": group_text(7, 0),
        "short": "",
        2.5: group_text(8, 0),
    }
    done = idx.backfill(
        texts, published={"bad-date": "yesterday-ish"}, meta={"bad-meta": {"x": object()}}
    )
    why = dict(done.errors)
    assert set(why) == {"bytes", "bad-date", "bad-meta", 2.5}
    assert "text must be a str" in why["bytes"] and "decode" in why["bytes"]
    assert "not a date" in why["bad-date"]
    assert "JSON" in why["bad-meta"]
    assert "doc_id must be a str or int" in why[2.5]
    assert sorted(done.stories) == ["ok", "ok2", "short"] and len(idx) == 3
    assert done.stories["ok"] == done.stories["ok2"]
    assert done.short == ["short"] and done.stories["short"] != done.stories["ok"]
    with pytest.raises(ValueError, match="empty index; this one holds 3 articles"):
        idx.backfill({"x": good})
    with pytest.raises(TypeError, match="mapping doc id -> text"):
        make_index(window=None).backfill([good])  # type: ignore[arg-type]


def test_a_backfilled_index_saves_and_loads(make_index, tmp_path):
    idx = make_index(window=None)
    idx.backfill({f"{g}/{k}": group_text(g, k) for g in range(3) for k in range(3)})
    path = tmp_path / "backfilled.ddx"
    idx.save(path)
    back = StoryIndex.load(path)
    assert _stories(back) == _stories(idx) and len(_stories(idx)) == 3


def test_counters_hand_out_many_numbers_at_once_without_reuse(make_index):
    st = make_index(window=None).storage
    first = st.next_number("doc")
    many = st.next_numbers("doc", 5)
    assert many == list(range(first + 1, first + 6))
    assert st.next_number("doc") == first + 6 and st.next_numbers("doc", 0) == []
    ids = st.new_story_ids(3)
    assert [story_number(s) for s in ids] == sorted(story_number(s) for s in ids)
    assert story_number(st.new_story_id()) == story_number(ids[-1]) + 1


def test_undated_articles_get_the_time_add_would_give_them_after_the_dated_ones(make_index):
    idx = make_index(window=timedelta(hours=36))
    texts = {"a": group_text(1, 0), "b": group_text(1, 1), "old": group_text(2, 0)}
    dates = {"a": T0, "old": T0 - timedelta(days=5)}  # an archive: years behind the wall clock
    done = idx.backfill(texts, published=dates)
    assert done.too_old == ["old"] and done.stories["a"] == done.stories["b"]
    (b,) = [m for m in idx.story(done.stories["b"]) if m.doc_id == "b"]
    assert b.published == T0.timestamp()  # the newest dated time, not today: nothing evicted
