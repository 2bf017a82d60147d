from __future__ import annotations

import numpy as np

from dupdetect.features import (
    Profile,
    TermMatrix,
    bigram_vector,
    featurize,
    prepare,
    term_matrices,
    term_vector,
)
from dupdetect.settings import Settings


def test_batch_term_matrices_equal_per_document_vectors(stories) -> None:
    term_lists = [prepare(t) for t in stories.values()] + [[], ["x"], ["ab", "cd"], ["ab"] * 3]
    uni, bi = term_matrices(term_lists)
    ref_u = TermMatrix.from_vectors([term_vector(t) for t in term_lists])
    ref_b = TermMatrix.from_vectors([bigram_vector(t) for t in term_lists])
    for got, ref in ((uni, ref_u), (bi, ref_b)):
        assert np.array_equal(got.offsets, ref.offsets)
        assert np.array_equal(got.ids, ref.ids)
        assert np.array_equal(got.weights, ref.weights)


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
