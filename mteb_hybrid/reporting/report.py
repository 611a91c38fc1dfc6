"""`mteb-hybrid report`: results/REPORT.md (+ PNG plots) over every experiment in results/experiments/.

summary.py turns one folder of mteb result files into the paper's Table 1. An experiment is a grid
of cells (one trained or base model each, possibly repeated over seeds), so this module groups the
cells, aggregates seeds (mean ± sample std), reads the training logs for convergence, and checks
the paper's claims against our numbers. Anything missing (a running experiment, a cell without
result files, a broken file) shows as "(pending)" or an error note: the report never stops on it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from mteb_hybrid.data.errors import DataFormatError

from . import plots
from .summary import SETTINGS, load_scores, summarize

logger = logging.getLogger(__name__)

PENDING = "(pending)"
MISSING = "-"
EXPERIMENTS_DIR = "experiments"
PLOTS_DIR = "plots"
REPORT_FILE = "REPORT.md"
TARGET_FRACTION = 0.95
KINDS = ("x-x", "x-y", "hybrid")
KIND_LABEL = {"x-x": "X-X", "x-y": "X-Y", "hybrid": "Hybrid"}
PAPER_ALPHA = 0.5

# Table 1 of Elmahdy, Lin, Ahmad 2024 (arXiv 2408.10536), as in reference/method.md: mAP (mono, cross, multi).
PAPER_MAP: dict[str, dict[str, dict[str, tuple[float, float, float]]]] = {
    "XQuAD-R": {
        "XLM-R": {"x-x": (0.792, 0.674, 0.547), "x-y": (0.755, 0.700, 0.593), "hybrid": (0.798, 0.705, 0.593)},
        "LaBSE": {"x-x": (0.808, 0.752, 0.652), "x-y": (0.801, 0.762, 0.679), "hybrid": (0.817, 0.767, 0.682)},
    },
    "MLQA-R": {
        "XLM-R": {"x-x": (0.648, 0.584, 0.473), "x-y": (0.626, 0.620, 0.508), "hybrid": (0.648, 0.623, 0.512)},
        "LaBSE": {"x-x": (0.681, 0.656, 0.550), "x-y": (0.671, 0.677, 0.576), "hybrid": (0.686, 0.681, 0.579)},
    },
}
# The paper's mean rank distance (lower is better).
PAPER_RD: dict[str, dict[str, dict[str, float]]] = {
    "XQuAD-R": {"XLM-R": {"x-x": 410.2, "x-y": 295.4, "hybrid": 286.6},
                "LaBSE": {"x-x": 261.5, "x-y": 225.2, "hybrid": 221.1}},
    "MLQA-R": {"XLM-R": {"x-x": 287.5, "x-y": 226.7, "hybrid": 227.1},
               "LaBSE": {"x-x": 225.3, "x-y": 198.3, "hybrid": 195.0}},
}

# summary.table columns this report shows, and their headers.
MAIN_COLUMNS = [*(f"map_{s}" for s in SETTINGS), *(f"ndcg_at_10_{s}" for s in SETTINGS), "rank_distance",
                "same_language_at_10"]
HEADERS = {**{f"map_{s}": f"mAP {s}" for s in SETTINGS}, **{f"ndcg_at_10_{s}": f"nDCG@10 {s}" for s in SETTINGS},
           "rank_distance": "RD", "same_language_at_10": "same-lang@10"}


# ============================================================================================ loading


@dataclass
class Cell:
    """One cell of an experiment: its cell.json, its scores (load_scores' long table) and its train log."""

    experiment: str
    cell_id: str
    path: Path
    info: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"  # "done" (cell.json says done and result files exist), "pending", "error"
    note: str = ""  # why it is pending or broken, for the report
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    log: list[dict[str, Any]] = field(default_factory=list)
    group_hint: str | None = None  # the group of a cell without cell.json, guessed from its id (hybrid-s3)
    _summary: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.status == "done" and not self.scores.empty

    @property
    def group(self) -> str:
        return str(self.info.get("group") or self.group_hint or self.cell_id)

    @property
    def seed(self) -> int | None:
        """The cell's seed; a single-seed experiment records it only in the train config."""
        seed = self.info.get("seed")
        return seed if seed is not None else (self.train or {}).get("seed")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.info.get("params") or {})

    @property
    def train(self) -> dict[str, Any] | None:
        return self.info.get("train")

    @property
    def unseen(self) -> list[str]:
        """Query languages the model never trained on: from the cell's training languages where recorded
        (a 1-language cell has 10 unseen XQuAD-R languages), else the experiment's `unseen_languages`."""
        trained = self.info.get("training_languages")
        if trained and self.done:
            return sorted(set(self.scores["query_lang"]) - {str(x).lower() for x in trained})
        return [str(x).lower() for x in self.info.get("unseen_languages") or []]

    @property
    def batching(self) -> str | None:
        """x-x / x-y / hybrid from params or the train config; "base" for an untrained model."""
        raw = self.params.get("batching") or (self.train or {}).get("batching")
        if raw is None:
            return "base" if self.info and self.train is None else None
        return _normalize_kind(str(raw))

    @property
    def alpha(self) -> float | None:
        raw = self.params.get("alpha", (self.train or {}).get("alpha"))
        return None if raw is None else float(raw)

    def tasks(self) -> list[str]:
        return sorted(set(self.scores["task"])) if self.done else []


def _normalize_kind(raw: str) -> str:
    key = raw.strip().lower().replace("_", "-")
    return {"xx": "x-x", "x-x-mono": "x-x", "mono": "x-x", "xy": "x-y"}.get(key, key)


