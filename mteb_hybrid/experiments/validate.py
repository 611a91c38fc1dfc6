"""Checks of an experiment config's names (base model, tasks, languages, subsets, training data), that the
zero-shot guard can check every task a trained cell is scored on, and the guard itself (training rows against
the evaluation tasks' texts), before anything runs (`--check` and every run): a typo or an overlap found here
costs seconds; found by the runner, a training run after the base cell, or a cell "done" with no scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mteb_hybrid.data import get_definition
from mteb_hybrid.data.definitions import load_definitions
from mteb_hybrid.models.presets import load_presets
from mteb_hybrid.training.guard import guard_definition
from mteb_hybrid.training.rows import parse_data_spec
from mteb_hybrid.validation import suggest

from .config import ExperimentConfig


def _task(name: str) -> tuple[Any | None, str | None]:
    """(task object, None) or (None, the problem with a suggestion)."""
    import mteb

    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    if name in TASK_CLASSES:
        return TASK_CLASSES[name](), None
    try:
        return mteb.get_task(name), None
    except KeyError as e:
        hint = suggest(name, list(TASK_CLASSES))
        if not hint:  # mteb's own 'Did you mean' over its ~1,500 tasks
            text = str(e).strip("\"'").removeprefix("KeyError: ")
            hint = f"; {text.split('. ', 1)[1]}" if ". " in text else ""
        return None, f"eval.tasks: unknown task {name!r}{hint}"


def _languages_of(task: Any) -> set[str]:
    """Every spelling of a language the task accepts: the dataset's codes (de) and ISO 639-3 tags (deu, deu-Latn)."""
    languages = getattr(getattr(task, "definition", None), "languages", {})
    tags = {*languages, *languages.values(), *task.metadata.languages}
    return tags | {lang.split("-")[0] for lang in tags}


def _subsets_of(task: Any) -> list[str]:
    subsets = task.hf_subsets or task.metadata.eval_langs
    return list(subsets) if isinstance(subsets, (list, dict)) else []


def _check_eval(cfg: ExperimentConfig) -> list[str]:
    from mteb_hybrid.benchmark.tasks import LareqaRetrievalTask

    found = [(name, *_task(name)) for name in cfg.eval.tasks]
    problems = [problem for _, _, problem in found if problem]
    tasks = {name: task for name, task, problem in found if not problem}
    if not tasks:
        return problems
    known = sorted({c for t in tasks.values() if isinstance(t, LareqaRetrievalTask) for c in t.definition.langs})
    for lang in cfg.eval.languages or ():
        if not any(lang in _languages_of(t) for t in tasks.values()):
            problems.append(
                f"eval.languages: {lang!r} is not a language of {', '.join(tasks)}"
                + (f" ({', '.join(known)})" if known else "")
                + suggest(lang, known)
            )
    for name, task in tasks.items() if not problems else ():  # an unknown language was named already
        if cfg.eval.languages and isinstance(task, LareqaRetrievalTask):
            try:
                task.filter_languages(list(cfg.eval.languages))
            except ValueError as e:
                problems.append(f"eval.languages: {e}")
    if cfg.eval.subsets:
        available = {name: _subsets_of(t) for name, t in tasks.items()}
        every = sorted({s for subs in available.values() for s in subs})
        for subset in cfg.eval.subsets:
            if subset not in every:
                problems.append(
                    f"eval.subsets: {subset!r} is not a subset of {', '.join(tasks)}"
                    + (" with eval.languages " + ", ".join(cfg.eval.languages) if cfg.eval.languages else "")
                    + f" (subsets look like {', '.join(every[:3])}, ...){suggest(subset, every)}"
                )
        for name, subs in available.items():
            if isinstance(tasks[name], LareqaRetrievalTask) and not set(subs) & set(cfg.eval.subsets):
                problems.append(f"eval.subsets: none of them is a subset of {name}: it would produce no scores")
    return problems


