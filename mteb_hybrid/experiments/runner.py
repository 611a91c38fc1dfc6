"""Run an experiment grid: train each cell (or not), score it with mteb, never lose or mix up finished work.

Layout (read by `mteb-hybrid report`): results/experiments/<experiment>/experiment.json and per cell
cell.json (`schema.CellRecord`), train/ (logs, training record) and results/ (mteb files). Weights stay in
`<cache>/experiments/<name>/<results-root>-<key>/<cell>-<model hash>`.

A finished cell is reused only if its inputs (provenance.py) are today's, and refused (naming the changed
keys) unless `force` if they changed. A cell with no scores is `failed` and runs again; an interrupted one
resumes from its last checkpoint and finished subset. Cells and training folders are locked while in use.
"""

from __future__ import annotations

import hashlib
import logging
import shlex
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mteb_hybrid.data.sources import cache_root
from mteb_hybrid.evaluation import run_evaluation
from mteb_hybrid.evaluation_request import EvaluationRequest, evaluation_request
from mteb_hybrid.files import Timeout, ensure_under, folder_lock, safe_name
from mteb_hybrid.formats.experiments import (
    CellRecord,
    ExperimentRecord,
    Provenance,
    SchemaError,
    read_cell,
    write_cell,
    write_experiment_record,
)
from mteb_hybrid.formats.training_record import TRAINING_RECORD_FILE
from mteb_hybrid.models.presets import resolve_base

from .config import Cell, ExperimentConfig, load_experiment
from .provenance import (
    base_identity,
    eval_files,
    make_provenance,
    model_settings,
    record_changes,
    run_environment,
    training_inputs,
)
from .validate import validate_experiment

logger = logging.getLogger(__name__)

ORG = "mteb-hybrid"


class StaleCellsError(ValueError):
    """Finished cells ran with other inputs than today's config gives them."""


class CellBusy(Exception):
    """Another process holds the lock of a cell or of its training folder."""


@dataclass
class CellOutcome:
    cell: str
    status: str  # done | skipped (already done) | busy (another process runs it) | failed
    seconds: float
    error: str | None = None


