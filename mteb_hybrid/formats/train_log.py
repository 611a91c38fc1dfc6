"""The convergence log of a training run (`train_log.jsonl`, one JSON object a line) and the wall time a
checkpoint keeps (`mteb_hybrid_wall_time.json`): their schema, writer and readers.

A log line is the step, epoch, wall time (seconds over all sessions) and timestamp, then whatever the trainer
logged (loss, learning rate, eval_* metrics); those keys are kept as they are. The format has no version key:
every log written so far has this shape, so an older log reads as a new one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mteb_hybrid.files import write_atomic

LOG_JSONL = "train_log.jsonl"
WALL_TIME_FILE = "mteb_hybrid_wall_time.json"


Number = int | float  # an int stays an int (epoch 0 is logged as 0), so a record reads back as it was written


class LogRecord(BaseModel):
    """One line of train_log.jsonl: the keys every line starts with, typed, and the logged values (extra)."""

    model_config = ConfigDict(extra="allow")

    step: int | None = None
    epoch: Number | None = None
    wall_time: Number | None = None
    timestamp: Number | None = None


class WallTime(BaseModel):
    """mteb_hybrid_wall_time.json in a checkpoint: seconds trained up to it, over all sessions."""

    model_config = ConfigDict(extra="forbid")

    wall_time: float


class TrainLogError(ValueError):
    """A log or wall-time file that does not read: one line naming the file, the line or field, and the fix."""


def log_line(record: dict[str, Any]) -> str:
    """One record as the line the log holds (its keys in the order given)."""
    return json.dumps(LogRecord.model_validate(record).model_dump(exclude_unset=True)) + "\n"


def parse_line(line: str) -> dict[str, Any] | None:
    """The record of one log line, its keys in file order; None for a line that is not a record (blank, cut
    off by a run still writing, or of the wrong shape)."""
    try:
        raw = json.loads(line)
        return LogRecord.model_validate(raw).model_dump(exclude_unset=True) if isinstance(raw, dict) else None
    except (ValueError, ValidationError):  # JSONDecodeError is a ValueError
        return None


def read_log(path: str | Path, *, strict: bool = True) -> list[dict[str, Any]]:
    """The records of a train_log.jsonl. `strict`: a line that is not a record is a TrainLogError naming the file
    and line; else it is skipped (the report reads logs of runs that are still writing their last line)."""
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = parse_line(line)
        if record is None and strict:
            raise TrainLogError(
                f"{path}: line {number}: not a log record (a JSON object whose step, epoch, wall_time and timestamp "
                "are numbers); "
                "remove the line or the file and train again"
            )
        if record is not None:
            out.append(record)
    return out


def write_wall_time(checkpoint: str | Path, seconds: float) -> Path:
    """Record in a checkpoint folder the training seconds up to it."""
    return write_atomic(Path(checkpoint) / WALL_TIME_FILE, json.dumps(WallTime(wall_time=seconds).model_dump()))


def read_wall_time(checkpoint: str | Path) -> float | None:
    """The training seconds a checkpoint recorded; None when it has no wall-time file; TrainLogError when the file
    is not one."""
    path = Path(checkpoint) / WALL_TIME_FILE
    if not path.is_file():
        return None
    try:
        return WallTime.model_validate_json(path.read_text(encoding="utf-8")).wall_time
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(map(str, err["loc"])) or "<file>"
        raise TrainLogError(f"{path}: {where}: {err['msg']}; delete the file to resume without it") from None
