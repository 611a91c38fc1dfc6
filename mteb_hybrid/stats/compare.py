"""`mteb-hybrid compare`: two sides of result folders (one per seed) -> difference, calibrated interval, verdict.

Only like for like: both sides must hold the same task, subsets and queries, and every file the same evaluation
settings (truncation length, candidate form, precision, backend, data, task version); otherwise it refuses and
names what differs (`allow_mismatch` compares anyway and says so). Machines are named, not refused.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mteb_hybrid.formats.per_query import (
    UNKNOWN,
    Evaluation,
    check_metric,
    in_setting,
    load_side,
    merged_settings,
    query_scores,
    result_path,
)

from .bootstrap import Direction
from .inferred import evaluation_of, training_machine
from .verdicts import DEFAULT_MARGINS, Decision, decide


class MismatchError(ValueError):
    """The sides were not produced like for like."""


@dataclass(frozen=True)
class FolderComparison:
    """A comparison of two sides read from record files, with what was compared and how it was produced."""

    task: str
    setting: str
    languages: tuple[str, ...] | None
    result: Decision
    settings: dict[str, str]  # the shared evaluation settings, for the output
    mismatches: list[str] = field(default_factory=list)  # settings that differ (only with allow_mismatch)
    notes: list[str] = field(default_factory=list)  # machines and inferred settings, in words


def _show(value: object) -> str:
    if isinstance(value, dict):
        return f"{len(value)} file(s) sha256 " + ",".join(sorted(v[:8] for v in value.values()))
    return str(value)


def setting_differences(evaluations: Sequence[tuple[str, Evaluation]]) -> list[str]:
    """'key: label=value, ...' for each setting that is not the same in every file (data files: a file read by
    two results must have one hash; a file only one of them read is not a difference)."""
    first = evaluations[0][1].settings
    if all(merged_settings(first, e.settings) is not None for _, e in evaluations[1:]):
        return []
    out = []
    for key in first.model_dump():
        values = [(label, e.settings.model_dump()[key]) for label, e in evaluations]
        if key == "data_sha256" and all(isinstance(v, dict) for _, v in values):
            merged: dict[str, set[str]] = {}
            for _, v in values:
                for name, digest in v.items():
                    merged.setdefault(name, set()).add(digest)
            if changed := sorted(name for name, digests in merged.items() if len(digests) > 1):
                out.append(f"data_sha256: {', '.join(changed)} differ")
        elif len({json.dumps(v, sort_keys=True) for _, v in values}) > 1:
            out.append(f"{key}: " + ", ".join(f"{label}={_show(v)}" for label, v in values))
    return out


def _subsets_of_result(records_path: Path, split: str) -> set[str] | None:
    """The subsets mteb's `<Task>.json` beside the records holds for `split` (None if there is no such file)."""
    result = result_path(records_path)
    if not result.is_file():
        return None
    scores = json.loads(result.read_text(encoding="utf-8")).get("scores", {})
    return {s["hf_subset"] for s in scores.get(split, [])}


def _subsets(records: pd.DataFrame, split: str) -> set[str]:
    """The subsets a records frame holds rows for in `split` (one pass over the categorical codes)."""
    pairs = records.groupby(["split", "subset"], observed=True, sort=False).size().index
    return {str(subset) for s, subset in pairs if str(s) == split}


def _check_coverage(path: Path, have: set[str], split: str) -> None:
    """A records file must hold every subset its result file scored: a partial file is never compared."""
    expected = _subsets_of_result(path, split)
    if expected is not None and (missing := sorted(expected - have)):
        raise ValueError(
            f"{path}: holds no per-query rows for {len(missing)} subset(s) its result file scored "
            f"({', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}). Fix: re-run that "
            "evaluation with --overwrite"
        )


