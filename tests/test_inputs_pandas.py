"""In-memory inputs that used to give a silent wrong answer: pandas objects and lists of records."""

from __future__ import annotations

import math

import pytest

from dupdetect import cluster, cluster_texts

pd = pytest.importorskip("pandas", reason='pandas is an extra: pip install "dupdetect[pandas]"')

# Two reports of one event, one unrelated (written for this test).
A = (
    "افتتحت وزارة النقل الطريق الدائري الجديد في مدينة الواحة بطول 42 كيلومترا بعد ثلاث سنوات "
    "من العمل وقال الوزير إن الطريق سيخفف الازدحام عن وسط المدينة بنسبة كبيرة"
)
B = (
    "افتتحت وزارة النقل اليوم الطريق الدائري الجديد في مدينة الواحة بطول 42 كيلومترا بعد ثلاث "
    "سنوات من العمل، واكد الوزير ان الطريق سيخفف الازدحام عن وسط المدينة"
)
C = (
    "توج فريق النجوم بكأس البطولة الشتوية لكرة السلة بعد فوزه في المباراة النهائية على فريق "
    "الصقور بفارق سبع نقاط امام جمهور غفير في الصالة المغطاة"
)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"content": [C, A, math.nan, B], "title": ["x", "y", "z", "w"]},
        index=["n3", "n1", "n9", "n2"],
    )


def test_a_dataframe_is_refused_with_what_to_pass() -> None:
    with pytest.raises(TypeError, match=r"column names.*cluster_texts\(df\['text'\]\)"):
        cluster_texts(frame())
    with pytest.raises(TypeError, match="cluster_texts"):
        cluster(frame())
    with pytest.raises(TypeError, match="cluster_texts"):
        cluster(frame()["content"])


def test_a_series_uses_its_index_and_reports_nan() -> None:
    df = frame()
    r = cluster_texts(df["content"])
    assert {m.id for c in r.clusters for m in c.members} == {"n1", "n2", "n3"}
    assert r.errors == [("n9", "text is missing (None or NaN); nothing to cluster")]
    assert r.cluster_of("n1") is r.cluster_of("n2")
    labels = r.labels
    assert len(labels) == len(df) and labels[2] is None  # aligned with the rows, NaN -> None
    df["cluster"] = labels
    assert df.loc["n1", "cluster"] == df.loc["n2", "cluster"] != df.loc["n3", "cluster"]


def test_series_published_dates_follow_the_index() -> None:
    s = pd.Series([A, C, B], index=["a", "b", "c"])
    # by label a and c are one day apart; read by position they would be two months apart
    dates = pd.Series(["2020-03-01", "2020-01-01", "2020-01-02"], index=["b", "a", "c"])
    r = cluster_texts(s, published=dates, window="3d")
    assert r.cluster_of("a") is r.cluster_of("c")


def test_duplicate_series_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate labels"):
        cluster_texts(pd.Series([A, B], index=["x", "x"]))


def test_a_list_of_records_is_refused_at_once() -> None:
    with pytest.raises(TypeError, match="records"):
        cluster_texts([{"id": 1, "text": A}, {"id": 2, "text": B}])


def test_labels_follow_input_order_for_plain_lists() -> None:
    r = cluster_texts([C, A, None, B])
    assert r.labels[1] == r.labels[3] != r.labels[0] and r.labels[2] is None
    df = r.pairs_dataframe()
    assert list(df.columns) == ["a", "b", "similarity"] and len(df) == len(r.pairs) >= 1
