"""What :class:`dupdetect.StoryIndex` returns (Assignment, Match, MergeEvent, StoryMember) and
the named values its assign step passes around (Scored, Assigned)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from .storage import Change

__all__ = ["Match", "MergeEvent", "Assignment", "Backfill", "StoryMember", "Scored", "Assigned"]


@dataclass(frozen=True)
class Match:
    """An indexed document close to the article: its id, current story and verified score."""

    doc_id: str | int
    story_id: str
    score: float


@dataclass(frozen=True)
class MergeEvent:
    """Two stories became one: ``retired``'s members moved to the older ``survivor``."""

    survivor: str
    retired: str
    doc_ids_moved: tuple[str | int, ...]
    trigger: str | int  # the added article that linked them
    at: float  # its time (epoch seconds)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["doc_ids_moved"] = list(self.doc_ids_moved)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MergeEvent:
        return cls(d["survivor"], d["retired"], tuple(d["doc_ids_moved"]), d["trigger"], d["at"])


@dataclass(frozen=True)
class Assignment:
    """The answer of :meth:`StoryIndex.add`.

    ``score``: the article's mean similarity to the other members of its story (average
    linkage, as the batch job cuts clusters), 1.0 when it is alone in its story (a new story, a
    short article), as a singleton's score in :func:`dupdetect.cluster`; ``matches``: the
    closest indexed documents with their verified scores, best first (also below threshold);
    ``story_id``: its story after any merges; ``short``/``flag``: too short to compare, kept as
    its own story.
    """

    doc_id: str | int
    story_id: str
    score: float
    matches: tuple[Match, ...]
    new_story: bool
    merged: tuple[MergeEvent, ...] = ()
    short: bool = False
    flag: str | None = None


@dataclass(frozen=True)
class Backfill:
    """What :meth:`StoryIndex.backfill` did.

    ``stories``: doc id -> story id of every article it indexed; ``errors``: ``(doc id, why)``
    for each article it could not use; ``too_old``: articles grouped but not kept, older than
    the window before the newest one; ``short``: indexed articles too short to compare (each
    its own story, as ``add`` flags them).
    """

    stories: dict[str | int, str]
    errors: list[tuple[Any, str]]
    too_old: list[str | int]
    short: list[str | int]


@dataclass(frozen=True)
class StoryMember:
    """One article of a story as returned by :meth:`StoryIndex.story`."""

    doc_id: str | int
    published: float
    meta: dict[str, Any] | None


class Scored(NamedTuple):
    """A candidate: an indexed record's number and doc id, its story and its verified score
    with the article (no :class:`Record`: most candidates never need one)."""

    num: int
    doc_id: str | int
    story: str
    score: float


class Assigned(NamedTuple):
    """What the assign step decided for one article, and the change that writes it."""

    story: str
    score: float
    new_story: bool
    events: list[MergeEvent]
    change: Change
