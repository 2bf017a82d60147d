"""``cluster(paths)`` and ``cluster_texts(texts)``: the batch job, wiring the stages together.

    io -> boilerplate/normalize/tokens (features) -> shingle -> signature -> index (LSH)
       -> verification (similarity) -> graph (components, then average linkage) -> Clustering

Input order: documents are numbered in input order (for files: argument order, then sorted
paths inside folders and globs). The numbering only breaks exact ties in the average-linkage
merge order and picks the representative among equally central members; cluster ids are derived
from member ids, not positions, so the same inputs give the same clusters and ids in any process.
"""

from __future__ import annotations

import hashlib
import html
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .features import Features
from .linkage import average_linkage, components
from .lsh import candidate_pairs, estimated_jaccard_pairs

# The fixed rules of the grouping live with Settings, so its fingerprint covers them.
from .settings import DENSE_COMPONENT, PREFILTER_FRACTION, Settings
from .timewindow import Window, outside_window, parse_time, window_seconds

__all__ = ["cluster", "cluster_texts", "Clustering", "Cluster", "Member", "Pair"]

_BATCH = 2000


@dataclass(frozen=True)
class Member:
    """One document in a cluster. ``score``: mean similarity to the other members (1.0 alone)."""

    id: Any
    score: float
    index: int  # position in the input
    title: str = ""


@dataclass(frozen=True)
class Cluster:
    """A group of reports of one story.

    ``score`` (cohesion) is the mean similarity over all member pairs (1.0 for a singleton);
    ``representative`` is the member most similar on average to the others.
    """

    id: str
    members: tuple[Member, ...]
    score: float
    representative: Any

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list[Any]:
        return [m.id for m in self.members]


@dataclass(frozen=True)
class Pair:
    """A verified pair: LSH proposed it and it was re-scored; ``similarity`` >= threshold."""

    a: Any
    b: Any
    similarity: float


@dataclass
class Clustering:
    """The result of :func:`cluster` / :func:`cluster_texts`."""

    clusters: list[Cluster]
    pairs: list[Pair]
    errors: list[tuple[str, str]]
    settings: Settings
    flags: dict[Any, str] = field(default_factory=dict)  # document id -> why it was kept apart
    _by_id: dict[Any, tuple[Cluster, Member]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for c in self.clusters:
            for m in c.members:
                self._by_id[m.id] = (c, m)

    def __len__(self) -> int:
        return len(self.clusters)

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self.clusters)

    @property
    def groups(self) -> list[Cluster]:
        """Clusters with two or more members."""
        return [c for c in self.clusters if c.size > 1]

    def cluster_of(self, doc_id: Any) -> Cluster:
        """The cluster that holds ``doc_id`` (``KeyError`` naming it when absent)."""
        try:
            return self._by_id[doc_id][0]
        except KeyError:
            raise KeyError(
                f"{doc_id!r} is not a clustered document; see .errors for inputs that were not used"
            ) from None

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per clustered document, in input order.

        Keys: ``id``, ``cluster``, ``score`` (similarity to its cluster, [0, 1]), ``size``,
        ``representative`` (bool), ``title``, ``flag`` (None, or why it was kept apart).
        """
        rows = []
        for c in self.clusters:
            for m in c.members:
                rows.append(
                    {
                        "id": m.id,
                        "cluster": c.id,
                        "score": round(m.score, 6),
                        "size": c.size,
                        "representative": m.id == c.representative,
                        "title": m.title,
                        "flag": self.flags.get(m.id),
                        "_index": m.index,
                    }
                )
        rows.sort(key=lambda r: r["_index"])
        for r in rows:
            del r["_index"]
        return rows

    def to_dataframe(self):  # -> pandas.DataFrame
        """:meth:`to_records` as a pandas DataFrame (needs ``pip install "dupdetect[pandas]"``)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError('to_dataframe() needs pandas: pip install "dupdetect[pandas]"') from e
        return pd.DataFrame.from_records(
            self.to_records(),
            columns=["id", "cluster", "score", "size", "representative", "title", "flag"],
        )

    def summary(self) -> str:
        n_docs = sum(c.size for c in self.clusters)
        return (
            f"{n_docs} documents -> {len(self.clusters)} clusters "
            f"({len(self.groups)} with 2+ members), {len(self.pairs)} verified pairs, "
            f"{len(self.errors)} errors"
        )

    def __repr__(self) -> str:
        return f"<Clustering: {self.summary()}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        out = [
            f"<p><b>dupdetect</b>: {esc(self.summary())}</p>",
            "<table>",
            "<tr><th>cluster</th><th>size</th><th>cohesion</th><th>member</th>"
            "<th>score</th><th>title</th></tr>",
        ]
        shown = 0
        for c in self.clusters:
            for k, m in enumerate(c.members):
                if shown >= 200:
                    break
                star = " ★" if m.id == c.representative else ""
                head = (
                    (
                        f"<td rowspan={c.size}>{esc(c.id)}</td><td rowspan={c.size}>{c.size}</td>"
                        f"<td rowspan={c.size}>{c.score:.3f}</td>"
                    )
                    if k == 0
                    else ""
                )
                out.append(
                    f"<tr>{head}<td>{esc(str(m.id))}{star}</td><td>{m.score:.3f}</td>"
                    f"<td dir='auto'>{esc(m.title[:120])}</td></tr>"
                )
                shown += 1
        out.append("</table>")
        if shown >= 200:
            out.append("<p>(first 200 rows; use .to_dataframe() for all)</p>")
        if self.errors:
            out.append(f"<p>{len(self.errors)} inputs not used:</p><ul>")
            out += [f"<li>{esc(str(i))}: {esc(msg)}</li>" for i, msg in self.errors[:20]]
            out.append("</ul>")
        return "".join(out)


