"""The small interface every StoryIndex backend implements, and the types that cross it.

The index logic (assign, merge, evict) lives in :mod:`dupdetect.story` and only talks to
:class:`Storage`. A backend keeps, per namespace:

- LSH buckets: for each band, band key -> document numbers (``settings.lsh_params`` bands);
- document records: number -> :class:`Record` (signature, term vectors, id, time, meta) and
  number -> story id (the only mutable field), plus doc id -> number;
- stories: story id -> member numbers; story ids are ``"s-<n>"`` (``"s-<epoch>-<n>"`` in a shared
  backend, see below) with ``n`` from a counter, so a smaller ``n`` is an older story
  (:func:`story_id`, :func:`story_number`);
- retired story ids -> the story that absorbed them (kept while that story lives);
- a time index (published -> numbers) for window eviction, the newest time seen (watermark),
  and the merge-event log;
- an identity: the settings fingerprint the namespace was built with and, in a shared backend,
  an *epoch* drawn when the namespace is created. Every write checks it, so a server that lost
  its data (restarted without persistence, flushed) is detected (:class:`NamespaceLost`) instead
  of silently starting again, and story ids carry the epoch, so an id is never given to two
  stories.

Document numbers come from a counter and are never reused, so a number names one immutable
record forever (a removed and re-added doc id gets a new number).

Writes happen in :meth:`Storage.atomic` sections: read, decide, :meth:`Storage.commit`. In memory
the section holds a lock. A shared backend holds no lock: its commit succeeds only if nothing
the section read has changed since, else it raises :class:`Conflict` and the caller runs the
section again (optimistic concurrency), so a writer that stalls between reading and writing can
never write what it decided on a stale view.
"""

from __future__ import annotations

import json
import struct
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import numpy as np

from .. import score
from ..features import Profile, TermVector

__all__ = [
    "Record",
    "Stored",
    "Insert",
    "Move",
    "Delete",
    "Change",
    "Candidates",
    "Scores",
    "Snapshot",
    "Identity",
    "Storage",
    "Conflict",
    "NamespaceLost",
    "story_id",
    "story_number",
    "pack_record",
    "unpack_record",
    "EVENTS_KEPT",
]

T = TypeVar("T")

#: Merge events kept in the log (oldest dropped first).
EVENTS_KEPT = 10_000


@dataclass(frozen=True)
class Record:
    """One indexed document. Immutable except its story, which backends keep apart."""

    num: int
    doc_id: str | int
    published: float
    short: bool
    signature: np.ndarray  # uint32 (num_perm,)
    profile: Profile
    meta: dict[str, Any] | None = None


class Stored(NamedTuple):
    """A record and the story it belongs to now (what :meth:`Storage.records` returns)."""

    record: Record
    story: str


class Insert(NamedTuple):
    """Index ``record`` in ``story`` under LSH band ``keys`` (empty for a short document)."""

    record: Record
    story: str
    keys: list[int]


class Move(NamedTuple):
    """A merge: documents ``nums`` (all of ``retired``'s members) join ``survivor``."""

    nums: list[int]
    retired: str
    survivor: str


class Delete(NamedTuple):
    """Drop ``record`` (in ``story``, under band ``keys``) from the index."""

    record: Record
    story: str
    keys: list[int]


@dataclass
class Change:
    """Everything one ``add``/``remove``/``evict`` writes, applied atomically by a backend."""

    insert: list[Insert] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    delete: list[Delete] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    watermark: float | None = None


class Candidates(NamedTuple):
    """LSH proposals: numbers (int64, unique, sorted) and their signatures (one uint32 row each),
    or only the low byte of each signature value (one uint8 row each, as
    :func:`dupdetect.lsh.low_bytes`: a quarter of the bytes, for a backend across a network).
    Low bytes bound the MinHash estimate from above, so ``StoryIndex`` drops the proposals they
    rule out and confirms the rest on their records' full signatures: the same survivors."""

    nums: np.ndarray
    signatures: np.ndarray


