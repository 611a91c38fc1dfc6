"""Submission to a local bare repository standing in for embeddings-benchmark/results, metadata checks, model card.

Result files are written with mteb's own TaskResult.to_disk and model_meta.json from this package's real
ModelMetas (`meta.to_dict()`, as mteb's ResultCache writes it). All git work happens under tmp_path.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from mteb.results import TaskResult

from mteb_hybrid.models.metas import all_model_metas, hybrid_meta, offline_meta
from mteb_hybrid.reporting import (
    SUBMISSION_NOTES,
    SubmissionError,
    add_submit_arguments,
    prepare_submission,
    run_submit,
    validate_model_meta,
    write_model_card,
)
from mteb_hybrid.reporting.model_card import END, START

TAGS = {"en": "eng-Latn", "de": "deu-Latn"}
TRAINED_REV = "0123456789ab"


# --------------------------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits need an author; the user's git config (signing, hooks, default branch) must not leak in."""
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test Submitter")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "submitter@example.com")
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def task_file(folder: Path, task: str, ndcg: float = 0.9, evaluation_time: float = 1.0) -> Path:
    """A LAReQA result (pairs and pools of en/de) through mteb's own writer."""
    scores = []
    for q in TAGS:
        for c in [*TAGS, "pool"]:
            langs = [TAGS[q], *(TAGS.values() if c == "pool" else [TAGS[c]])]
            s = ndcg if q == c else ndcg / 2
            extra = {"rank_distance": 10.0, "same_language_at_10": 0.5} if c == "pool" else {}
            scores.append(
                {"hf_subset": f"{q}-{c}", "languages": langs, "main_score": s, "ndcg_at_10": s, "map": s - 0.1, **extra}
            )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{task}.json"
    TaskResult(
        dataset_revision="1",
        task_name=task,
        mteb_version="2.26.24",
        scores={"test": scores},
        evaluation_time=evaluation_time,
    ).to_disk(path)
    return path


def write_meta(folder: Path, meta) -> None:  # noqa: ANN001
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_meta.json").write_text(json.dumps(meta.to_dict(), default=str, indent=4), encoding="utf-8")


def offline_dir(root: Path) -> Path:
    meta = offline_meta()
    return root / "results" / meta.model_name_as_path() / meta.revision


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """An mteb output folder: the offline model (submittable) and an untrained hybrid model (not)."""
    run = tmp_path / "run"
    off = offline_dir(run)
    task_file(off, "XQuADRRetrieval")
    task_file(off, "MLQARRetrieval", ndcg=0.8)
    write_meta(off, offline_meta())
    (off / "run_settings.jsonl").write_text(
        "".join(
            json.dumps({"task": t, "splits": ["test"], "encode_kwargs": {}, "subsets": ["en-en"]}) + "\n"
            for t in ("XQuADRRetrieval", "MLQARRetrieval")
        )
    )
    hyb = hybrid_meta("hybrid-me5-small")
    assert hyb.revision == "untrained"  # the session cache of conftest holds no trained model
    folder = run / "results" / hyb.model_name_as_path() / "untrained"
    task_file(folder, "XQuADRRetrieval", ndcg=0.7)
    write_meta(folder, hyb)
    return run


