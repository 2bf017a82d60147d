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
