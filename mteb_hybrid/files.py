"""The package's one way to write, lock and name files, so that a crash never leaves half a file or a temp file,
two processes never write one folder at once, and a name read from input never makes a path escape its root."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
"""A single path part: letters, digits, '.', '_', '+', '-'; no leading dot, no separators, not '..'."""


class UnsafePathError(ValueError):
    """A name that would become a path part is unsafe, or a path escapes its root."""


def safe_name(value: str, what: str) -> str:
    """Return `value` if it is a safe single path part, else raise naming `what` and the rule."""
    if not isinstance(value, str) or not SAFE_NAME.match(value) or value in {".", ".."}:
        raise UnsafePathError(
            f"{what} {value!r} cannot be used as a folder name: use letters, digits, '.', '_', '+' or '-' "
            "(at most 128, not starting with '.'), no '/' or '..'"
        )
    return value


def ensure_under(root: str | Path, path: str | Path) -> Path:
    """`path` resolved, after checking that it stays inside `root` (symlinks resolved too)."""
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(Path(root).resolve()):
        raise UnsafePathError(f"{path} is outside {root}: refusing to write there")
    return resolved


def write_atomic(path: str | Path, data: bytes | str | Callable[[Path], None]) -> Path:
    """Write `data` (bytes, text, or a function that writes a given temp path) to `path` atomically: a temp file
    beside it is renamed over it (readers see the old file or the new one), and removed on any failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _mode_for(path: Path) -> int:
    """The permissions a plain write would give `path`: its current mode, else 0o666 less the umask
    (mkstemp's temp files are 0o600, which would hide shared results from other users)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_json_atomic(path: str | Path, obj: Any, *, indent: int = 2) -> Path:
    """`obj` as pretty, key-ordered-as-given JSON with a trailing newline, written atomically."""
    return write_atomic(path, json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


def folder_lock(folder: str | Path, timeout: float = 0) -> FileLock:
    """A cross-platform lock on `folder` (a `.lock` file beside it) that dies with its process; a held lock raises
    `filelock.Timeout` (at once with `timeout=0`)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder.parent / f".{folder.name}.lock"), timeout=timeout)


def world_size() -> int:
    """Processes taking part in training: torch.distributed's if initialised, else $WORLD_SIZE, else 1."""
    with contextlib.suppress(ImportError):
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return int(dist.get_world_size())
    return int(os.environ.get("WORLD_SIZE", "1"))


__all__ = [
    "SAFE_NAME",
    "Timeout",
    "UnsafePathError",
    "ensure_under",
    "folder_lock",
    "safe_name",
    "world_size",
    "write_atomic",
    "write_json_atomic",
]


@lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (memoised per path, size and modification time)."""
    st = Path(path).stat()
    return _file_sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
