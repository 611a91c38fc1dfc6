"""Evaluation settings of record files written before they were recorded (version 1), read from what was.

Experiment cells kept their training config, data hashes and machine in cell.json: a trained model was then
saved, and so scored, at its training max_seq_length; the base (offline-me5-small) at its own 512. Outside a
cell nothing was recorded: "unknown", which `compare` treats as a setting of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mteb_hybrid.formats.per_query import (
    UNKNOWN,
    Evaluation,
    EvaluationEnvironment,
    EvaluationSettings,
    read_evaluation,
)

CELL_FILE = "cell.json"
_CELL_DEPTH = 5  # <cell>/results/<org>__<model>/<revision>/<Task>.per_query.parquet


def candidate_form(task: str) -> str:
    """The candidate form a LAReQA task name says (XQuADRSentenceRetrieval: the sentence alone)."""
    return "sentence" if task.endswith("SentenceRetrieval") else "sentence+context"


def cell_file(records: Path) -> Path | None:
    """The experiment cell's cell.json above a record file, if the file belongs to a cell."""
    for parent in list(records.resolve().parents)[:_CELL_DEPTH]:
        if (parent / CELL_FILE).is_file():
            return parent / CELL_FILE
    return None


def _task_version(task: str) -> str:
    """The task version a version-1 file was built with: the task definitions and their build never changed
    between version 1 and the first version-2 files (TASK_BUILD_VERSION 1)."""
    from mteb_hybrid.data.definitions import load_definitions

    prefix = task.removesuffix("Retrieval").removesuffix("Sentence")
    for d in load_definitions().values():
        if d.name.removesuffix("Retrieval") == prefix:
            return f"{d.source.repository}@{d.source.commit}/v1"
    return UNKNOWN


def _base_length(revision: str | None) -> int | str:
    from mteb_hybrid.models.offline_me5 import OFFLINE_ME5_REVISION, offline_me5_path

    if revision != OFFLINE_ME5_REVISION:
        return UNKNOWN
    config = offline_me5_path(build=False) / "sentence_bert_config.json"
    return int(json.loads(config.read_text())["max_seq_length"]) if config.is_file() else UNKNOWN


def _cell(records: Path) -> Any | None:
    """The cell record above a record file; None outside a cell or when cell.json does not read (then nothing
    is inferred from it: its settings stay unknown)."""
    if (path := cell_file(records)) is None:
        return None
    from mteb_hybrid.data.errors import DataFormatError
    from mteb_hybrid.formats.experiments import read_cell

    try:
        return read_cell(path)
    except DataFormatError:
        return None


def training_machine(records: Path) -> str:
    """The accelerator an experiment cell ran on (cpu, a GPU's name), or unknown."""
    if (cell := _cell(records)) is None:
        return UNKNOWN
    if cell.train is None:
        return "untrained"
    return (cell.environment or {}).get("accelerator", UNKNOWN)


def evaluation_of(records: Path, task: str) -> tuple[Evaluation, bool]:
    """The record file's evaluation settings, and whether they were inferred (a version-1 file)."""
    if (recorded := read_evaluation(records)) is not None:
        return recorded, False
    settings: dict = {
        "task": task,
        "candidate_form": candidate_form(task),
        "precision": "float32",
        "backend": "sentence-transformers",
    }  # version 1 had no other precision or backend
    environment: dict = {}
    if (cell := _cell(records)) is not None:
        if cell.train is not None and cell.train.get("max_seq_length"):
            settings["max_seq_length"] = int(cell.train["max_seq_length"])  # saved at its training length then
        elif cell.train is None:
            settings["max_seq_length"] = _base_length(cell.revision)
        if cell.provenance is not None:  # the data files' hashes the cell's provenance recorded
            files = (cell.provenance.inputs.get("eval") or {}).get("files") or {}
            if files and not any(k.startswith("mteb:") for k in files):
                settings["data_sha256"] = dict(sorted(files.items()))
                settings["task_version"] = _task_version(task)
        env = cell.environment or {}
        environment = {
            k: env[src]
            for k, src in (
                ("accelerator", "accelerator"),
                ("torch", "torch"),
                ("mteb", "mteb"),
                ("sentence_transformers", "sentence-transformers"),
            )
            if src in env
        }
    return Evaluation(settings=EvaluationSettings(**settings), environment=EvaluationEnvironment(**environment)), True
