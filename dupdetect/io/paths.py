"""Paths, folders and glob patterns -> files -> Article / ReadError values, in a fixed order.

    paths --iter_inputs--> each argument: a file, a folder (walked), or a glob pattern
          --by suffix-->   .txt            one article: the decoded text (files)
                           .html / .htm    one article: extract_page (html)
                           .json/.jsonl/.csv  one article per record (records)
          --unique ids-->  Article, or ReadError for what could not be read

This is the I/O edge of dupdetect: nothing downstream touches the file system.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import stat
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from .files import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHARS,
    broken_symlink,
    check_chars,
    file_id,
    forget_folders,
    not_regular,
    read_text,
)
from .html import check_engine, extract_page, visible_text_length
from .records import read_csv, read_json, read_jsonl
from .values import Article, FieldMap, ReadError, make_field_map

__all__ = [
    "SKIPPED_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "PathArg",
    "PathsArg",
    "iter_inputs",
    "read_article",
]

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".html", ".htm", ".json", ".jsonl", ".csv")
"""File suffixes read (case-insensitively); anything else is not an article file."""
SKIPPED_SUFFIXES: tuple[str, ...] = (
    # a saved web page's assets: styles, scripts, images, fonts, audio and video
    ".css",
    ".js",
    ".mjs",
    ".map",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".avif",
    ".svg",
    ".ico",
    ".bmp",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
    ".eot",
    ".mp3",
    ".mp4",
    ".webm",
    ".ogg",
    ".wav",
)
"""Regular files with these suffixes are skipped silently inside folders and globs (named
one by one, they are a ReadError like any unsupported file). Every other path met while
walking is read or listed as a ReadError, except names starting with ``.``."""

_GLOB_MAGIC = frozenset("*?[")

PathArg: TypeAlias = "str | os.PathLike[str]"
"""One path: a file, a folder (recursed) or a glob pattern."""
PathsArg: TypeAlias = "PathArg | Iterable[PathArg]"
"""What :func:`iter_inputs` accepts: one path, or an iterable of paths."""


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
    comes before ``a.txt`` and ``a0.txt``). A file reached twice in one call (listed
    twice, found by both a folder and a glob, or through a symlink) is read once.

    Inside folders and glob matches, every path met is read or yielded as a ReadError,
    except names starting with ``.`` (skipped) and regular files with a suffix in
    :data:`SKIPPED_SUFFIXES` (a saved page's styles, scripts, images, fonts, audio and
    video: skipped silently). Other unsupported files, FIFOs, devices, sockets, broken
    symlinks and symlinks to folders (not followed: they could loop) are each a
    ReadError that says what the path is. A FIFO or a device is never opened.

    Bad input never raises: each problem (missing path, glob matching nothing, folder
    without supported files, unsupported suffix of a named file, unreadable file,
    binary or undecodable content, single-article file over ``max_bytes``, malformed
    JSON/JSONL/CSV, record without a text field, text over ``max_chars``, a file with no
    records, an HTML page without trafilatura installed, or with visible text in which
    trafilatura finds no article) is yielded as a :class:`ReadError`, and reading goes on.
    Empty text is not an error: the Article is yielded with ``text=""`` (or the whitespace
    found).

    Ids do not depend on how a path was typed: a .txt/.html file's id is its resolved path
    (absolute, symlinks resolved); a record's id is its own id field, else
    ``f"{resolved path}#{n}"``, ``n`` its 0-based index among the file's records (list
    items for .json, non-blank lines for .jsonl, data rows for .csv; records that failed
    count too, so ids do not shift when one is fixed). Errors name the path as it was
    given or found: ``f"{path}:{lineno}"`` for a record of .jsonl and .csv (1-based line
    number), ``f"{path}#{n}"`` for .json.

    Ids are made unique within the call: the second and later uses of an id get ``#1``,
    ``#2``, ... appended (skipping any id already taken).

    HTML is read with trafilatura (``pip install "dupdetect[html]"``); without it each
    .html/.htm file is a ReadError that says what to install. ``html_engine``: ``"auto"``
    or ``"trafilatura"`` (the same); ``"builtin"`` was removed (ValueError).

    Raises at call time (not while iterating) only for programming errors: TypeError for
    a ``paths`` value that is not a path or an iterable of paths, TypeError/ValueError for
    bad ``fields``/``max_bytes``/``max_chars``/``html_engine``.
    """
    items = _coerce_paths(paths)
    field_map = make_field_map(fields)
    _check_limit("max_bytes", max_bytes)
    _check_limit("max_chars", max_chars)
    check_engine(html_engine)
    return _iter_inputs(items, _Options(field_map, max_bytes, max_chars))


