from __future__ import annotations

import re
from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dupdetect.features import (
    Profile,
    TermMatrix,
    TermVector,
    _term_ids,
    bigram_vector,
    featurize,
    is_latin,
    prepare,
    term_matrices,
    term_vector,
)
from dupdetect.settings import Settings
from dupdetect.terms import words


# Independent reference: Python Counters over Python ints, one document at a time.
def _ref_vector(counts: Counter) -> TermVector:
    if not counts:
        return TermVector(np.zeros(0, np.uint32), np.zeros(0, np.float32))
    ids = np.array(sorted(counts), dtype=np.uint32)
    w = np.array([counts[int(i)] for i in ids], dtype=np.float64)
    w /= np.sqrt(np.dot(w, w))
    return TermVector(ids, w.astype(np.float32))


def _ref_unigrams(terms) -> TermVector:
    return _ref_vector(Counter(_term_ids[t] for t in terms))


def _ref_bigrams(terms) -> TermVector:
    ids = [_term_ids[t] for t in terms]
    return _ref_vector(
        Counter(((a * 0x9E3779B1) ^ (b + 0x7F4A7C15)) & 0xFFFFFFFF for a, b in zip(ids, ids[1:]))
    )


def test_batch_term_matrices_equal_per_document_vectors(stories) -> None:
    term_lists = [prepare(t) for t in stories.values()] + [[], ["x"], ["ab", "cd"], ["ab"] * 3]
    uni, bi = term_matrices(term_lists)
    ref_u = TermMatrix.from_vectors([_ref_unigrams(t) for t in term_lists])
    ref_b = TermMatrix.from_vectors([_ref_bigrams(t) for t in term_lists])
    for got, ref in ((uni, ref_u), (bi, ref_b)):
        assert np.array_equal(got.offsets, ref.offsets)
        assert np.array_equal(got.ids, ref.ids)
        assert np.array_equal(got.weights, ref.weights)
    for k, t in enumerate(term_lists):  # the one-document path gives rows of the batch, bitwise
        for one, row in ((term_vector(t), uni.row(k)), (bigram_vector(t), bi.row(k))):
            assert np.array_equal(one.ids, row.ids) and one.ids.dtype == row.ids.dtype
            assert np.array_equal(one.weights, row.weights) and one.weights.dtype == np.float32


def test_batch_scores_equal_pairwise_profiles(stories) -> None:
    texts = list(stories.values())
    f = featurize(texts, Settings())
    n = len(texts)
    iu, ju = np.triu_indices(n, k=1)
    batch = f.similarities(np.stack([iu, ju], axis=1))
    profiles = [Profile.of(prepare(t)) for t in texts]
    single = [profiles[i].similarity(profiles[j]) for i, j in zip(iu, ju)]
    assert np.allclose(batch, single, atol=1e-6)
    assert f.short.sum() == 0 and (f.n_terms > 50).all()


def _latin_by_counting(terms: list[str]) -> bool:
    # the rule as the docstring states it: letters are characters other than spaces and ASCII
    # digits; Latin when more than half of them are ASCII
    text = " ".join(terms)
    letters = [c for c in text if c != " " and c not in "0123456789"]
    return bool(letters) and 2 * sum(c.isascii() for c in letters) > len(letters)


@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(list("ab Z09_-.é") + ["ب", "ة", "٣", "é", "\ud800", "😀"]),
            max_size=8,
        ),
        max_size=12,
    )
)
def test_is_latin_counts_letters(terms: list[str]) -> None:
    assert is_latin(terms) == _latin_by_counting(terms)


@given(
    st.text(
        alphabet=st.sampled_from(list("ab_ _\t9٣-.,") + ["ب", "ة", "é", "\u0651", "\u00b2", "Ⅻ"])
    )
)
def test_words_are_runs_of_letters_and_digits(text: str) -> None:
    # words() takes a faster pattern where the text has no underscore: the same runs either way
    assert words(text) == re.findall(r"[^\W_]+", text)
