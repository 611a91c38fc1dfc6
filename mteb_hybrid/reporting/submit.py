"""Put mteb result files on a branch of a clone of mteb's results repository, as `mteb submit-results` does.

Why not call `mteb submit-results`: it always clones github.com/embeddings-benchmark/results (no other
remote, no offline use), merges into existing files silently, and does not check a model's metadata
before committing. This module does the same job with the same layout and naming, against any remote:

- layout: `results/<org>__<name>/<revision>/<Task>.json`, next to them `model_meta.json` (copied as written
  by mteb) and `run_settings.jsonl` (merged as mteb merges it);
- branch `mteb-results-<unix time>` made from the clone's current branch, one commit titled
  "Add MTEB evaluation results for <models>" with `Models:` and `Total results:` lines;
- a fresh clone goes to `<output folder>/remote`, where `mteb submit-results --output-folder` keeps it;
- only models whose model_meta.json passes `validate_model_meta` are copied; a different file already in
  the repository for the same model, revision and task is left alone unless `overwrite=True`.

Leaderboard: committed results show only for tasks that mteb itself registers and for models with a
reference implementation in mteb and public weights. The plugin-only tasks of this package
(XQuADRRetrieval, MLQARRetrieval, XQuADRSentenceRetrieval, MLQARSentenceRetrieval) do not show until they
are upstreamed into mteb with a hub dataset and a pinned revision: a task file in mteb, the dataset on the
Hugging Face hub, descriptive statistics, a PR to mteb. SUBMISSION_NOTES says this for the README;
`leaderboard_warnings` names what applies to a submission.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal, get_args

logger = logging.getLogger(__name__)

RESULTS_REPOSITORY = "https://github.com/embeddings-benchmark/results"
PLUGIN_TASKS = ("XQuADRRetrieval", "MLQARRetrieval", "XQuADRSentenceRetrieval", "MLQARSentenceRetrieval")
META_FILE = "model_meta.json"
RUN_SETTINGS_FILE = "run_settings.jsonl"
_EXPERIMENTS = "experiments"  # mteb's folder for runs with non-default model kwargs
_NOT_REVISIONS = {"", "none", "null", "untrained", "no_revision_available"}

SUBMISSION_NOTES = """\
Submitting results to the MTEB leaderboard

`mteb-hybrid submit RESULTS_DIR --repo PATH_OR_URL` commits result files to a branch of a clone of
https://github.com/embeddings-benchmark/results, in the layout of `mteb submit-results`
(results/<org>__<model>/<revision>/<Task>.json + model_meta.json + run_settings.jsonl, branch
mteb-results-<unix time>). Push the branch to your fork (`--push`, or `git push`) and open a pull request.
Only models whose metadata is complete are copied: "org/name", a real revision (a hybrid model that was
not trained here has revision "untrained" and is refused), ISO release date, license, framework,
training_datasets, adapted_from for fine-tunes, n_parameters, embed_dim, similarity function.

What the leaderboard shows: only tasks that mteb itself registers, and only models that have a reference
implementation in mteb and public weights. The LAReQA tasks of this package (XQuADRRetrieval,
MLQARRetrieval, XQuADRSentenceRetrieval, MLQARSentenceRetrieval) are plugin-only: their result files can
be committed to the results repository, but they do not show on the leaderboard until they are upstreamed
into mteb with a dataset on the Hugging Face hub and a pinned dataset revision. (mteb's own XQuADRetrieval
and MLQARetrieval are different tasks; a LAReQA task upstreamed into mteb needs a name of its own.)

Upstreaming a task takes:
  1. the dataset on the Hugging Face hub (corpus, queries, qrels per subset) and its pinned commit revision
     in the task's metadata (results computed on another dataset revision are not merged);
  2. a task file in mteb (mteb/tasks/retrieval/multilingual/...) with complete TaskMetadata;
  3. descriptive statistics computed with mteb (task.calculate_descriptive_statistics());
  4. a pull request to embeddings-benchmark/mteb, and a re-run of the evaluation on the hub dataset.
