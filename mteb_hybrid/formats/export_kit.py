"""Files `mteb-hybrid export` keeps for itself in its output folder: the manifest of what it wrote
(`.mteb-hybrid-export.json`, so a later export replaces only its own files) and `scores/runs.json` (what produced
the reference scores: command, date, versions). Their schema, writers and readers.

Neither file has a version key; every one written so far has this shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mteb_hybrid.files import write_atomic

MANIFEST = ".mteb-hybrid-export.json"
RUNS_FILE = "runs.json"


class Manifest(BaseModel):
    """The export's own files: path relative to the output folder -> sha256 of the bytes it wrote."""

    model_config = ConfigDict(extra="ignore")

    files: dict[str, str] = {}


class ScoreRun(BaseModel):
    """One model's stock-mteb run on the exported tasks (a value of runs.json, keyed by model name): what the PR
    text quotes is required, the rest is kept as written."""

    model_config = ConfigDict(extra="allow")

    revision: str | None
    command: str
    date: str
    threads: str
    mteb: str
    model: str | None = None
    tasks: list[str] | None = None
    python: str | None = None


class KitFileError(ValueError):
    """A manifest or runs file that does not read: one line naming the file and the field."""


def _load(path: Path, model: type[BaseModel], wrap: bool = False) -> Any:
    """`path` parsed as `model` (as {key: model} when `wrap`); KitFileError naming the file and field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if wrap:
            if not isinstance(raw, dict):
                raise KitFileError(f"{path}: expected a JSON object")
            return {key: model.model_validate(value) for key, value in raw.items()}
        return model.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        raise KitFileError(f"{path}: {'.'.join(map(str, err['loc'])) or '<file>'}: {err['msg']}") from None
    except (ValueError, UnicodeDecodeError) as e:
        if isinstance(e, KitFileError):
            raise
        raise KitFileError(f"{path}: not valid JSON ({e})") from e


def read_manifest(root: str | Path) -> dict[str, str] | None:
    """The files the export wrote under `root`; None when `root` has no manifest."""
    path = Path(root) / MANIFEST
    return _load(path, Manifest).files if path.is_file() else None


def write_manifest(root: str | Path, files: dict[str, str]) -> Path:
    """Write the manifest atomically, its files sorted by path."""
    text = json.dumps(Manifest(files=dict(sorted(files.items()))).model_dump(), indent=1) + "\n"
    return write_atomic(Path(root) / MANIFEST, text)


def read_runs(folder: str | Path) -> dict[str, dict[str, Any]]:
    """runs.json of a scores folder as {model: run}; {} when there is none."""
    path = Path(folder) / RUNS_FILE
    runs = _load(path, ScoreRun, wrap=True) if path.is_file() else {}
    return {model: run.model_dump(exclude_unset=True) for model, run in runs.items()}


def write_runs(folder: str | Path, runs: dict[str, dict[str, Any]]) -> Path:
    """Write runs.json atomically (keys sorted)."""
    checked = {model: ScoreRun.model_validate(run).model_dump(exclude_unset=True) for model, run in runs.items()}
    return write_atomic(Path(folder) / RUNS_FILE, json.dumps(checked, indent=1, sort_keys=True) + "\n")
