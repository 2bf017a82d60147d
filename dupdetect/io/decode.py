"""Bytes -> text: the encoding of one file, told from its bytes.

    bytes --BOM?--> UTF-32 / UTF-8 / UTF-16 (BOM removed)
          --NUL or control bytes--> DecodeError (binary)
          --valid UTF-8--> UTF-8
          --else--> Windows-1256 or ISO-8859-6, whichever reads as Arabic (DecodeError if neither)

CRLF and lone CR become LF. Pure: no file system access (see :mod:`dupdetect.io.files`).
"""

from __future__ import annotations

import codecs
import unicodedata

from .values import DecodeError

__all__ = ["decode_bytes", "has_wide_bom"]

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
    return _normalize_newlines(_decode_legacy(data, name, utf8_problem))


def _decode_legacy(data: bytes, name: str, utf8_problem: str) -> str:
    """Windows-1256 or ISO-8859-6, by the rule in :func:`decode_bytes` (step 4)."""
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
    return text


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


def has_wide_bom(head: bytes) -> bool:
    """True when ``head`` starts with a UTF-16 or UTF-32 byte-order mark: such text cannot be
    split into lines on ``b"\\n"`` before it is decoded (a JSONL reader must decode it whole)."""
    return any(head.startswith(bom) for bom, codec, _ in _BOMS if codec != "utf-8")
