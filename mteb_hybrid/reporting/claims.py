"""The paper's claims checked on our numbers, and each trained group against its untrained base.

Each is decided by `stats.verdicts.decide` on per-query records: the calibrated t interval over seeds and
questions for recipes (at least 2 seeds a side, or a recipe against the untrained base), a question bootstrap
and no holds / fails for two single trained models, TOST for "equivalent", and the design's detectable
difference beside every verdict. Without records (results older than them): Welch's interval over seed means.
Sides evaluated at different lengths get no verdict; sides trained on different machines are marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from mteb_hybrid.data.definitions import load_definitions
from mteb_hybrid.formats.per_query import find_record_files
from mteb_hybrid.stats import Comparison as Interval
from mteb_hybrid.stats import query_scores, read_records, seeds_only
from mteb_hybrid.stats.bootstrap import Direction
from mteb_hybrid.stats.inferred import evaluation_of, training_machine
from mteb_hybrid.stats.verdicts import Decision, decide

from .aggregate import MISSING, group_stats, seed_rows
from .loading import Cell, Experiment
from .paper import KIND_LABEL, KINDS, PAPER_ALPHA, paper_numbers
from .summary import SETTINGS
from .tables import table
from .templates import render


def paper_dataset(task: str) -> str | None:
    """The paper's name of the dataset a task was made from (XQuAD-R for XQuADRRetrieval and its variants: the
    task name begins with the definition's), None for a dataset the paper has no numbers of; paper_numbers.yaml
    names a dataset by its data folder (XQuAD-R: xquad-r)."""
    for d in load_definitions().values():
        if task.startswith(d.name.removesuffix("Retrieval")):
            return next((name for name in paper_numbers().map.values if name.lower() == d.folder), None)
    return None


@dataclass
class Comparison:
    """Our X-X / X-Y / Hybrid (alpha 0.5) groups of one experiment and task that differ only in batching."""

    experiment: Experiment
    task: str
    dataset: str
    key: str  # the other grid variables, "" when there are none
    groups: dict[str, tuple[str, list[Cell]]]  # kind -> (group, cells)
    base: tuple[str, list[Cell]] | None = None


def find_comparisons(experiments: Sequence[Experiment]) -> list[Comparison]:
    """Sets of groups with all three batching kinds (hybrid at the paper's alpha 0.5), equal otherwise."""
    out = []
    for exp in experiments:
        for task in exp.tasks():
            dataset = paper_dataset(task)
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
                key = ", ".join(
                    f"{k}={v}" for k, v in sorted(done[0].params.items()) if k not in ("batching", "alpha", "seed")
                )
                sets.setdefault(key, {}).setdefault(kind, (group, cells))
            out += [
                Comparison(exp, task, dataset, key, kinds, base)
                for key, kinds in sets.items()
                if all(k in kinds for k in KINDS)
            ]
    return out


@dataclass(frozen=True)
class Claim:
    """A claim of the paper: Hybrid against `other` on `metric` in `setting`; `lower` when smaller is better."""

    text: str
    metric: str  # map, or rank_distance (of the pool ranking: setting multi)
    setting: str
    other: str
    lower: bool = False
    spec: str = "{:.3f}"

    @property
    def column(self) -> str:
        return self.metric if self.metric == "rank_distance" else f"{self.metric}_{self.setting}"

    def paper(self, dataset: str, base: str, kind: str) -> float:
        """The paper's figure of batching `kind` with `base` for this claim."""
        if self.metric == "rank_distance":
            return paper_numbers().rank_distance.values[dataset][base][kind]
        return paper_numbers().map.values[dataset][base][kind][SETTINGS.index(self.setting)]


CLAIMS = (
    Claim("Hybrid ≥ X-X on monolingual mAP", "map", "mono", "x-x"),
    Claim("Hybrid ≥ X-Y on cross-lingual mAP", "map", "cross", "x-y"),
    Claim("Hybrid ≥ X-Y on multilingual mAP", "map", "multi", "x-y"),
    Claim("Hybrid rank distance < X-X", "rank_distance", "multi", "x-x", lower=True, spec="{:.1f}"),
)


RESAMPLES = 10_000
BOOTSTRAP_SEED = 0  # fixed: the report is deterministic
DAGGER = "†"  # marks a comparison whose sides were trained on different (or unrecorded) machines


def _cell_values(cells: Sequence[Cell], task: str, column: str) -> list[float]:
    """One summary value per cell (seed) with results for `task`."""
    rows = seed_rows(cells, task)
    return [] if rows.empty else [float(v) for v in rows[column].dropna()]


@dataclass
class SideFacts:
    """How a side's cells were produced: evaluation lengths and training machines (one per cell)."""

    lengths: list[object]
    machines: list[str]
    untrained: bool  # the untrained base: one fixed model, no training noise


def _record_tables(
    cells: Sequence[Cell],
    task: str,
    metrics: Sequence[str],
) -> tuple[list[pd.DataFrame], SideFacts] | None:
    """The record file of each cell with results, read once with `metrics`, and the side's facts; None when
    any such cell has none."""
    tables, paths = [], []
    done = [c for c in cells if task in c.tasks()]
    for cell in done:
        files = find_record_files(cell.path, task) if cell.path.is_dir() else []
        if len(files) != 1:
            return None
        tables.append(read_records(files[0], list(metrics)))
        paths.append(files[0])
    untrained = all(c.batching == "base" for c in done)
    return (tables, facts_of(paths, task, untrained)) if tables else None


def facts_of(paths: Sequence[Path], task: str, untrained: bool) -> SideFacts:
    machines = ["untrained" if untrained else training_machine(p) for p in paths]
    return SideFacts([evaluation_of(p, task)[0].settings.max_seq_length for p in paths], machines, untrained)


def like_for_like(a: SideFacts, b: SideFacts) -> tuple[str | None, bool]:
    """(why the sides may not be compared, or None; whether they were trained on different machines)."""
    lengths = set(map(str, a.lengths + b.lengths))
    if len(lengths) > 1:
        return (
            f"not like for like: max_seq_length {'/'.join(sorted(set(map(str, a.lengths))))} vs "
            f"{'/'.join(sorted(set(map(str, b.lengths))))}",
            False,
        )
    machines = {m for m in a.machines + b.machines if m != "untrained"}
    return None, len(machines) > 1  # two known machines, or a known one and unrecorded ones


def cell_records(
    cells: Sequence[Cell],
    task: str,
    metric: str,
    setting: str,
) -> tuple[list[pd.DataFrame], SideFacts] | None:
    """Per-query frames, one per cell with results, and the side's facts, or None when a cell has no records."""
    found = _record_tables(cells, task, [metric])
    return None if found is None else ([query_scores(t, setting) for t in found[0]], found[1])


def claim_interval(
    claim: Claim,
    hybrid: Sequence[Cell],
    other: Sequence[Cell],
    task: str,
) -> tuple[Decision | Interval | None, str | None, bool]:
    """Hybrid - other: the decision where records exist, else Welch's interval over seed means; with the reason
    it may not be compared (different evaluation lengths) and whether it crosses machines."""
    direction = "less" if claim.lower else "greater"
    a, b = (cell_records(cells, task, claim.metric, claim.setting) for cells in (hybrid, other))
    if a is not None and b is not None:
        refused, crosses = like_for_like(a[1], b[1])
        if refused:
            return None, refused, crosses
        return (
            decide(a[0], b[0], claim.metric, direction=direction, resamples=RESAMPLES, seed=BOOTSTRAP_SEED),
            None,
            crosses,
        )
    va, vb = _cell_values(hybrid, task, claim.column), _cell_values(other, task, claim.column)
    if min(len(va), len(vb)) < 2:
        return None, None, False
    return seeds_only(va, vb, claim.column, direction=direction), None, False


def interval_text(interval: Decision | Interval | None, spec: str) -> str:
    """The interval, what it covers and the design's detectable difference, in words a reader can weigh."""
    if interval is None:
        return render("no_interval")
    signed = spec.replace(":", ":+")
    bounds = f"[{signed.format(interval.low)}, {signed.format(interval.high)}]"
    if isinstance(interval, Interval):
        return render("interval_seeds", bounds=bounds, na=interval.n_seeds_a, nb=interval.n_seeds_b)
    template = "interval_recipes" if interval.level == "recipes" else "interval_models"
    return render(
        template,
        bounds=bounds,
        questions=interval.n_questions,
        na=interval.n_seeds_a,
        nb=interval.n_seeds_b,
        detectable=spec.format(interval.detectable),
    )


def verdict_words(interval: Decision | Interval | None) -> str:
    if interval is None:
        return "inconclusive"
    return interval.words if isinstance(interval, Decision) else str(interval.verdict)


def claim_sentences(comp: Comparison) -> list[str]:
    """One Markdown list item per claim of CLAIMS: verdict, our difference with its interval, the paper's figures."""
    stats = {kind: group_stats(cells, comp.task) for kind, (_, cells) in comp.groups.items()}  # all have results
    out = []
    for claim in CLAIMS:
        spec = claim.spec
        h, o = stats["hybrid"][claim.column]["mean"], stats[claim.other][claim.column]["mean"]  # type: ignore[index]
        interval, refused, crosses = claim_interval(
            claim, comp.groups["hybrid"][1], comp.groups[claim.other][1], comp.task
        )
        verdict = refused or verdict_words(interval) + (f" {DAGGER} (trained on different machines)" if crosses else "")
        paper = "; ".join(
            f"{base} {spec.format(claim.paper(comp.dataset, base, 'hybrid'))} vs "
            f"{spec.format(claim.paper(comp.dataset, base, claim.other))}"
            for base in paper_numbers().bases(comp.dataset)
        )
        out.append(
            render(
                "claim",
                claim=claim.text,
                verdict=str(verdict),
                ours=spec.format(h),
                other_label=KIND_LABEL[claim.other],
                other=spec.format(o),
                diff=spec.replace(":", ":+").format(h - o),
                interval=interval_text(interval, spec),
                dataset=comp.dataset,
                paper=paper,
            )
        )
    return out


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


@dataclass
class Records:
    """Each metric's per-query frames of a group's cells (None without records), and how they were produced."""

    frames: dict[BaseMetric, list[pd.DataFrame] | None]
    facts: SideFacts | None


GroupRecords = list[tuple[str, list[Cell], Records]]


def _records(cells: Sequence[Cell], task: str) -> Records:
    """Each metric's per-query frames of `cells` (None without records): each file read once with every metric,
    each setting's per-query view computed once."""
    found = _record_tables(cells, task, sorted({m.metric for m in BASE_METRICS}))
    if found is None:
        return Records(dict.fromkeys(BASE_METRICS), None)
    views = {s: [query_scores(t, s) for t in found[0]] for s in {m.setting for m in BASE_METRICS}}
    return Records({m: views[m.setting] for m in BASE_METRICS}, found[1])


def _cell_text(d: Decision, m: BaseMetric) -> str:
    """`diff [low, high] better/worse/...` with the design's detectable difference."""
    words = d.words if d.level == "models" or d.words.startswith("equivalent") else VERDICT_WORDS[str(d.verdict)]
    return (
        f"{m.spec.format(d.diff)} [{m.spec.format(d.low)}, {m.spec.format(d.high)}] {words} "
        f"(detects {m.spec.format(d.detectable).lstrip('+')})"
    )


def _differences(a: Records, b: Records) -> list[str] | None:
    """A - B per metric as `diff [low, high] better/worse/inconclusive (detects x)`: None when a side has no
    records, MISSING for a setting the evaluation did not score (no pools: no multilingual rows), one "not like
    for like" cell when the evaluation lengths differ, † on every cell when the training machines differ."""
    if a.facts is None or b.facts is None:
        return None
    refused, crosses = like_for_like(a.facts, b.facts)
    if refused:
        return [refused] + [""] * (len(BASE_METRICS) - 1)
    out = []
    for m in BASE_METRICS:
        fa, fb = a.frames[m], b.frames[m]
        if fa is None or fb is None:
            return None
        if any(f.empty for f in (*fa, *fb)):
            out.append(MISSING)
            continue
        d = decide(
            fa,
            fb,
            m.metric,
            direction=m.better,
            resamples=RESAMPLES,
            seed=BOOTSTRAP_SEED,
            untrained_b=b.facts.untrained,
        )
        out.append(_cell_text(d, m) + (f" {DAGGER}" if crosses else ""))
    return out


def trained_group_records(exp: Experiment, task: str) -> GroupRecords:
    """(group, its cells with results, their records) per trained group, read once for both verdict tables."""
    return [
        (group, done, _records(done, task))
        for group, cells in exp.groups().items()
        if (done := [c for c in cells if task in c.tasks()]) and done[0].batching != "base"
    ]


def versus_base_table(exp: Experiment, task: str, groups: GroupRecords | None = None) -> str | None:
    """Group minus base per metric, `diff [low, high] better/worse/inconclusive`; None without a base with
    per-query records or without a trained group that has them."""
    base = _records([c for c in exp.cells if c.batching == "base" and task in c.tasks()][:1], task)
    groups = trained_group_records(exp, task) if groups is None else groups
    rows = [
        [group, str(len(done)), *diff]
        for group, done, records in groups
        if (diff := _differences(records, base)) is not None
    ]
    return table(["group", "seeds", *(m.label for m in BASE_METRICS)], rows) if rows else None


def versus_first_group_table(exp: Experiment, task: str, groups: GroupRecords | None = None) -> tuple[str, str] | None:
    """(first group, table): every other trained group minus the first trained group with per-query records,
    as versus_base_table; None with fewer than two such groups."""
    groups = trained_group_records(exp, task) if groups is None else groups
    groups = [g for g in groups if all(r is not None for r in g[2].frames.values())]
    if len(groups) < 2:
        return None
    (first, first_cells, first_records), others = groups[0], groups[1:]
    rows = [
        [group, f"{len(done)} vs {len(first_cells)}", *_differences(records, first_records)]
        for group, done, records in others
    ]
    return first, table(["group", "seeds", *(m.label for m in BASE_METRICS)], rows)
