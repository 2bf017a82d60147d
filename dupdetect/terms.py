"""Normalized text -> content terms: words minus function words, with light Arabic stemming.

Content terms feed both stages that compare documents:

* the character shingles (:mod:`dupdetect.shingle`) are taken over the content-term stream, so
  two reports do not look alike merely because both are written in Arabic (or English) and share
  function words, and clitic variants (والحكومة / الحكومة / للحكومة) give the same shingles;
* the verification score (:mod:`dupdetect.similarity`) is the cosine of content-term counts.

The stemmer is deliberately light (a prefix of conjunction/preposition + article, a few plural and
pronoun suffixes): it must be consistent, not linguistically complete. Words in non-Arabic scripts
are only case-folded (that happened in :func:`dupdetect.normalize.normalize`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import normalize

__all__ = ["words", "content_terms", "stem", "STOPWORDS", "PREFIXES", "SUFFIXES"]

# Written in everyday spelling; folded through normalize() below so they match normalized text.
_ARABIC_STOP = """
في من على إلى الى عن مع أن ان إن لأن لان أو او ثم بل لكن لكنه لكنها حتى إذا اذا إذ اذ كي لو
هذا هذه هذان هاتان هؤلاء ذلك تلك أولئك هنا هناك الذي التي الذين اللذين اللتين اللواتي اللاتي ما ماذا
من منذ لم لن لا ليس ليست قد لقد كان كانت يكون تكون كانوا يكونون وكان وكانت سوف سيكون
هو هي هم هن أنا انا نحن أنت انت أنتم انتم أنها انها أنه انه إنه انه إنها إنهم انهم
به بها بهم له لها لهم لنا منه منها منهم عنه عنها فيه فيها فيهم عليه عليها عليهم إليه اليه إليها اليها
كل بعض غير أي اي أية ايه أيضا ايضا كما مثل بين بعد قبل عند عندما حين حيث خلال ضد عبر حول دون
نحو لدى لدي وفق وفقا أمام امام وراء تحت فوق جميع كافة عدة عدد أكثر اكثر أقل اقل أول اول آخر اخر
قال وقال قالت وقالت يقول تقول أضاف واضاف وأضاف أضافت وأضافت أكد وأكد أكدت وأكدت أشار وأشار أشارت
وأشارت أوضح وأوضح أوضحت وأوضحت ذكر وذكر ذكرت وذكرت أعلن وأعلن أعلنت وأعلنت بحسب حسب وفقاً
وفي ومن وعلى وإلى والى وعن ومع وأن وان وهذا وهذه وذلك والتي والذي وهو وهي وقد ولم ولا وما وكما
فقد فإن فان فيما بينما كذلك لذلك وذلك إلا الا سواء أما اما إما اما يا
اليوم أمس امس غدا الآن الان العام عام الماضي المقبل الجاري
"""
_ENGLISH_STOP = """
a an the and or but if then else of in on at to for from by with without within into onto over under
about above below after before during since until upon via per as than that this these those there here
is are was were be been being am do does did doing done have has had having will would shall should can
could may might must not no nor only own same so too very just also more most other some such any each
few both all either neither it its it's itself he him his himself she her hers herself they them their
theirs themselves we us our ours ourselves you your yours yourself i me my mine myself who whom whose
which what when where why how said says say told according new one two year years week day today
yesterday tomorrow mr mrs ms
"""

#: Function words removed before shingling and scoring (normalized spelling).
STOPWORDS: frozenset[str] = frozenset(normalize(w) for w in (_ARABIC_STOP + _ENGLISH_STOP).split())

# A word: a run of letters/digits (\w), apostrophes inside English words kept out.
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# The same runs in a text without an underscore (the only \w character a word leaves out),
# and ~15% faster: one category test per character instead of a negated class.
_WORDS_NO_UNDERSCORE = re.compile(r"\w+")
_ARABIC_LETTER_RE = re.compile(r"[\u0621-\u064a]")

# Longest first. Only stripped when at least three letters remain.
PREFIXES = ("وبال", "وكال", "وال", "بال", "كال", "فال", "ولل", "لل", "ال")
SUFFIXES = ("ات", "ون", "ين", "ها", "هم", "ه")


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """Light, deterministic Arabic stem of one normalized word; other scripts unchanged."""
    if not _ARABIC_LETTER_RE.match(word):
        return word
    for p in PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 3:
            word = word[len(p) :]
            break
    for s in SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 3:
            word = word[: -len(s)]
            break
    return word


def words(normalized: str) -> list[str]:
    """Split already-normalized text into words (letters and digits)."""
    return (_WORD_RE if "_" in normalized else _WORDS_NO_UNDERSCORE).findall(normalized)


class _TermCache(dict[str, str]):
    """word -> its content term ("" for a function word or a one-letter token); bounded."""

    def __missing__(self, word: str) -> str:
        term = "" if len(word) < 2 or word in STOPWORDS else stem(word)
        if len(self) < 1_000_000:
            self[word] = term
        return term


_TERMS = _TermCache()


def content_terms(normalized: str) -> list[str]:
    """Words of ``normalized`` that carry content, stemmed, in text order.

    Function words (:data:`STOPWORDS`) and one-character tokens are dropped.
    """
    # filter(None, ...) drops the "" of function words in C (a list comprehension's test runs
    # in the interpreter: this line is a third of featurizing)
    return list(filter(None, map(_TERMS.__getitem__, words(normalized))))
