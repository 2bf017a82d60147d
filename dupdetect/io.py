"""Reading articles from files: formats, encodings, HTML extraction.

This is the I/O edge of dupdetect. Everything here turns paths into :class:`Article`
values (or :class:`ReadError` values for inputs that could not be read); nothing
downstream touches the file system.

Formats (chosen by suffix, case-insensitively):

``.txt``
    One article. The whole decoded file is ``text``; ``title`` is ``""``.
``.html`` / ``.htm``
    One article. ``title`` and ``text`` come from :func:`extract_html`.
``.json``
    A list of article objects, an object holding such a list under one of
    ``articles``/``data``/``items``/``records``/``results``/``documents``/``docs``/
    ``entries``/``posts``/``rows``, or a single article object.
``.jsonl``
    One JSON object per line; blank lines are ignored. Read line by line.
``.csv``
    A header row, then one article per row. The delimiter (``,`` ``;`` or tab) is
    taken from the header row.

Record fields (``.json``/``.jsonl``/``.csv``) are looked up through a :class:`FieldMap`:
the first listed field that is present with a non-empty value wins. An exact field
name match is tried first, then a case-insensitive one (so a ``Title`` column works).

Single-article files (``.txt``/``.html``/``.htm``) larger than ``max_bytes`` are refused
before they are read. Any article whose text is longer than ``max_chars`` is refused.

Ids are unique within one :func:`iter_inputs` call: when an id has been seen before,
``#1``, ``#2``, ... is appended (skipping any id already taken), in reading order.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import functools
import glob
import io
import json
import os
import re
import stat
import unicodedata
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from types import ModuleType
from typing import TypeAlias

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHARS",
    "SUPPORTED_SUFFIXES",
    "Article",
    "DecodeError",
    "FieldMap",
    "ReadError",
    "decode_bytes",
    "extract_html",
    "iter_inputs",
    "make_field_map",
]

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".html", ".htm", ".json", ".jsonl", ".csv")
DEFAULT_MAX_BYTES = 5_000_000
"""A single-article file (.txt/.html/.htm) larger than this is too large to be an article."""
DEFAULT_MAX_CHARS = 1_000_000
"""One article's text (any format) longer than this is too large."""

HTML_ENGINES: tuple[str, ...] = ("auto", "trafilatura", "builtin")

_SINGLE_ARTICLE_SUFFIXES = frozenset({".txt", ".html", ".htm"})
_GLOB_MAGIC = frozenset("*?[")
_JSON_LIST_KEYS: tuple[str, ...] = (
    "articles",
    "data",
    "items",
    "records",
    "results",
    "documents",
    "docs",
    "entries",
    "posts",
    "rows",
)

PathArg: TypeAlias = "str | os.PathLike[str]"
"""One path: a file, a folder (recursed) or a glob pattern."""
PathsArg: TypeAlias = "PathArg | Iterable[PathArg]"
"""What :func:`iter_inputs` accepts: one path, or an iterable of paths."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Article:
    """One article as read from disk, before any cleaning.

    ``id``: for .txt/.html the path string as given (or, for files found in a folder or
    by a glob, the found path joined onto what was given); for records in
    .json/.jsonl/.csv the record's own id field, else ``f"{path}#{n}"`` with ``n`` the
    0-based record index. ``text`` is decoded but otherwise untouched.
    """

    id: str
    text: str
    title: str = ""
    published: str | None = None
    source: str = ""


@dataclass(frozen=True)
class ReadError:
    """An input that could not be read: which one, what is wrong and what to do."""

    input: str
    message: str

    def __str__(self) -> str:
        return f"{self.input}: {self.message}"


class DecodeError(ValueError):
    """Bytes that are binary or in an encoding :func:`decode_bytes` cannot identify."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class FieldMap:
    """Which record fields hold what, for .json/.jsonl/.csv. First one present (non-empty) wins."""

    id: tuple[str, ...] = ("id", "doc_id", "guid", "url", "link")
    title: tuple[str, ...] = ("title", "headline")
    text: tuple[str, ...] = ("text", "content", "body", "article", "story")
    date: tuple[str, ...] = (
        "date",
        "published",
        "published_at",
        "pub_date",
        "datetime",
        "date_extracted",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, tuple):
                raise TypeError(
                    f"FieldMap.{f.name} must be a tuple of field names, got "
                    f"{type(value).__name__} {value!r}; write ({value!r},) for a single "
                    f"name, or use make_field_map({{{f.name!r}: ...}}), which accepts a str "
                    "or a list"
                )
            if not value:
                raise ValueError(
                    f"FieldMap.{f.name} is empty; give at least one field name, "
                    f"e.g. FieldMap({f.name}=({_FIELD_DEFAULTS[f.name][0]!r},))"
                )
            for name in value:
                if not isinstance(name, str):
                    raise TypeError(
                        f"FieldMap.{f.name} must contain only str field names, got "
                        f"{type(name).__name__} {name!r}"
                    )
                if not name.strip():
                    raise ValueError(
                        f"FieldMap.{f.name} contains an empty field name {name!r}; "
                        "remove it or give the real field name"
                    )


_FIELD_DEFAULTS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": ("title",),
    "text": ("text",),
    "date": ("date",),
}
_FIELD_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(FieldMap))


def make_field_map(fields: FieldMap | Mapping[str, str | Iterable[str]] | None) -> FieldMap:
    """Build a :class:`FieldMap` from ``None`` (defaults), a FieldMap, or a mapping.

    A mapping overrides only the keys it names, e.g. ``{"text": "content"}`` or
    ``{"id": ["uid", "url"]}``; a str value is one field name, an iterable of str is a
    list of names tried in order.
    """
    if fields is None:
        return FieldMap()
    if isinstance(fields, FieldMap):
        return fields
    if not isinstance(fields, Mapping):
        raise TypeError(
            "fields must be None, a FieldMap, or a mapping like "
            f"{{'text': 'content', 'id': ['uid', 'url']}}; got {type(fields).__name__}"
        )
    overrides: dict[str, tuple[str, ...]] = {}
    for key, value in fields.items():
        if key not in _FIELD_KEYS:
            raise ValueError(
                f"unknown key {key!r} in fields; valid keys are {', '.join(_FIELD_KEYS)}"
            )
        if isinstance(value, str):
            names: tuple[str, ...] = (value,)
        elif isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
            raise TypeError(
                f"fields[{key!r}] must be a field name (str) or a list of field names, "
                f"got {type(value).__name__} {value!r}"
            )
        else:
            names = tuple(value)
        overrides[key] = names
    return dataclasses.replace(FieldMap(), **overrides)


# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 LE must be tested before UTF-16 LE: its BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)
# C0 control bytes that do not occur in text (tab, LF, VT, FF and CR do).
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D))
_CONTROL_CHARS = frozenset(chr(b) for b in _CONTROL_BYTES)
_MAX_CONTROL_SHARE = 0.10
# Legacy Arabic code pages, in tie-break order (cp1256 is by far the more common).
_LEGACY_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("cp1256", "Windows-1256"),
    ("iso8859_6", "ISO-8859-6"),
)
_MIN_LEGACY_SCORE = 0.80
_RESAVE_HINT = "re-save the file as UTF-8"


def decode_bytes(data: bytes, *, name: str = "<bytes>") -> str:
    """Decode one file's bytes to text, detecting the encoding; CRLF and lone CR become LF.

    Detection, in order:

    1. A byte-order mark decides: UTF-32 LE/BE, UTF-8, UTF-16 LE/BE (BOM removed).
    2. Without a BOM, a NUL byte, or more than 10% C0 control bytes other than
       tab/LF/VT/FF/CR, means binary -> :class:`DecodeError`.
    3. Valid UTF-8 is UTF-8.
    4. Otherwise the legacy Arabic code pages: the bytes are decoded strictly as
       Windows-1256 and as ISO-8859-6. A candidate is rejected when decoding fails or
       the result contains C1 control characters (U+0080-U+009F) or unassigned code
       points. Each remaining candidate is scored by the share of its characters that
       are ASCII or in the Arabic block U+0600-U+06FF; the higher score wins, a tie goes
       to Windows-1256. If no candidate survives, or the winner scores below 0.80 (the
       bytes are not Arabic text in either code page), :class:`DecodeError` is raised.

    Why this separates the two: Arabic letters sit at different byte values in the two
    code pages. Windows-1256 text nearly always uses bytes that ISO-8859-6 leaves
    unassigned (ف ق ك غ at 0xDB-0xDF, the Arabic comma at 0xA1), so that candidate
    fails; ISO-8859-6 text read as Windows-1256 turns common letters (ه و ي ى ق) into
    Latin letters with accents (ç è ê é â), so its score drops.

    ``name`` (a path or record id) is used in error messages.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"decode_bytes() needs bytes, got {type(data).__name__}; "
            "read the file in binary mode ('rb')"
        )
    data = bytes(data)
    if not data:
        return ""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    name,
                    f"starts with a {label} byte-order mark but is not valid {label} "
                    f"(bad bytes at offset {exc.start + len(bom)}): the file is damaged or "
                    f"truncated; {_RESAVE_HINT}",
                ) from None
            _check_not_binary_text(text, name)
            return _normalize_newlines(text)

    if b"\x00" in data:
        raise DecodeError(
            name,
            "looks binary (contains NUL bytes), not text; if it is UTF-16 or UTF-32 text "
            f"without a byte-order mark, {_RESAVE_HINT} (or with a BOM); otherwise remove it "
            "from the inputs",
        )
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(data):
        raise DecodeError(
            name,
            f"looks binary ({controls} of {len(data)} bytes are control bytes), not text; "
            "remove it from the inputs",
        )
    try:
        return _normalize_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8_problem = f"not valid UTF-8 (first bad byte at offset {exc.start})"

    best: tuple[float, str, str] | None = None  # (score, text, label)
    for codec, label in _LEGACY_ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if any(_is_c1_or_unassigned(ch) for ch in set(text)):
            continue
        score = _arabic_ascii_share(text)
        if best is None or score > best[0]:  # strict '>': ties keep the earlier (cp1256)
            best = (score, text, label)
    if best is None:
        raise DecodeError(
            name,
            f"cannot decode: {utf8_problem}, and not valid Windows-1256 or ISO-8859-6; "
            f"find out its encoding and {_RESAVE_HINT}",
        )
    score, text, label = best
    if score < _MIN_LEGACY_SCORE:
        raise DecodeError(
            name,
            f"cannot decode: {utf8_problem}, and read as {label} only {score:.0%} of it "
            "is ASCII or Arabic, so it is in neither legacy Arabic code page; "
            f"find out its encoding and {_RESAVE_HINT}",
        )
    return _normalize_newlines(text)


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_not_binary_text(text: str, name: str) -> None:
    controls = sum(1 for ch in text if ch in _CONTROL_CHARS)
    if "\x00" in text or controls > _MAX_CONTROL_SHARE * len(text):
        raise DecodeError(
            name,
            "looks binary (control characters after decoding), not text; remove it from the inputs",
        )


def _is_c1_or_unassigned(ch: str) -> bool:
    return "\x80" <= ch <= "\x9f" or unicodedata.category(ch) == "Cn"


def _arabic_ascii_share(text: str) -> float:
    good = sum(1 for ch in text if ch < "\x80" or "\u0600" <= ch <= "\u06ff")
    return good / len(text)


# --------------------------------------------------------------------------- HTML


def extract_html(html: str, *, engine: str = "auto") -> tuple[str, str]:
    """Return ``(title, main article text)`` from an HTML page, without page chrome.

    ``engine``:

    ``"trafilatura"``
        Use trafilatura (the optional extra ``dupdetect[html]``); ImportError if it
        cannot be imported.
    ``"builtin"``
        A stdlib ``html.parser`` extractor: drops script/style/nav/header/footer/aside/
        form/menus/comments/share widgets (by tag, ARIA role, or class/id words such as
        ``share``, ``social``, ``menu``, ``related``, ``comments``), then takes the
        ``<article>``, else ``<main>``, that holds at least half of the page's ``<p>``
        text (or of all its text), else the block with the most ``<p>`` text; link lists
        (more than half link text) and ``<h1>`` are left out of the text.
        Title: ``og:title``/``twitter:title``, else ``<title>``, else the first ``<h1>``.
    ``"auto"`` (default)
        trafilatura when it can be imported, else builtin; also builtin when
        trafilatura fails or finds no text.

    Both engines return the body only (a first paragraph equal to the title is dropped),
    paragraphs joined by blank lines, whitespace inside a paragraph collapsed.
    """
    if not isinstance(html, str):
        raise TypeError(
            f"extract_html() needs the page as str, got {type(html).__name__}; "
            "decode bytes first with decode_bytes()"
        )
    engine = _check_engine(engine)
    if engine == "builtin":
        return _extract_builtin(html)
    module, _ = _trafilatura()
    if engine == "trafilatura":
        if module is None:  # _check_engine already raised; keeps type checkers happy
            raise ImportError(_trafilatura_missing_message())
        return _extract_trafilatura(module, html)
    if module is not None:
        try:
            title, text = _extract_trafilatura(module, html)
        except Exception:  # a third-party failure falls back to builtin
            title, text = "", ""
        if text.strip():
            return title, text
    return _extract_builtin(html)


def _check_engine(engine: str) -> str:
    if engine not in HTML_ENGINES:
        raise ValueError(
            f"unknown html engine {engine!r}; use one of {', '.join(map(repr, HTML_ENGINES))}"
        )
    if engine == "trafilatura" and _trafilatura()[0] is None:
        raise ImportError(_trafilatura_missing_message())
    return engine


@functools.lru_cache(maxsize=1)
def _trafilatura() -> tuple[ModuleType | None, str]:
    """(trafilatura module or None, why the import failed). Cached: imports are slow."""
    try:
        import trafilatura
    except ImportError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return trafilatura, ""


def _trafilatura_missing_message() -> str:
    reason = _trafilatura()[1]
    return (
        'html engine "trafilatura" needs the optional extra: pip install "dupdetect[html]"'
        + (f" (importing it failed with {reason})" if reason else "")
        + '; or use html_engine="builtin"'
    )


def _extract_trafilatura(module: ModuleType, html: str) -> tuple[str, str]:
    text = module.extract(
        html,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        output_format="txt",
    )
    title = ""
    try:
        meta = module.extract_metadata(html)
    except Exception:  # metadata is a bonus; fall back to our own title
        meta = None
    if meta is not None:
        raw = meta.get("title") if isinstance(meta, dict) else getattr(meta, "title", None)
        title = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not title:
        title = _extract_builtin_title(html)
    paragraphs = [" ".join(line.split()) for line in (text or "").split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and title and paragraphs[0] == " ".join(title.split()):
        del paragraphs[0]  # the headline, returned as the title (the builtin engine agrees)
    return title, "\n\n".join(paragraphs)


# Builtin extractor ------------------------------------------------------------------

_VOID_TAGS = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()
)
# Elements whose whole subtree is never article text.
_CHROME_TAGS = frozenset(
    "script style noscript template nav header footer aside form iframe frame frameset "
    "svg math canvas button select option textarea input label menu dialog object embed "
    "video audio map head title meta link".split()
)
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary search menu menubar toolbar dialog "
    "alertdialog form".split()
)
# Words in class/id that mark page chrome (matched against the -/_/space separated words).
_CHROME_WORDS = frozenset(
    "nav navbar navigation menu mainmenu submenu breadcrumb breadcrumbs share shares "
    "sharing sharethis addthis social socials footer header sidebar widget widgets comment "
    "comments related recommended advert advertisement advertising ads ad adsbygoogle banner "
    "cookie cookies consent newsletter subscribe subscription popup modal promo sponsored "
    "masthead toolbar pagination pager tags tagcloud print".split()
)
# Never dropped for their class/id/role: a site may put "share-enabled" on <article>.
_PROTECTED_TAGS = frozenset({"html", "body", "main", "article"})
_BLOCK_TAGS = frozenset(
    "address article blockquote body center dd details div dl dt fieldset figcaption figure "
    "h1 h2 h3 h4 h5 h6 hr li main ol p pre section summary table tbody td tfoot th thead "
    "tr ul caption".split()
)
_LINK_DENSE_CHECKED = frozenset("ul ol div section table dl".split())
_MAX_LINK_DENSITY = 0.5
# Opening one of these closes an open <p> (HTML's implied end tags, simplified).
_CLOSES_P = frozenset(
    "address article aside blockquote details div dl fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr main menu nav ol p pre section table ul".split()
)
_INLINE_TAGS = frozenset(
    "a abbr b bdi bdo big cite code del dfn em font i ins kbd mark q s samp small span "
    "strike strong sub sup time tt u var".split()
)
_WORD_SPLIT = re.compile(r"[\s_\-]+")


class _Node:
    """One element. ``hard``: chrome by tag, ARIA role or hidden-ness, always dropped.
    ``soft``: chrome by class/id words, dropped unless it wraps the page's content."""

    __slots__ = ("tag", "attrs", "children", "parent", "hard", "soft", "hidden")

    def __init__(self, tag: str, attrs: dict[str, str], parent: _Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Node | str] = []
        self.parent = parent
        self.hard = _is_hard_chrome(tag, attrs)
        self.soft = not self.hard and _is_soft_chrome(tag, attrs)
        self.hidden = False


