"""The Spark job's shared-features split (no Spark needed: plain functions over core Features):
components scored all at once give the rows that ``split_members`` gives one at a time."""

from __future__ import annotations

import numpy as np

from dupdetect import Settings
from dupdetect.features import featurize
from dupdetect.grouping import group
from dupdetect.linkage import components
from dupdetect.spark.partitions import split_members
from dupdetect.spark.shared import SharedFeatures, _split_small, _take, balanced_order

WORDS = (
    "وزير الخارجية يلتقي نظيره في العاصمة لبحث العلاقات الثنائية والتعاون الاقتصادي "
    "البنك المركزي يرفع سعر الفائدة لمواجهة التضخم المتصاعد خلال الشهر الماضي "
    "the council approved a plan to extend the northern tram line by six kilometres"
).split()


def _texts() -> list[str]:
    """30 stories of their own words (pairs of WORDS glued), told 1-7 times with words changed;
    a few stories share a sentence, so some components hold two stories for linkage to split."""
    rng = np.random.default_rng(11)
    out = []
    shared = " ".join(rng.choice(WORDS, 12))
    for story in range(30):
        own = np.array([a + b for a, b in rng.choice(WORDS, (25, 2))])
        for _ in range(int(rng.integers(1, 8))):
            told = own.copy()
            at = rng.choice(25, 5, replace=False)
            told[at] = rng.choice(WORDS, 5)
            out.append(" ".join(told) + (f" {shared}" if story % 7 == 0 else ""))
    return out


def test_components_scored_at_once_split_as_one_by_one():
    s = Settings()
    f = featurize(_texts(), s)
    g = group(f, s)
    comps = [np.asarray(c, np.int64) for c in components(len(f), g.pairs) if len(c) > 1]
    sizes = sorted(len(c) for c in comps)
    assert sizes[0] == 2 and sizes[-1] > 5 and len(comps) > 10  # pairs and larger groups
    doc = np.arange(len(f), dtype=np.int64) * 3 + 7  # doc numbers are not row numbers
    sf = SharedFeatures(doc, f, [f"id{i}" for i in range(len(f))])
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    one_by_one = [
        row
        for c in comps
        for row in split_members(doc[c], [sf.ids[r] for r in c], _take(f, c), none, s)
    ]
    at_once = _split_small([doc[c] for c in comps], sf, s)
    assert at_once == one_by_one
    assert len({r[1] for r in at_once}) > len(comps)  # linkage split some components


def _slices(order: np.ndarray, parts: int) -> list[np.ndarray]:
    """``order`` cut as Spark cuts local rows into partitions (ParallelCollectionRDD)."""
    n = order.size
    return [order[k * n // parts : (k + 1) * n // parts] for k in range(parts)]


def test_balanced_order_spreads_the_split_over_the_partitions():
    # a batch's components come first, largest work at the front: cut in that order, the first
    # partition would get every component and the others only documents alone
    rng = np.random.default_rng(5)
    costs = np.concatenate([[5000.0, 1200.0], rng.integers(3, 400, 300), np.full(3000, 2.0)])
    for parts in (2, 3, 4, 8):
        order = balanced_order(costs, parts)
        assert sorted(order.tolist()) == list(range(costs.size))  # a permutation
        loads = [costs[s].sum() for s in _slices(order, parts)]
        naive = [costs[s].sum() for s in _slices(np.arange(costs.size), parts)]
        # longest-processing-time first: no slice exceeds the mean by more than one row's cost
        assert max(loads) <= costs.sum() / parts + costs.max(), (parts, loads)
        assert max(loads) < 0.55 * max(naive), (parts, loads, naive)  # in order: 95% in one
    # one component of almost all the work: alone in its partition, the rest in the others
    order = balanced_order(np.array([1e6, 5.0, 5.0, 5.0, 2.0, 2.0]), 2)
    first, second = _slices(order, 2)
    assert first.tolist()[0] == 0 and 0 not in second.tolist() and len(first) == len(second) == 3
    assert sorted(first.tolist()[1:]) == [4, 5]  # the big one's slice is filled with the cheapest
    assert balanced_order(np.zeros(0), 4).size == 0
    assert sorted(balanced_order(np.ones(3), 8).tolist()) == [0, 1, 2]  # more slices than rows
