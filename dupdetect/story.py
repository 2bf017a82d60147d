"""Incremental story assignment: :class:`StoryIndex` answers "which story is this article?".

A news backend adds articles one at a time; each ``add`` returns an :class:`Assignment` within
milliseconds, and the index is shared by worker processes (Redis storage) or saved to a file.

Assignment rule (the batch job's rule, applied greedily one article at a time):

1. The article is featurized exactly as :func:`dupdetect.cluster_texts` does (:mod:`.features`).
   A document with fewer than ``settings.min_terms`` content terms is *short*: it gets its own
   story, is flagged, and is never indexed or grouped.
2. LSH proposes candidates: documents sharing a band bucket (``settings.lsh_params`` bands and
   rows, band keys folded exactly like the batch :func:`dupdetect.lsh.candidate_pairs`).
   Like the batch job, candidates whose MinHash estimate is below
   ``PREFILTER_FRACTION * candidate_threshold`` are dropped, and so are documents outside the
   time window.
3. Each remaining candidate is re-scored with the verification score (the batch job's
   similarity). For every story of a candidate, the article's *average linkage* to the story is
   its mean similarity to all the story's members (every member scored exactly when the story
   has at most ``DENSE_COMPONENT`` members, else unscored members count as 0, as in the batch
   job). The article joins the story with the highest average if it is >= ``threshold``, else it
   starts a new story.
4. Merge: for every other candidate story whose average linkage to the article is also >=
   threshold, the average linkage between the joined story (now with the article) and that story
   is computed; if it is >= threshold (what the batch job's average linkage would merge), the
   two stories merge. The *older* story id survives (ids are ``"s-<n>"``, smaller ``n`` older);
   a :class:`MergeEvent` is returned in the assignment, appended to :meth:`StoryIndex.events`
   and passed to ``on_merge``.

Story ids never change silently: an id changes only by a reported merge. Removal or eviction
shrinks a story but never splits it.

Time window: an article's time is ``published`` (else the time it was added). Articles older
than ``window`` before the newest time seen stop being candidates at once and are deleted a few
per ``add`` (amortized) or all at once by :meth:`StoryIndex.evict`.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .features import Profile, TermMatrix, TermVector, featurize_terms, prepare
from .lsh import band_keys
from .settings import DENSE_COMPONENT, PREFILTER_FRACTION, Settings
from .storage import Change, MemoryStorage, Record, Storage, make_storage
from .timewindow import Window, window_seconds

__all__ = ["StoryIndex", "Assignment", "Match", "MergeEvent", "StoryMember", "FILE_VERSION"]

#: Version of the file written by :meth:`StoryIndex.save`.
FILE_VERSION = 1
_MAGIC = b"DDSTORY\x00"
#: Merges whose two stories need more than this many pair scores are not attempted.
MAX_MERGE_PAIRS = 40_000
_OWN_OPTIONS = {"max_matches", "evict_batch"}
_REDIS_OPTIONS = {"lock_timeout", "lock_wait", "cache_size"}


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

    ``score``: the article's mean similarity to the members of the story it joined (average
    linkage, as the batch job cuts clusters), 0.0 when it started a new story; ``matches``: the
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
class StoryMember:
    """One article of a story as returned by :meth:`StoryIndex.story`."""

    doc_id: str | int
    published: float
    meta: dict[str, Any] | None


# ------------------------------------------------------------------------------------------------
def _sims(profiles: list[Profile], pairs: np.ndarray) -> np.ndarray:
    """Verification scores of row pairs of ``profiles`` (the batch job's vectorized score)."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float64)
    uni = TermMatrix.from_vectors([p.unigrams for p in profiles])
    bi = TermMatrix.from_vectors([p.bigrams for p in profiles])
    return (0.5 * (uni.cosines(pairs) + bi.cosines(pairs))).astype(np.float64)


_TABLE_BITS = 16


def _positions(keys: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Index in ``keys`` (unique uint32) of each needle, -1 where absent.

    A direct-mapped table on the low bits of the ids (term ids are hashes, so the low bits are
    uniform): one gather per needle instead of a binary search. Keys that collide in the table
    (a few per call at most) are resolved with one vectorized compare each.
    """
    if keys.size == 0:
        return np.full(needles.size, -1, dtype=np.int32)
    mask = (1 << _TABLE_BITS) - 1
    table = np.full(1 << _TABLE_BITS, -1, dtype=np.int32)
    slots = (keys & mask).astype(np.intp)
    table[slots] = np.arange(keys.size, dtype=np.int32)  # a collision: the last key wins
    pos = table[(needles & mask).astype(np.intp)]
    found = pos >= 0
    pos[found & (keys[np.maximum(pos, 0)] != needles)] = -1  # a slot holding another key
    lost = np.flatnonzero(table[slots] != np.arange(keys.size, dtype=np.int32))
    for i in lost.tolist():
        pos[needles == keys[i]] = i
    return pos


def _cosines_to(q: TermVector, others: list[TermVector]) -> np.ndarray:
    """Cosine of ``q`` with each of ``others``, float32 in [0, 1].

    The arithmetic of :meth:`TermMatrix.cosines` for the pairs ``(q, other)`` (float32
    products of matching weights summed in the other's term order, float32, clipped), so the
    values are bit-identical to the batch job's, without its per-pair sort keys: one
    ``searchsorted`` of all the others' term ids into ``q``'s sorted ids.
    """
    k = len(others)
    out = np.zeros(k, dtype=np.float32)
    if k == 0 or q.ids.size == 0:
        return out
    lens = np.fromiter((v.ids.size for v in others), dtype=np.int64, count=k)
    ids = np.concatenate([v.ids for v in others])
    w = np.concatenate([v.weights for v in others])
    row = np.repeat(np.arange(k, dtype=np.int64), lens)
    pos = _positions(q.ids, ids)
    hit = pos >= 0
    prod = q.weights[pos[hit]] * w[hit]
    out[:] = np.bincount(row[hit], weights=prod, minlength=k)
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _sims_to(profile: Profile, others: list[Profile]) -> np.ndarray:
    """Verification scores of ``profile`` with each of ``others`` (equal to :func:`_sims`)."""
    if not others:
        return np.zeros(0, dtype=np.float64)
    uni = _cosines_to(profile.unigrams, [p.unigrams for p in others])
    bi = _cosines_to(profile.bigrams, [p.bigrams for p in others])
    return (0.5 * (uni + bi)).astype(np.float64)


_Sum = tuple[np.ndarray, np.ndarray]  # sorted unique term ids, float64 weight sums


def _summed(ids: list[np.ndarray], weights: list[np.ndarray]) -> _Sum:
    """Sum of sparse vectors given as id and weight arrays."""
    if not ids:
        return np.zeros(0, np.uint32), np.zeros(0, np.float64)
    uniq, inv = np.unique(np.concatenate(ids), return_inverse=True)
    w = np.concatenate(weights).astype(np.float64)
    return uniq, np.bincount(inv.ravel(), weights=w, minlength=uniq.size)


def _profile_sum(profiles: list[Profile]) -> tuple[_Sum, _Sum]:
    """Summed unigram and bigram vectors of a group of documents."""
    return (
        _summed([p.unigrams.ids for p in profiles], [p.unigrams.weights for p in profiles]),
        _summed([p.bigrams.ids for p in profiles], [p.bigrams.weights for p in profiles]),
    )


def _add_sums(a: tuple[_Sum, _Sum], b: tuple[_Sum, _Sum]) -> tuple[_Sum, _Sum]:
    return (
        _summed([a[0][0], b[0][0]], [a[0][1], b[0][1]]),
        _summed([a[1][0], b[1][0]], [a[1][1], b[1][1]]),
    )


def _dot_sums(a: tuple[_Sum, _Sum], b: tuple[_Sum, _Sum]) -> float:
    """Sum of the verification scores of every pair (one of group ``a``, one of group ``b``).

    A cosine is a dot product of unit vectors, so the sum over all ``|a| * |b|`` pairs is the
    dot product of the two summed vectors: O(terms) instead of O(|a| * |b| * terms). Equal to
    summing :func:`_sims` over the pairs up to float rounding (float64 sums here, ~1e-7
    relative; the per-pair clip to [0, 1] only trims rounding above 1, weights being >= 0).
    """
    total = 0.0
    for (ua, sa), (ub, sb) in zip(a, b):
        _, ia, ib = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
        total += float(np.dot(sa[ia], sb[ib]))
    return 0.5 * total


def _cross_sum(a: list[Profile], b: list[Profile]) -> float:
    """:func:`_dot_sums` of two lists of profiles."""
    return _dot_sums(_profile_sum(a), _profile_sum(b))


def _epoch(published: Any) -> float:
    if isinstance(published, datetime):
        if published.tzinfo is None:  # naive datetimes are taken as UTC
            published = published.replace(tzinfo=timezone.utc)
        return published.timestamp()
    if isinstance(published, bool) or not isinstance(published, (int, float)):
        raise TypeError(
            f"published must be a datetime or epoch seconds (int/float), "
            f"got {type(published).__name__}"
        )
    if not np.isfinite(published):
        raise ValueError(f"published must be finite, got {published!r}")
    return float(published)


def _story_no(story_id: str) -> int:
    return int(story_id.rsplit("-", 1)[1])


class StoryIndex:
    """Incremental, shareable story assignment (see the module docstring for the rule).

    ``settings`` (or Settings options such as ``threshold=0.4`` in ``options``) say how articles
    are compared, exactly as for :func:`dupdetect.cluster_texts`. ``window``: a ``timedelta``,
    seconds, or None (keep everything). ``storage``: ``"memory"``, a ``redis://`` /
    ``rediss://`` URL (several processes share the index; options ``lock_timeout`` and
    ``lock_wait`` in seconds, ``cache_size`` records cached per process) or a
    :class:`dupdetect.storage.Storage`. ``namespace`` separates indexes in one Redis database.
    ``on_merge`` is called with each :class:`MergeEvent` this process causes. Other options:
    ``max_matches`` (10), ``evict_batch`` (64 per add).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        window: Window = timedelta(hours=72),
        storage: str | Storage = "memory",
        namespace: str = "dupdetect",
        on_merge: Callable[[MergeEvent], None] | None = None,
        **options: Any,
    ) -> None:
        if settings is not None and not isinstance(settings, Settings):
            raise TypeError(f"settings must be a dupdetect.Settings, got {type(settings).__name__}")
        valid = sorted({f for f in Settings.__dataclass_fields__} | _OWN_OPTIONS | _REDIS_OPTIONS)
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise TypeError(
                f"unknown option(s) {', '.join(unknown)}; valid options are {', '.join(valid)}"
            )
        own = {k: options.pop(k) for k in list(options) if k in _OWN_OPTIONS}
        backend = {k: options.pop(k) for k in list(options) if k in _REDIS_OPTIONS}
        self.settings = Settings.from_options(settings, **options)
        self.window = window_seconds(window)
        self.max_matches = int(own.get("max_matches", 10))
        self.evict_batch = int(own.get("evict_batch", 64))
        if self.max_matches < 0 or self.evict_batch < 1:
            raise ValueError("max_matches must be >= 0 and evict_batch >= 1")
        if on_merge is not None and not callable(on_merge):
            raise TypeError(f"on_merge must be callable, got {type(on_merge).__name__}")
        self.on_merge = on_merge
        self.namespace = namespace
        self.storage = make_storage(storage, namespace, **backend)
        self._bands, self._rows = self.settings.lsh_params

    # -- featurizing (pure, outside the lock) ------------------------------------------------
    def _featurize(self, text: str) -> tuple[np.ndarray, Profile, bool, int]:
        terms = prepare(text)
        f = featurize_terms([terms], self.settings)  # one row: its term vectors are the profile
        profile = Profile(
            TermVector(f.unigrams.ids, f.unigrams.weights),
            TermVector(f.bigrams.ids, f.bigrams.weights),
        )
        return f.signatures[0], profile, bool(f.short[0]), len(terms)

    def _keys(self, sig: np.ndarray) -> list[int]:
        b, r = self._bands, self._rows
        return band_keys(sig[: b * r].reshape(b, r), 0, r).tolist()

    def _cutoff(self, newest: float | None) -> float | None:
        if self.window is None or newest is None:
            return None
        return newest - self.window

    # -- candidates and scores ----------------------------------------------------------------
    def _candidates(
        self, sig: np.ndarray, profile: Profile, cutoff: float | None
    ) -> list[tuple[Record, str, float]]:
        # numbers + signature rows of every proposal in one call, prefiltered in numpy; only the
        # survivors (typically a few dozen) become Python records and get scored
        nums, sigs = self.storage.candidates(self._keys(sig), cutoff)
        if nums.size == 0:
            return []
        est = (sigs == sig).mean(axis=1)
        floor = PREFILTER_FRACTION * self.settings.candidate_threshold
        keep = nums[est >= floor].tolist()
        rows = [r for r in self.storage.records(keep) if r is not None]
        if not rows:
            return []
        sims = _sims_to(profile, [r[0].profile for r in rows])
        out = [(rec, story, float(s)) for (rec, story), s in zip(rows, sims.tolist())]
        out.sort(key=lambda t: (-t[2], t[0].num))
        return out

    def _matches(self, cands: list[tuple[Record, str, float]]) -> tuple[Match, ...]:
        return tuple(Match(r.doc_id, s, round(x, 6)) for r, s, x in cands[: self.max_matches])

    # -- public API ---------------------------------------------------------------------------
    def add(
        self,
        doc_id: str | int,
        text: str,
        *,
        published: datetime | float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Assignment:
        """Assign ``text`` to a story and index it under ``doc_id`` (see the module docstring).

        Raises ``TypeError`` for a doc id that is not a str/int, a text that is not a str, a bad
        ``published`` or a ``meta`` that is not a JSON-able dict; ``ValueError`` when ``doc_id``
        is already indexed. Empty or near-empty text is accepted as a flagged short story.
        """
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            raise TypeError(f"doc_id must be a str or int, got {type(doc_id).__name__}")
        if not isinstance(text, str):
            raise TypeError(
                f"text must be a str (the article text), got {type(text).__name__}; "
                "decode bytes first, e.g. data.decode('utf-8')"
            )
        if meta is not None:
            if not isinstance(meta, dict):
                raise TypeError(f"meta must be a dict or None, got {type(meta).__name__}")
            try:
                json.dumps(meta)
            except (TypeError, ValueError) as e:
                raise TypeError(f"meta must be JSON-serializable: {e}") from None
        pub = time.time() if published is None else _epoch(published)
        sig, profile, short, n_terms = self._featurize(text)
        st = self.storage
        with st.lock():
            if st.number_of(doc_id) is not None:
                raise ValueError(
                    f"doc_id {doc_id!r} is already indexed; call remove() first or use a new id"
                )
            wm = st.watermark()
            newest = pub if wm is None else max(wm, pub)
            cutoff = self._cutoff(newest)
            if cutoff is not None:
                self._evict_locked(cutoff, self.evict_batch)
            rec = Record(st.next_number("doc"), doc_id, pub, short, sig, profile, meta)
            if short:
                story = f"s-{st.next_number('story')}"
                st.commit(Change(insert=[(rec, story, [])], watermark=pub))
                return Assignment(
                    doc_id,
                    story,
                    0.0,
                    (),
                    True,
                    short=True,
                    flag=(
                        f"too short to compare: {n_terms} content words "
                        f"(< min_terms={self.settings.min_terms}); kept as its own story"
                    ),
                )
            cands = self._candidates(sig, profile, cutoff)
            story, score, new, events, change = self._assign(rec, cands, pub)
            change.watermark = pub
            st.commit(change)
        for ev in events:
            if self.on_merge is not None:
                self.on_merge(ev)
        return Assignment(doc_id, story, score, self._matches(cands), new, tuple(events))

    def _assign(self, rec: Record, cands: list[tuple[Record, str, float]], pub: float):
        st, thr = self.storage, self.settings.threshold
        keys = self._keys(rec.signature)
        sim_of: dict[int, float] = {r.num: s for r, s_id, s in cands}
        prof_of: dict[int, Profile] = {r.num: r.profile for r, _, _ in cands}
        stories = sorted({s for _, s, _ in cands}, key=_story_no)
        members = st.members(stories) if stories else {}
        missing = sorted(self._worth_scoring(stories, members, sim_of))
        fetched = [(r, s_id) for r, s_id, _ in cands]
        if missing:
            rows = [r for r in st.records(missing) if r is not None]
            sims = _sims_to(rec.profile, [r[0].profile for r in rows])
            for (r, _), s in zip(rows, sims.tolist()):
                sim_of[r.num], prof_of[r.num] = s, r.profile
            fetched += rows
        mean = {
            s: sum(sim_of.get(n, 0.0) for n in members[s]) / len(members[s])
            for s in stories
            if members[s]
        }
        ok = sorted((s for s in mean if mean[s] >= thr), key=lambda s: (-mean[s], _story_no(s)))
        if not ok:
            story = f"s-{st.next_number('story')}"
            return story, 0.0, True, [], Change(insert=[(rec, story, keys)])
        joined, score = ok[0], mean[ok[0]]
        change = Change(insert=[(rec, joined, keys)])
        cur, cur_nums = joined, [*members[joined], rec.num]
        prof_of[rec.num] = rec.profile
        sim_of[rec.num] = 1.0
        doc_of = {r.num: r.doc_id for r, _ in fetched}
        doc_of[rec.num] = rec.doc_id
        cur_sum: tuple[_Sum, _Sum] | None = None  # summed vectors of cur, kept across merges
        events: list[MergeEvent] = []
        for other in ok[1:]:
            o_nums = members[other]
            if len(cur_nums) * len(o_nums) > MAX_MERGE_PAIRS or any(
                n not in prof_of for n in (*cur_nums, *o_nums)
            ):
                continue
            if cur_sum is None:
                cur_sum = _profile_sum([prof_of[n] for n in cur_nums])
            o_sum = _profile_sum([prof_of[n] for n in o_nums])
            cross = _dot_sums(cur_sum, o_sum)
            if cross / (len(cur_nums) * len(o_nums)) < thr:
                continue
            survivor, retired = sorted((cur, other), key=_story_no)
            moved = o_nums if retired == other else cur_nums
            need = [n for n in moved if n not in doc_of]
            if need:
                for row in st.records(need):
                    if row is not None:
                        doc_of[row[0].num] = row[0].doc_id
            ev = MergeEvent(survivor, retired, tuple(doc_of[n] for n in moved), rec.doc_id, pub)
            events.append(ev)
            change.moves.append((list(moved), retired, survivor))
            change.events.append(ev.to_dict())
            cur, cur_nums = survivor, sorted([*cur_nums, *o_nums])
            cur_sum = _add_sums(cur_sum, o_sum)
        return cur, score, False, events, change

    def _worth_scoring(
        self, stories: list[str], members: dict[str, list[int]], sim_of: dict[int, float]
    ) -> set[int]:
        """Members not yet scored whose scores can change which stories reach the threshold.

        A story of more than ``DENSE_COMPONENT`` members counts unscored members as 0 (the
        batch rule), so none are needed. Otherwise the story's mean is at most
        ``(sum of known scores + number unscored * 1.0) / size`` (a score is at most 1); when
        that bound is below ``threshold`` the story cannot be joined or merged whatever the
        unscored members score, so they are not fetched or scored. The decision is the same as
        scoring everyone: the computed mean (unscored as 0) is below threshold too.
        """
        thr = self.settings.threshold - 1e-9  # margin: never skip a story on rounding
        out: set[int] = set()
        for s in stories:
            m = members[s]
            if not m or len(m) > DENSE_COMPONENT:
                continue
            unknown = [n for n in m if n not in sim_of]
            if not unknown:
                continue
            known = sum(sim_of[n] for n in m if n in sim_of)
            if (known + len(unknown)) / len(m) >= thr:
                out.update(unknown)
        return out

    def query(self, text: str) -> list[Match]:
        """The closest indexed documents to ``text`` (verified scores, best first); no insert."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        sig, profile, short, _ = self._featurize(text)
        if short:
            return []
        with self.storage.lock():
            cands = self._candidates(sig, profile, self._cutoff(self.storage.watermark()))
        return list(self._matches(cands))

    def remove(self, doc_id: str | int) -> None:
        """Delete ``doc_id`` (``KeyError`` when absent). Its story shrinks; it is never split."""
        st = self.storage
        with st.lock():
            num = st.number_of(doc_id)
            row = st.records([num])[0] if num is not None else None
            if row is None:
                raise KeyError(f"doc_id {doc_id!r} is not indexed")
            self._delete_locked([row])

    def _delete_locked(self, rows: list[tuple[Record, str]]) -> None:
        change = Change(
            delete=[(r, s, [] if r.short else self._keys(r.signature)) for r, s in rows]
        )
        self.storage.commit(change)

    def _evict_locked(self, cutoff: float, limit: int | None) -> list[str | int]:
        nums = self.storage.expired(cutoff, limit)
        rows = [r for r in self.storage.records(nums) if r is not None]
        if rows:
            self._delete_locked(rows)
        return [r.doc_id for r, _ in rows]

    def evict(self, now: datetime | float | None = None) -> list[str | int]:
        """Delete every article older than ``window`` before ``now`` (default: the newest time
        seen, or the wall clock if later). Returns the evicted doc ids."""
        if self.window is None:
            return []
        with self.storage.lock():
            if now is None:
                wm = self.storage.watermark()
                t = time.time() if wm is None else max(wm, time.time())
            else:
                t = _epoch(now)
            return self._evict_locked(t - self.window, None)

    def story_of(self, doc_id: str | int) -> str:
        """The story id of an indexed document (``KeyError`` when absent)."""
        num = self.storage.number_of(doc_id)
        row = self.storage.records([num])[0] if num is not None else None
        if row is None:
            raise KeyError(f"doc_id {doc_id!r} is not indexed")
        return row[1]

    def story(self, story_id: str) -> list[StoryMember]:
        """Members of a story in insertion order (``KeyError`` for an unknown or merged id)."""
        nums = self.storage.members([story_id])[story_id]
        rows = [r for r in self.storage.records(nums) if r is not None]
        if not rows:
            for ev in reversed(self.events()):
                if ev.retired == story_id:
                    raise KeyError(f"story {story_id!r} was merged into {ev.survivor!r}")
            raise KeyError(f"no story {story_id!r} (never created, or all members removed)")
        return [StoryMember(r.doc_id, r.published, r.meta) for r, _ in rows]

    def stories(self) -> Iterator[str]:
        """Live story ids, oldest first."""
        return iter(self.storage.story_ids())

    def events(self) -> list[MergeEvent]:
        """The merge-event log (all processes sharing the storage), oldest first."""
        return [MergeEvent.from_dict(d) for d in self.storage.events()]

    def __len__(self) -> int:
        return self.storage.count()

    def __contains__(self, doc_id: object) -> bool:
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            return False
        return self.storage.number_of(doc_id) is not None

    def close(self) -> None:
        self.storage.close()

    # -- save / load --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` atomically (temp file, fsync, rename).

        Format (little-endian): magic ``DDSTORY\\0``, u32 version, u64 header length, header JSON
        (settings, fingerprint, window, counters, stories, events), u64 record count, then per
        record u32 length + packed record, then a 32-byte blake2b of everything before it.
        """
        from .storage import pack_record

        st = self.storage
        with st.lock():
            nums = st.all_numbers()
            rows = [r for r in st.records(nums) if r is not None]
            counters = {
                "doc": max((r.num for r, _ in rows), default=0),
                "story": max((_story_no(s) for s in st.story_ids()), default=0),
            }
            if isinstance(st, MemoryStorage):
                counters = {**counters, **st._counters}
            header = {
                "fingerprint": self.settings.fingerprint,
                "settings": asdict(self.settings),
                "window": self.window,
                "namespace": self.namespace,
                "max_matches": self.max_matches,
                "evict_batch": self.evict_batch,
                "counters": counters,
                "watermark": st.watermark(),
                "story_of": {str(r.num): s for r, s in rows},
                "events": st.events(),
            }
        hj = json.dumps(header, ensure_ascii=False).encode("utf-8")
        parts = [
            _MAGIC,
            struct.pack("<IQ", FILE_VERSION, len(hj)),
            hj,
            struct.pack("<Q", len(rows)),
        ]
        for r, _ in rows:
            blob = pack_record(r)
            parts += [struct.pack("<I", len(blob)), blob]
        body = b"".join(parts)
        digest = hashlib.blake2b(body, digest_size=32).digest()
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
                f.write(digest)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        try:  # make the rename itself durable
            dfd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        settings: Settings | None = None,
        *,
        on_merge: Callable[[MergeEvent], None] | None = None,
    ) -> StoryIndex:
        """Read a file written by :meth:`save` into an in-memory index.

        ``ValueError`` when the file is not a StoryIndex file, is from another format version,
        fails its checksum (corrupted or truncated), or was built with settings other than
        ``settings`` (when given).
        """
        from .storage import unpack_record

        data = Path(path).read_bytes()
        if not data.startswith(_MAGIC):
            raise ValueError(f"{path}: not a dupdetect StoryIndex file (bad magic bytes)")
        if len(data) < len(_MAGIC) + 12 + 32:
            raise ValueError(f"{path}: truncated StoryIndex file")
        body, digest = data[:-32], data[-32:]
        if hashlib.blake2b(body, digest_size=32).digest() != digest:
            raise ValueError(
                f"{path}: checksum mismatch - the file is corrupted or truncated; "
                "restore it from a backup or rebuild the index"
            )
        version, hl = struct.unpack_from("<IQ", body, len(_MAGIC))
        if version != FILE_VERSION:
            raise ValueError(
                f"{path}: StoryIndex file version {version}, this dupdetect reads "
                f"version {FILE_VERSION}; rebuild the index"
            )
        pos = len(_MAGIC) + 12
        header = json.loads(body[pos : pos + hl].decode("utf-8"))
        pos += hl
        stored = Settings(**header["settings"])
        if stored.fingerprint != header["fingerprint"]:
            raise ValueError(
                f"{path}: built by a dupdetect whose scoring differs (fingerprint "
                f"{header['fingerprint']} != {stored.fingerprint}); rebuild the index"
            )
        if settings is not None and settings.fingerprint != stored.fingerprint:
            raise ValueError(
                f"{path}: index was built with other settings ({stored}) than the ones given "
                f"({settings}); load it without settings= or rebuild it with yours"
            )
        idx = cls(
            stored,
            window=None if header["window"] is None else timedelta(seconds=header["window"]),
            namespace=header["namespace"],
            on_merge=on_merge,
            max_matches=header["max_matches"],
            evict_batch=header["evict_batch"],
        )
        (n,) = struct.unpack_from("<Q", body, pos)
        pos += 8
        story_of = header["story_of"]
        change = Change()
        for _ in range(n):
            (ln,) = struct.unpack_from("<I", body, pos)
            pos += 4
            rec = unpack_record(body[pos : pos + ln])
            pos += ln
            keys = [] if rec.short else idx._keys(rec.signature)
            change.insert.append((rec, story_of[str(rec.num)], keys))
        st = idx.storage
        if not isinstance(st, MemoryStorage):  # cls() above always makes one
            raise TypeError("load() builds an in-memory index")
        st.commit(change)
        st._restore(header["counters"], header["watermark"], header["events"])
        return idx