def _is_hard_chrome(tag: str, attrs: dict[str, str]) -> bool:
    if tag in _CHROME_TAGS:
        return True
    if tag in _PROTECTED_TAGS or tag.startswith("#"):
        return False
    if "hidden" in attrs or attrs.get("aria-hidden", "").lower() == "true":
        return True
    if "display:none" in attrs.get("style", "").replace(" ", "").lower():
        return True
    return attrs.get("role", "").lower() in _CHROME_ROLES


def _is_soft_chrome(tag: str, attrs: dict[str, str]) -> bool:
    if tag in _PROTECTED_TAGS or tag.startswith("#"):
        return False
    words = _WORD_SPLIT.split(f"{attrs.get('class', '')} {attrs.get('id', '')}".lower())
    return any(w in _CHROME_WORDS for w in words)


def _is_main_like(node: _Node) -> bool:
    return node.tag in ("article", "main") or node.attrs.get("role", "").lower() in (
        "article",
        "main",
    )


# Deeper elements are attached to the last open one instead of opening: keeps every
# stack walk short on pathological pages (browsers cap nesting similarly).
_MAX_HTML_DEPTH = 256


class _TreeBuilder(HTMLParser):
    """A forgiving DOM builder: implied end tags for p/li/dt/dd/tr/td, unmatched ends ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {}, None)
        self.stack: list[_Node] = [self.root]
        self.nodes: list[_Node] = []  # document order: parents before their children

    def _pop_to(self, index: int) -> None:
        del self.stack[max(index, 1) :]

    def _close_open(self, targets: frozenset[str], boundary: frozenset[str]) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[i].tag
            if tag in targets:
                self._pop_to(i)
                return
            if tag in boundary:
                return

    def _close_open_p(self) -> None:
        # An open <p> is closed if only inline elements are open inside it.
        for i in range(len(self.stack) - 1, 0, -1):
            tag = self.stack[i].tag
            if tag == "p":
                self._pop_to(i)
                return
            if tag not in _INLINE_TAGS:
                return

    def _add(self, tag: str, attrs: list[tuple[str, str | None]]) -> _Node:
        parent = self.stack[-1]
        node = _Node(tag, {k: (v or "") for k, v in attrs}, parent)
        parent.children.append(node)
        self.nodes.append(node)
        return node

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CLOSES_P:
            self._close_open_p()
        if tag == "li":
            self._close_open(_LI, _LIST_SCOPE)
        elif tag in ("dt", "dd"):
            self._close_open(_DT_DD, _DL_SCOPE)
        elif tag in ("td", "th"):
            self._close_open(_TD_TH, _ROW_SCOPE)
        elif tag == "tr":
            self._close_open(_TR, _TABLE_SCOPE)
        node = self._add(tag, attrs)
        if tag not in _VOID_TAGS and len(self.stack) < _MAX_HTML_DEPTH:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # "</br>" is treated as <br> by browsers
            self._add("br", [])
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                self._pop_to(i)
                return

    def handle_data(self, data: str) -> None:
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


_LI = frozenset({"li"})
_LIST_SCOPE = frozenset({"ul", "ol", "menu"})
_DT_DD = frozenset({"dt", "dd"})
_DL_SCOPE = frozenset({"dl"})
_TD_TH = frozenset({"td", "th"})
_ROW_SCOPE = frozenset({"tr", "table"})
_TR = frozenset({"tr"})
_TABLE_SCOPE = frozenset({"table"})


def _parse_html(html: str) -> _TreeBuilder:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder


def _visible_len(s: str) -> int:
    return len(" ".join(s.split()))


@dataclass
class _Stats:
    """Per visible node (keyed by id()): text length, link text length, <p> text length,
    and whether it is or holds an <article>/<main>."""

    text: dict[int, int]
    links: dict[int, int]
    paragraphs: dict[int, int]
    has_main: dict[int, bool]
    total_text: int
    total_p: int


def _compute_stats(tree: _TreeBuilder) -> _Stats:
    text_len: dict[int, int] = {}
    link_len: dict[int, int] = {}
    p_len: dict[int, int] = {}
    has_main: dict[int, bool] = {}
    for node in reversed(tree.nodes):  # children before parents
        if node.hidden:
            continue
        t = lk = pt = 0
        main = _is_main_like(node)
        for child in node.children:
            if isinstance(child, str):
                t += _visible_len(child)
            elif not child.hidden:
                key = id(child)
                t += text_len[key]
                lk += link_len[key]
                pt += p_len[key]
                main = main or has_main[key]
        key = id(node)
        text_len[key] = t
        link_len[key] = t if node.tag == "a" else lk
        p_len[key] = t if node.tag == "p" else pt
        has_main[key] = main
    total_text = total_p = 0
    for child in tree.root.children:
        if isinstance(child, str):
            total_text += _visible_len(child)
        elif not child.hidden:
            total_text += text_len[id(child)]
            total_p += p_len[id(child)]
    return _Stats(text_len, link_len, p_len, has_main, total_text, total_p)


def _mark_hidden(tree: _TreeBuilder, stats: _Stats | None) -> None:
    """Set ``hidden`` top-down. Without stats only hard chrome hides; with stats, soft
    chrome hides too unless it holds an <article>/<main> or most of the page's text."""
    for node in tree.nodes:  # parents before children
        parent_hidden = node.parent is not None and node.parent.hidden
        hidden = parent_hidden or node.hard
        if not hidden and node.soft and stats is not None:
            key = id(node)
            wraps_content = (
                stats.has_main.get(key, False)
                or 2 * stats.paragraphs.get(key, 0) > stats.total_p > 0
                or 2 * stats.text.get(key, 0) > stats.total_text > 0
            )
            hidden = not wraps_content
        node.hidden = hidden


