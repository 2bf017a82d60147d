"""StoryIndex files under faults: a writer SIGKILLed while saving, and damaged files (fuzzed).

A damaged file must always raise a ``ValueError`` that says what is wrong: never another
exception, never an index built from wrong data, never memory beyond a small multiple of the
file's size. Truncations and bit flips are caught by the checksum; the re-signed cases (lengths,
header fields rewritten and the checksum recomputed, as a buggy or hostile writer could do) test
the parser and the field checks behind it.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import signal
import struct
import sys
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupdetect.story import FILE_VERSION, StoryIndex

sys.path.insert(0, os.path.dirname(__file__))
from story_texts import T0, group_text  # noqa: E402

_MAGIC = 8  # len(b"DDSTORY\0")


def _filled(n_groups: int = 4) -> StoryIndex:
    idx = StoryIndex(window="72h")
    for g in range(n_groups):
        for k in range(2):
            idx.add(f"{g}/{k}", group_text(g, k), published=T0, meta={"g": g})
    idx.add("short", "", published=T0)
    idx.add("bridge", group_text(0, 0) + " " + group_text(1, 0), published=T0)  # a merge
    return idx


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    idx = _filled()
    path = tmp_path_factory.mktemp("persist") / "good.ddx"
    idx.save(path)
    return path.read_bytes(), len(idx)


def _resign(body: bytes) -> bytes:
    return body + hashlib.blake2b(body, digest_size=32).digest()


def _header(data: bytes) -> tuple[int, dict]:
    """(header length, header) of a file."""
    (hl,) = struct.unpack_from("<Q", data, _MAGIC + 4)
    return hl, json.loads(data[_MAGIC + 12 : _MAGIC + 12 + hl])


def _with_header(data: bytes, header: dict, hl: int) -> bytes:
    """``data`` with another header (length field rewritten), re-signed."""
    hj = json.dumps(header).encode()
    return _resign(
        data[:_MAGIC]
        + struct.pack("<IQ", FILE_VERSION, len(hj))
        + hj
        + data[_MAGIC + 12 + hl : -32]
    )


def _refused(data: bytes, tmp_path) -> str:
    """Load ``data``; it must raise ValueError within bounded memory. Returns the message."""
    path = tmp_path / f"bad{random.getrandbits(32)}.ddx"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            StoryIndex.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        path.unlink()
    assert peak < 20 * len(data) + (8 << 20), f"{peak} bytes to refuse a {len(data)}-byte file"
    assert str(path) in str(err.value)
    return str(err.value)


_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(cut=st.integers(min_value=0, max_value=10**9))
def test_truncated_files_are_refused(saved, tmp_path_factory, cut):
    data, _ = saved
    msg = _refused(data[: cut % len(data)], tmp_path_factory.mktemp("t"))
    assert "truncated" in msg or "checksum" in msg or "magic" in msg


@_FUZZ
@given(flips=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8))
def test_bit_flips_are_refused(saved, tmp_path_factory, flips):
    data, _ = saved
    bad = bytearray(data)
    for f in flips:
        bad[(f // 8) % len(bad)] ^= 1 << (f % 8)
    if bytes(bad) == data:  # flips that cancel out
        return
    msg = _refused(bytes(bad), tmp_path_factory.mktemp("f"))
    assert "checksum" in msg or "magic" in msg


@_FUZZ
@given(
    which=st.sampled_from(["header", "count", "block"]),
    value=st.one_of(st.integers(0, 2**16), st.integers(2**31, 2**64 - 1)),
    k=st.integers(0, 100),
)
def test_re_signed_files_with_wrong_lengths_are_refused(saved, tmp_path_factory, which, value, k):
    data, _ = saved
    hl, header = _header(data)
    if which == "header":
        if value == hl:
            return
        body = bytearray(data[:-32])
        struct.pack_into("<Q", body, _MAGIC + 4, value)
        bad = _resign(bytes(body))
    elif which == "count":
        if value == header["count"]:
            return
        bad = _with_header(data, {**header, "count": value}, hl)
    else:
        blocks = [list(b) for b in header["blocks"]]
        if value == blocks[k % len(blocks)][1]:
            return
        blocks[k % len(blocks)][1] = value
        bad = _with_header(data, {**header, "blocks": blocks}, hl)
    _refused(bad, tmp_path_factory.mktemp("l"))


def test_a_version_1_file_is_refused_with_a_message_to_rebuild(saved, tmp_path):
    data, _ = saved
    body = bytearray(data[:-32])
    struct.pack_into("<I", body, _MAGIC, 1)
    msg = _refused(_resign(bytes(body)), tmp_path)
    assert "version 1" in msg and "rebuild the index" in msg


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = [
    "settings",
    "fingerprint",
    "window",
    "namespace",
    "max_matches",
    "evict_batch",
    "counters",
    "watermark",
    "count",
    "blocks",
    "events",
    "retired",
    "epoch",
]


@_FUZZ
@given(field=st.sampled_from(_FIELDS), value=_JSON, drop=st.booleans())
def test_re_signed_files_with_wrong_header_fields_are_refused(
    saved, tmp_path_factory, field, value, drop
):
    data, n = saved
    hl, header = _header(data)
    if drop and field not in ("retired", "epoch"):  # optional fields: absent is valid
        del header[field]
    elif header.get(field) == value:
        return
    else:
        header[field] = value
    path = tmp_path_factory.mktemp("h") / "h.ddx"
    path.write_bytes(_with_header(data, header, hl))
    try:
        idx = StoryIndex.load(path)
    except ValueError as e:
        assert str(path) in str(e)
        return
    # accepted: then it must be a whole, usable index (a harmless rewrite, e.g. another
    # namespace name or max_matches), never one that breaks later
    assert len(idx) == n and len(list(idx.stories())) >= 1
    for s in idx.stories():
        idx.story(s)
    idx.events()
    idx.add("after-load", group_text(30, 0), published=T0)


# --- SIGKILL while saving ---------------------------------------------------------------------
def _save_forever(path: str, fd: int) -> None:
    idx = StoryIndex.load(path)
    with os.fdopen(fd, "w") as out:
        for k in range(10_000):
            idx.add(f"more{k}-{os.getpid()}", group_text(1000 + k, 0), published=T0)
            for _ in range(3):  # mostly saving, so that most kills land inside a save
                idx.save(path)
                out.write(f"SAVED {len(idx)}\n")
                out.flush()


def test_kill_during_save_always_leaves_a_loadable_file_with_the_right_count(tmp_path):
    path = tmp_path / "live.ddx"
    big = StoryIndex(window=None)
    for g in range(150):  # a few MB: each save takes long enough to be hit mid-write
        big.add(f"g{g}", group_text(g, 0))
    big.save(path)
    count, rng = len(big), random.Random(5)
    ctx = multiprocessing.get_context("fork")
    for _ in range(8):
        rd, wr = os.pipe()
        proc = ctx.Process(target=_save_forever, args=(str(path), wr), daemon=True)
        proc.start()
        os.close(wr)
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        with os.fdopen(rd) as f:
            saved = [int(x.split()[1]) for x in f.read().splitlines() if x.startswith("SAVED ")]
        last = saved[-1] if saved else count
        got = len(StoryIndex.load(path))
        # the last save it reported, or one more that finished its rename before the kill
        assert got in (last, last + 1), (got, last)
        count = got
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "live.ddx"]
    print(f"kills while the temp file was being written: {len(leftovers)} of 8")
    assert all(p.startswith("live.ddx.") and p.endswith(".tmp") for p in leftovers), leftovers


def test_a_re_signed_unchanged_header_loads(saved, tmp_path):
    data, n = saved
    hl, header = _header(data)
    path = tmp_path / "same.ddx"
    path.write_bytes(_with_header(data, header, hl))
    assert len(StoryIndex.load(path)) == n


@_FUZZ
@given(block=st.integers(0, 13), at=st.integers(0, 10**9), byte=st.integers(0, 255))
def test_re_signed_files_with_wrong_block_contents_are_refused_or_usable(
    saved, tmp_path_factory, block, at, byte
):
    """A byte of one block rewritten (checksum recomputed): refused naming the file, or a whole
    index that answers and takes new articles (e.g. a changed time or term weight)."""
    data, n = saved
    hl, header = _header(data)
    start = _MAGIC + 12 + hl + sum(ln for _, ln in header["blocks"][:block])
    size = header["blocks"][block][1]
    if size == 0:
        return
    body = bytearray(data[:-32])
    body[start + at % size] = byte
    path = tmp_path_factory.mktemp("b") / "b.ddx"
    path.write_bytes(_resign(bytes(body)))
    try:
        idx = StoryIndex.load(path)
    except ValueError as e:
        assert str(path) in str(e)
        return
    assert len(idx) == n
    for s in idx.stories():
        idx.story(s)
    idx.add("after-load", group_text(30, 0), published=T0)
    idx.query(group_text(0, 0))


def test_a_mapped_file_loads_and_is_checked_like_a_read_one(saved, tmp_path, monkeypatch):
    """Large files are memory-mapped, not read: the same index, and a damaged file is refused
    the same way (the threshold is lowered so that a small file takes that path)."""
    from dupdetect import persist

    data, n = saved
    path = tmp_path / "i.ddx"
    path.write_bytes(data)
    read = StoryIndex.load(path)
    monkeypatch.setattr(persist, "MAP_BYTES", 0)
    assert not isinstance(persist._read(path), bytes)  # mapped
    mapped = StoryIndex.load(path)
    assert len(mapped) == len(read) == n
    probe = group_text(2, 5)
    a, b = mapped.add("p", probe, published=T0), read.add("p", probe, published=T0)
    assert (a.story_id, a.score) == (b.story_id, b.score)
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0x10
    path.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="checksum"):
        StoryIndex.load(path)
    path.write_bytes(b"PK\x03\x04" + data[4:])
    with pytest.raises(ValueError, match="magic"):
        StoryIndex.load(path)


def test_story_ids_are_checked_in_one_pass():
    from dupdetect.persist import _top_story

    assert _top_story(["s-1", "s-12", "s-abcdef01-7", "s-12"]) == 12
    assert _top_story([]) == 0
    for bad in (["s-1", "x"], ["s-1\ns-2"], ["s-1", "s-2\n"], [3], ["s-" + "1" * 19], ["s-1 "]):
        assert _top_story(bad) is None, bad
