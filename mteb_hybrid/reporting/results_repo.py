"""Git work on a clone of mteb's results repository: open or clone it, check it, commit, roll back.

mteb's `ResultCache.submit_results` does the same against github.com/embeddings-benchmark/results only
(it clones over the network, with no other remote); these helpers take any clone, bare repository or URL
and keep mteb's conventions (clone in `<output folder>/remote`, branch `mteb-results-<unix time>`,
mteb's commit message).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from .submit_checks import RESULTS_REPOSITORY


class SubmissionError(RuntimeError):
    """A one-line reason why nothing was submitted (no results, not a git repository, git missing, ...)."""


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


def commit_message(models: Sequence[str], result_count: int, title: str | None = None) -> str:
    """mteb's commit message (ResultCache._build_commit_message), naming this tool as the submitter."""
    shown = ", ".join(models) if len(models) <= 2 else f"{', '.join(models[:2])} (+{len(models) - 2} more)"
    title = title or f"Add MTEB evaluation results for {shown}"
    return (f"{title}\n\nModels: {', '.join(models)}\nTotal results: {result_count}\n"
            "Submitted by mteb-hybrid (layout of mteb submit-results)")


def default_branch_name() -> str:
    """mteb's submission branch name."""
    return f"mteb-results-{int(datetime.now(timezone.utc).timestamp())}"


def _rollback(repo: Path, original: str, branch: str, base: str, created: list[Path]) -> None:
    """Back to the state before: original branch checked out, the new branch and new files gone."""
    for cmd in (("reset", "--hard", base), ("checkout", original), ("branch", "-D", branch)):
        _git(repo, *cmd, check=False)
    for path in created:
        path.unlink(missing_ok=True)

