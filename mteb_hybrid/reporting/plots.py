"""PNG plots for the experiment report: heatmaps, degradation, convergence, rank distance.

Object-oriented matplotlib (Figure + FigureCanvasAgg), never pyplot: no global backend or figure state is
touched, so the report runs inside any process. matplotlib (the `report` extra) is imported only to draw.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import math
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mteb_hybrid.files import write_atomic

from .aggregate import degradation_points, heatmap_matrix, rank_distance_frames, shared_unseen
from .convergence import TimeToTarget, metric_points
from .loading import Experiment
from .templates import render

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SETTING_COLORS = {"mono": "#1f77b4", "cross": "#ff7f0e", "multi": "#2ca02c"}
LINESTYLES = ("-", "--", ":", "-.")
_DPI = 110

logger = logging.getLogger(__name__)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _wrap(title: str, width_in: float, fontsize: float = 10) -> str:
    """Break a title into lines that fit the figure width (matplotlib clips, it never wraps)."""
    chars = max(20, int(width_in * 130 / fontsize))
    return "\n".join(textwrap.wrap(title, chars)) or title


def _mark(langs: Sequence[str], unseen: frozenset[str]) -> list[str]:
    """Tick labels with languages unseen in training starred (`_star_note` in the title explains the star)."""
    return [f"{x}*" if x in unseen else x for x in langs]


def _star_note(langs: Sequence[str], unseen: frozenset[str]) -> str:
    return " (* unseen in training)" if unseen & set(langs) else ""


def plot_heatmap(matrix: pd.DataFrame, title: str, *, unseen: frozenset[str] = frozenset()) -> Figure:
    """Query language (rows) x corpus language (columns, `pool` last, set off by a line: another setting),
    every cell annotated; pairs not evaluated (NaN) stay blank and say "-"."""
    rows, cols = list(matrix.index), list(matrix.columns)
    fig = _figure(max(5.5, 0.62 * len(cols) + 2.6), max(3.6, 0.5 * len(rows) + 1.9))
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            v = values[i, j]
            text = "-" if math.isnan(v) else f"{v:.2f}"
            r, g, b, _ = im.cmap(im.norm(v)) if not math.isnan(v) else (1.0, 1.0, 1.0, 1.0)
            color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"  # legible on any shade
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(len(cols)), _mark(cols, unseen))
    ax.set_yticks(range(len(rows)), _mark(rows, unseen))
    ax.set_xlabel("corpus language")
    ax.set_ylabel("query language")
    if "pool" in cols and cols.index("pool") > 0:
        ax.axvline(cols.index("pool") - 0.5, color="white", linewidth=3)
    ax.set_title(_wrap(title + _star_note(rows + cols, unseen), fig.get_figwidth() - 1.2), fontsize=10)
    fig.colorbar(im, ax=ax, label="nDCG@10", fraction=0.05, pad=0.02)
    return fig


def plot_degradation(points: pd.DataFrame, title: str) -> Figure:
    """The nDCG@10 drop from mono (% of mono) against the number of training languages, one panel per fixed
    language group; `points` as `aggregate.degradation_points` gives them."""
    panels = sorted(set(points["langs"]))
    fig = _figure(5.2 * len(panels) + 0.6, 4.4)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    series = sorted(set(points["series"]))
    xs = sorted(set(points["n_languages"]))
    for ax, panel in zip(axes, panels):
        sub = points[points["langs"] == panel]
        for k, name in enumerate(series):
            for setting, color in SETTING_COLORS.items():
                line = sub[(sub["series"] == name) & (sub["setting"] == setting)].sort_values("n_languages")
                if line.empty:
                    continue
                label = f"mono → {setting}" if len(series) == 1 else f"{name}: mono → {setting}"
                ax.errorbar(
                    line["n_languages"],
                    line["mean"],
                    yerr=line["std"].fillna(0.0),
                    color=color,
                    linestyle=LINESTYLES[k % len(LINESTYLES)],
                    marker="o",
                    capsize=3,
                    label=label,
                )
        ax.set_title(_wrap(f"query languages {panel}", 5.2, 10), fontsize=10)
        ax.set_xlabel("number of training languages")
        ax.set_xticks(xs)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("nDCG@10 drop from mono (%)")
    fig.suptitle(_wrap(title, fig.get_figwidth(), 11), fontsize=11)
    return fig


def plot_convergence(
    curves: Mapping[str, Sequence[tuple[float, float, float]]],
    metric: str,
    title: str,
    *,
    target: float | None = None,
    groups: Mapping[str, str] | None = None,
) -> Figure:
    """Metric vs step (left) and vs wall time (right), one line per cell, the target dashed. Seeds of one of
    `groups` share a colour, so spread within a group shows apart from differences between groups."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(12.0, 4.6 + 0.22 * max(0, len(curves) - 6))
    ax_step, ax_time = fig.subplots(1, 2, sharey=True)
    groups = groups or {}
    palette = _palette(sorted({groups.get(label, label) for label in curves}))
    seen_in_group: dict[str, int] = {}
    for label, points in curves.items():
        group = groups.get(label, label)
        k = seen_in_group[group] = seen_in_group.get(group, -1) + 1
        style: dict[str, Any] = {
            "color": palette[group],
            "linestyle": LINESTYLES[k % len(LINESTYLES)],
            "marker": "o",
            "markersize": 3,
        }
        steps, wall_times, values = zip(*points)
        ax_step.plot(steps, values, label=label, **style)
        ax_time.plot(wall_times, values, **style)
    for ax, xlabel in ((ax_step, "training step"), (ax_time, "wall time (s)")):
        if target is not None:
            ax.axhline(target, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    if target is not None:
        ax_time.text(
            1.0, target, " target", transform=ax_time.get_yaxis_transform(), va="center", fontsize=8, color="grey"
        )
    ax_step.set_ylabel(metric)
    ax_step.set_title(f"{metric} vs step", fontsize=10)
    ax_time.set_title(f"{metric} vs wall time", fontsize=10)
    ax_step.legend(fontsize=8, ncols=1 if len(curves) <= 8 else 2)
    ax_step.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(_wrap(title, fig.get_figwidth(), 11), fontsize=11)
    return fig


def _palette(names: Sequence[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {n: cmap(i % cmap.N) for i, n in enumerate(names)}


def plot_rank_distance(
    means: pd.DataFrame, stds: pd.DataFrame, title: str, *, unseen: frozenset[str] = frozenset()
) -> Figure:
    """Grouped bars: rank distance per query language (x), one bar per model (columns of `means`, `stds`)."""
    langs, models = list(means.index), list(means.columns)
    width = 0.8 / max(1, len(models))
    fig = _figure(max(7.0, 0.09 * len(langs) * len(models) + 0.35 * len(langs) + 3.0), 4.6)
    ax = fig.add_subplot()
    palette = _palette(models)
    for k, model in enumerate(models):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(langs))]
        std = stds[model] if model in stds else None
        err = None if std is None or std.isna().all() else std.fillna(0.0).to_numpy()  # one seed: no bar
        ax.bar(
            xs, means[model].to_numpy(dtype=float), width=width, yerr=err, capsize=2, label=model, color=palette[model]
        )
    ax.set_xticks(range(len(langs)), _mark(langs, unseen))
    ax.set_xlabel("query language")
    ax.set_ylabel("mean rank distance (lower = less bias)")
    ax.set_title(_wrap(title + _star_note(langs, unseen), fig.get_figwidth() - 1.5), fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title="model", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never on a bar
    return fig


def slug(text: str) -> str:
    """A file-name-safe form of an experiment, task or group name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


@dataclass
class PlotWriter:
    """Draws an experiment's plots into results/plots/<experiment>/ and remembers what it wrote."""

    plots_dir: Path
    report_dir: Path
    enabled: bool = True
    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def draw(self, alt: str, path: Path, fn: Any, *args: Any, **kwargs: Any) -> str | None:
        """One plot written as PNG and its Markdown link; a failure becomes a note in the report, not a stop."""
        try:
            buf = io.BytesIO()
            fn(*args, **kwargs).savefig(buf, format="png", dpi=_DPI)
            write_atomic(path, buf.getvalue())
        except Exception as e:  # a plot is never worth losing the report over
            logger.warning("plot %s failed: %s", path, e)
            self.failures.append(f"{fn.__name__}: {e}")
            return None
        self.written.append(path)
        return f"![{alt}]({Path(os.path.relpath(path, self.report_dir)).as_posix()})"


def experiment_plots(exp: Experiment, writer: PlotWriter, race: TimeToTarget | None) -> list[str]:
    """Draw heatmaps, rank distance, degradation and (with `race`, a shared metric) convergence; Markdown lines."""
    if not writer.enabled:
        return []
    if importlib.util.find_spec("matplotlib") is None:  # the tables are still written; the report says so
        return [render("plots_skipped")]
    folder = writer.plots_dir / slug(exp.name)
    lines: list[str | None] = []
    for task in exp.tasks():
        for group, cells in exp.groups().items():
            n = sum(1 for c in cells if task in c.tasks())
            if not n:
                continue
            seeds = f", mean of {n} seeds" if n > 1 else ""
            lines.append(
                writer.draw(
                    f"nDCG@10 heatmap {group} {task}",
                    folder / f"heatmap_{slug(task)}_{slug(group)}.png",
                    plot_heatmap,
                    heatmap_matrix(cells, task),
                    f"{exp.name} / {group}: nDCG@10 on {task}{seeds}",
                    unseen=shared_unseen(cells),
                )
            )
        means, stds = rank_distance_frames(exp, task)
        if not means.empty:
            lines.append(
                writer.draw(
                    f"rank distance {task}",
                    folder / f"rank_distance_{slug(task)}.png",
                    plot_rank_distance,
                    means,
                    stds,
                    f"{exp.name}: rank distance per query language on {task} (pool ranking)",
                    unseen=shared_unseen(exp.cells),
                )
            )
        points = degradation_points(exp, task)
        if not points.empty:
            lines.append(
                writer.draw(
                    f"degradation vs training languages {task}",
                    folder / f"degradation_{slug(task)}.png",
                    plot_degradation,
                    points,
                    f"{exp.name}: nDCG@10 drop vs number of training languages ({task}; error bars: std over seeds)",
                )
            )
    if race is not None:
        curves = {c.cell_id: points for c in exp.cells if (points := metric_points(c.log, race.metric))}
        lines.append(
            writer.draw(
                "convergence",
                folder / "convergence.png",
                plot_convergence,
                curves,
                race.metric,
                f"{exp.name}: convergence",
                target=race.target,
                groups={c.cell_id: c.group for c in exp.cells},
            )
        )
    return [line for line in lines if line]
