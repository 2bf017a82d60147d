"""Shared passages -> marked excerpts: where :func:`dupdetect.explain`'s passages sit in a text,
and the few hundred characters around them a reader needs to see why two reports were grouped.

    text + explain().passages --passage_spans--> character spans
    text + spans --excerpt--> [(piece, PLAIN | MARK | GAP), ...] within a character budget
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["PLAIN", "MARK", "GAP", "passage_spans", "excerpt"]

PLAIN, MARK, GAP = 0, 1, 2  # kinds of excerpt pieces: text, shared passage, elided text

_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+")


def _merge(spans: list[tuple[int, int]], slack: int = 0) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans (spans closer than ``slack`` characters join)."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1] + slack:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _find(tokens: list[str], words: list[str], pos: int) -> int:
    """The first token index ``i >= pos`` where ``words`` occur as ``tokens[i:i+len(words)]``,
    the first word a suffix and the last a prefix of their tokens (explain() strips punctuation
    from a passage's ends); -1 when absent."""
    k = len(words)
    first, last, inner = words[0], words[-1], words[1:-1]
    for i in range(pos, len(tokens) - k + 1):
        if k == 1:
            if first in tokens[i]:
                return i
        elif (
            tokens[i].endswith(first)
            and tokens[i + k - 1].startswith(last)
            and tokens[i + 1 : i + k - 1] == inner
        ):
            return i
    return -1


def passage_spans(text: str, passages: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of ``passages`` in ``text``: a passage's words as consecutive
    whitespace-separated tokens, searched after the previous passage (explain() lists them in
    text order), else from the start; a passage not found (it crossed a line cut as
    boilerplate) is left out."""
    found = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
    tokens = [t for _, t in found]
    spans = []
    pos = 0
    for p in passages:
        words = p.split()
        if not words:
            continue
        i = _find(tokens, words, pos)
        if i < 0:
            i = _find(tokens, words, 0)
        if i < 0:
            continue
        j = i + len(words) - 1
        if i == j:
            start = found[i][0] + tokens[i].index(words[0])
            end = start + len(words[0])
        else:
            start = found[i][0] + len(tokens[i]) - len(words[0])
            end = found[j][0] + len(words[-1])
        spans.append((start, end))
        pos = j + 1
    return _merge(spans)


def _snap(text: str, at: int, forward: bool) -> int:
    """``at`` moved to the nearest word boundary (forward or backward), at most 20 characters."""
    n = len(text)
    for k in range(20):
        i = at + k if forward else at - k
        if i <= 0 or i >= n:
            return max(0, min(n, i))
        if text[i].isspace():
            return i
    return at


def _pieces(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> list[tuple[str, int]]:
    out = []
    pos = a
    for s, e in spans:
        s, e = max(s, a), min(e, b)
        if s >= e:
            continue
        if s > pos:
            out.append((text[pos:s], PLAIN))
        out.append((text[s:e], MARK))
        pos = e
    if pos < b:
        out.append((text[pos:b], PLAIN))
    return out


def excerpt(
    text: str,
    spans: Sequence[tuple[int, int]] = (),
    *,
    budget: int = 600,
    context: int = 80,
    start: int = 0,
) -> list[tuple[str, int]]:
    """``text[start:]`` as pieces ``(text, kind)``: shared passages ``MARK``ed, the rest
    ``PLAIN``, elided stretches one ``GAP``. The whole text when it fits in ``budget``
    characters; else its opening and each passage with ``context`` characters either side, cut
    at word boundaries, in text order, until the budget is spent. Whitespace runs become one
    space."""
    n = len(text)
    inside = [(max(s, start), e) for s, e in _merge(list(spans)) if e > start]
    if n - start <= budget:
        windows = [(start, n)]
    else:
        lead = [(start, min(n, start + 2 * context))]
        around = [(max(start, s - context), min(n, e + context)) for s, e in inside]
        windows = _merge(lead + around, slack=context // 4)
    out: list[tuple[str, int]] = []
    left = budget
    pos = start
    for a, b in windows:
        if left <= 0:
            break
        a = _snap(text, a, forward=True) if a > start else a
        b = min(b, a + left)
        b = _snap(text, b, forward=False) if b < n else b
        if b <= a:
            continue
        if a > pos:
            out.append(("…", GAP))
        out += _pieces(text, a, b, inside)
        left -= b - a
        pos = b
    if pos < n:
        out.append(("…", GAP))
    return [(_SPACE.sub(" ", piece), kind) for piece, kind in out if piece]
