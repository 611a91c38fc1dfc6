"""Each trained group of an experiment against its untrained base: where training helped, where it hurt.

The question "did training beat the model it started from?" comes before any comparison of recipes: a
recipe that loses to the base on monolingual retrieval has a cost the recipe ordering hides. The
interval is the paired bootstrap of the statistics issue over the questions of every cell's per-query
records (and over the group's seeds); the base is one model, so its side has one seed.
"""

from __future__ import annotations

from typing import NamedTuple

from mteb_hybrid.stats import paired_bootstrap
from mteb_hybrid.stats.bootstrap import Direction

from .claims import BOOTSTRAP_SEED, RESAMPLES, cell_records
from .loading import Experiment
from .tables import table


class BaseMetric(NamedTuple):
    label: str
    metric: str
    setting: str
    better: Direction  # the direction in which the trained model beats the base
    spec: str


BASE_METRICS = (
    BaseMetric("mAP mono", "map", "mono", "greater", "{:+.3f}"),
    BaseMetric("mAP cross", "map", "cross", "greater", "{:+.3f}"),
    BaseMetric("mAP multi", "map", "multi", "greater", "{:+.3f}"),
    BaseMetric("rank distance", "rank_distance", "multi", "less", "{:+.1f}"),
)
VERDICT_WORDS = {"holds": "better", "fails": "worse", "inconclusive": "inconclusive"}


def versus_base_table(exp: Experiment, task: str) -> str | None:
    """Group minus base per metric, `diff [low, high] better/worse/inconclusive`; None without a base with
    per-query records or without a trained group that has them."""
    base = [c for c in exp.cells if c.batching == "base" and c.done and task in c.tasks()]
    if not base:
        return None
    base_records = {m: cell_records(base[:1], task, m.metric, m.setting) for m in BASE_METRICS}  # read once
    if any(b is None for b in base_records.values()):
        return None
    rows = []
    for group, cells in exp.groups().items():
        done = [c for c in cells if c.done and task in c.tasks()]
        if not done or done[0].batching == "base":
            continue
        row = [group, str(len(done))]
        for m in BASE_METRICS:
            a, b = cell_records(done, task, m.metric, m.setting), base_records[m]
            if a is None:
                break
            r = paired_bootstrap(a, b, m.metric, direction=m.better, resamples=RESAMPLES, seed=BOOTSTRAP_SEED)
            row.append(f"{m.spec.format(r.diff)} [{m.spec.format(r.low)}, {m.spec.format(r.high)}] "
                       f"{VERDICT_WORDS[str(r.verdict)]}")
        else:
            rows.append(row)
    if not rows:
        return None
    return table(["group", "seeds", *(m.label for m in BASE_METRICS)], rows)