def read_article(
    path: PathArg,
    *,
    fields: FieldMap | Mapping[str, str | Iterable[str]] | None = None,
    html_engine: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Article:
    """Read the one article at ``path``, through exactly the code of :func:`iter_inputs`.

    The same decoding, HTML extraction (the main text, not the markup), record fields and
    ids: a .txt or .html file, or a .json/.jsonl/.csv file holding exactly one record.
    Raises ValueError naming the path and what to do when it gives no article (missing,
    unreadable, binary, HTML without trafilatura, ...), more than one (a folder, a glob, a
    file of several records), or one article and errors beside it (a bad record); TypeError
    when ``path`` is not one str/os.PathLike; the option errors of :func:`iter_inputs`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"read_article() reads one path (str or os.PathLike), got {type(path).__name__}; "
            "for many inputs use iter_inputs() or cluster()"
        )
    results = iter_inputs(
        path, fields=fields, html_engine=html_engine, max_bytes=max_bytes, max_chars=max_chars
    )
    shown = os.fspath(path)
    found: list[Article] = []
    problems: list[ReadError] = []
    for item in results:
        if isinstance(item, ReadError):
            problems.append(item)
        else:
            found.append(item)
            if len(found) > 1:
                raise ValueError(
                    f"{shown!r} holds more than one article (a folder, a glob, or a "
                    ".json/.jsonl/.csv file with several records); read_article() reads "
                    "exactly one: name one file, or use iter_inputs() or cluster() for many"
                )
    if found and not problems:
        return found[0]
    detail = "; ".join(p.message if p.input == shown else str(p) for p in problems[:3])
    if len(problems) > 3:
        detail += f"; and {len(problems) - 3} more"
    if found:
        raise ValueError(
            f"{shown!r} gives one article but also {len(problems)} error(s): {detail}; fix "
            "the file, or use iter_inputs() to read past bad records"
        )
    raise ValueError(f"cannot read an article from {shown!r}: {detail}")


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


def _iter_inputs(items: list[str], opts: _Options) -> Iterator[Article | ReadError]:
    forget_folders()
    ids = _UniqueIds()
    seen_files: set[str] = set()
    for item in items:
        for result in _read_item(item, opts, seen_files):
            yield ids.claim(result) if isinstance(result, Article) else result


def _read_item(item: str, opts: _Options, seen_files: set[str]) -> Iterator[Article | ReadError]:
    if not item:
        yield ReadError(item, "empty path; give a file, a folder or a glob pattern")
        return
    try:
        st = os.stat(item)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(item):
            yield broken_symlink(item)
        elif any(c in _GLOB_MAGIC for c in item):
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
        files: Iterable[str | ReadError | None]
        if os.path.isdir(match):
            files = _walk_folder(match)
        else:
            files = [_met(match)]
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
    items: Iterable[str | ReadError | None], opts: _Options, seen_files: set[str]
) -> Generator[Article | ReadError, None, int]:
    """Read each listed file (errors pass through, None is skipped); returns how many files
    were listed."""
    found = 0
    for item in items:
        if isinstance(item, ReadError):
            yield item
        elif item is not None:
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


def _walk_folder(top: str) -> Iterator[str | ReadError | None]:
    """What :func:`_met` says of each path under ``top``, depth-first with entries sorted by
    name. Names starting with '.' are skipped, symlinked folders are not followed (no loops),
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
        except OSError:
            is_dir = False
        if is_dir:
            try:
                stack.append(iter(_sorted_entries(entry.path)))
            except OSError as exc:
                yield ReadError(
                    entry.path,
                    f"cannot list this folder ({exc.strerror or exc}); check its "
                    "permissions, or remove it from the inputs",
                )
        else:
            yield _met(entry.path)


def _met(path: str) -> str | ReadError | None:
    """A path met in a folder or matched by a glob (not a folder itself): the path when it is
    to be read, None for a web asset skipped silently, else the ReadError saying why not."""
    try:
        st = os.stat(path)  # follows symlinks; never opens anything
    except FileNotFoundError:
        if os.path.islink(path):
            return broken_symlink(path)
        return ReadError(path, "vanished while its folder was read; run again")
    except OSError as exc:
        return ReadError(path, f"cannot access it ({exc.strerror or exc}); check it")
    if stat.S_ISDIR(st.st_mode):  # a symlink to a folder: the walk does not follow it
        return ReadError(
            path,
            f"a symlink to a folder ({os.readlink(path)!r}), not followed (it could loop); "
            "name that folder itself to read it",
        )
    if not stat.S_ISREG(st.st_mode):
        return not_regular(path, st.st_mode)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in SUPPORTED_SUFFIXES:
        return path
    if suffix in SKIPPED_SUFFIXES:
        return None
    return _unsupported(path, suffix)


def _unsupported(path: str, suffix: str) -> ReadError:
    shown = f"suffix {suffix!r}" if suffix else "no suffix"
    return ReadError(
        path,
        f"unsupported file type ({shown}); supported: {', '.join(SUPPORTED_SUFFIXES)}; "
        "convert or rename it, or leave it out",
    )


def _sorted_entries(path: str) -> list[os.DirEntry[str]]:
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: e.name)


