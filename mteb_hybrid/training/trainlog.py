"""The convergence log of a training run: train_log.jsonl (+ a CSV view) with step, epoch and wall time."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from mteb_hybrid.formats.train_log import LOG_JSONL, WALL_TIME_FILE, log_line, read_log, read_wall_time, write_wall_time

LOG_CSV = "train_log.csv"
__all__ = ["LOG_CSV", "LOG_JSONL", "WALL_TIME_FILE", "TrainLogCallback", "progress_line", "read_train_log"]


_active: TrainLogCallback | None = None  # the run this process is training, for a clean Ctrl-C message


class TrainLogCallback(TrainerCallback):
    """Appends every log (loss, eval metrics) with step, epoch and wall time to train_log.jsonl (+ CSV). Wall time
    sums resumed sessions (each checkpoint stores it); a resumed run drops the lines of steps it trains again.
    A resumed run says so when it starts, and keeps this session's steps and seconds apart from the total."""

    def __init__(self, output_dir: Path, resume_from: str | None) -> None:
        self.output_dir, self.jsonl, self.csv = output_dir, output_dir / LOG_JSONL, output_dir / LOG_CSV
        self.resume_from = resume_from
        self.offset, self.start = 0.0, time.perf_counter()
        self.resumed_step: int | None = None  # the step this session started from (None: a fresh run)
        self.step, self.max_steps, self.last_checkpoint = 0, 0, resume_from

    def elapsed(self) -> float:
        """Seconds of training over all sessions (the earlier, interrupted ones included)."""
        return self.offset + time.perf_counter() - self.start

    def session_seconds(self) -> float:
        """Seconds of this session only."""
        return time.perf_counter() - self.start

    def session_steps(self) -> int:
        """Steps trained by this session only."""
        return self.step - (self.resumed_step or 0)

    def on_train_begin(self, args, state, control, **kwargs) -> None:  # noqa: ANN001
        global _active
        self.start = time.perf_counter()
        self.step, self.max_steps, _active = state.global_step, state.max_steps, self
        if not state.is_world_process_zero:
            return
        kept: list[str] = []
        if self.resume_from:
            if self.jsonl.is_file():
                kept = [r for r in read_log(self.jsonl) if r["step"] <= state.global_step]
            wall = read_wall_time(self.resume_from)
            if wall is not None:
                self.offset = wall
            elif kept:  # a checkpoint without its wall time: the last kept log line's
                self.offset = float(kept[-1]["wall_time"])
            self.resumed_step = state.global_step
            print(
                f"resuming from {self.resume_from}: step {state.global_step} of {state.max_steps} done in "
                f"{self.offset:.0f}s before; this run trains steps {state.global_step + 1}-{state.max_steps}",
                flush=True,
            )
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.jsonl.write_text("".join(map(log_line, kept)), encoding="utf-8")

    def on_step_end(self, args, state, control, **kwargs) -> None:  # noqa: ANN001
        self.step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:  # noqa: ANN001
        if state.is_world_process_zero and logs:
            self.append({"step": state.global_step, "epoch": state.epoch}, logs)

    def append(self, head: dict[str, Any], fields: dict[str, Any]) -> None:
        """Append one record to train_log.jsonl: `head`, the wall time and timestamp, then `fields`."""
        record = {**head, "wall_time": round(self.elapsed(), 3), "timestamp": round(time.time(), 3), **fields}
        with self.jsonl.open("a", encoding="utf-8") as f:
            f.write(log_line(record))

    def on_save(self, args, state, control, **kwargs) -> None:  # noqa: ANN001
        if not state.is_world_process_zero:
            return
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            write_wall_time(checkpoint, self.elapsed())
            self.last_checkpoint = str(checkpoint)
        self.write_csv()

    def on_train_end(self, args, state, control, **kwargs) -> None:  # noqa: ANN001
        global _active
        _active = None if _active is self else _active
        if state.is_world_process_zero:
            self.write_csv()

    def write_csv(self) -> None:
        """CSV view of train_log.jsonl: one row per record, the union of the fields in order of appearance."""
        if self.jsonl.is_file():
            records = read_train_log(self.jsonl)
            with self.csv.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for r in records for k in r)))
                writer.writeheader()
                writer.writerows(records)


def read_train_log(path: str | Path) -> list[dict[str, Any]]:
    """The records of a train_log.jsonl (a line that is not one: a one-line TrainLogError naming it)."""
    return read_log(path)


def progress_line(steps: int, total_seconds: float, resumed_step: int | None, session_seconds: float) -> str:
    """'N steps in Ts', and for a resumed run what this run did apart from the earlier sessions."""
    if resumed_step is None:
        return f"{steps} steps in {total_seconds:.0f}s"
    return (
        f"resumed at step {resumed_step}: {steps - resumed_step} steps in {session_seconds:.0f}s this run "
        f"({steps} steps, {total_seconds:.0f}s of training in all)"
    )


def interrupted_message(resume: str) -> str:
    """One line for Ctrl-C: where training stopped and the checkpoint a re-run starts from. `resume` says how to
    re-run ('run the same command again', 'add --resume to the same command')."""
    run = _active
    if run is None:
        return "interrupted"
    where = f"interrupted at step {run.step} of {run.max_steps}"
    if run.last_checkpoint is None:
        return f"{where}; no checkpoint written yet, so a re-run starts from the beginning"
    return f"{where}; {resume} to continue from {run.last_checkpoint}"
