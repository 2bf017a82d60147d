"""Variants of the library for eval_quality.py, and the monkeypatching that applies them.

    with active(BY_NAME["ct0.05"]) as settings:   # patches in, Settings out
        ... dupdetect.cluster(..., settings=settings) ...
                                                  # everything restored on exit

################################################################################################
# MONKEYPATCHING LIVES HERE AND NOWHERE ELSE.                                                 #
# Options that Settings has (threshold, candidate_threshold, ngram, min_terms, prefilter) are  #
# passed as Settings. Everything else (score weights, stemmer affixes) has no                 #
# hook in the library yet, so active() swaps module attributes of dupdetect.features,         #
# .pipeline, .grouping, .similarity and .terms for a variant and restores them after.        #
# It reaches private names on purpose (a benchmark of internals); a real scoring hook comes   #
# with the score change, and then this module shrinks to the Settings part.                   #
################################################################################################

Patches with default values are identical to the library, so ``defaults`` measures the library
as shipped. Expensive, variant-independent work (tokenizing 31k articles) is memoized per
tokenizer, so many variants fit in one run; featurizing runs in one process (the patches live
in this one).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import numpy as np

from dupdetect import Settings

__all__ = ["NumberRule", "number_set", "Variant", "VARIANTS", "BY_NAME", "active", "current"]

features = import_module("dupdetect.features")
pipeline = import_module("dupdetect.pipeline")
grouping = import_module("dupdetect.grouping")
terms = import_module("dupdetect.terms")
simmod = import_module("dupdetect.similarity")


# --------------------------------------------------------------------------------------------
# Number conflicts (issue #13, ANS gap): measured by benchmarks/cv_numbers.py
@dataclass(frozen=True)
class NumberRule:
    """Score x (1 - lam) when both documents name numbers and share none.

    A number is a content term of ASCII digits (normalization folds Arabic-Indic digits; the
    term stage drops one-character words, so single digits never reach it)."""

    lam: float
    first: int | None = None  # only numbers among the first ``first`` content terms
    years: bool = True  # False: 1900..2100 do not count (a date, not a count)
    min_each: int = 1  # both documents must name at least this many distinct numbers
    prefixed: bool = False  # also و12 / ب900 / ال7 (a clitic glued to the digits)


_PREFIXED = re.compile(r"^(?:ال|[وبلفك])?([0-9]+)$")
_DIGITS = re.compile(r"^([0-9]+)$")


def number_set(terms: list[str], rule: NumberRule) -> frozenset[str]:
    """The numbers ``rule`` counts in one document's content terms."""
    pat = _PREFIXED if rule.prefixed else _DIGITS
    out = set()
    for t in terms if rule.first is None else terms[: rule.first]:
        m = pat.match(t)
        if m and (rule.years or not (len(m[1]) == 4 and 1900 <= int(m[1]) <= 2100)):
            out.add(m[1])
    return frozenset(out)


def number_conflict(a: frozenset[str], b: frozenset[str], rule: NumberRule) -> bool:
    """Whether the rule fires on two documents' number sets."""
    return len(a) >= rule.min_each and len(b) >= rule.min_each and not (a & b)


# --------------------------------------------------------------------------------------------
# Variants
@dataclass
class Variant:
    name: str
    why: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # Settings options
    prefilter: float | None = None  # Settings(prefilter=...)
    w_uni: float = 0.5  # score = w_uni * unigram cosine + (1 - w_uni) * bigram cosine
    sublinear: bool = False  # 1 + log(count) instead of count
    lead: tuple[int, float] | None = None  # (first n content terms, weight of each occurrence)
    containment: float = 0.0  # score = max(score, alpha * bigram containment of the shorter)
    prefixes: tuple[str, ...] | None = None
    suffixes: tuple[str, ...] | None = None
    window: str | None = None  # cluster_texts(window=...) with SaudiNewsNet's date_extracted
    numbers: NumberRule | None = None  # the number-conflict factor (cv_numbers.py)

    def settings(self) -> Settings:
        # the prefilter is a real Settings option (it applies to StoryIndex and Spark too)
        extra = {} if self.prefilter is None else {"prefilter": self.prefilter}
        return Settings.from_options(None, **self.options, **extra)

    @property
    def feature_key(self) -> tuple:
        return (self.sublinear, self.lead, self.containment > 0, self.token_key)

    @property
    def token_key(self) -> tuple:
        return (self.prefixes, self.suffixes)