def _extract_builtin(html: str) -> tuple[str, str]:
    tree = _parse_html(html)
    _mark_hidden(tree, None)
    _mark_hidden(tree, _compute_stats(tree))
    stats = _compute_stats(tree)
    title = _builtin_title(tree)

    visible = [n for n in tree.nodes if not n.hidden]
    container: _Node | None = None
    for wanted in ("article", "main"):
        candidates = [
            n for n in visible if n.tag == wanted or n.attrs.get("role", "").lower() == wanted
        ]
        if candidates:
            best = max(candidates, key=lambda n: (stats.paragraphs[id(n)], stats.text[id(n)]))
            # Teaser cards are <article>s too: take it only if it holds at least half
            # of the page's <p> text, or (for <br>-separated pages) half of all text.
            holds_most = (
                stats.paragraphs[id(best)] * 2 >= stats.total_p
                or stats.text[id(best)] * 2 >= stats.total_text
            )
            if stats.text[id(best)] > 0 and holds_most:
                container = best
                break
    if container is None and stats.total_p:
        container = _best_paragraph_block(visible, stats)
    if container is None:
        bodies = [n for n in visible if n.tag == "body"]
        container = bodies[0] if bodies else tree.root

    paragraphs = _render(container, stats)
    return title, "\n\n".join(paragraphs)


