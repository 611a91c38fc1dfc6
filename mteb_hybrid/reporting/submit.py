"""`mteb-hybrid submit`: put mteb result files on a branch of a clone of mteb's results repository.

Not `mteb submit-results`: it always clones github.com/embeddings-benchmark/results (no offline use), merges
into existing files silently and does not check a model's metadata. This keeps mteb's layout and conventions
(clone in `<output folder>/remote`, branch `mteb-results-<unix time>`, mteb's commit message) against any
clone, bare repository or URL. Rules: submit_checks; local results -> files: submit_plan; here: git and CLI.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from .submit_checks import LEADERBOARD_RULES, RESULTS_REPOSITORY
from .submit_plan import SubmissionError, SubmissionReport, _collect, _plan_run, _Planned, _select, _write
from .templates import render


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
    if head.startswith("origin/"):
        _git(clone, "checkout", head.removeprefix("origin/"))
        _git(clone, "merge", "--ff-only", head)


def _open_repository(repo: str | Path, clone_dir: Path) -> Path:
    """The work tree to commit in: `repo` itself if it is a clone, else a clone of it in `clone_dir`."""
    source = str(repo)
    if not _looks_remote(source):
        path = Path(source).expanduser()
        if not path.exists():
            raise SubmissionError(
                f"{path}: no such repository (give a clone of the results repository, a bare repository or a URL)"
            )
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
            raise SubmissionError(
                f"{clone_dir} exists and is not a clone of {source}; remove it or choose another clone folder"
            )
        _update_clone(clone_dir)
        return clone_dir.resolve()
    clone_dir.parent.mkdir(parents=True, exist_ok=True)
    depth = ["--depth", "1"] if _looks_remote(source) else []  # as mteb does; local clones ignore --depth
    _git(clone_dir.parent, "clone", *depth, source, str(clone_dir))
    return clone_dir.resolve()


def _check_clean(repo: Path) -> None:
    status = _git(repo, "status", "--porcelain").stdout.strip()
    if status:
        raise SubmissionError(
            f"{repo} has uncommitted changes ({status.splitlines()[0]} ...); commit or stash them first"
        )


def _preflight(repo: Path, results_dir: Path) -> str:
    """Checks mteb makes before committing, plus: the clone looks like the results repository. Returns the branch."""
    if not (repo / "results").is_dir():
        raise SubmissionError(f"{repo} has no results/ folder: is it a clone of {RESULTS_REPOSITORY}?")
    if results_dir.resolve().is_relative_to(repo):
        raise SubmissionError(
            f"the results to submit are inside {repo}: --repo must be a clone of the results repository"
        )
    _check_clean(repo)
    branch = _git(repo, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    if branch.returncode != 0:
        raise SubmissionError(f"{repo} is in detached HEAD state; check out a branch first (git checkout main)")
    return branch.stdout.strip()


def _check_inside(repo: Path, targets: Sequence[Path]) -> None:
    """Refuse before writing anything when a target resolves outside the clone (a committed symlink, say)."""
    root = repo.resolve()
    for path in targets:
        if not path.resolve().is_relative_to(root):
            link = next((p for p in [path, *path.parents] if p.is_symlink()), path)
            raise SubmissionError(
                f"{link.relative_to(repo) if link.is_relative_to(repo) else link} in {repo} is a "
                f"symlink to {link.resolve()}, outside the repository: refusing to write there; "
                "replace it by a folder"
            )


def commit_message(models: Sequence[str], result_count: int, title: str | None = None) -> str:
    """mteb's commit message (ResultCache._build_commit_message), naming this tool as the submitter."""
    shown = ", ".join(models) if len(models) <= 2 else f"{', '.join(models[:2])} (+{len(models) - 2} more)"
    title = title or f"Add MTEB evaluation results for {shown}"
    return (
        f"{title}\n\nModels: {', '.join(models)}\nTotal results: {result_count}\n"
        "Submitted by mteb-hybrid (layout of mteb submit-results)"
    )


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

    `repo` is a clone (used as it is: clean, on a branch), or a URL / bare repository cloned to `clone_dir`
    (default `<folder holding results/>/remote`, mteb's place; a clone of the same source is fast-forwarded
    and reused). Files of models whose metadata fails `validate_model_meta`, and files that would replace
    different results, are skipped with the reason. `upstream`: an `mteb-hybrid export` folder whose tasks
    plugin results are written for. SubmissionError when nothing can be done (no results, no git, ...).
    """
    if shutil.which("git") is None:
        raise SubmissionError("git is not installed (not found on PATH); install git to prepare a submission")
    results_dir = Path(results_dir).expanduser()
    generated = None
    if upstream is not None:
        from mteb_hybrid.upstream import load_task_classes

        generated = load_task_classes(Path(upstream))
    runs, skipped, not_results = _collect(results_dir)
    runs, unselected = _select(runs, models)
    skipped += unselected
    output_folder = results_dir if (results_dir / "results").is_dir() else results_dir.parent  # mteb's cache_path
    target = Path(clone_dir) if clone_dir is not None else output_folder / "remote"
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
        return SubmissionReport(repo_path, "no_changes", skipped=skipped, warnings=warnings, not_results=not_results)
    _check_inside(repo_path, [item.dest for item in plan])

    copied = [item.copied for item in plan]
    names = list(dict.fromkeys(c.model for c in copied))
    text = commit_message(names, sum(1 for c in copied if c.task), message)
    branch = branch or f"mteb-results-{int(datetime.now(timezone.utc).timestamp())}"  # mteb's name
    if _git(repo_path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        raise SubmissionError(f"branch {branch} already exists in {repo_path}; pass another branch name")
    base = _git(repo_path, "rev-parse", "HEAD").stdout.strip()
    created = [item.dest for item in plan if not item.dest.exists()]
    new_dirs = sorted(
        {p for item in plan for p in item.dest.parents if p.is_relative_to(repo_path) and not p.exists()},
        key=lambda p: len(p.parts),
        reverse=True,
    )
    _git(repo_path, "checkout", "-b", branch)
    try:
        _write(plan)
        _git(repo_path, "add", "--", *sorted({c.dest for c in copied}))
        _git(repo_path, "commit", "-m", text)
    except BaseException:  # back to the state before: original branch, the new branch and new files gone
        for cmd in (("reset", "--hard", base), ("checkout", original), ("branch", "-D", branch)):
            _git(repo_path, *cmd, check=False)
        for path in created:
            path.unlink(missing_ok=True)
        for folder in new_dirs:  # deepest first; only folders this call created, and only if empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    commit = _git(repo_path, "rev-parse", "HEAD").stdout.strip()
    report = SubmissionReport(
        repo_path, "committed", branch, commit, text, None, copied, skipped, warnings, not_results
    )
    if push:
        if _git(repo_path, "remote", "get-url", remote, check=False).returncode != 0:
            raise SubmissionError(
                f"committed on branch {branch} in {repo_path}, but there is no remote named {remote} to push to"
            )
        try:
            _git(repo_path, "push", remote, f"HEAD:refs/heads/{branch}")
        except SubmissionError as e:
            raise SubmissionError(f"committed on branch {branch} in {repo_path}, but the push failed: {e}") from e
        report.status, report.remote = "pushed", remote
    return report


# --------------------------------------------------------------------------------------------- CLI

SUBMIT_HELP = "commit results to a branch of a clone of mteb's results repository (as mteb submit-results)"

_DESCRIPTION = render("submit_description", leaderboard_rules=LEADERBOARD_RULES)


def add_submit_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `mteb-hybrid submit`; sets the description (with the leaderboard rule)."""
    parser.description = parser.description or _DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "results_dir", metavar="RESULTS_DIR", help="mteb output folder (with results/) or its results/ folder"
    )
    parser.add_argument(
        "--repo",
        required=True,
        metavar="PATH_OR_URL",
        help=f"clone of the results repository, a bare repository, or a URL (e.g. {RESULTS_REPOSITORY}, "
        "or your fork's URL, so that --push pushes to your fork)",
    )
    parser.add_argument(
        "--model",
        nargs="+",
        action="extend",
        metavar="NAME",
        default=None,
        help="only these models (org/name, or the name after the org); default: all",
    )
    parser.add_argument("--branch", default=None, help="branch name (default: mteb-results-<unix time>, as mteb)")
    parser.add_argument(
        "--message", default=None, help="commit title (default: 'Add MTEB evaluation results for <models>')"
    )
    parser.add_argument(
        "--clone-dir",
        default=None,
        metavar="DIR",
        help="where to clone a URL or bare repository (default: remote/ next to results/, as mteb)",
    )
    parser.add_argument("--push", action="store_true", help="push the branch to --remote (your fork) after committing")
    parser.add_argument("--remote", default="origin", help="remote to push to (default: origin)")
    parser.add_argument(
        "--upstream",
        default=None,
        metavar="EXPORT",
        help="an `mteb-hybrid export` folder: write LAReQA results for its generated tasks (their dataset "
        "revision, mteb's scores only), checked against their metadata",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace result files the repository already has with different scores"
    )


def run_submit(args: argparse.Namespace) -> int:
    """Prepare (and push) the submission; 0 when every selected file was submitted or already there."""
    try:
        report = prepare_submission(
            args.results_dir,
            args.repo,
            models=args.model,
            branch=args.branch,
            push=args.push,
            remote=args.remote,
            overwrite=args.overwrite,
            clone_dir=args.clone_dir,
            message=args.message,
            upstream=args.upstream,
        )
    except (SubmissionError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for problem in report.problems:  # the refusals first, then what was done (or "nothing new")
        print(f"error: {problem}", file=sys.stderr)
    sys.stderr.flush()
    print(report.format())
    return 0 if report.ok else 1
