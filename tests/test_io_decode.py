"""dupdetect.io.decode: bytes -> text (BOMs, UTF-8, Windows-1256 vs ISO-8859-6, binary)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dupdetect.io import (
    Article,
    DecodeError,
    decode_bytes,
)

sys.path.insert(0, str(Path(__file__).parent))
from io_helpers import (  # noqa: E402
    AR1,
    AR2,
    AR3,
    AR_TEXT,
    one_article,
    read_all,
    write,
)

# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "utf-32", "cp1256", "iso8859_6"],
)
def test_decode_bytes_round_trips_each_supported_encoding(encoding: str) -> None:
    if encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + AR_TEXT.encode("utf-16-be")
    else:
        data = AR_TEXT.encode(encoding)
    assert decode_bytes(data) == AR_TEXT


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1256", "iso8859_6"]
)
def test_txt_files_in_each_encoding_give_the_same_text(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / f"news-{encoding}.txt", AR_TEXT.encode(encoding))
    art = one_article(read_all(str(path)))
    assert art == Article(id=str(path), text=AR_TEXT, title="", published=None, source=None)


def test_bom_is_removed() -> None:
    assert decode_bytes(b"\xef\xbb\xbf" + AR1.encode()) == AR1
    assert not decode_bytes(AR1.encode("utf-16")).startswith("\ufeff")


def test_crlf_and_lone_cr_become_lf(tmp_path: Path) -> None:
    assert decode_bytes(f"{AR1}\r\n{AR2}\r{AR3}\r\n".encode()) == f"{AR1}\n{AR2}\n{AR3}\n"
    assert decode_bytes(f"{AR1}\r\n{AR2}".encode("utf-16")) == f"{AR1}\n{AR2}"
    assert decode_bytes(f"{AR1}\r\n{AR2}".encode("cp1256")) == f"{AR1}\n{AR2}"
    path = write(tmp_path / "crlf.txt", f"{AR1}\r\n{AR2}\r\n".encode())
    art = one_article(read_all(path))
    assert art.text == f"{AR1}\n{AR2}\n"


def test_cp1256_text_is_not_valid_iso_8859_6_so_cp1256_wins() -> None:
    data = AR1.encode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        data.decode("iso8859_6")  # ف/ق/ك/، use bytes ISO-8859-6 leaves unassigned
    assert decode_bytes(data) == AR1


def test_iso_8859_6_text_scores_higher_than_its_cp1256_reading() -> None:
    text = "وهو يقول إن الطقس هادئ"
    data = text.encode("iso8859_6")
    as_cp1256 = data.decode("cp1256")  # valid, but ه و ي become Latin letters
    assert as_cp1256 != text and "ç" in as_cp1256
    assert decode_bytes(data) == text


def test_a_tie_between_the_code_pages_goes_to_cp1256() -> None:
    # "سلم" in cp1256 is D3 E1 E3; ISO-8859-6 reads the same bytes as "سفك".
    data = "سلم".encode("cp1256")
    assert data.decode("iso8859_6") == "سفك"
    assert decode_bytes(data) == "سلم"


def test_binary_content_raises_decode_error_naming_the_input() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + b"\x00" * 32
    with pytest.raises(DecodeError, match=r"^logo\.txt: looks binary \(contains NUL"):
        decode_bytes(png, name="logo.txt")
    with pytest.raises(DecodeError, match="control bytes"):
        decode_bytes(bytes(range(1, 9)) * 10 + b"abc", name="ctl")


def test_decode_error_is_a_value_error_with_name_and_reason() -> None:
    with pytest.raises(ValueError) as info:
        decode_bytes(b"\x00\x01", name="f.txt")
    exc = info.value
    assert isinstance(exc, DecodeError)
    assert exc.name == "f.txt"
    assert "binary" in exc.reason


def test_undecodable_bytes_raise_decode_error_that_says_to_resave_as_utf8() -> None:
    data = "保健省は本日、新しい病院の開設を発表した。".encode("shift_jis")
    with pytest.raises(DecodeError) as info:
        decode_bytes(data, name="jp.txt")
    message = str(info.value)
    assert message.startswith("jp.txt: cannot decode: not valid UTF-8")
    assert "re-save the file as UTF-8" in message


def test_damaged_utf16_with_bom_raises() -> None:
    with pytest.raises(DecodeError, match="UTF-16 LE byte-order mark but is not valid"):
        decode_bytes(b"\xff\xfe" + b"\x00\xd8", name="half.txt")  # a lone surrogate


def test_decode_bytes_empty_and_wrong_type() -> None:
    assert decode_bytes(b"") == ""
    with pytest.raises(TypeError, match="needs bytes, got str"):
        decode_bytes("نص")  # type: ignore[arg-type]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=200))
@example("\ufeff")
@example("\ufeffنص")
def test_property_utf_round_trip(text: str) -> None:
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        # a text that starts with U+FEFF, written as plain UTF-8, starts with the UTF-8
        # byte-order mark: it is read as one and dropped (as Python's utf-8-sig does)
        bom = encoding == "utf-8" and text.startswith("\ufeff")
        assert decode_bytes(text.encode(encoding)) == (text[1:] if bom else text)


_CP1256_ARABIC_LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"


@given(st.text(alphabet=_CP1256_ARABIC_LETTERS + " .!0123456789", max_size=200))
def test_property_cp1256_arabic_round_trips(text: str) -> None:
    assert decode_bytes(text.encode("cp1256")) == text


@given(st.binary(max_size=300))
def test_property_any_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, name="x")
    except DecodeError as exc:
        assert str(exc).startswith("x: ")
    else:
        assert "\r" not in text