def _best_paragraph_block(visible: list[_Node], stats: _Stats) -> _Node | None:
    """The node whose <p> children (full credit) and grandchildren (half) hold most text."""
    score: dict[int, float] = {}
    by_id: dict[int, _Node] = {}
    for node in visible:
        if node.tag != "p" or node.parent is None:
            continue
        length = stats.text[id(node)]
        parent = node.parent
        score[id(parent)] = score.get(id(parent), 0.0) + length
        by_id[id(parent)] = parent
        if parent.parent is not None:
            grand = parent.parent
            score[id(grand)] = score.get(id(grand), 0.0) + length / 2
            by_id[id(grand)] = grand
    if not score:
        return None
    best_key = max(score, key=lambda k: score[k])  # first maximum in document order
    return by_id[best_key]


def _render(container: _Node, stats: _Stats) -> list[str]:
    paragraphs: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        s = " ".join("".join(buf).split())
        buf.clear()
        if s:
            paragraphs.append(s)

    todo: list[_Node | str | None] = list(reversed(container.children))  # None: paragraph end
    while todo:
        item = todo.pop()
        if item is None:
            flush()
            continue
        if isinstance(item, str):
            buf.append(item)
            continue
        if item.hidden or item.tag == "h1":
            continue
        if item.tag in ("br", "hr"):
            flush()
            continue
        if item.tag in _LINK_DENSE_CHECKED:
            total = stats.text.get(id(item), 0)
            if total and stats.links.get(id(item), 0) > _MAX_LINK_DENSITY * total:
                continue  # a list of links (related stories, tags): not article text
        if item.tag in _BLOCK_TAGS:
            flush()
            todo.append(None)
        todo.extend(reversed(item.children))
    flush()
    return paragraphs


def _node_text(node: _Node) -> str:
    parts: list[str] = []
    todo: list[_Node | str] = list(reversed(node.children))
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            parts.append(item)
        elif item.tag not in ("script", "style", "template"):
            todo.extend(reversed(item.children))
    return " ".join("".join(parts).split())


def _builtin_title(tree: _TreeBuilder) -> str:
    for key in ("og:title", "twitter:title"):
        for node in tree.nodes:
            if node.tag == "meta" and key in (
                node.attrs.get("property", "").lower(),
                node.attrs.get("name", "").lower(),
            ):
                content = " ".join(node.attrs.get("content", "").split())
                if content:
                    return content
    for node in tree.nodes:
        if node.tag == "title":
            text = _node_text(node)
            if text:
                return text
    h1s = [n for n in tree.nodes if n.tag == "h1"]
    for node in sorted(h1s, key=lambda n: n.hidden):  # visible <h1> first
        text = _node_text(node)
        if text:
            return text
    return ""


def _extract_builtin_title(html: str) -> str:
    tree = _parse_html(html)
    _mark_hidden(tree, None)
    return _builtin_title(tree)


# --------------------------------------------------------------------------- inputs


def iter_inputs(
    paths: PathsArg,
    *,
    fields: FieldMap | Mapping[str, str | Iterable[str]] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_chars: int = DEFAULT_MAX_CHARS,
    html_engine: str = "auto",
) -> Iterator[Article | ReadError]:
    """Read articles from files, folders and glob patterns; yield Article or ReadError.

    ``paths`` is one ``str``/``os.PathLike`` (a file, a folder -> recursed, or a glob
    pattern with ``*`` ``?`` ``[`` or ``**``), or an iterable of those. A bare ``str`` is
    one path; an iterable is read into a list when ``iter_inputs`` is called. A path
    that exists is never treated as a pattern.

    Order is deterministic: the caller's order of arguments; inside a folder or a glob,
    sorted by path, compared component by component as plain strings (so ``a/z.txt``
    comes before ``a.txt`` and ``a0.txt``). Inside folders, names starting
    with ``.`` are skipped, files with unsupported suffixes are skipped silently, and
    symlinked folders are not followed. A glob skips matches with unsupported suffixes
    the same way. A file reached twice in one call (listed twice, or found by both a
    folder and a glob) is read once.

    Bad input never raises: each problem (missing path, glob matching nothing, folder
    without supported files, unsupported suffix of a named file, unreadable file,
    binary or undecodable content, single-article file over ``max_bytes``, malformed
    JSON/JSONL/CSV, record without a text field, text over ``max_chars``, a file with no
    records) is yielded as a :class:`ReadError`, and reading goes on. Empty text is not
    an error: the Article is yielded with ``text=""`` (or the whitespace found).

    A record without an id gets ``f"{path}#{n}"``, ``n`` its 0-based index among the
    file's records (list items for .json, non-blank lines for .jsonl, data rows for
    .csv; records that failed count too, so ids do not shift when one is fixed).
    Record-level errors are named ``f"{path}:{lineno}"`` for .jsonl and .csv (1-based
    line number) and ``f"{path}#{n}"`` for .json.

    Ids are made unique within the call: the second and later uses of an id get ``#1``,
    ``#2``, ... appended (skipping any id already taken).

    Raises at call time (not while iterating) only for programming errors: TypeError for
    a ``paths`` value that is not a path or an iterable of paths, TypeError/ValueError for
    bad ``fields``/``max_bytes``/``max_chars``/``html_engine``, and ImportError for
    ``html_engine="trafilatura"`` when trafilatura cannot be imported.
    """
    items = _coerce_paths(paths)
    field_map = make_field_map(fields)
    _check_limit("max_bytes", max_bytes)
    _check_limit("max_chars", max_chars)
    engine = _check_engine(html_engine)
    return _iter_inputs(items, field_map, max_bytes, max_chars, engine)


def _coerce_paths(paths: object) -> list[str]:
    accepted = "a path (str or os.PathLike) or an iterable of paths"
    if isinstance(paths, (str, os.PathLike)):
        return [_fspath(paths, "paths")]
    if isinstance(paths, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"paths must be {accepted}, got {type(paths).__name__}; "
            "decode it first, e.g. os.fsdecode(paths)"
        )
    if not isinstance(paths, Iterable):
        raise TypeError(f"paths must be {accepted}, got {type(paths).__name__} {paths!r}")
    out: list[str] = []
    for i, item in enumerate(paths):
        if not isinstance(item, (str, os.PathLike)):
            hint = "; decode it first, e.g. os.fsdecode(p)" if isinstance(item, bytes) else ""
            raise TypeError(
                f"paths[{i}] must be a path (str or os.PathLike), got "
                f"{type(item).__name__} {item!r}{hint}"
            )
        out.append(_fspath(item, f"paths[{i}]"))
    return out