def make_remote(tmp_path: Path, extra: dict[str, Path] | None = None) -> Path:
    """`git init --bare`, seeded with one commit on main holding results/ (and `extra` repo path -> file)."""
    bare = tmp_path / "results.git"
    git(tmp_path, "init", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-b", "main", str(seed))
    (seed / "results").mkdir()
    (seed / "results" / ".gitkeep").write_text("")
    (seed / "README.md").write_text("# results\n")
    for rel, src in (extra or {}).items():
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        (seed / rel).write_bytes(src.read_bytes())
    git(seed, "add", "-A")
    git(seed, "commit", "-m", "initial")
    git(seed, "push", str(bare), "main")
    return bare


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mteb-hybrid submit")
    add_submit_arguments(parser)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------- metadata


def test_registered_metas_validate_except_untrained() -> None:
    metas = all_model_metas()
    assert validate_model_meta(metas["offline-me5-small"]) == []
    for alias in ("hybrid-me5-small", "hybrid-labse", "hybrid-xlmr", "hybrid-m2m100"):
        problems = validate_model_meta(metas[alias])
        assert len(problems) == 1 and problems[0].startswith("revision:") and "untrained" in problems[0], problems
        trained = metas[alias].model_copy(update={"revision": TRAINED_REV})
        assert validate_model_meta(trained) == []
        # the model_meta.json form (what a submission reads) gives the same answer
        assert validate_model_meta(json.loads(json.dumps(trained.to_dict(), default=str))) == []


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("name", "offline-me5-small", "'org/name' form"),
        ("name", "a/b/c", "'org/name' form"),
        ("revision", None, "not a model revision"),
        ("revision", "untrained", "has not been trained"),
        ("release_date", "22/11/2026", "ISO date"),
        ("license", "wtfpl", "license list nor a URL"),
        ("license", None, "license list nor a URL"),
        ("framework", ["Keras"], "mteb's list"),
        ("framework", [], "non-empty"),
        ("training_datasets", None, "'unknown'"),
        ("adapted_from", None, "fine-tuned model must name"),
        ("n_parameters", None, "positive integer"),
        ("embed_dim", None, "positive integer"),
        ("similarity_fn_name", None, "scoring functions"),
        ("languages", ["english"], "english"),  # mteb's own validator
    ],
)
def test_bad_meta_is_reported(field: str, value: object, needle: str) -> None:
    data = json.loads(json.dumps(offline_meta().to_dict(), default=str))
    data[field] = value
    problems = validate_model_meta(data)
    assert len(problems) == 1 and problems[0].startswith(f"{field}:") and needle in problems[0], problems


def test_meta_checks_that_pass() -> None:
    data = json.loads(json.dumps(offline_meta().to_dict(), default=str))
    assert validate_model_meta({**data, "license": "https://example.com/LICENSE"}) == []
    other = {**data, "name": "someone/model", "adapted_from": None}
    assert validate_model_meta(other) == []  # not ours: not assumed to be a fine-tune
    assert [p.split(":")[0] for p in validate_model_meta(other, fine_tuned=True)] == ["adapted_from"]
    assert validate_model_meta({**data, "surprise": 1}) == ["surprise: Extra inputs are not permitted"]


# --------------------------------------------------------------------------------------------- submission


def test_submission_pushed_to_bare_remote(run_dir: Path, tmp_path: Path) -> None:
    from mteb.cache.result_cache import _build_commit_message

    bare = make_remote(tmp_path)
    main_before = git(bare, "rev-parse", "main")
    report = prepare_submission(run_dir, str(bare), push=True, clone_dir=tmp_path / "clone")

    assert report.status == "pushed" and re.fullmatch(r"mteb-results-\d{10}", report.branch)
    meta = offline_meta()
    prefix = f"results/{meta.model_name_as_path()}/{meta.revision}"
    files = {"XQuADRRetrieval.json", "MLQARRetrieval.json", "model_meta.json", "run_settings.jsonl"}
    assert {c.dest for c in report.copied} == {f"{prefix}/{f}" for f in files}
    assert report.result_count == 2 and report.models_submitted == [(meta.name, meta.revision)]
    # the untrained hybrid model is refused, with the reason
    [refused] = [s for s in report.skipped if s.problem]
    assert "hybrid-me5-small" in str(refused.source) and "untrained" in refused.reason and not report.ok
    assert any("XQuADRRetrieval: plugin-only task" in w for w in report.warnings)
    assert any("reference implementation" in w for w in report.warnings)

    # what the remote holds: the branch, on top of main, with exactly these files added
    tree = set(git(bare, "ls-tree", "-r", "--name-only", report.branch).splitlines())
    assert tree == {"README.md", "results/.gitkeep", *(f"{prefix}/{f}" for f in files)}
    assert git(bare, "rev-parse", f"{report.branch}^") == main_before == git(bare, "rev-parse", "main")
    assert git(bare, "rev-parse", report.branch) == report.commit
    local = offline_dir(run_dir)
    for name in ("XQuADRRetrieval.json", "model_meta.json"):
        assert git(bare, "show", f"{report.branch}:{prefix}/{name}") == (local / name).read_text().strip()
    settings = [json.loads(x) for x in git(bare, "show", f"{report.branch}:{prefix}/run_settings.jsonl").splitlines()]
    assert sorted(s["task"] for s in settings) == ["MLQARRetrieval", "XQuADRRetrieval"]

    # the commit message is mteb's: same title, Models and Total lines
    message = git(bare, "log", "-1", "--format=%B", report.branch)
    mteb_message, count = _build_commit_message(
        [meta], {meta: [local / "XQuADRRetrieval.json", local / "MLQARRetrieval.json"]}
    )
    assert count == 2 and message.splitlines()[:4] == mteb_message.splitlines()[:4]
    assert message == report.message.strip()


