"""The paper's claims checked on our numbers: which groups compare, whether each claim holds, its sentence.

Each claim is decided with a 95% interval on Hybrid minus the other kind: a paired bootstrap over questions
(and seeds) where every cell has per-query records, else Welch's interval over seed means, else none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mteb_hybrid.stats import Comparison as Interval
from mteb_hybrid.stats import Verdict, paired_bootstrap, query_scores, read_records, seeds_only
from mteb_hybrid.stats.records import find_record_files

from .aggregate import group_stats, seed_rows
from .loading import Cell, Experiment
from .paper import KIND_LABEL, KINDS, PAPER_ALPHA, paper_numbers
from .templates import render


@dataclass
class Comparison:
    """Our X-X / X-Y / Hybrid (alpha 0.5) groups of one experiment and task that differ only in batching."""

    experiment: Experiment
    task: str
    dataset: str
    key: str  # the other grid variables, "" when there are none
    groups: dict[str, tuple[str, list[Cell]]]  # kind -> (group, cells)
    base: tuple[str, list[Cell]] | None = None


def dataset_label(task: str) -> str | None:
    """The paper's dataset name of a task (XQuAD-R / MLQA-R), None for other tasks."""
    names = {"XQuADR": "XQuAD-R", "MLQAR": "MLQA-R"}
    return next((name for prefix, name in names.items() if task.startswith(prefix)), None)


def find_comparisons(experiments: Sequence[Experiment]) -> list[Comparison]:
    """Sets of groups with all three batching kinds (hybrid at the paper's alpha 0.5), equal otherwise."""
    out = []
    for exp in experiments:
        for task in exp.tasks():
            dataset = dataset_label(task)
            if dataset is None:
                continue
            sets: dict[str, dict[str, tuple[str, list[Cell]]]] = {}
            base = None
            for group, cells in exp.groups().items():
                done = [c for c in cells if task in c.tasks()]
                if not done:
                    continue
                kind = done[0].batching
                if kind == "base":
                    base = base or (group, cells)
                    continue
                if kind not in KINDS or (kind == "hybrid" and done[0].alpha not in (None, PAPER_ALPHA)):
                    continue
                other = {k: v for k, v in done[0].params.items() if k not in ("batching", "alpha", "seed")}
                key = ", ".join(f"{k}={v}" for k, v in sorted(other.items()))
                sets.setdefault(key, {}).setdefault(kind, (group, cells))
            for key, kinds in sets.items():
                if all(k in kinds for k in KINDS):
                    out.append(Comparison(exp, task, dataset, key, kinds, base))
    return out


@dataclass(frozen=True)
class Claim:
    """A claim of the paper: Hybrid against `other` on `column`; `lower` when smaller is better."""

    text: str
    column: str
    other: str
    paper_index: int | None  # position in the paper's (mono, cross, multi) mAP; None: rank distance
    lower: bool = False
    spec: str = "{:.3f}"

    @property
    def metric_setting(self) -> tuple[str, str]:
        """The per-query metric and the paper's setting behind the summary column."""
        if self.column == "rank_distance":
            return "rank_distance", "multi"
        metric, _, setting = self.column.rpartition("_")
        return metric, setting


CLAIMS = (
    Claim("Hybrid ≥ X-X on monolingual mAP", "map_mono", "x-x", 0),
    Claim("Hybrid ≥ X-Y on cross-lingual mAP", "map_cross", "x-y", 1),
    Claim("Hybrid ≥ X-Y on multilingual mAP", "map_multi", "x-y", 2),
    Claim("Hybrid rank distance < X-X", "rank_distance", "x-x", None, lower=True, spec="{:.1f}"),
)


RESAMPLES = 10_000
BOOTSTRAP_SEED = 0  # fixed: the report is deterministic


