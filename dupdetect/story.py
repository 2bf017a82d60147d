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
   ``settings.prefilter * candidate_threshold`` are dropped, and so are documents outside the
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
   two stories merge. The *older* story id survives (ids are ``"s-<n>"``, smaller ``n`` older;
   ``"s-<epoch>-<n>"`` on Redis); a :class:`MergeEvent` is returned in the assignment, appended
   to :meth:`StoryIndex.events` and passed to ``on_merge``.

Story ids never change silently: an id changes only by a reported merge, and a retired id keeps
resolving to its survivor (:meth:`StoryIndex.resolve`). Removal or eviction shrinks a story but
never splits it. Scores follow :func:`dupdetect.cluster`: an article's score is its mean
similarity to the other members of its story, 1.0 for a story of one.

Time: an article's time is ``published``. Without it, an article gets the wall clock, unless the
index is replaying the past (its newest article is older than one window, or 72 h without a
window, before the wall clock): then the newest time seen, so that undated items of a replay do
not push the window to today and evict everything. Articles older than ``window`` before the
newest time seen stop being candidates at once and are deleted a few per ``add`` (amortized) or
all at once by :meth:`StoryIndex.evict`.

Backfill: :meth:`StoryIndex.backfill` fills an empty index with an archive at once; the batch
job's clusters become its stories (what :func:`dupdetect.cluster_texts` finds with the same
settings and window), so ``add`` then goes on from the stories a batch run would give.

Concurrency: each ``add`` is one :meth:`dupdetect.storage.Storage.transact` section (read,
decide, commit); on Redis a commit on a view that another writer changed is refused and the
section runs again, so concurrent writers in many processes give every article exactly one
story, as one writer adding them in some order would.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import numpy as np

from . import persist
from .features import Profile, TermVector, featurize_terms, prepare
from .lsh import band_keys, low_bytes
from .score import VECTORS, GroupVectors, group_sum, scores_to
from .settings import DENSE_COMPONENT, Settings
from .storage import (
    Change,
    Conflict,
    Delete,
    Insert,
    Move,
    Record,
    Storage,
    Stored,
    make_storage,
    story_number,
)
from .story_types import (
    Assigned,
    Assignment,
    Backfill,
    Match,
    MergeEvent,
    Scored,
    StoryMember,
)
from .timewindow import Window, parse_time, window_seconds

__all__ = [
    "StoryIndex",
    "Assignment",
    "Backfill",
    "Match",
    "MergeEvent",
    "StoryMember",
    "FILE_VERSION",
]

#: Version of the file written by :meth:`StoryIndex.save` (:mod:`dupdetect.persist`).
FILE_VERSION = persist.FILE_VERSION
#: Merges whose two stories need more than this many pair scores are not attempted.
MAX_MERGE_PAIRS = 40_000
_OWN_OPTIONS = {"max_matches", "evict_batch"}
_REDIS_OPTIONS = {"lock_timeout", "lock_wait", "cache_size", "low_cache", "connect_timeout"}
_REPLAY_SPAN = 72 * 3600.0  # without a window: how far behind the wall clock means "a replay"


def _check_doc_id(doc_id: object) -> None:
    """A doc id must be a str or an int, and a str must be valid Unicode: every backend stores
    it as UTF-8 (the saved file, Redis), so a lone surrogate would fail there, later."""
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
        raise TypeError(f"doc_id must be a str or int, got {type(doc_id).__name__}")
    if isinstance(doc_id, str):
        try:
            doc_id.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(
                f"doc_id {doc_id!r} holds a lone surrogate ({doc_id[e.start]!r} at {e.start}), "
                "which cannot be stored as UTF-8: a file name that is not UTF-8 (os.fsdecode) or "
                "a broken JSON escape; pass a valid id, e.g. "
                "doc_id.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')"
            ) from None


def _published_time(value: object, name: str = "published") -> float:
    """Epoch seconds of ``value`` (:func:`dupdetect.timewindow.parse_time`), or raise."""
    t = parse_time(value)
    if t is not None:
        return t
    if isinstance(value, str):
        raise ValueError(
            f"{name}={value!r} is not a date; give a datetime, epoch seconds or an "
            "ISO 8601 / RFC 2822 string such as '2015-07-21 02:51:32'"
        )
    if isinstance(value, float):
        raise ValueError(f"{name} must be finite, got {value!r}")
    raise TypeError(
        f"{name} must be a datetime, epoch seconds (int/float) or a date string, "
        f"got {type(value).__name__}"
    )


