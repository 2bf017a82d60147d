"""Featurize many documents across worker processes (both cores where it pays).

Featurizing (boilerplate, normalization, content terms, shingles, signatures, term vectors) is
per-document and mostly pure Python, so threads do not help; processes do.
:func:`featurize_parallel` cuts the input into chunks of ``chunk`` documents, featurizes each
chunk in a worker with :func:`dupdetect.features.featurize` (the same function the
single-process path calls), and
concatenates the chunks in input order with :func:`concat_features`. Every step is deterministic
(no salted ``hash()``), so the result is identical to ``featurize(texts, settings)`` on one core.

Workers are started with ``"spawn"`` (or ``"forkserver"``): safe with threads, on macOS and on
Windows, and nothing of the parent's state leaks in. Starting them costs about half a second, so
small inputs (one chunk, or ``workers=1``) run in the calling process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from .features import Features, TermMatrix, featurize
from .settings import Settings

__all__ = [
    "featurize_parallel",
    "concat_features",
    "default_workers",
    "fork_is_safe",
    "auto_start_method",
]

#: Documents per task: big enough that pickling and scheduling cost little, small enough that a
#: worker's peak memory stays low and the progress callback ticks often.
CHUNK = 2000


def default_workers() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def fork_is_safe() -> bool:
    """True on Linux when this process runs no other Python thread.

    Then ``fork`` is safe, and unlike ``spawn`` it does not re-import the caller's main module,
    so a script that calls ``cluster()`` without an ``if __name__ == "__main__":`` guard works.
    """
    import sys
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def auto_start_method() -> str:
    """'fork' where :func:`fork_is_safe`, else 'spawn'."""
    return "fork" if fork_is_safe() else "spawn"


def _cat_matrices(mats: Sequence[TermMatrix]) -> TermMatrix:
    lens = np.concatenate([np.diff(m.offsets) for m in mats])
    offsets = np.zeros(lens.size + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return TermMatrix(
        np.concatenate([m.ids for m in mats]), np.concatenate([m.weights for m in mats]), offsets
    )


def concat_features(parts: Sequence[Features], settings: Settings) -> Features:
    """Features of consecutive batches, concatenated in order (row ``i`` stays document ``i``)."""
    if not parts:
        return featurize([], settings)
    if len(parts) == 1:
        return parts[0]
    return Features(
        unigrams=_cat_matrices([p.unigrams for p in parts]),
        bigrams=_cat_matrices([p.bigrams for p in parts]),
        n_terms=np.concatenate([p.n_terms for p in parts]),
        signatures=np.concatenate([p.signatures for p in parts]),
        short=np.concatenate([p.short for p in parts]),
        latin=np.concatenate([p.latin for p in parts]),
    )


def _work(args: tuple[Sequence[str], Settings, bool]) -> Features:
    texts, settings, clean = args
    return featurize(texts, settings, clean=clean)


def featurize_parallel(
    texts: Sequence[str],
    settings: Settings,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
    clean: bool = True,
    start_method: str = "spawn",
    on_chunk: Callable[[int], None] | None = None,
) -> Features:
    """``featurize(texts, settings, clean=clean)``, computed by ``workers`` processes.

    ``workers``: ``None`` for :func:`default_workers`, ``1`` to stay in this process.
    ``on_chunk(n)`` is called in input order as each chunk of ``n`` documents is done (progress).
    ``start_method``: ``"spawn"`` or ``"forkserver"`` (``"fork"`` is refused: unsafe with threads).
    """
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    if start_method not in ("spawn", "forkserver", "fork"):
        raise ValueError(
            f"start_method must be 'spawn', 'forkserver' or 'fork', got {start_method!r}"
        )
    if start_method == "fork" and not fork_is_safe():
        raise ValueError(
            "start_method='fork' needs a single-threaded process on Linux (fork can deadlock "
            "a process that has threads); use 'spawn'"
        )
    n_workers = default_workers() if workers is None else workers
    if n_workers < 1:
        raise ValueError(f"workers must be at least 1 (or None for all CPUs), got {workers}")
    tick = on_chunk or (lambda n: None)
    batches = [list(texts[s : s + chunk]) for s in range(0, len(texts), chunk)]
    n_workers = min(n_workers, len(batches))
    parts: list[Features] = []
    if n_workers <= 1:
        for b in batches:
            parts.append(featurize(b, settings, clean=clean))
            tick(len(b))
        return concat_features(parts, settings)
    ctx = mp.get_context(start_method)
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
        # map() yields in submission order, so rows come back in input order.
        for part in pool.map(_work, ((b, settings, clean) for b in batches)):
            parts.append(part)
            tick(len(part))
    return concat_features(parts, settings)
