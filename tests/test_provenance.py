"""Cell provenance and the typed experiment records: no finished cell is reused with other inputs.

The end-to-end cases train a tiny random BERT (given as a folder, so no smoke substitution hides the
settings) for 2 or 3 steps on two MLQA-R languages and score it on two XQuAD-R subsets.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mteb_hybrid.experiments import CellRecord, ExperimentRunner, StaleCellsError, load_experiment, read_cell
from mteb_hybrid.experiments.provenance import changed_keys, digest, record_changes
from mteb_hybrid.experiments.schema import SchemaError, write_cell
from mteb_hybrid.files import folder_lock

REPO = Path(__file__).resolve().parents[1]
SHIPPED_CELLS = sorted((REPO / "results" / "experiments").glob("*/*/cell.json"))
SHIPPED_CONFIGS = sorted((REPO / "experiments").rglob("*.yaml"))

CONFIG = """
    name: prov
    base: {base}
    data: [mlqa-r]
    train: {{candidate_form: sentence, max_seq_length: 32, batch_size: 4, languages: [en, de], max_steps: {steps},
            save_steps: 1, validation_fraction: 0.0}}
    eval: {{tasks: [XQuADRSentenceRetrieval], languages: [en, de], subsets: [en-en, de-de], batch_size: 16}}
    cells:
      - {{id: base, train: null}}
      - {{id: hybrid, train: {{batching: hybrid}}}}
