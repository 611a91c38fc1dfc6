"""Experiment configs and the resumable runner (smoke mode: tiny stand-in models, 2 steps)."""

from __future__ import annotations

import json
import platform
import textwrap
from pathlib import Path

import pytest

from mteb_hybrid.data import DataFormatError
from mteb_hybrid.experiments import ExperimentRunner, load_experiment, validate_experiment
from mteb_hybrid.files import folder_lock

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "experiments").rglob("*.yaml"))


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GRID = """
    name: tiny-grid
    base: me5-small
    data: [mlqa-r]
    unseen_languages: [el]
    train: {candidate_form: sentence, max_seq_length: 32, max_steps: 2}
    eval: {tasks: [XQuADRSentenceRetrieval], languages: [en, el]}
    cells:
      - {id: base, train: null}
      - {id: x-x, train: {batching: x-x}, params: {batching: x-x}}
      - {id: hybrid, train: {batching: hybrid}, params: {batching: hybrid}}
"""


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_config_parses_and_resolves(path: Path, data_dir: Path) -> None:
    cfg = load_experiment(path)
    assert cfg.cells and validate_experiment(cfg, data_dir=data_dir) == []  # the zero-shot guard included


def test_seeds_expand_cells_and_share_a_group(tmp_path: Path) -> None:
    cfg = load_experiment(_write(tmp_path, GRID + "    seeds: [1, 2]\n"))
    assert [c.id for c in cfg.cells] == ["base", "x-x-s1", "x-x-s2", "hybrid-s1", "hybrid-s2"]
    assert {c.group for c in cfg.cells if c.id.startswith("x-x")} == {"x-x"}
    assert [c.train.seed for c in cfg.cells if c.train] == [1, 2, 1, 2]


def test_a_cell_may_run_fewer_seeds_than_the_experiment(tmp_path: Path) -> None:
    body = GRID.replace("{id: hybrid, train:", "{id: hybrid, seeds: [2], train:") + "    seeds: [1, 2, 3]\n"
    cfg = load_experiment(_write(tmp_path, body))
    assert [c.id for c in cfg.cells if c.group == "hybrid"] == ["hybrid-s2"]  # named like its siblings
    assert [c.train.seed for c in cfg.cells if c.group == "x-x"] == [1, 2, 3]
    with pytest.raises(DataFormatError) as e:  # the base is one fixed model: seeds there are a mistake
        load_experiment(
            _write(tmp_path, body.replace("{id: base, train: null}", "{id: base, seeds: [1], train: null}"))
        )
    assert "exp.yaml" in str(e.value) and "cells[0].seeds" in str(e.value)


@pytest.mark.parametrize(
    "mutation, field",
    [
        (("max_steps: 2", "max_stepz: 2"), "max_stepz"),
        (("batching: x-x}", "batching: x-z}"), "cells[1].train"),
        (("tasks: [XQuADRSentenceRetrieval]", "taskz: [XQuADRSentenceRetrieval]"), "eval.taskz"),
    ],
)
def test_config_errors_name_the_file_and_field(tmp_path: Path, mutation: tuple[str, str], field: str) -> None:
    with pytest.raises(DataFormatError) as e:
        load_experiment(_write(tmp_path, GRID.replace(*mutation)))
    assert "exp.yaml" in str(e.value) and field in str(e.value)


def test_a_group_pools_only_seeds_of_one_setting(tmp_path: Path) -> None:
    """Two settings under one group name would be averaged by the report as if they were repeats."""
    grouped = GRID.replace("{id: x-x, train:", "{id: x-x, group: kind, train:").replace(
        "{id: hybrid, train:", "{id: hybrid, group: kind, train:"
    )
    with pytest.raises(DataFormatError) as e:
        load_experiment(_write(tmp_path, grouped))
    assert "exp.yaml" in str(e.value) and "'x-x' and 'hybrid' share group 'kind'" in str(e.value)
    same = grouped.replace("{batching: hybrid}, params: {batching: hybrid}", "{batching: x-x}, params: {batching: x-x}")
    assert {c.group for c in load_experiment(_write(tmp_path, same)).cells if c.train} == {"kind"}  # repeats: fine


