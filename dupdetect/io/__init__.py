"""Reading articles from files: paths, formats, encodings, HTML.

    paths.py    iter_inputs(paths): files, folders, globs; one reader per suffix; unique ids
                read_article(path): the one article at a path, through iter_inputs
      |-- records.py  .json / .jsonl / .csv -> one Article per record (FieldMap lookup)
      |-- html.py     .html / .htm -> title, main text, date, site (trafilatura)
      '-- files.py    open (regular files only), size limits, bytes -> text, char limits
            '-- decode.py   bytes -> text: BOMs, UTF-8, Windows-1256 vs ISO-8859-6
    values.py   Article, ReadError, DecodeError, FieldMap: what every layer hands out

Everything here turns paths into :class:`Article` values, or :class:`ReadError` values for
inputs that could not be read; nothing downstream touches the file system.
"""

from __future__ import annotations

from .decode import decode_bytes
from .files import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS
from .html import HtmlPage, extract_html, extract_page
from .paths import SKIPPED_SUFFIXES, SUPPORTED_SUFFIXES, iter_inputs, read_article
from .values import Article, DecodeError, FieldMap, ReadError, make_field_map

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHARS",
    "SKIPPED_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "Article",
    "DecodeError",
    "FieldMap",
    "HtmlPage",
    "ReadError",
    "decode_bytes",
    "extract_html",
    "extract_page",
    "iter_inputs",
    "make_field_map",
    "read_article",
]
