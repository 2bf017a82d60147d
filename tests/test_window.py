"""The optional publication-time window of cluster() / cluster_texts()."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect import cluster, cluster_texts
from dupdetect.timewindow import parse_time

# A recurring bulletin: the same template on different days, only the figures change.
BULLETIN = (
    "النشرة الجوية: توقعت هيئة الأرصاد أن يكون الطقس اليوم حارا نهارا ومعتدلا ليلا على معظم "
    "مناطق المملكة، مع نشاط للرياح السطحية المثيرة للأتربة والغبار على المناطق الشرقية والوسطى، "
    "وتصل درجة الحرارة العظمى في الرياض إلى {hi} درجة والصغرى إلى {lo} درجة، فيما تكون الرطوبة "
    "على السواحل الغربية بين {h1} و{h2} في المئة، وينصح الدفاع المدني بالابتعاد عن أماكن تجمع "
    "الأتربة وعدم الخروج إلا للضرورة خلال ساعات الظهيرة."
)
DAYS = [datetime(2015, 7, 20 + d, 6, 0, tzinfo=timezone.utc) for d in range(4)]
TEXTS = {f"day{d}": BULLETIN.format(hi=44 + d, lo=30 + d, h1=60 + d, h2=85 - d) for d in range(4)}


def test_without_window_the_bulletins_chain_into_one_cluster() -> None:
    r = cluster_texts(TEXTS)
    assert max(c.size for c in r.clusters) == 4


def test_window_keeps_days_apart() -> None:
    r = cluster_texts(TEXTS, published=DAYS, window=timedelta(hours=12))
    assert max(c.size for c in r.clusters) == 1
    # the same day's copy (an hour later) still groups
    texts = {**TEXTS, "day0-copy": TEXTS["day0"]}
    dates = {**dict(zip(TEXTS, DAYS)), "day0-copy": DAYS[0] + timedelta(hours=1)}
    r = cluster_texts(texts, published=dates, window=timedelta(hours=12))
    assert {frozenset(c.ids) for c in r.clusters if c.size > 1} == {
        frozenset({"day0", "day0-copy"})
    }


def test_unknown_dates_are_not_constrained_and_flagged() -> None:
    dates = ["2015-07-20", None, "not a date", "2015-07-23"]
    r = cluster_texts(TEXTS, published=dates, window=timedelta(hours=12))
    recs = {x["id"]: x for x in r.to_records()}
    assert "not understood" in recs["day2"]["flag"]
    assert recs["day1"]["cluster"] == recs["day2"]["cluster"]  # both unconstrained


def test_window_from_file_records(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    with feed.open("w", encoding="utf-8") as f:
        for (k, t), d in zip(TEXTS.items(), DAYS):
            f.write(json.dumps({"id": k, "text": t, "date": d.isoformat()}) + "\n")
    assert max(c.size for c in cluster(str(feed)).clusters) == 4
    assert max(c.size for c in cluster(str(feed), window=timedelta(days=0.5)).clusters) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-08-22", datetime(2023, 8, 22, tzinfo=timezone.utc).timestamp()),
        ("2023-08-22 10:15:00", datetime(2023, 8, 22, 10, 15, tzinfo=timezone.utc).timestamp()),
        ("2023-08-22T10:15:00Z", datetime(2023, 8, 22, 10, 15, tzinfo=timezone.utc).timestamp()),
        (
            "2023-08-22T13:15:00+03:00",
            datetime(2023, 8, 22, 10, 15, tzinfo=timezone.utc).timestamp(),
        ),
        (
            "Tue, 22 Aug 2023 10:15:00 GMT",
            datetime(2023, 8, 22, 10, 15, tzinfo=timezone.utc).timestamp(),
        ),
        (1692699300, 1692699300.0),
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_time(value, expected) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"window": "3 days"}, ValueError),
        ({"window": "-5h"}, ValueError),
        (
            {"window": 48},
            TypeError,
        ),  # a bare number: seconds or hours? refused, both spellings shown
        ({"window": 3600.0}, TypeError),
        ({"window": timedelta(0)}, ValueError),
        ({"window": [1]}, TypeError),
        ({"published": ["2015-07-20"], "window": "1h"}, ValueError),  # wrong length
        ({"published": "2015-07-20", "window": "1h"}, TypeError),
    ],
)
def test_window_misuse(kwargs, exc) -> None:
    with pytest.raises(exc):
        cluster_texts(TEXTS, **kwargs)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("48h", 48 * 3600),
        ("3d", 3 * 86400),
        ("90m", 5400),
        ("30s", 30),
        (" 1.5 H ", 5400),
        ("2w", 14 * 86400),
        (timedelta(hours=2), 7200),
    ],
)
def test_window_spellings(value, seconds) -> None:
    from dupdetect.timewindow import window_seconds

    assert window_seconds(value) == seconds


def test_bare_number_window_names_both_spellings() -> None:
    with pytest.raises(TypeError, match=r'timedelta\(hours=48\).*"48h"'):
        cluster_texts(["a b c d e f"], window=48)


# ------------------------------------------------------------------ the window is a promise
_TEMPLATE = (
    "النشرة الجوية طقس حار نهارا على معظم مناطق المملكة والعظمى في الرياض {t} درجة "
    "والصغرى {u} درجة مع رياح نشطة مثيرة للاتربة على المناطق الشرقية والوسطى"
)


@settings(max_examples=40, deadline=None)
@given(
    hours=st.lists(st.floats(min_value=0, max_value=24 * 14), min_size=2, max_size=24),
    window_h=st.sampled_from([6, 12, 24, 72]),
    undated=st.sets(st.integers(min_value=0, max_value=23), max_size=4),
)
def test_no_cluster_spans_more_than_the_window(hours, window_h, undated) -> None:
    """Near-identical bulletins at random times: whatever chains the scores allow, every cluster's
    earliest and latest dated members are at most ``window`` apart (undated ones are free)."""
    base = datetime(2015, 7, 20, tzinfo=timezone.utc)
    texts = {i: _TEMPLATE.format(t=40 + i % 3, u=28 + i % 2) for i in range(len(hours))}
    dates = {i: None if i in undated else base + timedelta(hours=h) for i, h in enumerate(hours)}
    r = cluster_texts(texts, published=dates, window=timedelta(hours=window_h))
    for c in r.clusters:
        known = [dates[m.id] for m in c.members if dates[m.id] is not None]
        if len(known) > 1:
            assert max(known) - min(known) <= timedelta(hours=window_h)
    assert sum(c.size for c in r.clusters) == len(texts)  # nothing dropped


def test_undated_items_are_flagged_with_a_window() -> None:
    texts = {i: _TEMPLATE.format(t=40 + i, u=28) for i in range(3)}
    r = cluster_texts(texts, published={0: "2015-07-20", 1: None, 2: "soon"}, window="24h")
    assert "no publication date" in r.flags[1]
    assert "not understood" in r.flags[2]
    assert 0 not in r.flags
    assert cluster_texts(texts).flags == {}  # without a window nothing is flagged
