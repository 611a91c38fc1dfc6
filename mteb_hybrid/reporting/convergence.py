"""Time to target: steps and wall time each cell's training needed to get close to the best, from train_log.jsonl.

The metric is one the cells compare on: a benchmark probe every cell measures on the same data, else their losses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .templates import render

TARGET_FRACTION = 0.95
_NOT_CURVES = ("runtime", "per_second", "epoch", "learning_rate", "grad_norm", "total_flos")


@dataclass(frozen=True)
class TargetRow:
    """When one cell first reached the target (None: never), and its last logged value."""

    cell: str
    final: float | None
    step: float | None
    wall_time: float | None
    evaluations: int


@dataclass(frozen=True)
class TimeToTarget:
    """The target over an experiment's cells and when each cell reached it."""

    metric: str
    higher_is_better: bool
    fraction: float
    best_final: float
    target: float
    rows: list[TargetRow]

    @property
    def definition(self) -> str:
        """The target's definition with its numbers, as the report states it."""
        return render(
            "target_higher" if self.higher_is_better else "target_lower",
            metric=self.metric,
            fraction=f"{self.fraction:g}",
            best=f"{self.best_final:.4g}",
            target=f"{self.target:.4g}",
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def choose_metric(logs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str | None:
    """The convergence metric: an nDCG@10 evaluation, else another benchmark metric, else eval_loss, else loss."""
    keys = {
        k
        for log in logs.values()
        for r in log
        for k, v in r.items()
        if _is_number(v) and not any(x in k for x in _NOT_CURVES)
    }
    for pick in (
        lambda k: k.startswith("eval_") and "ndcg_at_10" in k,
        lambda k: k.startswith("eval_benchmark_"),
        lambda k: k == "eval_loss",
        lambda k: k.startswith("eval_"),
        lambda k: k == "loss",
    ):
        found = sorted(k for k in keys if pick(k))
        if found:
            return found[0]
    return None


def metric_points(log: Sequence[Mapping[str, Any]], metric: str) -> list[tuple[float, float, float]]:
    """(step, wall_time, value) of every record with a finite value of `metric`, in log order."""
    return [
        (float(r.get("step", math.nan)), float(r.get("wall_time", math.nan)), float(r[metric]))
        for r in log
        if _is_number(r.get(metric)) and math.isfinite(r[metric])
    ]


def values_by_step(
    logs: Mapping[str, Sequence[Mapping[str, Any]]], metric: str
) -> tuple[list[float], dict[str, dict[float, float]]]:
    """The steps at which every cell logged `metric` (ascending) and each cell's value at them: the points where
    curves compare like for like (the last record of a step wins)."""
    values = {cell: {s: v for s, _, v in metric_points(log, metric)} for cell, log in logs.items()}
    values = {cell: v for cell, v in values.items() if v}
    shared = set.intersection(*(set(v) for v in values.values())) if values else set()
    steps = sorted(s for s in shared if math.isfinite(s))
    return steps, {cell: {s: v[s] for s in steps} for cell, v in values.items()}


def is_shared_probe(metric: str) -> bool:
    """A metric every cell measures on the same data (the benchmark probe), so curves compare across cells."""
    return metric.startswith("eval_benchmark_")


# Training settings that decide a cell's held-out rows, their fixed batches and the loss computed on them.
VALIDATION_INPUTS = (
    "base",
    "data",
    "languages",
    "candidate_form",
    "validation_fraction",
    "validation_seed",
    "validation_batch_size",
    "max_seq_length",
    "use_negatives",
    "scale",
)


def shares_validation(trains: Sequence[Mapping[str, Any] | None]) -> bool:
    """Whether every cell's eval_loss is one measurement: the same held-out rows in the same fixed batches, with a
    `validation_batch_size` set by each (cells without it validated in their own --batch-size), so the losses race
    like a shared probe."""
    if not trains or any(t is None or not t.get("validation_batch_size") for t in trains):
        return False
    return len({tuple(repr(t.get(k)) for k in VALIDATION_INPUTS) for t in trains if t is not None}) == 1


def time_to_target(logs: Mapping[str, Sequence[Mapping[str, Any]]]) -> TimeToTarget | None:
    """Steps and wall time each cell needed to reach TARGET_FRACTION of the best final metric (see `definition`);
    loss-like metrics (name contains "loss") are lower-is-better. None when no log holds a metric."""
    metric = choose_metric(logs)
    points = {cell: p for cell, log in logs.items() if metric and (p := metric_points(log, metric))}
    if metric is None or not points:
        return None
    higher = "loss" not in metric
    best = (max if higher else min)(p[-1][2] for p in points.values())
    target = best * TARGET_FRACTION if higher else best / TARGET_FRACTION
    rows = []
    for cell, p in points.items():
        step, wall_time = next(((s, w) for s, w, v in p if (v >= target if higher else v <= target)), (None, None))
        rows.append(TargetRow(cell, p[-1][2], step, wall_time, len(p)))
    return TimeToTarget(metric, higher, TARGET_FRACTION, best, target, rows)
