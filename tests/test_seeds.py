"""The three real seed reports in ../shared/seeds (skipped when absent; CI has them)."""

from __future__ import annotations

import json
import subprocess
import sys

import dupdetect


def _cluster_of(records, key: str) -> str:
    return next(r["cluster"] for r in records if key in str(r["id"]))


def test_seed_grouping_through_cluster(seeds) -> None:
    r = dupdetect.cluster(str(seeds["000"].parent))
    recs = r.to_records()
    assert len(recs) == 3 and r.errors == []
    assert _cluster_of(recs, "000_") == _cluster_of(recs, "003_")
    assert _cluster_of(recs, "001_") != _cluster_of(recs, "000_")


def test_seed_similarity_order(seeds) -> None:
    t = {k: p.read_text(encoding="utf-8") for k, p in seeds.items()}
    same = dupdetect.similarity(t["000"], t["003"])
    assert same > dupdetect.similarity(t["000"], t["001"])
    assert same > dupdetect.similarity(t["003"], t["001"])


def test_seed_grouping_through_cli(seeds) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dupdetect",
            "cluster",
            *map(str, seeds.values()),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    recs = json.loads(out.stdout)["records"]
    assert _cluster_of(recs, "000_") == _cluster_of(recs, "003_")
    assert _cluster_of(recs, "001_") != _cluster_of(recs, "000_")
