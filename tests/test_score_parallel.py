"""Candidate pairs scored in forked processes (``parallel.score_pairs``) score bit for bit as in
one process, and ``group(workers=...)`` groups the same way with any number of workers."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from dupdetect import Settings, parallel
from dupdetect.features import featurize
from dupdetect.grouping import PairScores, group, member_scores_many

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs fork (Linux)")

WORDS = (
    "وزير الخارجية يلتقي نظيره في العاصمة لبحث العلاقات الثنائية والتعاون الاقتصادي "
    "البنك المركزي يرفع سعر الفائدة لمواجهة التضخم المتصاعد خلال الشهر الماضي "
    "المنتخب الوطني يفوز على ضيفه بهدفين في مباراة ودية على ملعب المدينة "
    "أمطار غزيرة تغمر شوارع المدينة وتعطل حركة المرور في الأحياء الشرقية"
).split()


def _texts(n_stories: int = 12, per_story: int = 10) -> list[str]:
    """Stories of 30 words from WORDS, each told ``per_story`` times with a few words changed."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(n_stories):
        base = rng.choice(WORDS, 30)
        for _ in range(per_story):
            told = base.copy()
            at = rng.choice(30, 5, replace=False)
            told[at] = rng.choice(WORDS, 5)
            out.append(" ".join(told))
    return out


class _Spy(parallel.ProcessPoolExecutor):
    pools: list[int] = []

    def __init__(self, max_workers, **kw):
        _Spy.pools.append(max_workers)
        super().__init__(max_workers, **kw)


@pytest.fixture
def forked(monkeypatch):
    """Every pair count takes the forked path; the pools started are recorded. (fork_is_safe is
    forced: an earlier test's tqdm monitor thread may still be alive, which would keep scoring
    in this process.)"""
    _Spy.pools = []
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: True)
    monkeypatch.setattr(parallel, "PARALLEL_PAIRS", 1)
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _Spy)
    return _Spy.pools


def test_forked_scores_equal_one_process_scores(forked):
    features = featurize(_texts(), Settings())
    n = len(features)
    i, j = np.triu_indices(n, 1)
    pairs = np.stack([i, j], axis=1).astype(np.int64)  # 7,140: slices of 4,096 and 3,044
    one = features.similarities(pairs)
    assert (one > 0.2).sum() > 100  # the stories really overlap
    got = parallel.score_pairs(features, pairs, workers=2)
    assert forked == [2]
    assert got.dtype == one.dtype and np.array_equal(got, one)
    got3 = parallel.score_pairs(features, pairs, workers=3)
    assert forked == [2, 2]  # 2,380 per worker rounds up to 4,096: two slices
    assert np.array_equal(got3, one)


def test_one_worker_or_few_pairs_stay_in_process(monkeypatch):
    _Spy.pools = []
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _Spy)
    features = featurize(_texts(2, 5), Settings())
    pairs = np.array([[0, 1], [2, 3]], dtype=np.int64)
    assert np.array_equal(
        parallel.score_pairs(features, pairs, workers=4), features.similarities(pairs)
    )
    assert _Spy.pools == []  # 2 pairs < PARALLEL_PAIRS
    monkeypatch.setattr(parallel, "PARALLEL_PAIRS", 1)
    monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)  # e.g. a thread is running
    assert np.array_equal(
        parallel.score_pairs(features, pairs, workers=4), features.similarities(pairs)
    )
    assert _Spy.pools == []


def test_group_is_the_same_with_forked_scoring(forked):
    features = featurize(_texts(), Settings())
    s = Settings()
    one = group(features, s, workers=1)
    two = group(features, s, workers=2)
    assert forked and set(forked) == {2}  # candidates (and any dense pairs not among them)
    assert [list(map(int, g)) for g in one[0]] == [list(map(int, g)) for g in two[0]]
    assert np.array_equal(one[1], two[1]) and np.array_equal(one[2], two[2])
    assert len(one[1]) > 50  # pairs were verified, so the comparison means something


def _die(state, bounds):  # a scoring child killed (as by the out-of-memory killer)
    os._exit(9)


