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

import functools
import gc
import multiprocessing as mp
import os
import sys
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from . import _kernels as kernels
from .features import Features, TermMatrix, featurize
from .settings import Settings

__all__ = [
    "Featurizer",
    "featurize_parallel",
    "concat_features",
    "default_workers",
    "fork_is_safe",
    "auto_start_method",
    "return_freed_memory",
    "score_pairs",
    "forked_map",
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
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def auto_start_method() -> str:
    """'fork' where :func:`fork_is_safe`, else 'spawn'."""
    return "fork" if fork_is_safe() else "spawn"


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):  # no glibc (musl, ...)
        return None


def return_freed_memory() -> bool:
    """Hand memory that was freed back to the operating system (glibc ``malloc_trim``).

    Chunks received from workers are many arrays of a megabyte or two; glibc serves those from
    its heap and keeps the pages after they are freed, so a concatenated batch would hold its
    features twice in RSS (measured: 0.84 GB instead of 0.47 at 100k articles). Returns False
    where there is no glibc (macOS, Windows, musl): there it does nothing."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def _cat(parts: Sequence[Features], path: tuple[str, ...], release: bool) -> np.ndarray:
    """Concatenate the array at attribute ``path`` of every part; with ``release`` each part's
    reference is dropped as it is taken (see :func:`concat_features`)."""
    arrays = []
    for p in parts:
        holder: Any = p
        for name in path[:-1]:
            holder = getattr(holder, name)
        arrays.append(getattr(holder, path[-1]))
        if release:
            setattr(holder, path[-1], None)
    out = np.concatenate(arrays)
    arrays.clear()
    if release:
        return_freed_memory()
    return out


def concat_features(
    parts: Sequence[Features], settings: Settings, *, release: bool = False
) -> Features:
    """Features of consecutive batches, concatenated in order (row ``i`` stays document ``i``).

    ``release``: the parts are consumed (their arrays are dropped one field at a time), so a
    large batch peaks at its features plus one field instead of twice its features."""
    if not parts:
        return featurize([], settings)
    if len(parts) == 1:
        return parts[0]
    mats = {}
    for v in ("unigrams", "bigrams"):
        lens = np.concatenate([np.diff(getattr(p, v).offsets) for p in parts])
        offsets = np.zeros(lens.size + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        ids, weights = _cat(parts, (v, "ids"), release), _cat(parts, (v, "weights"), release)
        mats[v] = TermMatrix(ids, weights, offsets)
    return Features(
        unigrams=mats["unigrams"],
        bigrams=mats["bigrams"],
        n_terms=_cat(parts, ("n_terms",), release),
        signatures=_cat(parts, ("signatures",), release),
        short=_cat(parts, ("short",), release),
        latin=_cat(parts, ("latin",), release),
    )


def _work(args: tuple[list[bytes], Settings, bool]) -> Features:
    data, settings, clean = args
    return featurize([d.decode("utf-8", "surrogatepass") for d in data], settings, clean=clean)


def _check_start_method(start_method: str) -> None:
    if start_method not in ("spawn", "forkserver", "fork"):
        raise ValueError(
            f"start_method must be 'spawn', 'forkserver' or 'fork', got {start_method!r}"
        )
    if start_method == "fork" and not fork_is_safe():
        raise ValueError(
            "start_method='fork' needs a single-threaded process on Linux (fork can deadlock "
            "a process that has threads); use 'spawn'"
        )


class Featurizer:
    """Featurize chunks of texts as they arrive, in ``workers`` processes; :meth:`result` gives
    the rows in the order the chunks were submitted.

    At most two chunks per worker are in flight: a caller that reads its input as it submits
    (``cluster()`` does) never holds more than a few chunks of text. Texts travel to the
    workers as UTF-8 bytes: pickling a ``str`` would leave a cached UTF-8 copy inside every
    caller-owned Arabic string (twice its memory). ``workers=1`` featurizes in this process.
    Use as a context manager (the pool is shut down on exit).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int = 1,
        clean: bool = True,
        start_method: str = "spawn",
        on_chunk: Callable[[int], None] | None = None,
    ) -> None:
        _check_start_method(start_method)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive int, got {workers!r}")
        self.settings, self.clean, self.workers = settings, clean, workers
        self._tick = on_chunk or (lambda n: None)
        self._parts: list[Features] = []
        self._pending: deque[Future[Features]] = deque()
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            ctx = mp.get_context(start_method)
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def __enter__(self) -> Featurizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the worker pool down (pending chunks are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _keep(self, part: Features) -> None:
        self._parts.append(part)
        self._tick(len(part))

    def _collect_one(self) -> None:
        self._keep(self._pending.popleft().result())

    def submit(self, texts: Sequence[str]) -> None:
        """Queue one chunk (waits while two chunks per worker are already in flight)."""
        if self._pool is None:
            self._keep(featurize(list(texts), self.settings, clean=self.clean))
            return
        # surrogatepass: any str goes through, a lone surrogate (a JSON "\ud800" escape) too,
        # as it does when featurizing in this process
        data = [t.encode("utf-8", "surrogatepass") for t in texts]
        self._pending.append(self._pool.submit(_work, (data, self.settings, self.clean)))
        while len(self._pending) > 2 * self.workers:
            self._collect_one()

    def result(self) -> Features:
        """Every chunk's features, concatenated in submission order (the chunks are released:
        call once)."""
        while self._pending:
            self._collect_one()
        parts, self._parts = self._parts, []
        return concat_features(parts, self.settings, release=True)


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
    ``start_method``: ``"spawn"``, ``"forkserver"`` or ``"fork"`` (refused where
    :func:`fork_is_safe` is false).
    """
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    _check_start_method(start_method)
    n_workers = default_workers() if workers is None else workers
    if n_workers < 1:
        raise ValueError(f"workers must be at least 1 (or None for all CPUs), got {workers}")
    n_chunks = -(-len(texts) // chunk)
    n_workers = max(1, min(n_workers, n_chunks))
    with Featurizer(
        settings, workers=n_workers, clean=clean, start_method=start_method, on_chunk=on_chunk
    ) as f:
        for s in range(0, len(texts), chunk):
            f.submit(texts[s : s + chunk])
        return f.result()


#: Below this many pairs, scoring in one process is cheaper than forking (20,000 pairs score in
#: about 0.2 s on one core here; starting the forked pool costs about 0.05 s).
PARALLEL_PAIRS = 20_000
_SCORE_ALIGN = 2048  # :func:`dupdetect.score.cosines` chunk: slices start on its boundaries
# what forked children read (forked_map's state): inherited through fork, never pickled
_forked_state: Any = None


def _forked_task(call: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    func, task = call
    return func(_forked_state, task)


def forked_map(
    func: Callable[[Any, Any], Any], state: Any, tasks: Sequence[Any], workers: int
) -> list[Any] | None:
    """``[func(state, task) for task in tasks]`` in up to ``workers`` forked processes.

    ``state`` (a batch's arrays) reaches the children through fork's copy-on-write pages and is
    never pickled; ``func`` (a module-level function), each task and each result are. Returns
    None where that cannot be done: fork is not safe (another thread runs, not Linux), or, with
    a RuntimeWarning, the fork is refused or a child dies (out of memory); the caller then does
    the work in this process.
    """
    global _forked_state
    if not fork_is_safe():
        return None
    _forked_state = state
    gc.freeze()  # the children's garbage collector then leaves the parent's objects' pages shared
    try:
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=mp.get_context("fork")) as ex:
            return list(ex.map(_forked_task, [(func, t) for t in tasks]))
    except (OSError, BrokenProcessPool) as e:  # fork refused, a child killed (out of memory)
        warnings.warn(
            f"{len(tasks)} tasks in forked processes failed ({e!r}); doing them in this "
            "process instead (same result, slower)",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    finally:
        gc.unfreeze()
        _forked_state = None


def _score_slice(state: tuple[Features, np.ndarray], bounds: tuple[int, int]) -> np.ndarray:
    features, pairs = state
    return features.similarities(pairs[bounds[0] : bounds[1]])


def score_pairs(features: Features, pairs: np.ndarray, workers: int = 1) -> np.ndarray:
    """``features.similarities(pairs)``, split over ``workers`` forked processes when there are
    at least :data:`PARALLEL_PAIRS` pairs and ``fork`` is safe (else in this process).

    Each pair's score depends on that pair alone, so the result is bit-identical to scoring in
    one process; the children read the batch through fork's copy-on-write pages and send back
    only their scores.
    """
    m = len(pairs)
    if workers <= 1 or m < PARALLEL_PAIRS:
        return features.similarities(pairs)
    step = -(-m // workers)
    step = -(-step // _SCORE_ALIGN) * _SCORE_ALIGN
    bounds = [(lo, min(lo + step, m)) for lo in range(0, m, step)]
    if step >= kernels.MIN_PAIRS:
        kernels.merge_cosines()  # load the compiled kernel (numba) here: the children inherit it
    parts = forked_map(_score_slice, (features, pairs), bounds, workers)
    if parts is None:
        return features.similarities(pairs)
    return np.concatenate(parts)