def test_without_push_the_remote_is_untouched(run_dir: Path, tmp_path: Path) -> None:
    bare = make_remote(tmp_path)
    report = prepare_submission(run_dir / "results", bare, models=["offline-me5-small"], branch="lareqa")
    clone = run_dir / "remote"  # mteb's place: <output folder>/remote
    assert report.status == "committed" and report.repo_path == clone.resolve() and report.ok
    assert git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "lareqa"  # left on the branch, as mteb does
    assert git(clone, "status", "--porcelain") == ""
    assert git(bare, "branch", "--list") == "* main"
    assert [s.reason for s in report.skipped] == ["model not selected"]


def test_existing_results_are_not_overwritten(run_dir: Path, tmp_path: Path) -> None:
    local = offline_dir(run_dir)
    prefix = f"results/{local.parent.name}/{local.name}"
    other = task_file(tmp_path / "theirs", "XQuADRRetrieval", ndcg=0.1)  # different scores
    same = task_file(tmp_path / "theirs", "MLQARRetrieval", ndcg=0.8, evaluation_time=99.0)  # same scores, other timing
    bare = make_remote(tmp_path, {f"{prefix}/XQuADRRetrieval.json": other, f"{prefix}/MLQARRetrieval.json": same})
    clone = tmp_path / "clone"

    report = prepare_submission(run_dir, bare, models=["mteb-hybrid/offline-me5-small"], clone_dir=clone)
    assert report.status == "no_changes" and report.branch is None
    reasons = {Path(s.source).name: (s.reason, s.problem) for s in report.skipped}
    assert (
        "already holds different results" in reasons["XQuADRRetrieval.json"][0] and reasons["XQuADRRetrieval.json"][1]
    )
    assert reasons["MLQARRetrieval.json"] == ("already in the repository (same scores)", False)
    assert git(clone, "branch", "--list") == "* main" and git(clone, "status", "--porcelain") == ""
    assert (clone / prefix / "XQuADRRetrieval.json").read_bytes() == other.read_bytes()

    report = prepare_submission(run_dir, bare, models=["offline-me5-small"], clone_dir=clone, overwrite=True, push=True)
    assert [(Path(c.dest).name, c.action) for c in report.copied if c.task] == [("XQuADRRetrieval.json", "replaced")]
    assert (
        git(bare, "show", f"{report.branch}:{prefix}/XQuADRRetrieval.json")
        == (local / "XQuADRRetrieval.json").read_text().strip()
    )
    assert report.ok


def test_failed_commit_is_rolled_back(run_dir: Path, tmp_path: Path) -> None:
    bare = make_remote(tmp_path)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", str(bare), str(clone))
    hook = clone / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by hook >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(SubmissionError, match="refused by hook"):
        prepare_submission(run_dir, clone, models=["offline-me5-small"], branch="doomed")
    assert git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(clone, "branch", "--list") == "* main"
    assert git(clone, "status", "--porcelain", "--untracked-files=all") == ""
    assert not any(p.suffix == ".json" for p in (clone / "results").rglob("*"))


# --------------------------------------------------------------------------------------------- CLI


