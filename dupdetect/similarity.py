"""The verification score of two texts, and what they share (for a human reader).

LSH only proposes pairs; every pair that reaches the clustering is re-scored with
:mod:`dupdetect.score` (which this module calls for two texts), and that score is what
``Clustering.pairs``, ``to_records()`` and :func:`similarity` report. It depends only on the two
texts (no corpus statistics), so a pair scores the same in any batch, in the incremental index
and on Spark.

Today the score is the mean of two cosines: of content-term counts (what the articles talk about)
and of counts of adjacent content-term pairs (how they say it, which separates two reports on the
same people from two reports of the same event). See README, "What the score means".
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from .boilerplate import strip_boilerplate
from .features import Profile, prepare
from .normalize import normalize
from .score import pair_score
from .terms import STOPWORDS, stem, words

__all__ = ["similarity", "explain", "Explanation"]


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a str (the article text), got {type(value).__name__}; "
            "read files with dupdetect.io.iter_inputs() or open(path, encoding=...).read()"
        )
    return value


def similarity(a: str, b: str) -> float:
    """Similarity of two article texts in [0, 1]: the score the clustering uses.

    Boilerplate is cut, the texts are normalized, and the result is the mean of the cosines of
    their content-term counts and of their adjacent-term-pair counts (README, "What the score
    means"). Symmetric; 1.0 for a text with itself (0.0 when a text has no content words at all).
    """
    ta = prepare(_check_text("a", a))
    tb = prepare(_check_text("b", b))
    if a == b and ta:
        return 1.0
    return pair_score(Profile.of(ta), Profile.of(tb))


@dataclass
class Explanation:
    """What two articles share, for a human reader."""

    score: float
    passages: list[str] = field(default_factory=list)  # shared runs of words, longest first
    shared_terms: list[tuple[str, int]] = field(default_factory=list)  # (word, min count)
    coverage_a: float = 0.0  # share of a's words inside shared passages
    coverage_b: float = 0.0
    #: the evidence of one event (or of two): numbers and weekdays both texts name, the ones
    #: only one names, and the rare terms (names, places: rarely used words) both share
    shared_numbers: list[str] = field(default_factory=list)
    numbers_only_a: list[str] = field(default_factory=list)
    numbers_only_b: list[str] = field(default_factory=list)
    weekdays_a: list[str] = field(default_factory=list)
    weekdays_b: list[str] = field(default_factory=list)
    shared_rare_terms: list[str] = field(default_factory=list)

    @property
    def weekday_conflict(self) -> bool:
        """Both texts name a weekday and none in common: a hint of two different events."""
        return bool(self.weekdays_a and self.weekdays_b) and not (
            set(self.weekdays_a) & set(self.weekdays_b)
        )

    def __str__(self) -> str:
        lines = [
            f"similarity {self.score:.3f}; shared passages cover "
            f"{self.coverage_a:.0%} of A and {self.coverage_b:.0%} of B"
        ]
        if self.passages:
            lines.append("shared passages:")
            lines += [f"  - {p}" for p in self.passages]
        if self.shared_terms:
            lines.append("shared words: " + ", ".join(f"{w}×{c}" for w, c in self.shared_terms))
        if self.shared_rare_terms:
            lines.append("shared rare names and terms: " + ", ".join(self.shared_rare_terms))
        if self.shared_numbers or self.numbers_only_a or self.numbers_only_b:
            only_a, only_b = _list(self.numbers_only_a), _list(self.numbers_only_b)
            lines.append(
                f"numbers: shared {_list(self.shared_numbers)}; only in A {only_a}; "
                f"only in B {only_b}"
            )
        if self.weekdays_a or self.weekdays_b:
            verdict = " (conflict: different days)" if self.weekday_conflict else ""
            lines.append(
                f"weekdays: A {_list(self.weekdays_a)}; B {_list(self.weekdays_b)}{verdict}"
            )
        return "\n".join(lines)


def _list(items: list[str]) -> str:
    return ", ".join(items) if items else "-"


# normalized weekday spellings (with the clitics and "يوم" a report puts before them) -> name
_WEEKDAY_NAMES = {
    "saturday": "السبت السبت saturday",
    "sunday": "الأحد الاحد sunday",
    "monday": "الاثنين الإثنين monday",
    "tuesday": "الثلاثاء tuesday",
    "wednesday": "الأربعاء الاربعاء wednesday",
    "thursday": "الخميس thursday",
    "friday": "الجمعة friday",
}
_WEEKDAYS = {
    normalize(pre + w): day
    for day, spellings in _WEEKDAY_NAMES.items()
    for w in spellings.split()
    for pre in ("", "و", "ب", "وب", "لل")
}
#: a shared term this rare (zipf frequency) is shown as a name or place the texts share
_RARE_ZIPF = 3.5


def _evidence(wa: list[str], raw_a: list[str], wb: list[str]) -> dict[str, list[str]]:
    """Numbers, weekdays and shared rare terms of two normalized word lists."""
    from .features import term_ids
    from .rarity import zipf

    na = list(dict.fromkeys(w for w in wa if w.isdigit()))
    nb_set = {w for w in wb if w.isdigit()}
    na_set = set(na)
    nb = list(dict.fromkeys(w for w in wb if w.isdigit()))
    days_a = list(dict.fromkeys(_WEEKDAYS[w] for w in wa if w in _WEEKDAYS))
    days_b = list(dict.fromkeys(_WEEKDAYS[w] for w in wb if w in _WEEKDAYS))
    shown: dict[str, str] = {}
    for w, token in zip(wa, raw_a):
        if len(w) > 1 and w not in STOPWORDS and not w.isdigit():
            shown.setdefault(stem(w), token.strip(_PUNCT))
    common = sorted(shown.keys() & {stem(w) for w in wb if len(w) > 1 and w not in STOPWORDS})
    rare = []
    if common:
        freq = zipf(term_ids(common))
        rare = [
            shown[t]
            for t, z in sorted(zip(common, freq.tolist()), key=lambda x: x[1])
            if z < _RARE_ZIPF
        ][:12]
    return {
        "shared_numbers": [n for n in na if n in nb_set],
        "numbers_only_a": [n for n in na if n not in nb_set],
        "numbers_only_b": [n for n in nb if n not in na_set],
        "weekdays_a": days_a,
        "weekdays_b": days_b,
        "shared_rare_terms": rare,
    }


_PUNCT = " ,.،؛:;\"'“”«»()"


def _aligned_words(text: str) -> tuple[list[str], list[str]]:
    """Normalized words of ``text`` and, for each, the original whitespace token it came from."""
    norm: list[str] = []
    raw: list[str] = []
    for token in text.split():
        for w in _token_words(token):
            norm.append(w)
            raw.append(token)
    return norm, raw


@lru_cache(maxsize=1 << 17)
def _token_words(token: str) -> tuple[str, ...]:
    """Normalized words of one whitespace token (cached: reports repeat most of their tokens)."""
    return tuple(words(normalize(token)))


def _raw_span(raw: list[str], start: int, end: int) -> str:
    """The original tokens behind normalized words ``start:end`` (each token once)."""
    out: list[str] = []
    for k in range(start, end):
        if k == start or raw[k] is not raw[k - 1]:
            out.append(raw[k])
    return " ".join(out).strip(_PUNCT)


def explain(a: str, b: str, *, min_words: int = 4, max_passages: int = 10) -> Explanation:
    """The overlapping passages, the main shared words and the evidence of one event (numbers,
    weekdays, rare names both name or not) of two articles.

    Passages are maximal runs of at least ``min_words`` consecutive words that both cleaned,
    normalized texts contain, in the order of ``a``, shown in ``a``'s original spelling.
    """
    if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 1:
        raise ValueError(f"min_words must be a positive int, got {min_words!r}")
    wa, raw_a = _aligned_words(strip_boilerplate(_check_text("a", a)))
    wb, _ = _aligned_words(strip_boilerplate(_check_text("b", b)))
    sm = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    blocks = [m for m in sm.get_matching_blocks() if m.size >= min_words]
    covered_a = sum(m.size for m in blocks)
    passages = sorted(blocks, key=lambda m: (-m.size, m.a))[:max_passages]
    passages.sort(key=lambda m: m.a)
    ca: Counter[str] = Counter()
    shown: dict[str, str] = {}  # stem -> the first original word of a that has it
    for w, token in zip(wa, raw_a):
        if len(w) > 1 and w not in STOPWORDS:
            t = stem(w)
            ca[t] += 1
            shown.setdefault(t, token.strip(_PUNCT))
    cb = Counter(stem(w) for w in wb if len(w) > 1 and w not in STOPWORDS)
    shared = sorted(
        ((shown[t], min(ca[t], cb[t])) for t in ca.keys() & cb.keys()),
        key=lambda x: (-x[1], x[0]),
    )[:15]
    return Explanation(
        score=similarity(a, b),
        passages=[_raw_span(raw_a, m.a, m.a + m.size) for m in passages],
        shared_terms=shared,
        coverage_a=covered_a / len(wa) if wa else 0.0,
        coverage_b=covered_a / len(wb) if wb else 0.0,
        **_evidence(wa, raw_a, wb),
    )
