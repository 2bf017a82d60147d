"""dupdetect.spark gives the same clusters, ids, scores and pairs as cluster_texts (local[2])."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import dupdetect
from dupdetect import spark as dspark
from dupdetect.features import featurize
from dupdetect.lsh import MAX_BUCKET, all_band_keys, pairs_in_runs, propose
from dupdetect.spark.shared import SharedFeatures, shared_band_pairs

ROOT = Path(__file__).resolve().parents[1]
STORIES = ROOT / "tests" / "fixtures" / "stories"
SAMPLE = ROOT / "dupdetect" / "data" / "sample"
SEEDS = ROOT.parent / "shared" / "seeds"
SAUDI = ROOT.parent / "shared" / "eval" / "saudinewsnet" / "2015-07-21.zip"
N_SAUDI = 2000


# ----------------------------------------------------------------------------- no Spark needed
def test_missing_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(ImportError, match=r'pip install "dupdetect\[spark\]"'):
        dspark.driver.require_spark()


def test_bucket_pairs_match_local_banding_including_huge_buckets() -> None:
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    buckets = [  # doc numbers above 2**32, as monotonically_increasing_id gives them
        rng.choice(10_000, size=k, replace=False) + (np.int64(5) << 33)
        for k in (2, 3, 17, MAX_BUCKET, MAX_BUCKET + 1, 1200)
    ]
    got = pd.concat(dspark.bucket_pairs_partition(iter([pd.DataFrame({"members": buckets})])))
    want = []
    for i, m in enumerate(buckets):  # one bucket = one run of equal keys
        want.append(pairs_in_runs(m.astype(np.int64) - (5 << 33), np.full(m.size, i, np.uint64)))
    base = np.int64(5) << 33
    got_codes = np.sort((got["a"].to_numpy() - base) << 32 | (got["b"].to_numpy() - base))
    # repeats across buckets are dropped in the task (the driver's distinct drops the rest)
    assert np.array_equal(got_codes, np.unique(np.concatenate(want)))


def _clustered_signatures(n: int, k: int, seed: int) -> np.ndarray:
    """Signatures of ``n`` documents in families that share about half their MinHash values,
    so that some bucket pairs pass the prefilter floor and many do not."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**32, size=(n // 8 + 1, k), dtype=np.uint64)
    sig = rng.integers(0, 2**32, size=(n, k), dtype=np.uint64)
    family = rng.integers(0, len(base), size=n)
    shared = rng.random((n, k)) < rng.choice([0.02, 0.08, 0.5], size=(n, 1))
    sig[shared] = base[family][shared]
    sig[:, :8] %= 3  # small alphabet in the first bands: big buckets of chance collisions
    return sig.astype(np.uint32)


def test_bucket_pairs_with_signatures_are_the_local_prefiltered_proposals() -> None:
    pd = pytest.importorskip("pandas")
    s = dupdetect.Settings()
    bands, rows = s.lsh_params
    sig = _clustered_signatures(400, s.num_perm, seed=1)
    idx = np.arange(400, dtype=np.int64) * 7 + (np.int64(3) << 33)  # sparse, above 2**32
    keys = all_band_keys(sig, bands, rows)
    frame = pd.DataFrame({"band": np.repeat(np.arange(bands), 400), "key": keys.T.ravel()})
    frame["doc"] = np.tile(np.arange(400), bands)
    buckets = [g.to_numpy() for _, g in frame.groupby(["band", "key"])["doc"]]
    batch = pd.DataFrame(
        {
            "members": [idx[m] for m in buckets],
            "sigs": [[sig[d].astype("<u4").tobytes() for d in m] for m in buckets],
        }
    )
    floor = s.prefilter * s.candidate_threshold
    want = propose(sig, bands, rows, min_estimate=floor)
    assert 0 < len(want.pairs) < want.proposed / 4  # the filter really drops pairs here
    got = pd.concat(dspark.bucket_pairs_partition(iter([batch[:300], batch[300:]]), s))
    got_pairs = np.unique(np.stack([got["a"], got["b"]], axis=1), axis=0)
    assert np.array_equal(got_pairs, idx[want.pairs])


def test_shared_band_pairs_are_the_local_prefiltered_proposals() -> None:
    pd = pytest.importorskip("pandas")
    from types import SimpleNamespace

    s = dupdetect.Settings()
    bands, rows = s.lsh_params
    n = 300
    f = featurize([""] * n, s)  # term vectors are not read here; signatures and flags are
    f.signatures = _clustered_signatures(n, s.num_perm, seed=2)
    f.short = np.zeros(n, dtype=bool)
    f.short[::5] = True  # too short to be grouped: never proposed
    idx = np.arange(n, dtype=np.int64) * 3 + 11
    shared = SimpleNamespace(value=SharedFeatures(idx, f, [str(i) for i in idx]))
    batches = [pd.DataFrame({"band": np.arange(b, min(b + 20, bands))}) for b in (0, 20, 40, 60)]
    got = pd.concat(shared_band_pairs(iter(batches), shared, s))
    got_pairs = np.unique(np.stack([got["a"], got["b"]], axis=1), axis=0)
    floor = s.prefilter * s.candidate_threshold
    want = propose(f.signatures, bands, rows, ~f.short, min_estimate=floor)
    assert 0 < len(want.pairs) < want.proposed / 4
    assert np.array_equal(got_pairs, idx[want.pairs])


