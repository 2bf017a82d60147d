"""Tests for dupdetect.io: encodings, formats, folders/globs, HTML extraction, errors."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dupdetect.io as dio
from dupdetect.io import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHARS,
    SUPPORTED_SUFFIXES,
    Article,
    DecodeError,
    FieldMap,
    ReadError,
    decode_bytes,
    extract_html,
    iter_inputs,
    make_field_map,
)

FIXTURES = Path(__file__).parent / "fixtures" / "io"

# Our own sentences (news-style), with ، ؛ ؟ and letters that sit at different byte
# values in Windows-1256 and ISO-8859-6 (ف ق ك غ ط ه و ي ى).
AR1 = "أعلنت البلدية، صباح اليوم، عن إغلاق الطريق الساحلي؛ فمتى يعاد فتحه؟"
AR2 = "قال المتحدث إن أعمال الصيانة تستمر أسبوعين، وإن الحافلات ستنقل الركاب مجانا."
AR3 = "شهدت الأسواق ارتفاعا في أسعار الخضار والفواكه بسبب موجة الحر الأخيرة."
AR_TEXT = f"{AR1}\n{AR2}\n{AR3}\n"


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def read_all(paths: object, **kwargs: object) -> list[Article | ReadError]:
    return list(iter_inputs(paths, **kwargs))  # type: ignore[arg-type]


def articles(results: list[Article | ReadError]) -> list[Article]:
    return [r for r in results if isinstance(r, Article)]


def errors(results: list[Article | ReadError]) -> list[ReadError]:
    return [r for r in results if isinstance(r, ReadError)]


def as_article(result: Article | ReadError) -> Article:
    assert isinstance(result, Article), result
    return result


def as_error(result: Article | ReadError) -> ReadError:
    assert isinstance(result, ReadError), result
    return result


def ids(results: list[Article | ReadError]) -> list[str]:
    return [as_article(r).id for r in results]


def one_article(results: list[Article | ReadError]) -> Article:
    assert len(results) == 1, results
    return as_article(results[0])


def only_error(results: list[Article | ReadError]) -> ReadError:
    assert len(results) == 1, results
    (result,) = results
    assert isinstance(result, ReadError), result
    return result


# --------------------------------------------------------------------------- constants


def test_public_constants() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".html", ".htm", ".json", ".jsonl", ".csv")
    assert DEFAULT_MAX_BYTES == 5_000_000
    assert DEFAULT_MAX_CHARS == 1_000_000
    assert set(dio.__all__) >= {
        "Article",
        "ReadError",
        "FieldMap",
        "DecodeError",
        "make_field_map",
        "decode_bytes",
        "extract_html",
        "iter_inputs",
    }


def test_values_are_frozen_and_read_error_prints_input_and_message() -> None:
    art = Article(id="a", text="نص")
    assert (art.title, art.published, art.source) == ("", None, "")
    with pytest.raises(AttributeError):
        art.text = "x"  # type: ignore[misc]
    err = ReadError("x.txt", "bad; fix it")
    assert str(err) == "x.txt: bad; fix it"


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "utf-32", "cp1256", "iso8859_6"],
)
def test_decode_bytes_round_trips_each_supported_encoding(encoding: str) -> None:
    if encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + AR_TEXT.encode("utf-16-be")
    else:
        data = AR_TEXT.encode(encoding)
    assert decode_bytes(data) == AR_TEXT


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1256", "iso8859_6"]
)
def test_txt_files_in_each_encoding_give_the_same_text(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / f"news-{encoding}.txt", AR_TEXT.encode(encoding))
    art = one_article(read_all(str(path)))
    assert art == Article(id=str(path), text=AR_TEXT, title="", published=None, source=str(path))


def test_bom_is_removed() -> None:
    assert decode_bytes(b"\xef\xbb\xbf" + AR1.encode()) == AR1
    assert not decode_bytes(AR1.encode("utf-16")).startswith("\ufeff")


def test_crlf_and_lone_cr_become_lf(tmp_path: Path) -> None:
    assert decode_bytes(f"{AR1}\r\n{AR2}\r{AR3}\r\n".encode()) == f"{AR1}\n{AR2}\n{AR3}\n"
    assert decode_bytes(f"{AR1}\r\n{AR2}".encode("utf-16")) == f"{AR1}\n{AR2}"
    assert decode_bytes(f"{AR1}\r\n{AR2}".encode("cp1256")) == f"{AR1}\n{AR2}"
    path = write(tmp_path / "crlf.txt", f"{AR1}\r\n{AR2}\r\n".encode())
    art = one_article(read_all(path))
    assert art.text == f"{AR1}\n{AR2}\n"


def test_cp1256_text_is_not_valid_iso_8859_6_so_cp1256_wins() -> None:
    data = AR1.encode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        data.decode("iso8859_6")  # ف/ق/ك/، use bytes ISO-8859-6 leaves unassigned
    assert decode_bytes(data) == AR1


def test_iso_8859_6_text_scores_higher_than_its_cp1256_reading() -> None:
    text = "وهو يقول إن الطقس هادئ"
    data = text.encode("iso8859_6")
    as_cp1256 = data.decode("cp1256")  # valid, but ه و ي become Latin letters
    assert as_cp1256 != text and "ç" in as_cp1256
    assert decode_bytes(data) == text


def test_a_tie_between_the_code_pages_goes_to_cp1256() -> None:
    # "سلم" in cp1256 is D3 E1 E3; ISO-8859-6 reads the same bytes as "سفك".
    data = "سلم".encode("cp1256")
    assert data.decode("iso8859_6") == "سفك"
    assert decode_bytes(data) == "سلم"


def test_binary_content_raises_decode_error_naming_the_input() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + b"\x00" * 32
    with pytest.raises(DecodeError, match=r"^logo\.txt: looks binary \(contains NUL"):
        decode_bytes(png, name="logo.txt")
    with pytest.raises(DecodeError, match="control bytes"):
        decode_bytes(bytes(range(1, 9)) * 10 + b"abc", name="ctl")


def test_decode_error_is_a_value_error_with_name_and_reason() -> None:
    with pytest.raises(ValueError) as info:
        decode_bytes(b"\x00\x01", name="f.txt")
    exc = info.value
    assert isinstance(exc, DecodeError)
    assert exc.name == "f.txt"
    assert "binary" in exc.reason


def test_undecodable_bytes_raise_decode_error_that_says_to_resave_as_utf8() -> None:
    data = "保健省は本日、新しい病院の開設を発表した。".encode("shift_jis")
    with pytest.raises(DecodeError) as info:
        decode_bytes(data, name="jp.txt")
    message = str(info.value)
    assert message.startswith("jp.txt: cannot decode: not valid UTF-8")
    assert "re-save the file as UTF-8" in message


def test_damaged_utf16_with_bom_raises() -> None:
    with pytest.raises(DecodeError, match="UTF-16 LE byte-order mark but is not valid"):
        decode_bytes(b"\xff\xfe" + b"\x00\xd8", name="half.txt")  # a lone surrogate


def test_decode_bytes_empty_and_wrong_type() -> None:
    assert decode_bytes(b"") == ""
    with pytest.raises(TypeError, match="needs bytes, got str"):
        decode_bytes("نص")  # type: ignore[arg-type]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=200))
def test_property_utf_round_trip(text: str) -> None:
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        assert decode_bytes(text.encode(encoding)) == text


_CP1256_ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"


@given(st.text(alphabet=_CP1256_ARABIC_LETTERS + " .!0123456789", max_size=200))
def test_property_cp1256_arabic_round_trips(text: str) -> None:
    assert decode_bytes(text.encode("cp1256")) == text


@given(st.binary(max_size=300))
def test_property_any_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, name="x")
    except DecodeError as exc:
        assert str(exc).startswith("x: ")
    else:
        assert "\r" not in text


# --------------------------------------------------------------------------- single files


def test_empty_and_whitespace_files_are_articles_not_errors(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", b"")
    blank = write(tmp_path / "blank.txt", b"  \n\t\n")
    empty_html = write(tmp_path / "empty.html", b"")
    results = read_all([empty, blank, empty_html])
    assert [(r.id, r.text) for r in articles(results)] == [
        (str(empty), ""),
        (str(blank), "  \n\t\n"),
        (str(empty_html), ""),
    ]
    assert errors(results) == []


def test_binary_file_is_a_read_error_and_the_batch_goes_on(tmp_path: Path) -> None:
    png = write(tmp_path / "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)
    good = write(tmp_path / "good.txt", AR1)
    results = read_all([png, good])
    assert isinstance(results[0], ReadError)
    assert as_error(results[0]).input == str(png)
    assert "binary" in as_error(results[0]).message and "remove it" in as_error(results[0]).message
    assert results[1] == Article(id=str(good), text=AR1, source=str(good))


def test_undecodable_file_is_a_read_error(tmp_path: Path) -> None:
    path = write(tmp_path / "jp.txt", "新しい病院の開設を発表した。".encode("shift_jis"))
    err = only_error(read_all(path))
    assert err.input == str(path)
    assert err.message.startswith("cannot decode: not valid UTF-8")


def test_file_over_max_bytes_is_refused_without_opening_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "big.txt", "ا" * 50)  # 100 bytes
    opened: list[str] = []
    real_open = open

    def spy_open(file: str, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(dio, "open", spy_open, raising=False)
    err = only_error(read_all(path, max_bytes=99))
    assert err.input == str(path)
    assert "100 bytes, over max_bytes=99" in err.message
    assert "larger max_bytes" in err.message
    assert opened == []
    art = one_article(read_all(path, max_bytes=100))  # exactly at the limit is fine
    assert art.text == "ا" * 50
    assert opened == [str(path)]


def test_max_bytes_does_not_apply_to_multi_article_files(tmp_path: Path) -> None:
    path = write(tmp_path / "many.jsonl", "\n".join(json.dumps({"text": AR2}) for _ in range(5)))
    results = read_all(path, max_bytes=10)
    assert [a.text for a in articles(results)] == [AR2] * 5


def test_text_over_max_chars_is_a_read_error(tmp_path: Path) -> None:
    txt = write(tmp_path / "long.txt", "ب" * 21)
    jsonl = write(
        tmp_path / "recs.jsonl",
        json.dumps({"id": "short", "text": "ب" * 20}) + "\n" + json.dumps({"text": "ب" * 21}),
    )
    results = read_all([txt, jsonl], max_chars=20)
    assert [type(r).__name__ for r in results] == ["ReadError", "Article", "ReadError"]
    assert as_error(results[0]).input == str(txt)
    assert "21 characters, over max_chars=20" in as_error(results[0]).message
    assert as_article(results[1]).id == "short"
    assert as_error(results[2]).input == f"{jsonl}:2"


def test_missing_path_is_a_read_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "gone.txt"
    err = only_error(read_all(missing))
    assert err.input == str(missing)
    assert err.message.startswith("no such file or folder; check the path")


def test_empty_path_string_is_a_read_error() -> None:
    err = only_error(read_all(""))
    assert err == ReadError("", "empty path; give a file, a folder or a glob pattern")


def test_unsupported_suffix_named_explicitly_is_a_read_error(tmp_path: Path) -> None:
    md = write(tmp_path / "notes.md", AR1)
    bare = write(tmp_path / "README", AR1)
    results = read_all([md, bare])
    assert [e.input for e in errors(results)] == [str(md), str(bare)]
    assert "suffix '.md'" in as_error(results[0]).message
    assert "no suffix" in as_error(results[1]).message
    assert ".jsonl" in as_error(results[0]).message


def test_suffix_match_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path / "UPPER.TXT", AR1)
    art = one_article(read_all(path))
    assert art.text == AR1


def test_unreadable_file_is_a_read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "secret.txt", AR1)

    def deny(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dio, "open", deny, raising=False)
    err = only_error(read_all(path))
    assert err.input == str(path)
    assert err.message.startswith("permission denied; make the file readable")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_chmod_000_file_is_a_read_error(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.txt", AR1)
    path.chmod(0)
    try:
        err = only_error(read_all(path))
    finally:
        path.chmod(0o644)
    assert err.message.startswith("permission denied")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    err = only_error(read_all(fifo))
    assert err.message.startswith("not a regular file")


# --------------------------------------------------------------------------- paths argument


def test_paths_may_be_str_path_list_tuple_or_generator(tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", AR1)
    b = write(tmp_path / "b.txt", AR2)
    assert ids(read_all(str(a))) == [str(a)]  # a bare str is one path
    assert ids(read_all(a)) == [str(a)]
    assert ids(read_all([str(b), a])) == [str(b), str(a)]  # caller's order
    assert ids(read_all((b,))) == [str(b)]
    assert ids(read_all(p for p in (a, b))) == [str(a), str(b)]


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        (b"news.txt", r"paths must be a path \(str or os\.PathLike\).*got bytes"),
        (42, r"paths must be a path .*got int"),
        (None, r"paths must be a path .*got NoneType"),
        (["ok.txt", b"x.txt"], r"paths\[1\] must be a path .*got bytes"),
        ([3.5], r"paths\[0\] must be a path .*got float"),
    ],
)
def test_wrong_paths_types_raise_type_error_at_call_time(bad: object, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        iter_inputs(bad)  # type: ignore[arg-type]  # no next(): raised eagerly


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"max_bytes": 0}, ValueError, "max_bytes must be positive"),
        ({"max_chars": -1}, ValueError, "max_chars must be positive"),
        ({"max_bytes": "5"}, TypeError, "max_bytes must be an int"),
        ({"max_chars": True}, TypeError, "max_chars must be an int"),
        ({"html_engine": "lxml"}, ValueError, "unknown html engine 'lxml'"),
        ({"fields": {"body": "x"}}, ValueError, "unknown key 'body'"),
    ],
)
def test_bad_options_raise_at_call_time(
    tmp_path: Path, kwargs: dict[str, object], exc: type[Exception], pattern: str
) -> None:
    with pytest.raises(exc, match=pattern):
        iter_inputs(tmp_path, **kwargs)  # type: ignore[arg-type]


def test_same_file_reached_twice_is_read_once(tmp_path: Path) -> None:
    a = write(tmp_path / "d" / "a.txt", AR1)
    results = read_all([a, tmp_path / "d", str(tmp_path / "d" / "*.txt")])
    assert ids(results) == [str(a)]


# --------------------------------------------------------------------------- folders and globs


def make_tree(root: Path) -> None:
    write(root / "b.txt", AR1)
    write(root / "a.txt", AR2)
    write(root / "a" / "z.txt", AR3)
    write(root / "a0.txt", AR1 + "!")
    write(root / ".hidden.txt", "مخفي")
    write(root / ".git" / "x.txt", "مخفي")
    write(root / "c" / "notes.md", "ملاحظات")
    write(root / "c" / "d" / "deep.json", json.dumps([{"id": "deep-1", "text": AR2}]))


def test_folder_is_recursed_sorted_by_path_hidden_skipped(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_tree(root)
    results = read_all(root)
    assert errors(results) == []
    assert ids(results) == [
        str(root / "a" / "z.txt"),
        str(root / "a.txt"),
        str(root / "a0.txt"),
        str(root / "b.txt"),
        "deep-1",
    ]
    assert as_article(results[-1]).source == str(root / "c" / "d" / "deep.json")


def test_found_ids_are_joined_onto_what_the_caller_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "root")
    monkeypatch.chdir(tmp_path)
    assert ids(read_all("root/"))[:2] == ["root/a/z.txt", "root/a.txt"]
    assert ids(read_all("./root"))[:2] == ["./root/a/z.txt", "./root/a.txt"]


def test_folder_without_supported_files_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "readme.md", "x")
    write(tmp_path / "docs" / ".secret.txt", "x")
    (tmp_path / "void").mkdir()
    results = read_all([tmp_path / "docs", tmp_path / "void"])
    assert [e.input for e in errors(results)] == [str(tmp_path / "docs"), str(tmp_path / "void")]
    assert as_error(results[0]).message.startswith("folder has no files with a supported suffix")


def test_glob_sorted_and_hidden_not_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "root")
    monkeypatch.chdir(tmp_path)
    assert ids(read_all("root/*.txt")) == ["root/a.txt", "root/a0.txt", "root/b.txt"]
    assert ids(read_all("root/**/*.txt")) == [
        "root/a/z.txt",
        "root/a.txt",
        "root/a0.txt",
        "root/b.txt",
    ]
    assert ids(read_all("root/a?.txt")) == ["root/a0.txt"]
    assert ids(read_all("root/[ab].txt")) == ["root/a.txt", "root/b.txt"]


def test_glob_matching_nothing_is_a_read_error(tmp_path: Path) -> None:
    pattern = str(tmp_path / "*.jsonl")
    err = only_error(read_all(pattern))
    assert err.input == pattern
    assert err.message.startswith("glob pattern matched nothing")


def test_glob_matching_only_unsupported_files_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "x")
    write(tmp_path / "b.md", "x")
    pattern = str(tmp_path / "*")
    err = only_error(read_all(pattern))
    assert err.message.startswith("glob pattern matched 2 path(s) but no file")


def test_glob_matching_folders_recurses_them(tmp_path: Path) -> None:
    write(tmp_path / "2024" / "x.txt", AR1)
    write(tmp_path / "2023" / "y.txt", AR2)
    results = read_all(str(tmp_path / "20*"))
    assert ids(results) == [
        str(tmp_path / "2023" / "y.txt"),
        str(tmp_path / "2024" / "x.txt"),
    ]


def test_existing_path_with_glob_characters_is_taken_literally(tmp_path: Path) -> None:
    path = write(tmp_path / "news[1].txt", AR1)
    write(tmp_path / "news1.txt", AR2)
    art = one_article(read_all(str(path)))
    assert (art.id, art.text) == (str(path), AR1)


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
        Article(id="n-1", text=AR1, title="إغلاق الطريق", published="2024-03-01", source=str(path)),
        Article(
            id=f"{path}#1",
            text=AR2,
            title="الصيانة",
            published="2024-03-02T10:00",
            source=str(path),
        ),
        Article(id="17", text=AR3, title="", published=None, source=str(path)),
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
    assert read_all(path) == [Article(id="https://x.test/1", text=AR3, source=str(path))]


def test_json_record_without_text_field_is_an_error_for_that_record(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.json",
        json.dumps([{"id": "ok", "text": AR1}, {"id": "bad", "matn": AR2}, "just a string"]),
    )
    results = read_all(path)
    assert results[0] == Article(id="ok", text=AR1, source=str(path))
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
        Article(id="g-1", text=AR1, title="ع", source=str(path)),
        Article(id="e", text="", published=None, source=str(path)),
        Article(id="n", text="", source=str(path)),
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
    assert results == [
        Article(id="u1", text=AR1, title="عنوان", published="1445-09-01", source=str(path))
    ]


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
    assert results[0] == Article(id=f"{path}#0", text=AR1, source=str(path))
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
    assert results[1] == Article(id="after", text="ن", source=str(path))


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
        Article(id="c1", text=AR1, title="الطريق", published="2024-01-01", source=str(path)),
        Article(id="c2", text=f"{AR2}\nسطر ثان", title='قال: "نعم"', source=str(path)),
    ]


def test_csv_tab_delimiter_cp1256_and_case_insensitive_header(tmp_path: Path) -> None:
    data = f"Title\tText\r\nعنوان\t{AR1}\r\n".encode("cp1256")
    path = write(tmp_path / "legacy.csv", data)
    assert read_all(path) == [Article(id=f"{path}#0", text=AR1, title="عنوان", source=str(path))]


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


# --------------------------------------------------------------------------- duplicate ids


def test_duplicate_ids_are_made_unique_in_reading_order(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.jsonl",
        "\n".join(json.dumps(r) for r in [{"id": "x", "text": "1"}, {"id": "x", "text": "2"}]),
    )
    second = write(
        tmp_path / "b.json",
        json.dumps([{"id": "x#1", "text": "3"}, {"id": "x", "text": "4"}]),
    )
    results = read_all([first, second])
    assert [(a.id, a.text) for a in articles(results)] == [
        ("x", "1"),
        ("x#1", "2"),
        ("x#1#1", "3"),  # "x#1" was already taken
        ("x#2", "4"),
    ]
    assert len({a.id for a in articles(results)}) == 4


# --------------------------------------------------------------------------- fields


def test_make_field_map_defaults_and_overrides() -> None:
    assert make_field_map(None) == FieldMap()
    fm = FieldMap(text=("matn",))
    assert make_field_map(fm) is fm
    custom = make_field_map({"text": "content", "id": ["uid", "url"]})
    assert custom.text == ("content",)
    assert custom.id == ("uid", "url")
    assert custom.title == FieldMap().title and custom.date == FieldMap().date


def test_make_field_map_rejects_unknown_keys_and_bad_types() -> None:
    with pytest.raises(
        ValueError, match="unknown key 'txt' in fields; valid keys are id, title, text, date"
    ):
        make_field_map({"txt": "content"})
    with pytest.raises(TypeError, match=r"fields\['text'\] must be a field name"):
        make_field_map({"text": 5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"fields\['id'\] must be a field name"):
        make_field_map({"id": b"uid"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="fields must be None, a FieldMap, or a mapping"):
        make_field_map([("text", "content")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"FieldMap\.text is empty"):
        make_field_map({"text": []})


def test_field_map_validates_itself() -> None:
    with pytest.raises(TypeError, match=r"FieldMap\.text must be a tuple of field names, got str"):
        FieldMap(text="content")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"FieldMap\.id is empty"):
        FieldMap(id=())
    with pytest.raises(ValueError, match=r"FieldMap\.date contains an empty field name"):
        FieldMap(date=("date", " "))
    with pytest.raises(TypeError, match=r"FieldMap\.title must contain only str"):
        FieldMap(title=("title", 3))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- HTML

PAGE = (FIXTURES / "news_page.html").read_text(encoding="utf-8")
PAGE_TITLE = "افتتاح جسر جديد على النهر"
PAGE_PARAGRAPHS = [
    "افتتح محافظ المدينة صباح يوم الأحد جسرا جديدا يربط ضفتي النهر بعد ثلاث سنوات من "
    "أعمال البناء المتواصلة.",
    "ويبلغ طول الجسر نحو ستمئة متر، ومن المتوقع أن يخفف الازدحام المروري في وسط المدينة "
    "بنسبة كبيرة خلال ساعات الذروة.",
    "وقال المهندس المسؤول عن المشروع إن الجسر صمم ليتحمل الزلازل والفيضانات، وإن تكلفته "
    "بلغت أربعين مليون دينار.",
    "وأعرب عدد من السكان عن ارتياحهم للمشروع، مؤكدين أن الرحلة اليومية إلى العمل كانت "
    "تستغرق أكثر من ساعة.",
]
CHROME_SNIPPETS = [
    "قائمة السياسة",  # nav
    "مسار التنقل",  # breadcrumb
    "شيفرة التتبع",  # <script> in head
    "إعلان مدسوس",  # <script> in the article
    "نص أنماط",  # <style>
    "تعليق في الشيفرة",  # HTML comment
    "شارك على",  # share widget
    "أخبار ذات صلة",  # related links
    "تعليق القارئ",  # comments section
    "خبر جانبي",  # <aside>
    "جميع الحقوق",  # <footer>
    "اشترك في النشرة",  # form
]


def trafilatura_or_skip() -> None:
    module, reason = dio._trafilatura()
    if module is None:
        pytest.skip(f"trafilatura not importable: {reason}")


@pytest.fixture
def no_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dio, "_trafilatura", lambda: (None, "ModuleNotFoundError: test"))


def test_builtin_html_extraction_exact(no_trafilatura: None) -> None:
    title, text = extract_html(PAGE, engine="builtin")
    assert title == PAGE_TITLE
    assert text == "\n\n".join(PAGE_PARAGRAPHS)
    for snippet in CHROME_SNIPPETS:
        assert snippet not in text, snippet


def test_trafilatura_html_extraction() -> None:
    trafilatura_or_skip()
    title, text = extract_html(PAGE, engine="trafilatura")
    assert title == PAGE_TITLE
    for paragraph in PAGE_PARAGRAPHS:
        assert paragraph in text
    for snippet in CHROME_SNIPPETS:
        assert snippet not in text, snippet
    assert not text.startswith(PAGE_TITLE)


def test_auto_engine_uses_builtin_without_trafilatura(no_trafilatura: None) -> None:
    assert extract_html(PAGE) == extract_html(PAGE, engine="builtin")


def test_trafilatura_engine_missing_raises_import_error_with_install_hint(
    no_trafilatura: None, tmp_path: Path
) -> None:
    with pytest.raises(ImportError, match=r'pip install "dupdetect\[html\]"'):
        extract_html(PAGE, engine="trafilatura")
    with pytest.raises(ImportError, match=r'pip install "dupdetect\[html\]"'):
        iter_inputs(tmp_path, html_engine="trafilatura")


def test_extract_html_rejects_bytes_and_unknown_engine() -> None:
    with pytest.raises(TypeError, match="decode bytes first"):
        extract_html(PAGE.encode())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown html engine 'fast'"):
        extract_html(PAGE, engine="fast")


def test_builtin_picks_the_block_with_most_paragraph_text() -> None:
    html = f"""<html><head><title>عنوان الصفحة</title></head><body>
    <div class="top"><a href="/">الرئيسية</a> <a href="/x">أقسام</a></div>
    <div class="teaser"><p>فقرة قصيرة خارج المتن.</p></div>
    <div id="content">
      <h1>عنوان المقال</h1>
      <p>{AR1}</p><p>{AR2}<br>{AR3}</p>
      <div><p>{AR1} {AR2}</p></div>
    </div>
    </body></html>"""
    title, text = extract_html(html, engine="builtin")
    assert title == "عنوان الصفحة"
    assert text == "\n\n".join([AR1, AR2, AR3, f"{AR1} {AR2}"])


def test_builtin_title_falls_back_to_first_h1_and_handles_unclosed_tags() -> None:
    html = f"<body><article><h1> عنوان  <b>عاجل</b></h1><p>{AR1}<p>{AR2}<li>لا</article>"
    title, text = extract_html(html, engine="builtin")
    assert title == "عنوان عاجل"
    assert text == "\n\n".join([AR1, AR2, "لا"])


def test_builtin_drops_chrome_marked_by_class_id_role_and_hidden() -> None:
    html = f"""<body><article>
      <p>{AR1}</p>
      <div class="ad-slot">إعلان ممول</div>
      <div id="social_icons">تابعونا</div>
      <p class="newsletter-box">اشترك الآن</p>
      <div role="complementary">محتوى مكمل</div>
      <div hidden>نص مخفي</div>
      <span aria-hidden="true">أيقونة</span>
      <div style="display: none">غير ظاهر</div>
      <p>{AR2}</p>
      <div class="shadow readmore">{AR3}</div>
    </article></body>"""
    _, text = extract_html(html, engine="builtin")
    # "shadow"/"readmore" contain "ad"/"read" but are not chrome words.
    assert text == "\n\n".join([AR1, AR2, AR3])


def test_builtin_keeps_a_layout_wrapper_whose_class_merely_mentions_chrome() -> None:
    # "has-sidebar" / "nav-open" describe the layout; the wrapper holds the story.
    html = f"""<body><div class="page has-sidebar"><div id="wrap" class="nav-open">
      <p>{AR1}</p><p>{AR2}</p>
      <div class="sidebar"><p>{AR3}</p></div>
    </div></div></body>"""
    _, text = extract_html(html, engine="builtin")
    assert text == "\n\n".join([AR1, AR2])


def test_builtin_survives_pathological_nesting() -> None:
    html = "<div>" * 5000 + f"<p>{AR1}</p>" + "</span>" * 5000 + "<li>ب" * 1000
    _, text = extract_html(html, engine="builtin")
    assert text.startswith(AR1)
    assert text.count("ب") >= 1000


def test_builtin_drops_link_lists_but_keeps_inline_links() -> None:
    html = f"""<body><article>
      <p>{AR1} <a href="/x">رابط داخل الفقرة</a></p>
      <ul><li><a href="/1">اقرأ أيضا: خبر أول</a></li>
          <li><a href="/2">اقرأ أيضا: خبر ثان</a></li></ul>
      <ul><li>{AR2}</li><li>{AR3}</li></ul>
    </article></body>"""
    _, text = extract_html(html, engine="builtin")
    assert text == "\n\n".join([f"{AR1} رابط داخل الفقرة", AR2, AR3])


def test_builtin_prefers_article_with_br_text_over_a_small_paragraph_elsewhere() -> None:
    html = f"""<body><div class="box"><p>عرض خاص لفترة محدودة</p></div>
      <article>{AR1}<br>{AR2}<br/>{AR3}</article></body>"""
    _, text = extract_html(html, engine="builtin")
    assert text == "\n\n".join([AR1, AR2, AR3])


def test_builtin_ignores_teaser_card_articles() -> None:
    html = f"""<body>
      <article class="card"><p>عنوان مشوق أول</p></article>
      <article class="card"><p>عنوان مشوق ثان</p></article>
      <div class="story-body"><p>{AR1}</p><p>{AR2}</p><p>{AR3}</p></div>
    </body>"""
    _, text = extract_html(html, engine="builtin")
    assert text == "\n\n".join([AR1, AR2, AR3])


def test_html_files_through_iter_inputs(tmp_path: Path, no_trafilatura: None) -> None:
    page = write(tmp_path / "page.html", PAGE)
    legacy = write(
        tmp_path / "legacy.htm",
        f"<html><head><title>قديم</title></head><body><p>{AR2}</p></body></html>".encode("cp1256"),
    )
    results = read_all([page, legacy])
    assert results == [
        Article(
            id=str(page), text="\n\n".join(PAGE_PARAGRAPHS), title=PAGE_TITLE, source=str(page)
        ),
        Article(id=str(legacy), text=AR2, title="قديم", source=str(legacy)),
    ]


def test_html_max_chars_applies_to_extracted_text(tmp_path: Path, no_trafilatura: None) -> None:
    page = write(tmp_path / "page.html", PAGE)
    longest = len("\n\n".join(PAGE_PARAGRAPHS))
    assert isinstance(read_all(page, max_chars=longest)[0], Article)
    err = only_error(read_all(page, max_chars=longest - 1))
    assert f"over max_chars={longest - 1:,}" in err.message


@pytest.mark.skipif(sys.platform == "win32", reason="posix paths in ids")
def test_results_are_deterministic_across_calls(tmp_path: Path) -> None:
    make_tree(tmp_path / "root")
    assert read_all(tmp_path) == read_all(tmp_path)