def _fspath(item: str | os.PathLike[str], what: str) -> str:
    value = os.fspath(item)
    if not isinstance(value, str):
        raise TypeError(f"{what} is a bytes path {value!r}; pass a str path (os.fsdecode)")
    return value


def _check_limit(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


class _UniqueIds:
    """Hands out unique ids: a repeated id gets ``#1``, ``#2``, ... (skipping taken ones)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._last_suffix: dict[str, int] = {}  # keeps many repeats of one id linear

    def claim(self, article: Article) -> Article:
        new_id = article.id
        n = self._last_suffix.get(article.id, 0)
        while new_id in self._taken:
            n += 1
            new_id = f"{article.id}#{n}"
        self._last_suffix[article.id] = n
        self._taken.add(new_id)
        return article if new_id == article.id else dataclasses.replace(article, id=new_id)


@dataclass(frozen=True)
class _Options:
    fields: FieldMap
    max_bytes: int
    max_chars: int
    html_engine: str


def _iter_inputs(
    items: list[str], fields: FieldMap, max_bytes: int, max_chars: int, html_engine: str
) -> Iterator[Article | ReadError]:
    opts = _Options(fields, max_bytes, max_chars, html_engine)
    ids = _UniqueIds()
    seen_files: set[str] = set()
    for item in items:
        for result in _read_item(item, opts, seen_files):
            yield ids.claim(result) if isinstance(result, Article) else result


def _supported(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in SUPPORTED_SUFFIXES


def _read_item(item: str, opts: _Options, seen_files: set[str]) -> Iterator[Article | ReadError]:
    if not item:
        yield ReadError(item, "empty path; give a file, a folder or a glob pattern")
        return
    try:
        st = os.stat(item)
    except (FileNotFoundError, NotADirectoryError):
        if any(c in _GLOB_MAGIC for c in item):
            yield from _read_glob(item, opts, seen_files)
        else:
            yield ReadError(
                item,
                "no such file or folder; check the path (relative paths are resolved "
                f"against the current folder {os.getcwd()!r})",
            )
        return
    except OSError as exc:
        yield ReadError(item, f"cannot access it ({exc.strerror or exc}); check the path")
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _read_folder(item, opts, seen_files)
    else:
        yield from _read_file(item, opts, seen_files)


def _read_glob(pattern: str, opts: _Options, seen_files: set[str]) -> Iterator[Article | ReadError]:
    matches = sorted(glob.glob(pattern, recursive=True), key=_path_key)
    if not matches:
        yield ReadError(
            pattern,
            "glob pattern matched nothing; check the pattern and the current folder "
            f"{os.getcwd()!r} (use ** for subfolders; * does not match names starting "
            "with '.')",
        )
        return
    found = 0
    for match in matches:
        files: Iterable[str | ReadError]
        if os.path.isdir(match):
            files = _walk_folder(match)
        else:
            files = [match] if _supported(match) else []
        found += yield from _read_listed(files, opts, seen_files)
    if not found:
        yield ReadError(
            pattern,
            f"glob pattern matched {len(matches)} path(s) but no file with a supported "
            f"suffix ({', '.join(SUPPORTED_SUFFIXES)}); change the pattern",
        )


def _path_key(path: str) -> tuple[str, ...]:
    """Sort key: compare paths component by component."""
    if os.altsep:
        path = path.replace(os.altsep, os.sep)
    return tuple(path.split(os.sep))


def _read_listed(
    items: Iterable[str | ReadError], opts: _Options, seen_files: set[str]
) -> Generator[Article | ReadError, None, int]:
    """Read each listed file (errors pass through); returns how many files were listed."""
    found = 0
    for item in items:
        if isinstance(item, ReadError):
            yield item
        else:
            found += 1
            yield from _read_file(item, opts, seen_files)
    return found


def _read_folder(top: str, opts: _Options, seen_files: set[str]) -> Iterator[Article | ReadError]:
    found = yield from _read_listed(_walk_folder(top), opts, seen_files)
    if not found:
        yield ReadError(
            top,
            f"folder has no files with a supported suffix ({', '.join(SUPPORTED_SUFFIXES)}); "
            "names starting with '.' are skipped; point at the right folder",
        )


def _walk_folder(top: str) -> Iterator[str | ReadError]:
    """Supported files under ``top``, depth-first with entries sorted by name.

    Names starting with '.' are skipped, symlinked folders are not followed (no loops),
    an unlistable folder is a ReadError.
    """
    try:
        stack: list[Iterator[os.DirEntry[str]]] = [iter(_sorted_entries(top))]
    except OSError as exc:
        yield ReadError(
            top, f"cannot list this folder ({exc.strerror or exc}); check its permissions"
        )
        return
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()
        except OSError:
            is_dir = is_file = False
        if is_dir:
            try:
                stack.append(iter(_sorted_entries(entry.path)))
            except OSError as exc:
                yield ReadError(
                    entry.path,
                    f"cannot list this folder ({exc.strerror or exc}); check its "
                    "permissions, or remove it from the inputs",
                )
        elif is_file and _supported(entry.name):
            yield entry.path


def _sorted_entries(path: str) -> list[os.DirEntry[str]]:
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: e.name)


def _read_file(path: str, opts: _Options, seen_files: set[str]) -> Iterator[Article | ReadError]:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"suffix {suffix!r}" if suffix else "no suffix"
        yield ReadError(
            path,
            f"unsupported file type ({shown}); supported: {', '.join(SUPPORTED_SUFFIXES)}; "
            "convert or rename it, or leave it out",
        )
        return
    key = os.path.normcase(os.path.realpath(path))
    if key in seen_files:
        return
    seen_files.add(key)
    try:
        if suffix in _SINGLE_ARTICLE_SUFFIXES:
            yield _read_single(path, suffix, opts)
        elif suffix == ".jsonl":
            yield from _read_jsonl(path, opts)
        elif suffix == ".json":
            yield from _read_json(path, opts)
        else:
            yield from _read_csv(path, opts)
    except Exception as exc:  # one bad file must not stop the batch
        yield ReadError(
            path,
            f"unexpected error while reading ({type(exc).__name__}: {exc}); "
            "this is a bug in dupdetect: please report it with the file",
        )


def _open_checked(path: str, max_bytes: int | None) -> io.BufferedReader | ReadError:
    """stat, then open; refuse non-regular files and (if max_bytes) files that are too big."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return ReadError(path, "not a regular file (device, pipe or socket); leave it out")
        if max_bytes is not None and st.st_size > max_bytes:
            return _too_large(path, st.st_size, max_bytes)
        return open(path, "rb")  # the caller closes it
    except PermissionError:
        return ReadError(
            path,
            "permission denied; make the file readable (e.g. chmod +r) or run as a user "
            "who can read it",
        )
    except OSError as exc:
        return ReadError(path, f"cannot read it ({exc.strerror or exc}); check the path")


def _too_large(path: str, size: int, max_bytes: int) -> ReadError:
    return ReadError(
        path,
        f"file is {size:,} bytes, over max_bytes={max_bytes:,}: too large to be one article; "
        "if it holds many articles, store them as .jsonl or .csv; otherwise pass a larger "
        "max_bytes",
    )


def _read_all(path: str, max_bytes: int | None) -> bytes | ReadError:
    f = _open_checked(path, max_bytes)
    if isinstance(f, ReadError):
        return f
    try:
        with f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as exc:
        return ReadError(path, f"cannot read it ({exc.strerror or exc}); check the file")
    if max_bytes is not None and len(data) > max_bytes:  # it grew after stat
        return _too_large(path, len(data), max_bytes)
    return data


def _decode(data: bytes, name: str) -> str | ReadError:
    try:
        return decode_bytes(data, name=name)
    except DecodeError as exc:
        return ReadError(name, exc.reason)


def _check_chars(where: str, text: str, max_chars: int) -> ReadError | None:
    if len(text) > max_chars:
        return ReadError(
            where,
            f"article text is {len(text):,} characters, over max_chars={max_chars:,}; "
            "if this really is one article, pass a larger max_chars",
        )
    return None


def _read_single(path: str, suffix: str, opts: _Options) -> Article | ReadError:
    data = _read_all(path, opts.max_bytes)
    if isinstance(data, ReadError):
        return data
    text = _decode(data, path)
    if isinstance(text, ReadError):
        return text
    title = ""
    if suffix != ".txt":
        title, text = extract_html(text, engine=opts.html_engine)
    too_long = _check_chars(path, text, opts.max_chars)
    if too_long is not None:
        return too_long
    return Article(id=path, text=text, title=title, published=None, source=path)


# Records ----------------------------------------------------------------------------


def _lookup(record: Mapping[str, object], names: tuple[str, ...]) -> tuple[bool, object, str]:
    """(any name present?, first non-empty value or first present value, its field name).

    Exact names are tried first, then case-insensitive matches. dict/list values are not
    usable as text and count as absent.
    """
    lowered: dict[str, str] | None = None
    first_present: tuple[object, str] | None = None
    for name in names:
        key: str | None = name if name in record else None
        if key is None:
            if lowered is None:
                lowered = {}
                for k in record:
                    if isinstance(k, str):
                        lowered.setdefault(k.lower(), k)
            key = lowered.get(name.lower())
        if key is None:
            continue
        value = record[key]
        if isinstance(value, (dict, list)):
            continue
        if value is not None and str(value).strip():
            return True, value, key
        if first_present is None:
            first_present = (value, key)
    if first_present is not None:
        return True, first_present[0], first_present[1]
    return False, None, ""


def _as_str(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _record_to_article(
    record: Mapping[str, object],
    *,
    fallback_id: str,
    where: str,
    source: str,
    opts: _Options,
) -> Article | ReadError:
    fm = opts.fields
    has_text, text_value, _ = _lookup(record, fm.text)
    if not has_text:
        shown = ", ".join(repr(k) for k in list(record)[:20])
        more = ", ..." if len(record) > 20 else ""
        unusable = [
            k for k in record if isinstance(k, str) and k.lower() in {n.lower() for n in fm.text}
        ]
        note = (
            f" ({', '.join(map(repr, unusable))} holds an object or list, not text)"
            if unusable
            else ""
        )
        return ReadError(
            where,
            f"record has no text field: tried {', '.join(fm.text)}{note}; its fields are "
            f"{shown or 'none'}{more}; pass fields={{'text': '<field name>'}} to say which "
            "field holds the article text",
        )
    text = _as_str(text_value)
    too_long = _check_chars(where, text, opts.max_chars)
    if too_long is not None:
        return too_long
    has_id, id_value, _ = _lookup(record, fm.id)
    article_id = _as_str(id_value) if has_id and _as_str(id_value).strip() else fallback_id
    _, title_value, _ = _lookup(record, fm.title)
    has_date, date_value, _ = _lookup(record, fm.date)
    published = _as_str(date_value) if has_date and date_value is not None else None
    return Article(
        id=article_id,
        text=text,
        title=_as_str(title_value),
        published=published if published else None,
        source=source,
    )


def _not_an_object(where: str, value: object) -> ReadError:
    return ReadError(
        where,
        f"record is a JSON {_json_type(value)}, not an object; each article must be an "
        'object like {"id": ..., "title": ..., "text": ...}',
    )


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def _no_records(path: str, what: str) -> ReadError:
    return ReadError(path, f"{what} contains no records; check that it is the right file")


def _read_container(path: str, empty_hint: str) -> str | ReadError:
    """The decoded text of a many-article file, or the error that stops it (empty included)."""
    data = _read_all(path, None)
    if isinstance(data, ReadError):
        return data
    text = _decode(data, path)
    if isinstance(text, ReadError):
        return text
    if not text.strip():
        return ReadError(path, f"file is empty; {empty_hint}")
    return text


def _read_json(path: str, opts: _Options) -> Iterator[Article | ReadError]:
    text = _read_container(path, "a .json file must hold a list of article objects")
    if isinstance(text, ReadError):
        yield text
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ReadError(
            path,
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; fix the file, "
            "or if it has one JSON object per line, rename it to .jsonl",
        )
        return
    records: list[object]
    if isinstance(doc, list):
        records = doc
    elif isinstance(doc, dict):
        key = next((k for k in _JSON_LIST_KEYS if isinstance(doc.get(k), list)), None)
        if key is not None:
            records = doc[key]
        elif _lookup(doc, opts.fields.text)[0]:
            records = [doc]
        else:
            yield ReadError(
                path,
                "JSON object is neither an article (no field "
                f"{', '.join(opts.fields.text)}) nor holds a list of articles under "
                f"{', '.join(_JSON_LIST_KEYS)}; make the file a list of article objects, "
                "or pass fields={'text': '<field name>'}",
            )
            return
    else:
        yield ReadError(
            path,
            f"top-level JSON value is a {_json_type(doc)}; expected a list of article "
            "objects or an object holding one",
        )
        return
    if not records:
        yield _no_records(path, "JSON file")
        return
    for n, record in enumerate(records):
        where = f"{path}#{n}"
        if not isinstance(record, dict):
            yield _not_an_object(where, record)
            continue
        yield _record_to_article(record, fallback_id=where, where=where, source=path, opts=opts)


def _read_jsonl(path: str, opts: _Options) -> Iterator[Article | ReadError]:
    f = _open_checked(path, None)
    if isinstance(f, ReadError):
        yield f
        return
    with f:
        head = f.read(4)
        if any(head.startswith(bom) for bom, codec, _ in _BOMS if codec != "utf-8"):
            # UTF-16/32: lines cannot be split on b"\n"; decode the whole file.
            rest = f.read()
            text = _decode(head + rest, path)
            if isinstance(text, ReadError):
                yield text
                return
            lines: Iterator[bytes | str] = iter(text.split("\n"))
        else:
            f.seek(len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0)
            lines = _limited_lines(f, opts.max_chars * 8 + (1 << 20))
        n = 0
        for lineno, raw in enumerate(lines, start=1):
            where = f"{path}:{lineno}"
            if raw is _LONG_LINE:
                n += 1
                yield ReadError(
                    where,
                    f"line is longer than {opts.max_chars * 8 + (1 << 20):,} bytes, too long "
                    f"for an article of at most max_chars={opts.max_chars:,}; pass a larger "
                    "max_chars if it really is one article",
                )
                continue
            if isinstance(raw, bytes):
                if not raw.strip():
                    continue
                n += 1
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    decoded = _decode(raw, where)
                    if isinstance(decoded, ReadError):
                        yield decoded
                        continue
                    line = decoded
            else:
                if not raw.strip():
                    continue
                n += 1
                line = raw
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ReadError(
                    where,
                    f"invalid JSON on this line (column {exc.colno}: {exc.msg}); each line "
                    "of a .jsonl file must be one complete JSON object; fix or remove the line",
                )
                continue
            if not isinstance(record, dict):
                yield _not_an_object(where, record)
                continue
            yield _record_to_article(
                record, fallback_id=f"{path}#{n - 1}", where=where, source=path, opts=opts
            )
    if n == 0:
        yield _no_records(path, "JSONL file")


_LONG_LINE = b"\x00<line too long>"


def _limited_lines(f: io.BufferedReader, limit: int) -> Iterator[bytes]:
    """Lines of a binary file; a line longer than ``limit`` is skipped and yields _LONG_LINE."""
    while True:
        line = f.readline(limit)
        if not line:
            return
        if len(line) >= limit and not line.endswith(b"\n"):
            while True:  # drop the rest of the overlong line
                chunk = f.readline(limit)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield _LONG_LINE
            continue
        yield line


_CSV_DELIMITERS: tuple[str, ...] = (",", ";", "\t")


def _sniff_delimiter(first_line: str) -> str:
    """The candidate that splits the header row into the most fields (ties: , then ; then tab)."""
    best, best_count = ",", 0
    for delim in _CSV_DELIMITERS:
        try:
            count = len(next(csv.reader([first_line], delimiter=delim)))
        except (csv.Error, StopIteration):
            continue
        if count > best_count:
            best, best_count = delim, count
    return best


def _parse_csv(
    text: str, delimiter: str
) -> tuple[list[tuple[int, list[str]]], csv.Error | None, int]:
    """All rows with their starting line numbers, and the csv.Error that stopped parsing."""
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, len(text) + 1))
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return rows, None, reader.line_num
            except csv.Error as exc:
                return rows, exc, reader.line_num
            rows.append((start, row))
    finally:
        csv.field_size_limit(old_limit)


