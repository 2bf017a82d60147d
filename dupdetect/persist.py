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
import os
import struct
import tempfile
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .settings import Settings
from .storage import Snapshot, Stored, pack_record, unpack_record

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
    :meth:`dupdetect.StoryIndex.load`)."""
    header, blobs = decode(Path(path).read_bytes(), str(path))
    try:
        return _restore(path, header, blobs, cls, settings, on_merge)
    except (KeyError, TypeError, AttributeError) as e:  # a field missing or of the wrong type
        raise ValueError(f"{path}: malformed StoryIndex file ({type(e).__name__}: {e})") from None


def _restore(
    path: str | os.PathLike[str],
    header: dict[str, Any],
    blobs: list[bytes],
    cls: type[StoryIndex],
    settings: Settings | None,
    on_merge: Callable[[MergeEvent], None] | None,
) -> StoryIndex:
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
    window = header["window"]
    idx = cls(
        stored_settings,
        window=None if window is None else timedelta(seconds=window),
        namespace=header["namespace"],
        on_merge=on_merge,
        max_matches=header["max_matches"],
        evict_batch=header["evict_batch"],
    )
    story_of = header["story_of"]
    stored = []
    for blob in blobs:
        rec = unpack_record(blob)
        stored.append(Stored(rec, story_of[str(rec.num)]))
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
