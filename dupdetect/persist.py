"""StoryIndex files: a versioned binary format with a checksum, written atomically; no pickle.

    StoryIndex --Storage.snapshot()--> Snapshot --encode--> bytes --atomic write--> file
    file --read, verify checksum, decode (every length checked)--> Snapshot
         --Storage.restore()--> a new in-memory StoryIndex

Format (little-endian): magic ``DDSTORY\0``, u32 version, u64 header length, header JSON
(settings, fingerprint, window, counters, events, retired ids, epoch, the record count and the
name and byte length of each block), then the blocks, one array of every record each, in the
order of :data:`BLOCKS` (numbers, times, flags, signatures, term ids and counts, term weights
kept apart, and one JSON block of doc ids, story ids and meta: see
:class:`dupdetect.storage.arrays.Columns`), then a 32-byte blake2b of everything before it. A
file is read as whole arrays, never record by record. A file that is not one, is of another
version (version 1 wrote one blob per record), is truncated or corrupted, or declares lengths it
does not hold is refused with a ``ValueError`` that says so; nothing is allocated beyond the
file's own size.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import re
import struct
import tempfile
import threading
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .settings import Settings
from .storage import MemoryStorage, Snapshot, story_number
from .storage.arrays import Columns

if TYPE_CHECKING:
    from collections.abc import Callable

    from .story import MergeEvent, StoryIndex

__all__ = ["FILE_VERSION", "BLOCKS", "save", "load", "encode", "decode", "write_atomic"]

#: Version of the file written by :func:`save` (2: arrays in blocks; 1: one blob per record).
FILE_VERSION = 2
#: The blocks of a file, in order: name and numpy dtype ("json": UTF-8 JSON).
BLOCKS = (
    ("num", "<i8"),
    ("published", "<f8"),
    ("flags", "u1"),
    ("sig_len", "<u4"),
    ("sig", "<u4"),
    ("uni_len", "<u4"),
    ("uni_ids", "<u4"),
    ("uni_counts", "u1"),
    ("bi_len", "<u4"),
    ("bi_ids", "<u4"),
    ("bi_counts", "u1"),
    ("raw", "<i8"),
    ("raw_w", "<f4"),
    ("text", "json"),
)
_MAGIC = b"DDSTORY\x00"
#: What a file's bytes are held in: bytes, or a read-only memory map of a large file.
Buffer = bytes | mmap.mmap
_DIGEST = 32


def save(index: StoryIndex, path: str | os.PathLike[str]) -> None:
    """Write ``index`` to ``path`` atomically (temp file, fsync, rename, fsync of the folder)."""
    st = index.storage
    if isinstance(st, MemoryStorage):
        with st.atomic():
            cols = st.columns()
            snap = Snapshot([], st.counters(), st.watermark(), st.events(), st.retired_map())
            snap.epoch = st.identity.epoch if st.identity is not None else None
            derived = {"doc": int(cols.num.max(initial=0))}
            derived["story"] = max((story_number(x) for x in set(cols.story)), default=0)
            snap.counters = {
                **derived,
                **{k: max(v, derived.get(k, 0)) for k, v in snap.counters.items()},
            }
    else:  # another backend: its own consistent snapshot (Redis: read until no commit came in
        # between, not one atomic section watching every story), through an in-memory copy
        snap = st.snapshot()
        mem = MemoryStorage()
        mem.restore(snap, index.band_keys)
        cols = mem.columns()
    header = {
        "fingerprint": index.settings.fingerprint,
        "settings": asdict(index.settings),
        "window": index.window,
        "namespace": index.namespace,
        "max_matches": index.max_matches,
        "evict_batch": index.evict_batch,
        "counters": snap.counters,
        "watermark": snap.watermark,
        "events": snap.events,
        "retired": snap.retired,
        "epoch": snap.epoch,
    }
    write_atomic(Path(path), encode(header, cols))


def _blocks_of(cols: Columns) -> list[bytes]:
    text = {"doc": cols.doc, "story": cols.story, "meta": cols.meta}
    arrays = [
        cols.num,
        cols.published,
        cols.flags,
        cols.sig_len,
        cols.sig,
        cols.lens[0],
        cols.ids[0],
        cols.counts[0],
        cols.lens[1],
        cols.ids[1],
        cols.counts[1],
        cols.raw.ravel(),
        cols.raw_w,
    ]
    out = [np.ascontiguousarray(a, dtype=dt).tobytes() for a, (_, dt) in zip(arrays, BLOCKS)]
    return out + [json.dumps(text, ensure_ascii=False, separators=(",", ":")).encode("utf-8")]


def encode(header: dict[str, Any], cols: Columns) -> bytes:
    """The file's bytes: framing, header JSON (with the block lengths), blocks, checksum."""
    blocks = _blocks_of(cols)
    header = {**header, "count": len(cols)}
    header["blocks"] = [[name, len(b)] for (name, _), b in zip(BLOCKS, blocks)]
    hj = json.dumps(header, ensure_ascii=False).encode("utf-8")
    h = hashlib.blake2b(digest_size=_DIGEST)
    parts = [_MAGIC, struct.pack("<IQ", FILE_VERSION, len(hj)), hj, *blocks]
    for part in parts:
        h.update(part)
    return b"".join([*parts, h.digest()])


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


