"""Experiment folders (results/experiments/<name>/) read into typed records: `Experiment` and its `Cell`s.

Anything missing or broken becomes a status and a note on the record: loading never raises, so the report
always shows what is there.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.formats.experiments import SchemaError, read_cell, read_experiment_record
from mteb_hybrid.formats.train_log import LOG_JSONL
from mteb_hybrid.formats.train_log import read_log as read_train_log

from .summary import load_scores, summarize

EXPERIMENTS_DIR = "experiments"
CELL_FILE = "cell.json"
EXPERIMENT_FILE = "experiment.json"
TRAIN_LOG = Path("train") / LOG_JSONL


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file holding an object (mteb's model_meta.json); ValueError otherwise."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _problem(e: SchemaError) -> str:
    """The key path and problem of a schema error, without the file (the report names it)."""
    return f"{e.field}: {e.problem}" if e.field else e.problem


def read_log(path: Path) -> list[dict[str, Any]]:
    """train_log.jsonl records; a half-written last line (training still running) is skipped."""
    return read_train_log(path, strict=False)


@dataclass
class Cell:
    """One cell of an experiment: its cell.json, its scores (load_scores' long table) and its train log."""

    experiment: str
    cell_id: str
    path: Path
    info: dict[str, Any] = field(default_factory=dict)
    status: str = "pending"  # "done" (cell.json says done and result files exist), "pending", "error"
    note: str = ""  # why it is pending or broken, for the report
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    log: list[dict[str, Any]] = field(default_factory=list)
    group_hint: str | None = None  # the group of a cell without cell.json, guessed from its id (hybrid-s3)

    @property
    def done(self) -> bool:
        return self.status == "done" and not self.scores.empty

    @property
    def group(self) -> str:
        return str(self.info.get("group") or self.group_hint or self.cell_id)

    @property
    def seed(self) -> int | None:
        """The cell's seed; a single-seed experiment records it only in the train config."""
        seed = self.info.get("seed")
        return seed if seed is not None else (self.train or {}).get("seed")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.info.get("params") or {})

    @property
    def train(self) -> dict[str, Any] | None:
        return self.info.get("train")

    @property
    def unseen(self) -> list[str]:
        """Query languages the model never trained on: from the cell's training languages where recorded
        (a 1-language cell has 10 unseen XQuAD-R languages), else the experiment's `unseen_languages`."""
        trained = self.info.get("training_languages")
        if trained and self.done:
            return sorted(set(self.scores["query_lang"]) - {str(x).lower() for x in trained})
        return [str(x).lower() for x in self.info.get("unseen_languages") or []]

    @property
    def batching(self) -> str | None:
        """x-x / x-y / hybrid from params or the train config (the names TrainConfig uses); "base" for an
        untrained model (`train` null; the runner labels its batching "none")."""
        if self.info and self.train is None:
            return "base"
        raw = self.params.get("batching") or (self.train or {}).get("batching")
        return None if raw is None else str(raw)

    @property
    def alpha(self) -> float | None:
        raw = self.params.get("alpha", (self.train or {}).get("alpha"))
        return None if raw is None else float(raw)

    def tasks(self) -> list[str]:
        return sorted(set(self.scores["task"])) if self.done else []

    @cached_property
    def summary(self) -> pd.DataFrame:
        """summarize()'s table for this cell, with the language split renamed `langs` (all / seen / unseen);
        empty while the cell has no results. Computed once: every table of the report reads it."""
        if not self.done:
            return pd.DataFrame()
        table = summarize(self.scores, unseen_languages=self.unseen or None).table.rename(columns={"group": "langs"})
        if not self.unseen:  # trained on every evaluated language: all of them are seen
            table = pd.concat([table, table[table["langs"] == "all"].assign(langs="seen")], ignore_index=True)
        return table


@dataclass
class Experiment:
    """An experiment folder: experiment.json (may be missing while it starts) and its cells in order."""

    name: str
    path: Path
    description: str = ""
    config: dict[str, Any] | None = None
    cells: list[Cell] = field(default_factory=list)
    note: str = ""

    def groups(self) -> dict[str, list[Cell]]:
        """Cells by seed group, in the order the groups first appear."""
        order = dict.fromkeys(c.group for c in self.cells)
        return {group: [c for c in self.cells if c.group == group] for group in order}

    def tasks(self) -> list[str]:
        return sorted({t for c in self.cells for t in c.tasks()})


def load_cell(experiment: str, path: Path) -> Cell:
    """A cell folder as far as it exists: never raises, the problem goes into `status` / `note`."""
    cell = Cell(experiment=experiment, cell_id=path.name, path=path)
    if (path / TRAIN_LOG).is_file():
        cell.log = read_log(path / TRAIN_LOG)
    info_path = path / CELL_FILE
    if not info_path.is_file():
        cell.note = "not started" if not path.is_dir() else "no cell.json yet"
        return cell
    try:  # the keys the file holds, checked by the schema (absent ones stay absent: a note says what is missing)
        cell.info = read_cell(info_path).model_dump(mode="json", exclude_unset=True)
    except SchemaError as e:
        cell.status, cell.note = "error", f"cell.json unreadable ({_problem(e)})"
        return cell
    except OSError as e:
        cell.status, cell.note = "error", f"cell.json unreadable ({e})"
        return cell
    if cell.info.get("status") != "done":
        cell.note = f"status {cell.info.get('status')!r}"
        return cell
    if not (path / "results").is_dir():
        cell.note = "no result files"
        return cell
    try:
        cell.scores = load_scores(path / "results")
    except (DataFormatError, ValueError, OSError) as e:
        cell.status, cell.note = "error", str(e).splitlines()[0].replace(f"{path}{os.sep}", "")
        return cell
    cell.status = "done" if not cell.scores.empty else "pending"
    cell.note = "" if cell.done else "no LAReQA results"
    return cell


def load_experiment(path: Path) -> Experiment:
    """experiment.json's cells in its order, then any other cell folder found (never raises)."""
    exp = Experiment(name=path.name, path=path)
    ids: list[str] = []
    meta = path / EXPERIMENT_FILE
    if meta.is_file():
        try:
            record = read_experiment_record(meta)
            exp.name = record.name or path.name
            exp.description = record.description
            exp.config = record.config
            ids = list(record.cells)
        except SchemaError as e:
            exp.note = f"experiment.json unreadable ({_problem(e)})"
        except OSError as e:
            exp.note = f"experiment.json unreadable ({e})"
    else:
        exp.note = "no experiment.json yet"
    ids += sorted(p.name for p in path.iterdir() if p.is_dir() and (p / CELL_FILE).is_file() and p.name not in ids)
    exp.cells = [load_cell(exp.name, path / cell_id) for cell_id in ids]
    known = {c.group for c in exp.cells if c.info}
    for c in exp.cells:  # a seed not started has no cell.json: `hybrid-s3` joins group `hybrid` if that group exists
        m = re.match(r"^(?P<group>.+)-s\d+$", c.cell_id)
        if not c.info and m and m["group"] in known:
            c.group_hint = m["group"]
    return exp


def load_experiments(results_root: Path) -> list[Experiment]:
    """Every folder under results_root/experiments/, sorted by name."""
    root = results_root / EXPERIMENTS_DIR
    if not root.is_dir():
        return []
    return [load_experiment(p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
