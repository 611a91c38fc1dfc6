"""The paper's claims checked on our numbers: which groups compare, whether each claim holds, its sentence.

`find_comparisons` picks X-X / X-Y / Hybrid groups of one experiment that differ only in batching;
`check_claims` decides each claim with a 95% interval on Hybrid minus the other kind: a paired
bootstrap over questions (and seeds) where every cell has per-query records, else Welch's interval
over seed means (training noise only), else no interval; `claim_sentences` words them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from mteb_hybrid.stats import Comparison as Interval
from mteb_hybrid.stats import Verdict, paired_bootstrap, query_scores, read_records, seeds_only
from mteb_hybrid.stats.records import find_record_files

from .aggregate import group_stats
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

    def stats(self, kind: str) -> pd.DataFrame:
        """Seed aggregates (rows mean / std / n) of every summary column for one batching kind."""
        stats = group_stats(self.groups[kind][1], self.task)
        assert stats is not None, "a comparison only holds groups with results"
        return stats


def dataset_label(task: str) -> str | None:
    """The paper's dataset name of a task (XQuAD-R / MLQA-R), None for other tasks."""
    return next((name for prefix, name in (("XQuADR", "XQuAD-R"), ("MLQAR", "MLQA-R")) if task.startswith(prefix)), None)


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


@dataclass(frozen=True)
class ClaimCheck:
    """One claim decided on one comparison: our two groups' seed stats, the interval, and the paper's pairs."""

    claim: Claim
    dataset: str
    hybrid: pd.Series
    other: pd.Series
    paper: dict[str, tuple[float, float]]  # base model -> (hybrid, other)
    interval: Interval | None  # Hybrid - other; None when neither records nor 2 seeds a side exist

    @property
    def verdict(self) -> Verdict:
        return self.interval.verdict if self.interval is not None else Verdict.INCONCLUSIVE


def _cell_values(cells: Sequence[Cell], task: str, column: str) -> list[float]:
    """One summary value per cell (seed) with results for `task`."""
    out = []
    for cell in cells:
        table = cell.summary()
        if table.empty:
            continue
        row = table[(table["task"] == task) & (table["langs"] == "all")]
        if not row.empty and pd.notna(row[column].iloc[0]):
            out.append(float(row[column].iloc[0]))
    return out


def _cell_records(cells: Sequence[Cell], task: str, metric: str, setting: str) -> list[pd.DataFrame] | None:
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
    a, b = _cell_records(hybrid, task, metric, setting), _cell_records(other, task, metric, setting)
    if a is not None and b is not None:
        return paired_bootstrap(a, b, metric, direction=direction, resamples=RESAMPLES, seed=BOOTSTRAP_SEED)
    va, vb = _cell_values(hybrid, task, claim.column), _cell_values(other, task, claim.column)
    if min(len(va), len(vb)) < 2:
        return None
    return seeds_only(va, vb, claim.column, direction=direction)


def check_claims(comp: Comparison) -> list[ClaimCheck]:
    """Every claim of CLAIMS on one comparison, with the paper's figures for both of its base models."""
    numbers = paper_numbers()
    out = []
    for claim in CLAIMS:
        paper = {}
        for base in numbers.bases(comp.dataset):
            if claim.paper_index is None:
                rd = numbers.rank_distance.values[comp.dataset][base]
                paper[base] = (rd["hybrid"], rd[claim.other])
            else:
                m = numbers.map.values[comp.dataset][base]
                paper[base] = (m["hybrid"][claim.paper_index], m[claim.other][claim.paper_index])
        interval = claim_interval(claim, comp.groups["hybrid"][1], comp.groups[claim.other][1], comp.task)
        out.append(ClaimCheck(claim, comp.dataset, comp.stats("hybrid")[claim.column],
                              comp.stats(claim.other)[claim.column], paper, interval))
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


def claim_sentence(check: ClaimCheck) -> str:
    """One claim as a Markdown list item: verdict, our difference with its interval, the paper's figures."""
    spec, h, o = check.claim.spec, check.hybrid["mean"], check.other["mean"]
    paper = "; ".join(f"{base} {spec.format(ph)} vs {spec.format(po)}" for base, (ph, po) in check.paper.items())
    return render("claim", claim=check.claim.text, verdict=str(check.verdict),
                  ours=spec.format(h), other_label=KIND_LABEL[check.claim.other], other=spec.format(o),
                  diff=spec.replace(":", ":+").format(h - o), interval=interval_text(check.interval, spec),
                  dataset=check.dataset, paper=paper)


def claim_sentences(comp: Comparison) -> list[str]:
    """One sentence per claim of the paper, with our figures and the paper's, saying whether it holds."""
    return [claim_sentence(check) for check in check_claims(comp)]
