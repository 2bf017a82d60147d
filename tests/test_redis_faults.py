"""StoryIndex on a real Redis server under faults: writers killed or stopped mid-add, the server
restarted mid-run, bad credentials and closed ports, and a chaos run on SaudiNewsNet.

Writers are separate processes (``story_writer.py``) that print ``ACK`` after each add returns;
an acknowledged add must be indexed exactly once afterwards, whatever happened. After every
fault the namespace is audited (``RedisStorage.audit``): each record has its story, id, time,
signature and buckets, and nothing refers to a record that is not there. Loopback only; every
loop is bounded.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import uuid
import zipfile

import pytest

from dupdetect.story import StoryIndex

sys.path.insert(0, os.path.dirname(__file__))
from conftest import EVAL, HAS_REDIS, NO_REDIS  # noqa: E402
from redis_server import RedisServer, free_port  # noqa: E402
from story_texts import group_text  # noqa: E402

pytestmark = [pytest.mark.redis, pytest.mark.skipif(not HAS_REDIS, reason=NO_REDIS)]


def _ns() -> str:
    return f"f{uuid.uuid4().hex[:8]}"


class Writer:
    """A writer process adding ``articles`` (id, text, date), and what it reported so far.

    Forked from the test process (dupdetect already imported: it starts at once), it runs
    :func:`story_writer.run` and reports one line per event through a pipe."""

    def __init__(self, url, ns, articles, *, stall=0.0, replace=False, lock_wait=30.0):
        rd, wr = os.pipe()
        arts = [{"id": i, "text": t, "date": d} for i, t, d in articles]
        ctx = multiprocessing.get_context("fork")
        kw = {"stall": stall, "replace": replace, "lock_wait": lock_wait}
        self.proc = ctx.Process(target=_child, args=(url, ns, arts, kw, wr), daemon=True)
        self.proc.start()
        os.close(wr)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(rd,), daemon=True)
        self._reader.start()

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, encoding="utf-8") as f:
            for line in f:
                self.lines.append(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if line.startswith(prefix):
                    return line
            if not self.proc.is_alive() and not self._reader.is_alive():
                break
            time.sleep(0.005)
        raise AssertionError(f"writer never printed {prefix!r}; last lines {self.lines[-5:]}")

    def acks(self) -> list[tuple[str, ...]]:
        return [tuple(x.split(" ")[1:4]) for x in list(self.lines) if x.startswith("ACK ")]

    def errors(self) -> list[str]:
        return [x for x in list(self.lines) if x.startswith("ERR ")]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc.pid is not None
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 60.0) -> int | None:
        self.proc.join(timeout)
        self._reader.join(5)
        return self.proc.exitcode

    def close(self) -> None:
        """Make sure the process is gone (a failed test must not leave it stopped or running)."""
        if self.proc.is_alive():
            self.kill(signal.SIGCONT)
            self.kill(signal.SIGKILL)
            self.proc.join(10)


def _child(url, ns, arts, kw, fd) -> None:
    from story_writer import run

    with os.fdopen(fd, "w", encoding="utf-8") as out:
        try:
            run(url, ns, arts, out=out, **kw)
        except BaseException as e:  # reported: the parent shows it in its assertion
            out.write(f"FATAL {type(e).__name__}: {e}\n")
            raise


def _synthetic(n_stories: int, per_story: int, prefix: str = "a") -> list[tuple[str, str, str]]:
    """Reports of n_stories stories, interleaved (report k of every story, then k + 1)."""
    return [
        (f"{prefix}{g}-{k}", group_text(200 + g, k), f"2024-11-09T08:{k:02d}:00Z")
        for k in range(per_story)
        for g in range(n_stories)
    ]


def _audit(idx: StoryIndex) -> list[str]:
    return idx.storage.audit(idx.band_keys)


def _doc_ids(idx: StoryIndex) -> list[str | int]:
    return [m.doc_id for s in idx.stories() for m in idx.story(s)]


# --- writers killed or stopped in the middle of an add -------------------------------------------
def test_a_writer_killed_mid_add_blocks_nobody_and_leaves_nothing_half_written(redis_url):
    ns = _ns()
    idx = StoryIndex(storage=redis_url, namespace=ns, window=None, lock_timeout=1)
    victim = Writer(redis_url, ns, [("v", group_text(90, 0), "2024-11-09")], stall=60)
    try:
        victim.wait_for("STALLED")  # it has read the index and decided, not yet written
        victim.kill()  # SIGKILL where the old design held the namespace lock
        assert victim.wait(10) == -signal.SIGKILL
        t0 = time.monotonic()
        got = [idx.add(f"o{k}", group_text(90, k)) for k in range(4)]
        assert time.monotonic() - t0 < 5  # nothing to wait for (the old lock: lock_timeout)
        assert len({a.story_id for a in got}) == 1 and "v" not in idx
        assert _audit(idx) == [] and len(idx) == 4
    finally:
        victim.close()
        idx.clear()


def test_writers_killed_at_random_moments_lose_no_acknowledged_add(redis_url):
    ns = _ns()
    arts = _synthetic(10, 6)
    rng = random.Random(3)
    acked: list[str] = []
    todo = list(arts)
    for _ in range(3):  # a consumer killed and restarted: the un-acknowledged are redelivered
        w = Writer(redis_url, ns, todo, replace=True)
        k = rng.randrange(1, len(todo) // 2)
        deadline = time.monotonic() + 30
        while len(w.acks()) < k and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.02))  # somewhere inside the next add
        w.kill()
        w.wait(10)
        done = {a[0] for a in w.acks()}
        assert k <= len(done) < len(todo)  # killed mid-run
        acked += sorted(done)
        todo = [a for a in todo if a[0] not in done]
        check = StoryIndex(storage=redis_url, namespace=ns, window=None)
        assert _audit(check) == []
        assert all(d in check for d in acked)
        check.close()
    w = Writer(redis_url, ns, todo, replace=True)
    assert w.wait(60) == 0, w.lines[-5:]
    acked += [a[0] for a in w.acks()]
    idx = StoryIndex(storage=redis_url, namespace=ns, window=None)
    try:
        ids = _doc_ids(idx)
        assert sorted(ids) == sorted(a[0] for a in arts) == sorted(acked)  # each exactly once
        assert _audit(idx) == []
        by_story = {}
        for doc in ids:
            by_story.setdefault(doc.split("-")[0], set()).add(idx.story_of(doc))
        assert all(len(s) == 1 for s in by_story.values()), by_story  # one story per group
    finally:
        idx.clear()


def test_a_writer_stopped_across_lock_timeout_does_not_write_a_stale_decision(redis_url):
    ns = _ns()
    idx = StoryIndex(storage=redis_url, namespace=ns, window=None)
    texts = [group_text(120 + i, 0) for i in range(3)]
    arts = [(f"stopped{i}", t, "2024-11-09") for i, t in enumerate(texts)]
    w = Writer(redis_url, ns, arts, stall=0.3)
    try:
        for i, text in enumerate(texts):
            w.wait_for(f"STALLED stopped{i}")
            w.kill(signal.SIGSTOP)  # paused after deciding, before writing
            other = idx.add(f"other{i}", text)  # the same text, meanwhile
            time.sleep(1.2)  # longer than lock_timeout=1: a lock would have expired by now
            w.kill(signal.SIGCONT)
            ack = w.wait_for(f"ACK stopped{i} ", 30).split(" ")
            assert ack[2] == other.story_id, "the same text ended up in two stories"
        assert w.wait(30) == 0
        assert _audit(idx) == [] and len(idx) == 6 and len(list(idx.stories())) == 3
    finally:
        w.close()
        idx.clear()


# --- the server restarted in the middle of a run --------------------------------------------------
def test_a_server_restart_with_aof_keeps_every_acknowledged_add_exactly_once():
    ns = _ns()
    arts = _synthetic(20, 6, "r")
    with RedisServer(persistence="always") as srv:
        writers = [Writer(srv.url, ns, arts[k::3]) for k in range(3)]
        for w in writers:
            w.wait_for("READY")
        deadline = time.monotonic() + 20
        while sum(len(w.acks()) for w in writers) < 30 and time.monotonic() < deadline:
            time.sleep(0.001)
        srv.restart()  # SIGKILL, then the AOF replayed
        before = sum(len(w.acks()) for w in writers)
        try:
            for w in writers:
                assert w.wait(60) == 0, w.lines[-5:]
        finally:
            for w in writers:
                w.close()
        assert 30 <= before < len(arts)  # the restart came in the middle of the run
        errors = [e for w in writers for e in w.errors()]  # adds retry; any error names Redis
        assert all("Redis" in e for e in errors), errors
        acked = [a[0] for w in writers for a in w.acks()]
        idx = StoryIndex(storage=srv.url, namespace=ns, window=None)
        assert sorted(acked) == sorted(a[0] for a in arts)
        assert sorted(_doc_ids(idx)) == sorted(acked) and len(idx) == len(arts)
        assert _audit(idx) == []
        idx.close()


# --- connecting ---------------------------------------------------------------------------------
def test_a_wrong_password_or_a_closed_port_fails_fast_with_a_clear_message():
    import redis

    with RedisServer(password="right", persistence="everysec") as srv:
        t0 = time.monotonic()
        with pytest.raises(redis.AuthenticationError, match="refused the credentials") as e:
            StoryIndex(storage=f"redis://:wrong@127.0.0.1:{srv.port}/0")
        assert time.monotonic() - t0 < 5
        assert "wrong" not in str(e.value) and f"127.0.0.1:{srv.port}" in str(e.value)
    port = free_port()  # nothing listens there
    t0 = time.monotonic()
    with pytest.raises(redis.ConnectionError, match=f"cannot reach Redis at .*127.0.0.1:{port}"):
        StoryIndex(storage=f"redis://127.0.0.1:{port}/0")
    assert time.monotonic() - t0 < 5


# --- chaos: SaudiNewsNet, 4 writers, a writer killed and restarted, a server restart -------------
def _saudinewsnet(n: int) -> list[tuple[str, str, str]]:
    zips = sorted(glob.glob(str(EVAL / "saudinewsnet" / "*.zip")))
    if not zips:
        pytest.skip("../shared/eval/saudinewsnet is absent (it is present in CI)")
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for z in zips:
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                for art in json.loads(zf.read(name).decode("utf-8")):
                    url = art.get("url")
                    if art.get("content") and url and url not in seen:
                        seen.add(url)
                        out.append((url, art["content"], art["date_extracted"]))
                        if len(out) == n:
                            return out
    return out


def _wait_acks(writers, n: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while sum(len(w.acks()) for w in writers) < n and time.monotonic() < deadline:
        time.sleep(0.001)
    return sum(len(w.acks()) for w in writers)


@pytest.mark.slow
def test_chaos_four_writers_one_killed_and_restarted_and_a_server_restart():
    """2,000 SaudiNewsNet articles, 4 writer processes; writer 0 is SIGKILLed a quarter through
    its share and restarted on what it had not acknowledged (redelivered with replace=True); the
    server is SIGKILLed and restarted (AOF, appendfsync always) half-way.

    Compared: (1) every acknowledged article is indexed exactly once, nothing else is there,
    the namespace audits clean; (2) the partition into stories equals the memory backend's fed
    the same articles in the order the Redis commits happened (each commit's version). That
    order, not the file order, is what the writers' interleaving decided: incremental
    assignment is greedy, so another order can split or merge borderline stories differently.
    Story ids are not compared: Redis ids carry the epoch, and which of two merged stories is
    "older" follows when each id was drawn, which concurrency reorders.
    """
    arts = _saudinewsnet(2000)
    ns = _ns()
    with RedisServer(persistence="always") as srv:
        shares = [arts[k::4] for k in range(4)]
        writers = [Writer(srv.url, ns, share) for share in shares]
        try:
            _wait_acks(writers[:1], len(shares[0]) // 4)
            writers[0].kill()
            writers[0].wait(10)
            done0 = {a[0] for a in writers[0].acks()}
            rest = [a for a in shares[0] if a[0] not in done0]
            writers.append(Writer(srv.url, ns, rest, replace=True))
            at_restart = _wait_acks(writers, len(arts) // 2)
            srv.restart()
            for w in writers[1:]:
                assert w.wait(120) == 0, w.lines[-5:]
        finally:
            for w in writers:
                w.close()
        acks = [a for w in writers for a in w.acks()]
        idx = StoryIndex(storage=srv.url, namespace=ns, window=None)
        indexed = _doc_ids(idx)
        acked = {a[0] for a in acks}
        counts = {
            "acknowledged": len(acked),
            "indexed": len(indexed),
            "duplicated": len(indexed) - len(set(indexed)),
            "lost": len(acked - set(indexed)),
            "acks before the server restart": at_restart,
            "errors reported": sum(len(w.errors()) for w in writers),
        }
        print("chaos:", counts)
        assert counts["duplicated"] == 0 and counts["lost"] == 0
        assert acked == set(indexed) == {a[0] for a in arts}
        assert _audit(idx) == []
        redis_groups = {frozenset(m.doc_id for m in idx.story(s)) for s in idx.stories()}
        # the commit order: each ack's version; an ack without one (a redelivered article the
        # killed writer had committed, or a commit whose reply the restart cut off) goes right
        # after the commit holding the next lower document number (numbers are drawn just
        # before committing)
        version = {a[0]: int(a[2]) for a in acks if a[2] != "-"}
        num = {d: idx.storage.number_of(d) for d in acked}
        by_num = sorted((num[d], version[d]) for d in version)
        for d in acked - set(version):
            lower = [v for n, v in by_num if n < num[d]]
            version[d] = (max(lower) if lower else 0) + 0.5
        idx.close()
    text = {i: (t, d) for i, t, d in arts}
    mem = StoryIndex(window=None)
    for d in sorted(acked, key=lambda d: (version[d], num[d])):
        mem.add(d, text[d][0], published=text[d][1])
    mem_groups = {frozenset(m.doc_id for m in mem.story(s)) for s in mem.stories()}
    differ = redis_groups ^ mem_groups
    print(
        f"chaos: {len(redis_groups)} stories on Redis, {len(mem_groups)} in memory, "
        f"{len(differ)} differ; {len(acked) - len(version)} acks without a version"
    )
    assert redis_groups == mem_groups