def compare_results(
    results_a: Sequence[str | Path],
    results_b: Sequence[str | Path],
    *,
    metric: str = "map",
    setting: str = "mono",
    languages: Sequence[str] | None = None,
    task: str | None = None,
    direction: Direction = "greater",
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    split: str = "test",
    margin: float | None = None,
    target_delta: float | None = None,
    allow_mismatch: bool = False,
) -> FolderComparison:
    """Compare the per-query records under two sets of folders (one folder per seed) on one metric and setting."""
    check_metric(metric, setting)
    for name, side in (("A", results_a), ("B", results_b)):
        resolved = [Path(p).resolve() for p in side]
        if len(set(resolved)) < len(resolved):
            raise ValueError(f"side {name} names the same folder twice: give one folder per seed")
    task_a, side_a = load_side(results_a, task, metric)
    task_b, side_b = load_side(results_b, task or task_a, metric)
    if task_a != task_b:
        raise ValueError(
            f"side A holds {task_a} records, side B {task_b}: the sides must be scored on one task "
            "(give --task when a folder holds several)"
        )
    langs = language_codes(languages) if languages else None
    labelled = [(f"A{i + 1}", p, r) for i, (p, r) in enumerate(side_a)] + [
        (f"B{i + 1}", p, r) for i, (p, r) in enumerate(side_b)
    ]
    subsets = {}
    for label, path, records in labelled:
        have = _subsets(records, split)
        _check_coverage(path, have, split)
        subsets[label] = {s for s in have if in_setting(s, setting, langs)}
        if not subsets[label]:
            raise ValueError(
                f"{path}: no {setting} rows in split {split!r}" + (f" for languages {' '.join(langs)}" if langs else "")
            )
    first_label = labelled[0][0]
    for label, found in subsets.items():
        if found != subsets[first_label]:
            only = sorted(subsets[first_label] ^ found)
            raise ValueError(
                f"{first_label} and {label} hold different {setting} subsets ({', '.join(only[:6])} "
                "in one only): evaluate both on the same languages, or restrict both with --languages"
            )
    evaluations = [(label, *evaluation_of(path, task_a)) for label, path, _ in labelled]
    mismatches = setting_differences([(label, ev) for label, ev, _ in evaluations])
    if mismatches and not allow_mismatch:
        raise MismatchError(
            "the sides were not evaluated like for like: "
            + "; ".join(mismatches)
            + ". Fix: evaluate both with the same settings, or pass --allow-mismatch to compare "
            "anyway (the output then names the mismatch)"
        )
    notes = []
    if inferred := [label for label, _, was_inferred in evaluations if was_inferred]:
        notes.append(f"settings of {', '.join(inferred)} inferred (records written before settings were recorded)")
    eval_machines = {label: ev.environment.accelerator for label, ev, _ in evaluations}
    if len(set(eval_machines.values())) > 1:
        notes.append("evaluated on different machines: " + ", ".join(f"{k}={v}" for k, v in eval_machines.items()))
    trained = {label: training_machine(path) for label, path, _ in labelled}
    trained_on = {v for v in trained.values() if v != "untrained"}
    if len(trained_on) > 1 or UNKNOWN in trained_on:
        notes.append(
            "WARNING: trained on different or unrecorded machines (the same config and seed differ by "
            "machine): " + ", ".join(f"{k}={v}" for k, v in trained.items())
        )
    frames = [query_scores(r, setting, langs, split) for _, _, r in labelled]
    untrained_b = all(trained[label] == "untrained" for label, _, _ in labelled[len(side_a) :])
    if untrained_b:
        notes.append("B is an untrained base model (no training noise): A's seeds are judged against it")
    result = decide(
        frames[: len(side_a)],
        frames[len(side_a) :],
        metric,
        direction=direction,
        confidence=confidence,
        margin=margin,
        target_delta=target_delta,
        resamples=resamples,
        seed=seed,
        untrained_b=untrained_b,
        untrained_a=all(trained[label] == "untrained" for label, _, _ in labelled[: len(side_a)]),
    )
    shared = evaluations[0][1].settings.model_dump()
    shown = {k: _show(v) for k, v in shared.items() if k != "task"}
    return FolderComparison(task_a, setting, langs, result, shown, mismatches if allow_mismatch else [], notes)


