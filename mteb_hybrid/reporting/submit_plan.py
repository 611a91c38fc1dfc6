"""Local mteb results -> the files a submission copies: collect, select, check, plan, write, with mteb's own
`ResultCache.get_cache_paths`, `TaskResult` and run_settings.jsonl merge; with `upstream` (an `mteb-hybrid export`
folder) each plugin result is rewritten for the exported task (upstream.results).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mteb_hybrid.files import write_atomic

from .loading import read_json_object
from .submit_checks import PLUGIN_TASKS, RESULTS_REPOSITORY, leaderboard_warnings, validate_model_meta

META_FILE = "model_meta.json"
RUN_SETTINGS_FILE = "run_settings.jsonl"
_EXPERIMENTS = "experiments"  # mteb's folder for runs with non-default model kwargs


class SubmissionError(RuntimeError):
    """A one-line reason why nothing was submitted (no results, not a git repository, git missing, ...)."""


@dataclass(frozen=True)
class CopiedFile:
    """A file written into the clone; `dest` is relative to the repository root."""

    model: str
    revision: str
    source: Path
    dest: str
    action: Literal["added", "replaced", "merged"]
    task: str | None = None  # None for model_meta.json and run_settings.jsonl


@dataclass(frozen=True)
class SkippedFile:
    """A local file not submitted; `problem` is False for expected skips (already there, not selected)."""

    source: Path
    reason: str
    problem: bool = True
    model: str | None = None


@dataclass
class SubmissionReport:
    """What prepare_submission did: the branch and commit, files copied and skipped (with why)."""

    repo_path: Path
    status: Literal["committed", "pushed", "no_changes"]
    branch: str | None = None
    commit: str | None = None
    message: str | None = None
    remote: str | None = None
    copied: list[CopiedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_results: list[Path] = field(default_factory=list)  # JSON files in the layout that are not mteb results

    @property
    def result_count(self) -> int:
        """Task result files committed (what mteb's commit message counts)."""
        return sum(1 for c in self.copied if c.task is not None)

    @property
    def models_submitted(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((c.model, c.revision) for c in self.copied))

    @property
    def problems(self) -> list[str]:
        return [f"{s.source}: {s.reason}" for s in self.skipped if s.problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        """Human-readable lines (problems are in `problems`, for stderr)."""
        lines = [f"copied {c.dest} ({c.action})" for c in self.copied]
        lines += [f"skipped {s.source}: {s.reason}" for s in self.skipped if not s.problem]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.not_results:
            lines.append(
                f"skipped {len(self.not_results)} file(s) that are not mteb results (no task_name and scores), "
                f"e.g. {self.not_results[0]}"
            )
        if self.status == "no_changes":
            lines.append(f"nothing new to submit to {self.repo_path}")
            return "\n".join(lines)
        models = ", ".join(m for m, _ in self.models_submitted)
        lines.append(
            f"committed {self.result_count} result file(s) for {models} on branch {self.branch} "
            f"in {self.repo_path} (commit {str(self.commit)[:12]})"
        )
        if self.status == "pushed":
            lines.append(f"pushed {self.branch} to {self.remote}; open a pull request against {RESULTS_REPOSITORY}")
        else:
            lines.append(
                f"next: git -C {self.repo_path} push <your fork> {self.branch}, then open a pull request "
                f"against {RESULTS_REPOSITORY}"
            )
        return "\n".join(lines)


@dataclass
class _RunFolder:
    """One results/<org>__<name>/<revision>/ folder of the local results."""

    path: Path
    name: str
    revision: str
    meta: dict[str, Any] | None
    meta_error: str | None
    task_files: list[Path]


def is_task_result(path: Path) -> bool:
    """Whether `path` is an mteb result file (a JSON object with task_name and scores), not e.g. an experiment.json.

    A result file that fails to parse as JSON counts as one (it is then reported as unreadable, not skipped).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable: submit reports it as a broken result file
        return True
    return isinstance(data, dict) and "task_name" in data and "scores" in data


def _collect(results_dir: Path) -> tuple[list[_RunFolder], list[SkippedFile], list[Path]]:
    """Model folders with result files; expected skips; JSON files in the layout that are not mteb results."""
    root = results_dir / "results" if (results_dir / "results").is_dir() else results_dir
    if not root.is_dir():
        raise SubmissionError(f"{results_dir}: no such results folder")
    from mteb.cache import ResultCache

    runs: list[_RunFolder] = []
    skipped: list[SkippedFile] = []
    # mteb's own listing of results/<model>/<revision>/<Task>.json (experiments/ and model_meta.json left out)
    if root.name == "results":
        paths = ResultCache(root.parent).get_cache_paths(require_model_meta=False, include_remote=False)
    else:  # a folder of model folders not named results/: the same pattern mteb globs
        paths = [p for p in root.glob("*/*/*.json") if p.name != META_FILE]
    by_folder: dict[Path, list[Path]] = {}
    not_results: list[Path] = []
    for path in paths:
        if is_task_result(path):
            by_folder.setdefault(path.parent, []).append(path)
        else:  # e.g. results/experiments/<name>/experiment.json: same depth as a result, not one
            not_results.append(path)
    for rev_dir in sorted(p for p in root.glob("*/*") if p.is_dir()):
        files = sorted(by_folder.get(rev_dir, []))
        skipped += [
            SkippedFile(p, "experiment run (non-default model kwargs): not submitted", problem=False)
            for p in sorted((rev_dir / _EXPERIMENTS).rglob("*.json"))
        ]
        if not files:
            continue
        meta_path = rev_dir / META_FILE
        meta, error = None, f"no {META_FILE} next to the results (mteb submits only folders that have one)"
        if meta_path.is_file():
            try:
                meta, error = read_json_object(meta_path), None
            except ValueError as e:
                error = f"{META_FILE} is not readable ({e})"
        name = str(meta.get("name")) if meta else rev_dir.parent.name.replace("__", "/")
        runs.append(_RunFolder(rev_dir, name, rev_dir.name, meta, error, files))
    if not runs:
        more = f" ({len(not_results)} JSON file(s) there are not mteb results)" if not_results else ""
        raise SubmissionError(
            f"no mteb result files (results/<org>__<model>/<revision>/<Task>.json) under {results_dir}{more}"
        )
    return runs, skipped, sorted(not_results)


def _select(runs: list[_RunFolder], models: Sequence[str] | None) -> tuple[list[_RunFolder], list[SkippedFile]]:
    """Keep the runs of `models` (full name, folder name or the part after the org); every name must match."""
    if not models:
        return runs, []

    def keys(run: _RunFolder) -> set[str]:
        return {run.name, run.name.split("/", 1)[-1], run.path.parent.name}

    missing = [m for m in models if not any(m in keys(r) for r in runs)]
    if missing:
        found = ", ".join(sorted({r.name for r in runs}))
        raise SubmissionError(f"no results for model(s) {', '.join(missing)}; found: {found}")
    kept = [r for r in runs if keys(r) & set(models)]
    other = [
        SkippedFile(p, "model not selected", problem=False, model=r.name)
        for r in runs
        if r not in kept
        for p in r.task_files
    ]
    return kept, other


@dataclass
class _Planned:
    dest: Path
    copied: CopiedFile
    result: Any = None  # a TaskResult rewritten for the upstream task: written instead of copying `source`


def _same_results(x: Any, b: Path) -> bool:
    """Same task, dataset revision and scores as the file `b` (timings and dates may differ between two writes)."""
    from mteb.results import TaskResult

    try:
        y = TaskResult.from_disk(b)
    except Exception:  # an unreadable file in the repository is "different"
        return False
    return (x.task_name, x.dataset_revision, x.scores) == (y.task_name, y.dataset_revision, y.scores)


def _refused(run: _RunFolder) -> str | None:
    """Why none of a model folder's files may be submitted (its metadata), None when they may."""
    if run.meta is None:
        return str(run.meta_error)
    problems = validate_model_meta(run.meta)
    if problems:
        return f"{run.name}: not submittable: " + "; ".join(problems)
    folder = run.path.parent.name
    if run.meta["revision"] != run.revision or run.meta["name"].replace("/", "__").replace(" ", "_") != folder:
        return f"{META_FILE} says {run.meta['name']}@{run.meta['revision']}, the folder says {folder}/{run.revision}"
    return None


def _plan_run(
    run: _RunFolder,
    repo: Path,
    overwrite: bool,
    upstream: Mapping[str, type] | None = None,
) -> tuple[list[_Planned], list[SkippedFile], list[str]]:
    """What to write for one model folder. `upstream`: generated task classes by name (from an export)."""
    from mteb.results import TaskResult

    refused = _refused(run)
    if refused:
        return [], [SkippedFile(p, refused, model=run.name) for p in run.task_files], []
    skipped: list[SkippedFile] = []

    def skip(src: Path, reason: str, problem: bool = True) -> None:
        skipped.append(SkippedFile(src, reason, problem=problem, model=run.name))

    rel = Path("results") / run.path.parent.name / run.revision
    planned: list[_Planned] = []
    for src in run.task_files:
        try:
            result = TaskResult.from_disk(src)
        except Exception as e:
            problem = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            skip(src, f"not an mteb task result ({problem})")
            continue
        if result.task_name != src.stem:
            skip(src, f"holds task {result.task_name}, expected in {result.task_name}.json")
            continue
        rewritten = None
        if upstream is not None and result.task_name in PLUGIN_TASKS:
            if result.task_name not in upstream:
                skip(
                    src,
                    f"{result.task_name} is not in the export given as --upstream; export it "
                    "(mteb-hybrid export OUT --tasks ...) or submit without --upstream",
                )
                continue
            from mteb_hybrid.upstream.results import to_upstream

            try:
                result = rewritten = to_upstream(result, upstream[result.task_name])
            except ValueError as e:
                skip(src, f"does not fit the exported task: {e}")
                continue
        dest = repo / rel / src.name
        if dest.exists() and _same_results(result, dest):
            skip(src, "already in the repository (same scores)", problem=False)
            continue
        if dest.exists() and not overwrite:
            skip(
                src,
                f"{(rel / src.name).as_posix()} already holds different results; "
                "pass overwrite=True (--overwrite) to replace it",
            )
            continue
        copied = CopiedFile(
            run.name,
            run.revision,
            src,
            (rel / src.name).as_posix(),
            "replaced" if dest.exists() else "added",
            result.task_name,
        )
        planned.append(_Planned(dest, copied, rewritten))
    if not planned:
        return [], skipped, []
    tasks = [item.copied.task for item in planned]
    for name, if_there in ((META_FILE, "replaced"), (RUN_SETTINGS_FILE, "merged")):
        src, dest = run.path / name, repo / rel / name
        if src.is_file():
            action: Any = if_there if dest.exists() else "added"
            planned.append(_Planned(dest, CopiedFile(run.name, run.revision, src, (rel / name).as_posix(), action)))
    return planned, skipped, leaderboard_warnings(run.meta, tasks, upstream=upstream is not None)


def _write(plan: list[_Planned]) -> None:
    """Copy task files and model_meta.json; merge run_settings.jsonl as mteb does (only the copied tasks' rows)."""
    from mteb.results.task_result import _read_run_settings_from_file, _write_and_merge_keyed_json

    tasks_by_dir: dict[Path, set[str]] = {}
    for item in plan:
        tasks_by_dir.setdefault(item.dest.parent, set()).update([item.copied.task] if item.copied.task else [])
    for item in plan:
        item.dest.parent.mkdir(parents=True, exist_ok=True)
        if item.dest.name == RUN_SETTINGS_FILE:
            tasks = tasks_by_dir[item.dest.parent]
            rows = [r for r in _read_run_settings_from_file(item.copied.source) if r.get("task") in tasks]
            if rows:
                _write_and_merge_keyed_json(item.dest, rows)
        elif item.result is not None:
            write_atomic(item.dest, item.result.to_disk)
        else:
            shutil.copy2(item.copied.source, item.dest)
