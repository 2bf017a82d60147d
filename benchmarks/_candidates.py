"""The batch job's candidate stage on a featurized batch, from public API only.

    Features.signatures --lsh.candidate_pairs--> proposed pairs (LSH banding, settings.lsh_params)
        --estimated Jaccard >= prefilter * candidate_threshold, and inside the window--> kept

This is what ``dupdetect.grouping.group`` does before it scores pairs; the benchmarks rebuild it
to count candidates (scaling) and to ask which labelled pairs the candidate stage lets through
(quality), which ``cluster()`` does not expose.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dupdetect.features import Features
from dupdetect.lsh import candidate_pairs, estimated_jaccard_pairs
from dupdetect.settings import Settings
from dupdetect.timewindow import outside_window

__all__ = ["Candidates", "candidate_stage", "pair_codes", "contains"]


class Candidates(NamedTuple):
    proposed: np.ndarray  # (m, 2) int64, i < j: pairs the LSH bands propose
    kept: np.ndarray  # (k, 2): those the MinHash prefilter (and the time window) let through


def candidate_stage(
    features: Features,
    settings: Settings,
    *,
    prefilter: float | None = None,
    times: np.ndarray | None = None,
    window: float | None = None,
) -> Candidates:
    """Proposed and kept candidate pairs, as ``grouping.group`` computes them.

    ``prefilter``: fraction of ``candidate_threshold`` the MinHash estimate must reach (default
    ``settings.prefilter``); ``times``/``window`` (epoch seconds, seconds) as for
    ``group``.
    """
    frac = settings.prefilter if prefilter is None else prefilter
    bands, rows = settings.lsh_params
    proposed = candidate_pairs(
        features.signatures, bands, rows, eligible=~features.short, times=times, window=window
    )
    if not len(proposed):
        return Candidates(proposed, proposed)
    est = estimated_jaccard_pairs(features.signatures, proposed)
    keep = est >= frac * settings.candidate_threshold
    keep &= ~outside_window(times, window, proposed)
    return Candidates(proposed, proposed[keep])


def pair_codes(pairs: np.ndarray) -> np.ndarray:
    """One int64 per pair, order-free: ``min << 32 | max`` (rows below 2**31)."""
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return np.minimum(p[:, 0], p[:, 1]) << 32 | np.maximum(p[:, 0], p[:, 1])


def contains(pairs: np.ndarray, query: np.ndarray) -> np.ndarray:
    """For each row of ``query``, whether that (unordered) pair is one of ``pairs``."""
    return np.isin(pair_codes(query), pair_codes(pairs))
