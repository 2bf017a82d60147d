from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHashLSH

from dupdetect.features import prepare
from dupdetect.shingle import shingle_many, shingles
from dupdetect.signature import EMPTY, estimate_jaccard, sign, sign_many, to_datasketch

TEXT = "وزير الصحه يفتتح مستشفي المنصوريه العام بسعه 320 سريرا"


def test_shingles_pinned_values() -> None:
    # Pinned: a change here changes every signature ever saved (bump FORMAT_VERSION).
    h = shingles("abcdef", 5, seed=1)
    assert h.dtype == np.uint32
    assert h.tolist() == sorted(shingle_many(["abcdef"], 5, 1)[0].tolist())
    assert len(h) == 2
    assert shingles("abcdef", 5, seed=1).tolist() != shingles("abcdef", 5, seed=2).tolist()


def test_same_signature_in_another_process() -> None:
    code = (
        "from dupdetect.shingle import shingles; from dupdetect.signature import sign;"
        f"print(sign(shingles({TEXT!r})).tolist())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(sign(shingles(TEXT)).tolist())


def test_batch_equals_single() -> None:
    texts = ["", "ab", TEXT, TEXT[::-1], "x" * 3, TEXT * 3]
    values, offsets = shingle_many(texts, 5)
    for i, t in enumerate(texts):
        assert sorted(values[offsets[i] : offsets[i + 1]].tolist()) == sorted(
            shingle_many([t], 5)[0].tolist()
        )
    sigs = sign_many(values, offsets)
    for i, t in enumerate(texts):
        assert np.array_equal(sigs[i], sign(shingles(t)))


def test_short_and_empty() -> None:
    assert shingles("", 5).size == 0
    assert shingles("ab", 5).size == 1  # padded to one shingle
    assert (sign(shingles("")) == EMPTY).all()
    s = sign(shingles("ab"))
    assert (s != EMPTY).all()  # densified from the single non-empty bin
    assert estimate_jaccard(sign(shingles("")), sign(shingles(""))) == 0.0  # empty never matches


def test_estimate_tracks_exact_jaccard(stories) -> None:
    texts = [" ".join(prepare(t)) for t in stories.values()]
    errs = []
    for a in texts[:8]:
        for b in texts[:8]:
            sa, sb = shingles(a), shingles(b)
            exact = len(np.intersect1d(sa, sb)) / len(np.union1d(sa, sb))
            errs.append(abs(estimate_jaccard(sign(sa), sign(sb)) - exact))
    assert np.mean(errs) < 0.03
    assert max(errs) < 0.15


def test_datasketch_lsh_accepts_signatures(stories) -> None:
    names = sorted(stories)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sigs = {n: sign(shingles(" ".join(prepare(stories[n])))) for n in names}
    for n in names:
        lsh.insert(n, to_datasketch(sigs[n]))
    found = lsh.query(to_datasketch(sigs["f1_wataniya_floods"]))
    assert "f1_wataniya_floods" in found and "f2_alyawm_floods" in found
    assert "k2_sports_marathon" not in found


def test_estimate_length_mismatch() -> None:
    with pytest.raises(ValueError, match="num_perm"):
        estimate_jaccard(np.zeros(4, np.uint32), np.zeros(8, np.uint32))
