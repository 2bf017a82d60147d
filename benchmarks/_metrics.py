"""Clustering-quality measures for the benchmarks: pairwise P/R/F1, ARI, B-cubed.

All take plain labels (one hashable per item, in the same item order); none needs a library
beyond the standard library (``adjusted_rand`` agrees with scikit-learn's ``adjusted_rand_score``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from math import comb

__all__ = ["prf", "adjusted_rand", "bcubed", "pairs_together"]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts (1.0 for an empty denominator, as sklearn's zero_division=1)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def pairs_together(labels: Sequence[Hashable]) -> int:
    """Number of item pairs that share a label: sum over labels of C(size, 2)."""
    return sum(comb(k, 2) for k in Counter(labels).values())


def adjusted_rand(truth: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Adjusted Rand index of two labelings (Hubert & Arabie), 1.0 = identical partitions."""
    if len(truth) != len(pred):
        raise ValueError(f"truth has {len(truth)} labels, pred {len(pred)}")
    n = len(truth)
    both = pairs_together(list(zip(truth, pred)))
    a, b = pairs_together(truth), pairs_together(pred)
    total = comb(n, 2)
    if total == 0:
        return 1.0
    expected = a * b / total
    top = (a + b) / 2
    return 1.0 if top == expected else (both - expected) / (top - expected)


def bcubed(truth: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin): per item, the share of its predicted
    cluster that has its true label (precision) and the share of its true class that is in its
    predicted cluster (recall), averaged over items; F1 of the two averages."""
    if len(truth) != len(pred):
        raise ValueError(f"truth has {len(truth)} labels, pred {len(pred)}")
    if not truth:
        return 1.0, 1.0, 1.0
    cell = Counter(zip(truth, pred))
    size_t, size_p = Counter(truth), Counter(pred)
    p = sum(cell[(t, c)] / size_p[c] for t, c in zip(truth, pred)) / len(truth)
    r = sum(cell[(t, c)] / size_t[t] for t, c in zip(truth, pred)) / len(truth)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
