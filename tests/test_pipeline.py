from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dupdetect
from dupdetect import Settings, cluster, cluster_texts

STORY_A = (
    "افتتحت بلدية الساحل الحديقة العامة الجديدة على الواجهة البحرية بمساحة 12 هكتارا وتضم ممرات "
    "للمشاة ومضمارا للدراجات وملاعب للاطفال"
)


def _groups(result) -> set[frozenset[str]]:
    return {frozenset(Path(str(i)).stem[:2] for i in c.ids) for c in result.clusters}


def test_builtin_sample_groups() -> None:
    r = cluster(dupdetect.sample_dir())
    groups = _groups(r)
    assert frozenset({"a1", "a2", "a3"}) in groups  # wire copy, near copy and rewrite
    assert frozenset({"c1"}) in groups  # same minister and city, other event: apart
    assert frozenset({"b1", "b2"}) in groups  # diacritics, tatweel, Arabic-Indic digits
    assert frozenset({"d1", "d2"}) in groups  # a rewrite pair (score ~0.35)
    assert frozenset({"e1"}) in groups
    assert len(groups) == 5
    assert r.errors == []
    assert len(r.to_records()) == 9


def test_known_fixture_clusters() -> None:
    r = cluster(str(Path(__file__).parent / "fixtures" / "stories"))
    groups = _groups(r)
    assert frozenset({"g1", "g2", "g3"}) in groups
    assert frozenset({"j1", "j2"}) in groups  # English wire copy
    by_member = {m: g for g in groups for m in g}
    assert {"f1", "f2"} <= by_member["f1"]
    assert {"h1", "h3"} <= by_member["h1"]
    assert by_member["i1"] == {"i1"}  # same people as f, other event
    for k in ("k1", "k2", "k3", "k4", "m1"):  # English stopwords do not glue stories
        assert by_member[k] == {k}


def test_chain_is_not_one_cluster(stories) -> None:
    names = [
        "g1_wataniya_airline_route",
        "h1_wataniya_retina_app",
        "k2_sports_marathon",
        "k3_culture_museum_return",
        "k4_local_bike_lanes",
    ]
    seg = [stories[n] for n in names]
    chain = {f"link{i}": seg[i] + "\n" + seg[i + 1] for i in range(4)}
    sims = [dupdetect.similarity(chain[f"link{i}"], chain[f"link{i + 1}"]) for i in range(3)]
    assert min(sims) >= 0.35  # every neighbour pair alone would be merged...
    r = cluster_texts(chain)
    assert max(c.size for c in r.clusters) <= 2  # ...but the chain is not one story
    import numpy as np

    from dupdetect.linkage import components

    assert len(components(4, np.array([[0, 1], [1, 2], [2, 3]]))) == 1  # single linkage would


def test_scores_and_records() -> None:
    r = cluster(dupdetect.sample_dir())
    recs = r.to_records()
    assert [Path(x["id"]).name for x in recs] == sorted(Path(x["id"]).name for x in recs)
    for x in recs:
        assert 0.0 <= x["score"] <= 1.0
        assert set(x) >= {"id", "cluster", "score"}
    big = r.clusters[0]
    assert big.size == 3 and 0.35 <= big.score <= 1.0
    assert big.representative in big.ids
    for p in r.pairs:
        assert p.similarity >= r.settings.threshold
        assert p.similarity == pytest.approx(
            dupdetect.similarity(Path(p.a).read_text("utf-8"), Path(p.b).read_text("utf-8")),
            abs=1e-5,
        )
    assert "<table>" in r._repr_html_()


def test_to_dataframe() -> None:
    pytest.importorskip("pandas")
    df = cluster(dupdetect.sample_dir()).to_dataframe()
    assert list(df.columns)[:3] == ["id", "cluster", "score"] and len(df) == 9


def test_to_dataframe_without_pandas_says_what_to_install(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"dupdetect\[pandas\]"):
        cluster_texts(["نص"]).to_dataframe()


def test_same_ids_in_another_process() -> None:
    code = (
        "import dupdetect, json; r = dupdetect.cluster(dupdetect.sample_dir());"
        "print(json.dumps(sorted((x['cluster'], x['id'][-30:]) for x in r.to_records())))"
    )
    a = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = cluster(dupdetect.sample_dir())
    assert json.loads(a.stdout) == [
        list(x) for x in sorted((x["cluster"], x["id"][-30:]) for x in r.to_records())
    ]


