"""`mteb-hybrid report`: results/REPORT.md (+ PNG plots) over every experiment in results/experiments/.

This module decides which blocks (tables, claims, plots, words from report_templates.md) an experiment gets.
Anything missing shows as "(pending)" or an error note: the report never stops on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mteb_hybrid.files import write_atomic

from .aggregate import MISSING, fmt_stat, group_stats, pooled_seeds
from .claims import (
    Comparison,
    claim_sentences,
    find_comparisons,
    trained_group_records,
    versus_base_table,
    versus_first_group_table,
)
from .convergence import is_shared_probe, shares_validation, time_to_target, values_by_step
from .loading import EXPERIMENTS_DIR, Experiment, load_experiments
from .paper import KIND_LABEL, KINDS, PAPER_ALPHA, paper_numbers
from .plots import PlotWriter, experiment_plots
from .summary import SETTINGS
from .tables import (
    PENDING,
    commands_section,
    convergence_group_table,
    convergence_table,
    curve_group_table,
    degradation_table,
    fixed_sets_table,
    seen_unseen_table,
    table,
    table1,
    unseen_sets_differ,
)
from .templates import render

PLOTS_DIR = "plots"
REPORT_FILE = "REPORT.md"


def training_facts(comp: Comparison) -> str:
    """What our models are, from the cells' train configs (so the caveat states the real setup)."""
    train = next((c.train for _, cells in comp.groups.values() for c in cells if c.train), None) or {}
    data = train.get("data")
    data_text = ", ".join(data) if isinstance(data, list) else str(data or "MLQA-R")
    steps = train.get("max_steps")
    return render(
        "training_facts",
        base=train.get("base", "me5-small"),
        data=data_text,
        steps=f"{steps} steps" if steps else f"{train.get('epochs', '?')} epoch(s)",
        batch=train.get("batch_size", "?"),
        dataset=comp.dataset,
        task=comp.task,
        zero_shot="zero-shot " if comp.dataset.lower() not in data_text.lower() else "",
    )


def comparison_table(comp: Comparison) -> str:
    """The paper's rows (both base models) and ours (base model, then the three batching kinds)."""
    ds, numbers = comp.dataset, paper_numbers()
    headers = ["model", "batching", "seeds", f"{ds} mAP mono", "mAP cross", "mAP multi", "mean RD"]
    rows = [
        [
            f"paper: {base}",
            KIND_LABEL[kind],
            MISSING,
            *(f"{v:.3f}" for v in numbers.map.values[ds][base][kind]),
            f"{numbers.rank_distance.values[ds][base][kind]:.1f}",
        ]
        for base in numbers.bases(ds)
        for kind in KINDS
    ]
    ours = [(KIND_LABEL[k], *comp.groups[k]) for k in KINDS]
    if comp.base is not None:
        ours.insert(0, ("none (base model)", *comp.base))
    for label, group, cells in ours:
        s = group_stats(cells, comp.task)
        if s is not None:
            rows.append(
                [
                    f"ours: {group}",
                    label,
                    int(s["map_mono"]["n"]),
                    *(fmt_stat(s[f"map_{x}"]) for x in SETTINGS),
                    fmt_stat(s["rank_distance"], "{:.1f}"),
                ]
            )
    return table(headers, rows, left=2)


def comparison_section(comparisons: Sequence[Comparison]) -> str:
    """Per comparison: our setup, the table against the paper and the claims checked."""
    if not comparisons:
        return render("comparison_none", pending=PENDING, alpha=PAPER_ALPHA)
    parts = []
    for comp in comparisons:
        title = f"`{comp.experiment.name}`, {comp.task}" + (f" ({comp.key})" if comp.key else "")
        parts += [
            render(
                "comparison",
                title=title,
                facts=training_facts(comp),
                table=comparison_table(comp),
                claims="\n".join(claim_sentences(comp)),
            ),
            "",
        ]
    return "\n".join(parts)


def _task_blocks(exp: Experiment, task: str) -> list[str]:
    blocks = [
        render("table1", task=task, table=table1(exp, task)),
        render("degradation", task=task, table=degradation_table(exp, task)),
    ]
    split = seen_unseen_table(exp, task)
    if split is not None:
        differ = " " + render("unseen_sets_differ") if unseen_sets_differ(exp) else ""
        blocks.append(render("seen_unseen", task=task, differ=differ, table=split))
    groups = trained_group_records(exp, task)  # per-query records read once for both verdict tables
    optional = {"fixed_sets": fixed_sets_table(exp, task), "versus_base": versus_base_table(exp, task, groups)}
    blocks += [render(name, task=task, table=text) for name, text in optional.items() if text is not None]
    if (versus := versus_first_group_table(exp, task, groups)) is not None:
        blocks.append(render("versus_group", task=task, first=versus[0], table=versus[1]))
    return blocks


