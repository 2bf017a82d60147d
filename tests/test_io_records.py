"""dupdetect.io.records: JSON, JSONL and CSV files with many articles."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from dupdetect.io import (
    Article,
    ReadError,
)

sys.path.insert(0, str(Path(__file__).parent))
from io_helpers import (  # noqa: E402
    AR1,
    AR2,
    AR3,
    articles,
    as_article,
    as_error,
    one_article,
    only_error,
    read_all,
    write,
)

# --------------------------------------------------------------------------- JSON


def test_json_list_of_objects(tmp_path: Path) -> None:
    path = write(
        tmp_path / "feed.json",
        json.dumps(
            [
                {"id": "n-1", "title": "إغلاق الطريق", "text": AR1, "date": "2024-03-01"},
                {"headline": "الصيانة", "content": AR2, "published_at": "2024-03-02T10:00"},
                {"id": 17, "body": AR3},
            ],
            ensure_ascii=False,
        ),
    )
    assert read_all(path) == [
        Article(id="n-1", text=AR1, title="إغلاق الطريق", published="2024-03-01"),
        Article(
            id=f"{path}#1",
            text=AR2,
            title="الصيانة",
            published="2024-03-02T10:00",
        ),
        Article(id="17", text=AR3, title="", published=None),
    ]


@pytest.mark.parametrize("key", ["articles", "data", "items", "records"])
def test_json_object_with_a_list_of_articles(tmp_path: Path, key: str) -> None:
    path = write(
        tmp_path / "wrapped.json",
        json.dumps(
            {"source": "وكالة", key: [{"id": "w1", "text": AR1}, {"id": "w2", "text": AR2}]}
        ),
    )
    assert [(a.id, a.text) for a in articles(read_all(path))] == [("w1", AR1), ("w2", AR2)]


def test_json_single_article_object(tmp_path: Path) -> None:
    path = write(tmp_path / "one.json", json.dumps({"url": "https://x.test/1", "story": AR3}))
    assert read_all(path) == [Article(id="https://x.test/1", text=AR3)]


def test_json_record_without_text_field_is_an_error_for_that_record(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.json",
        json.dumps([{"id": "ok", "text": AR1}, {"id": "bad", "matn": AR2}, "just a string"]),
    )
    results = read_all(path)
    assert results[0] == Article(id="ok", text=AR1)
    assert isinstance(results[1], ReadError) and as_error(results[1]).input == f"{path}#1"
    message = as_error(results[1]).message
    assert "tried text, content, body, article, story" in message
    assert "'matn'" in message
    assert "fields={'text': '<field name>'}" in message
    assert results[2] == ReadError(
        f"{path}#2",
        "record is a JSON string, not an object; each article must be an object like "
        '{"id": ..., "title": ..., "text": ...}',
    )


def test_text_field_holding_an_object_is_named_in_the_error(tmp_path: Path) -> None:
    path = write(tmp_path / "wp.json", json.dumps([{"id": 1, "content": {"rendered": AR1}}]))
    err = only_error(read_all(path))
    assert "'content' holds an object or list, not text" in err.message


def test_malformed_json_is_a_read_error_with_position(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", '[{"text": "نص"},\n {"text": }]')
    err = only_error(read_all(path))
    assert err.input == str(path)
    assert err.message.startswith("invalid JSON at line 2 column")
    assert "rename it to .jsonl" in err.message


@pytest.mark.parametrize(
    ("content", "start"),
    [
        ("[]", "JSON file contains no records"),
        ("", "file is empty"),
        ('"text"', "top-level JSON value is a string"),
        ('{"meta": 1}', "JSON object is neither an article"),
    ],
)
def test_json_without_records_is_a_read_error(tmp_path: Path, content: str, start: str) -> None:
    path = write(tmp_path / "x.json", content)
    assert only_error(read_all(path)).message.startswith(start)


def test_first_non_empty_field_wins_and_empty_text_is_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "empty.json",
        json.dumps(
            [
                {
                    "id": "",
                    "guid": "g-1",
                    "text": "  ",
                    "content": AR1,
                    "title": "",
                    "headline": "ع",
                },
                {"id": "e", "text": "", "date": ""},
                {"id": "n", "text": None},
            ]
        ),
    )
    assert read_all(path) == [
        Article(id="g-1", text=AR1, title="ع"),
        Article(id="e", text="", published=None),
        Article(id="n", text=""),
    ]


def test_custom_field_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path / "custom.json",
        json.dumps(
            [{"uid": "u1", "matn": AR1, "onwan": "عنوان", "tarikh": "1445-09-01", "text": "x"}]
        ),
    )
    results = read_all(
        path, fields={"text": "matn", "id": ["uid"], "title": "onwan", "date": "tarikh"}
    )
    assert results == [Article(id="u1", text=AR1, title="عنوان", published="1445-09-01")]


# --------------------------------------------------------------------------- JSONL


def test_jsonl_bad_line_is_an_error_for_that_line_only(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": AR1}, ensure_ascii=False),
        "",
        '{"text": "مقطوع',
        json.dumps({"id": "L4", "text": AR2}),
        "[1, 2]",
        json.dumps({"text": AR3}),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    results = read_all(path)
    assert [type(r).__name__ for r in results] == [
        "Article",
        "ReadError",
        "Article",
        "ReadError",
        "Article",
    ]
    assert results[0] == Article(id=f"{path}#0", text=AR1)
    assert as_error(results[1]).input == f"{path}:3"
    assert as_error(results[1]).message.startswith("invalid JSON on this line (column")
    assert as_article(results[2]).id == "L4"
    assert as_error(results[3]).input == f"{path}:5"
    assert "record is a JSON array" in as_error(results[3]).message
    # n counts records (non-blank lines), bad ones included, so ids stay stable.
    assert as_article(results[4]).id == f"{path}#4"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_jsonl_with_bom(tmp_path: Path, encoding: str) -> None:
    body = "\r\n".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate([AR1, AR2])
    )
    path = write(tmp_path / "bom.jsonl", body.encode(encoding))
    assert [(a.id, a.text) for a in articles(read_all(path))] == [("0", AR1), ("1", AR2)]


def test_jsonl_legacy_encoded_line_is_detected(tmp_path: Path) -> None:
    data = (
        json.dumps({"id": "u", "text": AR1}, ensure_ascii=False).encode()
        + b"\n"
        + json.dumps({"id": "c", "text": AR2}, ensure_ascii=False).encode("cp1256")
        + b"\n"
    )
    path = write(tmp_path / "mixed.jsonl", data)
    assert [(a.id, a.text) for a in articles(read_all(path))] == [("u", AR1), ("c", AR2)]


def test_jsonl_overlong_line_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    huge = json.dumps({"text": "ش" * 600_000})  # 3.6 MB escaped, over 8*1 + 1 MiB
    path = write(tmp_path / "huge.jsonl", huge + "\n" + json.dumps({"id": "after", "text": "ن"}))
    results = read_all(path, max_chars=1)
    assert isinstance(results[0], ReadError) and as_error(results[0]).input == f"{path}:1"
    assert as_error(results[0]).message.startswith("line is longer than")
    assert results[1] == Article(id="after", text="ن")


def test_empty_jsonl_is_a_read_error(tmp_path: Path) -> None:
    path = write(tmp_path / "none.jsonl", "\n\n")
    assert only_error(read_all(path)).message.startswith("JSONL file contains no records")


# --------------------------------------------------------------------------- CSV


def test_csv_with_semicolon_delimiter(tmp_path: Path) -> None:
    # The texts contain commas, so only the header decides the delimiter.
    rows = [
        ["id", "title", "text", "date"],
        ["c1", "الطريق", AR1, "2024-01-01"],
        ["c2", 'قال: "نعم"', f"{AR2}\nسطر ثان", ""],
    ]
    path = tmp_path / "feed.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    assert read_all(path) == [
        Article(id="c1", text=AR1, title="الطريق", published="2024-01-01"),
        Article(id="c2", text=f"{AR2}\nسطر ثان", title='قال: "نعم"'),
    ]


def test_csv_tab_delimiter_cp1256_and_case_insensitive_header(tmp_path: Path) -> None:
    data = f"Title\tText\r\nعنوان\t{AR1}\r\n".encode("cp1256")
    path = write(tmp_path / "legacy.csv", data)
    assert read_all(path) == [Article(id=f"{path}#0", text=AR1, title="عنوان")]


def test_csv_without_text_column_is_one_read_error(tmp_path: Path) -> None:
    path = write(tmp_path / "noheader.csv", f"{AR1},{AR2}\n{AR3},x\n")
    err = only_error(read_all(path))
    assert err.input == str(path)
    assert "has no text column: tried text, content, body, article, story" in err.message
    assert "fields={'text': '<column name>'}" in err.message
    results = read_all(path, fields={"text": AR1})  # the first row is taken as the header
    assert [a.text for a in articles(results)] == [AR3]


def test_csv_row_with_wrong_field_count_and_malformed_quoting(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        f'id,text\nr1,{AR1}\nr2,{AR2},extra\nr3,"{AR3}"\nr4,"نص "غير" مغلق\nr5,x\n',
    )
    results = read_all(path)
    assert [type(r).__name__ for r in results] == ["Article", "ReadError", "Article", "ReadError"]
    assert as_article(results[0]).id == "r1" and as_article(results[2]).id == "r3"
    assert as_error(results[1]).input == f"{path}:3"
    assert as_error(results[1]).message.startswith("row has 3 fields but the header has 2")
    assert as_error(results[3]).input == f"{path}:5"
    assert as_error(results[3]).message.startswith("malformed CSV, reading stopped here")


@pytest.mark.parametrize(
    ("content", "start"),
    [("id,text\n", "CSV file (only a header row) contains no records"), ("", "file is empty")],
)
def test_csv_without_records_is_a_read_error(tmp_path: Path, content: str, start: str) -> None:
    path = write(tmp_path / "x.csv", content)
    assert only_error(read_all(path)).message.startswith(start)


def test_csv_field_longer_than_the_csv_module_default_limit(tmp_path: Path) -> None:
    long_text = "م" * 200_000
    path = write(tmp_path / "long.csv", f"text\n{long_text}\n")
    before = csv.field_size_limit()
    art = one_article(read_all(path))
    assert art.text == long_text
    assert csv.field_size_limit() == before  # the global limit is restored


# --------------------------------------------------------------------------- source (outlet)


def test_record_source_comes_from_source_outlet_or_site(tmp_path: Path) -> None:
    jsonl = write(
        tmp_path / "feed.jsonl",
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"id": "1", "text": AR1, "source": " was "},
                {"id": "2", "text": AR2, "outlet": "صحيفة الشاطئ"},
                {"id": "3", "text": AR3, "Site": "shati.example"},
                {"id": "4", "text": AR1, "source": "", "outlet": "okaz"},
                {"id": "5", "text": AR2, "source": {"id": None, "name": "BBC"}},
                {"id": "6", "text": AR3},
            ]
        ),
    )
    assert [(a.id, a.source) for a in articles(read_all(jsonl))] == [
        ("1", "was"),
        ("2", "صحيفة الشاطئ"),
        ("3", "shati.example"),  # case-insensitive, like every field
        ("4", "okaz"),  # the first non-empty one wins
        ("5", None),  # an object is not a name
        ("6", None),
    ]
    csv_path = write(tmp_path / "feed.csv", f"id,text,jarida\nc1,{AR1},alriyadh\n")
    assert articles(read_all(csv_path, fields={"source": "jarida"}))[0].source == "alriyadh"


def test_wrapper_fields_of_a_json_object_are_not_record_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wrapped.json",
        json.dumps({"source": "وكالة", "articles": [{"id": "w1", "text": AR1}]}),
    )
    assert read_all(path) == [Article(id="w1", text=AR1, source=None)]
