"""The compiled kernels (numba, the ``fast`` extra) give the numpy path's results bit for bit."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import numpy as np
import pytest

from dupdetect import _kernels as kernels
from dupdetect.features import featurize, term_matrices
from dupdetect.score import cosines
from dupdetect.settings import Settings


def _random_matrix(rng: np.random.Generator, n: int):
    # documents of 0..60 terms drawn from a small vocabulary: many shared ids, some empty rows
    lists = [
        [f"t{v}" for v in rng.integers(0, 90, size=int(rng.integers(0, 60)))] for _ in range(n)
    ]
    return term_matrices(lists)


def _numpy_cosines(monkeypatch: pytest.MonkeyPatch, matrix, pairs) -> np.ndarray:
    with monkeypatch.context() as m:
        m.setattr(kernels, "MIN_PAIRS", 10**12)  # never the kernel
        return cosines(matrix, pairs)


def test_merge_kernel_equals_numpy_bit_for_bit(monkeypatch: pytest.MonkeyPatch, stories) -> None:
    pytest.importorskip("numba", reason="numba is not installed (pip install 'dupdetect[fast]')")
    if kernels.merge_cosines() is None:
        pytest.skip("numba kernels are turned off (DUPDETECT_NUMBA=0)")
    rng = np.random.default_rng(7)
    cases = []
    for matrix in _random_matrix(rng, 300):
        cases.append((matrix, rng.integers(0, 300, size=(5000, 2))))
    f = featurize(list(stories.values()), Settings())
    n = len(f)
    iu, ju = np.triu_indices(n, k=0)  # a row with itself too
    for matrix in (f.unigrams, f.bigrams):
        cases.append((matrix, np.stack([iu, ju], axis=1)))
    monkeypatch.setattr(kernels, "MIN_PAIRS", 0)
    for matrix, pairs in cases:
        got = cosines(matrix, pairs)
        want = _numpy_cosines(monkeypatch, matrix, pairs)
        assert got.dtype == want.dtype == np.float32
        assert np.array_equal(got, want)
    assert cosines(cases[0][0], np.zeros((0, 2), np.int64)).size == 0
    with pytest.raises(IndexError):  # a row that does not exist: numpy's error, not a crash
        cosines(cases[0][0], np.array([[0, 1]] * 10 + [[0, 300]]))


def test_kernels_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "_loaded", {})
    monkeypatch.setenv("DUPDETECT_NUMBA", "0")
    assert kernels.merge_cosines() is None and not kernels.enabled()


def test_without_numba_the_numpy_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "_loaded", {})
    monkeypatch.delenv("DUPDETECT_NUMBA", raising=False)
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    assert kernels.merge_cosines() is None
    matrix = term_matrices([["ab", "cd"], ["ab", "ef"], []])[0]
    monkeypatch.setattr(kernels, "MIN_PAIRS", 0)
    got = cosines(matrix, np.array([[0, 1], [0, 2], [1, 1]]))
    assert np.allclose(got, [0.5, 0.0, 1.0])


def test_a_kernel_that_fails_to_compile_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def njit(**options):
        def wrap(func):
            def fails(*args):
                raise RuntimeError("no LLVM here")

            return fails

        return wrap

    monkeypatch.setattr(kernels, "_loaded", {})
    monkeypatch.delenv("DUPDETECT_NUMBA", raising=False)
    monkeypatch.setitem(sys.modules, "numba", types.SimpleNamespace(njit=njit))
    with pytest.warns(RuntimeWarning, match="could not be compiled"):
        assert kernels.merge_cosines() is None


def test_small_batches_do_not_load_numba(stories) -> None:
    # the README promises the sample, small batches and StoryIndex.add never pay numba's load
    code = (
        "import sys, json, dupdetect\n"
        "texts = json.loads(sys.stdin.read())\n"
        "dupdetect.cluster_texts(texts, progress=False)\n"
        "index = dupdetect.StoryIndex()\n"
        "for k, t in texts.items():\n"
        "    index.add(k, t)\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(stories),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
