"""`mteb-hybrid compare`: two result folders (or several, one per seed) -> difference, interval, verdict."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .bootstrap import Comparison, Direction, paired_bootstrap
from .records import check_metric, load_side, query_scores


@dataclass(frozen=True)
class FolderComparison:
    """A comparison of two sides read from record files, with what was compared."""

    task: str
    setting: str
    languages: tuple[str, ...] | None
    result: Comparison


def compare_results(
    results_a: Sequence[str | Path], results_b: Sequence[str | Path], *, metric: str = "map", setting: str = "mono",
    languages: Sequence[str] | None = None, task: str | None = None, direction: Direction = "greater",
    resamples: int = 10_000, seed: int = 0, confidence: float = 0.95, split: str = "test",
) -> FolderComparison:
    """Compare the per-query records under two sets of folders (one folder per seed) on one metric and setting."""
    check_metric(metric, setting)
    task_a, side_a = load_side(results_a, task, metric)
    task_b, side_b = load_side(results_b, task or task_a, metric)
    if task_a != task_b:
        raise ValueError(f"side A holds {task_a} records, side B {task_b}: give --task")
    langs = language_codes(languages) if languages else None
    frames_a = [query_scores(r, setting, langs, split) for _, r in side_a]
    frames_b = [query_scores(r, setting, langs, split) for _, r in side_b]
    for (path, _), f in zip(side_a + side_b, frames_a + frames_b):
        if f.empty:
            raise ValueError(f"{path}: no {setting} rows in split {split!r}"
                             + (f" for languages {' '.join(langs)}" if langs else ""))
    result = paired_bootstrap(frames_a, frames_b, metric, direction=direction, resamples=resamples, seed=seed,
                              confidence=confidence)
    return FolderComparison(task_a, setting, langs, result)


def language_codes(languages: Sequence[str]) -> tuple[str, ...]:
    """The datasets' own codes for `languages` given as those codes (de) or as ISO 639-3 (deu, deu-Latn)."""
    from mteb_hybrid.data.definitions import load_definitions

    known: dict[str, str] = {}
    for d in load_definitions().values():
        for code, tag in d.languages.items():
            known.update({code: code, tag.lower(): code, tag.split("-")[0].lower(): code})
    if unknown := [x for x in languages if x.lower() not in known]:
        raise ValueError(f"unknown language(s) {' '.join(unknown)}; use codes such as "
                         f"{' '.join(sorted({c for c in known.values()}))} (or ISO 639-3: deu)")
    return tuple(dict.fromkeys(known[x.lower()] for x in languages))


def format_comparison(c: FolderComparison) -> str:
    """What the CLI prints: what was compared, the means, the difference with its interval, the verdict."""
    r = c.result
    claim = ">" if r.direction == "greater" else "<"
    covers = ("questions and seeds" if r.levels.endswith("+seeds")
              else "questions only (one seed a side: training noise is not covered)")
    return "\n".join([
        f"{c.task} {r.metric}, setting {c.setting}, languages {' '.join(c.languages) if c.languages else 'all'}",
        f"A: mean {r.mean_a:.5f} over {r.n_seeds_a} seed(s)   B: mean {r.mean_b:.5f} over {r.n_seeds_b} seed(s)",
        f"A - B = {r.diff:+.5f}, {r.confidence:.0%} interval [{r.low:+.5f}, {r.high:+.5f}]",
        f"paired bootstrap over {r.n_questions} questions ({r.n_queries} queries), {r.resamples} resamples, "
        f"seed {r.seed}; the interval covers {covers}",
        f"verdict for A {claim} B: {r.verdict}",
    ])


def run_compare(args: argparse.Namespace) -> int:
    """The `compare` subcommand: prints the comparison; the verdict is information, so exit 0."""
    a, b = ([p for p in arg.split(",") if p] for arg in (args.results_a, args.results_b))
    print(format_comparison(compare_results(
        a, b, metric=args.metric, setting=args.setting, languages=args.languages, task=args.task,
        direction=args.direction, resamples=args.resamples, seed=args.seed,
    )))
    return 0
