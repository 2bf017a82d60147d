"""dupdetect.io values: Article, ReadError, FieldMap / make_field_map, public names."""

from __future__ import annotations

import pytest

import dupdetect.io as dio
from dupdetect.io import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHARS,
    SUPPORTED_SUFFIXES,
    Article,
    FieldMap,
    ReadError,
    make_field_map,
)

# --------------------------------------------------------------------------- constants


def test_public_constants() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".html", ".htm", ".json", ".jsonl", ".csv")
    assert DEFAULT_MAX_BYTES == 5_000_000
    assert DEFAULT_MAX_CHARS == 1_000_000
    assert set(dio.__all__) >= {
        "Article",
        "ReadError",
        "FieldMap",
        "DecodeError",
        "make_field_map",
        "decode_bytes",
        "extract_html",
        "iter_inputs",
        "read_article",
    }


def test_every_public_name_is_importable_from_dupdetect_io() -> None:
    # pipeline.py, cli.py and spark.py import from dupdetect.io, not from its modules.
    for name in dio.__all__:
        assert getattr(dio, name) is not None, name
    assert dio.Article.__module__ == "dupdetect.io.values"
    assert dio.iter_inputs.__module__ == "dupdetect.io.paths"


def test_values_are_frozen_and_read_error_prints_input_and_message() -> None:
    art = Article(id="a", text="نص")
    assert (art.title, art.published, art.source) == ("", None, None)
    with pytest.raises(AttributeError):
        art.text = "x"  # type: ignore[misc]
    err = ReadError("x.txt", "bad; fix it")
    assert str(err) == "x.txt: bad; fix it"


# --------------------------------------------------------------------------- fields


def test_make_field_map_defaults_and_overrides() -> None:
    assert make_field_map(None) == FieldMap()
    fm = FieldMap(text=("matn",))
    assert make_field_map(fm) is fm
    custom = make_field_map({"text": "content", "id": ["uid", "url"]})
    assert custom.text == ("content",)
    assert custom.id == ("uid", "url")
    assert custom.title == FieldMap().title and custom.date == FieldMap().date
    assert FieldMap().source == ("source", "outlet", "site")
    assert make_field_map({"source": "jarida"}).source == ("jarida",)


def test_make_field_map_rejects_unknown_keys_and_bad_types() -> None:
    with pytest.raises(
        ValueError,
        match="unknown key 'txt' in fields; valid keys are id, title, text, date, source",
    ):
        make_field_map({"txt": "content"})
    with pytest.raises(TypeError, match=r"fields\['text'\] must be a field name"):
        make_field_map({"text": 5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"fields\['id'\] must be a field name"):
        make_field_map({"id": b"uid"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="fields must be None, a FieldMap, or a mapping"):
        make_field_map([("text", "content")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"FieldMap\.text is empty"):
        make_field_map({"text": []})


def test_field_map_validates_itself() -> None:
    with pytest.raises(TypeError, match=r"FieldMap\.text must be a tuple of field names, got str"):
        FieldMap(text="content")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"FieldMap\.id is empty"):
        FieldMap(id=())
    with pytest.raises(ValueError, match=r"FieldMap\.date contains an empty field name"):
        FieldMap(date=("date", " "))
    with pytest.raises(TypeError, match=r"FieldMap\.title must contain only str"):
        FieldMap(title=("title", 3))  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"FieldMap\.source is empty.*FieldMap\(source=\('source',\)\)"
    ):
        FieldMap(source=())