# ----------------------------------------------------------------------------- Spark, local[2]
@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    path = os.environ.get("PYTHONPATH", "")
    if str(ROOT) not in path.split(os.pathsep):  # workers import dupdetect from this checkout
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), path) if p)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("dupdetect-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


#: (broadcast_bytes, local_edges): shared features + driver components (the default for small
#: inputs), the shuffle path + Spark's components (large inputs), and the two mixed
PATHS = [(None, None), (0, 0), (None, 0), (0, None)]


def _compare(
    spark, texts: dict[str, str], path: tuple[int | None, int | None] = (None, None), **options
) -> dspark.SparkClustering:
    """Run both pipelines on ``texts`` (same order) and assert equal results."""
    local = dupdetect.cluster_texts(texts, **options)
    df = spark.createDataFrame(list(texts.items()), "id string, text string")
    result = dspark.cluster_dataframe(df, broadcast_bytes=path[0], local_edges=path[1], **options)
    assert result.counts["shared_features"] == int(path[0] is None)
    assert ("cc_rounds" in result.counts) == (path[1] == 0)  # label propagation ran or not
    got = {r["id"]: (r["cluster"], r["score"]) for r in result.assignments.collect()}
    want = {r["id"]: (r["cluster"], r["score"]) for r in local.to_records()}
    assert got.keys() == want.keys()
    wrong_cluster = [k for k in want if got[k][0] != want[k][0]]
    assert not wrong_cluster, wrong_cluster[:10]
    worst = max((abs(got[k][1] - want[k][1]) for k in want), default=0.0)
    assert worst < 1e-6
    got_pairs = {(r["a"], r["b"]): r["similarity"] for r in result.pairs.collect()}
    want_pairs = {(p.a, p.b): p.similarity for p in local.pairs}
    assert got_pairs.keys() == want_pairs.keys()
    assert all(abs(got_pairs[k] - want_pairs[k]) < 1e-6 for k in want_pairs)
    assert result.counts["clusters"] == len(local.clusters)
    return result


@pytest.mark.spark
@pytest.mark.parametrize(
    "path", PATHS, ids=["shared-local", "shuffle-spark", "shared-spark", "shuffle-local"]
)
def test_fixtures_seeds_and_huge_bucket_equal_local(spark, path) -> None:
    # One Spark run (each run costs ~10-30 s of fixed overhead in local mode) covering:
    # the fixture stories and the built-in sample (known clusters, short texts), the seeds when
    # present, and > MAX_BUCKET exact copies: star + chain candidates, a component above
    # DENSE_COMPONENT (edges-only average linkage) and all-tied scores (ties by input order).
    paths = sorted(STORIES.glob("*.txt")) + sorted(SAMPLE.glob("*.txt"))
    if SEEDS.is_dir():
        paths += sorted(SEEDS.glob("*.txt"))
    texts = {p.stem: p.read_text(encoding="utf-8") for p in paths}
    story = (STORIES / "f1_wataniya_floods.txt").read_text(encoding="utf-8")
    texts.update({f"copy{i:04d}": story for i in range(MAX_BUCKET + 20)})
    result = _compare(spark, texts, path)
    assert result.counts["verified_pairs"] > MAX_BUCKET
    assert result.counts["id_clashes"] == 0


@pytest.mark.spark
@pytest.mark.parametrize("path", PATHS[:2], ids=["shared-local", "shuffle-spark"])
def test_saudinewsnet_equal_local(spark, path) -> None:
    if not SAUDI.is_file():
        pytest.skip(f"{SAUDI} is absent")
    with zipfile.ZipFile(SAUDI) as z:
        name = next(n for n in sorted(z.namelist()) if n.endswith(".json"))
        records = json.loads(z.read(name).decode("utf-8"))
    texts: dict[str, str] = {}
    for rec in records:
        texts.setdefault(rec["url"], f"{rec.get('title') or ''}\n{rec.get('content') or ''}")
        if len(texts) >= N_SAUDI:
            break
    result = _compare(spark, texts, path)
    assert result.counts["documents"] == len(texts)
    assert result.counts["verified_pairs"] > 0


@pytest.mark.spark
def test_main_reads_a_folder_like_cluster_and_writes_parquet(spark, tmp_path: Path, capsys) -> None:
    import shutil

    folder = tmp_path / "in"
    shutil.copytree(STORIES, folder)
    (folder / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "out"
    assert dspark.main([str(folder), str(out)]) == 0  # reuses the running session
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.txt" in err and "notes.pdf" in err  # listed, not dropped
    rows = spark.read.parquet(str(out / "assignments")).collect()
    local = dupdetect.cluster(str(folder))
    want = {r["id"]: (r["cluster"], r["score"]) for r in local.to_records()}
    got = {r["id"]: (r["cluster"], r["score"]) for r in rows}
    assert got.keys() == want.keys()  # the same ids (resolved paths) as cluster()
    assert all(got[k][0] == want[k][0] and abs(got[k][1] - want[k][1]) < 1e-6 for k in want)
    assert (out / "_dupdetect.json").is_file()  # a file anyone can open, not a Spark folder
    meta = json.loads((out / "_dupdetect.json").read_text(encoding="utf-8"))
    assert meta["fingerprint"] == dupdetect.Settings().fingerprint
    assert meta["counts"]["errors"] == len(local.errors) == 3  # README.md too, as locally


@pytest.mark.spark
def test_bad_column_names_say_which(spark) -> None:
    df = spark.createDataFrame([("a", "b")], "id string, body string")
    with pytest.raises(ValueError, match="text_col='text' is not a column"):
        dspark.cluster_dataframe(df, text_col="text")
    odd = spark.createDataFrame([("a", "b")], "key string, words string")
    with pytest.raises(ValueError, match="no id or text column among key, words"):
        dspark.cluster_dataframe(odd)


def test_default_columns_follow_the_local_readers() -> None:
    # the same names as dupdetect.io.FieldMap's defaults, exact first, then any case
    assert dspark.default_columns(["URL", "content", "Title"]) == {
        "id_col": "URL",
        "text_col": "content",
        "title_col": "Title",
    }
    assert dspark.default_columns(["id", "url", "text", "body"])["id_col"] == "id"
    assert dspark.default_columns(["x"]) == {"id_col": None, "text_col": None, "title_col": None}


@pytest.mark.spark
def test_existing_output_is_refused_before_the_job(spark, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results", encoding="utf-8")
    assert dspark.main([str(STORIES), str(out)]) == 2  # reuses the running session
    err = capsys.readouterr().err
    assert "exists already" in err and "--overwrite" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]  # nothing written, nothing lost


def test_broadcast_limit_follows_the_driver_memory() -> None:
    from types import SimpleNamespace

    from dupdetect.spark.shared import BROADCAST_BYTES, broadcast_limit

    def session(**conf: str) -> SimpleNamespace:
        keys = {f"spark.driver.{k[0].lower() + k[1:]}": v for k, v in conf.items()}
        return SimpleNamespace(sparkContext=SimpleNamespace(getConf=lambda: keys))

    assert broadcast_limit(session()) == 128 << 20  # Spark's defaults: 1g memory, 1g results
    assert broadcast_limit(session(memory="4g")) == 512 << 20
    assert broadcast_limit(session(memory="64g")) == 512 << 20  # half of maxResultSize 1g
    assert broadcast_limit(session(memory="64g", maxResultSize="0")) == BROADCAST_BYTES
    assert broadcast_limit(session(memory="2048m", maxResultSize="100m")) == 50 << 20


def test_components_frame_gives_each_partition_about_the_same_split_work(spark) -> None:
    """The driver's one row per component (components first, then the documents alone) becomes
    ``defaultParallelism`` partitions; cut in that order the first task would split every
    component. Each partition gets about the same work (the pairs its split reads)."""
    pd = pytest.importorskip("pandas")
    from types import SimpleNamespace

    from dupdetect.spark.driver import _components_frame

    rng = np.random.default_rng(2)
    sizes = [60, 40, 30, *rng.integers(2, 12, 80).tolist()]
    comps, at = [], 0
    for k in sizes:
        comps.append(np.arange(at, at + k, dtype=np.int64))
        at += k
    shared = SimpleNamespace(value=SimpleNamespace(idx=np.arange(at + 2000, dtype=np.int64)))
    scored = pd.DataFrame({"a": [0], "b": [1], "similarity": [0.5]})
    frame = _components_frame(spark, comps, scored, shared)

    def work(batches):
        from pyspark import TaskContext

        pairs = sum(len(m) * (len(m) - 1) // 2 for b in batches for m in b["members"])
        yield pd.DataFrame({"p": [TaskContext.get().partitionId()], "pairs": [pairs]})

    loads = frame.mapInPandas(work, "p int, pairs long").groupBy("p").sum("pairs").collect()
    per = sorted(int(r[1]) for r in loads)
    total = sum(k * (k - 1) // 2 for k in sizes)
    assert len(per) == spark.sparkContext.defaultParallelism == 2 and sum(per) == total
    assert per[-1] <= 0.55 * total, per  # in order, the first partition would hold all of it
    assert frame.count() == len(comps) + 2000  # every document alone keeps its row
