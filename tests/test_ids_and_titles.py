"""``file_id`` is ``os.path.realpath``, however the file is named, with its folders resolved
once per reading run; ``_title_of`` is the first non-blank line as ``str.splitlines`` sees it."""

from __future__ import annotations

import os

import pytest

from dupdetect.io.files import file_id, forget_folders


@pytest.fixture
def tree(tmp_path, monkeypatch):
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.txt").write_text("x", encoding="utf-8")
    (real / "b.txt").write_text("y", encoding="utf-8")
    os.symlink(real, tmp_path / "linked")  # a symlinked folder
    os.symlink(real / "b.txt", real / "sub" / "to_b.txt")  # a symlinked file
    os.symlink(real / "sub", real / "sublink")
    os.symlink(real / "sub", tmp_path / "deep")
    (tmp_path / "b.txt").write_text("w", encoding="utf-8")  # where "deep/.." would be lexically
    monkeypatch.chdir(real / "sub")
    forget_folders()
    return tmp_path


NAMES = [
    "a.txt",
    "./a.txt",
    "../sub/a.txt",
    "{t}/linked/sub/a.txt",
    "{t}/linked/sublink/../b.txt",
    "{t}/deep/../b.txt",  # ".." after a symlink: real/b.txt, not the b.txt beside "deep"
    "{t}/real/sub/to_b.txt",
    "to_b.txt",
    "missing.txt",
    "{t}/linked/nowhere/missing.txt",
    "{t}/linked/sub/",
    "{t}/linked/sub/.",
    "{t}/linked/sub/..",
]


@pytest.mark.parametrize("name", NAMES)
def test_file_id_is_realpath(tree, name):
    path = name.format(t=tree)
    assert file_id(path) == os.path.realpath(path)
    assert file_id(path) == os.path.realpath(path)  # the cached answer too


def test_a_folder_pointed_elsewhere_is_resolved_again_in_the_next_run(tree):
    (tree / "other").mkdir()
    (tree / "other" / "a.txt").write_text("z", encoding="utf-8")
    path = str(tree / "current" / "a.txt")
    os.symlink(tree / "real" / "sub", tree / "current")
    assert file_id(path) == str(tree / "real" / "sub" / "a.txt")
    os.remove(tree / "current")
    os.symlink(tree / "other", tree / "current")
    forget_folders()  # what each reading run does first
    assert file_id(path) == str(tree / "other" / "a.txt")


def test_title_is_the_first_non_blank_line_as_splitlines_gives_it():
    import random

    from dupdetect.pipeline import _title_of

    def by_splitlines(text: str) -> str:
        return next((ln.strip()[:200] for ln in text.splitlines() if ln.strip()), "")

    parts = ["", " ", "\t", "عنوان", "title x", "\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d"]
    parts += ["\x1e", "\x85", "\u2028", "\u2029", "\xa0", "a" * 250, "\u200f"]
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice(parts) for _ in range(rng.randrange(8)))
        assert _title_of(text) == by_splitlines(text), repr(text)
