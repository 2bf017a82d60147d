"""Hypothesis fuzzing of every reader: any bytes, truncated records, nested HTML.

A reader meets bad input with a value (an Article or a ReadError), never an exception, and never
silently drops an input: every file given comes back as at least one Article or one ReadError.
"""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupdetect.io import Article, DecodeError, ReadError, decode_bytes, iter_inputs

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SUFFIXES = [".txt", ".json", ".jsonl", ".csv"]


def _arabic_text() -> st.SearchStrategy[str]:
    return st.text(
        alphabet=st.sampled_from(
            list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإةىـًٌٍَُِّْ ،؛؟\n\"',{}[]<>0123456789")
        ),
        max_size=300,
    )


@FAST
@given(data=st.binary(max_size=600))
def test_decode_bytes_returns_text_or_a_decode_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, name="x")
    except DecodeError as e:
        assert "x" in str(e)  # the message names the input
    else:
        assert isinstance(text, str)


def _read_one(suffix: str, payload: bytes) -> list[Article | ReadError]:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "input" + suffix)
        with open(path, "wb") as f:
            f.write(payload)
        return list(iter_inputs([path]))


@FAST
@given(suffix=st.sampled_from(SUFFIXES), payload=st.binary(max_size=800))
def test_any_bytes_in_any_format_give_values_not_exceptions(suffix: str, payload: bytes) -> None:
    out = _read_one(suffix, payload)
    assert out, "an input vanished: neither an article nor an error"
    assert all(isinstance(x, (Article, ReadError)) for x in out)


@FAST
@given(
    records=st.lists(
        st.fixed_dictionaries({"id": st.integers(0, 50), "text": _arabic_text()}), max_size=6
    ),
    cut=st.integers(min_value=0, max_value=2000),
    fmt=st.sampled_from(["json", "jsonl", "csv"]),
)
def test_truncated_records_are_read_or_reported(records, cut: int, fmt: str) -> None:
    if fmt == "json":
        payload = json.dumps(records, ensure_ascii=False)
    elif fmt == "jsonl":
        payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    else:
        rows = ['"{}","{}"'.format(r["id"], r["text"].replace('"', '""')) for r in records]
        payload = "\n".join(["id,text", *rows])
    data = payload.encode("utf-8")[:cut]
    out = _read_one("." + fmt, data)
    assert out and all(isinstance(x, (Article, ReadError)) for x in out)
    texts = [x for x in out if isinstance(x, Article)]
    assert len(texts) <= max(len(records), 1)  # nothing invented


@FAST
@given(depth=st.integers(min_value=1, max_value=400), body=_arabic_text())
def test_nested_html_is_read_or_reported(depth: int, body: str) -> None:
    pytest.importorskip("trafilatura", reason='HTML needs pip install "dupdetect[html]"')
    page = (
        "<html><body>" + "<div><span>" * depth + body + "</span></div>" * depth + "</body></html>"
    )
    out = _read_one(".html", page.encode("utf-8"))
    assert out and all(isinstance(x, (Article, ReadError)) for x in out)
