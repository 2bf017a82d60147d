"""The quality benchmark's variant harness (benchmarks/_variants.py) still fits the library.

It patches library functions by name to score variants; when a patched name moves (as
``pipeline._featurize_all`` did), ``eval_quality.py`` stopped at import and nobody saw it. This
runs every variant on a few texts written for the test, and checks that the ``defaults``
variant scores exactly like the library."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import dupdetect

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_variants.py"

TEXTS = {
    "a": "أعلنت وزارة الصحة افتتاح مستشفى جديد في مدينة المنصورة بسعة ثلاثمائة سرير يوم الثلاثاء "
    "بحضور المحافظ وعدد من المسؤولين في القطاع الصحي",
    "b": "افتتحت وزارة الصحة مستشفى جديدا في المنصورة بسعة ثلاثمائة سرير يوم الثلاثاء بحضور "
    "المحافظ ومسؤولين من القطاع الصحي في المحافظة",
    "c": "ارتفعت أسعار النفط في الأسواق العالمية اليوم بعد قرار منظمة أوبك خفض الإنتاج خلال "
    "الأشهر المقبلة وسط مخاوف من تباطؤ الطلب",
    "d": "The city council approved the new budget for public schools on Monday after a long "
    "debate about teacher salaries and classroom sizes",
}


@pytest.fixture(scope="module")
def variants():
    if not _PATH.exists():
        pytest.skip("benchmarks/ is not beside the tests")
    spec = importlib.util.spec_from_file_location("_variants_under_test", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    sys.path.insert(0, str(_PATH.parent))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(_PATH.parent))
    return mod


def test_every_variant_runs_and_defaults_score_like_the_library(variants) -> None:
    plain = dupdetect.cluster_texts(TEXTS, progress=False)
    want = sorted((p.a, p.b, round(p.similarity, 6)) for p in plain.pairs)
    assert want and want[0][:2] == ("a", "b")  # the two hospital reports are a pair
    for v in variants.VARIANTS:
        with variants.active(v) as settings:
            got = dupdetect.cluster_texts(TEXTS, settings=settings, progress=False)
        assert len(got.labels) == len(TEXTS), v.name
        if v.name == "defaults":
            assert sorted((p.a, p.b, round(p.similarity, 6)) for p in got.pairs) == want


TOLL = {
    "x": "مقتل ٢٩ شخصا في هجوم على عرض عسكري في مدينة الأهواز والرئيس يتعهد برد حاسم على "
    "المهاجمين بعد اجتماع طارئ",
    "y": "مقتل 53 شخصا في هجوم على عرض عسكري في مدينة الأهواز والرئيس يتعهد برد حاسم على "
    "المهاجمين بعد اجتماع طارئ",
    "z": "مقتل 29 شخصا في هجوم على عرض عسكري في مدينة الأهواز والرئيس يتعهد برد حاسم على "
    "المهاجمين بعد اجتماع طارئ عام 2018",
}


def test_number_sets_follow_the_rule(variants) -> None:
    from dupdetect.features import prepare

    rule = variants.NumberRule(0.5)
    assert variants.number_set(prepare(TOLL["x"]), rule) == {"29"}  # Arabic-Indic digits fold
    assert variants.number_set(prepare(TOLL["z"]), rule) == {"29", "2018"}
    no_years = variants.NumberRule(0.5, years=False)
    assert variants.number_set(prepare(TOLL["z"]), no_years) == {"29"}
    assert variants.number_set(prepare(TOLL["z"]), variants.NumberRule(0.5, first=1)) == set()
    assert variants.number_set(["و12", "ب900"], variants.NumberRule(0.5, prefixed=True)) == {
        "12",
        "900",
    }
    assert variants.number_set(["و12"], rule) == set()
    two = variants.NumberRule(0.5, min_each=2)
    assert variants.number_conflict(frozenset({"1", "2"}), frozenset({"3", "4"}), two)
    assert not variants.number_conflict(frozenset({"1"}), frozenset({"3", "4"}), two)


def test_number_variant_splits_a_changed_toll_in_batch_and_pair(variants) -> None:
    # the library groups the two tolls (same words, one number changed); the variant does not,
    # and keeps the pair that shares its number (z names 29 as x does, plus a year)
    plain = dupdetect.cluster_texts(TOLL, progress=False)
    lab = {k: plain.cluster_of(k).id for k in TOLL}
    assert lab["x"] == lab["y"] == lab["z"]
    base = dupdetect.similarity(TOLL["x"], TOLL["y"])
    with variants.active(variants.BY_NAME["num0.7"]) as settings:
        got = dupdetect.cluster_texts(TOLL, settings=settings, progress=False)
        pair = dupdetect.similarity(TOLL["x"], TOLL["y"])
        shared = dupdetect.similarity(TOLL["x"], TOLL["z"])
    assert pair == pytest.approx(0.3 * base, rel=1e-5)
    assert shared == pytest.approx(dupdetect.similarity(TOLL["x"], TOLL["z"]), rel=1e-6)
    lab = {k: got.cluster_of(k).id for k in TOLL}
    assert lab["x"] == lab["z"] != lab["y"]