class Scores(NamedTuple):
    """:meth:`Storage.scores_to`: the numbers asked for that are indexed, in the order asked,
    with their doc ids, stories and scores with the article (float64)."""

    nums: list[int]
    doc_ids: list[str | int]
    stories: list[str]
    scores: np.ndarray


@dataclass
class Snapshot:
    """A consistent copy of a backend's state (what ``save`` writes and ``load`` restores)."""

    stored: list[Stored]
    counters: dict[str, int]
    watermark: float | None
    events: list[dict[str, Any]]
    retired: dict[str, str] = field(default_factory=dict)  # retired story id -> survivor
    epoch: str | None = None


@dataclass(frozen=True)
class Identity:
    """What a namespace was created with: the settings fingerprint (and the settings, for the
    message) and, in a shared backend, the epoch its story ids carry."""

    fingerprint: str
    settings: str
    epoch: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"fingerprint": self.fingerprint, "settings": self.settings, "epoch": self.epoch},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Identity:
        d = json.loads(text)
        return cls(d["fingerprint"], d["settings"], d.get("epoch"))

    def check(self, fingerprint: str, settings: str, namespace: str) -> None:
        """``ValueError`` naming both fingerprints when a writer's settings differ."""
        if fingerprint != self.fingerprint:
            raise ValueError(
                f"namespace {namespace!r} was built with settings fingerprint "
                f"{self.fingerprint} ({self.settings}); this StoryIndex has fingerprint "
                f"{fingerprint} ({settings}). Articles signed and scored with other settings "
                "never match, so the same story would get several ids: use the namespace's "
                "settings, or another namespace for these"
            )


class Conflict(Exception):
    """A commit refused because what its section read changed meanwhile: run it again."""


class NamespaceLost(RuntimeError):
    """The namespace's data is gone (or was replaced) under a running StoryIndex."""


def story_id(n: int, epoch: str | None = None) -> str:
    """The id of the ``n``-th story of a namespace (of namespace epoch ``epoch``)."""
    return f"s-{n}" if epoch is None else f"s-{epoch}-{n}"


def story_number(sid: str) -> int:
    """The counter value in a story id: a smaller number is an older story."""
    return int(sid.rsplit("-", 1)[1])


# ------------------------------------------------------------------------------------------------
# Record packing: fixed little-endian layout, no pickle.
_HEAD = struct.Struct("<IIIII")  # json length, num_perm, n unigrams, n bigrams, flags


