"""Experiment configs (`experiments/*.yaml`): a grid of cells, each overriding the shared training settings (or
`train: null` to score the base model) and repeated over `seeds`. Every cell's settings are checked against
`TrainConfig` before anything runs, so a typo fails in a second, not after an hour of training."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mteb_hybrid.formats.experiments import EvalSpec, ExperimentFile, SchemaError, read_yaml
from mteb_hybrid.training.config import TrainConfig
from mteb_hybrid.validation import suggest, validate_file


@dataclass(frozen=True)
class Cell:
    """One run of the grid: a training config (or None for the base model) and how to label it."""

    id: str
    train: TrainConfig | None
    group: str
    seed: int | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentConfig:
    """A config with its cells expanded over seeds and their training configs resolved."""

    name: str
    description: str
    base: str
    eval: EvalSpec
    cells: tuple[Cell, ...]
    unseen_languages: tuple[str, ...] = ()
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def _train_config(path: Path, i: int, spec: ExperimentFile, override: dict[str, Any], seed: int | None) -> TrainConfig:
    """The cell's TrainConfig: base and data, then the shared settings, then the cell's own, then the seed."""
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    for where, given in (("train", spec.train), (f"cells[{i}].train", override)):
        for key in given:
            if key not in fields:
                raise SchemaError(path, f"{where}.{key}", f"unknown training setting{suggest(key, fields)}")
    merged = {"base": spec.base, "data": list(spec.data), **spec.train, **override}
    if seed is not None:
        merged["seed"] = seed
    try:
        return TrainConfig.from_dict(merged)
    except ValueError as e:  # "alpha must be in [0, 1], got 2" or "alpha: Input should be a valid number (got 'x')"
        key = str(e).split(" ", 1)[0].removesuffix(":")
        where = "train" if key in spec.train and key not in override else f"cells[{i}].train"
        raise SchemaError(path, f"{where}.{key}" if key in merged else where, str(e).removeprefix(f"{key}: ")) from None


def _recipe(cell: Cell) -> tuple[str, str]:
    """What the cells of one group must share: everything but the seed (and where the model goes)."""
    own = {"seed", "output_dir", "model_name"}
    train = None if cell.train is None else {k: v for k, v in cell.train.to_dict().items() if k not in own}
    return json.dumps(train, sort_keys=True, default=str), json.dumps(cell.params, sort_keys=True, default=str)


def _check_groups(path: Path, cells: list[Cell]) -> None:
    """A group pools the seeds of one recipe (the report averages them), so its cells may differ only in the seed."""
    first: dict[str, Cell] = {}
    for cell in cells:
        other = first.setdefault(cell.group, cell)
        if _recipe(other) != _recipe(cell):
            raise SchemaError(
                path,
                "cells[].group",
                f"cells {other.id!r} and {cell.id!r} share group {cell.group!r} but differ in more than the seed; "
                "give each setting its own group (or drop `group:`; a cell's group defaults to its id)",
            )


def load_experiment(path: str | Path) -> ExperimentConfig:
    """Parse and check an experiment file (keys, training settings, cell ids); errors name file and key."""
    path = Path(path)
    raw = read_yaml(path)
    spec = validate_file(ExperimentFile, raw, path, "", SchemaError)
    seeds = spec.seeds or [None]
    cells: list[Cell] = []
    for i, c in enumerate(spec.cells):
        trained = c.train is not None
        if c.seeds is not None and not trained:
            raise SchemaError(path, f"cells[{i}].seeds", "an untrained cell (train: null) has no seeds; remove them")
        cell_seeds = c.seeds or seeds
        suffixed = max(len(seeds), len(cell_seeds)) > 1  # ids of one experiment are all -sN or none
        for seed in cell_seeds if trained else [None]:
            cell_id = f"{c.id}-s{seed}" if seed is not None and suffixed else c.id
            train = _train_config(path, i, spec, c.train or {}, seed) if trained else None
            cells.append(Cell(cell_id, train, c.group or c.id, seed if trained else None, dict(c.params)))
    if duplicates := sorted(cell_id for cell_id, n in Counter(c.id for c in cells).items() if n > 1):
        raise SchemaError(path, "cells", f"duplicate cell ids {duplicates}; make ids unique")
    _check_groups(path, cells)
    return ExperimentConfig(
        name=spec.name,
        description=spec.description,
        base=spec.base,
        eval=spec.eval,
        cells=tuple(cells),
        unseen_languages=tuple(spec.unseen_languages),
        path=str(path),
        raw=raw,
    )