@dataclass
class Experiment:
    """An experiment folder: experiment.json (may be missing while it starts) and its cells in order."""

    name: str
    path: Path
    description: str = ""
    config: dict[str, Any] | None = None
    cells: list[Cell] = field(default_factory=list)
    note: str = ""

    def groups(self) -> dict[str, list[Cell]]:
        """Cells by seed group, in the order the groups first appear."""
        out: dict[str, list[Cell]] = {}
        for c in self.cells:
            out.setdefault(c.group, []).append(c)
        return out

    def tasks(self) -> list[str]:
        return sorted({t for c in self.cells for t in c.tasks()})


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def read_log(path: Path) -> list[dict[str, Any]]:
    """train_log.jsonl records; a half-written last line (training still running) is skipped."""
    records: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def load_cell(experiment: str, path: Path) -> Cell:
    """A cell folder as far as it exists: never raises, the problem goes into `status` / `note`."""
    cell = Cell(experiment=experiment, cell_id=path.name, path=path)
    log_path = path / "train" / "train_log.jsonl"
    if log_path.is_file():
        cell.log = read_log(log_path)
    info_path = path / "cell.json"
    if not info_path.is_file():
        cell.note = "not started" if not path.is_dir() else "no cell.json yet"
        return cell
    try:
        cell.info = _read_json(info_path)
    except (OSError, ValueError) as e:
        cell.status, cell.note = "error", f"cell.json unreadable ({e})"
        return cell
    if cell.info.get("status") != "done":
        cell.note = f"status {cell.info.get('status')!r}"
        return cell
    if not (path / "results").is_dir():
        cell.note = "no result files"
        return cell
    try:
        cell.scores = load_scores(path / "results")
    except (DataFormatError, ValueError, OSError) as e:
        cell.status, cell.note = "error", str(e).splitlines()[0].replace(f"{path}{os.sep}", "")
        return cell
    cell.status = "done" if not cell.scores.empty else "pending"
    cell.note = "" if cell.done else "no LAReQA results"
    return cell


def load_experiment(path: Path) -> Experiment:
    """experiment.json's cells in its order, then any other cell folder found (never raises)."""
    exp = Experiment(name=path.name, path=path)
    ids: list[str] = []
    meta = path / "experiment.json"
    if meta.is_file():
        try:
            raw = _read_json(meta)
            exp.name = str(raw.get("name") or path.name)
            exp.description = str(raw.get("description") or "")
            exp.config = raw.get("config")
            ids = [str(c) for c in raw.get("cells") or []]
        except (OSError, ValueError) as e:
            exp.note = f"experiment.json unreadable ({e})"
    else:
        exp.note = "no experiment.json yet"
    ids += sorted(p.name for p in path.iterdir() if p.is_dir() and (p / "cell.json").is_file() and p.name not in ids)
    exp.cells = [load_cell(exp.name, path / cell_id) for cell_id in ids]
    _guess_pending_groups(exp.cells)
    return exp


_SEED_SUFFIX = re.compile(r"^(?P<group>.+)-s\d+$")


def _guess_pending_groups(cells: Sequence[Cell]) -> None:
    """A seed not started yet has no cell.json: `hybrid-s3` joins group `hybrid` if another cell has that group."""
    known = {c.group for c in cells if c.info}
    for c in cells:
        m = _SEED_SUFFIX.match(c.cell_id)
        if not c.info and m and m["group"] in known:
            c.group_hint = m["group"]


