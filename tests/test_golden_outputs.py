"""Pin the exact outputs of shingling, signing and LSH banding.

The speed work rewrites the internals of :mod:`dupdetect.shingle`, :mod:`dupdetect.signature`
and :mod:`dupdetect.lsh`; results must not move by a single bit. The digests below were
recorded from the implementation as it was before any speed change (commit 5619c82); a few raw
values are pinned too so a failure is readable.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from dupdetect.lsh import candidate_pairs, estimated_jaccard_pairs
from dupdetect.shingle import shingle_many, shingles
from dupdetect.signature import EMPTY, sign, sign_many

TEXTS = [
    "أعلنت وزارة الصحة اليوم افتتاح مستشفى جديد في المدينة بسعة ثلاثمئة سرير، "
    "وقال الوزير إن المستشفى سيخدم سكان المنطقة الشمالية.",
    "افتتحت وزارة الصحة مستشفى جديدا في المدينة يتسع لثلاثمئة سرير لخدمة سكان المنطقة الشمالية",
    "The central bank kept its main interest rate unchanged on Tuesday, citing inflation.",
    "فاز الفريق الأول بالمباراة النهائية ٣-١ أمام جمهور غفير في الملعب الدولي",
    "",
    "abc",
    "hello world",
    "في المدينة",
    "xxxxxxx",
    "ﻻ إله ـــ كِتَابٌ\u200c ک ی ۱۲۳ ، ؛ ؟",
]


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()[:16]


def _sparse():
    rng = np.random.default_rng(0)
    return rng.integers(0, 2**32, 40, dtype=np.uint32), np.array([0, 3, 10, 10, 40])


def _band_input():
    rng = np.random.default_rng(0)
    return rng.integers(0, 4, (300, 32), dtype=np.uint32)


# Recorded at commit 5619c82, before the speed work.
SHINGLE5 = ("732eb340404680a3", "4bde2af208037ff8")
SHINGLE3 = ("bf59ff7c2237f478", "231147df52364980")
SHINGLE5_HEAD = [4008643911, 900909850, 1785691779, 3025206482]
SHINGLES0 = "bb7c7b1386306e84"
SIGN128 = "da6181171889cfad"
SIGN128_HEAD = [2646483214, 56995356, 3025206482, 56995356]
SIGN64 = "33504ec5e97b5175"
SIGN_ONE = "20cf9fbfe5207ff7"
SIGN_SPARSE = "3b82c710eabc37b4"
CANDIDATES = {(8, 4): "48b31093bbc23007", (16, 2): "8b3b372a3853b53f"}
ESTIMATES = "0a5d1f36a8a6037d"


def test_shingle_many_pinned():
    v, o = shingle_many(TEXTS, 5, 1)
    assert v.dtype == np.uint32 and o.dtype == np.int64
    assert (_digest(v), _digest(o)) == SHINGLE5
    v3, o3 = shingle_many(TEXTS, 3, 7)
    assert (_digest(v3), _digest(o3)) == SHINGLE3
    assert v[:4].tolist() == SHINGLE5_HEAD


def test_shingles_sorted_unique_pinned():
    s = shingles(TEXTS[0])
    assert np.all(np.diff(s.astype(np.int64)) > 0)
    assert _digest(s) == SHINGLES0


def test_sign_many_pinned():
    v, o = shingle_many(TEXTS, 5, 1)
    s = sign_many(v, o, 128, 1)
    assert s.shape == (len(TEXTS), 128) and s.dtype == np.uint32
    assert _digest(s) == SIGN128
    assert s[0, :4].tolist() == SIGN128_HEAD
    assert (s[4] == EMPTY).all()  # empty text
    v3, o3 = shingle_many(TEXTS, 3, 7)
    assert _digest(sign_many(v3, o3, 64, 7)) == SIGN64


def test_sign_one_equals_row_of_many():
    v, o = shingle_many(TEXTS, 5, 1)
    many = sign_many(v, o, 128, 1)
    for i, t in enumerate(TEXTS):
        if t:
            assert np.array_equal(sign(shingles(t)), many[i])
    assert _digest(sign(shingles(TEXTS[0]))) == SIGN_ONE


def test_densification_pinned():
    vals, offs = _sparse()
    assert _digest(sign_many(vals, offs, 128, 1)) == SIGN_SPARSE


@pytest.mark.parametrize("bands,rows,every_third", [(8, 4, False), (16, 2, True)])
def test_candidate_pairs_pinned(bands, rows, every_third):
    sig = _band_input()
    eligible = (np.arange(300) % 3 > 0) if every_third else None
    pairs = candidate_pairs(sig, bands, rows, eligible=eligible)
    assert pairs.dtype == np.int64 and pairs.shape[1] == 2
    assert _digest(pairs) == CANDIDATES[(bands, rows)]


def test_estimated_jaccard_pairs_pinned():
    sig = _band_input()
    pairs = candidate_pairs(sig, 8, 4)
    est = estimated_jaccard_pairs(sig, pairs)
    assert est.dtype == np.float32
    assert _digest(est) == ESTIMATES


def test_featurize_parallel_equals_single_process():
    from dupdetect.features import featurize
    from dupdetect.parallel import featurize_parallel
    from dupdetect.settings import Settings

    texts = [t + " " + u for t in TEXTS for u in TEXTS[:4]]  # 40 documents, some short
    s = Settings()
    one = featurize(texts, s)
    seen: list[int] = []
    par = featurize_parallel(texts, s, workers=2, chunk=7, on_chunk=seen.append)
    assert sum(seen) == len(texts)
    assert np.array_equal(one.signatures, par.signatures)
    assert np.array_equal(one.short, par.short) and np.array_equal(one.n_terms, par.n_terms)
    for a, b in ((one.unigrams, par.unigrams), (one.bigrams, par.bigrams)):
        assert np.array_equal(a.ids, b.ids) and np.array_equal(a.weights, b.weights)
        assert np.array_equal(a.offsets, b.offsets)
    inproc = featurize_parallel(texts, s, workers=1, chunk=7)
    assert np.array_equal(one.signatures, inproc.signatures)


def test_featurize_parallel_rejects_unsafe_fork(monkeypatch):
    from dupdetect import parallel
    from dupdetect.settings import Settings

    monkeypatch.setattr(parallel, "fork_is_safe", lambda: False)
    with pytest.raises(ValueError, match="spawn"):
        parallel.featurize_parallel(["a"], Settings(), start_method="fork")
    with pytest.raises(ValueError, match="start_method"):
        parallel.featurize_parallel(["a"], Settings(), start_method="threads")


def _reference_sign_many(values, offsets, num_perm, seed):
    """The pre-speed-work binning (64-bit arithmetic, one ufunc.at over everything)."""
    from dupdetect.signature import _densify

    n_docs = len(offsets) - 1
    sig = np.full(n_docs * num_perm, EMPTY, dtype=np.uint32)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(offsets))
    bins = ((values.astype(np.uint64) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.int64)
    np.minimum.at(sig, doc * num_perm + bins, np.minimum(values, np.uint32(0xFFFFFFFE)))
    sig = sig.reshape(n_docs, num_perm)
    _densify(sig, num_perm, seed)
    return sig


@pytest.mark.parametrize("num_perm", [8, 64, 100, 128, 256, 1000])
def test_sign_many_matches_reference_binning(num_perm, monkeypatch):
    import dupdetect.signature as signature

    monkeypatch.setattr(signature, "_CHUNK_VALUES", 1000)  # many passes, docs across boundaries
    rng = np.random.default_rng(num_perm)
    lens = rng.integers(0, 700, 60)
    lens[[3, 4, 20]] = 0
    offsets = np.zeros(61, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    values = rng.integers(0, 2**32, int(offsets[-1]), dtype=np.uint32)
    values[::97] = 0xFFFFFFFF  # the reserved value must be clamped
    got = sign_many(values, offsets, num_perm, 3)
    assert np.array_equal(got, _reference_sign_many(values, offsets, num_perm, 3))
