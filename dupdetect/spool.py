"""Texts parked in an anonymous temporary file while a large batch is clustered.

``cluster(paths)`` reads its input as a stream: each text is featurized and written here, so the
process never holds every text of a million-article batch at once. At the end only the texts of
grouped members are wanted (provenance relations, the report's passages): :meth:`TextSpool.view`
gives them as a read-only mapping id -> text that reads each one back from the file on access.

The file is unnamed (``tempfile.TemporaryFile``: on Linux it has no path and disappears when it
is closed, also when the process dies) and lives in ``$TMPDIR``; it is closed when the last
view of it is garbage-collected. Pickling a view (or ``dict(view)``) gives plain texts.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["TextSpool", "SpooledTexts"]


class TextSpool:
    """Append-only store of texts by row (0, 1, ...), in one temporary file."""

    def __init__(self, dir: str | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=dir)
        self._lock = threading.Lock()
        self._at = np.zeros(1, dtype=np.int64)  # row i is bytes [_at[i], _at[i + 1])
        self._n = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._size = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, texts: Iterable[str]) -> None:
        """Append texts as the next rows."""
        data = [t.encode("utf-8", "surrogatepass") for t in texts]
        if not data:
            return
        sizes = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
        if self._n + len(data) + 1 > self._at.size:
            grown = np.zeros(max(2 * self._at.size, self._n + len(data) + 1), dtype=np.int64)
            grown[: self._n + 1] = self._at[: self._n + 1]
            self._at = grown
        np.cumsum(sizes, out=self._at[self._n + 1 : self._n + 1 + len(data)])
        self._at[self._n + 1 : self._n + 1 + len(data)] += self._size
        self._n += len(data)
        self._size = int(self._at[self._n])
        with self._lock:
            self._file.seek(0, os.SEEK_END)
            self._file.write(b"".join(data))

    def text(self, row: int) -> str:
        """The text of ``row``."""
        if not 0 <= row < self._n:
            raise IndexError(f"row {row} not in 0..{self._n - 1}")
        start, end = int(self._at[row]), int(self._at[row + 1])
        with self._lock:
            self._file.flush()
            data = os.pread(self._file.fileno(), end - start, start)
        return data.decode("utf-8", "surrogatepass")

    def view(self, rows_by_id: Mapping[Any, int]) -> SpooledTexts:
        """A read-only mapping ``id -> text`` of the given rows (read back on access)."""
        return SpooledTexts(self, dict(rows_by_id))

    def close(self) -> None:
        self._file.close()


class SpooledTexts(Mapping[Any, str]):
    """Mapping ``id -> text`` over rows of a :class:`TextSpool` (see the module docstring)."""

    def __init__(self, spool: TextSpool, rows_by_id: dict[Any, int]) -> None:
        self._spool = spool
        self._rows = rows_by_id

    def __getitem__(self, key: Any) -> str:
        return self._spool.text(self._rows[key])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __repr__(self) -> str:
        return f"SpooledTexts({len(self)} texts in a temporary file)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))
