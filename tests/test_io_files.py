"""dupdetect.io.files through iter_inputs: one file's bytes and text, limits, unreadable files."""

from __future__ import annotations

import builtins
import json
import os
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
    articles,
    as_article,
    as_error,
    errors,
    no_blocking,
    one_article,
    only_error,
    read_all,
    write,
)

# --------------------------------------------------------------------------- single files


def test_empty_and_whitespace_files_are_articles_not_errors(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", b"")
    blank = write(tmp_path / "blank.txt", b"  \n\t\n")
    results = read_all([empty, blank])
    assert [(r.id, r.text) for r in articles(results)] == [
        (str(empty), ""),
        (str(blank), "  \n\t\n"),
    ]
    assert errors(results) == []


def test_binary_file_is_a_read_error_and_the_batch_goes_on(tmp_path: Path) -> None:
    png = write(tmp_path / "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64)
    good = write(tmp_path / "good.txt", AR1)
    results = read_all([png, good])
    assert isinstance(results[0], ReadError)
    assert as_error(results[0]).input == str(png)
    assert "binary" in as_error(results[0]).message and "remove it" in as_error(results[0]).message
    assert results[1] == Article(id=str(good), text=AR1)


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
    real_open = builtins.open

    def spy_open(file: str, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", spy_open)
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

    monkeypatch.setattr(builtins, "open", deny)
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
    with no_blocking():
        err = only_error(read_all(fifo))
    assert err == ReadError(
        str(fifo),
        "a FIFO (named pipe), not a regular file: only regular files are read (pipes and "
        "devices are never opened); leave it out",
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_symlink_to_a_device_and_broken_symlink_named_explicitly(tmp_path: Path) -> None:
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "gone.txt")
    with no_blocking():
        results = read_all([zero, dangling])
    assert [as_error(r).input for r in results] == [str(zero), str(dangling)]
    assert as_error(results[0]).message.startswith(
        "a symlink to a character device ('/dev/zero'), not a regular file: "
    )
    assert as_error(results[1]).message == (
        f"a broken symlink (to {str(tmp_path / 'gone.txt')!r}, which does not exist), not a "
        "regular file; fix or remove the link"
    )


def test_a_file_larger_than_its_stat_said_is_read_whole_or_refused(tmp_path, monkeypatch):
    """read_all asks for the stat's size (not max_bytes): a file that grew after the stat is
    still read to the end, and one that grew past max_bytes is still refused."""
    import dupdetect.io.files as files

    path = tmp_path / "grown.txt"
    path.write_bytes(b"x" * 1000)
    real = os.fstat

    def stale(fd):  # the stat of a file that then grew
        st = real(fd)
        return os.stat_result(
            (
                st.st_mode,
                st.st_ino,
                st.st_dev,
                st.st_nlink,
                st.st_uid,
                st.st_gid,
                10,
                st.st_atime,
                st.st_mtime,
                st.st_ctime,
            )
        )

    monkeypatch.setattr(os, "fstat", stale)
    assert files.read_all(str(path), 10_000) == b"x" * 1000
    assert files.read_all(str(path), None) == b"x" * 1000
    refused = files.read_all(str(path), 500)
    assert isinstance(refused, files.ReadError) and "over max_bytes=500" in refused.message