def test_a_killed_scorer_falls_back_to_one_process(forked, monkeypatch):
    features = featurize(_texts(), Settings())
    i, j = np.triu_indices(len(features), 1)
    pairs = np.stack([i, j], axis=1).astype(np.int64)
    monkeypatch.setattr(parallel, "_score_slice", _die)
    with pytest.warns(RuntimeWarning, match="in this process instead"):
        got = parallel.score_pairs(features, pairs, workers=2)
    assert forked == [2]
    assert np.array_equal(got, features.similarities(pairs))


def test_known_scores_are_looked_up_and_the_rest_scored():
    features = featurize(_texts(4, 6), Settings())
    i, j = np.triu_indices(len(features), 1)
    pairs = np.stack([i, j], axis=1).astype(np.int64)
    truth = features.similarities(pairs)
    known = PairScores(pairs[::3], truth[::3])
    asked = np.concatenate([pairs, pairs[:, ::-1]])  # either orientation is the same pair
    got = known.score(features, asked)
    assert got.dtype == np.float32
    assert np.array_equal(got, np.concatenate([truth, truth]))
    fake = PairScores(pairs[:5], np.full(5, 0.123, np.float32))  # the lookup is really used
    assert np.array_equal(fake.score(features, pairs[:7])[:5], np.full(5, 0.123, np.float32))
    assert np.array_equal(fake.score(features, pairs[:7])[5:], truth[5:7])


def test_member_scores_from_what_group_scored_equal_scoring_again():
    features = featurize(_texts(), Settings())
    g = group(features, Settings())
    assert len(g.scored) >= len(g.pairs) > 50
    multi = [c for c in g.clusters if len(c) > 1]
    assert multi
    again = member_scores_many(features, g.clusters)
    looked_up = member_scores_many(features, g.clusters, g.scored)
    assert all(np.array_equal(a, b) for a, b in zip(again, looked_up))


@pytest.mark.parametrize("window", [None, 3600.0])
def test_bands_split_over_forked_processes_propose_the_same_pairs(forked, monkeypatch, window):
    from dupdetect import lsh

    monkeypatch.setattr(lsh, "PARALLEL_DOCS", 1)
    features = featurize(_texts(), Settings())
    times = np.arange(len(features), dtype=np.float64) * 120.0
    times[::7] = np.nan  # undated documents pair with their whole bucket
    s = Settings()
    bands, rows = s.lsh_params
    kw = dict(times=times, window=window, min_estimate=0.075, exact_window=True)
    one = lsh.propose(features.signatures, bands, rows, ~features.short, **kw)
    assert forked == []
    three = lsh.propose(features.signatures, bands, rows, ~features.short, workers=3, **kw)
    assert forked == [3]
    assert one.proposed == three.proposed and len(one.pairs) > 50
    assert np.array_equal(one.pairs, three.pairs)


@pytest.mark.parametrize("window", [None, 3600.0])
@pytest.mark.parametrize("dense", [200, 4])  # 4: components of 5+ members take the isin path
def test_linkage_split_over_forked_processes_gives_the_same_clusters(
    forked, monkeypatch, window, dense
):
    from dupdetect import grouping

    monkeypatch.setattr(grouping, "DENSE_COMPONENT", dense)
    # one component that linkage cuts in twelve, and four stories of their own words each
    rng = np.random.default_rng(3)
    apart = []
    for _ in range(4):
        own = [a + b for a, b in rng.choice(WORDS, (30, 2))]
        apart += [" ".join(np.roll(own, k)[:27]) for k in range(6)]
    features = featurize(_texts() + apart, Settings())
    times = np.arange(len(features), dtype=np.float64) * 600.0
    kw = dict(times=times, window=window)
    one = group(features, Settings(), **kw)
    monkeypatch.setattr(grouping, "PARALLEL_EDGES", 10**9)
    before = len(forked)
    group(features, Settings(), workers=3, **kw)
    scoring_pools = len(forked) - before  # the pools that scoring alone starts
    monkeypatch.setattr(grouping, "PARALLEL_EDGES", 1)
    before = len(forked)
    three = group(features, Settings(), workers=3, **kw)
    assert len(forked) - before == scoring_pools + 1  # one more pool: the linkage's
    big = [c for c in one.clusters if len(c) > 2]
    assert len(big) >= 16 and (dense == 200 or any(len(c) > dense for c in big))
    assert one.clusters == three.clusters
    assert np.array_equal(one.pairs, three.pairs)
