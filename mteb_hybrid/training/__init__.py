"""Hybrid-batch training: parallel QA rows -> per-source datasets -> sentence-transformers Trainer.

Public API: `TrainConfig`, `train(config) -> TrainResult`, `trained_model_dir(name)`; the trained model
folder holds `mteb_hybrid_training.json` (name, revision, config) for the mteb registry.
"""

from mteb_hybrid.models.presets import trained_model_dir

from .config import TrainConfig
from .guard import ZeroShotViolation, check_zero_shot, find_overlaps
from .rows import (
    QARow,
    TrainingDataError,
    check_rows,
    read_jsonl,
    read_spec,
    rows_from_hf,
    rows_from_lareqa,
    split_heldout,
)
from .sources import TrainingSources, build_sources

__all__ = [
    "QARow", "TrainConfig", "TrainResult", "TrainingDataError", "TrainingSources", "ZeroShotViolation",
    "build_sources", "check_rows", "check_zero_shot", "find_overlaps", "read_jsonl", "read_spec",
    "rows_from_hf", "rows_from_lareqa", "split_heldout", "train", "trained_model_dir",
]


def __getattr__(name: str):  # train() pulls in torch and sentence-transformers: import it on first use
    if name in ("train", "TrainResult", "TRAINING_INFO_FILE", "read_training_info"):
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(name)
