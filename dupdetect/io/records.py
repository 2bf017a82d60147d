"""Files holding many articles -> Article values, one per record (FieldMap lookup).

    .json  (a list, an object holding a list, or one object) --+
    .jsonl (one object per line, read line by line)           --+--> record (dict)
    .csv   (a header row, then one row per article)           --+
    record --FieldMap: first present non-empty field--> Article, or ReadError for that record

Record fields are looked up exact name first, then case-insensitively (a ``Title`` column
works). A bad record is a ReadError naming ``path#n`` (.json) or ``path:line`` (.jsonl,
.csv), and reading goes on with the next one.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator, Mapping

from .decode import has_wide_bom
from .files import check_chars, decode_or_error, file_id, open_checked, read_text
from .values import Article, FieldMap, ReadError

__all__ = ["JSON_LIST_KEYS", "read_csv", "read_json", "read_jsonl"]

JSON_LIST_KEYS: tuple[str, ...] = (
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
"""Keys of a top-level JSON object under which a list of articles is looked for, in order."""


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
    fields: FieldMap,
    max_chars: int,
) -> Article | ReadError:
    fm = fields
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
    too_long = check_chars(where, text, max_chars)
    if too_long is not None:
        return too_long
    has_id, id_value, _ = _lookup(record, fm.id)
    article_id = _as_str(id_value) if has_id and _as_str(id_value).strip() else fallback_id
    _, title_value, _ = _lookup(record, fm.title)
    has_date, date_value, _ = _lookup(record, fm.date)
    published = _as_str(date_value) if has_date and date_value is not None else None
    _, source_value, _ = _lookup(record, fm.source)
    source = " ".join(_as_str(source_value).split())
    return Article(
        id=article_id,
        text=text,
        title=_as_str(title_value),
        published=published if published else None,
        source=source or None,
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
    text = read_text(path, None)
    if isinstance(text, ReadError):
        return text
    if not text.strip():
        return ReadError(path, f"file is empty; {empty_hint}")
    return text


def read_json(path: str, *, fields: FieldMap, max_chars: int) -> Iterator[Article | ReadError]:
    """Articles of a .json file: a list of objects, an object holding one under a
    :data:`JSON_LIST_KEYS` key, or one article object. Errors name ``path#n``."""
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
        key = next((k for k in JSON_LIST_KEYS if isinstance(doc.get(k), list)), None)
        if key is not None:
            records = doc[key]
        elif _lookup(doc, fields.text)[0]:
            records = [doc]
        else:
            yield ReadError(
                path,
                "JSON object is neither an article (no field "
                f"{', '.join(fields.text)}) nor holds a list of articles under "
                f"{', '.join(JSON_LIST_KEYS)}; make the file a list of article objects, "
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
    base = file_id(path)
    for n, record in enumerate(records):
        where = f"{path}#{n}"
        if not isinstance(record, dict):
            yield _not_an_object(where, record)
            continue
        yield _record_to_article(
            record, fallback_id=f"{base}#{n}", where=where, fields=fields, max_chars=max_chars
        )


def read_jsonl(path: str, *, fields: FieldMap, max_chars: int) -> Iterator[Article | ReadError]:
    """Articles of a .jsonl file, read line by line (blank lines skipped; a line is decoded
    on its own, so one legacy-encoded line does not spoil the others). Errors name
    ``path:line``; a line over ``8 * max_chars + 1 MiB`` bytes is skipped unread."""
    f = open_checked(path, None)
    if isinstance(f, ReadError):
        yield f
        return
    with f:
        head = f.read(4)
        if has_wide_bom(head):
            # UTF-16/32: lines cannot be split on b"\n"; decode the whole file.
            rest = f.read()
            text = decode_or_error(head + rest, path)
            if isinstance(text, ReadError):
                yield text
                return
            lines: Iterator[bytes | str] = iter(text.split("\n"))
        else:
            f.seek(len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0)
            lines = _limited_lines(f, max_chars * 8 + (1 << 20))
        n = 0
        for lineno, raw in enumerate(lines, start=1):
            where = f"{path}:{lineno}"
            if raw is _LONG_LINE:
                n += 1
                yield ReadError(
                    where,
                    f"line is longer than {max_chars * 8 + (1 << 20):,} bytes, too long "
                    f"for an article of at most max_chars={max_chars:,}; pass a larger "
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
                    decoded = decode_or_error(raw, where)
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
                record,
                fallback_id=f"{file_id(path)}#{n - 1}",
                where=where,
                fields=fields,
                max_chars=max_chars,
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


def read_csv(path: str, *, fields: FieldMap, max_chars: int) -> Iterator[Article | ReadError]:
    """Articles of a .csv file: a header row, then one row per article; the delimiter
    (``,`` ``;`` or tab) is the one that splits the header row into the most fields.
    Errors name ``path:line``."""
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
    if not any(name.lower() in text_columns for name in fields.text):
        shown = ", ".join(repr(h) for h in header[:20]) or "none"
        yield ReadError(
            path,
            f"header row (line {header_line}) has no text column: tried "
            f"{', '.join(fields.text)}; its columns are {shown}; the first row must be "
            "a header: add one if it is missing, or pass fields={'text': '<column name>'}",
        )
        return
    data_rows = rows[1:]
    base = file_id(path)
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
            record, fallback_id=f"{base}#{n}", where=where, fields=fields, max_chars=max_chars
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
