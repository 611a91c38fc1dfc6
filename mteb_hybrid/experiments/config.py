"""Experiment configs (data files under `experiments/`): a grid of training runs and evaluations.

A config names a base model, training data and shared training settings, the evaluation tasks, and
a list of cells; each cell overrides training settings (or has `train: null` to score the base model
itself) and is repeated over `seeds`. Everything is checked before anything runs, so a typo in a
field name or a task name fails in a second, not after an hour of training.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.training.config import TrainConfig

_TOP = {"name", "description", "base", "data", "train", "eval", "cells", "seeds", "unseen_languages", "full_scale"}
_EVAL = {"tasks", "languages", "subsets", "batch_size", "during_training"}
_CELL = {"id", "train", "group", "params"}


@dataclass(frozen=True)
class EvalSpec:
    """What every cell is scored on."""

    tasks: tuple[str, ...]
    languages: tuple[str, ...] | None = None
    subsets: tuple[str, ...] | None = None
    batch_size: int = 64
    # periodic zero-shot metric during training: {"every": steps, "questions": n, "languages": [...]}
    during_training: dict[str, Any] | None = None


@dataclass(frozen=True)
class Cell:
    """One run of the grid: a training config (or None for the base model) and how to label it."""

    id: str
    train: TrainConfig | None
    group: str
    seed: int | None
    params: dict[str, Any] = field(default_factory=dict)


def _recipe(cell: Cell) -> tuple[str, str]:
    """What the cells of one group must share: everything but the seed (and where the model goes)."""
    own = {"seed", "output_dir", "model_name"}
    train = None if cell.train is None else {k: v for k, v in cell.train.to_dict().items() if k not in own}
    return json.dumps(train, sort_keys=True, default=str), json.dumps(cell.params, sort_keys=True, default=str)


def _check_groups(path: Path, cells: list[Cell]) -> None:
    """A group pools the seeds of one recipe (the report prints its mean ± std), so its cells may differ only
    in the seed; two settings under one group name would be averaged as if they were repeats."""
    first: dict[str, Cell] = {}
    for cell in cells:
        other = first.setdefault(cell.group, cell)
        if _recipe(other) != _recipe(cell):
            raise DataFormatError(
                path, "cells[].group",
                f"cells {other.id!r} and {cell.id!r} share group {cell.group!r} but differ in more than the seed",
                "give each setting its own group (or drop `group:`; a cell's group defaults to its id)")


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    description: str
    base: str
    eval: EvalSpec
    cells: tuple[Cell, ...]
    unseen_languages: tuple[str, ...] = ()
    full_scale: bool = False
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def _unknown(path: Path, where: str, given: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(given) - allowed)
    if extra:
        raise DataFormatError(path, f"{where}{extra[0]}", "unknown field", f"use one of {sorted(allowed)}")


def _train_config(path: Path, where: str, base: str, data: list[str], shared: dict[str, Any],
                  override: dict[str, Any], seed: int | None) -> TrainConfig:
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    merged = {"base": base, "data": data, **shared, **override}
    if seed is not None:
        merged["seed"] = seed
    _unknown(path, where, merged, fields)
    try:
        return TrainConfig(**merged)
    except (TypeError, ValueError) as e:
        raise DataFormatError(path, where.rstrip("."), str(e), "correct the training settings") from e


def load_experiment(path: str | Path) -> ExperimentConfig:
    """Parse and check an experiment file (fields, training settings, cell ids)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DataFormatError(path, "<file>", f"cannot read ({e})", "give a readable YAML experiment file") from e
    if not isinstance(raw, dict):
        raise DataFormatError(path, "<file>", "not a mapping", "see experiments/batching.yaml")
    _unknown(path, "", raw, _TOP)
    for key in ("name", "base", "eval", "cells"):
        if key not in raw:
            raise DataFormatError(path, key, "missing", "see experiments/batching.yaml")
    ev = raw["eval"]
    _unknown(path, "eval.", ev, _EVAL)
    if not ev.get("tasks"):
        raise DataFormatError(path, "eval.tasks", "missing or empty", "name at least one task")
    spec = EvalSpec(
        tasks=tuple(ev["tasks"]), languages=tuple(ev["languages"]) if ev.get("languages") else None,
        subsets=tuple(ev["subsets"]) if ev.get("subsets") else None, batch_size=int(ev.get("batch_size", 64)),
        during_training=ev.get("during_training"),
    )
    data = raw.get("data", ["mlqa-r"])
    data = [data] if isinstance(data, str) else list(data)
    shared = raw.get("train") or {}
    seeds = raw.get("seeds") or [None]
    cells: list[Cell] = []
    for i, c in enumerate(raw["cells"]):
        _unknown(path, f"cells[{i}].", c, _CELL)
        if "id" not in c:
            raise DataFormatError(path, f"cells[{i}].id", "missing", "give every cell a short id")
        trained = c.get("train", {}) is not None
        for seed in seeds if trained else [None]:
            cell_id = c["id"] if seed is None or len(seeds) == 1 else f"{c['id']}-s{seed}"
            train = (_train_config(path, f"cells[{i}].train.", raw["base"], data, shared, c.get("train") or {}, seed)
                     if trained else None)
            cells.append(Cell(cell_id, train, c.get("group", c["id"]), seed if trained else None, dict(c.get("params", {}))))
    ids = [c.id for c in cells]
    if len(set(ids)) != len(ids):
        raise DataFormatError(path, "cells", f"duplicate cell ids {sorted({i for i in ids if ids.count(i) > 1})}", "make ids unique")
    _check_groups(path, cells)
    return ExperimentConfig(
        name=raw["name"], description=" ".join(str(raw.get("description", "")).split()), base=raw["base"],
        eval=spec, cells=tuple(cells), unseen_languages=tuple(raw.get("unseen_languages", ())),
        full_scale=bool(raw.get("full_scale", False)), path=str(path), raw=raw,
    )
