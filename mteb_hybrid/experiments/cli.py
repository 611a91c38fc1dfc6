"""`mteb-hybrid experiment`: its options, and the run of a config (read and checked once)."""

from __future__ import annotations

import argparse
import logging

from mteb_hybrid.userconfig import add_data_dir_argument

EXPERIMENT_HELP = "run an experiment grid (experiments/*.yaml): train and score every cell, resumably"
EXPERIMENT_DESCRIPTION = (
    "Run the cells of an experiment config. A finished cell (results/experiments/<name>/<cell>/"
    "cell.json with status done) is reused only if it ran with the same inputs (training settings, base model "
    "revision, data files); one whose inputs changed is refused, naming the changed keys (--force recomputes). "
    "An interrupted cell resumes from its last training checkpoint and its last finished evaluation subset."
)


def add_experiment_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="experiment file, e.g. experiments/batching.yaml")
    add_data_dir_argument(p)
    p.add_argument("--results", default="results", help="results root (default: results)")
    p.add_argument("--cells", nargs="+", help="run only these cell ids or groups, in this order")
    p.add_argument(
        "--check",
        action="store_true",
        help="only parse and validate the config: keys, models, tasks, languages, subsets, and the zero-shot "
        "guard on the data (give --data-dir); every check that needs no model",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="run every cell with a tiny random stand-in model for 2 steps on 2 languages (catches config "
        "errors before a GPU day); writes under a temporary results root unless --results is given",
    )
    p.add_argument("--keep-going", action="store_true", help="continue with the next cell when one fails")
    p.add_argument(
        "--force",
        action="store_true",
        help="recompute finished cells whose inputs changed since they ran (default: refuse and name the keys)",
    )
    p.add_argument(
        "--allow-overlap",
        action="store_true",
        help="train even if the zero-shot guard finds overlap with an evaluation task or cannot check one",
    )


def run_experiment(args: argparse.Namespace) -> int:
    """`mteb-hybrid experiment`: the config read and checked once, then its cells run."""
    import tempfile

    from mteb_hybrid.experiments import load_experiment, validate_experiment
    from mteb_hybrid.experiments.runner import run_experiment as run_grid
    from mteb_hybrid.training.guard import ZeroShotViolation

    cfg = load_experiment(args.config)
    if problems := validate_experiment(cfg, allow_overlap=args.allow_overlap, data_dir=args.data_dir):
        raise ValueError(f"{args.config}: " + "; ".join(problems))
    cells, tasks = ", ".join(c.id for c in cfg.cells), ", ".join(cfg.eval.tasks)
    print(f"{args.config}: {len(cfg.cells)} cells ({cells}), tasks {tasks}")
    if args.check:
        return 0
    smoke_root = args.smoke and args.results == "results"
    results = tempfile.mkdtemp(prefix="mteb-hybrid-smoke-") if smoke_root else args.results
    logging.getLogger("mteb_hybrid.experiments.runner").setLevel(logging.INFO)  # its progress lines, without -v
    try:
        outcomes = run_grid(
            cfg,
            results,
            args.data_dir,
            smoke=args.smoke,
            only=args.cells,
            keep_going=args.keep_going,
            model_root=(f"{results}/models" if args.smoke else None),
            force=args.force,
            allow_overlap=args.allow_overlap,
            validated=True,
        )
    except ZeroShotViolation as e:  # the first line is the verdict, the rest (counts, examples) goes to the log
        verdict, _, details = str(e).partition("\n")
        if details:
            logging.getLogger(__name__).warning("%s", details)
        raise ValueError(f"{args.config}: {verdict}") from None
    for o in outcomes:
        print(f"{o.cell:24} {o.status:8} {o.seconds:8.1f}s {o.error or ''}")
    print(f"results under {results}/experiments/{cfg.name}")
    return 1 if any(o.status == "failed" for o in outcomes) else 0
