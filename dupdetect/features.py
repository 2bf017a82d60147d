"""Documents -> everything the later stages need, in one place.

This is the single per-document implementation that :func:`dupdetect.cluster`, the incremental
:class:`dupdetect.StoryIndex` and the Spark job (per partition) all call:

    raw text --boilerplate--> story --normalize--> text --tokens--> content terms
        content terms --" ".join--> stream --shingle--> shingle hashes --signature--> MinHash
        content terms --count, L2-normalize--> unigram and bigram term vectors

This module holds the data; :mod:`dupdetect.score` says how the vectors become the verification
score (the methods here that score delegate to it).

A document with fewer than ``settings.min_terms`` content terms is marked ``short``: it gets no
signature in the LSH stage and is never grouped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from .boilerplate import strip_boilerplate
from .normalize import normalize_words
from .settings import Settings
from .shingle import shingle_many
from .signature import sign_many
from .terms import content_terms

__all__ = [
    "prepare",
    "term_ids",
    "TermVector",
    "Profile",
    "TermMatrix",
    "Features",
    "featurize",
    "featurize_terms",
    "term_vector",
    "bigram_vector",
    "row_ranges",
    "is_latin",
]


class _TermIds(dict[str, int]):
    """term -> 32-bit id (blake2b of its UTF-8); a dict so a whole list maps in one C loop."""

    def __missing__(self, term: str) -> int:
        tid = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "little")
        if len(self) < 4_000_000:  # bounded cache for never-ending streams
            self[term] = tid
        return tid


_term_ids = _TermIds()


def term_ids(terms: Sequence[str]) -> np.ndarray:
    """The 32-bit ids of ``terms`` (blake2b of the UTF-8; the ids every term vector uses)."""
    return np.fromiter(map(_term_ids.__getitem__, terms), dtype=np.uint32, count=len(terms))


_BIGRAM_MULT = np.uint64(0x9E3779B1)
_BIGRAM_ADD = np.uint64(0x7F4A7C15)
_MASK32 = np.uint64(0xFFFFFFFF)


def _bigram_ids(ids: np.ndarray) -> np.ndarray:
    """Ids of adjacent pairs of a uint64 id array (the same formula as on Python ints)."""
    return ((ids[:-1] * _BIGRAM_MULT) ^ (ids[1:] + _BIGRAM_ADD)) & _MASK32


def prepare(text: str, *, clean: bool = True) -> list[str]:
    """Content terms of one raw document (boilerplate cut when ``clean``, then normalized)."""
    if clean:
        text = strip_boilerplate(text)
    return content_terms(normalize_words(text))


@dataclass(frozen=True)
class TermVector:
    """Sparse unit vector of content-term counts: sorted term ids and their weights."""

    ids: np.ndarray  # uint32, sorted, unique
    weights: np.ndarray  # float32, L2 norm 1 (empty for a document without terms)

    def dot(self, other: TermVector) -> float:
        """Cosine with ``other`` (:func:`dupdetect.score.cosine`)."""
        from .score import cosine

        return cosine(self, other)


def term_vector(terms: Sequence[str]) -> TermVector:
    """Unit vector of content-term counts (term ids are 32-bit hashes of the terms)."""
    return term_matrices([terms])[0].row(0)


def bigram_vector(terms: Sequence[str]) -> TermVector:
    """Unit vector of counts of adjacent content-term pairs (word order, local phrasing)."""
    return term_matrices([terms])[1].row(0)


def _batch_matrix(keys: np.ndarray, doc: np.ndarray, n_docs: int) -> TermMatrix:
    """CSR unit count vectors from parallel arrays of (doc, term id), in one np.unique."""
    if keys.size == 0:
        return TermMatrix(
            np.zeros(0, np.uint32), np.zeros(0, np.float32), np.zeros(n_docs + 1, np.int64)
        )
    combined, counts = np.unique(
        (doc.astype(np.uint64) << np.uint64(32)) | keys, return_counts=True
    )
    row = (combined >> np.uint64(32)).astype(np.int64)
    ids = (combined & _MASK32).astype(np.uint32)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_docs), out=offsets[1:])
    return TermMatrix(ids, _unit_weights(counts, row, n_docs), offsets)


def _unit_weights(counts: np.ndarray, row: np.ndarray, n_docs: int) -> np.ndarray:
    """Counts scaled to unit length per row, float32 (the norm a sequential float64 sum, as
    ``bincount`` adds: ``np.sum`` would add pairwise and round apart)."""
    w = counts.astype(np.float64)
    w /= np.sqrt(np.bincount(row, weights=w * w, minlength=n_docs))[row]
    return w.astype(np.float32)


def _one_row(keys: np.ndarray) -> TermMatrix:
    """:func:`_batch_matrix` of one document's term ids (no document numbers to carry)."""
    if keys.size == 0:
        return _batch_matrix(keys, keys.astype(np.int64), 1)
    ids, counts = np.unique(keys, return_counts=True)
    weights = _unit_weights(counts, np.zeros(ids.size, dtype=np.int64), 1)
    return TermMatrix(ids.astype(np.uint32), weights, np.array([0, ids.size], dtype=np.int64))


