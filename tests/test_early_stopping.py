"""Early stopping on the held-out validation loss, the restored best checkpoint, the fixed validation split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

from mteb_hybrid.training import TrainConfig
from mteb_hybrid.training.rows import rows_from_lareqa
from mteb_hybrid.training.trainer import build_trainer, read_train_log, read_training_info, train

LANGS = ("de", "en", "es")


@pytest.fixture(scope="module")
def xquad_rows(data_dir: Path, tmp_path_factory) -> Path:
    """XQuAD-R rows of 40 questions in de, en and es (120 rows), as a JSONL file."""
    rows = rows_from_lareqa("xquad-r", data_dir, LANGS)
    keep = set(sorted({r.parallel_id for r in rows})[:40])
    path = tmp_path_factory.mktemp("rows") / "rows.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {"parallel_id": r.parallel_id, "lang": r.lang, "query": r.query, "positive": r.positive},
                ensure_ascii=False,
            )
            + "\n"
            for r in rows
            if r.parallel_id in keep
        ),
        encoding="utf-8",
    )
    return path


def _config(base: Path, data: Path, out: Path, **kw) -> TrainConfig:
    # lr 1e-2 on 90 training rows: the validation loss bottoms out within a few evaluations, then rises
    defaults = dict(
        base=str(base),
        data=[str(data)],
        batch_size=8,
        max_seq_length=64,
        validation_fraction=0.25,
        logging_steps=1,
        output_dir=str(out),
        device="cpu",
        seed=1,
        learning_rate=1e-2,
        warmup=0.0,
        eval_steps=2,
        early_stopping_patience=2,
        max_steps=80,
        keep_checkpoints=True,
    )
    return TrainConfig(**{**defaults, **kw})


def _evals(log: list[dict]) -> dict[int, float]:
    return {r["step"]: r["eval_loss"] for r in log if "eval_loss" in r and r["step"] > 0}


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


def test_stops_when_validation_loss_stops_improving_and_restores_the_best(tiny_bert, xquad_rows, tmp_path):
    config = _config(tiny_bert, xquad_rows, tmp_path / "run")
    result = train(config)
    log = read_train_log(result.log_path)
    evals = _evals(log)
    best = min(evals, key=evals.get)
    # the best step is the lowest validation loss of the run; it stopped `patience` evaluations later
    assert result.best_step == best and result.stopped_early
    assert result.global_step == best + 2 * 2 < 80
    assert max(evals) == result.global_step
    assert result.eval_loss == pytest.approx(evals[best])

    record = read_training_info(result.output_dir)["training"]
    assert (record["stopped_step"], record["best_step"], record["stopped_early"]) == (result.global_step, best, True)
    assert record["best_eval_loss"] == pytest.approx(evals[best])
    assert record["final_eval"]["eval_loss"] == pytest.approx(evals[best])
    assert log[-1]["stopped_step"] == result.global_step and log[-1]["best_step"] == best

    # the saved model holds the best checkpoint's weights, not the last step's
    saved = _weights(result.output_dir)
    at_best = _weights(result.output_dir / "checkpoints" / f"checkpoint-{best}")
    at_stop = _weights(result.output_dir / "checkpoints" / f"checkpoint-{result.global_step}")
    assert saved.keys() == at_best.keys()
    assert all(torch.equal(saved[k], at_best[k]) for k in saved)
    assert any(not torch.equal(saved[k], at_stop[k]) for k in saved)


def test_no_patience_runs_to_the_step_cap(tiny_bert, xquad_rows, tmp_path):
    result = train(_config(tiny_bert, xquad_rows, tmp_path / "run", early_stopping_patience=None, max_steps=12))
    assert result.global_step == 12 and result.best_step is None and not result.stopped_early
    record = read_training_info(result.output_dir)["training"]
    assert record["best_step"] is None and record["stopped_step"] == 12


class _Interrupt(TrainerCallback):
    def __init__(self, at: int) -> None:
        self.at = at

    def on_step_begin(self, args, state, control, **kwargs):  # noqa: ANN001, ANN201
        if state.global_step == self.at:
            raise KeyboardInterrupt("simulated interruption")


def test_resumed_run_stops_and_restores_like_an_uninterrupted_one(tiny_bert, xquad_rows, tmp_path):
    straight = train(_config(tiny_bert, xquad_rows, tmp_path / "straight"))
    assert straight.stopped_early and straight.global_step > 4
    config = _config(tiny_bert, xquad_rows, tmp_path / "resumed")
    with pytest.raises(KeyboardInterrupt):  # after two evaluations and their checkpoints
        train(config, callbacks=[_Interrupt(5)])
    resumed = train(TrainConfig(**{**config.to_dict(), "resume": True}))
    assert (resumed.global_step, resumed.best_step) == (straight.global_step, straight.best_step)
    assert resumed.eval_loss == pytest.approx(straight.eval_loss, rel=1e-4)
    a, b = _weights(straight.output_dir), _weights(resumed.output_dir)
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_validation_split_depends_on_validation_seed_only(tiny_bert, xquad_rows, tmp_path):
    def split(**kw):
        run = build_trainer(_config(tiny_bert, xquad_rows, tmp_path / "x", **kw))
        return sorted({r.parallel_id for r in run.val_rows}), run.trainer._eval_batches

    ids_1, batches_1 = split(seed=1)
    ids_2, batches_2 = split(seed=2)
    assert ids_1 == ids_2 and len(ids_1) == 10 and batches_1 == batches_2
    ids_3, _ = split(seed=1, validation_seed=7)
    assert ids_3 != ids_1 and len(ids_3) == 10


def test_validation_batches_have_their_own_size_so_grids_with_other_batch_sizes_share_them(
    tiny_bert, xquad_rows, tmp_path
):
    def batches(**kw):
        return build_trainer(_config(tiny_bert, xquad_rows, tmp_path / "x", **kw)).trainer._eval_batches

    default = batches(batch_size=8)
    assert max(map(len, default)) == 8
    assert batches(batch_size=4, validation_batch_size=8) == default  # the same rows in the same batches
    assert max(map(len, batches(batch_size=8, validation_batch_size=4))) == 4


def test_evaluate_computes_the_validation_loss_in_the_fixed_batches(tiny_bert, xquad_rows, tmp_path):
    """Trainer.evaluate() must go through the fixed batches: the loss depends on the in-batch negatives, so a cell of
    batch size 4 with validation_batch_size 8 measures exactly what a cell of batch size 8 does."""

    def evaluated(**kw):
        run = build_trainer(_config(tiny_bert, xquad_rows, tmp_path / "x", **kw))
        sizes = []
        compute_loss = run.trainer.compute_loss

        def spy(model, inputs, *args, **kwargs):
            sizes.append(len(next(v for k, v in inputs.items() if k.endswith("input_ids"))))
            return compute_loss(model, inputs, *args, **kwargs)

        run.trainer.compute_loss = spy
        return run.trainer.evaluate()["eval_loss"], sizes, [len(b) for b in run.trainer._eval_batches]

    loss_8, sizes_8, fixed_8 = evaluated(batch_size=8)
    assert sizes_8 == fixed_8  # every evaluated batch is one of the fixed ones, in their order
    loss_4, sizes_4, fixed_4 = evaluated(batch_size=4, validation_batch_size=8)
    assert sizes_4 == fixed_4 == fixed_8 and loss_4 == pytest.approx(loss_8, rel=1e-5)
    loss_small, _, _ = evaluated(batch_size=8, validation_batch_size=4)
    assert loss_small < loss_8  # fewer in-batch negatives, a lower loss: the size is really applied


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"validation_fraction": 0.0}, "early_stopping_patience needs a held-out split"),
        ({"early_stopping_patience": -1}, "early_stopping_patience must be >= 0"),
    ],
)
def test_early_stopping_needs_an_evaluation(kw, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        _config(tmp_path, tmp_path, tmp_path, **kw)
