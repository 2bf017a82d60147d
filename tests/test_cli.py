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
