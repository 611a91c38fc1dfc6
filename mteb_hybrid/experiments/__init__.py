"""Experiment grids: configs as data under experiments/, a resumable runner writing results/experiments/.

Names are imported on first use, so that reading records (`from mteb_hybrid.experiments.schema import
read_cell`) does not import the training stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Cell": "config", "ExperimentConfig": "config", "load_experiment": "config",
    "CellOutcome": "runner", "ExperimentRunner": "runner", "StaleCellsError": "runner", "run_experiment": "runner",
    "CellRecord": "schema", "EvalSpec": "schema", "ExperimentFile": "schema", "ExperimentRecord": "schema",
    "Provenance": "schema", "SchemaError": "schema", "read_cell": "schema", "validate_experiment": "validate",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