def test_cli_submit(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = make_remote(tmp_path)
    clone = tmp_path / "clone"
    args = ["--repo", str(bare), "--clone-dir", str(clone)]
    assert run_submit(parse([str(run_dir), *args, "--model", "offline-me5-small", "--push"])) == 0
    out = capsys.readouterr().out
    assert "pushed mteb-results-" in out and "warning: XQuADRRetrieval: plugin-only task" in out
    # every model: the untrained one makes the exit status 1, with a one-line reason
    assert run_submit(parse([str(run_dir), *args, "--branch", "all"])) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "untrained" in err[0]


def _no_git_path(tmp_path: Path) -> str:
    empty = tmp_path / "nogit"
    empty.mkdir()
    return str(empty)


@pytest.mark.parametrize("case", ["no results", "not a repo", "git missing", "unknown model", "dirty clone"])
def test_cli_errors(
    case: str, run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = make_remote(tmp_path)
    results, repo, extra, expected = str(run_dir), str(bare), [], ""
    if case == "no results":
        (tmp_path / "empty").mkdir()
        results, expected = str(tmp_path / "empty"), "no mteb result files"
    elif case == "not a repo":
        (tmp_path / "plain" / "results").mkdir(parents=True)
        repo, expected = str(tmp_path / "plain"), "is not a git repository"
    elif case == "git missing":
        monkeypatch.setenv("PATH", _no_git_path(tmp_path))
        expected = "git is not installed"
    elif case == "unknown model":
        extra, expected = ["--model", "nobody/nothing"], "no results for model(s) nobody/nothing"
    else:
        repo = str(tmp_path / "clone")
        git(tmp_path, "clone", str(bare), repo)
        Path(repo, "stray.txt").write_text("x")
        expected = "uncommitted changes"
    assert run_submit(parse([results, "--repo", repo, "--clone-dir", str(tmp_path / "c2"), *extra])) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], captured.err
    assert not (tmp_path / "c2").exists()  # nothing cloned before the error


def test_help_and_notes_explain_the_leaderboard() -> None:
    parser = argparse.ArgumentParser(prog="mteb-hybrid submit")
    add_submit_arguments(parser)
    text = " ".join(parser.format_help().split())
    for needle in (
        "leaderboard",
        "plugin-only",
        "XQuADRRetrieval",
        "MLQARRetrieval",
        "hub dataset",
        "--push",
        "--overwrite",
    ):
        assert needle in text
    notes = " ".join(SUBMISSION_NOTES.split())
    for needle in (
        "XQuADRSentenceRetrieval",
        "MLQARSentenceRetrieval",
        "pinned dataset revision",
        "descriptive statistics",
        "pull request to embeddings-benchmark/mteb",
        "reference implementation",
        "public",
    ):
        assert needle in notes


# --------------------------------------------------------------------------------------------- model card

README = """---
tags:
- sentence-transformers
---

# hybrid-me5-small

## Hybrid-batch training (mteb-hybrid)

| setting | value |
|---|---|
| alpha | 0.5 |

## Model Details

Details.

## Usage

```python
# Download from the Hub
```
"""


def test_model_card_section_is_idempotent(run_dir: Path, tmp_path: Path) -> None:
    hyb = hybrid_meta("hybrid-me5-small").model_copy(update={"revision": TRAINED_REV})
    trained = run_dir / "results" / hyb.model_name_as_path() / TRAINED_REV
    task_file(trained, "XQuADRRetrieval", ndcg=0.6)
    write_meta(trained, hyb)
    folder = tmp_path / "models" / "hybrid-me5-small"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(README)
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"name": "hybrid-me5-small", "revision": TRAINED_REV}))

    readme = write_model_card(folder, run_dir)
    text = readme.read_text()
    assert text.count(START) == 1 and text.count(END) == 1
    assert text.index("## Hybrid-batch training") < text.index(START) < text.index(END) < text.index("## Model Details")
    section = text[text.index(START) : text.index(END)]
    assert "### XQuADRRetrieval (test): Table 1 layout" in section and "mteb-hybrid/hybrid-me5-small" in section
    assert "offline-me5-small" not in section  # only the trained revision
    assert "| mteb-hybrid/hybrid-me5-small | 0.500 | 0.200 | 0.200 | 0.600 | 0.300 | 0.300 |" in section
    outside = text[: text.index(START)] + text[text.index(END) + len(END) :]
    assert outside.replace("\n", "") == README.replace("\n", "")

    assert write_model_card(folder, run_dir).read_text() == text  # same results: same file
    task_file(trained, "XQuADRRetrieval", ndcg=0.8)
    updated = write_model_card(folder, run_dir).read_text()
    assert updated.count(START) == 1 and "| 0.800 |" in updated and "| 0.600 |" not in updated
    assert updated[: updated.index(START)] == text[: text.index(START)]
    assert updated[updated.index(END) :] == text[text.index(END) :]
    assert [p.name for p in folder.iterdir()] and not any(p.name.endswith(".tmp") for p in folder.iterdir())

    both = write_model_card(folder, run_dir, models=["hybrid-me5-small", "mteb-hybrid/offline-me5-small"]).read_text()
    assert both.count(START) == 1 and "| mteb-hybrid/offline-me5-small |" in both


def test_model_card_without_results(run_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"name": "x", "revision": "feedfacecafe"}))
    with pytest.raises(ValueError, match="revision feedfacecafe"):
        write_model_card(folder, run_dir)
    assert not (folder / "README.md").exists()
    with pytest.raises(FileNotFoundError):
        write_model_card(tmp_path / "missing", run_dir)
    os.remove(folder / "mteb_hybrid_training.json")  # no training info: every result, README created
    readme = write_model_card(folder, run_dir)
    assert readme.read_text().startswith("# model\n") and "| mteb-hybrid/offline-me5-small |" in readme.read_text()


