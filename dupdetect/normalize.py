"""Arabic-first text normalization: text in, text out.

One pass of Unicode NFKC (presentation forms and ligatures such as ﻻ become base letters), Latin
case folding, then a single ``str.translate`` table that removes marks and folds letter variants,
then whitespace is collapsed. The table is built from pyarabic's character constants where pyarabic
names them, so the letters we fold are the ones Arabic NLP tooling agrees on.

The function is idempotent: ``normalize(normalize(t)) == normalize(t)`` for every string (a
property test checks it).  The README documents the table; :data:`NORMALIZATION_TABLE` is the
machine-readable version of it.
"""

from __future__ import annotations

import re
import unicodedata

import pyarabic.araby as araby

__all__ = ["normalize", "normalize_words", "NORMALIZATION_TABLE"]


def _chars(start: int, end: int) -> list[str]:
    return [chr(c) for c in range(start, end + 1)]


# --- what is deleted -----------------------------------------------------------------------
_DIACRITICS = sorted(
    set(araby.TASHKEEL)  # fathatan .. sukun, shadda
    | set(_chars(0x0653, 0x065F))  # madda above, hamza above/below, other marks
    | {araby.MINI_ALEF}  # superscript alef U+0670
    | set(_chars(0x0610, 0x061A))  # honorifics and small Quranic marks
    | set(_chars(0x06D6, 0x06DC))  # Quranic annotation signs
    | set(_chars(0x06DF, 0x06E4))
    | set(_chars(0x06E7, 0x06E8))
    | set(_chars(0x06EA, 0x06ED))
    | set(_chars(0x08D3, 0x08FF))  # extended Arabic marks (minus a few letters, harmless)
)
_TATWEEL = [araby.TATWEEL]
_INVISIBLE = (
    _chars(0x200B, 0x200F)  # zero-width space/non-joiner/joiner, LRM, RLM
    + _chars(0x202A, 0x202E)  # embeddings and overrides
    + _chars(0x2066, 0x2069)  # isolates
    + ["\u061c", "\ufeff", "\u00ad", "\u2060"]  # Arabic letter mark, BOM, soft hyphen, word joiner
)

# --- what is folded ------------------------------------------------------------------------
_LETTERS: dict[str, str] = {
    araby.ALEF_HAMZA_ABOVE: araby.ALEF,  # أ -> ا
    araby.ALEF_HAMZA_BELOW: araby.ALEF,  # إ -> ا
    araby.ALEF_MADDA: araby.ALEF,  # آ -> ا
    araby.ALEF_WASLA: araby.ALEF,  # ٱ -> ا
    araby.ALEF_MAKSURA: araby.YEH,  # ى -> ي
    araby.TEH_MARBUTA: araby.HEH,  # ة -> ه
    araby.WAW_HAMZA: araby.WAW,  # ؤ -> و
    araby.YEH_HAMZA: araby.YEH,  # ئ -> ي
    "\u06cc": araby.YEH,  # ی Persian yeh -> ي
    "\u06d2": araby.YEH,  # ے Urdu yeh barree -> ي
    "\u06a9": "\u0643",  # ک Persian keheh -> ك
    "\u06aa": "\u0643",  # ڪ swash kaf -> ك
    "\u06c1": araby.HEH,  # ہ heh goal -> ه
    "\u06be": araby.HEH,  # ھ heh doachashmee -> ه
    "\u06d5": araby.HEH,  # ە ae -> ه
    "\u06c0": araby.HEH,  # ۀ heh with yeh above -> ه
    "\u06c3": araby.HEH,  # ۃ teh marbuta goal -> ه
}
_DIGITS: dict[str, str] = {}
for _i in range(10):
    _DIGITS[chr(0x0660 + _i)] = str(_i)  # Arabic-Indic ٠..٩
    _DIGITS[chr(0x06F0 + _i)] = str(_i)  # Persian/Urdu ۰..۹
_PUNCT: dict[str, str] = {
    "\u060c": ",",  # ، Arabic comma
    "\u061b": ";",  # ؛ Arabic semicolon
    "\u061f": "?",  # ؟ Arabic question mark
    "\u066a": "%",  # ٪ Arabic percent
    "\u066b": ".",  # ٫ Arabic decimal separator
    "\u066c": ",",  # ٬ Arabic thousands separator
    "\u06d4": ".",  # ۔ Urdu full stop
    "\u00ab": '"',  # « »
    "\u00bb": '"',
    "\u201c": '"',  # “ ” „
    "\u201d": '"',
    "\u201e": '"',
    "\u2018": "'",  # ‘ ’
    "\u2019": "'",
    "\u2013": "-",  # – —
    "\u2014": "-",
}

