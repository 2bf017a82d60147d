from __future__ import annotations

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