def _check_training(cfg: ExperimentConfig, allow_overlap: bool) -> list[str]:
    problems: list[str] = []
    blind: dict[str, str] = {}
    blind_cells: list[str] = []
    for cell in cfg.cells:
        if cell.train is None:
            continue
        for raw in cell.train.data:
            spec = parse_data_spec(raw)
            if spec.kind == "jsonl" and not Path(spec.name).is_file():
                problems.append(f"cell {cell.id}: training data file {spec.name} not found")
            if spec.kind != "lareqa":
                continue
            try:
                langs = get_definition(spec.name).langs
            except KeyError:
                names = [n for d in load_definitions().values() for n in (d.folder, d.name)]
                problems.append(f"cell {cell.id}: unknown training data {spec.name!r}{suggest(spec.name, names)}")
                continue
            if bad := sorted((set(cell.train.languages or ()) | set(spec.languages or ())) - set(langs)):
                problems.append(f"cell {cell.id}: training languages {bad} not in {spec.name}")
        if cell.train.allow_overlap or allow_overlap:
            continue
        for task in list(cell.train.eval_tasks) or list(cfg.eval.tasks):
            try:
                guard_definition(task)
            except KeyError as e:
                reason = str(e.args[0]) if e.args else "unknown"
                if not reason.startswith("unknown task"):  # a typo is reported once, under eval.tasks
                    blind[task] = reason
                    blind_cells += [] if cell.id in blind_cells else [cell.id]
    if blind:
        reasons = "; ".join(sorted(set(blind.values())))
        cells = ", ".join(blind_cells[:3]) + (f" and {len(blind_cells) - 3} more" if len(blind_cells) > 3 else "")
        problems.append(
            f"the zero-shot guard cannot check eval task(s) {', '.join(blind)} ({reasons}) "
            f"that trained cell(s) {cells} are scored on: set `allow_overlap: true` under train "
            "(or pass --allow-overlap) to score them anyway"
        )
    return problems


def _guard_verdict(
    specs: tuple[str, ...],
    languages: tuple[str, ...] | None,
    form: str,
    tasks: tuple[str, ...],
    data_dir: str | Path | None,
) -> str | None:
    """The zero-shot guard's verdict on these training sources and evaluation tasks (None: no overlap)."""
    from mteb_hybrid.data.errors import DataFormatError, MissingDataError
    from mteb_hybrid.training.guard import ZeroShotViolation, check_zero_shot
    from mteb_hybrid.training.rows import TrainingDataError, read_spec

    try:
        rows = [row for spec in specs for row in read_spec(spec, data_dir, languages, form)]
        check_zero_shot(rows, tasks, data_dir)
    except ZeroShotViolation as e:
        return str(e).partition("\n")[0]
    except (MissingDataError, TrainingDataError, DataFormatError, OSError) as e:
        reason = (str(e).splitlines() or [type(e).__name__])[0][:500]
        hint = "" if "DATA_DIR" in reason else "; give --data-dir (or set $MTEB_HYBRID_DATA_DIR)"
        return f"the zero-shot guard cannot read the data it compares: {reason}{hint}"
    return None


def _check_overlap(cfg: ExperimentConfig, data_dir: str | Path | None, allow_overlap: bool) -> list[str]:
    """Run the zero-shot guard as training would, once per distinct (data, languages, tasks) of the trained cells:
    an overlap is refused before the base cell runs, and by `--check`. Hub data (hf:) is checked by training."""
    verdicts: dict[tuple[Any, ...], str | None] = {}
    cells: dict[str, list[str]] = {}
    for cell in cfg.cells:
        if cell.train is None or cell.train.allow_overlap or allow_overlap:
            continue
        tasks = []
        for task in list(cell.train.eval_tasks) or list(cfg.eval.tasks):
            try:
                guard_definition(task)
                tasks.append(task)
            except KeyError:  # reported by _check_training (a typo, or a task the guard cannot read)
                continue
        specs = tuple(s for s in cell.train.data if parse_data_spec(s).kind != "hf")
        if not tasks or not specs:
            continue
        languages = tuple(cell.train.languages) if cell.train.languages else None
        key = (specs, languages, cell.train.candidate_form, tuple(tasks), data_dir or cell.train.data_dir)
        if key not in verdicts:
            verdicts[key] = _guard_verdict(specs, languages, cell.train.candidate_form, tuple(tasks), key[-1])
        if verdicts[key]:
            cells.setdefault(verdicts[key], []).append(cell.id)
    return [
        f"{verdict} [cell(s) {', '.join(ids[:3])}{f' and {len(ids) - 3} more' if len(ids) > 3 else ''}]"
        for verdict, ids in cells.items()
    ]


def validate_experiment(
    cfg: ExperimentConfig, allow_overlap: bool = False, data_dir: str | Path | None = None
) -> list[str]:
    """Problems that would make a run fail or mislead later, each one line; [] when the config is sound.
    Every check that needs no model, the zero-shot guard on the data (from `data_dir`) included."""
    problems = []
    if cfg.base not in load_presets() and not Path(cfg.base).is_dir() and "/" not in cfg.base:
        problems.append(
            f"base: {cfg.base!r} is neither a preset ({', '.join(load_presets())}), a folder, nor a hub "
            f"name{suggest(cfg.base, list(load_presets()))}"
        )
    problems += _check_eval(cfg)
    problems += _check_training(cfg, allow_overlap)
    if not problems:  # the names are sound: the data they name can be read and compared
        problems += _check_overlap(cfg, data_dir, allow_overlap)
    return problems
