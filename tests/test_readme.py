"""Every ```python block in README.md runs as written (in a temporary folder); a block indented
inside a list item runs dedented."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int, tmp_path: Path, monkeypatch) -> None:
    code = textwrap.dedent(BLOCKS[index])
    if "to_dataframe" in code:
        pytest.importorskip("pandas")
    if "dupdetect.spark" in code:
        pytest.importorskip("pyspark")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md block {index}", "exec"), {"__name__": "__readme__"})
    assert os.getcwd() == str(tmp_path)
