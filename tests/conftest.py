from __future__ import annotations

from pathlib import Path

import pytest

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