class _Digest:
    """The checksum of a file's bytes, computed in a thread while the caller decodes them
    (hashlib releases the GIL on large buffers: at a million articles the 2.3 GB digest then
    costs no wall time). :meth:`check` waits for it and raises if it does not match."""

    def __init__(self, data: Buffer) -> None:
        self._data = data
        self._ok: bool | None = None
        self._thread = threading.Thread(target=self._run, name="dupdetect-checksum", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._ok = _digest_ok(self._data)

    def check(self, name: str) -> None:
        self._thread.join()
        if not self._ok:
            raise _checksum_error(name)


def _digest_ok(data: Buffer) -> bool:
    view = memoryview(data)
    return hashlib.blake2b(view[:-_DIGEST], digest_size=_DIGEST).digest() == data[-_DIGEST:]


def _checksum_error(name: str) -> ValueError:
    return ValueError(
        f"{name}: checksum mismatch - the file is corrupted or truncated; "
        "restore it from a backup or rebuild the index"
    )


def _check_frame(data: Buffer, name: str) -> None:
    """Not a StoryIndex file at all, or too short to hold its framing: said before anything else
    (a checksum mismatch would say less)."""
    if bytes(data[: len(_MAGIC)]) != _MAGIC:
        raise ValueError(f"{name}: not a dupdetect StoryIndex file (bad magic bytes)")
    if len(data) < len(_MAGIC) + 12 + _DIGEST:
        raise ValueError(f"{name}: truncated StoryIndex file ({len(data)} bytes)")


def decode(
    data: Buffer, name: str = "StoryIndex file", *, check_digest: bool = True
) -> tuple[dict[str, Any], Columns]:
    """Header and columns of a file's bytes (``ValueError`` naming ``name`` if bad). The
    arrays are read-only views of ``data``. ``check_digest=False``: the caller checks the
    checksum itself (:func:`load` does, in a thread); every other check is made."""
    _check_frame(data, name)
    body = memoryview(data)[:-_DIGEST]
    if check_digest and not _digest_ok(data):
        raise _checksum_error(name)
    version, hl = struct.unpack_from("<IQ", body, len(_MAGIC))
    if version != FILE_VERSION:
        raise ValueError(
            f"{name}: StoryIndex file version {version}, this dupdetect reads "
            f"version {FILE_VERSION}; rebuild the index (add the articles again and save)"
        )
    pos = len(_MAGIC) + 12
    if hl > len(body) - pos:
        raise ValueError(
            f"{name}: malformed StoryIndex file: the header declares {hl} bytes, "
            f"{len(body) - pos} remain"
        )
    try:
        header = json.loads(bytes(body[pos : pos + hl]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{name}: malformed StoryIndex header: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{name}: malformed StoryIndex header (not a JSON object)")
    pos += hl
    declared = header.get("blocks")
    names = [n for n, _ in BLOCKS]
    if (
        not isinstance(declared, list)
        or not all(isinstance(b, list) and len(b) == 2 for b in declared)
        or [b[0] for b in declared] != names
    ):
        raise ValueError(f"{name}: malformed StoryIndex file: the blocks are not {names}")
    parts: list[Any] = []
    for (bname, dtype), entry in zip(BLOCKS, declared):
        ln = entry[1]
        size = 1 if dtype == "json" else np.dtype(dtype).itemsize
        if not isinstance(ln, int) or isinstance(ln, bool) or ln < 0 or ln % size:
            raise ValueError(f"{name}: malformed StoryIndex file: block {bname} length {ln!r}")
        if ln > len(body) - pos:
            raise ValueError(
                f"{name}: malformed StoryIndex file: block {bname} declares {ln} bytes, "
                f"{len(body) - pos} remain"
            )
        chunk = body[pos : pos + ln]
        pos += ln
        if dtype == "json":
            try:
                parts.append(json.loads(bytes(chunk).decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise ValueError(f"{name}: malformed StoryIndex block {bname}: {e}") from None
        else:
            parts.append(np.frombuffer(chunk, dtype=dtype))
    if pos != len(body):
        raise ValueError(
            f"{name}: malformed StoryIndex file: {len(body) - pos} bytes after the end"
        )
    text = parts[13]
    if not isinstance(text, dict) or not all(
        isinstance(text.get(k), list) for k in ("doc", "story", "meta")
    ):
        raise ValueError(f"{name}: malformed StoryIndex block text")
    if parts[11].size % 3:
        raise ValueError(f"{name}: malformed StoryIndex block raw")
    cols = Columns(
        num=parts[0],
        published=parts[1],
        flags=parts[2],
        sig_len=parts[3],
        sig=parts[4],
        lens=[parts[5], parts[8]],
        ids=[parts[6], parts[9]],
        counts=[parts[7], parts[10]],
        raw=parts[11].reshape(-1, 3),
        raw_w=parts[12],
        doc=text["doc"],
        story=text["story"],
        meta=text["meta"],
    )
    return header, cols


def load(
    path: str | os.PathLike[str],
    cls: type[StoryIndex],
    settings: Settings | None = None,
    *,
    on_merge: Callable[[MergeEvent], None] | None = None,
) -> StoryIndex:
    """Read a file written by :func:`save` into a new in-memory ``cls`` (see
    :meth:`dupdetect.StoryIndex.load`). Every field is checked before anything is built, so a
    file that passes its checksum but says something impossible is refused too.

    The checksum is computed in a thread while the file is decoded and the index built; the
    index is returned only once it matches, and a file that fails any check while its checksum
    does not match is refused for the checksum (what is wrong with it, not what it looked like).
    """
    data = _read(Path(path))
    _check_frame(data, str(path))
    digest = _Digest(data)
    try:
        header, cols = decode(data, str(path), check_digest=False)
        idx = _restore(path, header, cols, cls, settings, on_merge)
    except ValueError:
        digest.check(str(path))
        raise
    except (KeyError, TypeError, AttributeError, OverflowError, RecursionError, IndexError) as e:
        digest.check(str(path))
        raise ValueError(f"{path}: malformed StoryIndex file ({type(e).__name__}: {e})") from None
    digest.check(str(path))
    return idx


#: Files at least this large are mapped, not read: the load copies each array once, from the
#: page cache into the index, instead of twice (2.4 GB at a million articles).
MAP_BYTES = 1 << 24


def _read(path: Path) -> Buffer:
    """The file's bytes: a read-only memory map of a large file (bytes-like; it closes when the
    last view of it is dropped), the bytes themselves of a small one."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size < MAP_BYTES:
            return f.read()
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


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
    retired = h.get("retired", {})
    if not isinstance(retired, dict) or not all(
        isinstance(v, str) and _STORY_ID.fullmatch(v) for v in retired.values()
    ):
        raise _bad(path, "retired holds something that is not a story id")
    if not isinstance(h.get("count"), int) or isinstance(h["count"], bool) or h["count"] < 0:
        raise _bad(path, f"count {h.get('count')!r}")
    events = h.get("events")
    if not isinstance(events, list) or not all(
        isinstance(e, dict) and _EVENT_KEYS <= set(e) and isinstance(e["doc_ids_moved"], list)
        for e in events
    ):
        raise _bad(path, "events")
    epoch = h.get("epoch")
    if epoch is not None and not (isinstance(epoch, str) and re.fullmatch("[0-9a-f]{8}", epoch)):
        raise _bad(path, f"epoch {epoch!r}")


def _sums(path: object, what: str, lens: np.ndarray, total: int) -> None:
    if int(lens.astype(np.int64).sum()) != total:
        raise _bad(path, f"{what}: lengths add up to {int(lens.sum())}, the block holds {total}")


# One check per property over whole arrays, in the order the fields appear in Columns.
def _check_columns(path: object, cols: Columns, n: int, num_perm: int) -> None:
    """Records the index can use: ``n`` of everything, numbers increasing, unique doc ids,
    finite times, a signature of the index's length (unless short), sorted unique term ids,
    counts >= 1 (or finite weights kept apart), story ids, dict or null meta."""
    for name, a in (
        ("num", cols.num),
        ("published", cols.published),
        ("flags", cols.flags),
        ("sig_len", cols.sig_len),
        ("uni_len", cols.lens[0]),
        ("bi_len", cols.lens[1]),
        ("doc", cols.doc),
        ("story", cols.story),
        ("meta", cols.meta),
    ):
        if len(a) != n:
            raise _bad(path, f"block {name} holds {len(a)} entries for {n} records")
    if n and (cols.num[0] < 1 or (np.diff(cols.num) <= 0).any()):
        raise _bad(path, "document numbers not increasing from 1 or more")
    if not np.isfinite(cols.published).all() or (cols.flags & ~np.uint8(5)).any():
        raise _bad(path, "a time is not finite, or unknown flags")
    short = (cols.flags & 1).astype(bool)
    _sums(path, "signatures", cols.sig_len, cols.sig.size)
    if (cols.sig_len[~short] != num_perm).any():
        raise _bad(path, f"a signature of other than {num_perm} values")
    raw = cols.raw
    for v, what in enumerate(("unigrams", "bigrams")):
        lens, ids, counts = cols.lens[v], cols.ids[v], cols.counts[v]
        _sums(path, what, lens, ids.size)
        if counts.size != ids.size:
            raise _bad(path, f"{what}: {counts.size} counts for {ids.size} term ids")
        first = np.zeros(ids.size, bool)
        starts = (np.cumsum(lens.astype(np.int64)) - lens)[lens > 0]
        first[starts] = True
        if (~first[1:] & (ids[1:] <= ids[:-1])).any():
            raise _bad(path, f"{what}: term ids not sorted and unique")
        mine = raw[raw[:, 0] == v] if raw.size else raw
        if mine.size and (
            (mine[:, 1] < 0).any()
            or (mine[:, 1] >= n).any()
            or np.unique(mine[:, 1]).size < len(mine)
        ):
            raise _bad(path, f"{what}: kept-apart weights of an unknown record")
        zero = counts == 0
        if mine.size:
            if (lens[mine[:, 1]].astype(np.int64) != mine[:, 2]).any():
                raise _bad(path, f"{what}: kept-apart weights of the wrong length")
            apart = np.zeros(n, bool)
            apart[mine[:, 1]] = True
            zero &= ~np.repeat(apart, lens.astype(np.int64))
        if zero.any():
            raise _bad(path, f"{what}: a term count of 0")
    if raw.size and (((raw[:, 0] != 0) & (raw[:, 0] != 1)).any() or (raw[:, 2] < 0).any()):
        raise _bad(path, "kept-apart weights: bad entry")
    _sums(path, "kept-apart weights", raw[:, 2] if raw.size else np.zeros(0), cols.raw_w.size)
    if not np.isfinite(cols.raw_w).all():
        raise _bad(path, "kept-apart weights not finite")
    # per-record checks over a million records: map(type, ...) and one regex over the joined
    # story ids run in C, where a generator with a test per record costs seconds
    docs = cols.doc
    if not set(map(type, docs)) <= {str, int} or len(set(docs)) != n:
        raise _bad(path, "doc ids are not unique strs / ints")
    if _top_story(cols.story) is None:
        raise _bad(path, "story holds something that is not a story id")
    if not set(map(type, cols.meta)) <= {type(None), dict}:
        raise _bad(path, "meta that is not a dict or null")


_STORY_LINES = re.compile(r"(?:s-(?:[0-9a-f]{8}-)?[0-9]{1,18}\n)*")
_STORY_NUMBER = re.compile(r"([0-9]+)\n")


def _top_story(stories: list[Any]) -> int | None:
    """The largest story number among ``stories`` (0 for none), or None when one of them is
    not a story id."""
    distinct = set(stories)
    if not set(map(type, distinct)) <= {str}:
        return None
    lines = "".join(s + "\n" for s in distinct)
    if lines.count("\n") != len(distinct) or not _STORY_LINES.fullmatch(lines):
        return None
    return max(map(int, _STORY_NUMBER.findall(lines)), default=0)


def _restore(
    path: str | os.PathLike[str],
    header: dict[str, Any],
    cols: Columns,
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
    _check_columns(path, cols, header["count"], stored_settings.num_perm)
    counters = header["counters"]
    top_doc = int(cols.num.max(initial=0))
    top_story = _top_story(cols.story) or 0  # (checked above: story ids only)
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
    if not isinstance(idx.storage, MemoryStorage):  # pragma: no cover - cls made it so
        raise TypeError("StoryIndex.load builds an in-memory index")
    bands, rows = stored_settings.lsh_params
    idx.storage.restore_columns(cols, bands, rows)
    snap = Snapshot(
        [],
        dict(header["counters"]),
        header["watermark"],
        list(header["events"]),
        dict(header.get("retired", {})),
        header.get("epoch"),
    )
    idx.storage.restore_state(snap)
    return idx
