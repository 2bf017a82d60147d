"""Publication times and time windows: one parser for the batch job, StoryIndex, Spark and the CLI.

    "2023-08-22T10:15:00+03:00" / datetime / epoch seconds --parse_time--> epoch seconds (UTC)
    timedelta / "72h" / "3d" --window_seconds--> seconds (a bare number is refused: which unit?)

Two articles whose publication times are both known and further apart than the window are never
compared (:func:`outside_window`); an article without a known time is not constrained.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import numpy as np

__all__ = ["parse_time", "window_seconds", "outside_window", "Window"]

#: What ``window=`` accepts: a ``timedelta``, a duration string such as ``"48h"``, or None.
Window = timedelta | str | None

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_SPELLINGS = 'window=timedelta(hours=48) or window="48h" (units s, m, h, d, w)'


def window_seconds(window: object, *, name: str = "window") -> float | None:
    """Seconds of a window given as a ``timedelta`` or a string with its unit (``"48h"``,
    ``"3d"``, ``"90m"``); None stays None. A bare number is refused: 48 could mean seconds or
    hours, and guessing wrong keeps almost nothing (or everything)."""
    if window is None:
        return None
    if isinstance(window, timedelta):
        seconds = window.total_seconds()
    elif isinstance(window, str):
        m = _DURATION_RE.match(window)
        if m is None:
            raise ValueError(f"{name}={window!r} is not a duration; write {_SPELLINGS}")
        seconds = float(m.group(1)) * _UNITS[m.group(2).lower()]
    elif isinstance(window, (int, float)) and not isinstance(window, bool):
        raise TypeError(f"{name}={window!r} has no unit; write {_SPELLINGS}")
    else:
        raise TypeError(
            f"{name} must be a timedelta or a duration string, got {type(window).__name__}; "
            f"write {_SPELLINGS}"
        )
    if not seconds > 0 or math.isinf(seconds):
        raise ValueError(f"{name} must be a positive, finite duration, got {window!r}")
    return seconds


def parse_time(value: object) -> float | None:
    """Epoch seconds of a publication date, or None when it is absent or not understood.

    Accepts ``datetime`` (naive = UTC), epoch seconds, ISO 8601 strings ("2023-08-22",
    "2023-08-22 10:15:00", "2023-08-22T10:15:00+03:00", "...Z") and RFC 2822 strings as in RSS
    ("Tue, 22 Aug 2023 10:15:00 GMT").
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    dt: datetime | None = None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            try:
                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                dt = None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def outside_window(times: np.ndarray | None, window: float | None, pairs: np.ndarray) -> np.ndarray:
    """True for pairs whose publication times are both known and further apart than window."""
    if times is None or window is None or len(pairs) == 0:
        return np.zeros(len(pairs), dtype=bool)
    ta, tb = times[pairs[:, 0]], times[pairs[:, 1]]
    with np.errstate(invalid="ignore"):
        return np.abs(ta - tb) > window  # NaN (unknown) compares False: no constraint
