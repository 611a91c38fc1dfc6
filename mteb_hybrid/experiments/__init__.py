"""Experiment grids: configs as data under experiments/, a resumable runner writing results/experiments/."""

from .config import Cell, EvalSpec, ExperimentConfig, load_experiment
from .runner import ExperimentRunner, run_experiment, validate_experiment

__all__ = ["Cell", "EvalSpec", "ExperimentConfig", "ExperimentRunner", "load_experiment", "run_experiment",
           "validate_experiment"]
