"""`mteb-hybrid report`: results/REPORT.md (+ PNG plots) over every experiment in results/experiments/.

The work is split by job: `loading` reads the experiment folders into typed records, `aggregate`
takes means and standard deviations over seeds, `convergence` the time to target, `tables` and
`claims` the tables and the paper's claims, `render` fills the Markdown templates and `plots` draws.
This module writes the files and holds the CLI. Anything missing (a running experiment, a cell
without result files, a broken file) shows as "(pending)" or an error note: the report never stops on it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mteb_hybrid.files import write_atomic

from .loading import load_experiments
from .plots import PlotWriter
from .render import render_report

PLOTS_DIR = "plots"
REPORT_FILE = "REPORT.md"


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
    write_atomic(out, text)
    return out


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
