"""Bad inputs as data: each case prepares a root folder, runs the CLI, and states what must come out.

The cases live in one module per area (data files, model identity, experiments, hub names, resume); the
single test in `test_bad_inputs.py` runs them all the same way, so every case is checked for the
exit status, a one-line message, no traceback, and nothing written outside its root. A case whose input
is damaged but recoverable (a half-written checkpoint, a bad cache chunk) has exit status 0, no `error:`
line (`message=None`), the warning it must log, and a `check` of the right result (nothing reused or lost).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def _nothing(root: Path) -> None:
    return None


def _no_paths(root: Path) -> list[Path]:
    return []


@dataclass(frozen=True)
class BadInput:
    """One bad input and the clear error it must get.

    Args:
        id: short name shown by pytest.
        argv: the `mteb-hybrid` arguments, given the prepared root folder.
        message: a regex that the one `error: ...` line on stderr must match (re.search); None: no `error:` line.
        setup: writes whatever the case needs under root (data copies, model folders, configs).
        exit_code: the status main() must return.
        kept: paths under root that must still exist afterwards (nothing lost).
        logged: a regex the log must match (the warning of a recovered input), if any.
        check: further assertions on what the command left under root (the right result, nothing reused).
    """

    id: str
    argv: Callable[[Path], list[str]]
    message: str | None
    setup: Callable[[Path], None] = _nothing
    exit_code: int = 2
    kept: Callable[[Path], list[Path]] = field(default=_no_paths)
    logged: str | None = None
    check: Callable[[Path], None] = _nothing