_BASE_PREFIXES = terms.PREFIXES
_BASE_SUFFIXES = terms.SUFFIXES

VARIANTS: list[Variant] = [
    Variant("defaults", "the library as shipped"),
    Variant("ct0.05", "LSH aims at looser rewrites", {"candidate_threshold": 0.05}),
    Variant(
        "th0.2+ct0.05",
        "the ECB+ setting quoted in the quality issue",
        {"threshold": 0.2, "candidate_threshold": 0.05},
    ),
    Variant("ct0.1", "", {"candidate_threshold": 0.1}),
    Variant("ct0.2", "", {"candidate_threshold": 0.2}),
    Variant("ct0.3", "", {"candidate_threshold": 0.3}),
    Variant("prefilter0", "no MinHash prefilter: every LSH pair is verified", prefilter=0.0),
    Variant("prefilter1", "prefilter at the full candidate threshold", prefilter=1.0),
    Variant("th0.30", "", {"threshold": 0.30}),
    Variant("th0.40", "", {"threshold": 0.40}),
    Variant("min_terms3", "", {"min_terms": 3}),
    Variant("min_terms10", "", {"min_terms": 10}),
    Variant("sublinear", "1+log(tf): repeated names weigh less", sublinear=True),
    Variant("uni0.7", "0.7 unigram + 0.3 bigram cosine", w_uni=0.7),
    Variant("uni1.0", "unigram cosine only", w_uni=1.0),
    Variant("lead30x2", "first 30 content terms (title + lead) count twice", lead=(30, 2.0)),
    Variant("containment", "max(score, 0.5 * bigram containment of the shorter)", containment=0.5),
    Variant(
        "stem+",
        "more suffixes (ية ان تين يه) and single-letter و/ف/ب/ل before 4+ letters",
        prefixes=_BASE_PREFIXES + ("و", "ف", "ب", "ل"),
        suffixes=("تين", "ات", "ون", "ين", "ان", "ية", "يه", "ها", "هم", "ه"),
    ),
    Variant("stem-", "no suffix stripping", suffixes=()),
    Variant("ngram4", "4-char shingles of the term stream: rewrites share more", {"ngram": 4}),
    Variant("ngram4+ct0.1", "", {"ngram": 4, "candidate_threshold": 0.1}),
    Variant("ct0.1+pf0.25", "", {"candidate_threshold": 0.1}, prefilter=0.25),
    Variant("ct0.05+pf1", "", {"candidate_threshold": 0.05}, prefilter=1.0),
    Variant("ct0.1+th0.33", "", {"candidate_threshold": 0.1, "threshold": 0.33}),
    Variant("ct0.1+containment", "", {"candidate_threshold": 0.1}, containment=0.5),
    Variant("pf0.75", "prefilter at 0.75 x candidate_threshold", prefilter=0.75),
    Variant("window48h", "publication-time window 48 h (SaudiNewsNet: crawl time)", window="48h"),
    Variant("window24h", "publication-time window 24 h (SaudiNewsNet: crawl time)", window="24h"),
    # number conflicts (cv_numbers.py): the best-ANS point of each rule on all dev data;
    # cross-validation chose lam 0 (no rule) for all numbers, -years and min2
    Variant("num0.7", "numbers named, none shared: score x 0.3", numbers=NumberRule(0.7)),
    Variant(
        "num0.7-years",
        "as num0.7, years 1900-2100 not counted",
        numbers=NumberRule(0.7, years=False),
    ),
    Variant(
        "num0.2-first30",
        "numbers among the first 30 content terms (title + lead), none shared: x 0.8",
        numbers=NumberRule(0.2, first=30),
    ),
    Variant(
        "num0.7-min2",
        "as num0.7, at least two numbers in each",
        numbers=NumberRule(0.7, min_each=2),
    ),
]
BY_NAME = {v.name: v for v in VARIANTS}


# --------------------------------------------------------------------------------------------
# Patched scoring (identical to the library when the variant has default values)
_ACTIVE: Variant = VARIANTS[0]
_orig_term_vector = features.term_vector
_orig_bigram_vector = features.bigram_vector
_orig_featurize_terms = features.featurize_terms
_orig_prepare = features.prepare