def experiment_section(exp: Experiment, writer: PlotWriter) -> str:
    """One experiment: status, config, per-task tables, convergence, plots, cells and commands."""
    done = sum(1 for c in exp.cells if c.done)
    about = f"{PENDING} {exp.note}" if exp.note else (exp.description or render("no_description"))
    blocks = [
        render(
            "experiment_head",
            name=exp.name,
            about=about,
            done=done,
            pending=len(exp.cells) - done,
            total=len(exp.cells),
        )
    ]
    if exp.config is not None:
        blocks.append(
            render("experiment_config", config=json.dumps(exp.config, indent=2, ensure_ascii=False, default=str))
        )
    tasks = exp.tasks()
    if not tasks:
        blocks.append(render("no_results", pending=PENDING))
    for task in tasks:
        blocks += _task_blocks(exp, task)
    logs = {c.cell_id: c.log for c in exp.cells if c.log}
    ttt = time_to_target(logs)
    shared = ttt is not None and (
        is_shared_probe(ttt.metric)
        or (ttt.metric == "eval_loss" and shares_validation([c.train for c in exp.cells if c.log]))
    )
    race = ttt if shared else None  # each cell's own validation loss is no race
    if ttt is not None and race is None:
        blocks.append(render("training_curves", metric=ttt.metric))
    elif race is not None:
        groups = {c.cell_id: c.group for c in exp.cells}
        blocks.append(render("convergence", definition=race.definition, table=convergence_table(race, groups)))
        per_group = convergence_group_table(race, groups)
        if per_group is not None:
            blocks.append(render("convergence_per_group", table=per_group))
        curves = curve_group_table(*values_by_step(logs, race.metric), groups)
        if curves is not None:
            direction = "higher is better" if race.higher_is_better else "lower is better"
            blocks.append(render("convergence_curves", metric=race.metric, direction=direction, table=curves))
    plot_lines = experiment_plots(exp, writer, race)
    if plot_lines:
        blocks.append(render("plots", lines="\n\n".join(plot_lines)))
    blocks.append(render("cells_commands", section=commands_section(exp)))
    return "".join(f"{b}\n\n" for b in blocks)[:-1]


def render_report(experiments: Sequence[Experiment], results_root: Path, writer: PlotWriter) -> str:
    """The whole REPORT.md: comparison with the paper, then one section per experiment (and pooled seeds)."""
    pooled = pooled_seeds(experiments)
    with_pooled = [*experiments, *([pooled] if pooled is not None else [])]
    parts = [
        render(
            "report_head",
            root=results_root.as_posix(),
            pending=PENDING,
            comparison=comparison_section(find_comparisons(with_pooled)),
        ),
        "",
    ]
    if not experiments:
        parts += [render("no_experiments", pending=PENDING, folder=(results_root / EXPERIMENTS_DIR).as_posix()), ""]
    parts += [experiment_section(exp, writer) for exp in with_pooled]
    if writer.failures:
        parts += [render("plot_failures", items="\n".join(f"- {f}" for f in writer.failures)), ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def build_report(results_root: Path = Path("results"), out: Path | None = None, *, draw_plots: bool = True) -> Path:
    """Write REPORT.md (default results_root/REPORT.md) and the PNGs under results_root/plots/ (none with
    `draw_plots=False`: fast, for a quick look while experiments run); returns the report's path."""
    results_root = Path(results_root)
    if not results_root.is_dir():
        raise FileNotFoundError(f"{results_root}: no such results folder")
    out = Path(out) if out is not None else results_root / REPORT_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = PlotWriter(plots_dir=results_root / PLOTS_DIR, report_dir=out.parent, enabled=draw_plots)
    text = render_report(load_experiments(results_root), results_root, writer)
    keep = {p.resolve() for p in writer.written}  # PNGs of this report's folders not written this time: stale
    for png in (png for folder in {p.parent for p in writer.written} for png in folder.glob("*.png")):
        if png.resolve() not in keep and writer.plots_dir.resolve() in png.resolve().parents:
            png.unlink(missing_ok=True)
    write_atomic(out, text)
    return out


REPORT_HELP = "write results/REPORT.md and plots over every experiment in results/experiments/"


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `mteb-hybrid report [RESULTS_ROOT] [--out FILE]`."""
    parser.description = parser.description or (
        "Write a Markdown report over every experiment under RESULTS_ROOT/experiments/: Table 1 layout per cell "
        "(mean ± std over seeds), nDCG@10 degradation, seen/unseen languages, convergence and time to target, "
        "the paper's claims checked on our numbers, and PNG plots under RESULTS_ROOT/plots/."
    )
    parser.add_argument(
        "results_root",
        nargs="?",
        default="results",
        metavar="RESULTS_ROOT",
        help="folder holding experiments/ (default: results)",
    )
    parser.add_argument("--out", metavar="FILE", default=None, help="report file (default: RESULTS_ROOT/REPORT.md)")
    parser.add_argument("--no-plots", action="store_true", help="tables only, no PNGs (fast)")


def run_report(args: argparse.Namespace) -> int:
    """Build the report; 1 with a one-line message when RESULTS_ROOT does not exist."""
    try:
        path = build_report(Path(args.results_root), Path(args.out) if args.out else None, draw_plots=not args.no_plots)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
