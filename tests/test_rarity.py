"""The shipped background frequencies: present, current with the term rules, sensible."""

from __future__ import annotations

import numpy as np

from dupdetect.features import prepare, term_ids
from dupdetect.rarity import MIN_RARITY, rarity, rules_digest, table_rules, zipf


def test_table_matches_the_current_term_rules() -> None:
    # stemming, stopwords or normalization changed without `python benchmarks/build_rarity.py`
    assert table_rules() == rules_digest()


def test_common_terms_are_frequent_and_names_rare() -> None:
    common = term_ids(prepare("الحكومة government"))
    rare = term_ids(prepare("هرتسي زيلبرمان"))
    assert (zipf(common) > 5).all() and (zipf(rare) < 3).all()
    assert (rarity(rare) > rarity(common)).all()
    unknown = term_ids(["qqxqzzv"])
    assert zipf(unknown)[0] == 0.0 and rarity(unknown)[0] == np.float32(7.0)
    assert rarity(term_ids(prepare("the said government"))).min() >= MIN_RARITY


def test_folded_spellings_share_a_frequency() -> None:
    a, b = term_ids(prepare("والحكومة")), term_ids(prepare("للحكومة"))
    assert a.tolist() == b.tolist() and zipf(a)[0] > 5
