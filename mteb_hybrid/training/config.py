"""`TrainConfig`: every choice of a training run, in one serialisable object.

Defaults follow the paper where it states them (AdamW, lr 3e-5, weight decay 0.01, hybrid batching
with alpha 0.5, in-batch-negative loss with sentence-transformers' scale 20) and the hardware here
otherwise (batch 32, sentence-only passages, max_seq_length 128).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .losses import LOSS_NAMES
from .rows import CANDIDATE_FORMS
from .sources import BATCHING_MODES


@dataclass
class TrainConfig:
    """One training run. `output_dir=None` means `trained_model_dir(model_name)`."""

    base: str = "me5-small"
    data: list[str] = field(default_factory=lambda: ["mlqa-r"])
    data_dir: str | None = None
    languages: list[str] | None = None
    candidate_form: str = "sentence"
    batching: str = "hybrid"
    alpha: float = 0.5
    loss: str = "mnrl"
    mini_batch_size: int = 32
    scale: float = 20.0
    batch_size: int = 32
    grad_accum: int = 1
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    warmup: float = 0.1  # < 1: fraction of the steps; >= 1: a number of steps
    max_steps: int | None = None
    epochs: float = 1.0
    seed: int = 42
    max_seq_length: int | None = 128
    validation_fraction: float = 0.05
    validation_seed: int = 42  # the held-out split and its batches; independent of `seed`
    eval_steps: int | None = None
    early_stopping_patience: int | None = None  # evaluations without a lower validation loss; 0/None = off
    save_steps: int = 500
    save_total_limit: int | None = 2
    logging_steps: int = 10
    resume: bool = False
    keep_checkpoints: bool = False  # keep output/checkpoints/ after a successful run
    eval_tasks: list[str] = field(default_factory=list)
    allow_overlap: bool = False
    use_negatives: bool | None = None
    output_dir: str | None = None
    model_name: str | None = None
    device: str | None = None
    num_threads: int | None = None  # torch CPU threads (None: torch's default)

    def __post_init__(self) -> None:
        if self.batching not in BATCHING_MODES:
            raise ValueError(f"batching must be one of {BATCHING_MODES}, got {self.batching!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"loss must be one of {LOSS_NAMES}, got {self.loss!r}")
        if self.candidate_form not in CANDIDATE_FORMS:
            raise ValueError(f"candidate_form must be one of {CANDIDATE_FORMS}, got {self.candidate_form!r}")
        for name in ("batch_size", "grad_accum", "mini_batch_size", "save_steps", "logging_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")
        if self.early_stopping_patience:
            if self.early_stopping_patience < 0:
                raise ValueError(f"early_stopping_patience must be >= 0, got {self.early_stopping_patience}")
            if not self.eval_steps:
                raise ValueError("early_stopping_patience needs eval_steps (the evaluation interval). Fix: set eval_steps")
            if self.validation_fraction <= 0:
                raise ValueError("early_stopping_patience needs a held-out split. Fix: set validation_fraction > 0")
        if isinstance(self.data, str):
            self.data = [self.data]
        if not self.data:
            raise ValueError("give at least one data source")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {sorted(unknown)}")
        return cls(**raw)

    def resolved_output_dir(self, model_name: str) -> Path:
        from mteb_hybrid.models.presets import trained_model_dir

        return Path(self.output_dir) if self.output_dir else trained_model_dir(model_name)
