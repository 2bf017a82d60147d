from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupdetect.features import featurize
from dupdetect.linkage import UnionFind, average_linkage, components
from dupdetect.lsh import MAX_BUCKET, candidate_pairs, make_lsh
from dupdetect.settings import Settings
from dupdetect.signature import to_datasketch


@pytest.mark.parametrize("params", [(64, 2), (32, 4), (16, 8)])
def test_banding_equals_datasketch(stories, params) -> None:
    texts = list(stories.values())
    # add near-copies so that buckets are not all singletons
    texts += [t[: len(t) // 2] + " خبر " + t[len(t) // 2 :] for t in texts[:6]]
    f = featurize(texts, Settings())
    b, r = params
    ours = {tuple(p) for p in candidate_pairs(f.signatures, b, r).tolist()}
    lsh = make_lsh(b, r, 128)
    for i, s in enumerate(f.signatures):
        lsh.insert(i, to_datasketch(s))
    ref = set()
    for i, s in enumerate(f.signatures):
        for j in lsh.query(to_datasketch(s)):
            if j != i:
                ref.add((min(i, j), max(i, j)))
    assert ours == ref
    assert len(ours) >= 6


def test_eligible_excludes_rows() -> None:
    sig = np.zeros((4, 8), dtype=np.uint32)  # all identical
    pairs = candidate_pairs(sig, 4, 2, eligible=np.array([True, False, True, True]))
    assert pairs.tolist() == [[0, 2], [0, 3], [2, 3]]


def test_huge_bucket_is_star_plus_chain() -> None:
    n = MAX_BUCKET + 10
    sig = np.zeros((n, 8), dtype=np.uint32)
    pairs = candidate_pairs(sig, 4, 2)
    assert len(pairs) == (n - 1) + (n - 2)
    assert len(components(n, pairs)) == 1


def test_bands_rows_validated() -> None:
    with pytest.raises(ValueError, match="num_perm"):
        candidate_pairs(np.zeros((2, 8), np.uint32), 5, 2)


def test_union_find() -> None:
    uf = UnionFind(6)
    uf.union(0, 1)
    uf.union(3, 4)
    uf.union(1, 4)
    assert uf.groups() == [[0, 1, 3, 4], [2], [5]]
    with pytest.raises(ValueError):
        UnionFind(-1)


def test_average_linkage_resists_chaining() -> None:
    chain = [(0, 1, 0.6), (1, 2, 0.6), (2, 3, 0.6), (3, 4, 0.6)]
    assert components(5, np.array([[a, b] for a, b, _ in chain])) == [[0, 1, 2, 3, 4]]
    groups = average_linkage([0, 1, 2, 3, 4], chain, 0.35)
    assert max(len(g) for g in groups) <= 2


def test_average_linkage_keeps_a_real_story() -> None:
    clique = [(a, b, 0.5) for a in range(4) for b in range(a + 1, 4)]
    assert average_linkage([0, 1, 2, 3], clique, 0.35) == [[0, 1, 2, 3]]
    # one weak member among strong ones joins if the average stays above the threshold
    edges = [(0, 1, 0.9), (0, 2, 0.3), (1, 2, 0.3)]
    assert average_linkage([0, 1, 2], edges, 0.35) == [[0, 1], [2]]
    edges = [(0, 1, 0.9), (0, 2, 0.5), (1, 2, 0.5)]
    assert average_linkage([0, 1, 2], edges, 0.35) == [[0, 1, 2]]


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
def test_optimal_bands_is_datasketchs_choice(num_perm):
    from datasketch.lsh import _optimal_param  # the reference rule, private in datasketch

    from dupdetect.lsh import optimal_bands

    for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8):
        assert optimal_bands(t, num_perm) == tuple(_optimal_param(t, num_perm, 0.5, 0.5))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 300),
    undated=st.floats(0.0, 0.5),
    window=st.sampled_from([3600.0, 86400.0, 3 * 86400.0]),
)
def test_windowed_candidates_are_the_in_window_ones(seed, n, undated, window) -> None:
    """A window makes the LSH split buckets by time: the same pairs as without one, minus only
    pairs whose dates are further apart than the window."""
    from dupdetect.timewindow import outside_window

    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 4, size=(n, 16), dtype=np.uint32)  # few values: many collisions
    times = rng.uniform(0, 20 * 86400, size=n)
    times[rng.random(n) < undated] = np.nan
    eligible = rng.random(n) > 0.1
    full = candidate_pairs(sigs, 8, 2, eligible=eligible)
    full = full[~outside_window(times, window, full)]
    got = candidate_pairs(sigs, 8, 2, eligible=eligible, times=times, window=window)
    got = got[~outside_window(times, window, got)]
    assert {tuple(p) for p in got.tolist()} == {tuple(p) for p in full.tolist()}


@pytest.mark.parametrize("threshold", [0.0, 0.075, 0.2, 0.4])
def test_two_pass_estimate_filter_is_the_exact_one(threshold) -> None:
    """The low-byte pass only drops pairs the exact estimate would drop: pairs built with
    counts of equal values around the threshold, and with values that differ but share their
    low byte (the bound over-counts them: the exact pass must then decide)."""
    from dupdetect.lsh import estimate_at_least, estimated_jaccard_pairs

    rng = np.random.default_rng(5)
    n, k = 400, 128
    sig = rng.integers(0, 2**32, (n, k), dtype=np.uint64).astype(np.uint32)
    for r in range(1, n, 2):  # row r shares m values with row r-1, and some low bytes more
        m = int(rng.integers(0, 60))
        cols = rng.choice(k, m + 20, replace=False)
        sig[r, cols[:m]] = sig[r - 1, cols[:m]]
        fake = cols[m:]
        sig[r, fake] = (sig[r - 1, fake] & 0xFF) | (sig[r, fake] & 0xFFFFFF00)
        sig[r, fake] ^= np.uint32(0x100)  # the same low byte, another value
    pairs = np.array([[r - 1, r] for r in range(1, n, 2)] + [[0, r] for r in range(2, n)])
    want = estimated_jaccard_pairs(sig, pairs) >= threshold
    got = estimate_at_least(sig, pairs, threshold)
    assert np.array_equal(got, want)
    assert 0 < want.sum() < len(pairs) or threshold == 0.0