def _check_meta(meta: object) -> None:
    """``meta`` must be None or a dict that serializes to JSON as UTF-8 (as it is stored)."""
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict or None, got {type(meta).__name__}")
    try:
        json.dumps(meta, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as e:  # UnicodeEncodeError: a lone surrogate
        raise TypeError(f"meta must be JSON-serializable as UTF-8: {e}") from None


def _same_article(old: Record, new: Record, published: object) -> bool:
    """A redelivered message: same text features and meta (and time, when one is given)."""
    return (
        np.array_equal(old.signature, new.signature)
        and all(
            np.array_equal(getattr(getattr(old.profile, v), f), getattr(getattr(new.profile, v), f))
            for v in VECTORS
            for f in ("ids", "weights")
        )
        and old.meta == new.meta
        and (published is None or old.published == new.published)
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "None"
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


class StoryIndex:
    """Incremental, shareable story assignment (see the module docstring for the rule).

    ``settings`` (or Settings options such as ``threshold=0.4`` in ``options``) say how articles
    are compared, exactly as for :func:`dupdetect.cluster_texts`. ``window``: a ``timedelta``, a
    duration such as ``"72h"``, or None (keep everything). ``storage``: ``"memory"``, a
    ``redis://`` / ``rediss://`` URL (several processes share the index; options ``lock_wait``
    (seconds a write keeps retrying), ``cache_size`` (records cached per process),
    ``low_cache`` (LSH proposals' low-byte entries kept per process, 144 bytes each),
    ``connect_timeout``) or a :class:`dupdetect.storage.Storage`. ``namespace`` separates indexes
    in one Redis database; it is bound to the settings of the first index that uses it, and an
    index with other settings is refused. ``on_merge`` is called with each :class:`MergeEvent`
    this process causes. Other options: ``max_matches`` (10), ``evict_batch`` (64 per add).
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
        self.storage.bind(self.settings.fingerprint, repr(self.settings))
        self._bands, self._rows = self.settings.lsh_params

    def __repr__(self) -> str:
        return (
            f"StoryIndex(storage={self.storage.describe()!r}, namespace={self.namespace!r}, "
            f"articles={len(self)}, stories={len(self.storage.story_ids())}, "
            f"window={_duration(self.window)}, fingerprint={self.settings.fingerprint!r})"
        )

    # -- featurizing (pure, outside any transaction) -------------------------------------------
    def _featurize(self, text: str) -> tuple[np.ndarray, Profile, bool, int]:
        terms = prepare(text)
        f = featurize_terms([terms], self.settings)  # one row: its term vectors are the profile
        profile = Profile(
            TermVector(f.unigrams.ids, f.unigrams.weights),
            TermVector(f.bigrams.ids, f.bigrams.weights),
            bool(f.latin[0]),
        )
        return f.signatures[0], profile, bool(f.short[0]), len(terms)

    def band_keys(self, record_or_signature: Record | np.ndarray) -> list[int]:
        """The LSH band keys of a record (or a signature) under this index's settings."""
        sig = (
            record_or_signature.signature
            if isinstance(record_or_signature, Record)
            else record_or_signature
        )
        b, r = self._bands, self._rows
        return band_keys(sig[: b * r].reshape(b, r), 0, r).tolist()

    def _cutoff(self, newest: float | None) -> float | None:
        if self.window is None or newest is None:
            return None
        return newest - self.window

    def _default_time(self, newest: float | None = None) -> float:
        """The time of an article without ``published`` (the module docstring, "Time"), the
        newest time seen being the index's (or ``newest``, for a backfill)."""
        wall = time.time()
        wm = self.storage.watermark() if newest is None else newest
        span = self.window if self.window is not None else _REPLAY_SPAN
        return wall if wm is None or wm >= wall - span else wm

    # -- candidates and scores ----------------------------------------------------------------
    def _candidates(
        self, sig: np.ndarray, profile: Profile, cutoff: float | None, exclude: int | None = None
    ) -> list[Scored]:
        # numbers + signature rows of every proposal in one call, prefiltered in numpy; only the
        # survivors (typically a few dozen) become Python records and get scored
        nums, sigs = self.storage.candidates(self.band_keys(sig), cutoff)
        floor = self.settings.prefilter * self.settings.candidate_threshold
        if sigs.dtype == np.uint8 and nums.size:  # low bytes (Redis): equal values have equal
            # low bytes, so this share bounds the estimate from above; confirm the rest below
            maybe = nums[(sigs == low_bytes(sig.reshape(1, -1))).mean(axis=1) >= floor]
            rows = [r.record for r in self.storage.records(maybe.tolist()) if r is not None]
            nums = np.array([r.num for r in rows], dtype=np.int64)
            sigs = np.stack([r.signature for r in rows]) if rows else np.zeros((0, sig.size))
        if nums.size == 0:
            return []
        est = (sigs == sig).mean(axis=1)
        keep = [n for n in nums[est >= floor].tolist() if n != exclude]
        got = self.storage.scores_to(keep, profile)
        out = [Scored(*c) for c in zip(got.nums, got.doc_ids, got.stories, got.scores.tolist())]
        out.sort(key=lambda c: (-c.score, c.num))
        return out

    def _matches(self, cands: list[Scored]) -> tuple[Match, ...]:
        top = cands[: self.max_matches]
        return tuple(Match(c.doc_id, c.story, round(c.score, 6)) for c in top)

    # -- public API ---------------------------------------------------------------------------
    def add(
        self,
        doc_id: str | int,
        text: str,
        *,
        published: datetime | float | str | None = None,
        meta: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> Assignment:
        """Assign ``text`` to a story and index it under ``doc_id`` (see the module docstring).

        ``published``: a ``datetime`` (naive = UTC), epoch seconds or a date string as
        :func:`dupdetect.cluster_texts` accepts (``"2015-07-21 02:51:32"``, ISO 8601, RFC 2822);
        without it, see "Time" in the module docstring. ``replace=True`` (a redelivered
        message): when ``doc_id`` is indexed with the same text and meta, nothing changes and its
        current story is returned; with another text it is re-assigned (as ``remove`` + ``add``,
        in one atomic step). Raises ``TypeError`` for a doc id that is not a str/int, a text that
        is not a str, a ``published`` of another type or a ``meta`` that is not a JSON-able
        dict; ``ValueError`` for a ``published`` string that is not a date, a ``doc_id`` that is
        not valid Unicode (a lone surrogate) and when ``doc_id`` is already indexed (without
        ``replace``). Empty or near-empty text is accepted as a
        flagged short story.
        """
        _check_doc_id(doc_id)
        if not isinstance(text, str):
            raise TypeError(
                f"text must be a str (the article text), got {type(text).__name__}; "
                "decode bytes first, e.g. data.decode('utf-8')"
            )
        _check_meta(meta)
        st = self.storage
        given = None if published is None else _published_time(published)
        sig, profile, short, n_terms = self._featurize(text)

        def prelude() -> tuple[float, int, float | None]:  # retried while the server restarts
            if not replace and st.number_of(doc_id) is not None:
                raise self._indexed(doc_id)
            pub = self._default_time() if given is None else given
            return pub, st.next_number("doc"), self._cutoff(self._newest(pub))

        pub, num, cutoff = st.transact(prelude)
        if cutoff is not None:
            self._evict(cutoff, self.evict_batch)
        rec = Record(num, doc_id, pub, short, sig, profile, meta)
        flag = None
        if short:
            flag = (
                f"too short to compare: {n_terms} content words "
                f"(< min_terms={self.settings.min_terms}); kept as its own story"
            )
        tried: list[tuple[Assigned, list[Scored]]] = []
        got, cands = st.transact(lambda: self._add_section(rec, published, replace, tried))
        for ev in got.events:
            if self.on_merge is not None:
                self.on_merge(ev)
        return Assignment(
            doc_id,
            got.story,
            got.score,
            self._matches(cands),
            got.new_story,
            tuple(got.events),
            short=short,
            flag=flag,
        )

    @staticmethod
    def _indexed(doc_id: str | int) -> ValueError:
        return ValueError(
            f"doc_id {doc_id!r} is already indexed; pass replace=True for a redelivered or "
            "corrected article, call remove() first, or use a new id"
        )

    def _newest(self, t: float) -> float:
        wm = self.storage.watermark()
        return t if wm is None else max(wm, t)

    def _add_section(
        self,
        rec: Record,
        published: object,
        replace: bool,
        tried: list[tuple[Assigned, list[Scored]]],
    ) -> tuple[Assigned, list[Scored]]:
        """One try of an add: read, decide, commit (re-run by ``transact`` on a conflict).
        ``tried`` keeps the last decision sent, for a try that ends with a lost connection."""
        st = self.storage
        held = st.number_of(rec.doc_id)
        old = st.records([held])[0] if held is not None else None
        if old is not None and held == rec.num:  # an earlier try's commit went through
            return tried[-1] if tried else (self._unchanged(old), [])
        if old is not None and not replace:
            raise self._indexed(rec.doc_id)
        if old is not None and _same_article(old.record, rec, published):
            return self._unchanged(old), []
        cutoff = self._cutoff(self._newest(rec.published))
        drop = [Delete(old.record, old.story, self._keys_of(old.record))] if old else []
        if rec.short:
            story = st.new_story_id()
            change = Change(insert=[Insert(rec, story, [])], delete=drop, watermark=rec.published)
            tried.append((Assigned(story, 1.0, True, [], change), []))
            st.commit(change)
            return tried[-1]
        exclude = old.record.num if old is not None else None
        cands = self._candidates(rec.signature, rec.profile, cutoff, exclude)
        got = self._assign(rec, cands, rec.published, exclude)
        got.change.delete.extend(drop)
        got.change.watermark = rec.published
        tried.append((got, cands))
        st.commit(got.change)
        return got, cands

    def _unchanged(self, old: Stored) -> Assigned:
        """The answer for a redelivered article: its story and score as they are now."""
        others = [n for n in self.storage.members([old.story])[old.story] if n != old.record.num]
        rows = [r for r in self.storage.records(others) if r is not None]
        sims = scores_to(old.record.profile, [r.record.profile for r in rows])
        score = float(sims.mean()) if len(sims) else 1.0
        return Assigned(old.story, score, False, [], Change())

    def _keys_of(self, rec: Record) -> list[int]:
        return [] if rec.short else self.band_keys(rec)

    # The assign-and-merge rule of the module docstring in one function: steps 3 and 4 share
    # the scores, profiles and doc ids gathered along the way, so splitting it would pass them
    # all around.
    def _assign(
        self, rec: Record, cands: list[Scored], pub: float, exclude: int | None = None
    ) -> Assigned:
        # the new article's script picks the cut (Settings.latin_threshold for English)
        st, thr = self.storage, self.settings.threshold_for(rec.profile.latin)
        keys = self.band_keys(rec.signature)
        sim_of: dict[int, float] = {c.num: c.score for c in cands}
        doc_of: dict[int, str | int] = {c.num: c.doc_id for c in cands}
        stories = sorted({c.story for c in cands}, key=story_number)
        members = st.members(stories) if stories else {}
        if exclude is not None:  # the article this one replaces
            members = {s: [n for n in m if n != exclude] for s, m in members.items()}
        in_story = {s: set(m) for s, m in members.items()}
        if any(c.num not in in_story[c.story] for c in cands):
            raise Conflict("a candidate moved to another story while it was read")
        missing = sorted(self._worth_scoring(stories, members, sim_of, thr))
        if missing:
            got = st.scores_to(missing, rec.profile)
            sim_of.update(zip(got.nums, got.scores.tolist()))
            doc_of.update(zip(got.nums, got.doc_ids))
        mean = {
            s: sum(sim_of.get(n, 0.0) for n in members[s]) / len(members[s])
            for s in stories
            if members[s]
        }
        ok = sorted((s for s in mean if mean[s] >= thr), key=lambda s: (-mean[s], story_number(s)))
        if not ok:
            story = st.new_story_id()
            return Assigned(story, 1.0, True, [], Change(insert=[Insert(rec, story, keys)]))
        joined, score = ok[0], mean[ok[0]]
        change = Change(insert=[Insert(rec, joined, keys)])
        cur, cur_nums = joined, [*members[joined], rec.num]
        sim_of[rec.num] = 1.0
        doc_of[rec.num] = rec.doc_id
        prof_of: dict[int, Profile] = {rec.num: rec.profile}  # built when a merge is weighed
        cur_sum: GroupVectors | None = None  # summed vectors of cur, kept across merges
        events: list[MergeEvent] = []
        for other in ok[1:]:
            o_nums = members[other]
            # only stories whose members were all scored (sim_of) are weighed for a merge
            if len(cur_nums) * len(o_nums) > MAX_MERGE_PAIRS or any(
                n not in sim_of for n in (*cur_nums, *o_nums)
            ):
                continue
            need = [n for n in (*cur_nums, *o_nums) if n not in prof_of]
            for row in st.records(need) if need else []:
                if row is not None:
                    prof_of[row.record.num] = row.record.profile
            if any(n not in prof_of for n in (*cur_nums, *o_nums)):
                raise Conflict("a story member was removed while it was read")
            if cur_sum is None:
                cur_sum = GroupVectors.of([prof_of[n] for n in cur_nums])
            o_sum = GroupVectors.of([prof_of[n] for n in o_nums])
            cross = group_sum(cur_sum, o_sum)
            if cross / (len(cur_nums) * len(o_nums)) < thr:
                continue
            survivor, retired = sorted((cur, other), key=story_number)
            moved = o_nums if retired == other else cur_nums
            need = [n for n in moved if n not in doc_of]
            if need:
                for row in st.records(need):
                    if row is not None:
                        doc_of[row.record.num] = row.record.doc_id
            ev = MergeEvent(survivor, retired, tuple(doc_of[n] for n in moved), rec.doc_id, pub)
            events.append(ev)
            change.moves.append(Move(list(moved), retired, survivor))
            change.events.append(ev.to_dict())
            cur, cur_nums = survivor, sorted([*cur_nums, *o_nums])
            cur_sum = cur_sum + o_sum
        return Assigned(cur, score, False, events, change)

    def _worth_scoring(
        self,
        stories: list[str],
        members: dict[str, list[int]],
        sim_of: dict[int, float],
        threshold: float,
    ) -> set[int]:
        """Members not yet scored whose scores can change which stories reach the threshold.

        A story of more than ``DENSE_COMPONENT`` members counts unscored members as 0 (the
        batch rule), so none are needed. Otherwise the story's mean is at most
        ``(sum of known scores + number unscored * 1.0) / size`` (a score is at most 1); when
        that bound is below ``threshold`` the story cannot be joined or merged whatever the
        unscored members score, so they are not fetched or scored. The decision is the same as
        scoring everyone: the computed mean (unscored as 0) is below threshold too.
        """
        thr = threshold - 1e-9  # margin: never skip a story on rounding
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

    def backfill(
        self,
        texts: Mapping[str | int, str],
        *,
        published: Mapping[str | int, object] | None = None,
        meta: Mapping[str | int, dict[str, Any] | None] | None = None,
        workers: int | None = None,
        chunk: int = 2_000,
    ) -> Backfill:
        """Fill an empty index with many articles at once: the batch job groups them and each of
        its clusters becomes one story, so an archive of 100,000s of articles is indexed in about
        the time :func:`dupdetect.cluster_texts` takes, not one ``add`` at a time.

        ``texts``: doc id -> text (a dict or a pandas Series); ``published`` and ``meta``: doc id ->
        value, as ``add`` takes them (an article without ``published`` gets the time ``add`` would
        give it after the dated ones: the newest of their times when they are older than the window,
        as in a replay, else the wall clock). The stories are the clusters
        :func:`dupdetect.cluster_texts` finds with this index's settings and window; story ids are
        numbered oldest story first. With a window, articles older than the window before the newest
        one are grouped but not kept (``add`` would evict them). An article that cannot be used (an
        id that is not a str or int, a text that is not a str, a date or meta ``add`` refuses) is
        listed in ``errors`` and the rest are indexed. Writes ``chunk`` articles per commit; each
        commit is atomic, and one that fails (a lost server) leaves those before it in place:
        ``clear()`` and backfill again.

        Raises ``ValueError`` when the index already holds articles: run it before the writers
        start (``add`` them to a filled index, or ``clear()`` it first).
        """
        from .grouping import group
        from .parallel import (
            CHUNK,
            auto_start_method,
            default_workers,
            featurize_parallel,
            fork_is_safe,
        )

        if not isinstance(texts, Mapping) and not hasattr(texts, "items"):
            raise TypeError(
                f"texts must be a mapping doc id -> text (a dict or a pandas Series), got "
                f"{type(texts).__name__}; e.g. dict(zip(ids, texts))"
            )
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk!r}")
        held = len(self)
        if held:
            raise ValueError(
                f"backfill() fills an empty index; this one holds {held} articles: add() them "
                "one at a time, or clear() it first"
            )
        ids: list[str | int] = []
        docs: list[str] = []
        times: list[float] = []
        metas: list[dict[str, Any] | None] = []
        errors: list[tuple[Any, str]] = []
        for doc_id, text in texts.items():
            try:
                _check_doc_id(doc_id)
                if not isinstance(text, str):
                    raise TypeError(
                        f"text must be a str (the article text), got {type(text).__name__}; "
                        "decode bytes first, e.g. data.decode('utf-8')"
                    )
                pub = None if published is None else published.get(doc_id)
                m = None if meta is None else meta.get(doc_id)
                _check_meta(m)
                t = math.nan if pub is None else _published_time(pub)
            except (TypeError, ValueError) as e:
                errors.append((doc_id, str(e)))
                continue
            ids.append(doc_id)
            docs.append(text)
            times.append(t)
            metas.append(m)
        if not ids:
            return Backfill({}, errors, [], [])
        at = np.array(times)
        undated = np.isnan(at)
        if undated.any():  # as add() would date them after the dated ones (a replay keeps them)
            at[undated] = self._default_time(
                float(at[~undated].max()) if (~undated).any() else None
            )
            times = at.tolist()
        if workers is None:  # as cluster_texts: every CPU for a large batch, when fork is safe
            workers = default_workers() if len(ids) >= 2 * CHUNK and fork_is_safe() else 1
        f = featurize_parallel(
            docs, self.settings, workers=workers, start_method=auto_start_method()
        )
        del docs
        clusters = group(f, self.settings, times=at, window=self.window, workers=workers).clusters
        first = np.arange(len(ids))  # row -> the first row of its cluster
        for c in clusters:
            first[c] = c[0]
        newest = float(at.max())
        cutoff = self._cutoff(newest)
        kept = np.flatnonzero(at >= cutoff) if cutoff is not None else np.arange(len(ids))
        # one story per cluster, numbered oldest first (its earliest kept member, then input order)
        st = self.storage
        earliest: dict[int, tuple[float, int]] = {}
        for r in kept.tolist():
            head = int(first[r])
            if head not in earliest or (times[r], r) < earliest[head]:
                earliest[head] = (times[r], r)
        heads = sorted(earliest, key=earliest.__getitem__)
        story_of = dict(zip(heads, st.new_story_ids(len(heads))))
        out: dict[str | int, str] = {}
        for at_row in range(0, len(kept), chunk):
            change = Change(watermark=newest)
            rows = kept[at_row : at_row + chunk].tolist()
            for r, num in zip(rows, st.next_numbers("doc", len(rows))):
                uni, bi = f.unigrams.row(r), f.bigrams.row(r)
                profile = Profile(
                    TermVector(uni.ids.copy(), uni.weights.copy()),
                    TermVector(bi.ids.copy(), bi.weights.copy()),
                    bool(f.latin[r]),
                )
                sig = f.signatures[r].copy()
                rec = Record(num, ids[r], times[r], bool(f.short[r]), sig, profile, metas[r])
                story = story_of[int(first[r])]
                change.insert.append(Insert(rec, story, self._keys_of(rec)))
                out[ids[r]] = story
            st.transact(partial(st.commit, change))
        too_old = [] if cutoff is None else np.flatnonzero(at < cutoff).tolist()
        short = [ids[r] for r in kept.tolist() if f.short[r]]
        return Backfill(out, errors, [ids[r] for r in too_old], short)

    def query(self, text: str) -> list[Match]:
        """The closest indexed documents to ``text`` (verified scores, best first); no insert."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        sig, profile, short, _ = self._featurize(text)
        if short:
            return []
        with self.storage.atomic():
            cands = self._candidates(sig, profile, self._cutoff(self.storage.watermark()))
        return list(self._matches(cands))

    def remove(self, doc_id: str | int) -> None:
        """Delete ``doc_id`` (``KeyError`` when absent). Its story shrinks; it is never split."""
        st = self.storage

        def section() -> None:
            num = st.number_of(doc_id)
            row = st.records([num])[0] if num is not None else None
            if row is None:
                raise KeyError(f"doc_id {doc_id!r} is not indexed")
            self._delete([row])

        st.transact(section)

    def _delete(self, rows: list[Stored]) -> None:
        change = Change(delete=[Delete(r.record, r.story, self._keys_of(r.record)) for r in rows])
        self.storage.commit(change)

    def _evict(self, cutoff: float, limit: int | None) -> list[str | int]:
        """Delete up to ``limit`` articles published before ``cutoff`` (all: None), in commits
        of at most ``storage.commit_batch``; their doc ids."""
        step = self.storage.commit_batch
        if limit is not None and (step is None or limit <= step):
            return self._evict_once(cutoff, limit)[0]
        gone: list[str | int] = []
        while limit is None or len(gone) < limit:
            want = step if limit is None else min(step or limit, limit - len(gone))
            ids, seen = self._evict_once(cutoff, want)
            gone += ids
            if want is None or seen < want or not ids:  # the backlog is done (or stuck)
                break
        return gone

    def _evict_once(self, cutoff: float, limit: int | None) -> tuple[list[str | int], int]:
        """One commit: the doc ids deleted, and how many expired numbers were read."""

        def section() -> tuple[list[str | int], int]:
            nums = self.storage.expired(cutoff, limit)
            rows = [r for r in self.storage.records(nums) if r is not None]
            if rows:
                self._delete(rows)
            return [r.record.doc_id for r in rows], len(nums)

        return self.storage.transact(section)

    def evict(self, now: datetime | float | str | None = None) -> list[str | int]:
        """Delete every article older than ``window`` before ``now`` and return their doc ids.

        ``now``: the newest published time seen by default (a replay of old articles keeps
        them), ``"wall"`` for the wall clock, or a time (``datetime``, epoch seconds, a date
        string).
        """
        if self.window is None:
            return []
        if now is None:
            t = self.storage.watermark()
            if t is None:
                return []
        elif isinstance(now, str) and now == "wall":
            t = time.time()
        else:
            t = _published_time(now, "now")
        return self._evict(t - self.window, None)

    def story_of(self, doc_id: str | int) -> str:
        """The story id of an indexed document (``KeyError`` when absent)."""
        num = self.storage.number_of(doc_id)
        row = self.storage.records([num])[0] if num is not None else None
        if row is None:
            raise KeyError(f"doc_id {doc_id!r} is not indexed")
        return row.story

    def resolve(self, story_id: str) -> str:
        """The live story ``story_id`` is now: itself, or the story that absorbed it by merges
        (following chains of merges). ``KeyError`` when there is none (never created, or every
        member removed or evicted)."""
        if self.storage.members([story_id])[story_id]:
            return story_id
        survivor = self.storage.survivor(story_id)
        if survivor is not None and self.storage.members([survivor])[survivor]:
            return survivor
        raise KeyError(
            f"no story {story_id!r} (never created, or all its members - or those of the story "
            "it was merged into - were removed or evicted)"
        )

    def story(self, story_id: str) -> list[StoryMember]:
        """Members of a story in insertion order. A retired id (merged into another story)
        gives the survivor's members; ``KeyError`` for an unknown id (see :meth:`resolve`)."""
        sid = self.resolve(story_id)
        nums = self.storage.members([sid])[sid]
        rows = [r.record for r in self.storage.records(nums) if r is not None]
        return [StoryMember(r.doc_id, r.published, r.meta) for r in rows]

    def stories(self) -> Iterator[str]:
        """Live story ids, oldest first."""
        return iter(self.storage.story_ids())

    def events(self) -> list[MergeEvent]:
        """The merge-event log (all processes sharing the storage), oldest first."""
        return [MergeEvent.from_dict(d) for d in self.storage.events()]

    def clear(self) -> None:
        """Delete every article, story and event of this index (its whole Redis namespace).
        Story ids handed out before are never handed out again."""
        self.storage.clear()

    def __len__(self) -> int:
        return self.storage.count()

    def __contains__(self, doc_id: object) -> bool:
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            return False
        return self.storage.number_of(doc_id) is not None

    def close(self) -> None:
        self.storage.close()

    # -- save / load (the file format lives in dupdetect.persist) ------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` atomically (temp file, fsync, rename): a versioned binary
        file with a checksum and the settings fingerprint, no pickle (:mod:`dupdetect.persist`).
        """
        persist.save(self, path)

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
        return persist.load(path, cls, settings, on_merge=on_merge)