_TABLE: dict[int, str | None] = {}
for _c in _DIACRITICS + _TATWEEL + _INVISIBLE:
    _TABLE[ord(_c)] = None
for _src, _dst in {**_LETTERS, **_DIGITS, **_PUNCT}.items():
    _TABLE[ord(_src)] = _dst

#: Human-readable table: (what, maps to). The README shows the same rows.
NORMALIZATION_TABLE: list[tuple[str, str]] = [
    ("presentation forms, ligatures (ﻻ ﷲ ﺍ …), full-width forms", "NFKC base letters"),
    ("Latin letters", "case-folded (A -> a)"),
    ("harakat, tanwin, shadda, sukun, superscript alef, Quranic marks", "removed"),
    ("tatweel ـ", "removed"),
    ("zero-width chars, LRM/RLM/ALM, bidi embeddings/isolates, BOM, soft hyphen", "removed"),
    ("أ إ آ ٱ", "ا"),
    ("ى ئ ی ے", "ي"),
    ("ة ہ ھ ە ۀ ۃ", "ه"),
    ("ؤ", "و"),
    ("ک ڪ", "ك"),
    ("Arabic-Indic digits ٠-٩ and Persian digits ۰-۹", "0-9"),
    ("، ؛ ؟ ٪ ٫ ٬ ۔", ", ; ? % . , ."),
    ("« » “ ” „ ‘ ’ – —", '" " " " " \' \' - -'),
    ("any run of whitespace (incl. CR/LF, NBSP)", "one space; trimmed"),
]

# str.translate with a dict table costs ~100 ns per character in CPython. Instead: one regex
# pass deletes the marks (C speed), and str.replace runs only for the few mapped characters that
# the text actually contains (a membership test is a fast C scan).
_DELETE_RE = re.compile(
    "[" + "".join(re.escape(chr(c)) for c, v in sorted(_TABLE.items()) if v is None) + "]+"
)
_REPLACE: tuple[tuple[str, str], ...] = tuple(
    (chr(c), v) for c, v in sorted(_TABLE.items()) if v is not None
)


def _fold(text: str) -> str:
    text = _DELETE_RE.sub("", text)
    for src, dst in _REPLACE:
        if src in text:
            text = text.replace(src, dst)
    return text


def _once(text: str, collapse: bool) -> tuple[str, bool]:
    """One pass of NFKC, case folding and the table; also whether the result is known to be
    case-folded already (so :func:`_normalize` need not fold it again to check)."""
    # NFKC maps a no-break space to a space; doing that first lets NFKC's quick check pass
    # (and return at once) on most scraped pages, where NBSP is the only character it changes
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    text = unicodedata.normalize("NFKC", text).casefold()
    # Case folding is idempotent code point by code point (tests check every code point), and
    # the table only deletes characters or maps them to folded ones: when NFKC leaves the folded
    # text alone, the result is case-folded. Else casefold can produce sequences that NFKC
    # composes; compose again before folding, and let the caller check.
    caseless = True
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
        caseless = False
    text = _fold(text)
    # str.split() splits on exactly the characters str.isspace() accepts, as re's \s does,
    # and is ~10x faster than a regex substitution with one match per word.
    return (" ".join(text.split()) if collapse else text), caseless


def _normalize(text: str, collapse: bool) -> str:
    if not isinstance(text, str):
        raise TypeError(
            f"normalize() takes a str, got {type(text).__name__}; decode bytes first "
            "(for example data.decode('utf-8')) or use dupdetect.io.decode_bytes()"
        )
    out, caseless = _once(text, collapse)
    # Deleting a mark can bring two characters together that NFKC composes (rare, but the
    # property test finds them); iterate to the fixed point so the function is idempotent.
    for _ in range(4):
        if unicodedata.is_normalized("NFKC", out) and (caseless or out == out.casefold()):
            break
        again, caseless = _once(out, collapse)
        if again == out:
            break
        out = again
    return out


def normalize(text: str) -> str:
    """Return ``text`` normalized for matching (see the module docstring and README table).

    Raises ``TypeError`` when ``text`` is not a ``str``.
    """
    return _normalize(text, True)


def normalize_words(text: str) -> str:
    """:func:`normalize` without collapsing whitespace: the same words in the same order
    (whitespace only separates words, and nothing composes across it), for callers that only
    split the text into words (:func:`dupdetect.features.prepare`); a pass over the text less.

    Raises ``TypeError`` when ``text`` is not a ``str``.
    """
    return _normalize(text, False)
