from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect import explain, similarity
from dupdetect.features import prepare

_TEXT = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي اأإة ىabc 123،.\n")), max_size=300
)


@settings(max_examples=150, deadline=None)
@given(_TEXT, _TEXT)
def test_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(similarity(b, a), abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(_TEXT)
def test_self_is_one(a: str) -> None:
    expected = 1.0 if prepare(a) else 0.0  # 0.0 only when the text has no content word
    assert similarity(a, a) == expected


def test_self_is_one_on_articles(stories) -> None:
    for t in stories.values():
        assert similarity(t, t) == 1.0


def test_orders_near_copy_over_other_story(stories) -> None:
    near = similarity(stories["f1_wataniya_floods"], stories["f2_alyawm_floods"])
    same_people = similarity(stories["f1_wataniya_floods"], stories["i1_alkhabar_dates_festival"])
    other = similarity(stories["f1_wataniya_floods"], stories["k1_wire_charger_recall"])
    assert near > 0.7 > 0.35 > same_people > other


def test_normalization_makes_variants_equal() -> None:
    a = "أعلنت الوزارةُ عن خطةٍ جديدة لدعم المزارعين في ٢٠٢٤ بقيمة ٥٠٠ مليون"
    b = "اعلنت الوزاره عن خطه جديده لدعم المزارعين في 2024 بقيمة 500 مليون"
    assert similarity(a, b) == pytest.approx(1.0, abs=1e-6)


def test_type_errors() -> None:
    with pytest.raises(TypeError, match="a must be a str"):
        similarity(None, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="b must be a str"):
        explain("x", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_words"):
        explain("x", "y", min_words=0)


def test_explain_shows_shared_passage(stories) -> None:
    e = explain(stories["j1_wire_port_strike"], stories["j2_dailynews_port_strike"])
    assert e.passages and all(len(p.split()) >= 4 for p in e.passages)
    assert 0.5 < e.coverage_a <= 1.0
    assert e.score == pytest.approx(
        similarity(stories["j1_wire_port_strike"], stories["j2_dailynews_port_strike"])
    )
    assert "shared passages" in str(e)