def pack_record(rec: Record) -> bytes:
    """Bytes of a record: header, JSON (id, number, time, meta), '<u4' / '<f4' arrays."""
    head = json.dumps(
        {"id": rec.doc_id, "n": rec.num, "p": rec.published, "m": rec.meta},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    u, b = rec.profile.unigrams, rec.profile.bigrams
    return b"".join(
        [
            _HEAD.pack(len(head), rec.signature.size, u.ids.size, b.ids.size, int(rec.short)),
            head,
            rec.signature.astype("<u4").tobytes(),
            u.ids.astype("<u4").tobytes(),
            u.weights.astype("<f4").tobytes(),
            b.ids.astype("<u4").tobytes(),
            b.weights.astype("<f4").tobytes(),
        ]
    )


def unpack_record(data: bytes) -> Record:
    """Inverse of :func:`pack_record` (``ValueError`` on a truncated or malformed record)."""
    if len(data) < _HEAD.size:
        raise ValueError("truncated record")
    jl, k, nu, nb, flags = _HEAD.unpack_from(data)
    need = _HEAD.size + jl + 4 * (k + 2 * nu + 2 * nb)
    if len(data) != need:
        raise ValueError(f"record is {len(data)} bytes, expected {need}")
    pos = _HEAD.size
    head = json.loads(data[pos : pos + jl].decode("utf-8"))
    # the arrays, one copy in native order; each array is a view of its stretch of it
    body = np.frombuffer(data, dtype="<u4", count=k + 2 * (nu + nb), offset=pos + jl)
    body = body.astype(np.uint32)
    a, b, c, d = k, k + nu, k + 2 * nu, k + 2 * nu + nb
    sig, ui, uw = body[:a], body[a:b], body[b:c].view(np.float32)
    bi, bw = body[c:d], body[d:].view(np.float32)
    return Record(
        num=int(head["n"]),
        doc_id=head["id"],
        published=float(head["p"]),
        short=bool(flags & 1),
        signature=sig,
        profile=Profile(TermVector(ui, uw), TermVector(bi, bw)),
        meta=head["m"],
    )


# ------------------------------------------------------------------------------------------------
class Storage(ABC):
    """State of one story index. Reads may run anywhere; writes only through :meth:`commit`
    inside :meth:`atomic`."""

    #: the namespace's identity once :meth:`bind` ran
    identity: Identity | None = None
    #: the most records one :meth:`commit` deletes when ``StoryIndex.evict`` clears a backlog;
    #: None: any number. A server that runs a commit as one script (Redis) serves nobody else
    #: meanwhile, and other clients get BUSY errors while a script runs too long.
    commit_batch: int | None = None

    @abstractmethod
    def atomic(self) -> AbstractContextManager[None]:
        """A read-decide-write section. In a shared backend the reads inside it are watched and
        :meth:`commit` raises :class:`Conflict` if any of them changed: re-run the section."""

    def transact(self, section: Callable[[], T]) -> T:
        """Run ``section`` (reads, then at most one :meth:`commit`) in :meth:`atomic`; a shared
        backend runs it again while its commit raises :class:`Conflict`."""
        with self.atomic():
            return section()

    @abstractmethod
    def bind(self, fingerprint: str, settings: str) -> Identity:
        """Take the namespace's identity, creating it on first use; ``ValueError`` when it was
        built with another settings fingerprint (see :meth:`Identity.check`)."""

    @abstractmethod
    def next_number(self, counter: str) -> int:
        """Next value (1, 2, ...) of a named counter ("doc" or "story"); never reused."""

    def next_numbers(self, counter: str, count: int) -> list[int]:
        """``count`` values of a counter at once (a backend with a round trip per
        :meth:`next_number` hands them out in one)."""
        return [self.next_number(counter) for _ in range(count)]

    def new_story_id(self) -> str:
        """A story id never handed out before in this namespace."""
        return self.new_story_ids(1)[0]

    def new_story_ids(self, count: int) -> list[str]:
        """``count`` story ids never handed out before, oldest (smallest number) first."""
        epoch = self.identity.epoch if self.identity is not None else None
        return [story_id(n, epoch) for n in self.next_numbers("story", count)]

    @abstractmethod
    def counters(self) -> dict[str, int]:
        """The last value handed out by each counter (for save)."""

    @abstractmethod
    def number_of(self, doc_id: str | int) -> int | None:
        """The number of an indexed doc id, or None."""

    @abstractmethod
    def bucket_members(self, keys: Sequence[int]) -> set[int]:
        """Union of the numbers in bucket ``keys[band]`` of each band."""

    def candidates(self, keys: Sequence[int], cutoff: float | None) -> Candidates:
        """LSH proposals for band ``keys``, only documents published at or after ``cutoff``
        (when given).

        The hot path of every ``add``: backends override it to answer from arrays (memory) or in
        one round trip (Redis), without building a :class:`Record` per proposal. This default
        goes through :meth:`bucket_members` and :meth:`records`.
        """
        rows = [r for r in self.records(sorted(self.bucket_members(keys))) if r is not None]
        if cutoff is not None:
            rows = [r for r in rows if r.record.published >= cutoff]
        if not rows:
            return Candidates(np.zeros(0, np.int64), np.zeros((0, 0), np.uint32))
        return Candidates(
            np.array([r.record.num for r in rows], dtype=np.int64),
            np.stack([r.record.signature for r in rows]),
        )

    def scores_to(self, nums: Sequence[int], profile: Profile) -> Scores:
        """The score (:func:`dupdetect.score.scores_to`) of ``profile`` with each indexed
        number of ``nums``, skipping absent ones.

        The second half of every ``add``'s hot path: the memory backend overrides it to score
        from its pooled vectors without building a :class:`Record` per candidate. This default
        goes through :meth:`records`.
        """
        rows = [r for r in self.records(nums) if r is not None]
        return Scores(
            [r.record.num for r in rows],
            [r.record.doc_id for r in rows],
            [r.story for r in rows],
            score.scores_to(profile, [r.record.profile for r in rows]),
        )

    @abstractmethod
    def records(self, nums: Sequence[int]) -> list[Stored | None]:
        """The record and story of each number, None where absent."""

    @abstractmethod
    def members(self, story_ids: Sequence[str]) -> dict[str, list[int]]:
        """Member numbers of each story (sorted; empty for an unknown story)."""

    @abstractmethod
    def story_ids(self) -> list[str]:
        """All live story ids, oldest first."""

    @abstractmethod
    def survivor(self, retired: str) -> str | None:
        """The live story that absorbed ``retired`` by merges (None if there is none)."""

    @abstractmethod
    def count(self) -> int:
        """Number of indexed documents."""

    @abstractmethod
    def expired(self, cutoff: float, limit: int | None) -> list[int]:
        """Numbers of documents published before ``cutoff`` (oldest first, at most ``limit``)."""

    @abstractmethod
    def watermark(self) -> float | None:
        """Newest published time committed so far."""

    @abstractmethod
    def events(self) -> list[dict[str, Any]]:
        """The merge-event log, oldest first."""

    @abstractmethod
    def commit(self, change: Change) -> None:
        """Apply ``change`` atomically: deletes, then inserts, then moves. ``ValueError`` when
        an inserted doc id is indexed already (and not deleted by the same change)."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every document, story and event; counters go on (ids are never reused)."""

    def all_numbers(self) -> list[int]:
        """Every indexed document number (for save)."""
        out: list[int] = []
        for members in self.members(self.story_ids()).values():
            out.extend(members)
        return sorted(out)

    def snapshot(self) -> Snapshot:
        """A consistent copy of the whole state."""
        with self.atomic():
            return self.read_snapshot()

    def read_snapshot(self) -> Snapshot:
        """The state as the reads see it (:meth:`snapshot` makes it consistent)."""
        nums, step = self.all_numbers(), 10_000  # a shared server answers others between reads
        stored = [
            r
            for at in range(0, len(nums), step)
            for r in self.records(nums[at : at + step])
            if r is not None
        ]
        derived = {
            "doc": max((r.record.num for r in stored), default=0),
            "story": max((story_number(s) for s in self.story_ids()), default=0),
        }
        counters = {k: max(v, derived.get(k, 0)) for k, v in self.counters().items()}
        return Snapshot(
            stored,
            {**derived, **counters},
            self.watermark(),
            list(self.events()),
            self.retired_map(),
            self.identity.epoch if self.identity is not None else None,
        )

    @abstractmethod
    def retired_map(self) -> dict[str, str]:
        """Every retired story id still resolvable -> its live survivor (for save)."""

    def restore(self, snap: Snapshot, keys_of: Callable[[Record], list[int]]) -> None:
        """Load ``snap`` into this (empty) backend; ``keys_of`` gives a record's band keys."""
        with self.atomic():
            if self.count():
                raise ValueError("restore() needs an empty storage")
            change = Change(
                insert=[
                    Insert(r.record, r.story, [] if r.record.short else keys_of(r.record))
                    for r in snap.stored
                ]
            )
            self.commit(change)
            self.restore_state(snap)

    @abstractmethod
    def restore_state(self, snap: Snapshot) -> None:
        """Set the counters, watermark, event log, retired ids and epoch of ``snap`` (the rest
        of :meth:`restore`)."""

    def describe(self) -> str:
        """Where the state lives, for messages and ``repr`` (no password)."""
        return type(self).__name__

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
