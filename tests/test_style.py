"""ruff (pinned in the test extra) keeps the code formatted and within the modest rule set of pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert found, "ruff is not installed: pip install -e '.[test]' installs it"
    return [found]


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    run = subprocess.run([*_ruff(), "format", "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_check_finds_nothing() -> None:
    run = subprocess.run(
        [*_ruff(), "check", "--output-format", "concise", "."], cwd=REPO, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