# --------------------------------------------------------------------------------------------
def _settings(settings: Settings | None, options: dict[str, Any]) -> Settings:
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"settings must be a dupdetect.Settings, got {type(settings).__name__}")
    return Settings.from_options(settings, **options)


def _title_of(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def _progress(total: int, enabled: bool | None, desc: str) -> Callable[[int], None]:
    if enabled is None:
        enabled = total > 5 * _BATCH and sys.stderr.isatty()
    if not enabled:
        return lambda n: None
    try:
        from tqdm import tqdm
    except ImportError:
        state = {"done": 0}

        def plain(n: int) -> None:
            state["done"] += n
            print(f"\r{desc}: {state['done']}/{total}", end="", file=sys.stderr, flush=True)
            if state["done"] >= total:
                print(file=sys.stderr)

        return plain
    bar = tqdm(total=total, desc=desc, unit="doc", file=sys.stderr)

    def update(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return update


def _featurize_all(
    texts: list[str], settings: Settings, progress: bool | None, workers: int | None
) -> Features:
    """Featurize in batches of ``_BATCH``; several processes when it pays (see ``workers``)."""
    from .parallel import auto_start_method, default_workers, featurize_parallel, fork_is_safe

    if workers is None:  # auto: both cores, but only where it is safe and worth the start-up
        big = len(texts) >= 2 * _BATCH
        workers = default_workers() if big and fork_is_safe() else 1
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int or None (auto), got {workers!r}")
    tick = _progress(len(texts), progress, "dupdetect")
    return featurize_parallel(
        texts,
        settings,
        workers=workers,
        chunk=_BATCH,
        on_chunk=tick,
        start_method=auto_start_method(),
    )


def _cluster_id(member_ids: list[Any], taken: set[str]) -> str:
    key = min(str(i) for i in member_ids)
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()
    for width in (10, 16, 32):
        cid = "c" + digest[:width]
        if cid not in taken:
            taken.add(cid)
            return cid
    raise RuntimeError("cluster id collision")  # unreachable in practice: 128-bit digest


def group(
    features: Features,
    settings: Settings,
    *,
    times: np.ndarray | None = None,
    window: float | None = None,
) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Candidate generation, verification and clustering on a featurized batch.

    Returns ``(clusters as lists of row indices, verified pairs (m, 2), their scores)``; only
    pairs at or above the threshold are returned. ``times`` (epoch seconds per row, NaN when
    unknown) and ``window`` (seconds): pairs published further apart count as unrelated.
    Shared by :func:`cluster`, :func:`cluster_texts` and the Spark driver's equality checks.
    """
    n = len(features)
    bands, rows = settings.lsh_params
    pairs = candidate_pairs(features.signatures, bands, rows, eligible=~features.short)
    if len(pairs):
        est = estimated_jaccard_pairs(features.signatures, pairs)
        keep = est >= PREFILTER_FRACTION * settings.candidate_threshold
        keep &= ~outside_window(times, window, pairs)
        pairs = pairs[keep]
    sims = features.similarities(pairs) if len(pairs) else np.zeros(0, np.float32)
    strong = sims >= settings.threshold
    comps = components(n, pairs[strong])
    clusters: list[list[int]] = []
    dense = [c for c in comps if 2 < len(c) <= DENSE_COMPONENT]
    dense_pairs = _all_pairs(dense)  # every pair of every small component, scored in one call
    dense_sims = features.similarities(dense_pairs) if len(dense_pairs) else np.zeros(0)
    dense_sims[outside_window(times, window, dense_pairs)] = 0.0
    bounds = np.cumsum([0] + [len(c) * (len(c) - 1) // 2 for c in dense])
    dense_at = {id(c): k for k, c in enumerate(dense)}
    for comp in comps:
        if len(comp) <= 2:
            clusters.append(comp)
            continue
        if len(comp) <= DENSE_COMPONENT:
            k = dense_at[id(comp)]
            cp, cs = dense_pairs[bounds[k] : bounds[k + 1]], dense_sims[bounds[k] : bounds[k + 1]]
            edges = zip(cp[:, 0].tolist(), cp[:, 1].tolist(), cs.tolist())
        else:
            inside = np.isin(pairs[:, 0], comp) & np.isin(pairs[:, 1], comp)
            edges = zip(pairs[inside, 0].tolist(), pairs[inside, 1].tolist(), sims[inside].tolist())
        clusters.extend(average_linkage(comp, edges, settings.threshold))
    clusters.sort(key=lambda g: g[0])
    return clusters, pairs[strong], sims[strong]


def _all_pairs(groups: list[list[int]]) -> np.ndarray:
    """Every (a, b) pair inside each group, groups one after another, as an (m, 2) array."""
    parts = []
    for g in groups:
        r = np.asarray(g, dtype=np.int64)
        iu, ju = np.triu_indices(len(r), k=1)
        parts.append(np.stack([r[iu], r[ju]], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def _scores_from_pairs(k: int, s: np.ndarray) -> np.ndarray:
    iu, ju = np.triu_indices(k, k=1)
    m = np.zeros((k, k))
    m[iu, ju] = s
    m[ju, iu] = s
    return m.sum(axis=1) / (k - 1)


def _member_scores(features: Features, rows: list[int]) -> np.ndarray:
    """Each member's mean similarity to the other members (1.0 alone)."""
    return _member_scores_many(features, [rows])[0]


def _member_scores_many(features: Features, groups: list[list[int]]) -> list[np.ndarray]:
    """:func:`_member_scores` of many clusters with one scoring call."""
    multi = [g for g in groups if len(g) > 1]
    sims = features.similarities(_all_pairs(multi)).astype(np.float64) if multi else None
    out, at = [], 0
    for g in groups:
        k = len(g)
        if k == 1:
            out.append(np.ones(1))
            continue
        n = k * (k - 1) // 2
        out.append(_scores_from_pairs(k, sims[at : at + n]))  # type: ignore[index]
        at += n
    return out


def _run(
    ids: list[Any],
    texts: list[str],
    titles: list[str],
    errors: list[tuple[str, str]],
    settings: Settings,
    progress: bool | None,
    dates: list[object] | None = None,
    window: float | None = None,
    workers: int | None = None,
) -> Clustering:
    features = _featurize_all(texts, settings, progress, workers)
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
    groups, vpairs, vsims = group(features, settings, times=times, window=window)
    for i in np.flatnonzero(features.short).tolist():
        flags[ids[i]] = (
            f"too short to compare: {int(features.n_terms[i])} content words "
            f"(< min_terms={settings.min_terms}); kept as a singleton"
        )
    taken: set[str] = set()
    clusters = []
    for rows, scores in zip(groups, _member_scores_many(features, groups)):
        members = tuple(
            Member(id=ids[r], score=float(s), index=r, title=titles[r])
            for r, s in zip(rows, scores)
        )
        cohesion = float(scores.mean()) if len(rows) > 1 else 1.0
        rep = members[int(np.argmax(scores))].id
        clusters.append(
            Cluster(_cluster_id([m.id for m in members], taken), members, cohesion, rep)
        )
    clusters.sort(key=lambda c: (-c.size, c.members[0].index))
    pairs = [Pair(ids[a], ids[b], float(s)) for (a, b), s in zip(vpairs.tolist(), vsims.tolist())]
    return Clustering(clusters=clusters, pairs=pairs, errors=errors, settings=settings, flags=flags)


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

    s = _settings(settings, {"threshold": threshold, **options})
    win = window_seconds(window)
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
    return _run(ids, texts, titles, errors, s, progress, dates, win, workers)


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
    s = _settings(settings, {"threshold": threshold, **options})
    win = window_seconds(window)
    if published is not None and win is None:
        raise ValueError("published dates only matter with a window; pass window=timedelta(...)")
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            "texts must be a mapping id -> text or an iterable of texts, not a single "
            f"{type(texts).__name__}; wrap one text in a list: cluster_texts([text])"
        )
    if isinstance(texts, Mapping):
        items = list(texts.items())
    elif isinstance(texts, Iterable):
        items = list(enumerate(texts))
    else:
        raise TypeError(
            "texts must be a mapping id -> text or an iterable of texts, "
            f"got {type(texts).__name__}"
        )
    date_of: dict[Any, object] = {}
    if isinstance(published, Mapping):
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
        else:
            errors.append(
                (
                    str(key),
                    f"text is {type(text).__name__}, expected str; decode or "
                    "convert it before clustering",
                )
            )
    return _run(
        ids, bodies, [_title_of(t) for t in bodies], errors, s, progress, dates, win, workers
    )
