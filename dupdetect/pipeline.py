"""``cluster(paths)`` and ``cluster_texts(texts)``: the batch job's entry points.

    io (paths) / texts -> features (boilerplate, normalize, terms, shingle, signature)
       -> grouping (lsh candidates, prefilter, score, linkage) -> result (Clustering)

Input order: documents are numbered in input order (for files: argument order, then sorted
paths inside folders and globs). The numbering only breaks exact ties in the average-linkage
merge order and picks the representative among equally central members; cluster ids are derived
from member ids, not positions, so the same inputs give the same clusters and ids in any process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .features import Features
from .grouping import cluster_id, group, member_scores_many
from .progress import Progress
from .result import Cluster, Clustering, Member, Pair
from .settings import Settings
from .timewindow import Window, parse_time, window_seconds

__all__ = ["cluster", "cluster_texts", "Clustering", "Cluster", "Member", "Pair"]

_BATCH = 2000


def _title_of(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _featurize_all(
    texts: list[str], settings: Settings, prog: Progress, workers: int | None
) -> Features:
    """Featurize in batches of ``_BATCH``; several processes when it pays (see ``workers``)."""
    from .parallel import auto_start_method, default_workers, featurize_parallel, fork_is_safe

    if workers is None:  # auto: both cores, but only where it is safe and worth the start-up
        big = len(texts) >= 2 * _BATCH
        workers = default_workers() if big and fork_is_safe() else 1
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int or None (auto), got {workers!r}")
    tick = prog.bar(len(texts), "featurize")
    return featurize_parallel(
        texts,
        settings,
        workers=workers,
        chunk=_BATCH,
        on_chunk=tick,
        start_method=auto_start_method(),
    )


def _run(
    ids: list[Any],
    texts: list[str],
    titles: list[str],
    errors: list[tuple[str, str]],
    settings: Settings,
    prog: Progress,
    dates: list[object] | None = None,
    window: float | None = None,
    workers: int | None = None,
    order: list[Any] | None = None,
) -> Clustering:
    prog.decide(len(texts))
    features = _featurize_all(texts, settings, prog, workers)
    prog.stage("featurize", documents=len(texts))
    flags: dict[Any, str] = {}
    times = None
    if window is not None:
        times = np.full(len(texts), np.nan)
        for i, d in enumerate(dates or [None] * len(texts)):
            t = parse_time(d)
            if t is not None:
                times[i] = t
            elif d is not None:
                flags[ids[i]] = (
                    f"publication date {str(d)[:40]!r} not understood (ISO 8601 or RFC 2822 "
                    "expected); the time window does not apply to this document"
                )
            else:
                flags[ids[i]] = (
                    "no publication date; the time window does not apply to this document"
                )
    groups, vpairs, vsims = group(
        features, settings, times=times, window=window, on_stage=prog.stage
    )
    for i in np.flatnonzero(features.short).tolist():
        flags[ids[i]] = (
            f"too short to compare: {int(features.n_terms[i])} content words "
            f"(< min_terms={settings.min_terms}); kept as a singleton"
        )
    taken: set[str] = set()
    clusters = []
    for rows, scores in zip(groups, member_scores_many(features, groups)):
        members = tuple(
            Member(id=ids[r], score=float(s), index=r, title=titles[r])
            for r, s in zip(rows, scores)
        )
        cohesion = float(scores.mean()) if len(rows) > 1 else 1.0
        rep = members[int(np.argmax(scores))].id
        clusters.append(Cluster(cluster_id([m.id for m in members], taken), members, cohesion, rep))
    clusters.sort(key=lambda c: (-c.size, c.members[0].index))
    prog.stage("member scores", clusters=len(clusters))
    pairs = [Pair(ids[a], ids[b], float(s)) for (a, b), s in zip(vpairs.tolist(), vsims.tolist())]
    return Clustering(
        clusters=clusters,
        pairs=pairs,
        errors=errors,
        settings=settings,
        flags=flags,
        input_ids=list(ids) if order is None else order,
    )


def _is_pandas(obj: object, kind: str) -> bool:
    """``obj`` is a pandas ``kind`` (checked without importing pandas)."""
    t = type(obj)
    return t.__name__ == kind and t.__module__.split(".")[0] == "pandas"


def _items_of(texts: object) -> list[tuple[Any, Any]]:
    """``(id, text)`` pairs of what :func:`cluster_texts` accepts, or a TypeError saying what to
    pass. A pandas Series gives its index as ids; a DataFrame is refused (which column?)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            "texts must be a mapping id -> text or an iterable of texts, not a single "
            f"{type(texts).__name__}; wrap one text in a list: cluster_texts([text])"
        )
    if _is_pandas(texts, "DataFrame"):
        raise TypeError(
            "texts is a pandas DataFrame: iterating it gives its column names, not articles; "
            "pass one column, e.g. cluster_texts(df['text']) (the index gives the ids)"
        )
    if _is_pandas(texts, "Series"):
        items = list(texts.items())  # type: ignore[attr-defined]
    elif isinstance(texts, Mapping):
        items = list(texts.items())
    elif isinstance(texts, Iterable):
        items = list(enumerate(texts))
    else:
        raise TypeError(
            "texts must be a mapping id -> text or an iterable of texts, "
            f"got {type(texts).__name__}"
        )
    if items and all(isinstance(t, Mapping) for _, t in items[:100]):
        raise TypeError(
            "texts holds records (dicts), not texts; pass {record['id']: record['text'] ...}, "
            "or write them to a .jsonl file and call dupdetect.cluster(path) to read their "
            "id/title/text/date fields"
        )
    if _is_pandas(texts, "Series") and len({k for k, _ in items}) != len(items):
        seen: set[Any] = set()
        dup = next(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(
            f"the Series index has duplicate labels (e.g. {dup!r}); ids must be unique: "
            "use series.reset_index(drop=True) or a unique index"
        )
    return items


def cluster(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    threshold: float | None = None,
    settings: Settings | None = None,
    fields: Mapping[str, Any] | None = None,
    html_engine: str = "auto",
    window: Window = None,
    workers: int | None = None,
    progress: bool | None = None,
    **options: Any,
) -> Clustering:
    """Group the articles found at ``paths`` into stories.

    ``paths``: a file, a folder (recursed), a glob pattern, or an iterable of these. Files:
    ``.txt``, ``.html``/``.htm`` (main text extracted), ``.json``/``.jsonl``/``.csv`` with many
    articles (``fields`` maps ``id``/``title``/``text``/``date`` to your column names).
    ``threshold`` and other ``options`` (``candidate_threshold``, ``ngram``, ``num_perm``,
    ``seed``, ``min_terms``) override ``settings``; see :class:`dupdetect.Settings`.
    ``window`` (a ``timedelta`` or a string such as ``"72h"``): two articles whose publication
    dates (the records' ``date`` field) are further apart are never grouped, which keeps
    recurring templated bulletins (weather, markets, official cables) of different days apart.
    Articles without a date are not constrained.
    ``workers``: processes for featurizing; ``None`` (auto) uses every CPU for inputs of 4,000+
    documents on Linux in a single-threaded process (fork: no re-import of your script), else
    one. Results are identical for any value.

    Never raises for one bad input: it is listed in ``.errors`` with what is wrong.
    """
    from .io import Article, iter_inputs

    if _is_pandas(paths, "DataFrame") or _is_pandas(paths, "Series"):
        raise TypeError(
            "cluster() reads files (paths, folders, globs); for articles in pandas use "
            "cluster_texts(df['text']) (the index gives the ids)"
        )
    s = Settings.from_options(settings, threshold=threshold, **options)
    win = window_seconds(window)
    prog = Progress(progress)
    ids: list[Any] = []
    texts: list[str] = []
    titles: list[str] = []
    dates: list[object] = []
    errors: list[tuple[str, str]] = []
    for item in iter_inputs(paths, fields=fields, html_engine=html_engine):
        if isinstance(item, Article):
            ids.append(item.id)
            body = f"{item.title}\n{item.text}" if item.title else item.text
            texts.append(body)
            titles.append(item.title or _title_of(item.text))
            dates.append(item.published)
        else:
            errors.append((item.input, item.message))
    prog.stage("read", documents=len(ids), errors=len(errors))
    return _run(ids, texts, titles, errors, s, prog, dates, win, workers)


def cluster_texts(
    texts: Mapping[Any, str] | Iterable[str],
    *,
    threshold: float | None = None,
    settings: Settings | None = None,
    published: Mapping[Any, object] | Iterable[object] | None = None,
    window: Window = None,
    workers: int | None = None,
    progress: bool | None = None,
    **options: Any,
) -> Clustering:
    """Group in-memory articles: a mapping ``id -> text`` or an iterable of texts (ids 0, 1, ...).

    ``published``: publication dates (``datetime``, epoch seconds or ISO/RFC 2822 strings), a
    mapping id -> date or a sequence in the order of ``texts``; with ``window`` (a ``timedelta``
    or a string such as ``"48h"``) articles published further apart are never grouped;
    ``workers`` as for :func:`cluster`.
    A text that is not a ``str`` is listed in ``.errors``; the rest are clustered.
    """
    s = Settings.from_options(settings, threshold=threshold, **options)
    win = window_seconds(window)
    if published is not None and win is None:
        raise ValueError("published dates only matter with a window; pass window=timedelta(...)")
    items = _items_of(texts)
    date_of: dict[Any, object] = {}
    if _is_pandas(published, "Series"):
        date_of = dict(published.items())  # type: ignore[union-attr]
    elif isinstance(published, Mapping):
        date_of = dict(published)
    elif published is not None:
        if isinstance(published, (str, bytes)) or not isinstance(published, Iterable):
            raise TypeError(
                "published must be a mapping id -> date or a sequence of dates in the order of "
                f"texts, got {type(published).__name__}"
            )
        seq = list(published)
        if len(seq) != len(items):
            raise ValueError(f"published has {len(seq)} dates for {len(items)} texts")
        date_of = {key: d for (key, _), d in zip(items, seq)}
    ids: list[Any] = []
    bodies: list[str] = []
    dates: list[object] = []
    errors: list[tuple[str, str]] = []
    for key, text in items:
        if isinstance(text, str):
            ids.append(key)
            bodies.append(text)
            dates.append(date_of.get(key))
        elif text is None or (isinstance(text, float) and text != text):
            errors.append((str(key), "text is missing (None or NaN); nothing to cluster"))
        else:
            errors.append(
                (
                    str(key),
                    f"text is {type(text).__name__}, expected str; decode or "
                    "convert it before clustering",
                )
            )
    titles = [_title_of(t) for t in bodies]
    order = [k for k, _ in items]
    prog = Progress(progress)
    return _run(ids, bodies, titles, errors, s, prog, dates, win, workers, order=order)
