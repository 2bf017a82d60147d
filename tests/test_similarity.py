from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect import explain, score, similarity
from dupdetect.features import Profile, featurize, prepare
from dupdetect.settings import Settings

_TEXT = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي اأإة ىabc 123،.\n")), max_size=300
)


@settings(max_examples=150, deadline=None)
@given(_TEXT, _TEXT)
def test_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(similarity(b, a), abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(_TEXT)
def test_self_is_one(a: str) -> None:
    expected = 1.0 if prepare(a) else 0.0  # 0.0 only when the text has no content word
    assert similarity(a, a) == expected


def test_self_is_one_on_articles(stories) -> None:
    for t in stories.values():
        assert similarity(t, t) == 1.0


def test_orders_near_copy_over_other_story(stories) -> None:
    near = similarity(stories["f1_wataniya_floods"], stories["f2_alyawm_floods"])
    same_people = similarity(stories["f1_wataniya_floods"], stories["i1_alkhabar_dates_festival"])
    other = similarity(stories["f1_wataniya_floods"], stories["k1_wire_charger_recall"])
    assert near > 0.7 > 0.35 > same_people > other


def test_normalization_makes_variants_equal() -> None:
    a = "أعلنت الوزارةُ عن خطةٍ جديدة لدعم المزارعين في ٢٠٢٤ بقيمة ٥٠٠ مليون"
    b = "اعلنت الوزاره عن خطه جديده لدعم المزارعين في 2024 بقيمة 500 مليون"
    assert similarity(a, b) == pytest.approx(1.0, abs=1e-6)


def test_type_errors() -> None:
    with pytest.raises(TypeError, match="a must be a str"):
        similarity(None, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="b must be a str"):
        explain("x", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_words"):
        explain("x", "y", min_words=0)


def test_explain_shows_shared_passage(stories) -> None:
    e = explain(stories["j1_wire_port_strike"], stories["j2_dailynews_port_strike"])
    assert e.passages and all(len(p.split()) >= 4 for p in e.passages)
    assert 0.5 < e.coverage_a <= 1.0
    assert e.score == pytest.approx(
        similarity(stories["j1_wire_port_strike"], stories["j2_dailynews_port_strike"])
    )
    assert "shared passages" in str(e)


# --- dupdetect.score: one score, three shapes ---------------------------------------------------
def _batch(stories):
    texts = [*stories.values(), "", "كلمة واحدة"]
    f = featurize(texts, Settings())
    return f, [Profile(f.unigrams.row(i), f.bigrams.row(i)) for i in range(len(f))]


def test_one_to_many_scores_are_bit_identical_to_the_batch_score(stories) -> None:
    f, profs = _batch(stories)
    n = len(profs)
    for i, p in enumerate(profs):
        pairs = np.stack([np.full(n, i, np.int64), np.arange(n)], axis=1)
        assert np.array_equal(score.scores_to(p, profs), score.pair_scores(f, pairs).astype(float))
        assert np.array_equal(f.similarities(pairs), score.pair_scores(f, pairs))
    iu, ju = np.triu_indices(n, k=1)
    batch = score.pair_scores(f, np.stack([iu, ju], axis=1))
    single = [score.pair_score(profs[i], profs[j]) for i, j in zip(iu, ju)]
    assert np.allclose(batch, single, atol=1e-6)


def test_batch_scores_do_not_depend_on_orientation_order_or_chunk(stories) -> None:
    """The kernel turns each pair (longer row gathered, shorter looked up) and takes pairs in
    order of the gathered row: a pair's score must not depend on either, nor on its chunk."""
    f, _ = _batch(stories)
    n = len(f)
    iu, ju = np.triu_indices(n, k=1)
    pairs = np.stack([iu, ju], axis=1)
    lens = np.diff(f.unigrams.offsets)
    assert (lens[iu] < lens[ju]).any() and (lens[iu] > lens[ju]).any()  # both turns happen
    ref = score.pair_scores(f, pairs)
    assert (ref > 0.1).sum() >= 5  # the stories overlap: the sums are not all empty
    shuffled = np.random.default_rng(3).permutation(len(pairs))
    for m in (f.unigrams, f.bigrams):
        one = score.cosines(m, pairs)
        assert np.array_equal(score.cosines(m, pairs[:, ::-1]), one)
        assert np.array_equal(score.cosines(m, pairs[shuffled], chunk=3), one[shuffled])


def test_group_sum_equals_the_sum_of_pair_scores(stories) -> None:
    f, profs = _batch(stories)
    n, k = len(profs), 7
    ii, jj = np.meshgrid(np.arange(k), np.arange(k, n), indexing="ij")
    pairwise = float(score.pair_scores(f, np.stack([ii.ravel(), jj.ravel()], axis=1)).sum())
    a, b = score.GroupVectors.of(profs[:k]), score.GroupVectors.of(profs[k:])
    assert score.group_sum(a, b) == pytest.approx(pairwise, rel=1e-6)  # float32 per pair
    grown = score.GroupVectors.of(profs[:3]) + score.GroupVectors.of(profs[3:k])
    assert score.group_sum(grown, b) == pytest.approx(pairwise, rel=1e-6)
    # a group grown one member at a time is exactly (bit for bit) the group summed at once
    one_by_one = score.GroupVectors.of(profs[:1])
    for p in profs[1:k]:
        one_by_one = one_by_one + score.GroupVectors.of([p])
    for (ids, w), (ids_a, w_a) in zip(one_by_one.sums, a.sums):
        assert np.array_equal(ids, ids_a) and ids.dtype == ids_a.dtype
        assert np.array_equal(w, w_a)
    empty = score.GroupVectors.of([])
    for (ids, w), (ids_a, w_a) in zip((a + empty).sums, a.sums):
        assert np.array_equal(ids, ids_a) and np.array_equal(w, w_a)
    for (ids, w), (ids_a, w_a) in zip((empty + a).sums, a.sums):
        assert np.array_equal(ids, ids_a) and np.array_equal(w, w_a) and w.dtype == np.float64


def test_adding_two_sums_equals_summing_them_at_once() -> None:
    """``GroupVectors + GroupVectors`` merges sorted sums without sorting again; it must give
    exactly what summing both sets of vectors at once gives (same ids, dtypes and float64
    values, bit for bit: shared ids get a + b in both)."""
    rng = np.random.default_rng(5)
    for _ in range(500):
        ia = np.unique(rng.integers(0, 60, rng.integers(0, 40)).astype(np.uint32))
        ib = np.unique(rng.integers(0, 60, rng.integers(0, 40)).astype(np.uint32))
        a = score._summed([ia], [rng.random(ia.size)])
        b = score._summed([ib], [rng.random(ib.size)])
        got, want = score._added(a, b), score._summed([a[0], b[0]], [a[1], b[1]])
        assert np.array_equal(got[0], want[0]) and got[0].dtype == want[0].dtype
        assert np.array_equal(got[1], want[1]) and got[1].dtype == want[1].dtype


def test_the_weighting_is_written_once(stories, monkeypatch) -> None:
    """Changing score.WEIGHTS changes every path: batch, one-to-many, group sums, similarity()."""
    f, profs = _batch(stories)
    a, b = stories["f1_wataniya_floods"], stories["f2_alyawm_floods"]
    pairs = np.array([[0, 1], [0, 2]])
    before = score.pair_scores(f, pairs)
    monkeypatch.setattr(score, "WEIGHTS", (1.0, 0.0))
    uni = f.unigrams.cosines(pairs)
    assert not np.array_equal(before, uni)
    assert np.array_equal(score.pair_scores(f, pairs), uni)
    assert np.array_equal(f.similarities(pairs), uni)
    assert np.array_equal(score.scores_to(profs[0], profs[1:3]), uni.astype(float))
    g = score.group_sum(score.GroupVectors.of(profs[:1]), score.GroupVectors.of(profs[1:3]))
    assert g == pytest.approx(float(uni.sum()), rel=1e-6)
    ta, tb = Profile.of(prepare(a)), Profile.of(prepare(b))
    assert similarity(a, b) == pytest.approx(ta.unigrams.dot(tb.unigrams))
    with pytest.raises(ValueError, match="cosines"):
        score.combine([0.5])


def test_term_positions_table_handles_collisions_and_misses() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**32, 400, dtype=np.uint64).astype(np.uint32)
    keys = np.unique(np.concatenate([base, base[:9] ^ np.uint32(1 << 20)]))  # same low bits
    needles = np.concatenate(
        [
            keys,
            rng.integers(0, 2**32, 999, dtype=np.uint64).astype(np.uint32),
            base[:9] ^ np.uint32(1 << 21),
        ]
    )
    ref = np.searchsorted(keys, needles)
    ref_c = np.minimum(ref, keys.size - 1)
    expected = np.where((ref < keys.size) & (keys[ref_c] == needles), ref_c, -1)
    assert np.array_equal(score.positions(keys, needles), expected)
    assert score.positions(keys[:0], needles[:3]).tolist() == [-1, -1, -1]


def test_explain_shows_the_evidence_of_one_event_or_two() -> None:
    from dupdetect import explain

    tuesday = (
        "استقبل وزير الخارجية نظيره الزامبي كاتونغو في مدينة الواحة يوم الثلاثاء وبحثا اتفاقية "
        "للتعاون الزراعي بقيمة 40 مليون دولار تشمل 12 مشروعا للري"
    )
    friday = (
        "استقبل وزير الخارجية نظيره الزامبي كاتونغو في مدينة الواحة يوم الجمعة وبحثا اتفاقية "
        "للتعاون الزراعي بقيمة 55 مليون دولار تشمل 12 مشروعا للري"
    )
    e = explain(tuesday, friday)
    assert e.weekdays_a == ["tuesday"] and e.weekdays_b == ["friday"] and e.weekday_conflict
    assert e.shared_numbers == ["12"] and e.numbers_only_a == ["40"] and e.numbers_only_b == ["55"]
    assert "كاتونغو" in e.shared_rare_terms  # a name no word list knows: rare
    text = str(e)
    assert "conflict: different days" in text and "only in B 55" in text
    same = explain(tuesday, tuesday.replace("وبحثا", "وناقشا"))
    assert not same.weekday_conflict and same.numbers_only_a == []