_EMPTY = features.TermVector(np.zeros(0, np.uint32), np.zeros(0, np.float32))
_term_id = features._term_ids.__getitem__


def _to_vector(counts: Counter) -> Any:
    """Unit vector of (possibly weighted) counts, as the library's vectors are built."""
    ids = np.array(sorted(counts), dtype=np.uint32)
    w = np.array([counts[int(i)] for i in ids], dtype=np.float64)
    w /= np.sqrt(np.dot(w, w))
    return features.TermVector(ids, w.astype(np.float32))


def _weighted_counts(keys: list[int]) -> Counter:
    v = _ACTIVE
    c: Counter = Counter()
    if v.lead is None:
        c.update(keys)
    else:
        n, w = v.lead
        for i, k in enumerate(keys):
            c[k] += w if i < n else 1.0
    if v.sublinear:
        for k, x in c.items():
            c[k] = 1.0 + math.log(x) if x >= 1 else x
    return c


def _term_vector(terms):
    v = _ACTIVE
    if not v.sublinear and v.lead is None:
        return _orig_term_vector(terms)
    if not terms:
        return _EMPTY
    return _to_vector(_weighted_counts([_term_id(t) for t in terms]))


def _bigram_keys(terms) -> list[int]:
    ids = [_term_id(t) for t in terms]
    return [((a * 0x9E3779B1) ^ (b + 0x7F4A7C15)) & 0xFFFFFFFF for a, b in zip(ids, ids[1:])]


def _bigram_vector(terms):
    v = _ACTIVE
    if not v.sublinear and v.lead is None:
        return _orig_bigram_vector(terms)
    if len(terms) < 2:
        return _EMPTY
    return _to_vector(_weighted_counts(_bigram_keys(terms)))


def _raw_bigram_matrix(term_lists) -> tuple[Any, np.ndarray]:
    vecs, totals = [], []
    for t in term_lists:
        keys = _bigram_keys(t)
        c = Counter(keys)
        ids = np.fromiter(c.keys(), np.uint32, len(c))
        w = np.fromiter(c.values(), np.float64, len(c))
        o = np.argsort(ids)
        vecs.append(features.TermVector(ids[o], w[o].astype(np.float32)))
        totals.append(len(keys))
    return features.TermMatrix.from_vectors(vecs), np.asarray(totals, np.float64)


