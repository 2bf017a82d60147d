"""Story provenance: which report came first, when and where the story spread, and how each later
report relates to the earlier ones.

    Cluster members --order (publication time when known, else input order)-->
        first report, time spread, outlets in order of first appearance
    later member + texts --score against every earlier member--> resembles (the closest one)
        --COPY_MIN / REWRITE_MIN on that score--> relation: copy / rewrite / same event

The relation is read off the verification score (:func:`dupdetect.similarity`), so it moves with
the score; the two cuts are measured, not chosen: ``python benchmarks/measure_relations.py
--write`` re-measures them and rewrites the two lines below (README, "Reading the stories").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .features import Profile, prepare

if TYPE_CHECKING:
    from .result import Cluster, Member

__all__ = [
    "COPY_MIN",
    "REWRITE_MIN",
    "FIRST",
    "COPY",
    "REWRITE",
    "SAME_EVENT",
    "RELATIONS",
    "relation_for",
    "order_members",
    "outlets_of",
    "Link",
    "Provenance",
    "provenance",
]

# Wire copies (SaudiNewsNet: same title in 2+ outlets, body char-5 Jaccard >= 0.5) against
# same-story rewrites (SemEval-2022 ar-ar, overall 1); written by measure_relations.py --write.
COPY_MIN = 0.77  # measured: 98% of 917 wire copies at or above, 97% of 36 rewrites below
# Same-story rewrites (SemEval overall 1) against same-event reports (overall 2).
REWRITE_MIN = 0.25  # measured: 94% of 36 rewrites at or above, 53% of 19 same-event below

FIRST = "first"
COPY = "copy"
REWRITE = "rewrite"
SAME_EVENT = "same event"
RELATIONS = (FIRST, COPY, REWRITE, SAME_EVENT)

#: How the members were ordered: every member has a publication time; none has one (input
#: order); some have one (those first, by time, then the undated ones in input order).
BY_PUBLISHED, BY_INPUT, BY_MIXED = "published", "input order", "mixed"


def relation_for(score: float) -> str:
    """The relation a later report has to the earlier one it resembles most, from their score:
    ``copy`` (>= COPY_MIN), ``rewrite`` (>= REWRITE_MIN) or ``same event``."""
    if score >= COPY_MIN:
        return COPY
    if score >= REWRITE_MIN:
        return REWRITE
    return SAME_EVENT


def order_members(members: Sequence[Member]) -> tuple[list[Member], str]:
    """Members in the order the story was reported, and the basis of that order.

    By publication time when known (ties by input order); members without a time follow the
    dated ones in input order (basis ``mixed``); with no time at all, input order."""
    dated = [m for m in members if m.published is not None]
    undated = sorted((m for m in members if m.published is None), key=lambda m: m.index)
    ordered = sorted(dated, key=lambda m: (m.published, m.index)) + undated
    if not dated:
        return ordered, BY_INPUT
    return ordered, BY_PUBLISHED if not undated else BY_MIXED


def outlets_of(members: Sequence[Member]) -> tuple[tuple[str, int], ...]:
    """``(outlet, members)`` in order of the outlet's first member in ``members``."""
    counts: dict[str, int] = {}
    for m in members:
        if m.source:
            counts[m.source] = counts.get(m.source, 0) + 1
    return tuple(counts.items())


class Link(NamedTuple):
    """One member's place in its story. ``relation``: ``first`` for the first report, else
    ``copy`` / ``rewrite`` / ``same event`` to ``resembles`` (the earlier member it is most
    similar to, ``similarity`` their score); None when a text needed to tell is missing.
    ``after``: seconds after the first report when both have a publication time."""

    id: Any
    relation: str | None
    resembles: Any | None
    similarity: float | None
    after: float | None


@dataclass(frozen=True)
class Provenance:
    """Where a story came from and how it spread (see :func:`provenance`)."""

    cluster: str
    first: Any  # id of the first report
    basis: str  # "published", "input order" or "mixed" (see order_members)
    start: float | None  # earliest known publication time (epoch seconds, UTC)
    end: float | None  # latest known publication time
    outlets: tuple[tuple[str, int], ...]  # (outlet, members), in order of first appearance
    links: tuple[Link, ...]  # every member, first report first

    @property
    def spread(self) -> float | None:
        """Seconds from the earliest to the latest known publication time (0 with one; None
        when no member has one)."""
        return None if self.start is None or self.end is None else self.end - self.start

    @property
    def order(self) -> list[Any]:
        """Member ids, first report first."""
        return [link.id for link in self.links]

    def link(self, doc_id: Any) -> Link:
        """The :class:`Link` of member ``doc_id`` (``KeyError`` when it is not a member)."""
        for link in self.links:
            if link.id == doc_id:
                return link
        raise KeyError(f"{doc_id!r} is not a member of cluster {self.cluster}")


def provenance(cluster: Cluster, texts: Mapping[Any, str] | None = None) -> Provenance:
    """The provenance of ``cluster``: first report, time spread, outlets and, given the members'
    ``texts`` (id -> text, as clustered), each later member's relation to the earlier ones.

    A later member is compared with every earlier member by the verification score; the most
    similar one is what it ``resembles`` and the score names the relation (:func:`relation_for`).
    A member whose text is missing gets no relation (None); ties go to the earlier member.
    """
    texts = texts or {}
    ordered, basis = order_members(cluster.members)
    profiles = [
        Profile.of(prepare(texts[m.id])) if isinstance(texts.get(m.id), str) else None
        for m in ordered
    ]
    times = [m.published for m in ordered if m.published is not None]
    t0 = ordered[0].published
    links = []
    for k, m in enumerate(ordered):
        after = None if t0 is None or m.published is None else m.published - t0
        if k == 0:
            links.append(Link(m.id, FIRST, None, None, after))
            continue
        best, best_sim = None, -1.0
        mine = profiles[k]
        if mine is not None:
            for j in range(k):
                other = profiles[j]
                if other is not None:
                    s = mine.similarity(other)
                    if s > best_sim:
                        best, best_sim = j, s
        if best is None:
            links.append(Link(m.id, None, None, None, after))
        else:
            rel = relation_for(best_sim)
            links.append(Link(m.id, rel, ordered[best].id, round(best_sim, 6), after))
    return Provenance(
        cluster=cluster.id,
        first=ordered[0].id,
        basis=basis,
        start=min(times) if times else None,
        end=max(times) if times else None,
        outlets=outlets_of(ordered),
        links=tuple(links),
    )
