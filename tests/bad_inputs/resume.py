"""Damaged state of an earlier run: each must end in the right result (exit 0, a warning, nothing reused or lost).

A records file replaced by garbage, an embedding-cache chunk of another dimension, a checkpoint written half
(weights present, no trainer_state.json) under `train --resume` and under the experiment runner.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SHARED_DATA

from bad_inputs import BadInput

TASK = "XQuADRSentenceRetrieval"
SUBSETS = ["en-de", "de-de"]


def _model(root: Path) -> Path:
    from mteb_hybrid.models.tiny import build_tiny_bert

    return build_tiny_bert(root / "model", hidden=16, layers=1, vocab_size=200)


def _evaluate_argv(root: Path, *extra: str) -> list[str]:
    return [
        "evaluate",
        "-m",
        str(root / "model"),
        "-t",
        TASK,
        "--subsets",
        *SUBSETS,
        "--data-dir",
        str(SHARED_DATA),
        "--output-folder",
        str(root / "out"),
        "--batch-size",
        "64",
        *extra,
    ]


def _scores(root: Path) -> dict[str, float]:
    """subset -> map, from the result file of the model under root/out."""
    (path,) = (root / "out").rglob(f"{TASK}.json")
    return {s["hf_subset"]: s["map"] for s in json.loads(path.read_text())["scores"]["test"]}


def _first_run(root: Path, *extra: str) -> None:
    """Build the model, evaluate it once, and keep what that run wrote (the truth) in root/expected.json."""
    from mteb_hybrid.cli import main

    _model(root)
    assert main(_evaluate_argv(root, *extra)) == 0
    (root / "expected.json").write_text(json.dumps(_scores(root)))


def _garbage_records_one_subset_gone(root: Path) -> None:
    _first_run(root)
    (result,) = (root / "out").rglob(f"{TASK}.json")
    result.with_name(f"{TASK}.per_query.parquet").write_bytes(b"not a parquet file")
    raw = json.loads(result.read_text())
    raw["scores"]["test"] = [s for s in raw["scores"]["test"] if s["hf_subset"] != "de-de"]
    result.write_text(json.dumps(raw))


def _no_records_one_subset_gone(root: Path) -> None:
    """As `mteb run` or a version before records leaves a result: no records file; one subset still to score."""
    _garbage_records_one_subset_gone(root)
    next((root / "out").rglob(f"{TASK}.per_query.parquet")).unlink()


def _no_partial_records(root: Path) -> None:
    assert _scores(root) == json.loads((root / "expected.json").read_text())
    assert not list((root / "out").rglob(f"{TASK}.per_query.parquet"))  # none, rather than one lacking en-de


def _records_cover_the_result(root: Path) -> None:
    """Every subset of the JSON has its records again, whose mean map is the subset's map (as first computed)."""
    from mteb_hybrid.stats.records import read_records

    expected = json.loads((root / "expected.json").read_text())
    assert _scores(root) == expected  # nothing lost, the removed subset recomputed to the same value
    (path,) = (root / "out").rglob(f"{TASK}.per_query.parquet")
    records = read_records(path)
    means = records.groupby("subset", observed=True)["map"].mean().to_dict()
    assert set(means) == set(expected)
    for subset, value in expected.items():
        assert abs(means[subset] - value) < 1e-4, (subset, means[subset], value)


def _chunk_of_another_dimension(root: Path) -> None:
    import numpy as np

    _first_run(root, "--embedding-cache")
    chunks = sorted((root / "cache" / "embeddings").rglob("chunk-*.npz"))
    assert len(chunks) >= 2
    with np.load(chunks[0]) as z:
        keys, vectors = z["keys"], z["vectors"]
    with chunks[0].open("wb") as f:  # the first chunk read: it used to set the dimension for all
        np.savez(f, keys=keys, vectors=np.ones((len(vectors), vectors.shape[1] + 3), dtype=np.float32))
    (root / "good_chunks.json").write_text(json.dumps([str(p) for p in chunks[1:]]))
    shutil.rmtree(root / "out")  # the result is recomputed from the cache


def _scores_right_and_good_chunks_kept(root: Path) -> None:
    assert _scores(root) == json.loads((root / "expected.json").read_text())
    for chunk in json.loads((root / "good_chunks.json").read_text()):
        assert Path(chunk).is_file(), f"{chunk}: a good chunk was deleted"


def _rows(root: Path) -> Path:
    rows = [
        {"parallel_id": f"q{i}", "lang": lang, "query": f"question {i} {lang}", "positive": f"answer {i} {lang}"}
        for i in range(8)
        for lang in ("en", "de")
    ]
    path = root / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _train_argv(root: Path, steps: int) -> list[str]:
    return [
        "train",
        "--base",
        str(root / "model"),
        "--data",
        str(root / "rows.jsonl"),
        "--max-steps",
        str(steps),
        "--batch-size",
        "4",
        "--save-steps",
        "1",
        "--logging-steps",
        "1",
        "--validation-fraction",
        "0",
        "--max-seq-length",
        "16",
        "--output",
        str(root / "out"),
        "--device",
        "cpu",
        "--keep-checkpoints",
        "--resume",
    ]


