"""The training record beside a trained model (`mteb_hybrid_training.json`): one schema for writer and readers.

Version 1 files (no `schema_version`, no early-stopping fields) still load: missing fields take their defaults.
`read_record_head` reads only what naming and loading a model folder needs (name, revision, language token), from
a record of any version or a hand-written one holding just those keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mteb_hybrid.files import write_atomic

TRAINING_RECORD_FILE = "mteb_hybrid_training.json"
SCHEMA_VERSION = 2  # 2: schema_version, early stopping (stopped_step, best_step, stopped_early, best_eval_loss)


class TrainingStats(BaseModel):
    """How the run went."""

    model_config = ConfigDict(extra="forbid")

    global_step: int
    epoch: float | None = None
    train_loss: float | None = None  # last logged training loss
    mean_train_loss_session: float | None = None
    final_eval: dict[str, float] = Field(default_factory=dict)  # metrics of the saved weights
    wall_time_s: float
    world_size: int = 1
    train_rows: int
    validation_rows: int
    stopped_step: int | None = None  # the last step trained (== global_step)
    best_step: int | None = None  # the checkpoint restored by early stopping; None: the last step's weights
    stopped_early: bool = False  # early stopping ended the run before its step cap
    best_eval_loss: float | None = None


class TrainingRecord(BaseModel):
    """Everything a trained model folder says about how it was made."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1  # files without the field are version 1
    name: str
    revision: str
    weights_sha256: str
    base: str
    base_model: str
    base_kind: str
    prompts: dict[str, str] = Field(default_factory=dict)
    language_prefix: str | None = None
    languages: list[str]
    config: dict[str, Any]  # TrainConfig.to_dict(); a dict, so records of older option sets still load
    sources: dict[str, int]
    training: TrainingStats
    versions: dict[str, str] = Field(default_factory=dict)
    finished_at: str


def write_training_record(folder: str | Path, record: TrainingRecord) -> Path:
    """Write `record` atomically into `folder`; returns the file."""
    text = json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return write_atomic(Path(folder) / TRAINING_RECORD_FILE, text)


def read_training_record(folder: str | Path) -> TrainingRecord:
    """The record of a trained model folder; a one-line error naming the file and the field if it is broken."""
    path = Path(folder) / TRAINING_RECORD_FILE
    try:
        return TrainingRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))  # NaN losses parse
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or '<file>'}: {err['msg']}" for err in e.errors())
        raise ValueError(f"{path}: {problems}. Fix: retrain the model or restore the file") from None


class RecordHead(BaseModel):
    """The fields of a training record that name a model folder and say how to encode with it; the other keys
    are left to `read_training_record` (a folder is named and hashed even when they are from another version)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str | None = None
    revision: str | None = None
    language_prefix: str | None = None  # the language token written before each text (M2M-100), if any


class RecordHeadError(ValueError):
    """A training record whose head does not read: one line naming the file (and the field)."""


def read_record_head(folder: str | Path) -> RecordHead | None:
    """The head of `folder`'s training record; None when the folder holds none; RecordHeadError naming the file
    (and field) for one that is not JSON, not an object, or holds a name, revision or token that is not text."""
    path = Path(folder) / TRAINING_RECORD_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise RecordHeadError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(raw, dict):
        raise RecordHeadError(f"{path}: expected a JSON object")
    try:
        return RecordHead.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        raise RecordHeadError(f"{path}: field {'.'.join(map(str, err['loc']))!r}: {err['msg']}") from None
