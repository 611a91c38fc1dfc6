"""`mteb-hybrid`: one command per job, each a thin layer over the Python API that the tests call."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

from mteb_hybrid.noise import quiet_known_noise

EPILOG = """\
Typical use (offline; the cheap sentence tasks; vectors are kept on disk for the next run unless
MTEB_HYBRID_EMBEDDING_CACHE=0; `mteb-hybrid config data-dir ../shared/data` once makes --data-dir optional):
  mteb-hybrid quickstart --data-dir ../shared/data     # the main job, 15-20 minutes on 2 idle CPU cores
  mteb-hybrid models                                    # which models are ready here, and how to make them ready
  mteb-hybrid evaluate -m offline-me5-small -t XQuADRSentenceRetrieval -l en de --data-dir ../shared/data --embedding-cache
  mteb-hybrid summarize results
  mteb-hybrid train --base me5-small --data mlqa-r --data-dir ../shared/data --max-steps 200
The same tasks and models work from mteb itself (give --output-folder: mteb's default is ./results):
  MTEB_HYBRID_DATA_DIR=../shared/data mteb run -m offline-me5-small -t XQuADRSentenceRetrieval -l eng deu --output-folder out
"""


class _LazyParser(argparse.ArgumentParser):
    """A subcommand parser whose options `source` (a module) defines, added on first use (parsing or --help), so
    that building the CLI imports nothing heavy and `mteb-hybrid X --help` imports only the module of X."""

    def __init__(self, *args: Any, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source = source

    def _populate(self) -> None:
        """Adds the options and function the source defines for the command (add_X_arguments, run_X)."""
        if self._source is None:
            return
        module, self._source = self._source, None
        command = self.prog.split()[-1]
        try:
            source = importlib.import_module(module)
        except ImportError as e:  # e.g. training extras not importable: the rest of the CLI keeps working
            what = "training" if command == "train" else command
            self.error(f"{what} is not available here ({e}); install the package with its dependencies")
        self.description = getattr(source, f"{command.upper()}_DESCRIPTION", self.description)
        getattr(source, f"add_{command}_arguments")(self)
        self.set_defaults(func=getattr(source, f"run_{command}"))

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:  # noqa: D102
        self._populate()  # usage and errors are formatted after parsing began, so this covers them too
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:  # noqa: D102
        self._populate()
        return super().format_help()


# help lines of the commands, whose options live in their own modules (add_<command>_arguments, run_<command>,
# <COMMAND>_DESCRIPTION): copies, so that `--help` imports nothing (tests/test_cli.py checks that they equal the
# modules' own)
EVALUATE_HELP = "evaluate a model on LAReQA tasks (or any mteb task) and write mteb result files"
TRAIN_HELP = "fine-tune a multilingual encoder with X-X / X-Y / hybrid batches"
EXPERIMENT_HELP = "run an experiment grid (experiments/*.yaml): train and score every cell, resumably"
QUICKSTART_HELP = "the main job: offline model -> zero-shot XQuAD-R -> short hybrid training on MLQA-R -> again"
MODELS_HELP = "list the models this package registers, whether each is ready here, and how to make it ready"
COMPARE_HELP = (
    "two results (or two recipes, several seeds each), query by query: difference, calibrated "
    "95%% interval, power, verdict"
)
SUMMARIZE_HELP = "summarize LAReQA results (Table 1 layout, degradation, per-language rows, rank distance)"
REPORT_HELP = "write results/REPORT.md and plots over every experiment in results/experiments/"
SUBMIT_HELP = "commit results to a branch of a clone of mteb's results repository (as mteb submit-results)"
EXPORT_HELP = "write the LAReQA tasks as mteb would hold them, and the pull-request kit (benchmark, scores, PR text)"
CONFIG_HELP = "show or set the user's settings: `config data-dir PATH` once, and no command needs --data-dir"

COMMANDS = [  # (command, help line, the module that defines add_<command>_arguments and run_<command>)
    ("evaluate", EVALUATE_HELP, "mteb_hybrid.evaluation"),
    ("summarize", SUMMARIZE_HELP, "mteb_hybrid.reporting.summary"),
    ("train", TRAIN_HELP, "mteb_hybrid.training.cli"),
    ("experiment", EXPERIMENT_HELP, "mteb_hybrid.experiments.cli"),
    ("quickstart", QUICKSTART_HELP, "mteb_hybrid.quickstart"),
    ("models", MODELS_HELP, "mteb_hybrid.models.listing"),
    ("export", EXPORT_HELP, "mteb_hybrid.upstream.cli"),
    ("compare", COMPARE_HELP, "mteb_hybrid.stats.compare_cli"),
    ("report", REPORT_HELP, "mteb_hybrid.reporting.report"),
    ("submit", SUBMIT_HELP, "mteb_hybrid.reporting.submit"),
    ("config", CONFIG_HELP, "mteb_hybrid.userconfig"),
]


def build_parser() -> argparse.ArgumentParser:
    """The `mteb-hybrid` parser; each subcommand's options are added only when that subcommand is used."""
    parser = argparse.ArgumentParser(
        prog="mteb-hybrid",
        description="Measure and fix language bias in multilingual retrievers: LAReQA tasks for mteb, hybrid-batch training.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log at INFO level and show the library warnings that are hidden by default",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_LazyParser)
    for command, help_line, source in COMMANDS:
        sub.add_parser(command, help=help_line, source=source)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input ends with `error: ...` on one line and exit status 2, not a traceback."""
    args = build_parser().parse_args(argv)
    from mteb_hybrid.userconfig import set_entry_point

    set_entry_point("mteb-hybrid", sys.argv[1:] if argv is None else argv)  # messages show the user's own line
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_known_noise(verbose=args.verbose)
    try:
        return _run(args)
    finally:
        set_entry_point(None)


def _run(args: argparse.Namespace) -> int:
    """The command's function; user errors and Ctrl-C as one line."""
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError, LookupError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line (and the checkpoint a re-run resumes from), no traceback
        trainlog = sys.modules.get("mteb_hybrid.training.trainlog")  # loaded only if training ran
        again = "run the same command again"
        line = trainlog.interrupted_message(again) if trainlog else "interrupted"
        print(
            f"\n{line if line != 'interrupted' else f'interrupted; finished work is kept: {again} to continue'}",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