def _read_file(path: str, opts: _Options, seen_files: set[str]) -> Iterator[Article | ReadError]:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield _unsupported(path, suffix)
        return
    key = os.path.normcase(file_id(path))
    if key in seen_files:
        return
    seen_files.add(key)
    try:
        yield from _READERS[suffix](path, opts)
    except Exception as exc:  # one bad file must not stop the batch
        yield ReadError(
            path,
            f"unexpected error while reading ({type(exc).__name__}: {exc}); "
            "this is a bug in dupdetect: please report it with the file",
        )


def _read_txt(path: str, opts: _Options) -> Iterator[Article | ReadError]:
    text = read_text(path, opts.max_bytes)
    if isinstance(text, ReadError):
        yield text
        return
    yield check_chars(path, text, opts.max_chars) or Article(id=file_id(path), text=text)


def _read_html(path: str, opts: _Options) -> Iterator[Article | ReadError]:
    html = read_text(path, opts.max_bytes)
    if isinstance(html, ReadError):
        yield html
        return
    try:
        page = extract_page(html)
    except ImportError as exc:
        yield ReadError(path, f"{exc}; or leave the HTML files out")
        return
    except Exception as exc:  # a third-party failure on one page must not stop the batch
        yield ReadError(
            path,
            f"trafilatura failed on this page ({type(exc).__name__}: {exc}); check that it "
            "is an HTML page, or save its text as .txt",
        )
        return
    shown = 0 if page.text else visible_text_length(html)
    if shown:
        yield ReadError(
            path,
            f"trafilatura found no article text in this page, though it shows "
            f"{shown:,} characters of text (menus, links, a short or "
            "unusual layout?); if it is an article, save its text as .txt",
        )
        return
    too_long = check_chars(path, page.text, opts.max_chars)
    yield too_long or Article(
        id=file_id(path),
        text=page.text,
        title=page.title,
        published=page.published,
        source=page.source,
    )


def _read_records(
    reader: Callable[..., Iterator[Article | ReadError]],
) -> Callable[[str, _Options], Iterator[Article | ReadError]]:
    def read(path: str, opts: _Options) -> Iterator[Article | ReadError]:
        return reader(path, fields=opts.fields, max_chars=opts.max_chars)

    return read


_READERS: dict[str, Callable[[str, _Options], Iterator[Article | ReadError]]] = {
    ".txt": _read_txt,
    ".html": _read_html,
    ".htm": _read_html,
    ".json": _read_records(read_json),
    ".jsonl": _read_records(read_jsonl),
    ".csv": _read_records(read_csv),
}