def test_validation_catches_unknown_tasks_and_languages(tmp_path: Path) -> None:
    cfg = load_experiment(_write(tmp_path, GRID.replace("XQuADRSentenceRetrieval", "NoSuchTask")))
    assert any("NoSuchTask" in p for p in validate_experiment(cfg))
    cfg = load_experiment(_write(tmp_path, GRID.replace("{batching: x-x}", "{batching: x-x, languages: [xx]}")))
    assert any("['xx'] not in mlqa-r" in p for p in validate_experiment(cfg))


def test_interrupted_grid_resumes_without_recomputing(tmp_path: Path, data_dir: Path, monkeypatch) -> None:  # noqa: ANN001
    cfg = load_experiment(_write(tmp_path, GRID))
    results, models = tmp_path / "results", tmp_path / "models"
    runner = ExperimentRunner(cfg, results, data_dir, smoke=True, model_root=models)
    real_run_cell = ExperimentRunner.run_cell
    calls: list[str] = []

    def crash_on_hybrid(self, cell):  # noqa: ANN001, ANN202
        calls.append(cell.id)
        if cell.id == "hybrid":
            raise KeyboardInterrupt("killed mid-grid")
        return real_run_cell(self, cell)

    monkeypatch.setattr(ExperimentRunner, "run_cell", crash_on_hybrid)
    with pytest.raises(KeyboardInterrupt):
        runner.run()
    done = results / "experiments" / "tiny-grid"
    first = {c: (done / c / "cell.json").read_text() for c in ("base", "x-x")}
    assert not (done / "hybrid" / "cell.json").exists()

    calls.clear()
    monkeypatch.setattr(
        ExperimentRunner, "run_cell", lambda self, cell: (calls.append(cell.id), real_run_cell(self, cell))[1]
    )
    outcomes = ExperimentRunner(cfg, results, data_dir, smoke=True, model_root=models).run()
    assert calls == ["hybrid"]  # finished cells were neither retrained nor re-evaluated
    assert [o.status for o in outcomes] == ["skipped", "skipped", "done"]
    assert {c: (done / c / "cell.json").read_text() for c in ("base", "x-x")} == first
    cell = json.loads((done / "hybrid" / "cell.json").read_text())
    assert cell["status"] == "done" and cell["train"]["batching"] == "hybrid" and "--cells hybrid" in cell["command"]
    # unseen = the evaluated languages the cell did not train on (smoke trains on 2 MLQA-R languages)
    assert cell["training_languages"] and "el" not in cell["training_languages"]
    assert cell["unseen_languages"] == sorted({"en", "el"} - set(cell["training_languages"]))
    assert (done / "hybrid" / "train" / "train_log.jsonl").is_file()
    # where it ran is recorded beside the provenance: this process's torch and accelerator
    from importlib.metadata import version

    import torch

    assert (
        cell["environment"]["torch"] == version("torch") and cell["environment"]["python"] == platform.python_version()
    )
    assert cell["environment"]["accelerator"] == (torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")
    scores = list((done / "hybrid" / "results").rglob("XQuADRSentenceRetrieval.json"))
    assert len(scores) == 1
    subsets = {s["hf_subset"] for s in json.loads(scores[0].read_text())["scores"]["test"]}
    assert subsets == {"en-en", "en-el", "el-en", "el-el"}
    # --cells runs cells in the order given, not the config's
    again = ExperimentRunner(cfg, results, data_dir, smoke=True, model_root=models).run(["hybrid", "base", "x-x"])
    assert [(o.cell, o.status) for o in again] == [("hybrid", "skipped"), ("base", "skipped"), ("x-x", "skipped")]


def test_unseen_languages_are_the_evaluated_ones_a_cell_did_not_train_on(tmp_path: Path) -> None:
    all_langs = load_experiment(_write(tmp_path, GRID.replace(", languages: [en, el]", "")))
    runner = ExperimentRunner(all_langs, tmp_path / "results", None, smoke=True, model_root=tmp_path / "m")
    assert runner._unseen(["en", "de"]) == ["ar", "el", "es", "hi", "ru", "th", "tr", "vi", "zh"]
    assert runner._unseen(None) == ["el"]  # training languages unknown: the config's list
    some = ExperimentRunner(
        load_experiment(_write(tmp_path, GRID)), tmp_path / "r2", None, smoke=True, model_root=tmp_path / "m"
    )
    assert some._unseen(["en", "de"]) == ["el"]  # only en and el are evaluated


def test_a_cell_another_process_runs_is_left_alone_until_that_process_dies(
    tmp_path: Path, data_dir: Path, monkeypatch
) -> None:  # noqa: ANN001
    import subprocess
    import sys

    from mteb_hybrid.experiments.runner import CellOutcome

    cfg = load_experiment(_write(tmp_path, GRID))
    runner = ExperimentRunner(cfg, tmp_path / "results", data_dir, smoke=True, model_root=tmp_path / "m")
    calls: list[str] = []

    def fake_run_cell(self, cell):  # noqa: ANN001, ANN202
        calls.append(cell.id)
        self._record(cell, "done", self.provenance(cell), scored={"XQuADRSentenceRetrieval": 4})
        return CellOutcome(cell.id, "done", 0.0)

    monkeypatch.setattr(ExperimentRunner, "run_cell", fake_run_cell)
    lock = Path(folder_lock(runner.cell_dir(cfg.cells[1])).lock_file)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\nfrom filelock import FileLock\n"
                f"held = FileLock({str(lock)!r}); held.acquire(); print('locked', flush=True); time.sleep(600)"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        outcomes = runner.run()
        assert [o.status for o in outcomes] == ["done", "busy", "done"]
        assert calls == ["base", "hybrid"]  # x-x belongs to the other process
    finally:
        holder.kill()
        holder.wait()
    calls.clear()
    outcomes = runner.run()  # the holder died: its lock went with it, the cell runs now
    assert [o.status for o in outcomes] == ["skipped", "done", "skipped"] and calls == ["x-x"]


def test_parallel_cells_script_passes_each_cell_as_one_argument_without_a_shell(tmp_path: Path) -> None:
    """A cell argument is data: `$(...)` is not run, `../` does not move its log out of the log folder."""
    import os
    import subprocess

    fake = tmp_path / "fake-mteb-hybrid"  # records the arguments each worker was given
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$FAKE_OUT/$$.args"\n')
    fake.chmod(0o755)
    (tmp_path / "calls").mkdir()
    (tmp_path / "cfg.yaml").write_text("name: x\n")
    cells = ["cfg.yaml:hyb$(touch INJECTED)", "cfg.yaml:../../escaped", "cfg.yaml:plain"]
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "run_cells_parallel.sh"), "-j", "2", "-d", "data", "-l", "logs", *cells],
        cwd=tmp_path,
        env={**os.environ, "MTEB_HYBRID": str(fake), "FAKE_OUT": str(tmp_path / "calls")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.rglob("INJECTED"))
    calls = sorted(p.read_text().splitlines() for p in (tmp_path / "calls").iterdir())
    assert sorted(call[call.index("--cells") + 1] for call in calls) == sorted(c.split(":", 1)[1] for c in cells)
    assert all(call[:3] == ["-v", "experiment", "cfg.yaml"] for call in calls)
    logs = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.log"))
    assert logs == ["logs/cfg-.._.._escaped.log", "logs/cfg-hyb__touch_INJECTED_.log", "logs/cfg-plain.log"]


@pytest.mark.parametrize("option", [["-j", "0"], ["-j", "x;y"], ["-t", "1s"]])
def test_parallel_cells_script_refuses_bad_counts(tmp_path: Path, option: list[str]) -> None:
    import subprocess

    (tmp_path / "cfg.yaml").write_text("name: x\n")
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "run_cells_parallel.sh"), *option, "-d", "data", "cfg.yaml:a"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.startswith("error: -j takes a number of workers > 0")
    assert not (tmp_path / "runs").exists()
