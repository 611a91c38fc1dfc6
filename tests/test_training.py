"""Training with tiny random models on real MLQA-R rows: prompts, loss goes down, resume, NaN, card, losses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from mteb_hybrid.models.identity import folder_identity, model_sha256
from mteb_hybrid.training import TrainConfig, trained_model_dir
from mteb_hybrid.training.rows import rows_from_lareqa
from mteb_hybrid.training.trainer import (
    LOG_CSV,
    NonFiniteLossError,
    build_trainer,
    read_train_log,
    read_training_info,
    train,
    weights_sha256,
)

LANGS = ("de", "en", "es")


@pytest.fixture(scope="module")
def small_rows(data_dir: Path, tmp_path_factory) -> Path:
    """MLQA-R rows of 24 questions that exist in de, en and es (72 rows), as a JSONL file."""
    rows = rows_from_lareqa("mlqa-r", data_dir, LANGS)
    by_lang = {lang: {r.parallel_id for r in rows if r.lang == lang} for lang in LANGS}
    keep = sorted(set.intersection(*by_lang.values()))[:24]
    chosen = [r for r in rows if r.parallel_id in set(keep)]
    path = tmp_path_factory.mktemp("rows") / "rows.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {"parallel_id": r.parallel_id, "lang": r.lang, "query": r.query, "positive": r.positive},
                ensure_ascii=False,
            )
            + "\n"
            for r in chosen
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def tiny_xlmr(small_rows: Path, tmp_path_factory) -> Path:
    from tiny_models import build_tiny_xlmr

    texts = [
        t
        for line in small_rows.read_text(encoding="utf-8").splitlines()
        for t in (json.loads(line)["query"], json.loads(line)["positive"])
    ]
    return build_tiny_xlmr(tmp_path_factory.mktemp("xlmr") / "model", texts, max_seq_length=64)


def _config(base: Path, data: Path, out: Path, **kw) -> TrainConfig:
    defaults = dict(
        base=str(base),
        data=[str(data)],
        batch_size=8,
        max_seq_length=64,
        validation_fraction=0.0,
        logging_steps=1,
        save_steps=1000,
        output_dir=str(out),
        device="cpu",
        seed=1,
    )
    return TrainConfig(**{**defaults, **kw})


def test_prompts_are_applied_through_sentence_transformers(tiny_xlmr, small_rows, tmp_path):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_xlmr))
    model.prompts = {"query": "query: ", "document": "passage: "}
    model.save(str(tmp_path / "with_prompts"))
    run = build_trainer(_config(tmp_path / "with_prompts", small_rows, tmp_path / "out", max_steps=1))
    assert run.trainer.args.prompts == {"anchor": "query: ", "positive": "passage: ", "negative": "passage: "}
    tok = run.model.tokenizer
    batch = next(iter(run.trainer.get_train_dataloader()))
    for column, prompt in (("anchor", "query: "), ("positive", "passage: ")):
        prefix = tok(prompt.strip())["input_ids"][:-1]  # <s> + the prompt's tokens, without </s>
        ids = batch[f"{column}_input_ids"]
        assert ids.shape[0] == 8
        assert (ids[:, : len(prefix)] == torch.tensor(prefix)).all(), column
    # the raw dataset holds the bare texts: the prompt comes from the training arguments only
    first = next(iter(run.sources.datasets.values()))[0]
    assert not first["anchor"].startswith("query:") and not first["positive"].startswith("passage:")


def test_short_run_reduces_loss_and_writes_model_card(tiny_xlmr, small_rows, monkeypatch):
    monkeypatch.setenv("WANDB_DISABLED", "true")
    config = _config(
        tiny_xlmr,
        small_rows,
        None,
        output_dir=None,
        model_name="hybrid-tiny",
        max_steps=30,
        learning_rate=3e-3,
        warmup=0.0,
    )
    result = train(config)
    assert result.output_dir == trained_model_dir("hybrid-tiny") and result.global_step == 30
    log = read_train_log(result.log_path)
    losses = [r["loss"] for r in log if "loss" in r]
    assert [r["step"] for r in log if "loss" in r] == list(range(1, 31))
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.3, losses
    walls = [r["wall_time"] for r in log]
    assert walls == sorted(walls) and walls[-1] > 0
    assert (result.output_dir / LOG_CSV).read_text().startswith("step,epoch,wall_time,")

    card = (result.output_dir / "README.md").read_text(encoding="utf-8")
    section = card[card.index("## Hybrid-batch training") :]
    for expected in (
        f"| base | {tiny_xlmr} |",
        f"| data | {small_rows} (sentence passages) |",
        "| batching | hybrid |",
        "| alpha | 0.5 |",
        "| loss | mnrl, scale 20.0 |",
        "| batch size | 8 per device x 1 device(s) x 1",
        "| steps | 30 |",
        "| seed | 1 |",
        "| sources | 3 x-x, 6 x-y |",
    ):
        assert expected in section, expected
    assert card.index("## Hybrid-batch training") < card.index("## Model Details")

    info = read_training_info(result.output_dir)
    assert info["name"] == "hybrid-tiny" and info["revision"] == result.revision
    assert info["weights_sha256"] == weights_sha256(result.output_dir)
    assert info["revision"] == model_sha256(result.output_dir, None)[:12] and len(info["revision"]) == 12
    assert folder_identity(result.output_dir).revision == info["revision"]  # the alias and the folder agree
    assert info["config"] == config.to_dict() and info["training"]["global_step"] == 30
    assert info["schema_version"] == 2 and info["training"]["best_step"] is None
    assert info["training"]["stopped_step"] == 30 and not info["training"]["stopped_early"]
    assert info["sources"] == {
        **{f"x-x:{q}": 24 for q in LANGS},
        **{f"x-y:{q}-{p}": 24 for q in LANGS for p in LANGS if p != q},
    }
    assert not (result.output_dir / "checkpoints").exists()

    from sentence_transformers import SentenceTransformer

    reloaded = SentenceTransformer(str(result.output_dir))
    assert reloaded.encode(["wer?"]).shape == (1, 32)


class _Interrupt(TrainerCallback):
    def __init__(self, at: int) -> None:
        self.at = at

    def on_step_begin(self, args, state, control, **kwargs):  # noqa: ANN001, ANN201
        if state.global_step == self.at:  # `at` steps are done (and logged): stop before the next
            raise KeyboardInterrupt("simulated interruption")


def test_resume_after_interruption_continues_steps_and_log(tiny_xlmr, small_rows, tmp_path):
    out = tmp_path / "run"
    config = _config(tiny_xlmr, small_rows, out, max_steps=6, save_steps=2, learning_rate=1e-3)
    with pytest.raises(KeyboardInterrupt):
        train(config, callbacks=[_Interrupt(3)])
    assert (out / "checkpoints" / "checkpoint-2").is_dir() and not (out / "checkpoints" / "checkpoint-3").exists()
    before = read_train_log(out / "train_log.jsonl")
    assert [r["step"] for r in before if "loss" in r] == [1, 2, 3]
    with pytest.raises(FileExistsError, match="--resume"):
        train(config)  # a fresh start would silently mix two runs' checkpoints

    result = train(TrainConfig(**{**config.to_dict(), "resume": True}))
    assert result.global_step == 6
    log = read_train_log(result.log_path)
    loss_records = [r for r in log if "loss" in r]
    assert [r["step"] for r in loss_records] == [1, 2, 3, 4, 5, 6]  # step 3 retrained once, not logged twice
    assert [r["loss"] for r in loss_records[:2]] == [r["loss"] for r in before[:2]]  # finished steps kept
    walls = [r["wall_time"] for r in log]
    assert walls == sorted(walls)
    assert read_training_info(out)["training"]["global_step"] == 6

    # the resumed run reaches the same losses as an uninterrupted one
    straight = train(
        _config(tiny_xlmr, small_rows, tmp_path / "straight", max_steps=6, save_steps=2, learning_rate=1e-3)
    )
    straight_losses = [r["loss"] for r in read_train_log(straight.log_path) if "loss" in r]
    assert straight_losses == pytest.approx([r["loss"] for r in loss_records], rel=1e-4)


def test_nan_loss_stops_with_a_clear_error(tiny_xlmr, small_rows, tmp_path):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_xlmr))
    with torch.no_grad():
        model[0].auto_model.embeddings.word_embeddings.weight.fill_(float("nan"))
    model.save(str(tmp_path / "nan_model"))
    out = tmp_path / "out"
    with pytest.raises(NonFiniteLossError, match=r"training loss is nan at step 1\. Fix: lower the learning rate"):
        train(_config(tmp_path / "nan_model", small_rows, out, max_steps=3))
    assert not (out / "modules.json").exists()


def test_cached_mnrl_with_accumulation_validation_and_metric_hook(tiny_xlmr, small_rows, tmp_path):
    calls = []

    def metric(model) -> dict[str, float]:
        calls.append(model.training)
        return {"score": 0.25}

    config = _config(
        tiny_xlmr,
        small_rows,
        tmp_path / "out",
        loss="cached-mnrl",
        mini_batch_size=3,
        grad_accum=2,
        max_steps=2,
        eval_steps=1,
        validation_fraction=0.25,
        batching="x-y",
    )
    result = train(config, metric_fn=metric)
    assert result.global_step == 2 and result.model_name.endswith("-xy")
    assert result.eval_loss is not None and result.eval_loss > 0
    log = read_train_log(result.log_path)
    evals = [r for r in log if "eval_loss" in r]
    assert [r["step"] for r in evals] == [0, 1, 2] and all(r["eval_benchmark_score"] == 0.25 for r in evals)
    assert len(calls) == 3  # the base model, steps 1 and 2; the final metrics reuse step 2's evaluation
    assert all(r["eval_loss"] > 0 for r in evals)
    info = read_training_info(result.output_dir)
    assert info["training"]["validation_rows"] == 18 and info["training"]["train_rows"] == 54
    assert set(info["sources"]) == {f"x-y:{q}-{p}" for q in LANGS for p in LANGS if p != q}


def test_losses_by_name(tiny_xlmr, monkeypatch):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )

    from mteb_hybrid.training.losses import make_loss

    model = SentenceTransformer(str(tiny_xlmr))
    mnrl = make_loss("mnrl", model)
    cached = make_loss("cached-mnrl", model, mini_batch_size=2)
    assert isinstance(mnrl, MultipleNegativesRankingLoss) and mnrl.scale == 20.0 and not mnrl.gather_across_devices
    assert isinstance(cached, CachedMultipleNegativesRankingLoss) and cached.mini_batch_size == 2
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert make_loss("mnrl", model).gather_across_devices
    with pytest.raises(ValueError, match="gradient accumulation: mnrl"):
        make_loss("accum", model)

    # GradCache is exact: same loss value and same gradients as the plain loss on one batch (dropout off)
    model.eval()
    anchors = ["Wann wurde sie gegründet?", "Who wrote it?", "¿Dónde está?", "When was it?"]
    positives = ["Sie wurde 1636 gegründet.", "A young author wrote it.", "Está en Madrid.", "In 1636."]
    features = [model.tokenize(anchors), model.tokenize(positives)]
    grads = []
    for loss_fn in (make_loss("mnrl", model), make_loss("cached-mnrl", model, mini_batch_size=3)):
        model.zero_grad()
        value = loss_fn([dict(f) for f in features], None)
        value.backward()
        grads.append((value.item(), model[0].auto_model.embeddings.word_embeddings.weight.grad.clone()))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-5)
    assert torch.allclose(grads[0][1], grads[1][1], atol=1e-6)


def test_presets_and_trained_model_dir(tmp_path, tiny_xlmr):
    from mteb_hybrid.data.sources import cache_root
    from mteb_hybrid.models.presets import load_presets, resolve_base

    presets = load_presets()
    assert {p: presets[p].trained_name for p in presets} == {
        "labse": "hybrid-labse",
        "xlmr": "hybrid-xlmr",
        "m2m100": "hybrid-m2m100",
        "me5-small": "hybrid-me5-small",
    }
    assert (presets["labse"].model, presets["xlmr"].model, presets["m2m100"].model) == (
        "sentence-transformers/LaBSE",
        "FacebookAI/xlm-roberta-base",
        "facebook/m2m100_418M",
    )
    assert presets["xlmr"].kind == "transformer" and presets["xlmr"].pooling == "mean"
    assert presets["m2m100"].kind == "m2m100-encoder" and presets["me5-small"].kind == "offline-me5"
    assert resolve_base(str(tiny_xlmr)).kind == "sentence-transformers"
    assert resolve_base("intfloat/multilingual-e5-base").trained_name == "hybrid-multilingual-e5-base"
    assert trained_model_dir("hybrid-me5-small") == cache_root() / "models" / "hybrid-me5-small"
    from mteb_hybrid.models.metas import trained_dir  # the registry looks where training writes

    assert trained_dir("hybrid-me5-small") == trained_model_dir("hybrid-me5-small")


def test_cli_refuses_overlap_with_exit_status_2(data_dir, tmp_path, capsys):
    from mteb_hybrid.data import get_definition, load_dataset
    from mteb_hybrid.training.cli import add_train_arguments, run_train

    q = load_dataset(get_definition("xquad-r"), data_dir, ["en"]).languages["en"].questions[0]
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"parallel_id": "1", "lang": "en", "query": q.text, "positive": "p"}) + "\n")
    parser = add_train_arguments(argparse.ArgumentParser())
    args = parser.parse_args(
        ["--data", str(rows), "--data-dir", str(data_dir), "--eval-task", "xquad-r", "--output", str(tmp_path / "out")]
    )
    assert run_train(args) == 2
    assert "training data overlaps the evaluation tasks" in capsys.readouterr().err


def test_training_records_of_older_runs_still_load_and_unknown_keys_are_refused(tmp_path):
    from mteb_hybrid.training.record import SCHEMA_VERSION, TRAINING_RECORD_FILE, read_training_record

    # A record written before the schema had a version (results/experiments/batching/hybrid, frozen here
    # so that new runs written into results/ cannot change what this test reads).
    fixture = Path(__file__).parent / "fixtures" / "training_record_v1.json"
    old_folder = tmp_path / "old"
    old_folder.mkdir()
    (old_folder / TRAINING_RECORD_FILE).write_bytes(fixture.read_bytes())
    raw = json.loads(fixture.read_text(encoding="utf-8"))
    record = read_training_record(old_folder)
    assert "schema_version" not in raw and record.schema_version == 1 < SCHEMA_VERSION
    assert record.training.global_step == raw["training"]["global_step"] and record.training.best_step is None
    assert record.config == raw["config"] and record.revision == raw["revision"]
    raw["training"]["stoped_step"] = 3  # a misspelt field
    (tmp_path / TRAINING_RECORD_FILE).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match=r"mteb_hybrid_training.json: training.stoped_step: Extra inputs"):
        read_training_record(tmp_path)


def test_a_trained_model_keeps_its_bases_inference_length(tiny_xlmr, small_rows, tmp_path):
    """Training truncates at max_seq_length; the saved model is scored like its base (the training length is a
    training setting, kept in the training record)."""
    from sentence_transformers import SentenceTransformer

    base_length = SentenceTransformer(str(tiny_xlmr)).max_seq_length
    result = train(_config(tiny_xlmr, small_rows, tmp_path / "out", max_steps=2, max_seq_length=16))
    assert base_length == 64
    assert SentenceTransformer(str(result.output_dir)).max_seq_length == base_length
    assert read_training_info(result.output_dir)["config"]["max_seq_length"] == 16