def _half_written_checkpoint(root: Path) -> None:
    """A run of 2 steps, then checkpoint-3 as a kill during its writing leaves it: weights, no trainer state."""
    import argparse

    from mteb_hybrid.training.cli import add_train_arguments, config_from_args
    from mteb_hybrid.training.trainer import train

    _model(root)
    _rows(root)
    train(config_from_args(add_train_arguments(argparse.ArgumentParser()).parse_args(_train_argv(root, 2)[1:])))
    done = root / "out" / "checkpoints" / "checkpoint-2"
    half = shutil.copytree(done, root / "out" / "checkpoints" / "checkpoint-3")
    (half / "trainer_state.json").unlink()


def _resumed_from_the_complete_checkpoint(root: Path) -> None:
    info = json.loads((root / "out" / "mteb_hybrid_training.json").read_text())
    assert info["training"]["global_step"] == 4
    checkpoints = root / "out" / "checkpoints"
    assert (checkpoints / "incomplete-checkpoint-3").is_dir()  # set aside, not deleted
    assert json.loads((checkpoints / "checkpoint-4" / "trainer_state.json").read_text())["global_step"] == 4
    log = [json.loads(line) for line in (root / "out" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3, 4], log  # steps 1-2 kept, 3-4 trained once


EXPERIMENT = """\
name: tiny
base: me5-small
data: [mlqa-r]
train: {candidate_form: sentence, max_seq_length: 32, max_steps: 2, languages: [en, de]}
eval: {tasks: [XQuADRSentenceRetrieval], languages: [en, de]}
cells:
  - {id: hybrid, train: {batching: hybrid}}
"""


def _experiment_argv(root: Path) -> list[str]:
    return [
        "experiment",
        str(root / "exp.yaml"),
        "--smoke",
        "--cells",
        "hybrid",
        "--results",
        str(root / "r"),
        "--data-dir",
        str(SHARED_DATA),
    ]


def _experiment_killed_in_a_checkpoint(root: Path) -> None:
    """The cell's training folder holds checkpoint-1 with weights but no trainer_state.json, the cell `started`."""
    from mteb_hybrid.experiments import ExperimentRunner, load_experiment

    (root / "exp.yaml").write_text(EXPERIMENT, encoding="utf-8")
    cfg = load_experiment(root / "exp.yaml")
    runner = ExperimentRunner(cfg, root / "r", SHARED_DATA, smoke=True, model_root=root / "r" / "models")
    cell = cfg.cells[0]
    prov = runner.provenance(cell)
    runner._record(cell, "started", prov)
    half = Path(prov.training_dir) / "checkpoints" / "checkpoint-1"
    shutil.copytree(runner._tiny_base("me5-small"), half, ignore=shutil.ignore_patterns("_hf"))


def _cell_done(root: Path) -> None:
    cell = json.loads((root / "r" / "experiments" / "tiny" / "hybrid" / "cell.json").read_text())
    assert cell["status"] == "done" and cell["scored"] == {TASK: 4}, cell


CASES = [
    BadInput(
        id="records-garbage-and-subset-removed",
        setup=_garbage_records_one_subset_gone,
        argv=_evaluate_argv,
        message=None,
        exit_code=0,
        logged=r"unreadable per-query records",
        check=_records_cover_the_result,
        kept=lambda root: [root / "model"],
    ),
    BadInput(
        id="records-absent-and-subset-removed",
        setup=_no_records_one_subset_gone,
        argv=_evaluate_argv,
        message=None,
        exit_code=0,
        check=_no_partial_records,
        logged=r"per_query\.parquet: not written: the result's subsets test/en-de have no per-query records",
    ),
    BadInput(
        id="cache-chunk-of-another-dimension",
        setup=_chunk_of_another_dimension,
        argv=lambda root: _evaluate_argv(root, "--embedding-cache"),
        message=None,
        exit_code=0,
        logged=r"holds vectors of dimension 19, the other chunks' have 16; discarding it alone",
        check=_scores_right_and_good_chunks_kept,
    ),
    BadInput(
        id="train-resume-half-written-checkpoint",
        setup=_half_written_checkpoint,
        argv=lambda root: _train_argv(root, 4),
        message=None,
        exit_code=0,
        logged=r"checkpoint-3 is incomplete \(no trainer_state\.json.*set aside as incomplete-checkpoint-3",
        check=_resumed_from_the_complete_checkpoint,
    ),
    BadInput(
        id="experiment-killed-while-writing-a-checkpoint",
        setup=_experiment_killed_in_a_checkpoint,
        argv=_experiment_argv,
        message=None,
        exit_code=0,
        logged=r"checkpoint-1 is incomplete \(no trainer_state\.json",
        check=_cell_done,
    ),
]
