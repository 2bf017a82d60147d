"""One frozen, validated settings object for the whole pipeline, with a short fingerprint.

Settings hold values, not algorithms. The fingerprint is stored with anything saved (a StoryIndex
file, a Spark job's output) so that data built with other settings is refused, not mixed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any

__all__ = ["Settings", "FORMAT_VERSION"]

#: Bump when shingling, signing or scoring changes in a way that changes results.
FORMAT_VERSION = 2

#: The default of ``Settings.prefilter``: pairs whose MinHash estimate is below this fraction of
#: ``candidate_threshold`` are dropped before exact verification (cheap, vectorized; LSH at low
#: thresholds proposes many chance pairs). 0.75 was chosen by benchmarks/eval_quality.py
#: (RESULTS.md, "Prefilter fraction").
PREFILTER_FRACTION = 0.75
#: Components up to this size have every pair scored exactly before average linkage; larger ones
#: use the LSH-proposed pairs only (missing pairs count as 0).
DENSE_COMPONENT = 200


def _check_unit(name: str, value: object, *, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in (0, 1], got {type(value).__name__}")
    lo_ok = value >= 0 if allow_zero else value > 0
    if not (lo_ok and value <= 1):
        rng = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be in {rng}, got {value!r}; for example {name}=0.3")


def _check_int(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")


@dataclass(frozen=True)
class Settings:
    """How documents are compared and grouped.

    threshold
        Verified similarity (cosine of content-term counts, see README "What the score means") at
        or above which two documents may share a cluster; clusters are cut by average linkage at
        this value, so a cluster's members are on average at least this similar to each other.
    latin_threshold
        The threshold for two documents both written mostly in Latin script (English and the
        like), which share fewer content terms for the same story than Arabic reports do (no
        stemming beyond case folding); chosen by cross-validation over ECB+ dev topics
        (README "What the score means").
    candidate_threshold
        Estimated Jaccard similarity of character shingles that the LSH stage aims to catch; pairs
        well below it are rarely proposed. Lower finds more loose rewrites and costs more time.
    ngram
        Character n-gram size of the shingles.
    num_perm
        MinHash signature length (datasketch's ``num_perm``).
    seed
        Seed of the shingle and signature hashes; signatures with different seeds never match.
    prefilter
        Candidate pairs whose MinHash estimate is below ``prefilter * candidate_threshold`` are
        dropped before the exact score (0 keeps every LSH proposal).
    min_terms
        A document with fewer content terms than this is kept as a flagged singleton: it is too
        short to be compared reliably and is never grouped.
    """

    threshold: float = 0.35
    latin_threshold: float = 0.15
    candidate_threshold: float = 0.1
    ngram: int = 5
    num_perm: int = 128
    seed: int = 1
    min_terms: int = 5
    prefilter: float = PREFILTER_FRACTION

    def __post_init__(self) -> None:
        _check_unit("threshold", self.threshold)
        _check_unit("latin_threshold", self.latin_threshold)
        _check_unit("candidate_threshold", self.candidate_threshold)
        _check_int("ngram", self.ngram, 1, 32)
        _check_int("num_perm", self.num_perm, 8, 1024)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_int("min_terms", self.min_terms, 1, 10_000)
        _check_unit("prefilter", self.prefilter, allow_zero=True)

    @classmethod
    def from_options(cls, base: Settings | None = None, **options: Any) -> Settings:
        """``base`` (or defaults) with ``options`` replaced (None values are ignored); unknown
        names and a ``base`` that is not a Settings raise ``TypeError``."""
        if base is not None and not isinstance(base, Settings):
            raise TypeError(f"settings must be a dupdetect.Settings, got {type(base).__name__}")
        valid = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - valid)
        if unknown:
            raise TypeError(
                f"unknown option(s) {', '.join(unknown)}; "
                f"valid options are {', '.join(sorted(valid))}"
            )
        values = asdict(base) if base is not None else {}
        values.update({k: v for k, v in options.items() if v is not None})
        return cls(**values)

    @cached_property
    def lsh_params(self) -> tuple[int, int]:
        """(bands, rows) for the LSH stage (:func:`dupdetect.lsh.optimal_bands`, the choice
        datasketch's ``MinHashLSH`` makes for this threshold and ``num_perm``)."""
        from .lsh import optimal_bands

        return optimal_bands(self.candidate_threshold, self.num_perm)

    def threshold_for(self, latin: bool) -> float:
        """The threshold for documents of one script: ``latin_threshold`` when Latin."""
        return self.latin_threshold if latin else self.threshold

    @property
    def fingerprint(self) -> str:
        """Short stable id of everything that changes signatures or scores."""
        rules = {"dense": DENSE_COMPONENT}  # (prefilter is a field now: the same payload)
        payload = json.dumps({"v": FORMAT_VERSION, **rules, **asdict(self)}, sort_keys=True)
        return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()
