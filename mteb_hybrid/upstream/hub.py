"""Upload an exported dataset folder to the hub as one commit (`HfApi.upload_folder`) and pin the task file to it."""

from __future__ import annotations

import re
from pathlib import Path

from mteb_hybrid.files import write_atomic

from .names import ExportedTask
from .writer import record

_REVISION = re.compile(r'("revision": ")([0-9a-f]{40}|[^"]*)(")')


def set_revision(task_file: Path, revision: str) -> None:
    """Rewrite the dataset revision in a generated task file (there is exactly one)."""
    text = task_file.read_text(encoding="utf-8")
    new, count = _REVISION.subn(lambda m: f"{m.group(1)}{revision}{m.group(3)}", text)
    if count != 1:
        raise ValueError(
            f"{task_file}: expected one dataset revision, found {count}; regenerate it with mteb-hybrid export"
        )
    write_atomic(task_file, new)


def push_to_hub(exported: ExportedTask, repo_id: str, *, token: str | None = None, private: bool = False) -> str:
    """Create the dataset repository if needed, upload the folder, pin the task file; returns the commit id."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
    info = api.upload_folder(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=str(exported.folder),
        commit_message=f"Add {exported.name} ({len(exported.subsets)} subsets, mteb-hybrid export)",
    )
    revision = str(info.oid)
    set_revision(exported.task_file, revision)
    record(exported.task_file.parents[4], exported.task_file)  # still the export's file: a later export may replace it
    exported.revision = revision
    return revision