# --------------------------------------------------------------------------------------------- upstream tasks

UPSTREAM_REV = "1234567890abcdef1234567890abcdef12345678"


def _export_task_files(out: Path, subsets: list[str]) -> None:
    """What `mteb-hybrid export` leaves for submit: the generated task file (data files are not read here)."""
    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.files import write_atomic
    from mteb_hybrid.upstream.taskfile import render_task_file, task_file_path

    meta = TASK_CLASSES["XQuADRRetrieval"].metadata
    meta = meta.model_copy(update={"eval_langs": {s: meta.eval_langs[s] for s in subsets}})
    write_atomic(task_file_path(out, "XQuADRRetrieval"), render_task_file(meta, "mteb/XQuADRRetrieval", UPSTREAM_REV))


def test_upstream_submission_uses_the_exported_task(tmp_path: Path) -> None:
    from mteb_hybrid.benchmark import TASK_CLASSES

    subsets = ["en-en", "en-de", "de-en", "de-de", "en-pool", "de-pool"]
    export_dir = tmp_path / "export"
    _export_task_files(export_dir, subsets)
    langs = TASK_CLASSES["XQuADRRetrieval"].metadata.eval_langs
    rows = [
        {
            "hf_subset": s,
            "languages": langs[s],
            "main_score": 0.5,
            "ndcg_at_10": 0.5,
            "recall_at_20": 0.75,
            "nauc_ndcg_at_10_max": 0.3,
            "map": 0.4,
            **({"rank_distance": 3.0, "same_language_at_10": 0.9} if "pool" in s else {}),
        }
        for s in subsets
    ]
    run = tmp_path / "run"
    folder = offline_dir(run)
    folder.mkdir(parents=True)
    TaskResult(
        dataset_revision="9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c",
        task_name="XQuADRRetrieval",
        mteb_version="2.26.24",
        scores={"test": rows},
        evaluation_time=1.0,
    ).to_disk(folder / "XQuADRRetrieval.json")
    task_file(folder, "MLQARRetrieval")  # not in the export
    write_meta(folder, offline_meta())
    bare = make_remote(tmp_path)

    report = prepare_submission(run, bare, clone_dir=tmp_path / "clone", upstream=export_dir, push=True)
    [sent] = [c for c in report.copied if c.task]
    assert sent.task == "XQuADRRetrieval"
    [refused] = [s for s in report.skipped if s.problem]
    assert refused.source.name == "MLQARRetrieval.json" and "not in the export" in refused.reason
    assert any("XQuADRRetrieval: written for the exported task" in w for w in report.warnings)
    saved = json.loads(git(bare, "show", f"{report.branch}:{sent.dest}"))
    assert saved["dataset_revision"] == UPSTREAM_REV and saved["task_name"] == "XQuADRRetrieval"
    got = {r["hf_subset"]: r for r in saved["scores"]["test"]}
    assert sorted(got) == sorted(subsets)
    for s in subsets:  # mteb's scores kept as they were, LAReQA's and the depth-dependent nAUC dropped
        assert {k: v for k, v in got[s].items() if k != "mteb_version"} == {
            "hf_subset": s,
            "languages": langs[s],
            "main_score": 0.5,
            "ndcg_at_10": 0.5,
            "recall_at_20": 0.75,
        }


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"hf_subset": "th-pool"}, "th-pool: subset not in the exported task"),
        ({"languages": ["eng-Latn", "deu-Latn"]}, "languages"),
        ({"main_score": 0.1}, "main_score is not ndcg_at_10"),
    ],
)
def test_upstream_submission_checks_the_metadata(change: dict, needle: str) -> None:
    import tempfile

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.upstream.results import to_upstream
    from mteb_hybrid.upstream.taskfile import load_task_class, task_file_path

    with tempfile.TemporaryDirectory() as tmp:
        _export_task_files(Path(tmp), ["en-pool"])
        cls = load_task_class(task_file_path(Path(tmp), "XQuADRRetrieval"))
    langs = TASK_CLASSES["XQuADRRetrieval"].metadata.eval_langs
    row = {"hf_subset": "en-pool", "languages": langs["en-pool"], "main_score": 0.5, "ndcg_at_10": 0.5, **change}
    result = TaskResult(
        dataset_revision="x",
        task_name="XQuADRRetrieval",
        mteb_version="2.26.24",
        scores={"test": [row]},
        evaluation_time=1.0,
    )
    with pytest.raises(ValueError, match=needle):
        to_upstream(result, cls)
    ok = result.model_copy(
        update={
            "scores": {
                "test": [{"hf_subset": "en-pool", "languages": langs["en-pool"], "main_score": 0.5, "ndcg_at_10": 0.5}]
            }
        }
    )
    assert to_upstream(ok, cls).dataset_revision == UPSTREAM_REV