def language_codes(languages: Sequence[str]) -> tuple[str, ...]:
    """The datasets' own codes for `languages` given as those codes (de) or as ISO 639-3 (deu, deu-Latn)."""
    from mteb_hybrid.data.definitions import load_definitions

    known: dict[str, str] = {}
    for d in load_definitions().values():
        for code, tag in d.languages.items():
            known.update({code: code, tag.lower(): code, tag.split("-")[0].lower(): code})
    if unknown := [x for x in languages if x.lower() not in known]:
        raise ValueError(
            f"unknown language(s) {' '.join(unknown)}; use codes such as "
            f"{' '.join(sorted({c for c in known.values()}))} (or ISO 639-3: deu)"
        )
    return tuple(dict.fromkeys(known[x.lower()] for x in languages))


def _num(x: float, metric: str) -> str:
    return f"{x:+.2f}" if metric == "rank_distance" else f"{x:+.5f}"


def format_comparison(c: FolderComparison) -> str:
    """What the CLI prints: what was compared and how, the difference with its interval, power, the verdict."""
    r = c.result
    claim = ">" if r.direction == "greater" else "<"
    n = lambda x: _num(x, r.metric)  # noqa: E731
    lines = [
        f"{c.task} {r.metric}, setting {c.setting}, languages {' '.join(c.languages) if c.languages else 'all'}",
        "evaluated with: " + ", ".join(f"{k} {v}" for k, v in c.settings.items()),
        *(f"MISMATCH (--allow-mismatch): {m}" for m in c.mismatches),
        *c.notes,
        f"A: mean {r.mean_a:.5f} over {r.n_seeds_a} seed(s)   B: mean {r.mean_b:.5f} over {r.n_seeds_b} seed(s)",
        f"A - B = {n(r.diff)}, {r.confidence:.0%} interval [{n(r.low)}, {n(r.high)}]  ({r.method}; "
        f"{r.n_questions} questions, {r.n_queries} queries; se {abs(r.se):.5f}, df {r.df:.1f})",
    ]
    if r.level == "models":
        lines.append(
            f"one seed on a side: this compares {r.models}, not two recipes; the interval covers "
            "questions only, not training noise, so it gives no holds / fails"
        )
    lines.append(f"detectable difference (80% power, two-sided 5%): {abs(r.detectable):.5g}")
    if r.target_delta is not None:
        if r.seeds_needed is not None:
            lines.append(f"seeds a side to resolve {r.target_delta:g}: {r.seeds_needed}")
        elif r.level == "models":
            lines.append(
                f"seeds a side to resolve {r.target_delta:g}: unknown (needs at least 2 seeds a side to "
                "estimate training noise)"
            )
        else:
            lines.append(f"seeds a side to resolve {r.target_delta:g}: more than 100 at these variances")
    e = r.equivalence
    lines.append(
        f"equivalence (TOST, margin ±{e.margin:g}): p = {e.p_value:.3g}, "
        + ("equivalent" if e.equivalent else "not shown")
    )
    lines.append(f"verdict for A {claim} B: {r.words}" if r.level == "recipes" else f"finding: {r.words}")
    return "\n".join(lines)


def run_compare(args: argparse.Namespace) -> int:
    """The `compare` subcommand: prints the comparison; the verdict is information, so exit 0."""
    a, b = ([p for p in arg.split(",") if p] for arg in (args.results_a, args.results_b))
    print(
        format_comparison(
            compare_results(
                a,
                b,
                metric=args.metric,
                setting=args.setting,
                languages=args.languages,
                task=args.task,
                direction=args.direction,
                resamples=args.resamples,
                seed=args.seed,
                margin=args.margin,
                target_delta=args.target_delta,
                allow_mismatch=args.allow_mismatch,
            )
        )
    )
    return 0


__all__ = ["DEFAULT_MARGINS", "FolderComparison", "MismatchError", "compare_results", "format_comparison"]
