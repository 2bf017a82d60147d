"""What the batch job returns: :class:`Clustering` of :class:`Cluster` of :class:`Member`, and the
verified :class:`Pair` list, with the views a notebook or a backend wants (records, a DataFrame,
labels aligned with the input, an HTML table, story provenance and the report page).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .provenance import Provenance, provenance
from .settings import Settings

__all__ = ["Clustering", "Cluster", "Member", "Pair", "RECORD_FIELDS"]

#: The keys of :meth:`Clustering.to_records`, in order (the DataFrame's and CSV's columns).
RECORD_FIELDS = [
    "id",
    "cluster",
    "score",
    "size",
    "representative",
    "title",
    "flag",
    "first",
    "relation",
    "resembles",
]


def _pandas(what: str) -> Any:
    try:
        import pandas as pd
    except ImportError as e:
        raise ImportError(f'{what} needs pandas: pip install "dupdetect[pandas]"') from e
    return pd


@dataclass(frozen=True)
class Member:
    """One document in a cluster. ``score``: mean similarity to the other members (1.0 alone);
    ``published``: its publication time (epoch seconds, UTC) when known; ``source``: its outlet
    when known (a record's ``source`` field, else the URL's host or the file's folder)."""

    id: Any
    score: float
    index: int  # position in the input
    title: str = ""
    published: float | None = None
    source: str | None = None


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

    def __repr__(self) -> str:
        rep = next((m for m in self.members if m.id == self.representative), self.members[0])
        title = f" {rep.title[:60]!r}" if rep.title else ""
        return (
            f"<Cluster {self.id} size={self.size} cohesion={self.score:.3f} "
            f"representative={self.representative!r}{title}>"
        )

    @property
    def ids(self) -> list[Any]:
        return [m.id for m in self.members]

    # Provenance without relations (those need the texts: Clustering.provenance).
    @property
    def first(self) -> Member:
        """The first report: earliest publication time when known, else first in input order."""
        first = provenance(self).first
        return next(m for m in self.members if m.id == first)

    @property
    def outlets(self) -> tuple[str, ...]:
        """The members' outlets, in the order they carried the story."""
        return tuple(o for o, _ in provenance(self).outlets)

    @property
    def time_spread(self) -> float | None:
        """Seconds from the earliest to the latest known publication time (None: no dates)."""
        return provenance(self).spread


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
    #: the id of every input in input order (for cluster_texts also the ones in ``errors``)
    input_ids: list[Any] = field(default_factory=list, repr=False)
    #: the text of each member of a cluster of 2+ (as clustered: title line, then body), kept
    #: by cluster()/cluster_texts() for provenance relations and the report's passages
    texts: Mapping[Any, str] = field(default_factory=dict, repr=False)
    _by_id: dict[Any, tuple[Cluster, Member]] = field(default_factory=dict, repr=False)
    _provenance: dict[str, Provenance] = field(default_factory=dict, repr=False)
    _clusters: dict[str, Cluster] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for c in self.clusters:
            self._clusters[c.id] = c
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

    def provenance(self, cluster: Cluster | str) -> Provenance:
        """Where a story came from: first report, time spread, outlets and each later member's
        relation (``copy`` / ``rewrite`` / ``same event``) to the earlier member it resembles
        (see :mod:`dupdetect.provenance`). Computed once per cluster from :attr:`texts`."""
        found = cluster if isinstance(cluster, Cluster) else self._clusters.get(cluster)
        if found is None:
            raise KeyError(f"no cluster {cluster!r} in this result; see .clusters for the ids")
        if found.id not in self._provenance:
            self._provenance[found.id] = provenance(found, self.texts)
        return self._provenance[found.id]

    def report(self, **options: Any) -> Any:
        """The stories as a self-contained HTML page (:class:`dupdetect.report.Report`): shows
        inline in a notebook, ``.save(path)`` writes it; ``options`` as for that class."""
        from .report import Report

        return Report(self, **options)

    def to_html(self, path: str, **options: Any) -> str:
        """Write :meth:`report` to ``path`` (one file, no network needed); returns the path."""
        return self.report(**options).save(path)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per clustered document, in input order.

        Keys: ``id``, ``cluster``, ``score`` (similarity to its cluster, [0, 1]), ``size``,
        ``representative`` (bool), ``title``, ``flag`` (None, or why it was kept apart),
        ``first`` (bool: the story's first report; True for a singleton), ``relation``
        (``first`` / ``copy`` / ``rewrite`` / ``same event``; None for a singleton or when the
        text needed is missing) and ``resembles`` (the earlier member it is most similar to).
        """
        rows = []
        for c in self.clusters:
            prov = self.provenance(c) if c.size > 1 else None
            links = {link.id: link for link in prov.links} if prov else {}
            for m in c.members:
                link = links.get(m.id)
                rows.append(
                    {
                        "id": m.id,
                        "cluster": c.id,
                        "score": round(m.score, 6),
                        "size": c.size,
                        "representative": m.id == c.representative,
                        "title": m.title,
                        "flag": self.flags.get(m.id),
                        "first": prov is None or prov.first == m.id,
                        "relation": link.relation if link else None,
                        "resembles": link.resembles if link else None,
                        "_index": m.index,
                    }
                )
        rows.sort(key=lambda r: r["_index"])
        for r in rows:
            del r["_index"]
        return rows

    @property
    def labels(self) -> list[str | None]:
        """The cluster id of each input, in input order (scikit-learn's ``labels_`` habit), so
        ``df["cluster"] = result.labels`` lines up with ``cluster_texts(df["text"])``; None for
        an input listed in ``errors`` (a missing or non-text value)."""
        return [self._by_id[i][0].id if i in self._by_id else None for i in self.input_ids]

    def pairs_dataframe(self):  # -> pandas.DataFrame
        """The verified pairs as a DataFrame ``a, b, similarity`` (needs dupdetect[pandas])."""
        pd = _pandas("pairs_dataframe()")
        return pd.DataFrame(
            [(p.a, p.b, p.similarity) for p in self.pairs], columns=["a", "b", "similarity"]
        )

    def to_dataframe(self):  # -> pandas.DataFrame
        """:meth:`to_records` as a pandas DataFrame (needs ``pip install "dupdetect[pandas]"``)."""
        pd = _pandas("to_dataframe()")
        return pd.DataFrame.from_records(
            self.to_records(),
            columns=RECORD_FIELDS,
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
                flag = self.flags.get(m.id)
                score = f"<span title='{esc(flag)}'>–</span>" if flag else f"{m.score:.3f}"
                out.append(
                    f"<tr>{head}<td dir='ltr'>{esc(str(m.id))}{star}</td><td>{score}</td>"
                    f"<td dir='auto'>{esc(m.title[:120])}</td></tr>"
                )
                shown += 1
        out.append("</table>")
        out.append(
            "<p><small>★ the representative (the member closest to the others); score: mean "
            "similarity to the other members (1.000 alone); – kept apart (hover for why)"
            "</small></p>"
        )
        if shown >= 200:
            out.append("<p>(first 200 rows; use .to_dataframe() for all)</p>")
        if self.errors:
            out.append(f"<p>{len(self.errors)} inputs not used:</p><ul>")
            out += [f"<li>{esc(str(i))}: {esc(msg)}</li>" for i, msg in self.errors[:20]]
            out.append("</ul>")
        return "".join(out)
