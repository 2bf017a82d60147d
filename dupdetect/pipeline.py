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
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .features import Features
from .grouping import cluster_id, group, member_scores_many
from .progress import Progress
from .result import Cluster, Clustering, Member, Pair
from .settings import Settings
from .spool import TextSpool
from .timewindow import Window, parse_time, window_seconds

if TYPE_CHECKING:
    from .parallel import Featurizer

__all__ = ["cluster", "cluster_texts", "Clustering", "Cluster", "Member", "Pair"]

_BATCH = 2000


# a run of characters that str.splitlines() does not break on: finditer gives the same lines
# (empty ones aside) without splitting the whole article to read its first line
_LINE_RE = re.compile("[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def _title_of(text: str) -> str:
    """The first non-blank line of ``text``, stripped, at most 200 characters."""
    for m in _LINE_RE.finditer(text):
        line = m.group().strip()
        if line:
            return line[:200]
    return ""


class _Docs:
    """The documents of one batch, side by side (row ``i`` of each list is document ``i``).

    Texts are featurized chunk by chunk as they are added
    (:class:`dupdetect.parallel.Featurizer`), so reading and featurizing overlap and only a few
    chunks of text are held at once. With ``spool`` the texts are parked in a temporary file
    (:mod:`dupdetect.spool`) for the result's :attr:`Clustering.texts`; without it (texts the
    caller already holds) they are referenced.
    """

    def __init__(
        self, settings: Settings, prog: Progress, workers: int | None, *, spool: bool
    ) -> None:
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise ValueError(f"workers must be a positive int or None (auto), got {workers!r}")
        self.settings, self.prog, self.workers = settings, prog, workers
        self.ids: list[Any] = []
        self.titles: list[str] = []
        self.dates: list[object] = []
        self.sources: list[str | None] = []
        self._spool = TextSpool() if spool else None
        self._held: list[str] = []  # without a spool: every text (references)
        self._buf: list[str] = []  # texts added but not yet submitted
        self._featurizer: Featurizer | None = None
        self.used_workers = 1  # settled by _start

    def add(self, doc_id: Any, text: str, title: str, date: object, source: str | None) -> None:
        self.ids.append(doc_id)
        self.titles.append(title)
        self.dates.append(date)
        self.sources.append(source)
        self._buf.append(text)
        if self._featurizer is None:
            if len(self._buf) >= 2 * _BATCH:  # big enough for workers: start them now
                self._start(total=None)
        elif len(self._buf) >= _BATCH:
            self._flush()

    def _start(self, total: int | None) -> None:
        """Settle the number of workers (auto: every CPU for 4,000+ documents where fork is
        safe) and start featurizing; ``total`` is known when the input has already ended."""
        from .parallel import Featurizer, auto_start_method, default_workers, fork_is_safe

        n = len(self.ids)
        workers = self.workers
        if workers is None:
            workers = default_workers() if n >= 2 * _BATCH and fork_is_safe() else 1
        if total is not None:
            workers = max(1, min(workers, -(-n // _BATCH)))
        self.used_workers = workers  # the grouping stage scores pairs with as many
        self.prog.decide(n)
        tick = self.prog.bar(total, "featurize")
        self._featurizer = Featurizer(
            self.settings, workers=workers, start_method=auto_start_method(), on_chunk=tick
        )
        self._flush()

    def _flush(self) -> None:
        if self._featurizer is None:
            raise RuntimeError("internal: _flush before _start")
        for s in range(0, len(self._buf), _BATCH):
            chunk = self._buf[s : s + _BATCH]
            self._featurizer.submit(chunk)
            if self._spool is not None:
                self._spool.extend(chunk)
            else:
                self._held.extend(chunk)
        self._buf = []

    def features(self) -> Features:
        """Features of every document added, in order; call once, after the last ``add``."""
        if self._featurizer is None:
            self._start(total=len(self.ids))
        else:
            self._flush()
        with self._featurizer as f:  # type: ignore[union-attr]
            return f.result()

    def close(self) -> None:
        """Stop the featurizing workers (when the batch ends early, e.g. on KeyboardInterrupt)."""
        if self._featurizer is not None:
            self._featurizer.close()

    def texts_of(self, rows: Iterable[int]) -> Mapping[Any, str]:
        """id -> text of the given rows."""
        if self._spool is not None:
            return self._spool.view({self.ids[r]: r for r in rows})
        return {self.ids[r]: self._held[r] for r in rows}


def _times(docs: _Docs, window: float | None, flags: dict[Any, str]) -> np.ndarray:
    """Publication times (epoch seconds, NaN unknown); with a window, unknown ones are flagged."""
    times = np.full(len(docs.ids), np.nan)
    for i, d in enumerate(docs.dates):
        t = parse_time(d)
        if t is not None:
            times[i] = t
        elif window is None:
            continue
        elif d is not None:
            flags[docs.ids[i]] = (
                f"publication date {str(d)[:40]!r} not understood (ISO 8601 or RFC 2822 "
                "expected); the time window does not apply to this document"
            )
        else:
            flags[docs.ids[i]] = (
                "no publication date; the time window does not apply to this document"
            )
    return times


def _run(
    docs: _Docs,
    errors: list[tuple[str, str]],
    settings: Settings,
    prog: Progress,
    window: float | None = None,
    order: list[Any] | None = None,
) -> Clustering:
    ids = docs.ids
    features = docs.features()
    prog.stage("featurize", documents=len(ids))
    flags: dict[Any, str] = {}
    times = _times(docs, window, flags)
    groups, vpairs, vsims, scored = group(
        features,
        settings,
        times=times if window else None,
        window=window,
        on_stage=prog.stage,
        workers=docs.used_workers,
    )
    for i in np.flatnonzero(features.short).tolist():
        flags[ids[i]] = (
            f"too short to compare: {int(features.n_terms[i])} content words "
            f"(< min_terms={settings.min_terms}); kept as a singleton"
        )
    member_scores = member_scores_many(features, groups, scored, docs.used_workers)
    del features  # the result's objects are built without it (3.7 GB at a million articles)
    from .parallel import return_freed_memory

    return_freed_memory()
    taken: set[str] = set()
    clusters = []
    for rows, scores in zip(groups, member_scores):
        members = tuple(
            Member(
                id=ids[r],
                score=float(s),
                index=r,
                title=docs.titles[r],
                published=None if np.isnan(times[r]) else float(times[r]),
                source=docs.sources[r],
            )
            for r, s in zip(rows, scores)
        )
        cohesion = float(scores.mean()) if len(rows) > 1 else 1.0
        rep = members[int(np.argmax(scores))].id
        clusters.append(Cluster(cluster_id([m.id for m in members], taken), members, cohesion, rep))
    clusters.sort(key=lambda c: (-c.size, c.members[0].index))
    prog.stage("member scores", clusters=len(clusters))
    pairs = [Pair(ids[a], ids[b], float(s)) for (a, b), s in zip(vpairs.tolist(), vsims.tolist())]
    # texts of grouped members only: provenance relations and report passages need them
    texts = docs.texts_of(r for rows in groups if len(rows) > 1 for r in rows)
    return Clustering(
        clusters=clusters,
        pairs=pairs,
        errors=errors,
        settings=settings,
        flags=flags,
        input_ids=list(ids) if order is None else order,
        texts=texts,
    )


def source_of(article: Any) -> str | None:
    """The outlet of an article read from a file: its ``source`` field (records, HTML site name)
    when known, else the URL's host when its id is a URL, else the name of the file's folder."""
    if article.source:
        return str(article.source)
    doc_id = str(article.id)
    if "://" in doc_id:
        from urllib.parse import urlparse

        return urlparse(doc_id).hostname or None
    folder = os.path.basename(os.path.dirname(doc_id.split("#", 1)[0]))
    return folder or None


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
    one. Where the process may fork, as many split the LSH bands (20,000+ documents), score
    the candidate pairs (20,000+ of them) and cut the components by average linkage (100,000+
    pairs in them). Results are identical for any value.

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
    docs = _Docs(s, prog, workers, spool=True)
    errors: list[tuple[str, str]] = []
    try:
        for item in iter_inputs(paths, fields=fields, html_engine=html_engine):
            if isinstance(item, Article):
                title = item.title or _title_of(item.text)
                docs.add(item.id, item.body, title, item.published, source_of(item))
            else:
                errors.append((item.input, item.message))
        prog.stage("read", documents=len(docs.ids), errors=len(errors))
        return _run(docs, errors, s, prog, win)
    finally:
        docs.close()


def _per_item(name: str, values: object, items: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """``values`` (a mapping id -> value, a pandas Series by index, or a sequence in the order of
    the texts) as a dict id -> value."""
    if values is None:
        return {}
    if _is_pandas(values, "Series"):
        return dict(values.items())  # type: ignore[attr-defined]
    if isinstance(values, Mapping):
        return dict(values)
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} must be a mapping id -> value or a sequence in the order of texts, "
            f"got {type(values).__name__}"
        )
    seq = list(values)
    if len(seq) != len(items):
        raise ValueError(f"{name} has {len(seq)} values for {len(items)} texts")
    return {key: v for (key, _), v in zip(items, seq)}


def cluster_texts(
    texts: Mapping[Any, str] | Iterable[str],
    *,
    threshold: float | None = None,
    settings: Settings | None = None,
    published: Mapping[Any, object] | Iterable[object] | None = None,
    sources: Mapping[Any, str] | Iterable[str] | None = None,
    window: Window = None,
    workers: int | None = None,
    progress: bool | None = None,
    **options: Any,
) -> Clustering:
    """Group in-memory articles: a mapping ``id -> text``, a pandas Series (its index gives the
    ids) or an iterable of texts (ids 0, 1, ...).

    ``published``: publication dates (``datetime``, epoch seconds or ISO/RFC 2822 strings) and
    ``sources``: outlet names, each a mapping id -> value or a sequence in the order of
    ``texts``; they are kept on each :class:`Member` (who published first, which outlets).
    With ``window`` (a ``timedelta`` or a string such as ``"48h"``) articles published further
    apart are never grouped; ``workers`` as for :func:`cluster`.
    A text that is not a ``str`` is listed in ``.errors``; the rest are clustered.
    """
    s = Settings.from_options(settings, threshold=threshold, **options)
    win = window_seconds(window)
    items = _items_of(texts)
    date_of = _per_item("published", published, items)
    source_of_id = _per_item("sources", sources, items)
    prog = Progress(progress)
    docs = _Docs(s, prog, workers, spool=False)
    errors: list[tuple[str, str]] = []
    for key, text in items:
        if isinstance(text, str):
            src = source_of_id.get(key)
            docs.add(
                key, text, _title_of(text), date_of.get(key), None if src is None else str(src)
            )
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
    order = [k for k, _ in items]
    return _run(docs, errors, s, prog, win, order=order)
