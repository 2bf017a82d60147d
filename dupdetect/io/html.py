"""An HTML page -> its title, main text and metadata, with trafilatura (``dupdetect[html]``).

    page (str) --trafilatura.bare_extraction--> HtmlPage(title, text, published, source)

One extractor only: a second one gave other text, so installing the extra changed scores
without changing the settings fingerprint. trafilatura is imported when a page is read, so
everything else works without it; a page read without it raises ImportError with the install
hint (batch readers turn that into a ReadError per page).
"""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser
from types import ModuleType
from typing import Any, NamedTuple

__all__ = [
    "HTML_ENGINES",
    "HtmlPage",
    "check_engine",
    "extract_html",
    "extract_page",
    "visible_text_length",
]

HTML_ENGINES: tuple[str, ...] = ("auto", "trafilatura")
"""Accepted ``html_engine`` values; both mean trafilatura ("auto" is kept for old callers)."""

INSTALL_HINT = 'pip install "dupdetect[html]"'

# htmldate's fast mode: the URL, meta tags, JSON-LD, <time> and date-classed elements first,
# the original publication rather than the last update. Its "extensive" search scores every
# date in the running text, where a date is often the event's, not the article's; fast mode
# still falls back to a date pattern in the page when the markup has none (not avoidable
# through its options).
_DATE_OUTPUT = "%Y-%m-%dT%H:%M:%S%z"
_DATE_PARAMS: dict[str, Any] = {
    "extensive_search": False,
    "original_date": True,
    "outputformat": _DATE_OUTPUT,
}


class HtmlPage(NamedTuple):
    """What :func:`extract_page` finds in a page.

    ``title``: the page's headline ("" when none); ``text``: the main text, paragraphs joined
    by blank lines, without the headline and page chrome; ``published``: the publication date
    as ISO 8601 (``"2024-03-12T08:30:00+03:00"``, or ``"2024-03-12"`` when the page gives no
    time), None when none is found (htmldate: URL, meta tags, JSON-LD, ``<time>`` first; when
    they have none, a date pattern found in the page, which may be an event's date);
    ``source``: the site name (``og:site_name``,
    JSON-LD publisher) or the page URL's host, None when unknown.
    """

    title: str
    text: str
    published: str | None
    source: str | None


def check_engine(engine: object) -> str:
    """Validate an ``html_engine=`` value; returns it. ValueError for ``"builtin"`` (removed)
    and unknown names."""
    if engine == "builtin":
        raise ValueError(
            'html_engine="builtin" was removed: it gave different text from trafilatura, so '
            "installing dupdetect[html] changed scores without changing the settings "
            f"fingerprint; HTML is read with trafilatura only: {INSTALL_HINT} and pass "
            'html_engine="auto" (the default)'
        )
    if engine not in HTML_ENGINES:
        raise ValueError(
            f"unknown html engine {engine!r}; use one of {', '.join(map(repr, HTML_ENGINES))}"
        )
    return str(engine)


def _trafilatura() -> ModuleType:
    # Not cached: after the first success this is a dict lookup in sys.modules, and a
    # failed import is retried (it may be installed while the process runs).
    try:
        import trafilatura
    except ImportError as exc:
        raise ImportError(
            f"reading HTML needs trafilatura, the optional extra: {INSTALL_HINT} "
            f"(importing it failed with {type(exc).__name__}: {exc})"
        ) from exc
    return trafilatura


def extract_page(html: str, *, url: str | None = None) -> HtmlPage:
    """Title, main text, publication date and site of an HTML page, with trafilatura.

    ``url``: where the page came from, when known (helps trafilatura find the date and the
    site). Raises ImportError with the install hint when trafilatura is missing; an empty
    page, or one where trafilatura finds no text, gives ``text=""``.
    """
    if not isinstance(html, str):
        raise TypeError(
            f"extract_page() needs the page as str, got {type(html).__name__}; "
            "decode bytes first with decode_bytes()"
        )
    module = _trafilatura()
    doc = module.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        # Site chrome is shared by every page of one outlet and makes unrelated articles of
        # that outlet look alike; a dropped paragraph barely moves a score.
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    if doc is None:
        return HtmlPage("", "", None, None)
    title = _clean(getattr(doc, "title", None))
    paragraphs = [" ".join(line.split()) for line in (getattr(doc, "text", None) or "").split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and title and paragraphs[0] == title:
        del paragraphs[0]  # the headline, returned as the title
    source = _clean(getattr(doc, "sitename", None)) or _clean(getattr(doc, "hostname", None))
    return HtmlPage(
        title, "\n\n".join(paragraphs), _iso_date(getattr(doc, "date", None)), source or None
    )


def extract_html(html: str, *, engine: str = "auto") -> tuple[str, str]:
    """Return ``(title, main article text)`` of an HTML page: :func:`extract_page` without the
    metadata. ``engine``: ``"auto"`` or ``"trafilatura"`` (the same); ImportError with the
    install hint when trafilatura is missing."""
    if not isinstance(html, str):
        raise TypeError(
            f"extract_html() needs the page as str, got {type(html).__name__}; "
            "decode bytes first with decode_bytes()"
        )
    check_engine(engine)
    page = extract_page(html)
    return page.title, page.text


def _clean(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _iso_date(raw: object) -> str | None:
    """htmldate's ``2024-03-12T08:30:00+0300`` as ISO 8601 (``+03:00``, which Python 3.10's
    ``fromisoformat`` reads); a date without a time (htmldate says ``T00:00:00`` without an
    offset) as the date alone, so no time is claimed that the page does not give."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = raw.strip()
    try:
        when = datetime.strptime(raw, _DATE_OUTPUT)
    except ValueError:
        try:  # no offset in the page
            when = datetime.strptime(raw, _DATE_OUTPUT.removesuffix("%z"))
        except ValueError:
            return None
    if when.tzinfo is None and (when.hour, when.minute, when.second) == (0, 0, 0):
        return when.date().isoformat()
    return when.isoformat()


class _TextCounter(HTMLParser):
    _HIDDEN = frozenset({"script", "style", "template", "noscript", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open_hidden = 0
        self.chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a <head> or <title> left open ends here
            self.open_hidden = 0
        self.open_hidden += tag in self._HIDDEN

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self.open_hidden:
            self.open_hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.open_hidden:
            self.chars += len("".join(data.split()))


def visible_text_length(html: str) -> int:
    """Non-space characters of text a browser would show (outside head, script, style): tells
    a page that holds no text from one where trafilatura found no article in the text."""
    counter = _TextCounter()
    counter.feed(html)
    counter.close()
    return counter.chars
