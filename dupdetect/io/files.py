"""One file on disk -> its bytes or its text, within limits; problems become ReadError values.

    path --open_checked--> a binary file (regular files only, under max_bytes)
         --read_all-->     bytes
         --read_text-->    text (decode_bytes)
    text --check_chars-->  None, or a ReadError when the article is too long

The layer below both the path walker (:mod:`dupdetect.io.paths`) and the record readers
(:mod:`dupdetect.io.records`): they never open a file themselves.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable

from .decode import decode_bytes
from .values import DecodeError, ReadError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHARS",
    "broken_symlink",
    "check_chars",
    "decode_or_error",
    "file_id",
    "forget_folders",
    "not_regular",
    "open_checked",
    "read_all",
    "read_text",
]

DEFAULT_MAX_BYTES = 5_000_000
"""A single-article file (.txt/.html/.htm) larger than this is too large to be an article."""
DEFAULT_MAX_CHARS = 1_000_000
"""One article's text (any format) longer than this is too large."""


def file_id(path: str) -> str:
    """The id of what a file holds: its resolved path (absolute, symlinks resolved), so one
    file keeps one id whether it was named relatively, absolutely, by a folder or a glob.

    The same string as ``os.path.realpath(path)``. A file that is not itself a symlink is its
    folder's resolved path plus its name; each folder is resolved once per reading run (see
    :func:`forget_folders`): one ``lstat`` a file instead of one per path component.
    """
    last = _last_id
    if last is not None and last[0] == path:  # the reader asks twice per file: one lstat a part
        return last[1]
    head, tail = os.path.split(path)
    resolved = None
    if tail not in ("", ".", ".."):
        try:
            plain = not stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            plain = False  # missing or unreadable: realpath says what it says of such a path
        if plain:
            # not abspath: it drops "x/.." before symlinks are resolved, realpath after
            folder = head if os.path.isabs(head) else os.path.join(os.getcwd(), head)
            real = _real_folders.get(folder)
            if real is None:
                real = _real_folders[folder] = os.path.realpath(folder)
            resolved = os.path.join(real, tail)
    if resolved is None:
        resolved = os.path.realpath(path)
    globals()["_last_id"] = (path, resolved)
    return resolved


def forget_folders() -> None:
    """Forget the folders :func:`file_id` resolved (called as each reading run starts, so a
    symlinked folder pointed elsewhere between two runs is resolved again)."""
    _real_folders.clear()
    globals()["_last_id"] = None


_last_id: tuple[str, str] | None = None
_real_folders: dict[str, str] = {}


_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def not_regular(path: str, mode: int) -> ReadError:
    """The ReadError for a path whose ``st_mode`` is not a regular file (a FIFO, a device, a
    socket), saying what it is and whether it is reached through a symlink."""
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    if os.path.islink(path):
        kind = f"a symlink to {kind} ({_link_target(path)})"
    return ReadError(
        path,
        f"{kind}, not a regular file: only regular files are read (pipes and devices are "
        "never opened); leave it out",
    )


def broken_symlink(path: str) -> ReadError:
    """The ReadError for a symlink whose target does not exist."""
    return ReadError(
        path,
        f"a broken symlink (to {_link_target(path)}, which does not exist), not a regular "
        "file; fix or remove the link",
    )


def _link_target(path: str) -> str:
    try:
        return repr(os.readlink(path))
    except OSError:
        return "an unreadable target"


def _open_nonblocking(path: str, flags: int) -> int:
    # If a FIFO replaces the file between stat and open, opening it must not wait for a writer.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def open_checked(path: str, max_bytes: int | None) -> io.BufferedReader | ReadError:
    """stat, then open; refuse non-regular files and (if max_bytes) files that are too big.

    A FIFO or device is never opened. The caller closes the file.
    """
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return not_regular(path, st.st_mode)
        if max_bytes is not None and st.st_size > max_bytes:
            return _too_large(path, st.st_size, max_bytes)
        f = open(path, "rb", opener=_open_nonblocking)
        mode = os.fstat(f.fileno()).st_mode
        if not stat.S_ISREG(mode):  # replaced after the stat above
            f.close()
            return not_regular(path, mode)
        return f
    except FileNotFoundError:
        if os.path.islink(path):
            return broken_symlink(path)
        return ReadError(path, "no such file (was it removed while reading?); check the path")
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


def read_all(path: str, max_bytes: int | None) -> bytes | ReadError:
    """All bytes of a regular file (at most ``max_bytes`` when given)."""
    f = open_checked(path, max_bytes)
    if isinstance(f, ReadError):
        return f
    try:
        with f:
            if max_bytes is None:
                data = f.read()
            else:
                # read(n) allocates n bytes first: ask for the file's size, not the limit (a
                # 64 MiB buffer per 2 KB article was a third of reading a folder)
                limit, hint = max_bytes + 1, os.fstat(f.fileno()).st_size + 1
                data = f.read(min(limit, hint))
                if len(data) == hint < limit:  # it grew after the stat: read on to the limit
                    data += f.read(limit - hint)
    except OSError as exc:
        return ReadError(path, f"cannot read it ({exc.strerror or exc}); check the file")
    if max_bytes is not None and len(data) > max_bytes:  # it grew after stat
        return _too_large(path, len(data), max_bytes)
    return data


def decode_or_error(data: bytes, name: str) -> str | ReadError:
    """:func:`decode_bytes`, with a :class:`DecodeError` returned as a ReadError for ``name``."""
    try:
        return decode_bytes(data, name=name)
    except DecodeError as exc:
        return ReadError(name, exc.reason)


def read_text(path: str, max_bytes: int | None) -> str | ReadError:
    """The decoded text of a regular file (:func:`read_all`, then :func:`decode_or_error`)."""
    data = read_all(path, max_bytes)
    if isinstance(data, ReadError):
        return data
    return decode_or_error(data, path)


def check_chars(where: str, text: str, max_chars: int) -> ReadError | None:
    """A ReadError naming ``where`` when ``text`` is longer than ``max_chars``, else None."""
    if len(text) > max_chars:
        return ReadError(
            where,
            f"article text is {len(text):,} characters, over max_chars={max_chars:,}; "
            "if this really is one article, pass a larger max_chars",
        )
    return None
