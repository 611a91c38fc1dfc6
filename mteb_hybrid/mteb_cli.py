"""Under mteb's own CLI (`mteb run ...`): quiet defaults, and one paragraph instead of a traceback.

mteb's CLI has no plugin hook, so the registry calls `install()` when mteb is imported: under mteb's CLI it
quiets the known noise (unless a `--verbosity` was chosen) and sets `sys.excepthook` so that our user errors
and an unreachable hub print as one `error: ...` paragraph (with "did you mean" for a task one letter from
ours). Any other exception, and every one under `--verbosity 3`, keeps its traceback.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from mteb_hybrid.models.hub import OFFLINE_TASKS, hub_model_message, hub_task_message, is_hub_error, near_miss_note
from mteb_hybrid.noise import quiet_known_noise, quiet_library_loggers
from mteb_hybrid.userconfig import running_under_mteb_cli

_USER_ERRORS = (LookupError, ValueError, FileNotFoundError, ImportError)
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def argv_values(flags: Sequence[str], argv: Sequence[str] | None = None) -> list[str]:
    """The values after any of `flags` (`-t A B --x` gives [A, B]), as argparse would read nargs='+'."""
    argv = list(sys.argv if argv is None else argv)
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg in flags:
            out += itertools.takewhile(lambda value: not value.startswith("-"), argv[i + 1 :])
        elif any(arg.startswith(f + "=") for f in flags if f.startswith("--")):
            out.append(arg.split("=", 1)[1])
    return out


def verbosity(argv: Sequence[str] | None = None) -> int | None:
    """The `-v/--verbosity N` the user passed to mteb run, or None when left at mteb's default."""
    values = argv_values(("-v", "--verbosity"), argv)
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _raised_in_package(tb: TracebackType | None) -> bool:
    frames = [frame for frame, _ in traceback.walk_tb(tb)]
    return bool(frames) and str(Path(frames[-1].f_code.co_filename).resolve()).startswith(_PACKAGE_DIR)


def explain(exc: BaseException, tb: TracebackType | None, argv: Sequence[str] | None = None) -> str | None:
    """The paragraph for an error ending `mteb run`, or None to leave mteb's traceback."""
    tasks = argv_values(("-t", "--tasks"), argv)
    if is_hub_error(exc):
        if any(frame.f_code.co_name == "load_data" for frame, _ in traceback.walk_tb(tb)):  # a task's data
            message = hub_task_message([t for t in tasks if t not in OFFLINE_TASKS] or tasks, exc)
        else:
            model = (argv_values(("-m", "--model"), argv) or ["the model"])[0]
            message = hub_model_message(model, f"-m {model}", exc)
    elif isinstance(exc, _USER_ERRORS) and _raised_in_package(tb):
        message = str(exc).strip("'\"")
    else:
        return None
    return f"{message} {near_miss_note(tasks, message)}".strip()


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    paragraph = None if (verbosity() or 0) >= 3 else explain(exc, tb)
    if paragraph is None:
        _previous_hook(exc_type, exc, tb)
        return
    print(f"error: {paragraph} (mteb run --verbosity 3 shows the traceback)", file=sys.stderr)


_previous_hook = sys.excepthook


TRACEBACK_ENV = "MTEB_HYBRID_TRACEBACK"


def _script_excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """In a Python script: a missing or malformed data file ends with its one-line message, not a traceback
    through mteb's evaluation loop (MTEB_HYBRID_TRACEBACK=1 shows it)."""
    from mteb_hybrid.data.errors import DataFormatError, MissingDataError

    if (
        issubclass(exc_type, (MissingDataError, DataFormatError))
        and _raised_in_package(tb)
        and os.environ.get(TRACEBACK_ENV, "") in ("", "0")
    ):
        print(f"{exc_type.__name__}: {exc} ({TRACEBACK_ENV}=1 shows the traceback)", file=sys.stderr)
        return
    _script_previous_hook(exc_type, exc, tb)


_script_previous_hook = sys.excepthook


def install_for_scripts() -> None:
    """Outside mteb's CLI: the one-line data errors for uncaught exceptions, only if nobody else (IPython, a
    debugger, the application) has set `sys.excepthook`."""
    global _script_previous_hook
    if running_under_mteb_cli() or sys.excepthook is not sys.__excepthook__:
        return
    _script_previous_hook = sys.excepthook
    sys.excepthook = _script_excepthook


def install() -> None:
    """Apply the quiet defaults and the one-paragraph errors, when this process is mteb's CLI."""
    global _previous_hook
    if not running_under_mteb_cli():
        install_for_scripts()
        return
    if verbosity() is None:
        quiet_known_noise()
        quiet_library_loggers()
    if sys.excepthook is not _excepthook:
        _previous_hook = sys.excepthook
        sys.excepthook = _excepthook
