"""Bad inputs as data: each case prepares a root folder, runs the CLI, and states what must come out.

The cases live in one module per area (data files, model identity, experiments, hub names); the
single test in `test_bad_inputs.py` runs them all the same way, so every case is checked for the
exit status, a one-line message, no traceback, and nothing written outside its root.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def _nothing(root: Path) -> None:
    return None


@dataclass(frozen=True)
class BadInput:
    """One bad input and the clear error it must get.

    Args:
        id: short name shown by pytest.
        argv: the `mteb-hybrid` arguments, given the prepared root folder.
        message: a regex that the one `error: ...` line on stderr must match (re.search).
        setup: writes whatever the case needs under root (data copies, model folders, configs).
        exit_code: the status main() must return.
        kept: paths under root that must still exist afterwards (nothing lost).
    """

    id: str
    argv: Callable[[Path], list[str]]
    message: str
    setup: Callable[[Path], None] = _nothing
    exit_code: int = 2
    kept: Callable[[Path], list[Path]] = field(default=lambda root: [])
