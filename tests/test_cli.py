from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import dupdetect
from dupdetect.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dupdetect", *args], capture_output=True, text=True
    )


def test_sample_command() -> None:
    p = run("sample")
    assert p.returncode == 0
    assert "9 documents" in p.stdout and "size=3" in p.stdout


def test_cluster_json_and_csv(tmp_path: Path, capsys) -> None:
    assert main(["cluster", dupdetect.sample_dir(), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["records"]) == 9 and doc["errors"] == []
    assert {"id", "cluster", "score"} <= set(doc["records"][0])
    out = tmp_path / "out.csv"
    assert main(["cluster", dupdetect.sample_dir(), "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 9 and rows[0].keys() >= {"id", "cluster", "score"}


def test_threshold_option_changes_result(capsys) -> None:
    main(["cluster", dupdetect.sample_dir(), "--format", "json", "--threshold", "0.95"])
    doc = json.loads(capsys.readouterr().out)
    assert all(c["size"] == 1 for c in doc["clusters"])


def test_per_file_errors_are_printed_not_fatal(tmp_path: Path) -> None:
    p = run("cluster", dupdetect.sample_dir(), str(tmp_path / "nope.txt"))
    assert p.returncode == 0
    assert "nope.txt" in p.stderr and "9 documents" in p.stdout


def test_window_option(tmp_path: Path, capsys) -> None:
    feed = tmp_path / "feed.jsonl"
    text = (Path(dupdetect.sample_dir()) / "a2_wataniya_hospital.txt").read_text("utf-8")
    rows = [
        {"id": "x", "text": text, "date": "2024-03-12"},
        {"id": "y", "text": text, "date": "2024-03-20"},
    ]
    feed.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    main(["cluster", str(feed), "--format", "json"])
    assert len(json.loads(capsys.readouterr().out)["clusters"]) == 1
    main(["cluster", str(feed), "--format", "json", "--window", "3d"])
    assert len(json.loads(capsys.readouterr().out)["clusters"]) == 2


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["cluster"],
        ["cluster", "x", "--threshold", "2"],
        ["cluster", "x", "--format", "xml"],
        ["frobnicate"],
        ["cluster", "x", "--window", "soon"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    p = run(*args)
    assert p.returncode == 2
    assert "usage" in p.stderr


def test_explain_command(stories) -> None:
    root = Path(__file__).parent / "fixtures" / "stories"
    p = run(
        "explain", str(root / "j1_wire_port_strike.txt"), str(root / "j2_dailynews_port_strike.txt")
    )
    assert p.returncode == 0 and "similarity" in p.stdout and "shared passages" in p.stdout
    p = run("explain", str(root / "nope.txt"), str(root / "j1_wire_port_strike.txt"))
    assert p.returncode == 2 and "cannot read" in p.stderr


def test_console_script_entry_point_declared() -> None:
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dupdetect = "dupdetect.cli:main"' in text


def test_spark_subcommand_reaches_the_spark_parser() -> None:
    p = run("spark", "--help")
    assert p.returncode == 0 and "--master" in p.stdout


# ------------------------------------------------------------------ exit codes and edges
def test_no_usable_input_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (str(tmp_path / "missing"), str(empty)):
        p = run("cluster", target)
        assert p.returncode == 1, (target, p.stderr)
        assert "no input could be used" in p.stderr
    p = run("cluster", dupdetect.sample_dir(), str(tmp_path / "missing"))
    assert p.returncode == 0  # some inputs were used


def test_unwritable_output_fails_before_any_work(tmp_path: Path, monkeypatch, capsys) -> None:
    import dupdetect.cli as cli

    def boom(*a, **k):  # the job must not even start
        raise AssertionError("cluster() ran before the output was checked")

    monkeypatch.setattr(cli, "cluster", boom)
    for bad in (str(tmp_path / "no" / "such" / "out.csv"), str(tmp_path)):
        assert main(["cluster", dupdetect.sample_dir(), "-o", bad]) == 2
        assert "cannot write --output" in capsys.readouterr().err


def test_output_replaces_the_old_file_only_when_done(tmp_path: Path) -> None:
    out = tmp_path / "stories.csv"
    out.write_text("old", encoding="utf-8")
    assert main(["cluster", dupdetect.sample_dir(), "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("id,cluster,score")
    assert [p.name for p in tmp_path.iterdir()] == ["stories.csv"]  # no temp file left


def test_closed_pipe_is_quiet() -> None:
    cmd = f"'{sys.executable}' -m dupdetect sample --all | head -n 1"
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert p.stdout.startswith("9 documents")
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr


def test_mistyped_option_gets_a_suggestion() -> None:
    p = run("cluster", "x", "--treshold", "0.3")
    assert p.returncode == 2 and "did you mean: --treshold -> --threshold" in p.stderr
    p = run("clustr", "x")
    assert p.returncode == 2 and "clustr -> cluster" in p.stderr


def test_table_shows_flags_and_relative_paths(tmp_path: Path, capsys) -> None:
    import shutil

    for f in Path(dupdetect.sample_dir()).glob("*.txt"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "empty.txt").write_text("خبر", encoding="utf-8")
    assert main(["cluster", str(tmp_path.resolve()), "--all"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "empty.txt" in x)
    assert "too short to compare" in line and "1.000" not in line
    assert str(tmp_path) not in out  # paths shown relative to the folder they share
    assert "* the representative" in out


def test_min_size_top_and_bom(tmp_path: Path, capsys) -> None:
    assert main(["sample", "--format", "json", "--min-size", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["size"] for c in doc["clusters"]] == [3]
    assert main(["sample", "--format", "json", "--top", "2"]) == 0
    assert len(json.loads(capsys.readouterr().out)["clusters"]) == 2
    out = tmp_path / "s.csv"
    assert main(["sample", "--format", "csv", "--bom", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,cluster")
    assert main(["sample", "--all"]) == 0  # the hint the table prints works for `sample` too


def test_fields_and_candidate_threshold_options(tmp_path: Path, capsys) -> None:
    feed = tmp_path / "feed.jsonl"
    text = (Path(dupdetect.sample_dir()) / "a2_wataniya_hospital.txt").read_text("utf-8")
    feed.write_text(
        "\n".join(json.dumps({"uid": u, "story": text}) for u in ("x", "y")), encoding="utf-8"
    )
    args = ["cluster", str(feed), "--format", "json", "--fields", "id=uid,text=body|story"]
    assert main([*args, "--candidate-threshold", "0.3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(r["id"] for r in doc["records"]) == ["x", "y"] and len(doc["clusters"]) == 1
    assert run("cluster", str(feed), "--fields", "nonsense").returncode == 2


def test_explain_reads_pages_as_cluster_does(tmp_path: Path, capsys) -> None:
    """explain used to compare raw markup (<!DOCTYPE html> as a shared passage)."""
    pytest.importorskip("trafilatura", reason='HTML needs pip install "dupdetect[html]"')
    root = Path(__file__).parent / "fixtures" / "io"
    a, b = root / "meta_page.html", root / "jsonld_page.html"
    assert main(["explain", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "DOCTYPE" not in out and "<" not in out
    from dupdetect.io import read_article

    want = dupdetect.similarity(read_article(str(a)).body, read_article(str(b)).body)
    assert f"similarity {want:.3f}" in out


def test_output_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    import os
    import stat

    out = tmp_path / "s.csv"
    old = os.umask(0o022)
    try:
        assert main(["sample", "--format", "csv", "-o", str(out)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not the temp file's 0600


def _undecodable_names(tmp_path: Path) -> Path:
    """A folder holding a story told twice, one file named in Latin-1 (not UTF-8) bytes, the
    name sorting first so that it names the cluster; skips where the file system refuses it."""
    import os

    story = "وزير الخارجية يلتقي نظيره في العاصمة لبحث العلاقات الثنائية والتعاون الاقتصادي " * 3
    folder = tmp_path / "names"
    folder.mkdir()
    try:
        with open(os.fsencode(folder) + b"/a\xe9t\xe9.txt", "w", encoding="utf-8") as f:
            f.write(story)
    except OSError as e:  # e.g. a file system that only takes UTF-8 names
        pytest.skip(f"cannot create a file with a non-UTF-8 name here: {e}")
    (folder / "b.txt").write_text(story + " خبر", encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_file_names_that_are_not_utf8_are_written_out(tmp_path: Path, fmt: str) -> None:
    """Such a name reaches Python with surrogate escapes; clustering it and writing every
    output format used to raise UnicodeEncodeError (cluster ids, the output file)."""
    import os

    folder = _undecodable_names(tmp_path)
    out = tmp_path / f"out.{fmt}"
    assert main(["cluster", str(folder), "--format", fmt, "-o", str(out)]) == 0
    raw = out.read_bytes()
    name = os.fsencode(folder) + b"/a\xe9t\xe9.txt"
    if fmt == "json":  # valid UTF-8, the name escaped; read back, it is the same file name
        doc = json.loads(raw.decode("utf-8"))
        ids = {r["id"] for r in doc["records"]}
        assert os.fsdecode(name) in ids and len(doc["clusters"]) == 1
    else:  # the name's own bytes, as ls shows them (the table shows base names)
        assert (name if fmt == "csv" else b"a\xe9t\xe9.txt") in raw
    page = tmp_path / "page.html"
    assert main(["report", str(folder), "-o", str(page)]) == 0
    assert b"b.txt" in page.read_bytes()


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_file_names_that_are_not_utf8_are_printed(tmp_path: Path, fmt: str, capfdbinary) -> None:
    import os

    folder = _undecodable_names(tmp_path)
    assert main(["cluster", str(folder), "--format", fmt]) == 0
    printed = capfdbinary.readouterr().out
    name = os.fsencode(folder) + b"/a\xe9t\xe9.txt"
    if fmt == "json":
        ids = {r["id"] for r in json.loads(printed.decode("utf-8"))["records"]}
        assert os.fsdecode(name) in ids
    else:
        assert b"a\xe9t\xe9.txt" in printed and b"b.txt" in printed
