"""Progress on stderr for long batch runs: every stage, not just featurizing.

    read N inputs -> featurize (a bar over documents) -> candidates -> verify -> group -> scores

Shown when asked (``progress=True``) or, by default, when stderr is a terminal and the run is
expected to take more than about two seconds (from the number of documents). A bar uses tqdm when
``dupdetect[progress]`` is installed, else a plain counter line; every other stage prints one line
with its time and size when it ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["Progress", "expected_seconds"]

#: Rough single-core cost per document of a whole run (measured ~1-2 ms; see RESULTS.md).
_SECONDS_PER_DOC = 0.001


def expected_seconds(n_docs: int) -> float:
    """A rough guess of a run's duration, to decide whether progress is worth showing."""
    return n_docs * _SECONDS_PER_DOC


class Progress:
    """Stage reporter. ``enabled=None``: on when stderr is a terminal and the run is long."""

    def __init__(self, enabled: bool | None, *, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self._asked = enabled
        self.enabled = bool(enabled)
        self._t = time.perf_counter()
        self._open: Callable[[], None] | None = None  # closes a bar of unknown total

    def decide(self, n_docs: int) -> None:
        """Settle ``enabled=None`` once the number of documents is known."""
        if self._asked is None:
            tty = getattr(self.stream, "isatty", lambda: False)()
            self.enabled = bool(tty) and expected_seconds(n_docs) > 2.0

    def line(self, text: str) -> None:
        if self.enabled:
            print(f"dupdetect: {text}", file=self.stream, flush=True)

    def stage(self, name: str, **sizes: Any) -> None:
        """End of a stage: its name, seconds since the previous stage, and any sizes."""
        now = time.perf_counter()
        self._close_open()
        if self.enabled:
            extra = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sizes.items())
            self.line(f"{name} {now - self._t:.1f} s" + (f" ({extra})" if extra else ""))
        self._t = now

    def _close_open(self) -> None:
        if self._open is not None:
            close, self._open = self._open, None
            close()

    def bar(self, total: int | None, desc: str) -> Callable[[int], None]:
        """A callable advancing a bar of ``total`` items by ``n``; closes itself at the end.
        ``total=None`` (a stream of unknown length): a counter, closed by the next stage."""
        if not self.enabled or total == 0:
            return lambda n: None
        try:
            from tqdm import tqdm
        except ImportError:
            done = [0]
            of = "" if total is None else f"/{total}"

            def plain(n: int) -> None:
                done[0] += n
                end = "\n" if total is not None and done[0] >= total else ""
                print(f"\rdupdetect: {desc} {done[0]}{of}", end=end, file=self.stream, flush=True)

            if total is None:
                self._open = lambda: print(file=self.stream, flush=True)
            return plain
        bar = tqdm(total=total, desc=f"dupdetect: {desc}", unit="doc", file=self.stream)
        if total is None:
            self._open = bar.close

        def update(n: int) -> None:
            bar.update(n)
            if total is not None and bar.n >= total:
                bar.close()

        return update
