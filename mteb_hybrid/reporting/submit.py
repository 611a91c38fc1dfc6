"""`mteb-hybrid submit`: put mteb result files on a branch of a clone of mteb's results repository.

Why not call `mteb submit-results`: it always clones github.com/embeddings-benchmark/results (no other
remote, no offline use), merges into existing files silently, and does not check a model's metadata
before committing. This does the same job with the same layout and naming, against any remote:

- layout: `results/<org>__<name>/<revision>/<Task>.json`, next to them `model_meta.json` (copied as written
  by mteb) and `run_settings.jsonl` (merged as mteb merges it);
- branch `mteb-results-<unix time>` made from the clone's current branch, one commit titled
  "Add MTEB evaluation results for <models>" with `Models:` and `Total results:` lines;
- a fresh clone goes to `<output folder>/remote`, where `mteb submit-results --output-folder` keeps it;
- only models whose model_meta.json passes `validate_model_meta` are copied; a different file already in
  the repository for the same model, revision and task is left alone unless `overwrite=True`;
- with `upstream=EXPORT` (from `mteb-hybrid export`), results are written under the exported tasks'
  names and dataset revisions and checked against their metadata.

What shows on the leaderboard: `submit_checks.LEADERBOARD_RULES`. Jobs: submit_checks (rules, metadata),
submit_plan (local results -> files), results_repo (git); this module ties them together and is the CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .results_repo import (
    SubmissionError,
    _git,
    _open_repository,
    _preflight,
    _require_git,
    _rollback,
    commit_message,
    default_branch_name,
)
from .submit_checks import LEADERBOARD_RULES, RESULTS_REPOSITORY, SUBMISSION_NOTES, leaderboard_warnings, validate_model_meta
from .submit_plan import CopiedFile, SkippedFile, SubmissionReport, _collect, _output_folder, _plan_run, _Planned, _select, _write

__all__ = ["SUBMISSION_NOTES", "SUBMIT_HELP", "CopiedFile", "SkippedFile", "SubmissionError", "SubmissionReport",
           "add_submit_arguments", "leaderboard_warnings", "prepare_submission", "run_submit", "validate_model_meta",
           "LEADERBOARD_RULES"]


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
    upstream: str | Path | None = None,
) -> SubmissionReport:
    """Commit the submittable results under `results_dir` to a new branch of a clone of the results repository.

    `repo` is a clone (used as it is: clean, on a branch), or a URL / bare repository, which is cloned to
    `clone_dir` (default `<folder holding results/>/remote`, mteb's place; an existing clone of the same
    source is fast-forwarded and reused). `models` keeps those models only. Files of models whose
    model_meta.json fails `validate_model_meta`, and files that would replace different results, are
    skipped and listed in the report with the reason. `push=True` pushes the branch to `remote`.
    `upstream`: an `mteb-hybrid export` folder; plugin results are written for its generated tasks
    (their dataset revision, mteb's scores only) and checked against their metadata.
    Raises SubmissionError when nothing can be done at all (no results, no git, not a repository, ...).
    """
    _require_git()
    results_dir = Path(results_dir).expanduser()
    generated = None
    if upstream is not None:
        from mteb_hybrid.upstream import load_task_classes

        generated = load_task_classes(Path(upstream))
    runs, skipped = _collect(results_dir)
    runs, unselected = _select(runs, models)
    skipped += unselected
    target = Path(clone_dir) if clone_dir is not None else _output_folder(results_dir) / "remote"
    repo_path = _open_repository(repo, target)
    original = _preflight(repo_path, results_dir)

    plan: list[_Planned] = []
    warnings: list[str] = []
    for run in runs:
        p, s, w = _plan_run(run, repo_path, overwrite, generated)
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

_DESCRIPTION = f"""\
Prepare a submission of mteb result files to the MTEB results repository (embeddings-benchmark/results),
as `mteb submit-results` does: the files go to results/<org>__<model>/<revision>/ with model_meta.json,
on a new branch mteb-results-<unix time>, in one commit. --repo is a clone of the results repository
(used as it is), a bare repository or a URL (cloned to remote/ next to results/, or --clone-dir).
Models whose metadata is incomplete (e.g. a hybrid model that was not trained: revision "untrained"),
and files that would replace different results already in the repository, are skipped with the reason.
With --upstream OUT (an `mteb-hybrid export` folder) results are written for the exported tasks: their
dataset revision, mteb's scores only, checked against the generated task metadata.

{LEADERBOARD_RULES}"""


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
    parser.add_argument("--upstream", default=None, metavar="EXPORT",
                        help="an `mteb-hybrid export` folder: write LAReQA results for its generated tasks (their dataset "
                        "revision, mteb's scores only), checked against their metadata")
    parser.add_argument("--overwrite", action="store_true", help="replace result files the repository already has with different scores")


def run_submit(args: argparse.Namespace) -> int:
    """Prepare (and push) the submission; 0 when every selected file was submitted or already there."""
    try:
        report = prepare_submission(args.results_dir, args.repo, models=args.model, branch=args.branch, push=args.push,
                                    remote=args.remote, overwrite=args.overwrite, clone_dir=args.clone_dir,
                                    message=args.message, upstream=args.upstream)
    except (SubmissionError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(report.format())
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 0 if report.ok else 1
