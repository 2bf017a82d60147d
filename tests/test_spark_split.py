"""The Spark job's shared-features split (no Spark needed: plain functions over core Features):
components scored all at once give the rows that ``split_members`` gives one at a time."""

from __future__ import annotations

import numpy as np

from dupdetect import Settings
from dupdetect.features import featurize
from dupdetect.grouping import group
from dupdetect.linkage import components
from dupdetect.spark.partitions import split_members
from dupdetect.spark.shared import SharedFeatures, _split_small, _take

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
