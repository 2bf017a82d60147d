"""dupdetect.io.paths: the paths argument, folders, globs, ids, the order of results."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

import dupdetect
from dupdetect.io import (
    SKIPPED_SUFFIXES,
    SUPPORTED_SUFFIXES,
    Article,
    iter_inputs,
    read_article,
)

sys.path.insert(0, str(Path(__file__).parent))
from io_helpers import (  # noqa: E402
    AR1,
    AR2,
    AR3,
    articles,
    as_error,
    errors,
    ids,
    no_blocking,
    one_article,
    only_error,
    read_all,
    write,
)

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
    assert [e.input for e in errors(results)] == [str(root / "c" / "notes.md")]
    assert as_error(results[5]).message.startswith("unsupported file type (suffix '.md')")
    assert [a.id for a in articles(results)] == [
        str(root / "a" / "z.txt"),
        str(root / "a.txt"),
        str(root / "a0.txt"),
        str(root / "b.txt"),
        "deep-1",
    ]
    assert articles(results)[-1].source is None  # the record names no outlet


def test_ids_do_not_depend_on_how_a_path_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "feed"
    names = [f"a{i}.txt" for i in range(6)] + ["page.txt", "recs.jsonl", "feed.csv"]
    for i, name in enumerate(names[:7]):
        write(root / name, f"{AR1} {i}")
    write(
        root / "recs.jsonl", json.dumps({"text": AR2}) + "\n" + json.dumps({"id": "r", "text": AR3})
    )
    write(root / "feed.csv", f"text\n{AR3}\n")
    (tmp_path / "alias").symlink_to(root)
    monkeypatch.chdir(root)
    spellings: dict[str, object] = {
        "absolute folder": str(root),
        "relative folder": ".",
        "folder with a trailing slash": "../feed/",
        "glob": "*",
        "recursive glob": str(tmp_path / "feed" / "**" / "*.*"),
        "relative files": names,
        "absolute files": [str(root / n) for n in names],
        "through a symlinked folder": str(tmp_path / "alias"),
    }
    want = sorted(
        [str(root / n) for n in names[:7]]
        + [f"{root / 'recs.jsonl'}#0", "r", f"{root / 'feed.csv'}#0"]
    )
    for how, paths in spellings.items():
        results = read_all(paths)
        assert errors(results) == [], how
        assert sorted(a.id for a in articles(results)) == want, how


def test_folder_without_supported_files_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "readme.md", "x")
    write(tmp_path / "docs" / ".secret.txt", "x")
    (tmp_path / "void").mkdir()
    results = read_all([tmp_path / "docs", tmp_path / "void"])
    assert [e.input for e in errors(results)] == [
        str(tmp_path / "docs" / "readme.md"),  # listed: it is not read
        str(tmp_path / "docs"),
        str(tmp_path / "void"),
    ]
    assert as_error(results[1]).message.startswith("folder has no files with a supported suffix")
    assert len(results) == 3


def test_glob_sorted_and_hidden_not_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "root")
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "root"
    assert ids(read_all("root/*.txt")) == [str(root / n) for n in ("a.txt", "a0.txt", "b.txt")]
    assert ids(read_all("root/**/*.txt")) == [
        str(root / "a" / "z.txt"),
        str(root / "a.txt"),
        str(root / "a0.txt"),
        str(root / "b.txt"),
    ]
    assert ids(read_all("root/a?.txt")) == [str(root / "a0.txt")]
    assert ids(read_all("root/[ab].txt")) == [str(root / "a.txt"), str(root / "b.txt")]


def test_glob_matching_nothing_is_a_read_error(tmp_path: Path) -> None:
    pattern = str(tmp_path / "*.jsonl")
    err = only_error(read_all(pattern))
    assert err.input == pattern
    assert err.message.startswith("glob pattern matched nothing")


def test_glob_matching_only_unsupported_files_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "x")
    write(tmp_path / "b.md", "x")
    pattern = str(tmp_path / "*")
    results = read_all(pattern)
    assert [e.input for e in errors(results)] == [
        str(tmp_path / "a.md"),
        str(tmp_path / "b.md"),
        pattern,
    ]
    assert as_error(results[0]).message.startswith("unsupported file type (suffix '.md')")
    assert as_error(results[2]).message.startswith("glob pattern matched 2 path(s) but no file")
    assert len(results) == 3


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


@pytest.mark.skipif(sys.platform == "win32", reason="posix paths in ids")
def test_results_are_deterministic_across_calls(tmp_path: Path) -> None:
    make_tree(tmp_path / "root")
    assert read_all(tmp_path) == read_all(tmp_path)


# --------------------------------------------------------------------------- what a walk meets


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="posix")
def test_every_path_met_in_a_folder_is_read_or_listed(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    ok = write(root / "ok.txt", AR1)
    os.mkfifo(root / "pipe.txt")
    os.mkfifo(root / "pipe")
    (root / "zero.txt").symlink_to("/dev/zero")
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    write(tmp_path / "elsewhere" / "x.txt", AR2)
    (root / "linked").symlink_to(tmp_path / "elsewhere")
    write(root / "notes.md", AR3)
    write(root / "photo.jpg", b"\xff\xd8\xff\xe0 not read")
    write(root / "site.css", "body {}")
    write(root / ".cache", "x")
    with no_blocking():
        results = read_all(root)
    assert [a.id for a in articles(results)] == [str(ok)]
    got = {Path(e.input).name: e.message for e in errors(results)}
    assert sorted(got) == ["dangling.txt", "linked", "notes.md", "pipe", "pipe.txt", "zero.txt"]
    fifo = (
        "a FIFO (named pipe), not a regular file: only regular files are read (pipes and "
        "devices are never opened); leave it out"
    )
    assert got["pipe.txt"] == fifo and got["pipe"] == fifo  # the kind counts, not the suffix
    assert got["zero.txt"].startswith(
        "a symlink to a character device ('/dev/zero'), not a regular file: "
    )
    assert got["dangling.txt"].startswith("a broken symlink (to ")
    assert got["linked"].startswith("a symlink to a folder (")
    assert "not followed" in got["linked"]
    assert got["notes.md"].startswith("unsupported file type (suffix '.md')")
    with no_blocking():
        by_glob = read_all(str(root / "*"))
    # a glob names its matches, so a symlinked folder it matches is read
    assert [a.text for a in articles(by_glob)] == [AR2, AR1]
    assert sorted(Path(e.input).name for e in errors(by_glob)) == [
        "dangling.txt",
        "notes.md",
        "pipe",
        "pipe.txt",
        "zero.txt",
    ]


def test_web_page_assets_are_skipped_silently_only_inside_folders(tmp_path: Path) -> None:
    page = write(tmp_path / "saved" / "page.txt", AR1)
    for suffix in SKIPPED_SUFFIXES:
        write(tmp_path / "saved" / f"asset{suffix.upper()}", b"\x00\x01")
    assert read_all(tmp_path / "saved") == [Article(id=str(page), text=AR1)]
    named = read_all(tmp_path / "saved" / "asset.PNG")
    assert only_error(named).message.startswith("unsupported file type (suffix '.png')")
    assert {".jpg", ".png", ".css", ".js", ".svg", ".woff2"} <= set(SKIPPED_SUFFIXES)
    assert not set(SKIPPED_SUFFIXES) & set(SUPPORTED_SUFFIXES)


def test_cluster_ids_of_the_sample_do_not_depend_on_how_it_was_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "sample"
    shutil.copytree(dupdetect.sample_dir(), copy)
    monkeypatch.chdir(copy)
    runs = [
        dupdetect.cluster(paths, progress=False).to_records()
        for paths in (str(copy), ".", "*.txt", sorted(os.listdir(".")))
    ]
    assert len(runs[0]) == 9
    for records in runs:
        assert [(r["id"], r["cluster"]) for r in records] == [
            (r["id"], r["cluster"]) for r in runs[0]
        ]


# --------------------------------------------------------------------------- read_article


def test_read_article_gives_what_iter_inputs_gives_for_one_input(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    page = (Path(__file__).parent / "fixtures" / "io" / "meta_page.html").read_bytes()
    inputs = [
        write(tmp_path / "a.txt", f"{AR1}\r\n{AR2}".encode("cp1256")),
        write(tmp_path / "page.html", page),
        write(tmp_path / "one.json", json.dumps({"id": "j1", "text": AR1, "outlet": "وكالة"})),
        write(tmp_path / "one.jsonl", "\n" + json.dumps({"text": AR2}) + "\n\n"),
        write(tmp_path / "one.csv", f"title,text,date\nعنوان,{AR3},2024-03-12\n"),
    ]
    for path in inputs:
        assert read_article(path) == one_article(read_all(path)), path
    html = read_article(str(inputs[1]))
    assert html.id == str(inputs[1]) and html.published == "2024-03-12T08:30:00+03:00"
    assert "<" not in html.text and html.text.startswith("أعلنت البلدية")
    assert read_article(inputs[3]).id == f"{inputs[3]}#0"
    assert read_article(inputs[2]).source == "وكالة"


def test_read_article_of_a_relative_path_has_the_resolved_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "d" / "a.txt", AR1)
    monkeypatch.chdir(tmp_path / "d")
    assert read_article("a.txt") == Article(id=str(path), text=AR1)
    assert read_article(tmp_path / "d") == Article(id=str(path), text=AR1)  # one file in it


@pytest.mark.parametrize(
    ("content", "name", "pattern"),
    [
        (None, "missing.txt", r"cannot read an article from '.*missing\.txt': no such file"),
        (b"\x00\x01\x02", "bin.txt", r"cannot read an article from '.*bin\.txt': looks binary"),
        ("x", "notes.md", r"unsupported file type \(suffix '\.md'\)"),
        ("[]", "none.json", "JSON file contains no records"),
        (
            json.dumps([{"text": AR1}, {"text": AR2}]),
            "two.json",
            r"'.*two\.json' holds more than one article .*name one file, or use iter_inputs\(\)",
        ),
        (
            json.dumps({"text": AR1}) + "\n{broken\n",
            "half.jsonl",
            r"gives one article but also 1 error\(s\): .*half\.jsonl:2: invalid JSON",
        ),
    ],
)
def test_read_article_raises_value_error_naming_the_path_and_the_fix(
    tmp_path: Path, content: str | bytes | None, name: str, pattern: str
) -> None:
    path = tmp_path / name
    if content is not None:
        write(path, content)
    with pytest.raises(ValueError, match=pattern):
        read_article(path)


def test_read_article_of_a_folder_or_glob_with_several_files_raises(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", AR1)
    write(tmp_path / "b.txt", AR2)
    for path in (tmp_path, str(tmp_path / "*.txt")):
        with pytest.raises(ValueError, match="holds more than one article"):
            read_article(path)


def test_read_article_html_without_trafilatura_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    page = write(tmp_path / "a.html", "<p>نص</p>")
    with pytest.raises(ValueError, match=r'reading HTML needs trafilatura.*pip install "dupdetect'):
        read_article(page)


def test_read_article_needs_one_path() -> None:
    with pytest.raises(TypeError, match=r"read_article\(\) reads one path .*got list"):
        read_article(["a.txt", "b.txt"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown html engine"):
        read_article("a.txt", html_engine="lxml")


def test_readme_bad_input_names_exactly_the_suffixes_skipped_silently() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bad input\n", 1)[1].split("\n## ", 1)[0]
    listed = re.search(r"a saved page's assets\s+`([^`]*)`", section)
    assert listed is not None, "README's Bad input section must list the skipped suffixes"
    assert tuple(listed.group(1).split()) == SKIPPED_SUFFIXES
