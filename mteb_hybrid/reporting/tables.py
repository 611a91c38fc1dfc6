"""The report's Markdown tables, one function per table, from the seed aggregates (mean ± std over seeds).

Formatted with summary.py's helpers, so the report and `mteb-hybrid summarize` round and lay out tables alike.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mteb_hybrid.stats.bootstrap import seeds_only

from .aggregate import (
    MISSING,
    fixed_language_groups,
    fixed_set_summary,
    fmt_stat,
    group_stats,
    query_langs,
    values_stats,
)
from .convergence import TargetRow, TimeToTarget
from .loading import Cell, Experiment
from .summary import SETTINGS, TABLE1_COLUMNS, fmt_number, markdown_table

PENDING = "(pending)"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    """Rows under headers as a Markdown table (summary.markdown_table); the first `left` columns left-aligned."""
    return markdown_table(pd.DataFrame([list(r) for r in rows], columns=list(headers), dtype=object), left=left)


def _group_rows(exp: Experiment, task: str) -> list[tuple[str, list[Cell], pd.DataFrame | None, str]]:
    """(group, cells, stats over done seeds or None, seeds done and pending) per group, in order."""
    out = []
    for group, cells in exp.groups().items():
        done = sum(1 for c in cells if task in c.tasks())
        seeds = f"{done} (+{len(cells) - done} pending)" if done < len(cells) else str(done)
        out.append((group, cells, group_stats(cells, task), seeds))
    return out


def table1(exp: Experiment, task: str) -> str:
    """The paper's Table 1 layout per seed group: mean ± std over seeds, seeds counted."""
    headers = ["cell / group", "params", "seeds", *(header for _, header, _ in TABLE1_COLUMNS)]
    rows = []
    for group, cells, stats, seeds in _group_rows(exp, task):
        head = [group, ", ".join(f"{k}={v}" for k, v in cells[0].params.items() if k != "seed") or MISSING, seeds]
        if stats is None:
            rows.append([*head, *([PENDING] * len(TABLE1_COLUMNS))])
        else:
            rows.append([*head, *(fmt_stat(stats[col], spec) for col, _, spec in TABLE1_COLUMNS)])
    return table(headers, rows, left=2)


def degradation_table(exp: Experiment, task: str) -> str:
    """nDCG@10 lost from mono to cross and multi, absolute and as % of mono (per seed, then aggregated)."""
    headers = [
        "cell / group",
        "seeds",
        "nDCG@10 mono",
        "cross",
        "multi",
        "mono→cross",
        "mono→cross %",
        "mono→multi",
        "mono→multi %",
    ]
    rows = []
    for group, _, stats, seeds in _group_rows(exp, task):
        if stats is None:
            rows.append([group, seeds, *([PENDING] * 7)])
            continue
        rows.append(
            [
                group,
                seeds,
                *(fmt_stat(stats[f"ndcg_at_10_{s}"]) for s in SETTINGS),
                fmt_stat(stats["ndcg_at_10_drop_cross"]),
                fmt_stat(stats["ndcg_at_10_drop_cross_pct"], "{:.1f}", "%"),
                fmt_stat(stats["ndcg_at_10_drop_multi"]),
                fmt_stat(stats["ndcg_at_10_drop_multi_pct"], "{:.1f}", "%"),
            ]
        )
    return table(headers, rows)


def seen_unseen_table(exp: Experiment, task: str) -> str | None:
    """Seen vs unseen query languages per group (from each cell's unseen_languages); None if no cell has any."""
    if not any(c.unseen for c in exp.cells if c.done):
        return None
    headers = [
        "cell / group",
        "langs",
        "query languages",
        "nDCG@10 mono",
        "nDCG@10 cross",
        "nDCG@10 multi",
        "mAP multi",
        "RD",
    ]
    rows = []
    for group, cells, stats, _ in _group_rows(exp, task):
        if stats is None:
            rows.append([group, PENDING, MISSING, *([PENDING] * 5)])
            continue
        for langs in ("seen", "unseen"):
            s = group_stats(cells, task, langs)
            if s is None:
                rows.append([group, langs, "(none)", *([MISSING] * 5)])
                continue
            codes = " ".join(sorted({q for c in cells if c.done for q in query_langs(c, task, langs)}))
            rows.append(
                [
                    group,
                    langs,
                    codes,
                    *(fmt_stat(s[f"ndcg_at_10_{x}"]) for x in SETTINGS),
                    fmt_stat(s["map_multi"]),
                    fmt_stat(s["rank_distance"], "{:.1f}"),
                ]
            )
    return table(headers, rows, left=3)