def term_matrices(term_lists: Sequence[Sequence[str]]) -> tuple[TermMatrix, TermMatrix]:
    """Unigram and bigram term matrices of many documents; row ``i`` equals
    ``term_vector(term_lists[i])`` / ``bigram_vector(term_lists[i])``."""
    n = len(term_lists)
    if n == 1:  # one document (StoryIndex.add, Profile.of): no document numbers to carry
        ids = np.fromiter(
            map(_term_ids.__getitem__, term_lists[0]), dtype=np.uint64, count=len(term_lists[0])
        )
        return _one_row(ids), _one_row(_bigram_ids(ids) if ids.size >= 2 else ids[:0])
    lens = np.fromiter((len(t) for t in term_lists), dtype=np.int64, count=n)
    total = int(lens.sum())
    flat = np.fromiter(
        map(_term_ids.__getitem__, chain.from_iterable(term_lists)), dtype=np.uint64, count=total
    )
    doc = np.repeat(np.arange(n, dtype=np.int64), lens)
    uni = _batch_matrix(flat, doc, n)
    # a bigram joins positions k and k+1 of one document: drop the pairs across documents
    if total >= 2:
        same = doc[:-1] == doc[1:]
        bi = _batch_matrix(_bigram_ids(flat)[same], doc[:-1][same], n)
    else:
        bi = _batch_matrix(np.zeros(0, np.uint64), np.zeros(0, np.int64), n)
    return uni, bi


@dataclass(frozen=True)
class Profile:
    """What the verification score compares: unigram and bigram term vectors of one document,
    and whether it is Latin-script (which threshold cuts it; not stored with a saved record,
    where it is only needed while the record is being assigned)."""

    unigrams: TermVector
    bigrams: TermVector
    latin: bool = False

    @classmethod
    def of(cls, terms: Sequence[str]) -> Profile:
        unigrams, bigrams = term_matrices([terms])
        return cls(unigrams.row(0), bigrams.row(0), is_latin(terms))

    def similarity(self, other: Profile) -> float:
        """The verification score with ``other``, in [0, 1] (:func:`dupdetect.score.pair_score`)."""
        from .score import pair_score

        return pair_score(self, other)


def row_ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + l) for each (s, l), vectorized."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)


