"""Run an experiment grid: train each cell (or not), score it with mteb, never lose finished work.

Layout (read by `mteb-hybrid report`): results/experiments/<experiment>/experiment.json and one folder
per cell with cell.json (status, settings, timings, command), train/ (logs and training info) and
results/ (mteb result files). A cell whose cell.json says "done" is never recomputed; an interrupted
cell resumes: training from its last checkpoint, evaluation from its last finished subset. Model
weights stay in the user cache (not in results/).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mteb_hybrid.data.sources import cache_root

from .config import Cell, ExperimentConfig, load_experiment

logger = logging.getLogger(__name__)

ORG = "mteb-hybrid"
LOCK_NAME = ".runner.lock"  # held while a process runs the cell; released by the OS if that process dies


@contextmanager
def cell_lock(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on a cell folder; yields False when another process holds it.

    Two runners started on overlapping grids (say the whole config and `--cells x`) would otherwise
    train into the same checkpoints and write the same results. flock is released by the kernel when
    its holder exits, so a killed run never leaves a stale lock behind.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, run as before
        yield True
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False, default=str)
    os.replace(tmp, path)


def validate_experiment(cfg: ExperimentConfig) -> list[str]:
    """Problems that would make a run fail later: unknown base model, task or language."""
    import mteb

    from mteb_hybrid.benchmark.tasks import TASK_CLASSES
    from mteb_hybrid.models.presets import load_presets

    problems = []
    if cfg.base not in load_presets() and not Path(cfg.base).is_dir() and "/" not in cfg.base:
        problems.append(f"base {cfg.base!r} is neither a preset ({', '.join(load_presets())}), a folder, nor a hub name")
    for name in cfg.eval.tasks:
        try:
            task = TASK_CLASSES[name]() if name in TASK_CLASSES else mteb.get_task(name)
        except KeyError as e:
            problems.append(f"eval task {name!r}: {e}")
            continue
        if cfg.eval.languages and name in TASK_CLASSES:
            try:
                task.filter_languages(list(cfg.eval.languages))
            except ValueError as e:
                problems.append(str(e))
    for cell in cfg.cells:
        if cell.train and cell.train.languages:
            from mteb_hybrid.data import get_definition

            for spec in cell.train.data:
                name = spec.split(":")[0]
                try:
                    langs = get_definition(name).langs
                except KeyError:
                    continue
                bad = sorted(set(cell.train.languages) - set(langs))
                if bad:
                    problems.append(f"cell {cell.id}: training languages {bad} not in {name}")
    return problems


@dataclass
class CellOutcome:
    cell: str
    status: str  # done | skipped (already done) | busy (another process runs it) | failed
    seconds: float
    error: str | None = None


class ExperimentRunner:
    """Runs the cells of one experiment config in order; safe to stop and start again."""

    def __init__(self, cfg: ExperimentConfig, results_root: str | Path = "results", data_dir: str | Path | None = None,
                 smoke: bool = False, model_root: str | Path | None = None) -> None:
        self.cfg = cfg
        self.root = Path(results_root) / "experiments" / cfg.name
        self.data_dir = data_dir
        self.smoke = smoke
        self.model_root = Path(model_root) if model_root else cache_root() / "experiments" / cfg.name
        self._tiny: dict[str, Path] = {}

    # ---- pieces ------------------------------------------------------------------------------------
    def cell_dir(self, cell: Cell) -> Path:
        return self.root / cell.id

    def is_done(self, cell: Cell) -> bool:
        path = self.cell_dir(cell) / "cell.json"
        try:
            return json.loads(path.read_text())["status"] == "done"
        except (OSError, ValueError, KeyError):
            return False

    def _tiny_base(self, base: str) -> Path:
        """Smoke runs replace the base model with a tiny random one of the same family."""
        from mteb_hybrid.models import tiny

        family = {"xlmr": "xlmr", "m2m100": "m2m100"}.get(base, "bert")
        if family not in self._tiny:
            folder = self.model_root / f"tiny-{family}"
            if not (folder / "modules.json").is_file():
                if family == "m2m100":  # every language token of the real model, so smoke runs reject what it would
                    tiny.build_tiny_m2m100(folder, languages=tiny.M2M100_LANGUAGES)
                else:
                    {"bert": tiny.build_tiny_bert, "xlmr": tiny.build_tiny_xlmr}[family](folder)
            self._tiny[family] = folder
        return self._tiny[family]

    def _train(self, cell: Cell) -> tuple[Any, dict[str, Any]]:
        from mteb_hybrid.training.trainer import read_training_info, train

        assert cell.train is not None
        out = self.model_root / cell.id
        cfg = dataclasses.replace(
            cell.train, output_dir=str(out), data_dir=str(self.data_dir) if self.data_dir else cell.train.data_dir,
            resume=True, model_name=f"{self.cfg.name}-{cell.id}",
            eval_tasks=list(cell.train.eval_tasks) or self._guarded_tasks(),
        )
        if self.smoke:
            cfg = dataclasses.replace(cfg, base=str(self._tiny_base(cell.train.base)), max_steps=2, batch_size=4,
                                      mini_batch_size=2, eval_steps=None, save_steps=1, num_threads=None)
        info_file = out / "mteb_hybrid_training.json"
        if not info_file.is_file():  # trained already if a crash happened during evaluation
            probe = self._probe() if (self.cfg.eval.during_training and not self.smoke) else None
            every = (self.cfg.eval.during_training or {}).get("every")
            if probe is not None and every:
                cfg = dataclasses.replace(cfg, eval_steps=int(every))
            train(cfg, metric_fn=probe)
        info = read_training_info(out)
        target = self.cell_dir(cell) / "train"
        target.mkdir(parents=True, exist_ok=True)
        for name in ("train_log.jsonl", "train_log.csv", "mteb_hybrid_training.json"):
            if (out / name).is_file():
                shutil.copy2(out / name, target / name)
        return out, info

    def _guarded_tasks(self) -> list[str]:
        """The LAReQA datasets among the evaluation tasks: the zero-shot guard checks training data against them."""
        from mteb_hybrid.benchmark.tasks import TASK_CLASSES

        return sorted({TASK_CLASSES[t].definition.name for t in self.cfg.eval.tasks if t in TASK_CLASSES})

    def _probe(self):  # noqa: ANN202
        from mteb_hybrid.benchmark.probe import make_pool_probe

        spec = dict(self.cfg.eval.during_training or {})
        return make_pool_probe(languages=spec.get("languages", ("en", "de", "zh", "el", "th")),
                               n_questions=int(spec.get("questions", 100)), data_dir=self.data_dir)

    def _encoder(self, cell: Cell, folder: Path | None, revision: str | None) -> Any:
        from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
        from sentence_transformers import SentenceTransformer

        from mteb_hybrid.evaluation import load_model

        if folder is not None:
            enc = SentenceTransformerEncoderWrapper(SentenceTransformer(str(folder)))
        elif self.smoke:
            enc = SentenceTransformerEncoderWrapper(SentenceTransformer(str(self._tiny_base(self.cfg.base))))
        else:
            from mteb_hybrid.models.presets import resolve_base

            preset = resolve_base(self.cfg.base)
            enc = load_model(preset.model)
        base_meta = enc.mteb_model_meta
        enc.mteb_model_meta = base_meta.model_copy(update={
            "name": f"{ORG}/{self.cfg.name}-{cell.id}", "revision": revision or base_meta.revision or "base",
        })
        return enc

    def _tasks(self) -> list[Any]:
        import mteb

        from mteb_hybrid.benchmark.tasks import TASK_CLASSES

        tasks = []
        for name in self.cfg.eval.tasks:
            if name not in TASK_CLASSES:
                if self.smoke:
                    logger.info("smoke run: skipping %s (its data comes from the Hugging Face hub)", name)
                    continue
                tasks.append(mteb.get_task(name, languages=list(self.cfg.eval.languages) if self.cfg.eval.languages else None))
                continue
            task = TASK_CLASSES[name](data_dir=self.data_dir)
            if self.smoke:
                langs = list(self.cfg.eval.languages or task.definition.langs)[:2]
                task.filter_languages(langs)
                task.hf_subsets = [s for s in task.hf_subsets if not s.endswith("-pool")]
            else:
                if self.cfg.eval.languages:
                    task.filter_languages(list(self.cfg.eval.languages))
                if self.cfg.eval.subsets:
                    task.hf_subsets = [s for s in (task.hf_subsets or task.metadata.eval_langs) if s in self.cfg.eval.subsets]
            tasks.append(task)
        return tasks

    def run_cell(self, cell: Cell) -> CellOutcome:
        import mteb

        from mteb_hybrid.results_io import AtomicResultCache

        start = time.perf_counter()
        folder, info = (self._train(cell) if cell.train is not None else (None, {}))
        train_seconds = (info.get("training") or {}).get("wall_time_s")
        t_eval = time.perf_counter()
        encoder = self._encoder(cell, folder, info.get("revision"))
        mteb.evaluate(encoder, self._tasks(), cache=AtomicResultCache(self.cell_dir(cell)),
                      overwrite_strategy="only-missing", show_progress_bar=True,
                      encode_kwargs={"batch_size": 8 if self.smoke else self.cfg.eval.batch_size, "show_progress_bar": True})
        write_json_atomic(self.cell_dir(cell) / "cell.json", {
            "experiment": self.cfg.name, "cell": cell.id, "status": "done", "seed": cell.seed, "group": cell.group,
            "params": cell.params, "train": cell.train.to_dict() if cell.train else None,
            "model_name": encoder.mteb_model_meta.name, "revision": encoder.mteb_model_meta.revision,
            "training_languages": info.get("languages"), "unseen_languages": self._unseen(info.get("languages")),
            "train_seconds": train_seconds, "eval_seconds": round(time.perf_counter() - t_eval, 1),
            "smoke": self.smoke, "command": self.command(cell),
        })
        return CellOutcome(cell.id, "done", time.perf_counter() - start)

    def _unseen(self, trained: list[str] | None) -> list[str]:
        """The evaluated LAReQA languages this cell did not train on (the config's list when unknown)."""
        from mteb_hybrid.benchmark.tasks import TASK_CLASSES

        evaluated = set(self.cfg.eval.languages or ()) or {
            lang for t in self.cfg.eval.tasks if t in TASK_CLASSES for lang in TASK_CLASSES[t].definition.langs}
        if not trained or not evaluated:
            return list(self.cfg.unseen_languages)
        return sorted(evaluated - set(trained))

    def command(self, cell: Cell) -> str:
        data = f" --data-dir {shlex.quote(str(self.data_dir))}" if self.data_dir else ""
        return f"mteb-hybrid experiment {shlex.quote(self.cfg.path)}{data} --cells {cell.id}"

    # ---- the grid ------------------------------------------------------------------------------------
    def run(self, only: list[str] | None = None, keep_going: bool = False) -> list[CellOutcome]:
        problems = validate_experiment(self.cfg)
        if problems:
            raise ValueError(f"{self.cfg.path}: " + "; ".join(problems))
        cells = [c for c in self.cfg.cells if not only or c.id in only or c.group in only]
        unknown = sorted(set(only or []) - {c.id for c in self.cfg.cells} - {c.group for c in self.cfg.cells})
        if unknown:
            raise ValueError(f"{self.cfg.path}: unknown cells {unknown}; cells: {[c.id for c in self.cfg.cells]}")
        write_json_atomic(self.root / "experiment.json", {
            "name": self.cfg.name, "description": self.cfg.description, "config": self.cfg.raw,
            "cells": [c.id for c in self.cfg.cells], "smoke": self.smoke,
        })
        outcomes = []
        for i, cell in enumerate(cells, 1):
            if self.is_done(cell):
                logger.warning("[%d/%d] %s: done already, skipped", i, len(cells), cell.id)
                outcomes.append(CellOutcome(cell.id, "skipped", 0.0))
                continue
            with cell_lock(self.cell_dir(cell)) as mine:
                if not mine:
                    logger.warning("[%d/%d] %s: another process is running it (%s), skipped", i, len(cells), cell.id,
                                   self.cell_dir(cell) / LOCK_NAME)
                    outcomes.append(CellOutcome(cell.id, "busy", 0.0))
                    continue
                if self.is_done(cell):  # finished by another process while this one waited its turn
                    outcomes.append(CellOutcome(cell.id, "skipped", 0.0))
                    continue
                logger.warning("[%d/%d] %s: %s", i, len(cells), cell.id,
                               "training + evaluation" if cell.train else "evaluation")
                try:
                    outcomes.append(self.run_cell(cell))
                except Exception as e:
                    if not keep_going:
                        raise
                    logger.exception("cell %s failed", cell.id)
                    outcomes.append(CellOutcome(cell.id, "failed", 0.0, f"{type(e).__name__}: {e}"))
            logger.warning("[%d/%d] %s: %s", i, len(cells), cell.id, outcomes[-1].status)
        return outcomes


def run_experiment(path: str | Path, results_root: str | Path = "results", data_dir: str | Path | None = None,
                   smoke: bool = False, only: list[str] | None = None, model_root: str | Path | None = None,
                   keep_going: bool = False) -> list[CellOutcome]:
    """Load, check and run an experiment file (the API behind `mteb-hybrid experiment`)."""
    cfg = load_experiment(path)
    return ExperimentRunner(cfg, results_root, data_dir, smoke, model_root).run(only, keep_going)
