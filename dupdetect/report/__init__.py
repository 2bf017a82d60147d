"""The stories as one self-contained HTML page: ``dupdetect report PATH... -o stories.html``,
``result.to_html(path)``, or ``result.report()`` in a notebook.

    Clustering --payload--> JSON data (stories, members, marked excerpts, singletons)
      page.html + page.css + page.js + the data (escaped into a <script type=application/json>)
      --> one file: no network, no CDN; a Content-Security-Policy forbids loading anything

The page renders the cards from the data with ``textContent`` (titles and texts are untrusted
scraped HTML), a page of stories at a time, so 30,000 articles open in a browser quickly.
"""

from __future__ import annotations

import html
import json
import os
import re
from importlib.resources import files
from typing import Any

from ..result import Clustering
from .payload import payload

__all__ = ["Report", "CSP", "render", "embed_json"]

#: The page's Content-Security-Policy: nothing may be fetched; only its own inline CSS and script.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

_DIRECTIONS = ("auto", "rtl", "ltr")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def _asset(name: str) -> str:
    return (files(__name__) / name).read_text(encoding="utf-8")


def embed_json(data: Any) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``
    and ``&`` escaped as ``\\u003c`` etc., so no text can close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render(data: dict[str, Any]) -> str:
    """The page for ``data`` (what :func:`~dupdetect.report.payload.payload` returns)."""
    values = {
        "lang": "ar" if data["dir"] == "rtl" else "en",
        "dir": data["dir"],
        "csp": CSP,
        "title": html.escape(data["title"]),
        "css": _asset("page.css"),
        "js": _asset("page.js"),
        "data": embed_json(data),
    }
    # one pass: text inserted for one placeholder is never scanned for another
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _asset("page.html"))


class Report:
    """The report page of a :class:`~dupdetect.Clustering`.

    ``title``: the page title; ``direction``: ``auto`` (right-to-left when most headlines are
    Arabic/Hebrew), ``rtl`` or ``ltr``; ``excerpt_chars``: the most characters of each member's
    text shown around its shared passages; ``singletons``: also list (collapsed) the articles in
    no story. The members' texts come from ``clustering.texts`` (kept by ``cluster()`` and
    ``cluster_texts()``); without them the cards show titles, scores and outlets only.
    """

    def __init__(
        self,
        clustering: Clustering,
        *,
        title: str = "dupdetect: stories",
        direction: str = "auto",
        excerpt_chars: int = 600,
        singletons: bool = True,
    ) -> None:
        if not isinstance(clustering, Clustering):
            raise TypeError(
                f"Report needs a dupdetect.Clustering, got {type(clustering).__name__}; "
                "pass the result of dupdetect.cluster() or cluster_texts()"
            )
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
        if isinstance(excerpt_chars, bool) or not isinstance(excerpt_chars, int):
            raise TypeError(f"excerpt_chars must be an int, got {type(excerpt_chars).__name__}")
        if excerpt_chars < 50:
            raise ValueError(f"excerpt_chars must be at least 50, got {excerpt_chars}")
        if not isinstance(title, str):
            raise TypeError(f"title must be a str, got {type(title).__name__}")
        self.clustering = clustering
        self.title = title
        self._options = {
            "direction": direction,
            "excerpt_chars": excerpt_chars,
            "singletons": bool(singletons),
        }
        self._data: dict[str, Any] | None = None
        self._html: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        """What the page renders, as plain data (built once)."""
        if self._data is None:
            self._data = payload(self.clustering, title=self.title, **self._options)  # type: ignore[arg-type]
        return self._data

    @property
    def html(self) -> str:
        """The whole page, one self-contained HTML document."""
        if self._html is None:
            self._html = render(self.data)
        return self._html

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to ``path`` (UTF-8); returns the path as a string."""
        out = os.fspath(path)
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            f.write(self.html)
        return out

    def _repr_html_(self) -> str:
        # an iframe keeps the page's CSS, script and policy apart from the notebook's
        return (
            '<iframe sandbox="allow-scripts" style="width:100%;height:640px;border:0" '
            f'title="{html.escape(self.title)}" srcdoc="{html.escape(self.html, quote=True)}">'
            "</iframe>"
        )

    def __repr__(self) -> str:
        return f"<Report {self.title!r}: {self.clustering.summary()}>"