class ExperimentRunner:
    """Runs the cells of one experiment config in order; safe to stop and start again."""

    def __init__(
        self,
        cfg: ExperimentConfig,
        results_root: str | Path = "results",
        data_dir: str | Path | None = None,
        smoke: bool = False,
        model_root: str | Path | None = None,
        *,
        force: bool = False,
        allow_overlap: bool = False,
    ) -> None:
        self.cfg = cfg
        self.results_root = Path(results_root)
        self.root = ensure_under(self.results_root, self.results_root / "experiments" / cfg.name)
        self.data_dir = data_dir
        self.smoke = smoke
        self.force = force
        self.allow_overlap = allow_overlap
        resolved = self.results_root.resolve()  # a folder per results root: two roots never train into one folder
        key = f"{resolved.name or 'root'}-{hashlib.sha256(str(resolved).encode()).hexdigest()[:10]}"
        self.model_root = Path(model_root) if model_root else cache_root() / "experiments" / cfg.name / key
        self._tiny: dict[str, Path] = {}
        self._provenance: dict[str, Provenance] = {}

    # ---- where things go -----------------------------------------------------------------------------
    def cell_dir(self, cell: Cell) -> Path:
        return ensure_under(self.root, self.root / cell.id)

    def training_dir(self, cell: Cell, model_hash: str) -> Path:
        return ensure_under(self.model_root, self.model_root / f"{cell.id}-{model_hash[:16]}")

    def read_record(self, cell: Cell) -> CellRecord | None:
        """The cell's cell.json, or None when there is none (or it is unreadable: the cell runs again)."""
        path = self.cell_dir(cell) / "cell.json"
        try:
            return read_cell(path) if path.is_file() else None
        except SchemaError as e:
            logger.warning("%s; the cell runs again", e)
            return None

    # ---- inputs --------------------------------------------------------------------------------------
    def _tiny_base(self, base: str) -> Path:
        """Smoke runs replace the base model with a tiny random one of the same family."""
        from mteb_hybrid.models import tiny

        family = {"xlmr": "xlmr", "m2m100": "m2m100"}.get(base, "bert")
        if family not in self._tiny:
            folder = ensure_under(self.model_root, self.model_root / f"tiny-{family}")
            with folder_lock(folder, timeout=600):
                if not (folder / "modules.json").is_file():
                    # m2m100: every language token of the real model, so smoke runs reject what it would
                    {
                        "bert": tiny.build_tiny_bert,
                        "xlmr": tiny.build_tiny_xlmr,
                        "m2m100": lambda f: tiny.build_tiny_m2m100(f, languages=tiny.M2M100_LANGUAGES),
                    }[family](folder)
            self._tiny[family] = folder
        return self._tiny[family]

    def resolved_train(self, cell: Cell) -> Any:
        """The TrainConfig as passed to `train` (without its output folder, which the provenance decides)."""
        assert cell.train is not None
        guarded = list(cell.train.eval_tasks) or list(self.cfg.eval.tasks)  # the guard checks all the cell is scored on
        cfg = replace(
            cell.train,
            data_dir=str(self.data_dir) if self.data_dir else cell.train.data_dir,
            resume=True,
            model_name=f"{self.cfg.name}-{cell.id}",
            eval_tasks=guarded,
            allow_overlap=cell.train.allow_overlap or self.allow_overlap,
        )
        if self.smoke:
            cfg = replace(
                cfg,
                base=str(self._tiny_base(cell.train.base)),
                max_steps=2,
                batch_size=4,
                mini_batch_size=2,
                eval_steps=None,
                save_steps=1,
                num_threads=None,
            )
        elif self.cfg.eval.during_training:
            cfg = replace(cfg, eval_steps=int(self.cfg.eval.during_training.every))
        return cfg

    def provenance(self, cell: Cell) -> Provenance:
        """The hashes of everything that determines the cell's model and scores (computed once per run)."""
        if cell.id not in self._provenance:
            base_name = cell.train.base if cell.train is not None else self.cfg.base
            base = base_identity(base_name, self._tiny_base(base_name) if self.smoke else None)
            model = training_inputs(self.resolved_train(cell), base) if cell.train is not None else None
            if model is not None and self.smoke:  # a stand-in still answers for the settings it stands in for
                model["smoke_stand_in_for"] = model_settings(cell.train)
            ev = self.cfg.eval
            evaluation = {
                "tasks": list(ev.tasks),
                "languages": ev.languages,
                "subsets": ev.subsets,
                "during_training": ev.during_training.model_dump() if ev.during_training else None,
                "smoke": self.smoke,
                "files": eval_files(
                    ev.tasks,
                    self.data_dir,
                    ev.languages,
                    pools=not self.smoke and any(s.endswith("-pool") for s in ev.subsets or ["-pool"]),
                ),
            }
            if ev.max_seq_length is not None:  # absent when unset: the hashes of cells run before it stay
                evaluation["max_seq_length"] = ev.max_seq_length
            prov = make_provenance(model, base, evaluation)
            if prov.model_hash:
                prov.training_dir = str(self.training_dir(cell, prov.model_hash))
            self._provenance[cell.id] = prov
        return self._provenance[cell.id]

    def changes(self, cell: Cell, record: CellRecord) -> list[str]:
        """How today's inputs differ from those the finished cell ran with ([]: reuse it)."""
        return record_changes(record, self.provenance(cell), cell.train.to_dict() if cell.train else None)

    # ---- one cell ------------------------------------------------------------------------------------
    def _train(self, cell: Cell, prov: Provenance) -> tuple[Path, dict[str, Any]]:
        from mteb_hybrid.training.trainer import read_training_info, train

        assert prov.training_dir is not None
        out = ensure_under(self.model_root, prov.training_dir)
        try:
            lock = folder_lock(out).acquire()
        except Timeout:
            raise CellBusy(f"training folder {out} is locked by another process") from None
        with lock:
            if not (out / TRAINING_RECORD_FILE).is_file():  # trained already if evaluation crashed before
                train(replace(self.resolved_train(cell), output_dir=str(out)), metric_fn=self._probe())
            info = read_training_info(out)
        target = ensure_under(self.root, self.cell_dir(cell) / "train")
        target.mkdir(parents=True, exist_ok=True)
        for name in ("train_log.jsonl", "train_log.csv", TRAINING_RECORD_FILE):
            if (out / name).is_file():
                shutil.copy2(out / name, target / name)
        return out, info

    def _probe(self):  # noqa: ANN202
        """The periodic zero-shot probe of `eval.during_training`, or None (none asked for, or a smoke run)."""
        from mteb_hybrid.benchmark.probe import make_pool_probe

        spec = self.cfg.eval.during_training
        if spec is None or self.smoke:
            return None
        return make_pool_probe(
            languages=spec.languages or ("en", "de", "zh", "el", "th"),
            n_questions=spec.questions,
            data_dir=self.data_dir,
        )

    def _encoder(self, cell: Cell, folder: Path | None, revision: str | None) -> Any:
        from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
        from sentence_transformers import SentenceTransformer

        from mteb_hybrid.evaluation import load_model

        if folder is None and not self.smoke:
            enc = load_model(resolve_base(self.cfg.base).model)
        else:  # the trained model, or the untrained cell's tiny stand-in
            enc = SentenceTransformerEncoderWrapper(SentenceTransformer(str(folder or self._tiny_base(self.cfg.base))))
        if (length := self.cfg.eval.max_seq_length) is not None:  # one evaluation length for every cell
            enc.model.max_seq_length = length
        meta = enc.mteb_model_meta
        revision = safe_name(str(revision or meta.revision or "base"), "model revision")  # a folder of results/
        enc.mteb_model_meta = meta.model_copy(update={"name": f"{ORG}/{self.cfg.name}-{cell.id}", "revision": revision})
        return enc

    def _request(self, cell: Cell, encoder: Any) -> EvaluationRequest:
        """The cell's evaluation as the one request type `mteb-hybrid evaluate` builds too: the tasks, languages
        and subsets of `eval`, scored into the cell's folder, finished subsets kept (a smoke run: the pairs of two
        languages of our tasks only, eight texts a batch)."""
        from mteb_hybrid.benchmark.tasks import TASK_CLASSES

        spec = self.cfg.eval
        tasks, languages, subsets = list(spec.tasks), spec.languages, spec.subsets
        if self.smoke:
            for name in (t for t in tasks if t not in TASK_CLASSES):
                logger.info("smoke run: skipping %s (its data comes from the Hugging Face hub)", name)
            tasks = [t for t in tasks if t in TASK_CLASSES]
            if not tasks:
                raise ValueError("smoke run: no task of this package among eval.tasks (hub tasks are skipped)")
            langs = [TASK_CLASSES[t].definition.langs for t in tasks]
            two = [lang for lang in (languages or langs[0]) if all(lang in one for one in langs)][:2]
            languages, subsets = two, [f"{a}-{b}" for a in two for b in two]
        return evaluation_request(
            model=encoder,
            tasks=tasks,
            languages=languages,
            subsets=subsets,
            data_dir=self.data_dir,
            output_folder=self.cell_dir(cell),
            batch_size=8 if self.smoke else spec.batch_size,
        )

    def _record(self, cell: Cell, status: str, prov: Provenance, **fields: Any) -> None:
        """Write the cell's cell.json (`fields` add to or override the settings every record has)."""
        write_cell(
            ensure_under(self.root, self.cell_dir(cell) / "cell.json"),
            CellRecord(
                **{
                    "experiment": self.cfg.name,
                    "cell": cell.id,
                    "status": status,
                    "seed": cell.seed,
                    "group": cell.group,
                    "params": cell.params,
                    "train": cell.train.to_dict() if cell.train else None,
                    "unseen_languages": list(self.cfg.unseen_languages),
                    "smoke": self.smoke,
                    "command": self.command(cell),
                    "provenance": prov,
                    "environment": run_environment(),
                    **fields,
                }
            ),
        )

    def run_cell(self, cell: Cell) -> CellOutcome:
        start = time.perf_counter()
        prov = self.provenance(cell)
        previous = self.read_record(cell)
        if previous is None or previous.provenance is None or previous.provenance.hash != prov.hash:
            if (self.cell_dir(cell) / "results").exists():
                logger.warning("%s: result files of other (or unknown) inputs removed before running", cell.id)
            for name in ("results", "train"):  # an interrupted run of these same inputs keeps its finished subsets
                if (path := ensure_under(self.root, self.cell_dir(cell) / name)).exists():
                    shutil.rmtree(path)
        self._record(cell, "started", prov)
        folder, info = self._train(cell, prov) if cell.train is not None else (None, {})
        t_eval = time.perf_counter()
        encoder = self._encoder(cell, folder, info.get("revision"))
        request = self._request(cell, encoder)
        result = run_evaluation(request)
        scored = {str(name): 0 for name in request.tasks}
        for tr in getattr(result, "task_results", []) or []:
            scored[tr.task_name] = len({s.get("hf_subset") for split in tr.scores.values() for s in split})
        empty = sorted(name for name, n in scored.items() if n == 0)
        error = (
            f"no scores for {', '.join(empty)}: check eval.languages and eval.subsets"
            if empty
            else None
            if scored
            else "no task could be evaluated"
        )
        self._record(
            cell,
            "failed" if error else "done",
            prov,
            error=error,
            scored=scored,
            model_name=encoder.mteb_model_meta.name,
            revision=encoder.mteb_model_meta.revision,
            training_languages=info.get("languages"),
            unseen_languages=self._unseen(info.get("languages")),
            train_seconds=(info.get("training") or {}).get("wall_time_s"),
            eval_seconds=round(time.perf_counter() - t_eval, 1),
        )
        return CellOutcome(cell.id, "failed" if error else "done", time.perf_counter() - start, error)

    def _unseen(self, trained: list[str] | None) -> list[str]:
        """The evaluated LAReQA languages this cell did not train on (the config's list when unknown)."""
        from mteb_hybrid.benchmark.tasks import TASK_CLASSES

        evaluated = set(self.cfg.eval.languages or ()) or {
            lang for t in self.cfg.eval.tasks if t in TASK_CLASSES for lang in TASK_CLASSES[t].definition.langs
        }
        if not trained or not evaluated:
            return list(self.cfg.unseen_languages)
        return sorted(evaluated - set(trained))

    def command(self, cell: Cell) -> str:
        data = f" --data-dir {shlex.quote(str(self.data_dir))}" if self.data_dir else ""
        return f"mteb-hybrid experiment {shlex.quote(self.cfg.path)}{data} --cells {cell.id}"

    # ---- the grid ------------------------------------------------------------------------------------
    def _stale(self, cells: list[Cell]) -> dict[str, list[str]]:
        """Finished cells whose inputs changed since they ran, with the changed keys."""
        changed = {
            cell.id: self.changes(cell, record)
            for cell in cells
            if (record := self.read_record(cell)) is not None and record.done
        }
        return {cid: keys for cid, keys in changed.items() if keys}

    def run(
        self, only: list[str] | None = None, keep_going: bool = False, validated: bool = False
    ) -> list[CellOutcome]:
        if not validated and (
            problems := validate_experiment(self.cfg, allow_overlap=self.allow_overlap, data_dir=self.data_dir)
        ):
            raise ValueError(f"{self.cfg.path}: " + "; ".join(problems))
        cells = [c for c in self.cfg.cells if not only or c.id in only or c.group in only]
        if only:  # in the order asked for (e.g. seed 1 of every group first); config order within a group
            rank = {name: i for i, name in enumerate(only)}
            cells.sort(key=lambda c: min(rank.get(c.id, len(rank)), rank.get(c.group, len(rank))))
        if unknown := sorted(set(only or []) - {c.id for c in self.cfg.cells} - {c.group for c in self.cfg.cells}):
            raise ValueError(f"{self.cfg.path}: unknown cells {unknown}; cells: {[c.id for c in self.cfg.cells]}")
        stale = self._stale(cells)
        if stale and not self.force:
            listed = "; ".join(
                f"{cid} ({', '.join(keys[:4])}{', ...' if len(keys) > 4 else ''})" for cid, keys in stale.items()
            )
            raise StaleCellsError(
                f"{self.root}: finished cells ran with other inputs than {self.cfg.path} gives them now: {listed}. "
                "Fix: pass --force to recompute them, or use another --results folder"
            )
        write_experiment_record(
            ensure_under(self.root, self.root / "experiment.json"),
            ExperimentRecord(
                name=self.cfg.name,
                description=self.cfg.description,
                config=self.cfg.raw,
                cells=[c.id for c in self.cfg.cells],
                smoke=self.smoke,
            ),
        )
        outcomes = []
        for i, cell in enumerate(cells, 1):
            outcomes.append(self._run_one(cell, f"[{i}/{len(cells)}] {cell.id}", cell.id in stale, keep_going))
            logger.info("[%d/%d] %s: %s", i, len(cells), cell.id, outcomes[-1].status)
        return outcomes

    def _run_one(self, cell: Cell, label: str, stale: bool, keep_going: bool) -> CellOutcome:
        record = self.read_record(cell)
        if record is not None and record.done and not stale:
            logger.info("%s: done already with the same inputs, skipped", label)
            return CellOutcome(cell.id, "skipped", 0.0)
        try:
            lock = folder_lock(self.cell_dir(cell)).acquire()
        except Timeout:
            logger.info("%s: another process is running it, skipped", label)
            return CellOutcome(cell.id, "busy", 0.0)
        with lock:
            record = self.read_record(cell)  # finished by another process while this one waited its turn
            if record is not None and record.done and not self.changes(cell, record):
                return CellOutcome(cell.id, "skipped", 0.0)
            logger.info("%s: %s", label, "training + evaluation" if cell.train else "evaluation")
            try:
                return self.run_cell(cell)
            except CellBusy as e:
                logger.info("%s: %s, skipped", label, e)
                return CellOutcome(cell.id, "busy", 0.0)
            except Exception as e:
                if not keep_going:
                    raise
                logger.exception("cell %s failed", cell.id)
                message = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                self._record(cell, "failed", self.provenance(cell), error=message)
                return CellOutcome(cell.id, "failed", 0.0, message)


def run_experiment(
    config: str | Path | ExperimentConfig,
    results_root: str | Path = "results",
    data_dir: str | Path | None = None,
    smoke: bool = False,
    only: list[str] | None = None,
    model_root: str | Path | None = None,
    keep_going: bool = False,
    force: bool = False,
    allow_overlap: bool = False,
    validated: bool = False,
) -> list[CellOutcome]:
    """Check and run an experiment (the API behind `mteb-hybrid experiment`): a file, or a config already loaded by
    `load_experiment` (`validated`: and checked by `validate_experiment` with the same data_dir and allow_overlap,
    so the file is read and checked once)."""
    cfg = config if isinstance(config, ExperimentConfig) else load_experiment(config)
    runner = ExperimentRunner(cfg, results_root, data_dir, smoke, model_root, force=force, allow_overlap=allow_overlap)
    return runner.run(only, keep_going, validated=validated)