Upstreaming a model takes a ModelMeta with a loader (reference implementation) in
mteb/models/model_implementations/ and its weights public (e.g. on the Hugging Face hub) at the revision
in the result folder names. The models of this package load from local folders only, so their results
are accepted into the repository but not shown until that is done."""


class SubmissionError(RuntimeError):
    """A one-line reason why nothing was submitted (no results, not a git repository, git missing, ...)."""


# --------------------------------------------------------------------------------------------- metadata


def _meta_dict(meta: Any) -> dict[str, Any]:
    """The model_meta.json content mteb writes for `meta` (ResultCache.save_to_cache), or a copy of a dict."""
    from mteb.models import ModelMeta

    if isinstance(meta, ModelMeta):
        return json.loads(json.dumps(meta.to_dict(), default=str))
    if isinstance(meta, Mapping):
        return dict(meta)
    raise TypeError(f"expected a ModelMeta or a dict, got {type(meta).__name__}")


def _pydantic_problems(data: dict[str, Any]) -> dict[str, str]:
    """field -> mteb's own validation message, reading the dict as mteb reads model_meta.json."""
    from mteb.models import ModelMeta
    from pydantic import ValidationError

    d = dict(data)
    d.pop("is_cross_encoder", None)  # derived from model_type; mteb's reader only turns it into a warning
    d["loader"] = None  # a function name in JSON; mteb resolves it against its own registry
    try:
        ModelMeta.model_validate(d)
    except ValidationError as e:
        out: dict[str, str] = {}
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else "meta"
            out.setdefault(key, f"{key}: {err['msg']}")
        return out
    return {}