def _cell_values(cells: Sequence[Cell], task: str, column: str) -> list[float]:
    """One summary value per cell (seed) with results for `task`."""
    rows = seed_rows(cells, task)
    return [] if rows.empty else [float(v) for v in rows[column].dropna()]


def cell_records(cells: Sequence[Cell], task: str, metric: str, setting: str) -> list[pd.DataFrame] | None:
    """Per-query frames, one per cell with results, or None when any such cell has no records."""
    frames = []
    for cell in cells:
        if not cell.done or task not in cell.tasks():
            continue
        files = find_record_files(cell.path, task) if cell.path.is_dir() else []
        if len(files) != 1:
            return None
        frames.append(query_scores(read_records(files[0], [metric]), setting))
    return frames or None


def claim_interval(claim: Claim, hybrid: Sequence[Cell], other: Sequence[Cell], task: str) -> Interval | None:
    """Hybrid - other with a 95% interval: the two-level bootstrap where records exist, else seeds alone."""
    direction = "less" if claim.lower else "greater"
    metric, setting = claim.metric_setting
    a, b = cell_records(hybrid, task, metric, setting), cell_records(other, task, metric, setting)
    if a is not None and b is not None:
        return paired_bootstrap(a, b, metric, direction=direction, resamples=RESAMPLES, seed=BOOTSTRAP_SEED)
    va, vb = _cell_values(hybrid, task, claim.column), _cell_values(other, task, claim.column)
    if min(len(va), len(vb)) < 2:
        return None
    return seeds_only(va, vb, claim.column, direction=direction)


def paper_pairs(claim: Claim, dataset: str) -> dict[str, tuple[float, float]]:
    """The paper's (Hybrid, other) figures of a claim, per base model."""
    numbers, out = paper_numbers(), {}
    for base in numbers.bases(dataset):
        if claim.paper_index is None:
            rd = numbers.rank_distance.values[dataset][base]
            out[base] = (rd["hybrid"], rd[claim.other])
        else:
            m = numbers.map.values[dataset][base]
            out[base] = (m["hybrid"][claim.paper_index], m[claim.other][claim.paper_index])
    return out


def interval_text(interval: Interval | None, spec: str) -> str:
    """The interval and what it covers, in words a reader can weigh."""
    if interval is None:
        return render("no_interval")
    signed = spec.replace(":", ":+")
    bounds = f"[{signed.format(interval.low)}, {signed.format(interval.high)}]"
    if interval.levels == "seeds":
        return render("interval_seeds", bounds=bounds, na=interval.n_seeds_a, nb=interval.n_seeds_b)
    return render("interval_bootstrap", bounds=bounds, questions=interval.n_questions, na=interval.n_seeds_a,
                  nb=interval.n_seeds_b, seeds=" and seeds" if interval.levels.endswith("+seeds") else "")


def claim_sentences(comp: Comparison) -> list[str]:
    """One Markdown list item per claim of CLAIMS: verdict, our difference with its interval, the paper's figures."""
    stats = {kind: group_stats(cells, comp.task) for kind, (_, cells) in comp.groups.items()}  # all have results
    out = []
    for claim in CLAIMS:
        spec = claim.spec
        h, o = stats["hybrid"][claim.column]["mean"], stats[claim.other][claim.column]["mean"]  # type: ignore[index]
        interval = claim_interval(claim, comp.groups["hybrid"][1], comp.groups[claim.other][1], comp.task)
        verdict = interval.verdict if interval is not None else Verdict.INCONCLUSIVE
        paper = "; ".join(f"{base} {spec.format(ph)} vs {spec.format(po)}"
                          for base, (ph, po) in paper_pairs(claim, comp.dataset).items())
        out.append(render("claim", claim=claim.text, verdict=str(verdict), ours=spec.format(h),
                          other_label=KIND_LABEL[claim.other], other=spec.format(o),
                          diff=spec.replace(":", ":+").format(h - o), interval=interval_text(interval, spec),
                          dataset=comp.dataset, paper=paper))
    return out