def _read_csv(path: str, opts: _Options) -> Iterator[Article | ReadError]:
    text = _read_container(path, "a .csv file needs a header row, then one row per article")
    if isinstance(text, ReadError):
        yield text
        return
    first_line = text.lstrip("\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    rows, error, error_line = _parse_csv(text, delimiter)
    rows = [(line, row) for line, row in rows if row]  # blank lines are not records
    if not rows:
        yield ReadError(
            f"{path}:{error_line}" if error else path,
            f"malformed CSV: {error}; fix the quoting" if error else "file has no header row",
        )
        return
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    text_columns = {h.lower() for h in header}
    if not any(name.lower() in text_columns for name in opts.fields.text):
        shown = ", ".join(repr(h) for h in header[:20]) or "none"
        yield ReadError(
            path,
            f"header row (line {header_line}) has no text column: tried "
            f"{', '.join(opts.fields.text)}; its columns are {shown}; the first row must be "
            "a header: add one if it is missing, or pass fields={'text': '<column name>'}",
        )
        return
    data_rows = rows[1:]
    for n, (line, row) in enumerate(data_rows):
        where = f"{path}:{line}"
        if len(row) != len(header):
            yield ReadError(
                where,
                f"row has {len(row)} fields but the header has {len(header)} (delimiter "
                f"{delimiter!r}); quote fields that contain the delimiter, or fix the row",
            )
            continue
        record: dict[str, object] = {}
        for name, value in zip(header, row, strict=True):
            record.setdefault(name, value)  # a repeated column name: the first one wins
        yield _record_to_article(
            record, fallback_id=f"{path}#{n}", where=where, source=path, opts=opts
        )
    if error is not None:
        yield ReadError(
            f"{path}:{error_line}",
            f"malformed CSV, reading stopped here: {error}; a field containing the "
            "delimiter, a quote or a line break must be wrapped in double quotes, with "
            'inner quotes doubled ("")',
        )
    elif not data_rows:
        yield _no_records(path, "CSV file (only a header row)")
