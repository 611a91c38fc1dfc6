"""Experiment grids: configs as data under experiments/, a resumable runner writing results/experiments/."""

from mteb_hybrid.formats.experiments import (
    CellRecord,
    EvalSpec,
    ExperimentFile,
    ExperimentRecord,
    Provenance,
    SchemaError,
    read_cell,
)

from .config import Cell, ExperimentConfig, load_experiment
from .runner import CellOutcome, ExperimentRunner, StaleCellsError, run_experiment
from .validate import validate_experiment

__all__ = [
    "Cell",
    "CellOutcome",
    "CellRecord",
    "EvalSpec",
    "ExperimentConfig",
    "ExperimentFile",
    "ExperimentRecord",
    "ExperimentRunner",
    "Provenance",
    "SchemaError",
    "StaleCellsError",
    "load_experiment",
    "read_cell",
    "run_experiment",
    "validate_experiment",
]