@dataclass
class TermMatrix:
    """Unit term vectors of many documents (CSR): row ``i`` is ``[offsets[i]:offsets[i+1]]``."""

    ids: np.ndarray  # uint32, sorted within each row
    weights: np.ndarray  # float32
    offsets: np.ndarray  # int64, len n + 1

    @classmethod
    def from_vectors(cls, vecs: Sequence[TermVector]) -> TermMatrix:
        lens = np.fromiter((v.ids.size for v in vecs), dtype=np.int64, count=len(vecs))
        offsets = np.zeros(len(vecs) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        ids = np.concatenate([v.ids for v in vecs]) if vecs else np.zeros(0, np.uint32)
        w = np.concatenate([v.weights for v in vecs]) if vecs else np.zeros(0, np.float32)
        return cls(ids.astype(np.uint32), w.astype(np.float32), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> TermVector:
        """Row ``i`` as a :class:`TermVector`."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return TermVector(self.ids[a:b], self.weights[a:b])

    def take(self, rows: np.ndarray) -> TermMatrix:
        """A new matrix of the given rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, lens = self.offsets[rows], np.diff(self.offsets)[rows]
        idx = row_ranges(starts, lens)
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        return TermMatrix(self.ids[idx], self.weights[idx], offsets)

    def cosines(self, pairs: np.ndarray, chunk: int = 2048) -> np.ndarray:
        """Cosine of each ``(i, j)`` row pair, float32 in [0, 1] (:func:`.score.cosines`)."""
        from .score import cosines

        return cosines(self, pairs, chunk)


@dataclass
class Features:
    """Column-oriented features of a batch of documents (row ``i`` is document ``i``)."""

    unigrams: TermMatrix
    bigrams: TermMatrix
    n_terms: np.ndarray  # int64: content terms per document
    signatures: np.ndarray  # (n, num_perm) uint32; rows of short documents are EMPTY
    short: np.ndarray  # bool: fewer than settings.min_terms content terms; never grouped
    latin: np.ndarray  # bool: content terms mostly in Latin script (settings.threshold_for)

    def __len__(self) -> int:
        return len(self.n_terms)

    def similarities(self, pairs: np.ndarray) -> np.ndarray:
        """The verification score of each ``(i, j)`` row pair, float32
        (:func:`dupdetect.score.pair_scores`)."""
        from .score import pair_scores

        return pair_scores(self, pairs)


def featurize(texts: Sequence[str], settings: Settings, *, clean: bool = True) -> Features:
    """Features of many raw documents at once (see the module docstring)."""
    term_lists = [prepare(t, clean=clean) for t in texts]
    return featurize_terms(term_lists, settings)


def featurize_terms(term_lists: Sequence[Sequence[str]], settings: Settings) -> Features:
    """Features from already-prepared content terms (see :func:`prepare`)."""
    n_terms = np.fromiter((len(t) for t in term_lists), dtype=np.int64, count=len(term_lists))
    short = n_terms < settings.min_terms
    joined = [" ".join(t) for t in term_lists]
    streams = [j if not s else "" for j, s in zip(joined, short.tolist())]
    values, offsets = shingle_many(streams, settings.ngram, settings.seed)
    signatures = sign_many(values, offsets, settings.num_perm, settings.seed)
    unigrams, bigrams = term_matrices(term_lists)
    return Features(
        unigrams=unigrams,
        bigrams=bigrams,
        n_terms=n_terms,
        signatures=signatures,
        short=short,
        latin=np.fromiter(map(_is_latin_text, joined), dtype=bool, count=len(joined)),
    )


_NOT_LETTERS = b"0123456789 "


def is_latin(terms: Sequence[str]) -> bool:
    """Whether more than half of the letters of ``terms`` are ASCII (English and the like).

    Content terms are normalized and case-folded, so ASCII letters are Latin letters; digits do
    not count either way."""
    return _is_latin_text(" ".join(terms))


def _is_latin_text(text: str) -> bool:
    """:func:`is_latin` of terms already joined by single spaces."""
    if text.isascii():  # every letter is ASCII: Latin unless there is no letter at all
        return bool(text.translate(_DROP_ASCII))
    ascii_only = text.encode("ascii", "ignore")
    ascii_letters = len(ascii_only.translate(None, _NOT_LETTERS))
    # spaces and ASCII digits are the ASCII characters that are not "letters" here
    letters = len(text) - (len(ascii_only) - ascii_letters)
    return letters > 0 and 2 * ascii_letters > letters


_DROP_ASCII = str.maketrans("", "", "0123456789 ")
