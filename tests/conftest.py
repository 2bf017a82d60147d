from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import settings
from redis_server import RedisServer

from dupdetect.story import StoryIndex

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"
STORIES = ROOT / "tests" / "fixtures" / "stories"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def stories() -> dict[str, str]:
    """Fixture stories written for the tests: name (without .txt) -> text."""
    return {p.stem: read(p) for p in sorted(STORIES.glob("*.txt"))}


@pytest.fixture(scope="session")
def seeds() -> dict[str, Path]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent (it is present in CI)")
    return {p.name[:3]: p for p in sorted(SEEDS.glob("*.txt"))}


# --- StoryIndex backends: memory, and a real redis-server started here -------------------------
_HAS_SERVER = shutil.which("redis-server") is not None
_HAS_CLIENT = importlib.util.find_spec("redis") is not None
HAS_REDIS = _HAS_SERVER and _HAS_CLIENT
NO_REDIS = (
    "redis-server not on PATH (CI installs it with apt-get install redis-server)"
    if not _HAS_SERVER
    else 'redis-py not installed (pip install "dupdetect[redis]")'
)


@pytest.fixture(scope="session")
def redis_server():
    """One server for the session, with the append-only file on (as README advises)."""
    if not HAS_REDIS:
        pytest.skip(NO_REDIS)
    with RedisServer(persistence="everysec") as srv:
        yield srv


@pytest.fixture(scope="session")
def redis_url(redis_server) -> str:
    return redis_server.url


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_index(request):
    """``make(**options)`` -> a StoryIndex on each backend (a fresh Redis namespace each)."""
    made = []

    def make(**kw):
        if request.param == "redis":
            url = request.getfixturevalue("redis_url")
            kw.setdefault("namespace", f"t{uuid.uuid4().hex[:8]}")
            idx = StoryIndex(storage=url, **kw)
        else:
            idx = StoryIndex(**kw)
        made.append(idx)
        return idx

    yield make
    for idx in made:
        idx.clear()
        idx.close()


# CI runs the property tests on a fixed set of examples (no flaky first sightings on a
# submission); locally they explore new ones each run (`HYPOTHESIS_PROFILE=ci` to reproduce CI).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") or os.environ.get("HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("ci")
