"""Story provenance: first report, spread, outlets, and copy / rewrite / same event.

Fixtures (tests/fixtures/provenance, written for these tests): a wire item, a paper republishing
it a day later under a new headline (a copy), a paper rewriting it (a rewrite), a report of the
same event from another angle two days later, an unrelated item and an English pair.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import dupdetect
from dupdetect import provenance as prov
from dupdetect.result import RECORD_FIELDS

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "provenance"
EVAL = ROOT.parent / "shared" / "eval"

WIRE, COPY, REWRITE = (
    "w1_wire_desalination",
    "w2_watan_desalination_copy",
    "w3_sahil_desalination_rewrite",
)
EVENT = "w4_bahr_desalination_brine"
DAY = 86400.0


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))}


@pytest.fixture(scope="module")
def meta() -> dict[str, dict[str, str]]:
    return json.loads((FIXTURES / "meta.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dated(texts, meta) -> dupdetect.Clustering:
    return dupdetect.cluster_texts(
        texts,
        published={k: v["published"] for k, v in meta.items()},
        sources={k: v["outlet"] for k, v in meta.items()},
    )


def test_wire_story_first_report_relations_outlets(dated, meta):
    story = dated.cluster_of(WIRE)
    assert sorted(story.ids) == [WIRE, COPY, REWRITE]  # the other-angle report stays apart
    p = dated.provenance(story)
    assert p.first == WIRE and p.basis == "published"
    assert p.order == [WIRE, COPY, REWRITE]
    assert p.outlets == (("وكالة الأنباء", 1), ("الوطن اليومية", 1), ("أخبار الساحل", 1))
    # 2015-07-21 08:00 -> 2015-07-22 09:15
    assert p.spread == pytest.approx(DAY + 1.25 * 3600)
    first, copy, rewrite = p.links
    assert (first.relation, first.resembles, first.after) == ("first", None, 0.0)
    assert copy.relation == "copy" and copy.resembles == WIRE
    assert copy.similarity >= prov.COPY_MIN and copy.after == pytest.approx(22.5 * 3600)
    assert rewrite.relation == "rewrite" and rewrite.resembles in (WIRE, COPY)
    assert prov.REWRITE_MIN <= rewrite.similarity < prov.COPY_MIN
    # the score it names: the closest earlier member by dupdetect.similarity
    texts = dated.texts
    expected = max((WIRE, COPY), key=lambda k: dupdetect.similarity(texts[REWRITE], texts[k]))
    assert rewrite.resembles == expected
    assert rewrite.similarity == pytest.approx(
        dupdetect.similarity(texts[REWRITE], texts[expected]), abs=1e-5
    )


def test_cluster_accessors_without_texts(dated):
    story = dated.cluster_of(COPY)
    assert story.first.id == WIRE
    assert story.outlets == ("وكالة الأنباء", "الوطن اليومية", "أخبار الساحل")
    assert story.time_spread == pytest.approx(DAY + 1.25 * 3600)
    assert dated.cluster_of("x1_sports_marathon").time_spread == 0.0  # one dated member
    p = prov.provenance(story)  # no texts: the order and outlets, no relations
    assert p.first == WIRE and [link.relation for link in p.links] == ["first", None, None]


def test_records_frame_and_json_carry_provenance(dated):
    recs = {r["id"]: r for r in dated.to_records()}
    assert list(recs[WIRE]) == RECORD_FIELDS
    assert (recs[WIRE]["first"], recs[WIRE]["relation"], recs[WIRE]["resembles"]) == (
        True,
        "first",
        None,
    )
    assert (recs[COPY]["first"], recs[COPY]["relation"], recs[COPY]["resembles"]) == (
        False,
        "copy",
        WIRE,
    )
    assert recs[REWRITE]["relation"] == "rewrite"
    alone = recs["x1_sports_marathon"]
    assert alone["size"] == 1 and alone["first"] is True and alone["relation"] is None
    pytest.importorskip("pandas")
    df = dated.to_dataframe()
    assert list(df.columns) == RECORD_FIELDS
    assert df.set_index("id").loc[COPY, "relation"] == "copy"


def test_input_order_when_no_dates(texts):
    order = [REWRITE, WIRE, COPY]
    r = dupdetect.cluster_texts({k: texts[k] for k in order})
    p = r.provenance(r.cluster_of(WIRE))
    assert p.basis == "input order" and p.first == REWRITE and p.order == order
    assert p.spread is None and p.outlets == ()
    assert p.link(WIRE).relation == "rewrite" and p.link(WIRE).resembles == REWRITE
    assert p.link(COPY).relation == "copy" and p.link(COPY).resembles == WIRE


def test_mixed_dates_put_dated_members_first(texts):
    keys = [WIRE, COPY, REWRITE]
    r = dupdetect.cluster_texts(
        {k: texts[k] for k in keys}, published={REWRITE: "2015-07-22T09:15:00Z"}
    )
    p = r.provenance(r.cluster_of(WIRE))
    assert p.basis == "mixed" and p.order == [REWRITE, WIRE, COPY]
    assert p.link(REWRITE).after == 0.0 and p.link(WIRE).after is None


def test_same_event_when_grouped_loosely(texts, meta):
    keys = [WIRE, COPY, REWRITE, EVENT]
    r = dupdetect.cluster_texts(
        {k: texts[k] for k in keys},
        published={k: meta[k]["published"] for k in keys},
        threshold=0.15,
        candidate_threshold=0.02,
    )
    p = r.provenance(r.cluster_of(EVENT))
    assert p.order == keys
    link = p.link(EVENT)
    assert link.relation == "same event" and link.similarity < prov.REWRITE_MIN
    assert link.resembles in (WIRE, COPY, REWRITE)


def test_relation_for_cuts():
    assert prov.relation_for(1.0) == "copy"
    assert prov.relation_for(prov.COPY_MIN) == "copy"
    assert prov.relation_for(prov.COPY_MIN - 1e-9) == "rewrite"
    assert prov.relation_for(prov.REWRITE_MIN) == "rewrite"
    assert prov.relation_for(prov.REWRITE_MIN - 1e-9) == "same event"
    assert prov.relation_for(0.0) == "same event"
    assert 0 < prov.REWRITE_MIN < prov.COPY_MIN < 1


def test_missing_text_gives_no_relation(dated):
    story = dated.cluster_of(WIRE)
    p = prov.provenance(story, {k: v for k, v in dated.texts.items() if k != COPY})
    assert p.link(COPY).relation is None and p.link(COPY).resembles is None
    assert p.link(REWRITE).resembles == WIRE  # compared with the members that have a text


def test_provenance_lookup_errors(dated):
    with pytest.raises(KeyError, match="no cluster"):
        dated.provenance("c-not-there")
    with pytest.raises(KeyError, match="not a member"):
        dated.provenance(dated.cluster_of(WIRE)).link("x1_sports_marathon")


def _measure_module():
    spec = importlib.util.spec_from_file_location(
        "measure_relations", ROOT / "benchmarks" / "measure_relations.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["measure_relations"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_best_cut_and_constant_rewrite(tmp_path):
    import numpy as np

    m = _measure_module()
    cut, acc = m.best_cut(np.array([0.8, 0.9, 0.95]), np.array([0.2, 0.3, 0.5]))
    assert 0.5 < cut <= 0.8 and acc == 1.0
    copy = tmp_path / "provenance.py"
    copy.write_text((ROOT / "dupdetect" / "provenance.py").read_text(encoding="utf-8"))
    m.PROVENANCE = copy
    m.write_constants({"COPY_MIN": (0.81, "note a"), "REWRITE_MIN": (0.3, "note b")})
    src = copy.read_text(encoding="utf-8")
    assert "\nCOPY_MIN = 0.81  # note a\n" in src and "\nREWRITE_MIN = 0.30  # note b\n" in src


@pytest.mark.slow
def test_constants_match_the_measurement(capsys):
    """The cuts in provenance.py are what benchmarks/measure_relations.py measures now; after a
    change to the score, run ``python benchmarks/measure_relations.py --write``."""
    if not (EVAL / "semeval2022_ar_dev.jsonl").is_file() or not list(
        (EVAL / "saudinewsnet").glob("*.zip")
    ):
        pytest.skip("../shared/eval (SemEval, SaudiNewsNet) is absent (it is present in CI)")
    m = _measure_module()
    assert m.main([]) == 0
    out = capsys.readouterr().out
    measured = {
        line.split()[0]: float(line.split()[2])
        for line in out.splitlines()
        if line.startswith(("COPY_MIN =", "REWRITE_MIN ="))
    }
    assert measured == {"COPY_MIN": prov.COPY_MIN, "REWRITE_MIN": prov.REWRITE_MIN}, (
        "re-measure: python benchmarks/measure_relations.py --write"
    )


def test_cli_json_and_csv_carry_provenance(tmp_path):
    import csv
    import os
    import subprocess

    files = [str(p) for p in sorted(FIXTURES.glob("w*.txt"))]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(fmt: str) -> str:
        out = tmp_path / f"out.{fmt}"
        cmd = [
            sys.executable,
            "-m",
            "dupdetect",
            "cluster",
            *files,
            "--format",
            fmt,
            "-o",
            str(out),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return out.read_text(encoding="utf-8")

    rows = list(csv.DictReader(run("csv").splitlines()))
    assert list(rows[0]) == RECORD_FIELDS
    by = {Path(r["id"]).stem: r for r in rows}
    assert by[COPY]["relation"] == "copy" and Path(by[COPY]["resembles"]).stem == WIRE
    records = {Path(r["id"]).stem: r for r in json.loads(run("json"))["records"]}
    assert records[WIRE]["first"] is True and records[REWRITE]["relation"] == "rewrite"