def load_experiments(results_root: Path) -> list[Experiment]:
    """Every folder under results_root/experiments/, sorted by name."""
    root = results_root / EXPERIMENTS_DIR
    if not root.is_dir():
        return []
    return [load_experiment(p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]


# ============================================================================================ statistics


@dataclass(frozen=True)
class Stat:
    """Mean, sample standard deviation (ddof 1, NaN for one value) and count of the non-NaN values."""

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Stat:
        xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
        if not xs:
            return cls(math.nan, math.nan, 0)
        return cls(statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else math.nan, len(xs))

    def fmt(self, spec: str = "{:.3f}", suffix: str = "") -> str:
        if self.n == 0:
            return MISSING
        text = spec.format(self.mean) + suffix
        return text if self.n == 1 else f"{text} ± {spec.format(self.std)}"


def cell_summary(cell: Cell) -> pd.DataFrame:
    """summarize()'s table for one cell, with the language split renamed `langs` (all / seen / unseen)."""
    if not cell.done:
        return pd.DataFrame()
    if cell._summary is None:  # every table of the report reads it: summarize once per cell
        table = summarize(cell.scores, unseen_languages=cell.unseen or None).table.rename(columns={"group": "langs"})
        if not cell.unseen:  # trained on every evaluated language: all of them are seen
            table = pd.concat([table, table[table["langs"] == "all"].assign(langs="seen")], ignore_index=True)
        cell._summary = table
    return cell._summary


def group_stats(cells: Sequence[Cell], task: str, langs: str = "all") -> dict[str, Stat] | None:
    """Seed statistics of every summary column for the cells of one group; None when none has results."""
    tables = [t[(t["task"] == task) & (t["langs"] == langs)] for t in map(cell_summary, cells) if not t.empty]
    frame = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if frame.empty:
        return None
    return {col: Stat.of(frame[col]) for col in frame.columns if pd.api.types.is_numeric_dtype(frame[col])}


def _params_text(cell: Cell) -> str:
    params = {k: v for k, v in cell.params.items() if k != "seed"}
    return ", ".join(f"{k}={v}" for k, v in params.items()) or MISSING


# ============================================================================================ time to target


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
    metric: str
    higher_is_better: bool
    fraction: float
    best_final: float
    target: float
    rows: list[TargetRow]

    @property
    def definition(self) -> str:
        if self.higher_is_better:
            return (f"target = {self.fraction:g} x the best final `{self.metric}` over the cells of the experiment "
                    f"({self.fraction:g} x {self.best_final:.4g} = {self.target:.4g}); a cell reaches it at the first "
                    f"logged evaluation with `{self.metric}` >= target. Final = the cell's last logged value.")
        return (f"target = the best final `{self.metric}` over the cells of the experiment / {self.fraction:g} "
                f"({self.best_final:.4g} / {self.fraction:g} = {self.target:.4g}; lower is better); a cell reaches "
                f"it at the first logged record with `{self.metric}` <= target. Final = the cell's last logged value.")


_NOT_CURVES = ("runtime", "per_second", "epoch", "learning_rate", "grad_norm", "total_flos")


def choose_metric(logs: Mapping[str, Sequence[Mapping[str, Any]]]) -> str | None:
    """The convergence metric: an nDCG@10 evaluation, else another benchmark metric, else eval_loss, else loss."""
    keys = {k for log in logs.values() for r in log for k, v in r.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not any(x in k for x in _NOT_CURVES)}
    for pick in (lambda k: k.startswith("eval_") and "ndcg_at_10" in k,
                 lambda k: k.startswith("eval_benchmark_"),
                 lambda k: k == "eval_loss",
                 lambda k: k.startswith("eval_"),
                 lambda k: k == "loss"):
        found = sorted(k for k in keys if pick(k))
        if found:
            return found[0]
    return None


def metric_points(log: Sequence[Mapping[str, Any]], metric: str) -> list[tuple[float, float, float]]:
    """(step, wall_time, value) of every record with a finite value of `metric`, in log order."""
    out = []
    for r in log:
        v = r.get(metric)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out.append((float(r.get("step", math.nan)), float(r.get("wall_time", math.nan)), float(v)))
    return out


def is_shared_probe(metric: str) -> bool:
    """A metric every cell measures on the same data (the benchmark probe), so curves compare across cells."""
    return metric.startswith("eval_benchmark_")


def time_to_target(logs: Mapping[str, Sequence[Mapping[str, Any]]], metric: str | None = None,
                   fraction: float = TARGET_FRACTION) -> TimeToTarget | None:
    """Steps and wall time each cell needed to reach `fraction` of the best final metric (see `definition`).

    Loss-like metrics (name contains "loss") are lower-is-better: the target is best final / fraction.
    None when no log holds the metric.
    """
    metric = metric or choose_metric(logs)
    if metric is None:
        return None
    points = {cell: metric_points(log, metric) for cell, log in logs.items()}
    points = {cell: p for cell, p in points.items() if p}
    if not points:
        return None
    higher = "loss" not in metric
    finals = [p[-1][2] for p in points.values()]
    best = max(finals) if higher else min(finals)
    target = best * fraction if higher else best / fraction
    rows = []
    for cell, p in points.items():
        hit = next(((s, w) for s, w, v in p if (v >= target if higher else v <= target)), (None, None))
        rows.append(TargetRow(cell, p[-1][2], hit[0], hit[1], len(p)))
    return TimeToTarget(metric, higher, fraction, best, target, rows)


# ============================================================================================ markdown helpers


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    """A Markdown table; the first `left` columns are left-aligned, the rest right-aligned."""
    def esc(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(h) for h in headers) + " |",
             "| " + " | ".join(":--" if i < left else "--:" for i in range(len(headers))) + " |"]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt_num(value: float | None, spec: str = "{:.3f}") -> str:
    return MISSING if value is None or (isinstance(value, float) and math.isnan(value)) else spec.format(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def dataset_label(task: str) -> str | None:
    """The paper's dataset name of a task (XQuAD-R / MLQA-R), None for other tasks."""
    if task.startswith("XQuADR"):
        return "XQuAD-R"
    if task.startswith("MLQAR"):
        return "MLQA-R"
    return None


# ============================================================================================ experiment tables


def _seeds_text(done: int, pending: int) -> str:
    return f"{done} (+{pending} pending)" if pending else str(done)


def _group_rows(exp: Experiment, task: str) -> list[tuple[str, list[Cell], dict[str, Stat] | None, int]]:
    """(group, cells, stats over done seeds or None, pending count) per group, in order."""
    out = []
    for group, cells in exp.groups().items():
        stats = group_stats(cells, task)
        done = sum(1 for c in cells if task in c.tasks())
        out.append((group, cells, stats, len(cells) - done))
    return out


def table1(exp: Experiment, task: str) -> str:
    """The paper's Table 1 layout per seed group: mean ± std over seeds, seeds counted."""
    headers = ["cell / group", "params", "seeds", *(HEADERS[c] for c in MAIN_COLUMNS)]
    rows = []
    for group, cells, stats, pending in _group_rows(exp, task):
        head = [group, _params_text(cells[0]), _seeds_text(len(cells) - pending, pending)]
        if stats is None:
            rows.append([*head, *([PENDING] * len(MAIN_COLUMNS))])
        else:
            rows.append([*head, *(stats[c].fmt("{:.1f}" if c == "rank_distance" else "{:.3f}") for c in MAIN_COLUMNS)])
    return markdown_table(headers, rows, left=2)


def degradation_table(exp: Experiment, task: str) -> str:
    """nDCG@10 lost from mono to cross and multi, absolute and as % of mono (per seed, then aggregated)."""
    headers = ["cell / group", "seeds", "nDCG@10 mono", "cross", "multi", "mono→cross", "mono→cross %",
               "mono→multi", "mono→multi %"]
    rows = []
    for group, cells, stats, pending in _group_rows(exp, task):
        head = [group, _seeds_text(len(cells) - pending, pending)]
        if stats is None:
            rows.append([*head, *([PENDING] * 7)])
            continue
        rows.append([*head, *(stats[f"ndcg_at_10_{s}"].fmt() for s in SETTINGS),
                     stats["ndcg_at_10_drop_cross"].fmt(), stats["ndcg_at_10_drop_cross_pct"].fmt("{:.1f}", "%"),
                     stats["ndcg_at_10_drop_multi"].fmt(), stats["ndcg_at_10_drop_multi_pct"].fmt("{:.1f}", "%")])
    return markdown_table(headers, rows)


def seen_unseen_table(exp: Experiment, task: str) -> str | None:
    """Seen vs unseen query languages per group (from each cell's unseen_languages); None if no cell has any."""
    if not any(c.unseen for c in exp.cells if c.done):
        return None
    headers = ["cell / group", "langs", "query languages", "nDCG@10 mono", "nDCG@10 cross", "nDCG@10 multi",
               "mAP multi", "RD"]
    rows = []
    for group, cells, stats, pending in _group_rows(exp, task):
        if stats is None:
            rows.append([group, PENDING, MISSING, *([PENDING] * 5)])
            continue
        for langs in ("seen", "unseen"):
            s = group_stats(cells, task, langs)
            codes = sorted({q for c in cells if c.done for q in _query_langs(c, task, langs)})
            if s is None:
                rows.append([group, langs, "(none)", *([MISSING] * 5)])
                continue
            rows.append([group, langs, " ".join(codes), *(s[f"ndcg_at_10_{x}"].fmt() for x in SETTINGS),
                         s["map_multi"].fmt(), s["rank_distance"].fmt("{:.1f}")])
    return markdown_table(headers, rows, left=3)


def fixed_sets_table(exp: Experiment, task: str) -> str | None:
    """When cells trained on different languages: the same query languages in every row, those every cell saw
    and those no cell saw, so rows compare across cells (None when every cell has the same unseen set)."""
    done = [c for c in exp.cells if c.done and task in c.tasks()]
    if len({tuple(sorted(c.unseen)) for c in done}) <= 1:
        return None
    langs = [set(_query_langs(c, task, "seen")) | set(_query_langs(c, task, "unseen")) for c in done]
    always = set.intersection(*(set(_query_langs(c, task, "seen")) for c in done))
    never = set.intersection(*(set(_query_langs(c, task, "unseen")) for c in done)) & set.intersection(*langs)
    headers = ["cell", "query languages", "nDCG@10 mono", "nDCG@10 cross", "nDCG@10 multi", "mono→multi %",
               "mAP multi", "RD"]
    rows = []
    for label, chosen in (("seen by every cell", always), ("unseen by every cell", never)):
        if not chosen:
            continue
        for c in done:
            df = c.scores[(c.scores["task"] == task) & (c.scores["query_lang"].isin(chosen))]
            per_lang = df.groupby(["query_lang", "setting"])[["ndcg_at_10", "map", "rank_distance"]].mean()
            mean = per_lang.groupby("setting").mean()  # macro average over query languages
            ndcg = {x: float(mean.loc[x, "ndcg_at_10"]) if x in mean.index else math.nan for x in SETTINGS}
            drop = 100 * (ndcg["mono"] - ndcg["multi"]) / ndcg["mono"] if ndcg["mono"] else math.nan
            multi = mean.loc["multi"] if "multi" in mean.index else None
            rows.append([c.cell_id, f"{' '.join(sorted(chosen))} ({label})",
                         *(_fmt_num(ndcg[x]) for x in SETTINGS), _fmt_num(drop, "{:.1f}%"),
                         _fmt_num(None if multi is None else float(multi["map"])),
                         _fmt_num(None if multi is None else float(multi["rank_distance"]), "{:.1f}")])
    return markdown_table(headers, rows, left=2) if rows else None


def _unseen_note(exp: Experiment) -> str:
    sets = {tuple(sorted(c.unseen)) for c in exp.cells if c.done}
    if len(sets) <= 1:
        return ""
    return (" The unseen sets differ between cells here, so seen/unseen rows of different cells average "
            "different languages.")


def _query_langs(cell: Cell, task: str, langs: str) -> list[str]:
    qs = sorted(set(cell.scores.loc[cell.scores["task"] == task, "query_lang"]))
    unseen = set(cell.unseen)
    return [q for q in qs if (q in unseen) == (langs == "unseen")]


def commands_section(exp: Experiment) -> str:
    """Status, seed, timings and the exact command of every cell (from cell.json)."""
    headers = ["cell", "group", "status", "seed", "train s", "eval s", "revision"]
    rows = []
    for c in exp.cells:
        status = "done" if c.done else (f"error: {c.note}" if c.status == "error" else f"{PENDING} {c.note}".strip())
        rows.append([c.cell_id, c.group, status, MISSING if c.seed is None else c.seed,
                     _fmt_num(c.info.get("train_seconds"), "{:.0f}"), _fmt_num(c.info.get("eval_seconds"), "{:.0f}"),
                     c.info.get("revision") or MISSING])
    parts = [markdown_table(headers, rows, left=3), "", "```bash"]
    for c in exp.cells:
        parts.append(f"# {c.cell_id}")
        parts.append(str(c.info.get("command") or PENDING))
    parts.append("```")
    return "\n".join(parts)


def convergence_table(ttt: TimeToTarget, groups: Mapping[str, str]) -> str:
    """Per cell: evaluations logged, final value, first step and wall time at the target."""
    headers = ["cell", "group", "evaluations", f"final {ttt.metric}", "steps to target", "wall time to target (s)"]
    rows = [[r.cell, groups.get(r.cell, r.cell), r.evaluations, _fmt_num(r.final, "{:.4f}"),
             "not reached" if r.step is None else f"{r.step:g}",
             "not reached" if r.wall_time is None else f"{r.wall_time:.1f}"] for r in ttt.rows]
    return markdown_table(headers, rows, left=2)


def convergence_group_table(ttt: TimeToTarget, groups: Mapping[str, str]) -> str | None:
    """Per seed group: mean ± std of steps and wall time to target over the seeds that reached it."""
    by_group: dict[str, list[TargetRow]] = {}
    for r in ttt.rows:
        by_group.setdefault(groups.get(r.cell, r.cell), []).append(r)
    if all(len(rows) == 1 for rows in by_group.values()):
        return None
    headers = ["group", "reached", "steps to target", "wall time to target (s)", f"final {ttt.metric}"]
    out = []
    for group, rows in by_group.items():
        hit = [r for r in rows if r.step is not None]
        out.append([group, f"{len(hit)} of {len(rows)}", Stat.of(r.step for r in hit).fmt("{:.0f}"),
                    Stat.of(r.wall_time for r in hit).fmt("{:.1f}"), Stat.of(r.final for r in rows).fmt("{:.4f}")])
    return markdown_table(headers, out)


# ============================================================================================ paper comparison


@dataclass
class Comparison:
    """Our X-X / X-Y / Hybrid (alpha 0.5) groups of one experiment and task that differ only in batching."""

    experiment: Experiment
    task: str
    dataset: str
    key: str  # the other grid variables, "" when there are none
    groups: dict[str, tuple[str, list[Cell]]]  # kind -> (group, cells)
    base: tuple[str, list[Cell]] | None = None

    def stats(self, kind: str) -> dict[str, Stat]:
        stats = group_stats(self.groups[kind][1], self.task)
        assert stats is not None
        return stats


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


def _diff_note(a: Stat, b: Stat) -> str:
    """Whether a difference is within seed noise (one sample std), or rests on single seeds."""
    spread = max((s.std for s in (a, b) if s.n > 1 and not math.isnan(s.std)), default=math.nan)
    if math.isnan(spread):
        return " (single seed)" if min(a.n, b.n) <= 1 else ""
    if abs(a.mean - b.mean) < spread:
        return f" (the difference is within one seed standard deviation, {spread:.3g})"
    return ""


def claim_sentences(comp: Comparison) -> list[str]:
    """One sentence per claim of the paper, with our figures and the paper's, saying whether it holds."""
    ds = comp.dataset
    xx, xy, hy = (comp.stats(k) for k in KINDS)
    out = []
    claims = [("Hybrid ≥ X-X on monolingual mAP", "map_mono", xx, "x-x", 0),
              ("Hybrid ≥ X-Y on cross-lingual mAP", "map_cross", xy, "x-y", 1),
              ("Hybrid ≥ X-Y on multilingual mAP", "map_multi", xy, "x-y", 2)]
    for text, col, other, kind, i in claims:
        h, o = hy[col], other[col]
        holds = h.mean >= o.mean
        paper = "; ".join(f"{base} {PAPER_MAP[ds][base]['hybrid'][i]:.3f} vs {PAPER_MAP[ds][base][kind][i]:.3f}"
                          for base in PAPER_MAP[ds])
        out.append(f"- {text}: **{'holds' if holds else 'does not hold'}** — ours: Hybrid {h.mean:.3f} vs "
                   f"{KIND_LABEL[kind]} {o.mean:.3f} ({h.mean - o.mean:+.3f}){_diff_note(h, o)}; "
                   f"paper {ds}: {paper}.")
    h, o = hy["rank_distance"], xx["rank_distance"]
    holds = h.mean < o.mean
    paper = "; ".join(f"{base} {PAPER_RD[ds][base]['hybrid']:.1f} vs {PAPER_RD[ds][base]['x-x']:.1f}"
                      for base in PAPER_RD[ds])
    out.append(f"- Hybrid rank distance < X-X: **{'holds' if holds else 'does not hold'}** — ours: Hybrid "
               f"{h.mean:.1f} vs X-X {o.mean:.1f} ({h.mean - o.mean:+.1f}){_diff_note(h, o)}; paper {ds}: {paper}.")
    return out


def _training_facts(comp: Comparison) -> str:
    """What our models are, from the cells' train configs (so the caveat states the real setup)."""
    train = next((c.train for _, cells in comp.groups.values() for c in cells if c.train), None) or {}
    data = train.get("data")
    data_text = ", ".join(data) if isinstance(data, list) else str(data or "MLQA-R")
    steps = train.get("max_steps")
    steps_text = f"{steps} steps" if steps else f"{train.get('epochs', '?')} epoch(s)"
    zero_shot = comp.dataset.lower() not in data_text.lower()
    return (f"Ours: base `{train.get('base', 'me5-small')}` (multilingual-e5-small, 4-bit quantized, run offline), "
            f"trained on {data_text} with short training ({steps_text}, batch {train.get('batch_size', '?')}), "
            f"evaluated {'zero-shot ' if zero_shot else ''}on {comp.dataset} ({comp.task}). The paper: XLM-R and "
            "LaBSE, trained on machine-translated data in 9 languages, batch 100, early stopping. Absolute numbers "
            "differ for these reasons; what can be compared is the ordering of the batching kinds.")


def comparison_section(comparisons: Sequence[Comparison]) -> str:
    if not comparisons:
        return (f"{PENDING} No experiment has finished X-X, X-Y and Hybrid (alpha {PAPER_ALPHA}) cells that differ "
                "only in batching on XQuAD-R or MLQA-R yet.")
    parts = []
    for comp in comparisons:
        ds = comp.dataset
        title = f"### `{comp.experiment.name}`, {comp.task}" + (f" ({comp.key})" if comp.key else "")
        headers = ["model", "batching", "seeds", f"{ds} mAP mono", "mAP cross", "mAP multi", "mean RD"]
        rows = []
        for base in PAPER_MAP[ds]:
            for kind in KINDS:
                m = PAPER_MAP[ds][base][kind]
                rows.append([f"paper: {base}", KIND_LABEL[kind], MISSING, *(f"{v:.3f}" for v in m),
                             f"{PAPER_RD[ds][base][kind]:.1f}"])
        ours = [(KIND_LABEL[k], *comp.groups[k]) for k in KINDS]
        if comp.base is not None:
            ours.insert(0, ("none (base model)", *comp.base))
        for label, group, cells in ours:
            s = group_stats(cells, comp.task)
            if s is None:
                continue
            rows.append([f"ours: {group}", label, s["map_mono"].n, *(s[f"map_{x}"].fmt() for x in SETTINGS),
                         s["rank_distance"].fmt("{:.1f}")])
        parts += [title, "", _training_facts(comp), "", markdown_table(headers, rows, left=2), "",
                  "The paper's claims, checked on our numbers (means over seeds):", "", *claim_sentences(comp), ""]
    return "\n".join(parts)


# ============================================================================================ seeds pooled

# Train-config fields that do not change what is learned (where files go, how often to log or save).
_NOT_RECIPE = {"seed", "data_dir", "output_dir", "model_name", "resume", "eval_tasks", "eval_steps", "save_steps",
               "save_total_limit", "logging_steps", "keep_checkpoints", "device", "num_threads"}


def recipe_key(cell: Cell) -> str | None:
    """What a trained cell learned from (train config and grid params), minus its seed: cells with the same
    key are repeats of one recipe."""
    if cell.train is None:
        return None
    recipe = {k: v for k, v in cell.train.items() if k not in _NOT_RECIPE}
    params = {k: v for k, v in cell.params.items() if k != "seed"}
    return json.dumps([recipe, params], sort_keys=True, default=str)


def pooled_seeds(experiments: Sequence[Experiment]) -> Experiment | None:
    """One experiment of the recipes run in more than one experiment (e.g. `batching` seed 42 and
    `batching-seeds` seeds 1, 2), so their spread over all seeds shows; None when there is none.

    Groups are named `<experiment>/<group>` of the recipe's first cell; the base model is carried over
    from the first experiment that has one, so the comparison with the paper can show it.
    """
    by_recipe: dict[str, list[Cell]] = {}
    for exp in experiments:
        for c in exp.cells:
            key = recipe_key(c)
            if key is not None and c.done:
                by_recipe.setdefault(key, []).append(c)
    shared = {k: cs for k, cs in by_recipe.items() if len({c.experiment for c in cs}) > 1}
    if not shared:
        return None
    cells: list[Cell] = []
    involved = {c.experiment for cs in shared.values() for c in cs}
    for exp in experiments:
        base = [c for c in exp.cells if c.done and c.train is None]
        if exp.name in involved and base:
            cells.append(replace(base[0], info={**base[0].info, "group": f"{exp.name}/{base[0].group}"}))
            break
    for cs in shared.values():
        label = f"{cs[0].experiment}/{cs[0].group}"
        cells += [replace(c, cell_id=f"{c.experiment}/{c.cell_id}", info={**c.info, "group": label}) for c in cs]
    names = sorted(involved)
    return Experiment(name="seeds pooled: " + " + ".join(names), path=Path("."),
                      description=("The same training recipes across experiments " + ", ".join(f"`{n}`" for n in names)
                                   + ", pooled over all their seeds (a recipe = the train config minus its seed)."),
                      cells=cells)


# ============================================================================================ plots


@dataclass
class PlotWriter:
    """Draws an experiment's plots into results/plots/<experiment>/ and remembers what it wrote."""

    plots_dir: Path
    report_dir: Path
    enabled: bool = True
    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def link(self, path: Path, alt: str) -> str:
        return f"![{alt}]({Path(os.path.relpath(path, self.report_dir)).as_posix()})"

    def draw(self, fn: Any, *args: Any, **kwargs: Any) -> Path | None:
        """One plot; a failure becomes a note in the report instead of stopping it."""
        try:
            path = fn(*args, **kwargs)
        except Exception as e:  # a plot is never worth losing the report over
            logger.warning("plot %s failed: %s", args[-1] if args else fn.__name__, e)
            self.failures.append(f"{fn.__name__}: {e}")
            return None
        self.written.append(path)
        return path


def heatmap_matrix(cells: Sequence[Cell], task: str) -> pd.DataFrame:
    """nDCG@10 per (query, corpus) subset, mean over the done seeds; columns: languages, then pool."""
    frames = [c.scores[c.scores["task"] == task] for c in cells if task in c.tasks()]
    df = pd.concat(frames, ignore_index=True)
    m = df.pivot_table(index="query_lang", columns="corpus_lang", values="ndcg_at_10", aggfunc="mean")
    langs = sorted(set(df["query_lang"]) | (set(df["corpus_lang"]) - {"pool"}))
    cols = [c for c in langs if c in m.columns] + (["pool"] if "pool" in m.columns else [])
    return m.reindex(index=[q for q in langs if q in m.index], columns=cols)


def rank_distance_frames(exp: Experiment, task: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mean, std) rank distance over seeds: index query language, one column per group."""
    means: dict[str, pd.Series] = {}
    stds: dict[str, pd.Series] = {}
    for group, cells in exp.groups().items():
        per_seed = [c.scores[(c.scores["task"] == task) & (c.scores["setting"] == "multi")]
                    .set_index("query_lang")["rank_distance"] for c in cells if task in c.tasks()]
        if not per_seed:
            continue
        frame = pd.concat(per_seed, axis=1)
        if frame.notna().any().any():
            means[group], stds[group] = frame.mean(axis=1), frame.std(axis=1, ddof=1)
    return pd.DataFrame(means).sort_index(), pd.DataFrame(stds).sort_index()


def degradation_points(exp: Experiment, task: str) -> pd.DataFrame:
    """Seed-aggregated nDCG@10 per (other grid variables, n_languages, seen/unseen, setting)."""
    records = []
    for c in exp.cells:
        n = c.params.get("n_languages")
        if n is None or task not in c.tasks():
            continue
        other = {k: v for k, v in c.params.items() if k not in ("n_languages", "seed")}
        series = ", ".join(f"{k}={v}" for k, v in sorted(other.items()))
        t = cell_summary(c)
        t = t[t["task"] == task]
        for langs in ("seen", "unseen") if c.unseen else ("all",):
            row = t[t["langs"] == langs]
            if row.empty:
                continue
            for s in SETTINGS:
                records.append({"series": series, "n_languages": n, "langs": "seen" if langs == "all" else langs,
                                "setting": s, "value": float(row.iloc[0][f"ndcg_at_10_{s}"])})
    if not records:
        return pd.DataFrame(columns=["series", "n_languages", "langs", "setting", "mean", "std", "n"])
    df = pd.DataFrame(records)
    g = df.groupby(["series", "n_languages", "langs", "setting"])["value"]
    return g.agg(mean="mean", std=lambda x: x.std(ddof=1), n="count").reset_index()


def _shared_unseen(cells: Sequence[Cell]) -> frozenset[str]:
    """The unseen languages if every trained cell with results agrees on them (else none are starred)."""
    sets = {frozenset(c.unseen) for c in cells if c.done and c.train is not None}
    return next(iter(sets)) if len(sets) == 1 else frozenset()


def experiment_plots(exp: Experiment, writer: PlotWriter, race: TimeToTarget | None) -> list[str]:
    """Draw (a) heatmaps, (b) degradation vs languages, (c) convergence, (d) rank distance; Markdown lines.

    `race` is the time to target on a metric the cells share (None: no convergence plot)."""
    if not writer.enabled:
        return []
    if not plots.matplotlib_available():
        return ["(plots skipped: matplotlib is not installed; `pip install mteb-hybrid[report]`)"]
    folder = writer.plots_dir / _slug(exp.name)
    lines: list[str] = []
    for task in exp.tasks():
        for group, cells in exp.groups().items():
            n = sum(1 for c in cells if task in c.tasks())
            if not n:
                continue
            seeds = f", mean of {n} seeds" if n > 1 else ""
            path = writer.draw(plots.plot_heatmap, heatmap_matrix(cells, task),
                               f"{exp.name} / {group}: nDCG@10 on {task}{seeds}",
                               folder / f"heatmap_{_slug(task)}_{_slug(group)}.png", unseen=_shared_unseen(cells))
            if path:
                lines.append(writer.link(path, f"nDCG@10 heatmap {group} {task}"))
        means, stds = rank_distance_frames(exp, task)
        if not means.empty:
            path = writer.draw(plots.plot_rank_distance, means, stds,
                               f"{exp.name}: rank distance per query language on {task} (pool ranking)",
                               folder / f"rank_distance_{_slug(task)}.png", unseen=_shared_unseen(exp.cells))
            if path:
                lines.append(writer.link(path, f"rank distance {task}"))
        points = degradation_points(exp, task)
        if not points.empty:
            path = writer.draw(plots.plot_degradation, points,
                               f"{exp.name}: nDCG@10 vs number of training languages ({task})",
                               folder / f"degradation_{_slug(task)}.png")
            if path:
                lines.append(writer.link(path, f"degradation vs training languages {task}"))
    if race is not None:
        curves = []
        for cell_id, log in ((c.cell_id, c.log) for c in exp.cells if c.log):
            pts = metric_points(log, race.metric)
            if pts:
                curves.append(plots.Curve(cell_id, [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts]))
        groups = {c.cell_id: c.group for c in exp.cells}
        path = writer.draw(plots.plot_convergence, curves, race.metric, f"{exp.name}: convergence",
                           folder / "convergence.png", target=race.target, groups=groups)
        if path:
            lines.append(writer.link(path, "convergence"))
    return lines


# ============================================================================================ report


def experiment_section(exp: Experiment, writer: PlotWriter) -> str:
    done = sum(1 for c in exp.cells if c.done)
    parts = [f"## Experiment `{exp.name}`", ""]
    parts += [f"{PENDING} {exp.note}" if exp.note else (exp.description or "(no description)"), ""]
    parts += [f"Cells: {done} done, {len(exp.cells) - done} pending or failed, of {len(exp.cells)}.", ""]
    if exp.config is not None:
        parts += ["<details><summary>experiment config</summary>", "", "```json",
                  json.dumps(exp.config, indent=2, ensure_ascii=False, default=str), "```", "", "</details>", ""]
    tasks = exp.tasks()
    if not tasks:
        parts += [f"{PENDING} no cell has results yet.", ""]
    for task in tasks:
        parts += [f"### {task}: Table 1 layout", "",
                  "Macro averages over query languages; mean ± sample std (ddof 1) over seeds where a group has "
                  "several; seeds = cells with results.", "", table1(exp, task), ""]
        parts += [f"### {task}: nDCG@10 degradation mono → cross → multi", "",
                  "Absolute drop from mono, and the drop as % of mono (computed per seed, then averaged).", "",
                  degradation_table(exp, task), ""]
        split = seen_unseen_table(exp, task)
        if split is not None:
            parts += [f"### {task}: seen vs unseen query languages", "",
                      "Unseen = the cell's `unseen_languages` (languages not in its training data)."
                      + _unseen_note(exp), "", split, ""]
        fixed = fixed_sets_table(exp, task)
        if fixed is not None:
            parts += [f"### {task}: the same query languages across cells", "",
                      "Query languages every cell trained on, and those none trained on: each row set averages the "
                      "same languages, so the cells compare directly.", "", fixed, ""]
    logs = {c.cell_id: c.log for c in exp.cells if c.log}
    ttt = time_to_target(logs) if logs else None
    race = ttt if ttt is not None and is_shared_probe(ttt.metric) else None  # own validation losses are no race
    if ttt is not None and race is None:
        parts += ["### Training curves", "", f"`{ttt.metric}` is measured on each cell's own validation split (its "
                  "own languages and batch kind), so it is not compared across cells and no time to target is given. "
                  "An experiment with `eval.during_training` logs a shared benchmark probe instead.", ""]
    elif race is not None:
        groups = {c.cell_id: c.group for c in exp.cells}
        parts += ["### Convergence", "", ttt.definition + " Wall time is the training's own clock (train_log.jsonl "
                  "`wall_time`, periodic evaluations included). Cells that ran at different times also carry the "
                  "machine's load of their time (compare their `eval s` below: the same evaluation for every cell); "
                  "`benchmarks/accumulation_speed.py` measures the methods' step costs side by side.", "",
                  convergence_table(ttt, groups), ""]
        per_group = convergence_group_table(ttt, groups)
        if per_group is not None:
            parts += ["Per group (over the seeds that reached the target):", "", per_group, ""]
    plot_lines = experiment_plots(exp, writer, race)
    if plot_lines:
        parts += ["### Plots", "", *(f"{line}\n" for line in plot_lines)]
    parts += ["### Cells and commands", "", commands_section(exp), ""]
    return "\n".join(parts)


_INTRO = """\
Generated by `mteb-hybrid report` from `{root}`: one section per experiment (`experiments/<name>/`).
mAP is LAReQA's mean average precision over the whole ranking; nDCG@10 is mteb's; mono / cross / multi are
the paper's three settings (query language = corpus language, != corpus language, against the pool of all
languages), each a macro average over query languages. RD = mean rank distance in the pool ranking (lower =
less language bias); same-lang@10 = share of the pool top 10 in the query's language.
"{pending}" marks anything not finished yet (a running experiment, a cell without result files)."""


def render_report(experiments: Sequence[Experiment], results_root: Path, writer: PlotWriter) -> str:
    pooled = pooled_seeds(experiments)
    with_pooled = [*experiments, *([pooled] if pooled is not None else [])]
    parts = ["# Experiment report", "", _INTRO.format(root=results_root.as_posix(), pending=PENDING), "",
             "## Comparison with the paper (Elmahdy, Lin, Ahmad 2024, Table 1)", "",
             comparison_section(find_comparisons(with_pooled)), ""]
    if not experiments:
        parts += [f"{PENDING} no experiments under `{(results_root / EXPERIMENTS_DIR).as_posix()}` yet.", ""]
    for exp in with_pooled:
        parts.append(experiment_section(exp, writer))
    if writer.failures:
        parts += ["## Plot failures", "", *(f"- {f}" for f in writer.failures), ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def _remove_stale_plots(plots_dir: Path, keep: Sequence[Path]) -> None:
    """PNGs of this report's own experiment folders that it did not write this time (a renamed cell)."""
    keep_set = {p.resolve() for p in keep}
    for folder in {p.parent for p in keep}:
        for png in folder.glob("*.png"):
            if png.resolve() not in keep_set and plots_dir.resolve() in png.resolve().parents:
                png.unlink(missing_ok=True)