def _is_url(text: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+\.[^\s]+$", text))


def _org_name(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[^/\s]+/[^/\s]+", value) is not None


def _repository_problems(data: dict[str, Any], fine_tuned: bool) -> dict[str, str]:
    """field -> problem, for what the results repository and leaderboard need beyond mteb's pydantic checks."""
    from mteb.models.model_meta import FRAMEWORKS, ScoringFunction
    from mteb.types import Licenses

    out: dict[str, str] = {}
    name, revision = data.get("name"), data.get("revision")
    if not _org_name(name):
        out["name"] = f"name: {name!r} is not in 'org/name' form (it becomes the folder <org>__<name>)"
    if not isinstance(revision, str) or revision.strip().lower() in _NOT_REVISIONS:
        hint = " (the model has not been trained: train it, then evaluate it again)" if revision == "untrained" else ""
        out["revision"] = f"revision: {revision!r} is not a model revision{hint}; results need the revision they were computed with"
    elif re.search(r"[\s/\\]", revision):
        out["revision"] = f"revision: {revision!r} cannot be a folder name"
    released = data.get("release_date")
    try:
        ok = isinstance(released, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", released) and date.fromisoformat(released)
    except ValueError:
        ok = False
    if not ok:
        out["release_date"] = f"release_date: {released!r} is not an ISO date (YYYY-MM-DD)"
    license_ = data.get("license")
    if not isinstance(license_, str) or (license_ not in get_args(Licenses) and not _is_url(license_)):
        out["license"] = f"license: {license_!r} is neither in mteb's license list nor a URL"
    elif license_ == "not specified" and data.get("open_weights"):
        out["license"] = "license: 'not specified' for open weights; give the license of the weights"
    frameworks = data.get("framework")
    bad = [f for f in frameworks or [] if f not in get_args(FRAMEWORKS)] if isinstance(frameworks, list) else None
    if not frameworks or bad is None or bad:
        out["framework"] = f"framework: {frameworks!r} must be a non-empty list from mteb's list ({', '.join(get_args(FRAMEWORKS))})"
    training = data.get("training_datasets")
    if training is None:
        out["training_datasets"] = ("training_datasets: None means 'unknown' (no zero-shot flag on the leaderboard); "
                                    "give the mteb task names the model was trained on, an empty list for none")
    elif not isinstance(training, (list, set, tuple)) or not all(isinstance(t, str) for t in training):
        out["training_datasets"] = f"training_datasets: {training!r} is not a list of task names"
    adapted = data.get("adapted_from")
    if adapted is None and fine_tuned:
        out["adapted_from"] = "adapted_from: a fine-tuned model must name the model it starts from ('org/name')"
    elif adapted is not None and not _org_name(adapted):
        out["adapted_from"] = f"adapted_from: {adapted!r} is not in 'org/name' form"
    n_params = data.get("n_parameters")
    if not isinstance(n_params, int) or isinstance(n_params, bool) or n_params <= 0:
        out["n_parameters"] = f"n_parameters: {n_params!r} is not a positive integer"
    dim = data.get("embed_dim")
    dims = dim if isinstance(dim, list) else [dim]
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        out["embed_dim"] = f"embed_dim: {dim!r} is not a positive integer"
    sim = data.get("similarity_fn_name")
    if sim not in {s.value for s in ScoringFunction}:
        out["similarity_fn_name"] = f"similarity_fn_name: {sim!r} is not one of mteb's scoring functions"
    return out


def validate_model_meta(meta: Any, *, fine_tuned: bool | None = None) -> list[str]:
    """Problems that keep `meta` (a ModelMeta, or a model_meta.json dict) out of a submission; [] = submittable.

    mteb's own checks run first (the dict is validated by `ModelMeta` exactly as mteb reads model_meta.json,
    a ModelMeta is round-tripped through the JSON mteb writes); then what the results repository needs that
    pydantic allows (None revision, None training_datasets, ...). `fine_tuned=None` treats this package's
    models as fine-tunes (they must name `adapted_from`).
    """
    from mteb_hybrid.models.metas import ORG

    data = _meta_dict(meta)
    if fine_tuned is None:
        fine_tuned = str(data.get("name") or "").startswith(f"{ORG}/")
    by_hand = _repository_problems(data, fine_tuned)
    from_mteb = {k: v for k, v in _pydantic_problems(data).items() if k not in by_hand}
    return [*by_hand.values(), *from_mteb.values()]


def _registered_by_mteb(task: str) -> bool:
    cls = importlib.import_module("mteb.get_tasks")._TASKS_REGISTRY.get(task)
    return cls is not None and cls.__module__.startswith("mteb.")


def leaderboard_warnings(meta: Any, tasks: Iterable[str] = ()) -> list[str]:
    """Why committed results would not show on the leaderboard (not a reason to refuse them)."""
    from mteb.models.model_implementations import MODEL_REGISTRY

    data = _meta_dict(meta)
    name = data.get("name")
    out: list[str] = []
    registered = MODEL_REGISTRY.get(name) if isinstance(name, str) else None
    loader = getattr(registered, "loader", None)
    module = getattr(getattr(loader, "func", loader), "__module__", "") or ""
    if registered is None or loader is None:
        out.append(f"{name}: no reference implementation in mteb; the leaderboard needs one")
    elif not module.startswith("mteb."):
        out.append(f"{name}: implemented by {module.split('.')[0]}, not by mteb; the leaderboard needs a reference "
                   "implementation in mteb/models/model_implementations and public weights")
    if data.get("open_weights") is False:
        out.append(f"{name}: weights are not public; the leaderboard needs a public model")
    for task in sorted(set(tasks)):
        if not _registered_by_mteb(task):
            out.append(f"{task}: plugin-only task, not shown on the leaderboard until upstreamed into mteb "
                       "with a hub dataset and revision")
    return out


# --------------------------------------------------------------------------------------------- report


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
        if self.status == "no_changes":
            lines.append(f"nothing new to submit to {self.repo_path}")
            return "\n".join(lines)
        models = ", ".join(m for m, _ in self.models_submitted)
        lines.append(f"committed {self.result_count} result file(s) for {models} on branch {self.branch} "
                     f"in {self.repo_path} (commit {str(self.commit)[:12]})")
        if self.status == "pushed":
            lines.append(f"pushed {self.branch} to {self.remote}; open a pull request against {RESULTS_REPOSITORY}")
        else:
            lines.append(f"next: git -C {self.repo_path} push <your fork> {self.branch}, then open a pull request "
                         f"against {RESULTS_REPOSITORY}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- local results


@dataclass
class _RunFolder:
    """One results/<org>__<name>/<revision>/ folder of the local results."""

    path: Path
    name: str
    revision: str
    meta: dict[str, Any] | None
    meta_error: str | None
    task_files: list[Path]


def _output_folder(results_dir: Path) -> Path:
    """The folder holding results/ (mteb's cache_path): where a fresh clone goes, as `remote/`."""
    return results_dir if (results_dir / "results").is_dir() else results_dir.parent


def _collect(results_dir: Path) -> tuple[list[_RunFolder], list[SkippedFile]]:
    root = results_dir / "results" if (results_dir / "results").is_dir() else results_dir
    if not root.is_dir():
        raise SubmissionError(f"{results_dir}: no such results folder")
    runs: list[_RunFolder] = []
    skipped: list[SkippedFile] = []
    for model_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for rev_dir in sorted(p for p in model_dir.iterdir() if p.is_dir()):
            files = sorted(p for p in rev_dir.glob("*.json") if p.name != META_FILE)
            skipped += [SkippedFile(p, "experiment run (non-default model kwargs): not submitted", problem=False)
                        for p in sorted((rev_dir / _EXPERIMENTS).rglob("*.json"))]
            if not files:
                continue
            meta, error = None, None
            meta_path = rev_dir / META_FILE
            if not meta_path.is_file():
                error = f"no {META_FILE} next to the results (mteb submits only folders that have one)"
            else:
                try:
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                    if not isinstance(meta, dict):
                        raise ValueError("not a JSON object")
                except ValueError as e:
                    error = f"{META_FILE} is not readable ({e})"
                    meta = None
            name = str(meta.get("name")) if meta else model_dir.name.replace("__", "/")
            runs.append(_RunFolder(rev_dir, name, rev_dir.name, meta, error, files))
    if not runs:
        raise SubmissionError(f"no mteb result files (results/<org>__<model>/<revision>/<Task>.json) under {results_dir}")
    return runs, skipped


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
    other = [SkippedFile(p, "model not selected", problem=False, model=r.name)
             for r in runs if r not in kept for p in r.task_files]
    return kept, other


# --------------------------------------------------------------------------------------------- git


def _require_git() -> str:
    git = shutil.which("git")
    if git is None:
        raise SubmissionError("git is not installed (not found on PATH); install git to prepare a submission")
    return git


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git; a failure becomes a SubmissionError with git's own last line."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}").splitlines()[-1]
        raise SubmissionError(f"git {' '.join(args[:2])} failed in {cwd}: {said}")
    return proc


def _looks_remote(text: str) -> bool:
    return "://" in text or re.match(r"^[\w.-]+@[\w.-]+:", text) is not None


def _repo_kind(path: Path) -> tuple[str, Path] | None:
    """("bare", path) / ("worktree", top level) for a git repository at exactly `path`, else None."""
    bare = _git(path, "rev-parse", "--is-bare-repository", check=False)
    if bare.returncode != 0:
        return None
    if bare.stdout.strip() == "true":
        return "bare", path.resolve()
    top = _git(path, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != path.resolve():
        return None  # a plain folder inside some other repository
    return "worktree", path.resolve()


def _same_source(a: str, b: str) -> bool:
    if _looks_remote(a) or _looks_remote(b):
        return a.rstrip("/").removesuffix(".git") == b.rstrip("/").removesuffix(".git")
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def _update_clone(clone: Path) -> None:
    """Bring a reused clone to the remote's default branch (fast-forward only: never drops local commits)."""
    _check_clean(clone)
    _git(clone, "fetch", "origin")
    head = _git(clone, "rev-parse", "--abbrev-ref", "origin/HEAD", check=False).stdout.strip()
    if not head.startswith("origin/"):
        return
    default = head.removeprefix("origin/")
    _git(clone, "checkout", default)
    _git(clone, "merge", "--ff-only", head)


def _open_repository(repo: str | Path, clone_dir: Path) -> Path:
    """The work tree to commit in: `repo` itself if it is a clone, else a clone of it in `clone_dir`."""
    source = str(repo)
    if not _looks_remote(source):
        path = Path(source).expanduser()
        if not path.exists():
            raise SubmissionError(f"{path}: no such repository (give a clone of the results repository, a bare repository or a URL)")
        kind = _repo_kind(path)
        if kind is None:
            raise SubmissionError(f"{path} is not a git repository")
        if kind[0] == "worktree":
            return kind[1]
        source = str(kind[1])
    if clone_dir.exists() and any(clone_dir.iterdir()):
        kind = _repo_kind(clone_dir)
        origin = _git(clone_dir, "config", "--get", "remote.origin.url", check=False).stdout.strip() if kind else ""
        if kind is None or kind[0] != "worktree" or not _same_source(origin, source):
            raise SubmissionError(f"{clone_dir} exists and is not a clone of {source}; remove it or choose another clone folder")
        _update_clone(clone_dir)
        return clone_dir.resolve()
    clone_dir.parent.mkdir(parents=True, exist_ok=True)
    depth = ["--depth", "1"] if _looks_remote(source) else []  # as mteb does; local clones ignore --depth
    _git(clone_dir.parent, "clone", *depth, source, str(clone_dir))
    return clone_dir.resolve()


def _check_clean(repo: Path) -> None:
    status = _git(repo, "status", "--porcelain").stdout.strip()
    if status:
        first = status.splitlines()[0]
        raise SubmissionError(f"{repo} has uncommitted changes ({first} ...); commit or stash them first")


def _preflight(repo: Path, results_dir: Path) -> str:
    """Checks mteb makes before committing, plus: the clone looks like the results repository. Returns the branch."""
    if not (repo / "results").is_dir():
        raise SubmissionError(f"{repo} has no results/ folder: is it a clone of {RESULTS_REPOSITORY}?")
    if results_dir.resolve().is_relative_to(repo):
        raise SubmissionError(f"the results to submit are inside {repo}: --repo must be a clone of the results repository")
    _check_clean(repo)
    branch = _git(repo, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    if branch.returncode != 0:
        raise SubmissionError(f"{repo} is in detached HEAD state; check out a branch first (git checkout main)")
    return branch.stdout.strip()


# --------------------------------------------------------------------------------------------- commit


def commit_message(models: Sequence[str], result_count: int, title: str | None = None) -> str:
    """mteb's commit message (ResultCache._build_commit_message), naming this tool as the submitter."""
    shown = ", ".join(models) if len(models) <= 2 else f"{', '.join(models[:2])} (+{len(models) - 2} more)"
    title = title or f"Add MTEB evaluation results for {shown}"
    return (f"{title}\n\nModels: {', '.join(models)}\nTotal results: {result_count}\n"
            "Submitted by mteb-hybrid (layout of mteb submit-results)")


def default_branch_name() -> str:
    """mteb's submission branch name."""
    return f"mteb-results-{int(datetime.now(timezone.utc).timestamp())}"


@dataclass
class _Planned:
    source: Path
    dest: Path
    copied: CopiedFile


def _same_results(a: Path, b: Path) -> bool:
    """Same task, dataset revision and scores (timings and dates may differ between two writes)."""
    from mteb.results import TaskResult

    if a.read_bytes() == b.read_bytes():
        return True
    try:
        x, y = TaskResult.from_disk(a), TaskResult.from_disk(b)
    except Exception:  # an unreadable file in the repository is "different"
        return False
    return (x.task_name, x.dataset_revision, x.scores) == (y.task_name, y.dataset_revision, y.scores)


def _plan_run(run: _RunFolder, repo: Path, overwrite: bool) -> tuple[list[_Planned], list[SkippedFile], list[str]]:
    from mteb.results import TaskResult

    def skip_all(reason: str) -> list[SkippedFile]:
        return [SkippedFile(p, reason, model=run.name) for p in run.task_files]

    if run.meta is None:
        return [], skip_all(str(run.meta_error)), []
    problems = validate_model_meta(run.meta)
    if problems:
        return [], skip_all(f"{run.name}: not submittable: " + "; ".join(problems)), []
    if run.meta["revision"] != run.revision or run.meta["name"].replace("/", "__").replace(" ", "_") != run.path.parent.name:
        return [], skip_all(f"{META_FILE} says {run.meta['name']}@{run.meta['revision']}, the folder says "
                            f"{run.path.parent.name}/{run.revision}"), []
    rel = Path("results") / run.path.parent.name / run.revision
    planned: list[_Planned] = []
    skipped: list[SkippedFile] = []
    tasks: list[str] = []
    for src in run.task_files:
        try:
            result = TaskResult.from_disk(src)
        except Exception as e:
            skipped.append(SkippedFile(src, f"not an mteb task result ({str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__})", model=run.name))
            continue
        if result.task_name != src.stem:
            skipped.append(SkippedFile(src, f"holds task {result.task_name}, expected in {result.task_name}.json", model=run.name))
            continue
        dest = repo / rel / src.name
        action: Literal["added", "replaced"] = "added"
        if dest.exists():
            if _same_results(src, dest):
                skipped.append(SkippedFile(src, "already in the repository (same scores)", problem=False, model=run.name))
                continue
            if not overwrite:
                skipped.append(SkippedFile(src, f"{(rel / src.name).as_posix()} already holds different results; "
                                                "pass overwrite=True (--overwrite) to replace it", model=run.name))
                continue
            action = "replaced"
        tasks.append(result.task_name)
        planned.append(_Planned(src, dest, CopiedFile(run.name, run.revision, src, (rel / src.name).as_posix(), action, result.task_name)))
    if planned:
        meta_src = run.path / META_FILE
        meta_dest = repo / rel / META_FILE
        planned.append(_Planned(meta_src, meta_dest, CopiedFile(run.name, run.revision, meta_src, (rel / META_FILE).as_posix(),
                                                                "replaced" if meta_dest.exists() else "added")))
        settings = run.path / RUN_SETTINGS_FILE
        if settings.is_file():
            dest = repo / rel / RUN_SETTINGS_FILE
            planned.append(_Planned(settings, dest, CopiedFile(run.name, run.revision, settings, (rel / RUN_SETTINGS_FILE).as_posix(),
                                                               "merged" if dest.exists() else "added")))
    return planned, skipped, leaderboard_warnings(run.meta, tasks) if planned else []


def _write(plan: list[_Planned], tasks_by_dir: dict[Path, set[str]]) -> None:
    """Copy task files and model_meta.json; merge run_settings.jsonl as mteb does (only the copied tasks' rows)."""
    from mteb.results.task_result import _read_run_settings_from_file, _write_and_merge_keyed_json

    for item in plan:
        item.dest.parent.mkdir(parents=True, exist_ok=True)
        if item.dest.name == RUN_SETTINGS_FILE:
            rows = [r for r in _read_run_settings_from_file(item.source) if r.get("task") in tasks_by_dir[item.dest.parent]]
            if rows:
                _write_and_merge_keyed_json(item.dest, rows)
        else:
            shutil.copy2(item.source, item.dest)


def _rollback(repo: Path, original: str, branch: str, base: str, created: list[Path]) -> None:
    """Back to the state before: original branch checked out, the new branch and new files gone."""
    for cmd in (("reset", "--hard", base), ("checkout", original), ("branch", "-D", branch)):
        _git(repo, *cmd, check=False)
    for path in created:
        path.unlink(missing_ok=True)


def prepare_submission(
    results_dir: str | Path,
    repo: str | Path,
    *,
    models: Sequence[str] | None = None,
    branch: str | None = None,
    push: bool = False,
    remote: str = "origin",
    overwrite: bool = False,
    clone_dir: str | Path | None = None,
    message: str | None = None,
) -> SubmissionReport:
    """Commit the submittable results under `results_dir` to a new branch of a clone of the results repository.

    `repo` is a clone (used as it is: clean, on a branch), or a URL / bare repository, which is cloned to
    `clone_dir` (default `<folder holding results/>/remote`, mteb's place; an existing clone of the same
    source is fast-forwarded and reused). `models` keeps those models only. Files of models whose
    model_meta.json fails `validate_model_meta`, and files that would replace different results, are
    skipped and listed in the report with the reason. `push=True` pushes the branch to `remote`.
    Raises SubmissionError when nothing can be done at all (no results, no git, not a repository, ...).
    """
    _require_git()
    results_dir = Path(results_dir).expanduser()
    runs, skipped = _collect(results_dir)
    runs, unselected = _select(runs, models)
    skipped += unselected
    target = Path(clone_dir) if clone_dir is not None else _output_folder(results_dir) / "remote"
    repo_path = _open_repository(repo, target)
    original = _preflight(repo_path, results_dir)

    plan: list[_Planned] = []
    warnings: list[str] = []
    for run in runs:
        p, s, w = _plan_run(run, repo_path, overwrite)
        plan += p
        skipped += s
        warnings += [x for x in w if x not in warnings]
    if not any(item.copied.task for item in plan):
        return SubmissionReport(repo_path, "no_changes", skipped=skipped, warnings=warnings)

    copied = [item.copied for item in plan]
    names = list(dict.fromkeys(c.model for c in copied))
    text = commit_message(names, sum(1 for c in copied if c.task), message)
    branch = branch or default_branch_name()
    if _git(repo_path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        raise SubmissionError(f"branch {branch} already exists in {repo_path}; pass another branch name")
    base = _git(repo_path, "rev-parse", "HEAD").stdout.strip()
    created = [item.dest for item in plan if not item.dest.exists()]
    _git(repo_path, "checkout", "-b", branch)
    try:
        tasks_by_dir: dict[Path, set[str]] = {}
        for c, item in zip(copied, plan):
            tasks_by_dir.setdefault(item.dest.parent, set()).update([c.task] if c.task else [])
        _write(plan, tasks_by_dir)
        _git(repo_path, "add", "--", *sorted({c.dest for c in copied}))
        _git(repo_path, "commit", "-m", text)
    except BaseException:
        _rollback(repo_path, original, branch, base, created)
        raise
    commit = _git(repo_path, "rev-parse", "HEAD").stdout.strip()
    report = SubmissionReport(repo_path, "committed", branch, commit, text, None, copied, skipped, warnings)
    if push:
        if _git(repo_path, "remote", "get-url", remote, check=False).returncode != 0:
            raise SubmissionError(f"committed on branch {branch} in {repo_path}, but there is no remote named {remote} to push to")
        try:
            _git(repo_path, "push", remote, f"HEAD:refs/heads/{branch}")
        except SubmissionError as e:
            raise SubmissionError(f"committed on branch {branch} in {repo_path}, but the push failed: {e}") from e
        report.status, report.remote = "pushed", remote
    return report


# --------------------------------------------------------------------------------------------- CLI

SUBMIT_HELP = "commit results to a branch of a clone of mteb's results repository (as mteb submit-results)"

_DESCRIPTION = """\
Prepare a submission of mteb result files to the MTEB results repository (embeddings-benchmark/results),
as `mteb submit-results` does: the files go to results/<org>__<model>/<revision>/ with model_meta.json,
on a new branch mteb-results-<unix time>, in one commit. --repo is a clone of the results repository
(used as it is), a bare repository or a URL (cloned to remote/ next to results/, or --clone-dir).
Models whose metadata is incomplete (e.g. a hybrid model that was not trained: revision "untrained"),
and files that would replace different results already in the repository, are skipped with the reason.

Leaderboard: it shows only tasks that mteb itself registers, for models with a reference implementation
in mteb and public weights. The LAReQA tasks of this package (XQuADRRetrieval, MLQARRetrieval and their
Sentence variants) are plugin-only: they do not show on the leaderboard until upstreamed into mteb with a
Hugging Face hub dataset and a pinned revision (task file in mteb, descriptive statistics, a PR to mteb)."""


def add_submit_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `mteb-hybrid submit`; sets the description (with the leaderboard rule)."""
    parser.description = parser.description or _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("results_dir", metavar="RESULTS_DIR", help="mteb output folder (with results/) or its results/ folder")
    parser.add_argument("--repo", required=True, metavar="PATH_OR_URL",
                        help=f"clone of the results repository, a bare repository, or a URL (e.g. {RESULTS_REPOSITORY}, "
                        "or your fork's URL, so that --push pushes to your fork)")
    parser.add_argument("--model", nargs="+", action="extend", metavar="NAME", default=None,
                        help="only these models (org/name, or the name after the org); default: all")
    parser.add_argument("--branch", default=None, help="branch name (default: mteb-results-<unix time>, as mteb)")
    parser.add_argument("--message", default=None, help="commit title (default: 'Add MTEB evaluation results for <models>')")
    parser.add_argument("--clone-dir", default=None, metavar="DIR", help="where to clone a URL or bare repository (default: remote/ next to results/, as mteb)")
    parser.add_argument("--push", action="store_true", help="push the branch to --remote (your fork) after committing")
    parser.add_argument("--remote", default="origin", help="remote to push to (default: origin)")
    parser.add_argument("--overwrite", action="store_true", help="replace result files the repository already has with different scores")


def run_submit(args: argparse.Namespace) -> int:
    """Prepare (and push) the submission; 0 when every selected file was submitted or already there."""
    try:
        report = prepare_submission(args.results_dir, args.repo, models=args.model, branch=args.branch, push=args.push,
                                    remote=args.remote, overwrite=args.overwrite, clone_dir=args.clone_dir,
                                    message=args.message)
    except (SubmissionError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(report.format())
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 0 if report.ok else 1
