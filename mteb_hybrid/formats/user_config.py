"""The user config file (`mteb-hybrid config`; where it lives: userconfig.config_path): its schema, writer and
reader. Only the standard library and pydantic at import, so that `mteb-hybrid config` stays instant.

No version key: the file has held `data_dir` alone since it was introduced.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class UserConfig(BaseModel):
    """The config file's content: `data_dir` is absolute (relative paths are resolved when set)."""

    model_config = ConfigDict(extra="forbid")
    data_dir: str | None = None


def read_user_config(path: Path) -> UserConfig:
    """The settings in `path` (empty if there is none); a bad file is one line naming it and the fix."""
    from mteb_hybrid.data.errors import DataFormatError
    from mteb_hybrid.validation import validate_file

    fix = f"run `mteb-hybrid config data-dir PATH` to rewrite it, or delete {path}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UserConfig()
    except (OSError, ValueError) as e:
        raise DataFormatError(path, "<file>", f"not readable JSON ({e})", fix) from None
    return validate_file(UserConfig, raw, path, fix)


def write_user_config(path: Path, config: UserConfig) -> Path:
    """Write the config file atomically; returns its path."""
    from mteb_hybrid.files import write_atomic

    return write_atomic(path, config.model_dump_json(indent=2, exclude_none=True) + "\n")