# --------------------------------------------------------------------------------------------- reliability


def test_files_that_are_not_results_are_skipped_and_counted(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """results/experiments/<name>/experiment.json sits where mteb globs <model>/<revision>/<Task>.json."""
    for name in ("grid-a", "grid-b"):
        folder = run_dir / "results" / "experiments" / name
        folder.mkdir(parents=True)
        (folder / "experiment.json").write_text(json.dumps({"name": name, "cells": ["x-s1"]}))
    bare = make_remote(tmp_path)
    argv = [str(run_dir), "--repo", str(bare), "--clone-dir", str(tmp_path / "clone"), "--model", "offline-me5-small"]
    assert run_submit(parse(argv)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "skipped 2 file(s) that are not mteb results" in captured.out
    report = prepare_submission(run_dir, bare, models=["offline-me5-small"], clone_dir=tmp_path / "clone2")
    assert report.ok and len(report.not_results) == 2 and report.result_count == 2


def test_refusal_is_printed_before_nothing_new(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the untrained model selected: refused, and the refusal comes before 'nothing new to submit'."""
    import sys

    bare = make_remote(tmp_path)
    order: list[str] = []
    real_out, real_err = sys.stdout.write, sys.stderr.write
    argv = [str(run_dir), "--repo", str(bare), "--clone-dir", str(tmp_path / "clone"), "--model", "hybrid-me5-small"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys.stdout, "write", lambda s: order.append(("out", s)) or real_out(s))
        mp.setattr(sys.stderr, "write", lambda s: order.append(("err", s)) or real_err(s))
        assert run_submit(parse(argv)) == 1
    text = [s for _, s in order if s.strip()]
    first_error = next(i for i, s in enumerate(text) if s.startswith("error:") and "untrained" in s)
    nothing = next(i for i, s in enumerate(text) if "nothing new to submit" in s)
    assert first_error < nothing


def test_symlinked_model_folder_in_the_clone_is_refused_before_writing(run_dir: Path, tmp_path: Path) -> None:
    """A committed symlink results/<model> -> outside: nothing is written outside, no folder is left there."""
    meta = offline_meta()
    bare = make_remote(tmp_path)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", str(bare), str(clone))
    outside = tmp_path / "outside"
    outside.mkdir()
    (clone / "results" / meta.model_name_as_path()).symlink_to(outside, target_is_directory=True)
    git(clone, "add", "-A")
    git(clone, "commit", "-m", "a symlinked model folder")
    with pytest.raises(SubmissionError, match=r"symlink to .*outside.*outside the repository"):
        prepare_submission(run_dir, clone, models=["offline-me5-small"], branch="never")
    assert list(outside.iterdir()) == []
    assert git(clone, "branch", "--list") == "* main" and git(clone, "status", "--porcelain") == ""


def test_submit_of_the_shipped_results_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The project's own results/ (experiment folders beside the model folders) submit cleanly."""
    shipped = Path(__file__).resolve().parents[1] / "results"
    experiments = sorted((shipped / "experiments").glob("*/experiment.json"))
    assert experiments  # the files that used to count as 10 errors
    bare = make_remote(tmp_path)
    argv = [str(shipped), "--repo", str(bare), "--clone-dir", str(tmp_path / "clone"), "--branch", "shipped"]
    assert run_submit(parse(argv)) == 0
    captured = capsys.readouterr()
    assert "error" not in captured.err
    assert f"skipped {len(experiments)} file(s) that are not mteb results" in captured.out
    meta = offline_meta()
    tree = git(tmp_path / "clone", "ls-tree", "-r", "--name-only", "shipped").splitlines()
    assert f"results/{meta.model_name_as_path()}/{meta.revision}/XQuADRRetrieval.json" in tree
    assert not (shipped / "remote").exists()