def test_input_order_does_not_change_groups(stories) -> None:
    items = list(stories.items())
    a = cluster_texts(dict(items))
    b = cluster_texts(dict(reversed(items)))
    norm = lambda r: {c.id: frozenset(c.ids) for c in r.clusters}  # noqa: E731
    assert norm(a) == norm(b)


# ---- bad input -------------------------------------------------------------------------------
def test_bad_files_are_recorded_not_raised(tmp_path: Path) -> None:
    good = Path(dupdetect.sample_dir())
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "tiny.txt").write_text("عاجل", encoding="utf-8")
    (tmp_path / "tiny2.txt").write_text("عاجل", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (tmp_path / "big.txt").write_text("خبر " * 2_000_000, encoding="utf-8")
    (tmp_path / "cp1256.txt").write_bytes(
        (good / "e1_thaqafa_book_fair.txt")
        .read_text("utf-8")
        .replace("\u0640", "")
        .encode("cp1256", errors="ignore")
    )
    missing = tmp_path / "missing.txt"
    r = cluster([str(good), str(tmp_path), str(missing)])
    err_inputs = {Path(i).name for i, _ in r.errors}
    assert {"binary.txt", "big.txt", "missing.txt"} <= err_inputs
    recs = {Path(x["id"]).name: x for x in r.to_records()}
    # every input is in records or errors
    assert set(recs) | err_inputs == {p.name for p in good.glob("*.txt")} | {
        "empty.txt",
        "tiny.txt",
        "tiny2.txt",
        "binary.txt",
        "big.txt",
        "cp1256.txt",
        "missing.txt",
    }
    # near-empty documents are flagged singletons, never grouped (not even with each other)
    for name in ("empty.txt", "tiny.txt", "tiny2.txt"):
        assert recs[name]["size"] == 1 and "too short" in recs[name]["flag"]
    # the legacy-encoded copy of e1 is decoded and found as its duplicate
    assert recs["cp1256.txt"]["cluster"] == recs["e1_thaqafa_book_fair.txt"]["cluster"]
    for _, msg in r.errors:
        assert len(msg) > 20


def test_cluster_texts_bad_items_recorded() -> None:
    r = cluster_texts({"a": "نص", "b": None, "c": 5})  # type: ignore[dict-item]
    assert {i for i, _ in r.errors} == {"b", "c"}
    assert [x["id"] for x in r.to_records()] == ["a"]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"threshold": 0}, ValueError, "threshold"),
        ({"threshold": 1.5}, ValueError, "threshold"),
        ({"threshold": "high"}, TypeError, "threshold"),
        ({"colour": "red"}, TypeError, "unknown option"),
        ({"num_perm": 4}, ValueError, "num_perm"),
        ({"settings": {"threshold": 0.5}}, TypeError, "Settings"),
    ],
)
def test_misuse_raises_clear_errors(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        cluster_texts(["a"], **kwargs)


def test_cluster_texts_rejects_single_string() -> None:
    with pytest.raises(TypeError, match="wrap one text"):
        cluster_texts("نص واحد")
    with pytest.raises(TypeError):
        cluster_texts(42)  # type: ignore[arg-type]


def test_cluster_rejects_bad_paths_type() -> None:
    with pytest.raises(TypeError, match="paths"):
        cluster(42)  # type: ignore[arg-type]


def test_settings_fingerprint_changes() -> None:
    assert Settings().fingerprint == Settings().fingerprint
    assert Settings().fingerprint != Settings(threshold=0.5).fingerprint
    b, r = Settings().lsh_params
    assert b * r <= Settings().num_perm


def test_workers_give_identical_results(stories) -> None:
    texts = {f"{k}-{i}": v for i in range(3) for k, v in stories.items()}  # 51 docs
    one = cluster_texts(texts, workers=1)
    from dupdetect import pipeline

    old = pipeline._BATCH
    pipeline._BATCH = 10  # several chunks, so two workers really split the input
    try:
        two = cluster_texts(texts, workers=2)
    finally:
        pipeline._BATCH = old
    assert one.to_records() == two.to_records()
    assert [(p.a, p.b, p.similarity) for p in one.pairs] == [
        (p.a, p.b, p.similarity) for p in two.pairs
    ]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_workers_validated(bad) -> None:
    with pytest.raises(ValueError, match="workers"):
        cluster_texts(["نص"], workers=bad)


def test_unguarded_script_with_workers_runs_once(tmp_path: Path) -> None:
    # A script without `if __name__ == "__main__":` must not be re-executed by worker start-up.
    script = tmp_path / "job.py"
    script.write_text(
        "import dupdetect\n"
        "from dupdetect import pipeline\n"
        "pipeline._BATCH = 5\n"
        "texts = [open(p, encoding='utf-8').read() for p in sorted(__import__('glob').glob("
        f"{str(Path(dupdetect.sample_dir()) / '*.txt')!r}))] * 2\n"
        "r = dupdetect.cluster_texts(texts)\n"
        "print('RAN', len(r.to_records()))\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(dupdetect.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("RAN") == 1 and "RAN 18" in out.stdout


def test_fingerprint_covers_fixed_rules(monkeypatch) -> None:
    from dupdetect import settings as settings_module

    before = Settings().fingerprint
    assert Settings(prefilter=0.5).fingerprint != before  # an option now, still fingerprinted
    monkeypatch.setattr(settings_module, "DENSE_COMPONENT", 100)
    assert Settings().fingerprint != before


def test_prefilter_option_reaches_every_path() -> None:
    """Settings(prefilter=...) is the hook the benchmarks use instead of patching a constant:
    with 0 every LSH proposal is scored, with 1 fewer are (batch and StoryIndex alike)."""
    import dupdetect

    loose, strict = Settings(prefilter=0.0), Settings(prefilter=1.0)
    texts = [p.read_text("utf-8") for p in sorted(Path(dupdetect.sample_dir()).glob("*.txt"))]
    from dupdetect.features import featurize
    from dupdetect.grouping import group

    f = featurize(texts, loose)
    seen: dict[str, dict] = {}
    for st in (loose, strict):

        def note(name: str, st: Settings = st, **sizes: int) -> None:
            seen.setdefault(f"{st.prefilter}{name}", sizes)

        group(f, st, on_stage=note)
    from dupdetect.lsh import candidate_pairs

    unique = len(candidate_pairs(f.signatures, *loose.lsh_params, eligible=~f.short))
    assert seen["0.0candidates"]["kept"] == unique <= seen["0.0candidates"]["band_proposals"]
    assert seen["1.0candidates"]["kept"] < seen["0.0candidates"]["kept"]
    idx = dupdetect.StoryIndex(settings=strict, window=None)
    assert idx.settings.prefilter == 1.0


def test_notebook_views_are_readable() -> None:
    import dupdetect

    r = dupdetect.cluster(dupdetect.sample_dir())
    text = repr(r.groups[0])
    assert text.startswith("<Cluster c") and "size=3" in text and len(text) < 300
    page = r._repr_html_()
    assert "<td dir='ltr'>" in page and "★ the representative" in page


def test_members_keep_their_date_and_outlet(tmp_path) -> None:
    from datetime import datetime, timezone

    import dupdetect

    texts = {"a": STORY_A, "b": STORY_A + " وأضاف المسؤول ان العمل مستمر"}
    r = dupdetect.cluster_texts(
        texts, published={"a": "2024-03-12T08:00:00Z"}, sources=["wire", "paper"]
    )
    m = {x.id: x for c in r.clusters for x in c.members}
    assert m["a"].published == datetime(2024, 3, 12, 8, tzinfo=timezone.utc).timestamp()
    assert m["b"].published is None
    assert (m["a"].source, m["b"].source) == ("wire", "paper")
    outlet = tmp_path / "alyawm"
    outlet.mkdir()
    (outlet / "x.txt").write_text(STORY_A, encoding="utf-8")
    got = dupdetect.cluster(str(outlet)).clusters[0].members[0]
    assert got.source == "alyawm"  # no source field: the folder names the outlet


def test_latin_script_pairs_are_cut_at_latin_threshold() -> None:
    from dupdetect.features import is_latin, prepare

    assert is_latin(prepare("The council approved the new budget on Monday"))
    assert not is_latin(prepare("أقر المجلس الميزانية الجديدة يوم الاثنين 2024"))
    assert not is_latin(prepare("12 345"))  # no letters: not Latin
    en = {
        "a": "The city council approved a new budget for road repairs on Monday after a long "
        "debate, the mayor said the money will fix potholes across the northern districts.",
        "b": "Road repairs get funding: councillors voted the budget through after hours of "
        "argument, and the mayor promised that northern districts will see potholes fixed.",
    }
    s = dupdetect.similarity(en["a"], en["b"])
    st = Settings()
    assert st.latin_threshold <= s < st.threshold  # a rewrite of one event, in English
    assert len(cluster_texts(en).groups) == 1
    assert len(cluster_texts(en, latin_threshold=st.threshold).groups) == 0
