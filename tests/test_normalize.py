from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dupdetect import normalize
from dupdetect.normalize import NORMALIZATION_TABLE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("مُحَمَّدٌ", "محمد"),  # harakat, shadda, tanwin
        ("كتـــاب", "كتاب"),  # tatweel
        ("أحمد إلى آخر ٱلكتاب", "احمد الي اخر الكتاب"),  # alef forms, ى -> ي
        ("مدرسة", "مدرسه"),  # ة -> ه
        ("مؤتمر رئيس", "موتمر رييس"),  # hamza carriers
        ("ﻻ ﷲ", "لا الله"),  # presentation forms and ligatures (NFKC)
        ("یک کتاب", "يك كتاب"),  # Persian yeh and keheh
        ("٢٠٢٣ و۱۴۰۲", "2023 و1402"),  # Arabic-Indic and Persian digits
        ("نعم، لا؛ لماذا؟", "نعم, لا; لماذا?"),  # Arabic punctuation
        ("Hello WORLD", "hello world"),  # Latin case
        ("a\u200bb\u200fc\u200ed\ufeff", "abcd"),  # zero-width and direction marks
        ("  سطر\r\nثان\t\u00a0ثالث  ", "سطر ثان ثالث"),  # whitespace
        ("وَٱلْقُرْآنِ ٱلْحَكِيمِ ۝ ۖ", "والقران الحكيم ۝"),  # Quranic marks removed
        ("", ""),
    ],
)
def test_table(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_table_is_documented() -> None:
    assert len(NORMALIZATION_TABLE) >= 10
    assert all(isinstance(a, str) and isinstance(b, str) for a, b in NORMALIZATION_TABLE)


def test_rejects_bytes_with_a_hint() -> None:
    with pytest.raises(TypeError, match="decode"):
        normalize(b"abc")  # type: ignore[arg-type]


@given(st.text())
def test_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


_ARABIC = st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), max_size=50)


@given(_ARABIC)
def test_idempotent_arabic_block(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_case_folding_is_idempotent_on_every_code_point() -> None:
    # normalize() skips its final casefold check when NFKC left the folded text alone: sound
    # only while folding a folded character changes nothing, and the table maps to folded ones
    for cp in range(0x110000):
        folded = chr(cp).casefold()
        assert folded.casefold() == folded, hex(cp)
    for cp in range(0x10000):  # every character the table maps is in the BMP
        folded = unicodedata.normalize("NFKC", chr(cp)).casefold()
        if unicodedata.is_normalized("NFKC", folded):  # where normalize() skips the check
            out = normalize(chr(cp))
            assert out == out.casefold(), hex(cp)


# whitespace of every kind, marks that compose, Arabic letters and marks, Latin with accents
_MIXED = st.text(
    alphabet=st.sampled_from(
        list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u3000\u200b\ufeff")
        + list("\u0301\u0308\u0327\u064b\u0651\u0653\u0654\u0670\u0640")
        + list("aAeEiIßſﬁ\u0130İ")
        + list("اأإآىيئةهؤوكکیلﻻ٣")
    ),
    max_size=40,
)


@given(st.one_of(st.text(), _MIXED))
def test_normalize_words_is_normalize_without_collapsing_spaces(text: str) -> None:
    from dupdetect.normalize import normalize_words
    from dupdetect.terms import content_terms

    kept = normalize_words(text)
    assert " ".join(kept.split()) == normalize(text)
    assert content_terms(kept) == content_terms(normalize(text))