def _min_overlap(m, pairs: np.ndarray) -> np.ndarray:
    """sum_t min(count_a[t], count_b[t]) per pair (same merge as TermMatrix.cosines)."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs))
    lens_all = np.diff(m.offsets)
    for s in range(0, len(pairs), 50_000):
        p = pairs[s : s + 50_000]
        k = len(p)
        la, lb = lens_all[p[:, 0]], lens_all[p[:, 1]]
        ia, ib = (
            features.row_ranges(m.offsets[p[:, 0]], la),
            features.row_ranges(m.offsets[p[:, 1]], lb),
        )
        pa = np.repeat(np.arange(k, dtype=np.uint64), la)
        pb = np.repeat(np.arange(k, dtype=np.uint64), lb)
        ka = (pa << np.uint64(32)) | m.ids[ia].astype(np.uint64)
        kb = (pb << np.uint64(32)) | m.ids[ib].astype(np.uint64)
        if ka.size == 0:
            continue
        pos = np.searchsorted(ka, kb)
        pos_c = np.minimum(pos, ka.size - 1)
        hit = (pos < ka.size) & (ka[pos_c] == kb)
        mn = np.minimum(m.weights[ia][pos_c[hit]], m.weights[ib][hit])
        out[s : s + k] = np.bincount(pb[hit].astype(np.int64), weights=mn, minlength=k)
    return out


def _containment(F, pairs: np.ndarray) -> np.ndarray:
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    mat, tot = F._raw_bigrams
    shorter = np.minimum(tot[pairs[:, 0]], tot[pairs[:, 1]])
    c = _min_overlap(mat, pairs) / np.maximum(shorter, 1)
    c[shorter < 20] = 0.0  # too short to say "contained"
    return c


def _features_similarities(self, pairs):
    v = _ACTIVE
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    s = v.w_uni * self.unigrams.cosines(pairs)
    if v.w_uni < 1.0:
        s = s + (1.0 - v.w_uni) * self.bigrams.cosines(pairs)
    if v.containment > 0 and len(pairs):
        s = np.maximum(s, v.containment * _containment(self, pairs)).astype(np.float32)
    if v.numbers is not None and len(pairs):
        nums, rule = self._numbers, v.numbers
        hit = [number_conflict(nums[i], nums[j], rule) for i, j in pairs.tolist()]
        s = np.where(hit, s * np.float32(1.0 - rule.lam), s).astype(np.float32)
    return s


def _profile_similarity(self, other):
    v = _ACTIVE
    s = v.w_uni * self.unigrams.dot(other.unigrams)
    if v.w_uni < 1.0:
        s += (1.0 - v.w_uni) * self.bigrams.dot(other.bigrams)
    if v.containment > 0:
        ta, tb = getattr(self, "_terms", None), getattr(other, "_terms", None)
        if ta is not None and tb is not None:
            F = _featurize_terms([ta, tb], Settings())
            s = max(s, float(v.containment * _containment(F, np.array([[0, 1]]))[0]))
    if v.numbers is not None:
        rule = v.numbers
        na, nb = (number_set(getattr(p, "_terms", []), rule) for p in (self, other))
        if number_conflict(na, nb, rule):
            s *= 1.0 - rule.lam
    return s


def _pair_score(a, b):
    return a.similarity(b)  # the (patched) Profile.similarity


_orig_profile_of = features.Profile.of.__func__


def _profile_of(cls, terms):
    p = _orig_profile_of(cls, terms)
    object.__setattr__(p, "_terms", list(terms))
    return p


def _featurize_terms(term_lists, settings):
    F = _orig_featurize_terms(term_lists, settings)
    if _ACTIVE.containment > 0:
        F._raw_bigrams = _raw_bigram_matrix(term_lists)
    if _ACTIVE.numbers is not None:
        F._numbers = [number_set(list(t), _ACTIVE.numbers) for t in term_lists]
    return F


_PREPARE_CACHE: dict[tuple, dict[tuple[str, bool], list[str]]] = defaultdict(dict)


def _prepare(text, *, clean=True):
    cache = _PREPARE_CACHE[_ACTIVE.token_key]
    key = (text, clean)
    got = cache.get(key)
    if got is None:
        got = _orig_prepare(text, clean=clean)
        cache[key] = got
    return list(got)


_orig_term_matrices = features.term_matrices


def _term_matrices(term_lists):
    # the library builds a batch's matrices in numpy; weighting variants need the per-doc path
    if _ACTIVE.sublinear or _ACTIVE.lead:
        return (
            features.TermMatrix.from_vectors([_term_vector(t) for t in term_lists]),
            features.TermMatrix.from_vectors([_bigram_vector(t) for t in term_lists]),
        )
    return _orig_term_matrices(term_lists)


@contextlib.contextmanager
def active(v: Variant) -> Iterator[Settings]:
    global _ACTIVE
    saved: list[tuple[Any, str, Any]] = []

    def put(obj: Any, name: str, value: Any) -> None:
        old = obj.__dict__[name] if isinstance(obj, type) else getattr(obj, name)
        saved.append((obj, name, old))
        setattr(obj, name, value)

    _ACTIVE = v
    try:
        put(features, "term_vector", _term_vector)
        put(features, "bigram_vector", _bigram_vector)
        put(features, "featurize_terms", _featurize_terms)
        put(features, "term_matrices", _term_matrices)
        put(features, "prepare", _prepare)
        put(simmod, "prepare", _prepare)
        put(simmod, "pair_score", _pair_score)  # similarity() then scores like the batch
        put(features.Features, "similarities", _features_similarities)
        put(features.Profile, "similarity", _profile_similarity)
        put(features.Profile, "of", classmethod(_profile_of))
        put(pipeline, "_BATCH", 10**9)  # one chunk, one process: the patches above apply
        if v.prefixes is not None:
            put(terms, "PREFIXES", v.prefixes)
        if v.suffixes is not None:
            put(terms, "SUFFIXES", v.suffixes)
        terms.stem.cache_clear()
        terms._TERMS.clear()  # word -> term cache depends on the stemmer
        yield v.settings()
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)
        terms.stem.cache_clear()
        terms._TERMS.clear()
        _ACTIVE = VARIANTS[0]


def current() -> Variant:
    """The variant :func:`active` applies now (``defaults`` outside it)."""
    return _ACTIVE
