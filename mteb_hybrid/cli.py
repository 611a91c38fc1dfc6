"""`mteb-hybrid`: one command per job, each a thin layer over the Python API that the tests call."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mteb_hybrid import userconfig
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


_data_dir_argument = userconfig.add_data_dir_argument  # one --data-dir text for every subcommand


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="evaluate a model on LAReQA tasks (or any mteb task) and write mteb result files",
        description="Evaluate a model and write mteb result files to OUTPUT/results/<model>/<revision>/<Task>.json. "
        "Finished subsets are kept: rerunning after an interruption only computes what is missing.",
    )
    p.add_argument(
        "-m",
        "--model",
        required=True,
        help="registered name (offline-me5-small, hybrid-me5-small, any mteb model) or a sentence-transformers folder",
    )
    p.add_argument(
        "-t",
        "--tasks",
        nargs="+",
        default=["XQuADRRetrieval"],
        help="task names: XQuADRRetrieval, MLQARRetrieval (sentence+context candidates), "
        "XQuADRSentenceRetrieval, MLQARSentenceRetrieval (sentence only), or any mteb task",
    )
    p.add_argument(
        "-l",
        "--languages",
        nargs="+",
        help="languages to evaluate (de or deu): keeps the pairs among them and their pools (a pool always "
        "holds all languages' candidates)",
    )
    p.add_argument("--subsets", nargs="+", help="exact subsets, e.g. en-de en-pool")
    _data_dir_argument(p)
    p.add_argument(
        "--output-folder",
        default="out",
        help="results go to OUTPUT/results/... (default: out, so that a run from the project root never "
        "writes into its shipped results/)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="texts per encoding batch: more is faster on a GPU, needs more memory (default: 32)",
    )
    p.add_argument("--overwrite", action="store_true", help="recompute and replace existing results")
    p.add_argument(
        "--embedding-cache",
        action="store_true",
        help="keep embeddings on disk, so an interrupted or repeated run does not re-encode (the default "
        "unless MTEB_HYBRID_EMBEDDING_CACHE=0; this flag overrides that)",
    )
    p.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16", "auto"],
        default="fp32",
        help="weights' precision: bf16 is faster only where the hardware has bf16 units (GPUs; CPUs with "
        "avx512_bf16/amx_bf16), several times slower elsewhere; fp16 only on GPUs; auto = bf16 where native, "
        "else fp32. Not fp32: results and cached vectors go under revision <revision>-bf16 (default: fp32)",
    )
    p.add_argument(
        "--devices",
        nargs="+",
        metavar="DEVICE",
        help="encode with one process per device, e.g. cuda:0 cuda:1, or cpu cpu (same results)",
    )
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from mteb_hybrid.evaluation import evaluate
    from mteb_hybrid.reporting import format_summary, load_scores, summarize

    results = evaluate(
        args.model,
        args.tasks,
        languages=args.languages,
        subsets=args.subsets,
        data_dir=args.data_dir,
        output_folder=args.output_folder,
        batch_size=args.batch_size,
        overwrite=args.overwrite,
        embedding_cache=args.embedding_cache or None,
        precision=args.precision,
        devices=args.devices,
    )
    out = Path(args.output_folder) / "results"
    try:
        print(format_summary(summarize(load_scores(out, tasks=args.tasks)), per_language=False))
    except Exception as e:  # summary is a convenience: never hide the written results behind it
        logging.getLogger(__name__).info("no LAReQA summary: %s", e)
    print(f"results written under {out}")
    return 1 if getattr(results, "exceptions", None) else 0


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


# help lines of the commands whose options live in other modules: copies, so that `--help` imports nothing
# (tests/test_cli.py checks that they equal the modules' own)
SUMMARIZE_HELP = "summarize LAReQA results (Table 1 layout, degradation, per-language rows, rank distance)"
REPORT_HELP = "write results/REPORT.md and plots over every experiment in results/experiments/"
SUBMIT_HELP = "commit results to a branch of a clone of mteb's results repository (as mteb submit-results)"
EXPORT_HELP = "write the LAReQA tasks as mteb would hold them, and the pull-request kit (benchmark, scores, PR text)"
CONFIG_HELP = "show or set the user's settings: `config data-dir PATH` once, and no command needs --data-dir"


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
    _add_evaluate(sub)
    sub.add_parser("summarize", help=SUMMARIZE_HELP, source="mteb_hybrid.reporting.summary")
    sub.add_parser(
        "train",
        help="fine-tune a multilingual encoder with X-X / X-Y / hybrid batches",
        source="mteb_hybrid.training.cli",
    )
    _add_experiment(sub)
    _add_quickstart(sub)
    _add_models(sub)
    sub.add_parser("export", help=EXPORT_HELP, source="mteb_hybrid.upstream.cli")
    _add_compare(sub)
    sub.add_parser("report", help=REPORT_HELP, source="mteb_hybrid.reporting.report")
    sub.add_parser("submit", help=SUBMIT_HELP, source="mteb_hybrid.reporting.submit")
    sub.add_parser("config", help=CONFIG_HELP, source="mteb_hybrid.userconfig")
    return parser


def _add_models(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models",
        help="list the models this package registers, whether each is ready here, and how to make it ready",
        description="Every model mteb-hybrid registers with mteb, once, with its status on this machine (ready, "
        "trained at revision R, needs training, needs the hub) and the command that makes it ready.",
    )
    _data_dir_argument(p)
    p.set_defaults(func=_run_models)


def _run_models(args: argparse.Namespace) -> None:
    from mteb_hybrid.models.listing import format_models, list_models

    print(format_models(list_models(data_dir=args.data_dir)))


def _add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="two results (or two recipes, several seeds each), query by query: difference, calibrated "
        "95%% interval, power, verdict",
        description="Compare two evaluations query by query: the difference of means (A - B) and a 95% interval. "
        "With at least 2 seeds a side (recipes): a t interval over seed means plus the question-clustered variance "
        "with Satterthwaite degrees of freedom; verdict holds (interval excludes 0 on the claimed side), fails "
        "(excludes it on the other) or inconclusive. With one seed on a side: a paired bootstrap over questions; "
        "that compares two trained models, not recipes, and gives no holds / fails. 'equivalent within +-m' "
        "only from two one-sided tests (TOST) at margin m. Each comparison prints the smallest difference its "
        "design detects (80%% power). Sides must hold the same task, subsets and queries, and be evaluated with "
        "the same settings (max_seq_length, candidate form, precision, backend, data files, task version): "
        "otherwise compare refuses and names the difference.",
    )
    p.add_argument(
        "results_a",
        metavar="RESULTS_A",
        help="folder holding A's per-query records (<Task>.per_query.parquet); several seeds: comma-separated",
    )
    p.add_argument("results_b", metavar="RESULTS_B", help="the same for B")
    p.add_argument(
        "--metric",
        default="map",
        choices=["map", "ndcg_at_10", "mrr_at_10", "rank_distance", "same_language_at_10"],
        help="per-query metric (default map)",
    )
    p.add_argument(
        "--setting",
        default="mono",
        choices=["mono", "cross", "multi"],
        help="mono: own language; cross: mean over cross-lingual pairs; multi: the pool (default mono)",
    )
    p.add_argument(
        "-l",
        "--languages",
        nargs="+",
        help="restrict both sides to these query languages (de or deu) and the pairs among them",
    )
    p.add_argument("--task", help="task whose records to read, when a folder holds several")
    p.add_argument(
        "--direction", default="greater", choices=["greater", "less"], help="the claim: A greater / less than B"
    )
    p.add_argument(
        "--margin",
        type=float,
        help="equivalence margin for TOST, in the metric's units (default 0.01; 20 for rank_distance)",
    )
    p.add_argument(
        "--target-delta",
        type=float,
        metavar="D",
        help="also print how many seeds a side would resolve a true difference of D (80%% power)",
    )
    p.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare even when the evaluation settings differ (the output names the mismatch)",
    )
    p.add_argument(
        "--resamples", type=int, default=10_000, help="bootstrap resamples, one seed a side (default 10,000)"
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (same seed, same interval)")
    p.set_defaults(func=_run_compare)


def _run_compare(args: argparse.Namespace) -> int:
    from mteb_hybrid.stats.compare import run_compare

    return run_compare(args)


def _add_quickstart(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quickstart",
        help="the main job: offline model -> zero-shot XQuAD-R -> short hybrid training on MLQA-R -> again",
        description="Build the offline default model, score it zero-shot on XQuAD-R (a few query languages), train "
        "hybrid-me5-small on MLQA-R with hybrid batches, score it again and print the before/after table. "
        "About 15-25 minutes on 2 CPU cores.",
    )
    _data_dir_argument(p)
    p.add_argument("--output-folder", default="mteb-hybrid-quickstart", help="where results and the summary go")
    p.add_argument(
        "-l",
        "--languages",
        nargs="+",
        default=["en", "de", "th"],
        help="XQuAD-R query languages to score (th is unseen in MLQA-R training)",
    )
    p.add_argument("--max-steps", type=int, default=100, help="training steps (default 100)")
    p.add_argument(
        "--batch-size",
        type=int,
        default=32,
        help="training rows per batch, i.e. the in-batch negatives of each query (default: 32)",
    )
    p.add_argument("--retrain", action="store_true", help="train again even if hybrid-me5-small exists")
    p.add_argument(
        "--quick",
        action="store_true",
        help="only the first real score, in minutes: offline-me5-small on XQuAD-R sentences of the -l "
        "languages (pairs, and pools of these languages only) and its language-bias table; no training. "
        "en de th: 6,860 texts, about 3.5 minutes of one CPU core at fp32",
    )
    p.add_argument(
        "--precision",
        choices=["fp32", "bf16", "auto"],
        default="auto",
        help="--quick's scoring precision (default auto: bf16 where the hardware has it natively, else fp32)",
    )
    p.set_defaults(func=_run_quickstart)


def _run_quickstart(args: argparse.Namespace) -> None:
    from mteb_hybrid.training.config import build_config

    # the training options, checked by the training config before the first (long) evaluation starts
    build_config(lambda name: "--" + name.replace("_", "-"), batch_size=args.batch_size, max_steps=args.max_steps)
    from mteb_hybrid.quickstart import quick, quickstart

    if args.quick:
        quick(args.data_dir, args.output_folder, tuple(args.languages), args.precision)
        return
    quickstart(args.data_dir, args.output_folder, tuple(args.languages), args.max_steps, args.batch_size, args.retrain)


def _add_experiment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "experiment",
        help="run an experiment grid (experiments/*.yaml): train and score every cell, resumably",
        description="Run the cells of an experiment config. A finished cell (results/experiments/<name>/<cell>/"
        "cell.json with status done) is reused only if it ran with the same inputs (training settings, base model "
        "revision, data files); one whose inputs changed is refused, naming the changed keys (--force recomputes). "
        "An interrupted cell resumes from its last training checkpoint and its last finished evaluation subset.",
    )
    p.add_argument("config", help="experiment file, e.g. experiments/batching.yaml")
    _data_dir_argument(p)
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
    p.set_defaults(func=_run_experiment)


def _run_experiment(args: argparse.Namespace) -> int:
    import tempfile

    from mteb_hybrid.experiments import load_experiment, run_experiment, validate_experiment
    from mteb_hybrid.training.guard import ZeroShotViolation

    cfg = load_experiment(args.config)
    if problems := validate_experiment(cfg, allow_overlap=args.allow_overlap, data_dir=args.data_dir):
        raise ValueError(f"{args.config}: " + "; ".join(problems))
    print(
        f"{args.config}: {len(cfg.cells)} cells ({', '.join(c.id for c in cfg.cells)}), tasks {', '.join(cfg.eval.tasks)}"
    )
    if args.check:
        return 0
    smoke_root = args.smoke and args.results == "results"
    results = tempfile.mkdtemp(prefix="mteb-hybrid-smoke-") if smoke_root else args.results
    logging.getLogger("mteb_hybrid.experiments.runner").setLevel(logging.INFO)  # its progress lines, without -v
    try:
        outcomes = run_experiment(
            args.config,
            results,
            args.data_dir,
            smoke=args.smoke,
            only=args.cells,
            keep_going=args.keep_going,
            model_root=(f"{results}/models" if args.smoke else None),
            force=args.force,
            allow_overlap=args.allow_overlap,
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