def build_report(results_root: Path = Path("results"), out: Path | None = None, *, draw_plots: bool = True) -> Path:
    """Write REPORT.md (default results_root/REPORT.md) and the PNGs under results_root/plots/; returns the report path.

    `draw_plots=False` writes the tables only (fast; for a quick look while experiments run).
    """
    results_root = Path(results_root)
    if not results_root.is_dir():
        raise FileNotFoundError(f"{results_root}: no such results folder")
    out = Path(out) if out is not None else results_root / REPORT_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = PlotWriter(plots_dir=results_root / PLOTS_DIR, report_dir=out.parent, enabled=draw_plots)
    experiments = load_experiments(results_root)
    text = render_report(experiments, results_root, writer)
    _remove_stale_plots(writer.plots_dir, writer.written)
    plots.write_bytes_atomic(out, text.encode("utf-8"))
    return out


# ============================================================================================ CLI

REPORT_HELP = "write results/REPORT.md and plots over every experiment in results/experiments/"


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `mteb-hybrid report [RESULTS_ROOT] [--out FILE]`."""
    parser.description = parser.description or (
        "Write a Markdown report over every experiment under RESULTS_ROOT/experiments/: Table 1 layout per cell "
        "(mean ± std over seeds), nDCG@10 degradation, seen/unseen languages, convergence and time to target, "
        "the paper's claims checked on our numbers, and PNG plots under RESULTS_ROOT/plots/.")
    parser.add_argument("results_root", nargs="?", default="results", metavar="RESULTS_ROOT",
                        help="folder holding experiments/ (default: results)")
    parser.add_argument("--out", metavar="FILE", default=None, help="report file (default: RESULTS_ROOT/REPORT.md)")
    parser.add_argument("--no-plots", action="store_true", help="tables only, no PNGs (fast)")


def run_report(args: argparse.Namespace) -> int:
    """Build the report; 1 with a one-line message when RESULTS_ROOT does not exist."""
    try:
        path = build_report(Path(args.results_root), Path(args.out) if args.out else None,
                            draw_plots=not getattr(args, "no_plots", False))
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
