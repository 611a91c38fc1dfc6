"""Hybrid-batch training: parallel QA rows -> per-source datasets -> sentence-transformers Trainer.

Public API: `TrainConfig`, `train(config) -> TrainResult`, `trained_model_dir(name)`; the trained model
folder holds `mteb_hybrid_training.json` (name, revision, config) for the mteb registry.

Every name is imported on first use: `mteb-hybrid train --help` reads only `config` and `cli`, never
torch, datasets or sentence-transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "TrainConfig": "config",
    "ZeroShotViolation": "guard", "check_zero_shot": "guard", "find_overlaps": "guard",
    "QARow": "rows", "TrainingDataError": "rows", "check_rows": "rows", "read_jsonl": "rows", "read_spec": "rows",
    "rows_from_hf": "rows", "rows_from_lareqa": "rows", "split_heldout": "rows",
    "TrainingSources": "sources", "build_sources": "sources",
    "train": "trainer", "TrainResult": "trainer", "TRAINING_INFO_FILE": "trainer", "read_training_info": "trainer",
}

__all__ = sorted([*_WHERE, "trained_model_dir"])


def __getattr__(name: str) -> Any:
    if name == "trained_model_dir":
        from mteb_hybrid.models.presets import trained_model_dir

        return trained_model_dir
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
