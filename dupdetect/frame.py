"""``cluster_frame(df)``: cluster the articles of a pandas DataFrame and get the DataFrame back with
``cluster``, ``score`` and ``relation`` columns, row for row.

    df --columns text / title / date / source, ids from id or the index--> cluster_texts
       --to_records, by id--> a copy of df + cluster, score, relation (same index, same order)

Rows whose text is missing (None, NaN, not a str) keep their place with missing values in the new
columns, and a warning names them.
"""

from __future__ import annotations

import warnings
from typing import Any

from .pipeline import cluster_texts
from .result import Clustering

__all__ = ["cluster_frame", "FRAME_COLUMNS"]

#: The columns :func:`cluster_frame` adds.
FRAME_COLUMNS = ("cluster", "score", "relation")


def _missing(value: object) -> bool:
    """None, NaN or NaT (checked without importing pandas' scalar helpers for every type)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


def _column(df: Any, name: str, what: str) -> list[Any]:
    """The values of column ``name`` (None where missing), or a ValueError naming the columns."""
    if not isinstance(name, str) or name not in df.columns:
        cols = ", ".join(map(repr, list(df.columns)[:20]))
        raise ValueError(f"{what}={name!r} is not a column of the DataFrame; its columns: {cols}")
    return [None if _missing(v) else v for v in df[name].tolist()]


def _ids(df: Any, id: str | None) -> list[Any]:
    ids = _column(df, id, "id") if id is not None else list(df.index)
    seen: set[Any] = set()
    for k, v in enumerate(ids):
        if v is None:
            raise ValueError(f"id column {id!r} is missing a value at row {k}; ids must be set")
        if v in seen:
            where = f"column {id!r}" if id is not None else "the DataFrame's index"
            raise ValueError(
                f"{where} has duplicate values (e.g. {v!r}); ids must be unique: pass id= a "
                "unique column, or use df.reset_index(drop=True)"
            )
        seen.add(v)
    return ids


def cluster_frame(
    df: Any,
    *,
    text: str = "text",
    id: str | None = None,
    title: str | None = None,
    date: str | None = None,
    source: str | None = None,
    **options: Any,
) -> Any:
    """Cluster the articles of ``df`` (a pandas DataFrame); return a copy of it with three new
    columns, aligned on its index: ``cluster`` (cluster id), ``score`` (similarity to its
    cluster) and ``relation`` (``first`` / ``copy`` / ``rewrite`` / ``same event``; None alone).

    ``text``: the column of article texts; ``title``: a headline column (clustered as the
    text's first line, as :func:`dupdetect.cluster` does with records); ``date``: publication
    dates (datetimes, epoch seconds or ISO/RFC 2822 strings); ``source``: outlet names; ``id``: a
    column of unique document ids (default: the index). ``options`` go to
    :func:`dupdetect.cluster_texts` (``threshold``, ``window``, ...). A row with no usable text
    gets missing values (NaN/None) and is named in a warning, never dropped.
    """
    if type(df).__name__ != "DataFrame" or type(df).__module__.split(".")[0] != "pandas":
        raise TypeError(
            f"cluster_frame needs a pandas DataFrame, got {type(df).__name__}; for a Series or "
            "a dict of texts use dupdetect.cluster_texts"
        )
    clash = [c for c in FRAME_COLUMNS if c in df.columns]
    if clash:
        raise ValueError(
            f"the DataFrame already has column(s) {clash}; drop or rename them first "
            "(e.g. df.drop(columns=[...])), so no column is overwritten silently"
        )
    ids = _ids(df, id)
    texts = _column(df, text, "text")
    if title is not None:
        texts = [
            f"{h}\n{t}" if isinstance(t, str) and isinstance(h, str) and h.strip() else t
            for h, t in zip(_column(df, title, "title"), texts)
        ]
    published = None if date is None else dict(zip(ids, _column(df, date, "date")))
    sources = None
    if source is not None:
        sources = {k: v for k, v in zip(ids, _column(df, source, "source")) if v is not None}
    result: Clustering = cluster_texts(
        dict(zip(ids, texts)), published=published, sources=sources, **options
    )
    by_id = {r["id"]: r for r in result.to_records()}
    rows = [by_id.get(k) for k in ids]
    import pandas as pd  # df is a DataFrame: pandas is there

    out = df.copy()
    # object columns: a missing cluster or relation stays None (pandas 3 would infer its string
    # dtype from a list of str and turn None into NaN)
    out["cluster"] = pd.Series([r["cluster"] if r else None for r in rows], out.index, object)
    out["score"] = [r["score"] if r else float("nan") for r in rows]
    out["relation"] = pd.Series([r["relation"] if r else None for r in rows], out.index, object)
    if result.errors:
        skipped = [k for k, r in zip(ids, rows) if r is None]
        names = ", ".join(repr(k) for k in skipped[:5])
        warnings.warn(
            f"cluster_frame: {len(skipped)} of {len(ids)} rows have no usable text "
            f"(e.g. {names}; {result.errors[0][1]}); their cluster, score and relation are "
            "missing",
            stacklevel=2,
        )
    return out
