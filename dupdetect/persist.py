"""StoryIndex files: a versioned binary format with a checksum, written atomically; no pickle.

    StoryIndex --Storage.snapshot()--> Snapshot --encode--> bytes --atomic write--> file
    file --read, verify checksum, decode (every length checked)--> Snapshot
         --Storage.restore()--> a new in-memory StoryIndex

Format (little-endian): magic ``DDSTORY\\0``, u32 version, u64 header length, header JSON
(settings, fingerprint, window, counters, stories, events, retired ids, epoch), u64 record
count, then per record u32 length + packed record (:func:`dupdetect.storage.pack_record`), then
a 32-byte blake2b of everything before it. A file that is not one, is truncated or corrupted,
or declares lengths it does not hold is refused with a ``ValueError`` that says so; nothing is
allocated beyond the file's own size.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import tempfile
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .settings import Settings
from .storage import Record, Snapshot, Stored, pack_record, story_number, unpack_record

if TYPE_CHECKING:
    from collections.abc import Callable

    from .story import MergeEvent, StoryIndex

__all__ = ["FILE_VERSION", "save", "load", "encode", "decode", "write_atomic"]

#: Version of the file written by :func:`save`.
FILE_VERSION = 1
_MAGIC = b"DDSTORY\x00"
_DIGEST = 32


def save(index: StoryIndex, path: str | os.PathLike[str]) -> None:
    """Write ``index`` to ``path`` atomically (temp file, fsync, rename, fsync of the folder)."""
    snap = index.storage.snapshot()
    header = {
        "fingerprint": index.settings.fingerprint,
        "settings": asdict(index.settings),
        "window": index.window,
        "namespace": index.namespace,
        "max_matches": index.max_matches,
        "evict_batch": index.evict_batch,
        "counters": snap.counters,
        "watermark": snap.watermark,
        "story_of": {str(r.record.num): r.story for r in snap.stored},
        "events": snap.events,
        "retired": snap.retired,
        "epoch": snap.epoch,
    }
    write_atomic(Path(path), encode(header, [pack_record(r.record) for r in snap.stored]))


def encode(header: dict[str, Any], records: list[bytes]) -> bytes:
    """The file's bytes: framing, header JSON, length-prefixed records, checksum."""
    hj = json.dumps(header, ensure_ascii=False).encode("utf-8")
    parts = [_MAGIC, struct.pack("<IQ", FILE_VERSION, len(hj)), hj, struct.pack("<Q", len(records))]
    for blob in records:
        parts += [struct.pack("<I", len(blob)), blob]
    body = b"".join(parts)
    return body + hashlib.blake2b(body, digest_size=_DIGEST).digest()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` so that a crash at any point leaves the old file or the new."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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


def decode(data: bytes, name: str = "StoryIndex file") -> tuple[dict[str, Any], list[bytes]]:
    """Header and packed records of a file's bytes (``ValueError`` naming ``name`` if bad)."""
    if not data.startswith(_MAGIC):
        raise ValueError(f"{name}: not a dupdetect StoryIndex file (bad magic bytes)")
    if len(data) < len(_MAGIC) + 12 + 8 + _DIGEST:
        raise ValueError(f"{name}: truncated StoryIndex file ({len(data)} bytes)")
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.blake2b(body, digest_size=_DIGEST).digest() != digest:
        raise ValueError(
            f"{name}: checksum mismatch - the file is corrupted or truncated; "
            "restore it from a backup or rebuild the index"
        )
    version, hl = struct.unpack_from("<IQ", body, len(_MAGIC))
    if version != FILE_VERSION:
        raise ValueError(
            f"{name}: StoryIndex file version {version}, this dupdetect reads "
            f"version {FILE_VERSION}; rebuild the index"
        )
    pos = len(_MAGIC) + 12

    def need(n: int, what: str) -> None:
        if n > len(body) - pos:
            raise ValueError(
                f"{name}: malformed StoryIndex file: {what} declares {n} bytes, "
                f"{len(body) - pos} remain"
            )

    need(hl + 8, "the header")
    try:
        header = json.loads(body[pos : pos + hl].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{name}: malformed StoryIndex header: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{name}: malformed StoryIndex header (not a JSON object)")
    pos += hl
    (n,) = struct.unpack_from("<Q", body, pos)
    pos += 8
    need(4 * n, f"the record count {n}")
    records: list[bytes] = []
    for _ in range(n):
        need(4, "a record length")
        (ln,) = struct.unpack_from("<I", body, pos)
        pos += 4
        need(ln, "a record")
        records.append(body[pos : pos + ln])
        pos += ln
    if pos != len(body):
        raise ValueError(
            f"{name}: malformed StoryIndex file: {len(body) - pos} bytes after the end"
        )
    return header, records


def load(
    path: str | os.PathLike[str],
    cls: type[StoryIndex],
    settings: Settings | None = None,
    *,
    on_merge: Callable[[MergeEvent], None] | None = None,
) -> StoryIndex:
    """Read a file written by :func:`save` into a new in-memory ``cls`` (see
    :meth:`dupdetect.StoryIndex.load`). Every field is checked before anything is built, so a
    file that passes its checksum but says something impossible is refused too."""
    header, blobs = decode(Path(path).read_bytes(), str(path))
    try:
        return _restore(path, header, blobs, cls, settings, on_merge)
    except (KeyError, TypeError, AttributeError, OverflowError, RecursionError, IndexError) as e:
        raise ValueError(f"{path}: malformed StoryIndex file ({type(e).__name__}: {e})") from None


_STORY_ID = re.compile(r"s-(?:[0-9a-f]{8}-)?[0-9]{1,18}")
_EVENT_KEYS = {"survivor", "retired", "doc_ids_moved", "trigger", "at"}


def _bad(path: object, what: str) -> ValueError:
    return ValueError(f"{path}: malformed StoryIndex file: {what}")


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_header(path: object, h: dict[str, Any]) -> None:
    """Types and ranges of every header field (``ValueError`` naming the first wrong one)."""
    if not isinstance(h.get("settings"), dict) or not isinstance(h.get("fingerprint"), str):
        raise _bad(path, "settings or fingerprint missing")
    if h.get("window") is not None and not (_number(h["window"]) and h["window"] > 0):
        raise _bad(path, f"window {h.get('window')!r}")
    for key, low in (("max_matches", 0), ("evict_batch", 1)):
        if not isinstance(h.get(key), int) or isinstance(h[key], bool) or h[key] < low:
            raise _bad(path, f"{key} {h.get(key)!r}")
    if not isinstance(h.get("namespace"), str):
        raise _bad(path, "namespace")
    counters = h.get("counters")
    if not isinstance(counters, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counters.values()
    ):
        raise _bad(path, f"counters {counters!r}")
    if h.get("watermark") is not None and not _number(h["watermark"]):
        raise _bad(path, f"watermark {h.get('watermark')!r}")
    story_of, retired = h.get("story_of"), h.get("retired", {})
    for name, m in (("story_of", story_of), ("retired", retired)):
        if not isinstance(m, dict) or not all(
            isinstance(v, str) and _STORY_ID.fullmatch(v) for v in m.values()
        ):
            raise _bad(path, f"{name} holds something that is not a story id")
    events = h.get("events")
    if not isinstance(events, list) or not all(
        isinstance(e, dict) and _EVENT_KEYS <= set(e) and isinstance(e["doc_ids_moved"], list)
        for e in events
    ):
        raise _bad(path, "events")
    epoch = h.get("epoch")
    if epoch is not None and not (isinstance(epoch, str) and re.fullmatch("[0-9a-f]{8}", epoch)):
        raise _bad(path, f"epoch {epoch!r}")


def _check_record(path: object, rec: Record, num_perm: int, seen: set[object]) -> None:
    """A record that the index can use: unique id and number, finite time, a signature of the
    index's length, sorted unique term ids with finite weights."""
    if isinstance(rec.doc_id, bool) or not isinstance(rec.doc_id, (str, int)):
        raise _bad(path, f"doc id {rec.doc_id!r}")
    if ("doc", rec.doc_id) in seen or ("num", rec.num) in seen:
        raise _bad(path, f"doc {rec.doc_id!r} (#{rec.num}) appears twice")
    seen.update({("doc", rec.doc_id), ("num", rec.num)})
    if not math.isfinite(rec.published) or (
        rec.meta is not None and not isinstance(rec.meta, dict)
    ):
        raise _bad(path, f"doc {rec.doc_id!r}: time or meta")
    if not rec.short and rec.signature.size != num_perm:
        raise _bad(path, f"doc {rec.doc_id!r}: {rec.signature.size} signature values")
    for v in (rec.profile.unigrams, rec.profile.bigrams):
        if v.ids.size and (
            np.any(np.diff(v.ids.astype(np.int64)) <= 0) or not np.isfinite(v.weights).all()
        ):
            raise _bad(path, f"doc {rec.doc_id!r}: term vector")


def _restore(
    path: str | os.PathLike[str],
    header: dict[str, Any],
    blobs: list[bytes],
    cls: type[StoryIndex],
    settings: Settings | None,
    on_merge: Callable[[MergeEvent], None] | None,
) -> StoryIndex:
    _check_header(path, header)
    stored_settings = Settings(**header["settings"])
    if stored_settings.fingerprint != header["fingerprint"]:
        raise ValueError(
            f"{path}: built by a dupdetect whose scoring differs (fingerprint "
            f"{header['fingerprint']} != {stored_settings.fingerprint}); rebuild the index"
        )
    if settings is not None and settings.fingerprint != stored_settings.fingerprint:
        raise ValueError(
            f"{path}: index was built with other settings ({stored_settings}) than the ones "
            f"given ({settings}); load it without settings= or rebuild it with yours"
        )
    story_of = header["story_of"]
    seen: set[object] = set()
    stored = []
    for blob in blobs:
        rec = unpack_record(blob)
        _check_record(path, rec, stored_settings.num_perm, seen)
        if str(rec.num) not in story_of:
            raise _bad(path, f"doc {rec.doc_id!r} has no story")
        stored.append(Stored(rec, story_of[str(rec.num)]))
    counters = header["counters"]
    top_doc = max((r.record.num for r in stored), default=0)
    top_story = max((story_number(s) for s in story_of.values()), default=0)
    if counters.get("doc", 0) < top_doc or counters.get("story", 0) < top_story:
        raise _bad(path, f"counters {counters} below the numbers in use ({top_doc}, {top_story})")
    window = header["window"]
    idx = cls(
        stored_settings,
        window=None if window is None else timedelta(seconds=window),
        namespace=header["namespace"],
        on_merge=on_merge,
        max_matches=header["max_matches"],
        evict_batch=header["evict_batch"],
    )
    snap = Snapshot(
        stored,
        dict(header["counters"]),
        header["watermark"],
        list(header["events"]),
        dict(header.get("retired", {})),
        header.get("epoch"),
    )
    idx.storage.restore(snap, idx.band_keys)
    return idx