"""


def _config(tmp_path: Path, base: Path | str, steps: int, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(CONFIG.format(base=base, steps=steps)), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- schema


@pytest.mark.parametrize("path", SHIPPED_CELLS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_shipped_cell_json_loads_and_round_trips(path: Path, tmp_path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    record = read_cell(path)
    if "schema_version" not in raw:  # written before versions: loads as version 0, without provenance
        assert record.schema_version == 0 and record.provenance is None
        assert record.model_dump(exclude={"schema_version", "provenance", "scored", "error"}, exclude_none=False) == {
            "reused_from": None,
            "environment": None,
            **raw,
        }  # every key the report reads comes back as written
    else:  # written by the current runner: every key comes back, provenance included
        assert record.schema_version == raw["schema_version"] and record.provenance is not None
        dump = record.model_dump(mode="json")
        if "environment" not in raw:  # written before the runner recorded where a cell ran
            assert dump.pop("environment") is None
        assert dump == raw
    write_cell(tmp_path / "cell.json", record)
    again = read_cell(tmp_path / "cell.json")
    assert again.schema_version == 1 and again.model_copy(update={"schema_version": record.schema_version}) == record


@pytest.mark.parametrize("path", SHIPPED_CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_matches_the_schema(path: Path) -> None:
    cfg = load_experiment(path)
    assert cfg.cells and cfg.name == cfg.raw["name"]


def test_cell_json_errors_name_file_and_key_path(tmp_path: Path) -> None:
    good = json.loads(SHIPPED_CELLS[0].read_text(encoding="utf-8"))
    for change, where in (
        ({"stauts": "done"}, "stauts: unknown key; did you mean status?"),
        ({"status": "finished"}, "status: Input should be 'done', 'failed' or 'started'"),
        ({"cell": "../../x"}, "cell: cell id '../../x' cannot be used as a folder name"),
    ):
        path = tmp_path / "cell.json"
        path.write_text(json.dumps({**good, **change}), encoding="utf-8")
        with pytest.raises(SchemaError) as e:
            read_cell(path)
        assert str(e.value).startswith(f"{path}: {where}") and "\n" not in str(e.value)


# ---------------------------------------------------------------------------------------------- hashing


def test_hash_is_order_free_and_changes_name_the_keys() -> None:
    a = {
        "model": {"train": {"max_steps": 40, "alpha": 0.5}, "data": {"mlqa-r/en.json": "aa"}},
        "eval": {"tasks": ["T"]},
    }
    b = {
        "eval": {"tasks": ["T"]},
        "model": {"data": {"mlqa-r/en.json": "aa"}, "train": {"alpha": 0.5, "max_steps": 40}},
    }
    assert digest(a) == digest(b)
    c = json.loads(json.dumps(a))
    c["model"]["train"]["max_steps"] = 80
    c["model"]["data"]["mlqa-r/en.json"] = "bb"
    assert digest(c) != digest(a)
    assert changed_keys(a, c) == ['model.data.mlqa-r/en.json: "aa" -> "bb"', "model.train.max_steps: 40 -> 80"]


def test_a_record_from_before_provenance_is_compared_on_its_training_settings() -> None:
    record = read_cell(REPO / "results/experiments/batching/hybrid/cell.json")
    cfg = load_experiment(REPO / "experiments/batching.yaml")
    cell = next(c for c in cfg.cells if c.id == "hybrid")
    from mteb_hybrid.experiments.schema import Provenance

    today = Provenance(hash="x", inputs={})
    assert record_changes(record, today, cell.train.to_dict()) == []  # the shipped results stay valid
    assert record_changes(record, today, {**cell.train.to_dict(), "max_steps": 80}) == ["train.max_steps: 100 -> 80"]
    # a setting TrainConfig gained later, at its default, is the old behaviour; at another value it is a change
    assert record_changes(read_cell(REPO / "results/experiments/batching/base/cell.json"), today, None) == []
    trimmed = record.model_copy(update={"train": {k: v for k, v in record.train.items() if k != "weight_decay"}})
    assert record_changes(trimmed, today, cell.train.to_dict()) == []
    assert record_changes(trimmed, today, {**cell.train.to_dict(), "weight_decay": 0.1}) == [
        "train.weight_decay: (absent) -> 0.1"
    ]


def test_two_results_roots_never_share_a_training_folder(
    tmp_path: Path, tiny_bert: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    cfg = load_experiment(_config(tmp_path, tiny_bert, 2))
    cell = cfg.cells[1]
    a1, a2, b = (ExperimentRunner(cfg, tmp_path / r, data_dir) for r in ("a", "a", "b"))
    folder = {name: Path(r.provenance(cell).training_dir) for name, r in (("a1", a1), ("a2", a2), ("b", b))}
    assert folder["a1"] == folder["a2"]  # same root, same inputs: the same model
    assert folder["a1"] != folder["b"] and folder["a1"].parent != folder["b"].parent
    assert all(tmp_path / "cache" in f.parents for f in folder.values())
    assert a1.provenance(cell).model_hash == b.provenance(cell).model_hash  # the inputs are the same
    assert folder["a1"].name == f"hybrid-{a1.provenance(cell).model_hash[:16]}"
    other = ExperimentRunner(load_experiment(_config(tmp_path, tiny_bert, 3, "other.yaml")), tmp_path / "a", data_dir)
    assert Path(other.provenance(other.cfg.cells[1]).training_dir) != folder["a1"]  # another max_steps


# ---------------------------------------------------------------------------------------------- the runner


def test_changed_max_steps_is_refused_and_force_retrains(
    tmp_path: Path, tiny_bert: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results, models = tmp_path / "results", tmp_path / "models"
    trained: list[int] = []
    import mteb_hybrid.training.trainer as trainer

    real_train = trainer.train
    monkeypatch.setattr(
        trainer, "train", lambda config, **kw: (trained.append(config.max_steps), real_train(config, **kw))[1]
    )
    cell_json = results / "experiments" / "prov" / "hybrid" / "cell.json"

    first = ExperimentRunner(
        load_experiment(_config(tmp_path, tiny_bert, 2)), results, data_dir, model_root=models
    ).run()
    assert [o.status for o in first] == ["done", "done"] and trained == [2]
    before = read_cell(cell_json)
    assert before.status == "done" and before.scored == {"XQuADRSentenceRetrieval": 2}
    assert before.provenance.inputs["model"]["train"]["max_steps"] == 2
    old_dir = Path(before.provenance.training_dir)
    assert json.loads((old_dir / "mteb_hybrid_training.json").read_text())["training"]["global_step"] == 2

    changed = load_experiment(_config(tmp_path, tiny_bert, 3))
    with pytest.raises(StaleCellsError) as e:
        ExperimentRunner(changed, results, data_dir, model_root=models).run()
    assert "hybrid (model.train.max_steps: 2 -> 3)" in str(e.value) and "--force" in str(e.value)
    assert "base" not in str(e.value).split("now:")[1]  # the untrained cell's inputs did not change
    assert read_cell(cell_json) == before and trained == [2]  # refused before anything ran

    forced = ExperimentRunner(changed, results, data_dir, model_root=models, force=True).run()
    assert [o.status for o in forced] == ["skipped", "done"] and trained == [2, 3]
    after = read_cell(cell_json)
    new_dir = Path(after.provenance.training_dir)
    assert new_dir != old_dir and after.train["max_steps"] == 3
    assert json.loads((new_dir / "mteb_hybrid_training.json").read_text())["training"]["global_step"] == 3
    assert after.revision != before.revision  # other weights, scored under their own revision
    scores = list((cell_json.parent / "results").rglob("XQuADRSentenceRetrieval.json"))
    assert [p.parent.name for p in scores] == [after.revision]  # the 2-step model's scores were removed

    again = ExperimentRunner(changed, results, data_dir, model_root=models).run()
    assert [o.status for o in again] == ["skipped", "skipped"] and trained == [2, 3]  # same inputs: reused
    assert read_cell(cell_json) == after


def test_a_cell_without_scores_fails_and_runs_again(
    tmp_path: Path, tiny_bert: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    import mteb_hybrid.experiments.runner as runner_module

    cfg = load_experiment(_config(tmp_path, tiny_bert, 2))
    real_evaluation = runner_module.run_evaluation
    # an evaluation that scored nothing (a subset list matching nothing is refused before it starts)
    monkeypatch.setattr(runner_module, "run_evaluation", lambda request: types.SimpleNamespace(task_results=[]))
    runner = ExperimentRunner(cfg, tmp_path / "results", data_dir, model_root=tmp_path / "models")
    [outcome] = runner.run(only=["base"])
    cell_json = runner.cell_dir(cfg.cells[0]) / "cell.json"
    assert outcome.status == "failed" and "no scores for XQuADRSentenceRetrieval" in outcome.error
    record = read_cell(cell_json)
    assert record.status == "failed" and record.scored == {"XQuADRSentenceRetrieval": 0}

    monkeypatch.setattr(runner_module, "run_evaluation", real_evaluation)
    [outcome] = ExperimentRunner(cfg, tmp_path / "results", data_dir, model_root=tmp_path / "models").run(only=["base"])
    assert outcome.status == "done" and read_cell(cell_json).scored == {"XQuADRSentenceRetrieval": 2}


def test_a_locked_training_folder_leaves_the_cell_to_its_holder(
    tmp_path: Path, tiny_bert: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mteb_hybrid.training.trainer as trainer

    monkeypatch.setattr(trainer, "train", lambda *a, **k: pytest.fail("trained a folder another process holds"))
    cfg = load_experiment(_config(tmp_path, tiny_bert, 2))
    runner = ExperimentRunner(cfg, tmp_path / "results", data_dir, model_root=tmp_path / "models")
    folder = Path(runner.provenance(cfg.cells[1]).training_dir)
    with folder_lock(folder):  # another FileLock on the same file: flock refuses it, as for another process
        [outcome] = runner.run(only=["hybrid"])
    assert outcome.status == "busy"
    record = read_cell(runner.cell_dir(cfg.cells[1]) / "cell.json")
    assert record.status == "started"  # not done: the next run takes it up
    assert isinstance(record, CellRecord)
