"""Hybrid-batch training: parallel QA rows -> per-source datasets -> sentence-transformers Trainer.

Public API: `TrainConfig`, `train(config) -> TrainResult`, `read_training_info(folder)`, `trained_model_dir(name)`.
Each name is imported on first use: `mteb-hybrid train --help` never loads torch, datasets or sentence-transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "TrainConfig": ".config",
    "train": ".trainer",
    "TrainResult": ".trainer",
    "read_training_info": ".trainer",
    "trained_model_dir": "mteb_hybrid.models.presets",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
