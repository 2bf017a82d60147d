"""Cut scrape boilerplate from Arabic (and English) news text: text in, text out.

Scraped articles carry trailers that are not the story: "read also" blocks (often with a whole
unrelated article under them), related-article lists, tag clouds, comment forms, source lines,
share/follow lines; and leading chrome such as a lone section name or a publication-date line.

Rule: the first *trailer marker* line found after the story has started ends the story; everything
from it on is dropped. A trailer marker is a short line that starts with one of the phrases in
:data:`TRAILER_MARKERS` (compared after normalization, so hamza, tatweel and diacritics do not
matter). Single *chrome lines* (dates, bylines, share prompts) are dropped wherever they stand.
If cutting would leave less than a fifth of the text, the text is kept whole: a marker that early
is more likely a story that talks about, say, a source.
"""

from __future__ import annotations

import re

from .normalize import normalize

__all__ = ["strip_boilerplate", "TRAILER_MARKERS", "CHROME_MARKERS"]

#: A line starting with one of these (after normalization) begins the trailer.
TRAILER_MARKERS: tuple[str, ...] = (
    "اقرأ أيضا",
    "اقرأ ايضا",
    "إقرأ أيضا",
    "اقرا ايضا",
    "اقرأ المزيد",
    "اقرأ كذلك",
    "إقرأ المزيد",
    "مقالات ذات صلة",
    "مقالات مشابهة",
    "مقالات متعلقة",
    "أخبار ذات صلة",
    "اخبار ذات صلة",
    "أخبار متعلقة",
    "مواضيع ذات صلة",
    "موضوعات ذات صلة",
    "قد يهمك أيضا",
    "قد يعجبك أيضا",
    "شاهد أيضا",
    "الأكثر قراءة",
    "الاكثر قراءة",
    "كلمات دلالية",
    "الكلمات الدلالية",
    "كلمات مفتاحية",
    "الوسوم",
    "وسوم",
    "اترك تعليقا",
    "اترك تعليقاً",
    "أضف تعليق",
    "اضف تعليق",
    "التعليقات",
    "لن يتم نشر عنوان بريدك الإلكتروني",
    "المصدر:",
    "المصدر :",
    "مصدر الخبر",
    "تابعونا على",
    "تابعنا على",
    "تابعوا آخر الأخبار",
    "شارك هذا المقال",
    "شارك الخبر",
    "شارك المقال",
    "شاركها",
    "Read also",
    "Read more",
    "Related articles",
    "Related stories",
    "Related:",
    "Tags:",
    "Leave a comment",
    "Leave a Reply",
    "Share this",
    "Follow us",
)

#: A short line starting with one of these is dropped wherever it stands.
CHROME_MARKERS: tuple[str, ...] = (
    "تاريخ النشر",
    "نشر في",
    "نشر بتاريخ",
    "آخر تحديث",
    "اخر تحديث",
    "تم النشر",
    "حجم الخط",
    "طباعة",
    "مشاركة",
    "Published",
    "Last updated",
    "Updated:",
    "Print",
)

_MAX_MARKER_LINE = 80  # a real trailer header is short; a long line is story text
_BULLET_RE = re.compile(r"^[\s•·▪●○◦*\-–—>|]+")


def _prefixes(markers: tuple[str, ...]) -> tuple[str, ...]:
    # normalize() folds hamza/case/diacritics, so one spelling per phrase is enough.
    return tuple(sorted({normalize(m) for m in markers}, key=len, reverse=True))


_TRAILER = _prefixes(TRAILER_MARKERS)
_CHROME = _prefixes(CHROME_MARKERS)


def _key(line: str) -> str:
    return normalize(_BULLET_RE.sub("", line))


def _is_marker(key: str, markers: tuple[str, ...], max_len: int = _MAX_MARKER_LINE) -> bool:
    """A short line that starts with a marker phrase.

    Phrases of two or more words, or ending in ':', are specific enough to match as a prefix;
    a one-word marker ("التعليقات", "Tags") must be the whole line or be followed by ':' / '-',
    so a story sentence that merely begins with that word is kept.
    """
    # one C-level test against every phrase first: almost no line starts with any of them
    if not key or len(key) > max_len or not key.startswith(markers):
        return False
    for m in markers:
        if not key.startswith(m):
            continue
        if " " in m or m.endswith(":"):
            return True
        rest = key[len(m) :].lstrip()
        if not rest or rest[0] in ":-|":
            return True
    return False


def strip_boilerplate(text: str) -> str:
    """Return ``text`` without scrape trailers and chrome lines (see the module docstring).

    Line breaks of the kept text are preserved. Raises ``TypeError`` for a non-``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"strip_boilerplate() takes a str, got {type(text).__name__}")
    lines = text.splitlines()
    total = sum(len(line.strip()) for line in lines)
    kept: list[str] = []
    seen = 0
    for line in lines:
        stripped = line.strip()
        if not stripped:
            kept.append(line)
            continue
        if len(stripped) <= 2 * _MAX_MARKER_LINE:  # markers stand on short lines only
            key = _key(stripped)
            if _is_marker(key, _TRAILER) and seen >= 0.2 * total and seen > 0:
                break
            if _is_marker(key, _CHROME, max_len=60):
                continue
        kept.append(line)
        seen += len(stripped)
    # drop trailing blank lines left by the cut
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)
