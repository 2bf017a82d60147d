"""The values the readers hand out: :class:`Article`, :class:`ReadError`, and the record
field names (:class:`FieldMap`). No I/O here; every other ``dupdetect.io`` module imports this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Article", "DecodeError", "FieldMap", "ReadError", "make_field_map"]


@dataclass(frozen=True)
class Article:
    """One article as read from disk, before any cleaning.

    ``id``: for a .txt/.html file the file's resolved path (absolute, symlinks resolved), so
    one file keeps one id however it was named (relative, absolute, a folder, a glob); for
    records in .json/.jsonl/.csv the record's own id field, else ``f"{resolved path}#{n}"``
    with ``n`` the 0-based record index. ``text`` is decoded but otherwise untouched.
    ``published``: the record's date field, or for HTML the publication date trafilatura
    finds in the page (meta tags, JSON-LD), as an ISO 8601 string; else None.
    ``source``: the outlet: a record's ``source``/``outlet``/``site`` field, or for HTML the
    site name (``og:site_name``, JSON-LD publisher) or the page URL's host; else None.
    """

    id: str
    text: str
    title: str = ""
    published: str | None = None
    source: str | None = None

    @property
    def body(self) -> str:
        """What is compared: the title (when there is one) on its own line, then the text."""
        return f"{self.title}\n{self.text}" if self.title else self.text


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
    source: tuple[str, ...] = ("source", "outlet", "site")

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
                    f"e.g. FieldMap({f.name}=({f.name!r},))"
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
