"""``cluster_frame(df)``: the DataFrame back, row for row, with cluster, score and relation."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import dupdetect

pd = pytest.importorskip("pandas")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "provenance"
WIRE, COPY, REWRITE = (
    "w1_wire_desalination",
    "w2_watan_desalination_copy",
    "w3_sahil_desalination_rewrite",
)


def _frame() -> pd.DataFrame:
    meta = json.loads((FIXTURES / "meta.json").read_text(encoding="utf-8"))
    rows = []
    for p in sorted(FIXTURES.glob("*.txt")):
        title, _, body = p.read_text(encoding="utf-8").partition("\n")
        rows.append(
            {
                "name": p.stem,
                "headline": title,
                "body": body,
                "outlet": meta[p.stem]["outlet"],
                "when": pd.Timestamp(meta[p.stem]["published"]),
            }
        )
    # a row with no text in the middle, a scrambled, non-default index
    rows.insert(3, {"name": "empty", "headline": "x", "body": None, "outlet": None, "when": pd.NaT})
    df = pd.DataFrame(rows)
    df.index = [f"r{k}" for k in (7, 3, 9, 1, 0, 8, 2, 6, 5)][: len(df)]
    return df.iloc[::-1]


def test_columns_joined_on_the_index_and_missing_rows_kept():
    df = _frame()
    with pytest.warns(UserWarning, match=r"1 of 8 rows have no usable text \(e.g. 'r1'"):
        out = dupdetect.cluster_frame(
            df, text="body", title="headline", date="when", source="outlet"
        )
    assert out is not df and list(out.index) == list(df.index)
    assert list(out.columns) == list(df.columns) + ["cluster", "score", "relation"]
    assert "cluster" not in df.columns  # the input is not changed
    by = out.set_index("name")
    assert by.loc[WIRE, "relation"] == "first" and by.loc[COPY, "relation"] == "copy"
    assert by.loc[REWRITE, "relation"] == "rewrite"
    assert by.loc[WIRE, "cluster"] == by.loc[COPY, "cluster"] == by.loc[REWRITE, "cluster"]
    assert by.loc["x1_sports_marathon", "relation"] is None
    assert by.loc["x1_sports_marathon", "score"] == 1.0
    empty = by.loc["empty"]
    assert empty["cluster"] is None and empty["relation"] is None and pd.isna(empty["score"])
    # the same answer as cluster_texts on the same documents (ids = index labels)
    ids = df.index[df["body"].notna()]
    texts = {k: f"{df.at[k, 'headline']}\n{df.at[k, 'body']}" for k in ids}
    ref = {r["id"]: r for r in dupdetect.cluster_texts(texts).to_records()}
    for k in ids:
        assert out.at[k, "cluster"] == ref[k]["cluster"] and out.at[k, "score"] == ref[k]["score"]


def test_id_column_and_options_pass_through():
    df = _frame().dropna(subset=["body"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = dupdetect.cluster_frame(df, text="body", id="name", threshold=0.99)
    assert set(out["relation"].dropna()) <= {"first", "copy"}  # almost nothing groups at 0.99
    assert out["cluster"].notna().all()


def test_bad_input_is_named():
    df = _frame()
    with pytest.raises(TypeError, match="pandas DataFrame"):
        dupdetect.cluster_frame(df["body"])
    with pytest.raises(ValueError, match="text='content' is not a column.*'body'"):
        dupdetect.cluster_frame(df, text="content")
    with pytest.raises(ValueError, match="duplicate"):
        dupdetect.cluster_frame(pd.concat([df, df]), text="body")
    with pytest.raises(ValueError, match="duplicate"):
        dupdetect.cluster_frame(df.assign(name="same"), text="body", id="name")
    with pytest.raises(ValueError, match="already has column"):
        dupdetect.cluster_frame(df.assign(cluster=1), text="body")