def unseen_sets_differ(exp: Experiment) -> bool:
    """Whether the cells with results disagree on their unseen languages."""
    return len({tuple(sorted(c.unseen)) for c in exp.cells if c.done}) > 1


def fixed_sets_table(exp: Experiment, task: str) -> str | None:
    """When cells trained on different languages: the same query languages in every row, those every cell saw
    and those no cell saw, so rows compare across cells (None when every cell has the same unseen set)."""
    done = [c for c in exp.cells if c.done and task in c.tasks()]
    if len({tuple(sorted(c.unseen)) for c in done}) <= 1:
        return None
    headers = [
        "cell",
        "query languages",
        "nDCG@10 mono",
        "nDCG@10 cross",
        "nDCG@10 multi",
        "mono→multi %",
        "mAP multi",
        "RD",
    ]
    rows = []
    fixed = fixed_language_groups(done, task).values()
    for label, chosen in zip(("seen by every cell", "unseen by every cell"), fixed):
        if not chosen:
            continue
        for c in done:
            m = fixed_set_summary(c, task, chosen)
            rows.append(
                [
                    c.cell_id,
                    f"{' '.join(sorted(chosen))} ({label})",
                    *(fmt_number(m[f"ndcg_at_10_{x}"]) for x in SETTINGS),
                    fmt_number(m["ndcg_at_10_drop_multi_pct"], "{:.1f}%"),
                    fmt_number(m["map_multi"]),
                    fmt_number(m["rank_distance"], "{:.1f}"),
                ]
            )
    return table(headers, rows, left=2) if rows else None


def commands_section(exp: Experiment) -> str:
    """Status, seed, timings and the exact command of every cell (from cell.json)."""
    headers = ["cell", "group", "status", "seed", "train s", "eval s", "revision", "ran on"]
    rows = []
    for c in exp.cells:
        status = "done" if c.done else (f"error: {c.note}" if c.status == "error" else f"{PENDING} {c.note}".strip())
        rows.append(
            [
                c.cell_id,
                c.group,
                status,
                MISSING if c.seed is None else c.seed,
                fmt_number(c.info.get("train_seconds"), "{:.0f}"),
                fmt_number(c.info.get("eval_seconds"), "{:.0f}"),
                c.info.get("revision") or MISSING,
                ran_on(c),
            ]
        )
    machines = sorted({ran_on(c) for c in exp.cells if c.done} - {MISSING})
    mixed = []
    if len(machines) > 1:
        mixed = [
            f"Cells of this experiment ran on {len(machines)} machines ({'; '.join(machines)}): the same "
            "inputs give slightly different models on each, so compare across them with care.",
            "",
        ]
    commands = [line for c in exp.cells for line in (f"# {c.cell_id}", str(c.info.get("command") or PENDING))]
    return "\n".join([*mixed, table(headers, rows, left=3), "", "```bash", *commands, "```"])


def ran_on(cell: Cell) -> str:
    """The accelerator and torch version cell.json records (MISSING for cells written before it did)."""
    env = cell.info.get("environment") or {}
    return f"{env['accelerator']}, torch {env.get('torch', '?')}" if env.get("accelerator") else MISSING


