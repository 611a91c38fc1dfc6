"""`mteb-hybrid export`: options and run (the CLI module builds the subcommand lazily from these)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mteb_hybrid.data.definitions import task_names
from mteb_hybrid.userconfig import add_data_dir_argument

EXPORT_HELP = "write the LAReQA tasks as mteb would hold them, and the pull-request kit (benchmark, scores, PR text)"
EXPORT_DESCRIPTION = (
    "Write OUT/datasets/<Task>/ (a Hugging Face dataset folder with mteb's <subset>-corpus/-queries/-qrels configs "
    "and a dataset card), OUT/mteb/tasks/retrieval/multilingual/<task>.py (the task file for mteb) and "
    "OUT/mteb/descriptive_stats/Retrieval/<Task>.json (computed by mteb). --compact writes the compact variants "
    "proposed upstream (LAReQA* names); --kit adds the benchmark, its leaderboard entry, the upload script, "
    "ModelMeta entries and PR.md; --scores runs stock mteb on the exported tasks and puts the scores in PR.md. "
    "Files the export did not write are never replaced or removed without --overwrite. Same input, same bytes. "
    "See docs/upstream.md."
)


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    """Options of `mteb-hybrid export`."""
    p.add_argument("out", metavar="OUT", help="output folder")
    p.add_argument(
        "-t",
        "--tasks",
        nargs="+",
        default=None,
        help=f"plugin tasks (default: {' '.join(task_names())}; with --compact: "
        f"{' '.join(task_names(('sentence+context',)))})",
    )
    p.add_argument(
        "-l",
        "--languages",
        nargs="+",
        help="query languages (de or deu): keeps the pairs among them and their pools (a pool always holds "
        "all languages' candidates); default: all",
    )
    add_data_dir_argument(p)
    p.add_argument("--hub-org", default="mteb", help="hub organisation of the datasets: <org>/<Task> (default: mteb)")
    p.add_argument(
        "--push-to-hub",
        action="store_true",
        help="upload each dataset folder to <org>/<Task> (needs a token) and pin the task file to its commit",
    )
    p.add_argument("--no-stats", action="store_true", help="skip mteb's descriptive statistics (faster; not for a PR)")
    p.add_argument(
        "--compact",
        action="store_true",
        help="the compact variants for upstream (whole paragraphs sampled with every translation; X-X, "
        "pivot and pool subsets) under the names LAReQA<dataset>[Sentence]Retrieval",
    )
    p.add_argument(
        "--kit",
        action="store_true",
        help="also the benchmark, leaderboard menu entry, upload script, ModelMeta entries and PR.md",
    )
    p.add_argument(
        "--scores",
        nargs="+",
        metavar="MODEL",
        default=None,
        help="models scored by stock mteb on the exported tasks (e.g. mteb/baseline-random-encoder "
        "offline-me5-small); results under OUT/scores, quoted in PR.md (implies --kit)",
    )
    p.add_argument(
        "--score-tasks",
        nargs="+",
        metavar="TASK",
        default=None,
        help="exported tasks to score (default: all exported ones); e.g. only the cheap sentence forms",
    )
    p.add_argument(
        "--full-results",
        nargs="+",
        metavar="DIR",
        default=None,
        help="mteb results of the full plugin tasks (default: the project's results/), for the compact "
        "tasks' agreement with them in PR.md",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace/remove files in the way that the export did not write (they are listed)",
    )


def run_export(args: argparse.Namespace) -> int:
    from .export import COMPACT_DEFAULT, TASKS, export, summary_json
    from .hub import push_to_hub
    from .kit import SHIPPED_RESULTS
    from .writer import ExportConflict

    kit = args.kit or bool(args.scores)
    full_results = [Path(p) for p in args.full_results] if args.full_results else [SHIPPED_RESULTS]
    tasks = tuple(args.tasks or (COMPACT_DEFAULT if args.compact else TASKS))
    try:
        results = export(
            args.out,
            tasks,
            data_dir=args.data_dir,
            languages=args.languages,
            hub_org=args.hub_org,
            stats=not args.no_stats,
            overwrite=args.overwrite,
            compact=args.compact,
            kit=kit,
            full_results=full_results,
        )
    except ExportConflict as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.scores:
        from .kit import add_kit
        from .scores import reference_scores
        from .writer import KitWriter

        reference_scores(args.out, args.scores, args.score_tasks or [r.name for r in results])
        writer = KitWriter(args.out)
        add_kit(writer, results, compact=args.compact, data_dir=args.data_dir, full_results=full_results)  # with scores
        writer.commit()
    if args.push_to_hub:
        for r in results:
            print(f"{r.name}: uploaded as {args.hub_org}/{r.name} at {push_to_hub(r, f'{args.hub_org}/{r.name}')}")
    print(summary_json(results))
    if kit:
        print(f"pull-request kit: {Path(args.out) / 'PR.md'}")
    return 0