def convergence_table(ttt: TimeToTarget, groups: Mapping[str, str]) -> str:
    """Per cell: evaluations logged, final value, first step and wall time at the target."""
    headers = ["cell", "group", "evaluations", f"final {ttt.metric}", "steps to target", "wall time to target (s)"]
    rows = [
        [
            r.cell,
            groups.get(r.cell, r.cell),
            r.evaluations,
            fmt_number(r.final, "{:.4f}"),
            "not reached" if r.step is None else f"{r.step:g}",
            "not reached" if r.wall_time is None else f"{r.wall_time:.1f}",
        ]
        for r in ttt.rows
    ]
    return table(headers, rows, left=2)


def convergence_group_table(ttt: TimeToTarget, groups: Mapping[str, str]) -> str | None:
    """Per seed group: mean ± std of steps and wall time to target over the seeds that reached it, and the
    difference from the first group with Welch's 95% interval over seeds (stats.bootstrap.seeds_only)."""
    by_group: dict[str, list[TargetRow]] = {}
    for r in ttt.rows:
        by_group.setdefault(groups.get(r.cell, r.cell), []).append(r)
    if all(len(rows) == 1 for rows in by_group.values()):
        return None
    reference = next(iter(by_group))
    ref_hit = [r for r in by_group[reference] if r.step is not None]
    headers = [
        "group",
        "reached",
        "steps to target",
        "wall time to target (s)",
        f"final {ttt.metric}",
        f"steps: group - {reference}",
        f"wall time: group - {reference}",
    ]
    out = []
    for group, rows in by_group.items():
        hit = [r for r in rows if r.step is not None]
        versus = (
            [MISSING, MISSING]
            if group == reference
            else [
                seed_difference([getattr(r, f) for r in hit], [getattr(r, f) for r in ref_hit], spec)
                for f, spec in (("step", "{:+.1f}"), ("wall_time", "{:+.1f}"))
            ]
        )
        out.append(
            [
                group,
                f"{len(hit)} of {len(rows)}",
                fmt_stat(values_stats([r.step for r in hit]), "{:.0f}"),
                fmt_stat(values_stats([r.wall_time for r in hit]), "{:.1f}"),
                fmt_stat(values_stats([r.final for r in rows]), "{:.4f}"),
                *versus,
            ]
        )
    return table(headers, out)


def curve_group_table(
    steps: Sequence[float], values: Mapping[str, Mapping[float, float]], groups: Mapping[str, str]
) -> str | None:
    """Per logged step: the first group's mean value over its seeds, and every other group's mean minus it with
    Welch's 95% interval over seeds: how far apart the curves are at each point, not only when they cross a target.
    None unless some group has 2 or more seeds."""
    by_group: dict[str, list[Mapping[float, float]]] = {}
    for cell, v in values.items():
        by_group.setdefault(groups.get(cell, cell), []).append(v)
    if not steps or all(len(v) < 2 for v in by_group.values()):
        return None
    reference, others = next(iter(by_group)), list(by_group)[1:]
    headers = ["step", f"{reference} (mean of {len(by_group[reference])})"]
    headers += [f"{g} - {reference} ({len(by_group[g])} vs {len(by_group[reference])})" for g in others]
    rows = []
    for s in steps:
        ref = [v[s] for v in by_group[reference]]
        row = [f"{s:g}", fmt_number(sum(ref) / len(ref), "{:.4f}")]
        row += [seed_difference([v[s] for v in by_group[g]], ref, "{:+.4f}") for g in others]
        rows.append(row)
    return table(headers, rows)


def seed_difference(a: Sequence[float], b: Sequence[float], spec: str) -> str:
    """mean(a) - mean(b) with Welch's 95% interval over seeds; "-" under 2 seeds a side; no interval when
    neither side varies (every seed reached the target at the same evaluation)."""
    if len(a) < 2 or len(b) < 2:
        return MISSING
    if len(set(a)) == 1 and len(set(b)) == 1:
        return f"{spec.format(a[0] - b[0])} (no seed spread)"
    with warnings.catch_warnings():  # a side with one value repeated is common here (steps on the probe's grid)
        warnings.simplefilter("ignore", RuntimeWarning)
        c = seeds_only(a, b)
    return f"{spec.format(c.diff)} [{spec.format(c.low)}, {spec.format(c.high)}]"
