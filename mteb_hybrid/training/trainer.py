"""`train(config)`: rows -> guard -> per-source datasets -> hybrid sampler -> loss -> sentence-transformers' Trainer.

Also writes the model card section and the training record. Runs as it is under `torchrun`: the sampler reads
the world size, the loss gathers embeddings across devices, only rank 0 writes files.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.base.evaluation import BaseEvaluator
from torch.utils.data import DataLoader
from transformers import EarlyStoppingCallback, TrainerCallback

from mteb_hybrid import __version__
from mteb_hybrid.files import world_size
from mteb_hybrid.formats.training_record import (
    SCHEMA_VERSION,
    TRAINING_RECORD_FILE,
    TrainingRecord,
    TrainingStats,
    read_training_record,
    write_training_record,
)
from mteb_hybrid.models.identity import model_sha256, weights_sha256
from mteb_hybrid.models.m2m100 import disable_layerdrop, is_m2m100_model, language_prefix, supported_languages
from mteb_hybrid.models.presets import Preset, load_base_model, model_prompts, resolve_base

from .card import write_model_card_section
from .checkpoints import last_complete_checkpoint
from .config import TrainConfig
from .guard import check_zero_shot
from .losses import make_loss
from .rows import QARow, check_rows, parse_data_spec, read_spec, split_heldout
from .samplers import hybrid_sampler_factory
from .sources import TrainingSources, build_eval_set, build_sources
from .subsets import cap_rows, keep_questions
from .trainlog import LOG_CSV, LOG_JSONL, TrainLogCallback, read_train_log

logger = logging.getLogger(__name__)

__all__ = [
    "LOG_CSV",
    "NonFiniteLossError",
    "TrainResult",
    "build_trainer",
    "read_train_log",
    "read_training_info",
    "train",
    "weights_sha256",
]

CHECKPOINTS = "checkpoints"
MetricFn = Callable[[SentenceTransformer], dict[str, float]]  # model -> {metric: value}, e.g. an mteb subset


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; training stops instead of saving a broken model."""


@dataclass
class TrainResult:
    """What a finished run produced."""

    model_name: str
    output_dir: Path
    global_step: int
    train_loss: float | None  # last logged training loss
    eval_loss: float | None  # validation loss at the end (None without a held-out split)
    wall_time: float  # seconds of training, summed over resumed sessions
    revision: str
    info_path: Path
    log_path: Path
    best_step: int | None = None  # the checkpoint restored at the end (early stopping), else None
    stopped_early: bool = False  # early stopping ended the run before its step cap
    resumed_step: int | None = None  # the checkpoint step this session resumed from (None: a fresh run)
    session_wall_time: float | None = None  # seconds of this session alone (wall_time includes earlier ones)


class HybridTrainer(SentenceTransformerTrainer):
    """SentenceTransformerTrainer with a finite-loss check and fixed validation batches (`eval_batches`, each from
    one source): the same at every evaluation and for every batching mode, so the validation loss is comparable."""

    def __init__(self, *args: Any, eval_batches: list[list[int]] | None = None, **kwargs: Any) -> None:
        self._eval_batches = eval_batches
        super().__init__(*args, **kwargs)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001, ANN201
        out = super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        loss = out[0] if isinstance(out, tuple) else out
        if model.training and not torch.isfinite(loss.detach()).all():
            raise NonFiniteLossError(
                f"training loss is {loss.detach().float().item()} at step "
                f"{self.state.global_step + 1}. Fix: lower the learning rate, check the data "
                "for broken rows, or disable fp16/bf16"
            )
        return out

    def should_dataset_name_column_be_added(self, dataset, args, loss) -> bool:  # noqa: ANN001
        # Prompts are per column, never per source; a name column would only add a per-row transform.
        return isinstance(loss, dict)

    def get_eval_dataloader(self, eval_dataset=None) -> DataLoader:  # noqa: ANN001
        # Trainer.evaluate() passes self.eval_dataset itself (transformers 5), not None: both mean "the
        # validation set", which is evaluated in its fixed batches; any other dataset in the arguments' batch size.
        own = eval_dataset is None or eval_dataset is self.eval_dataset
        if own and self._eval_batches is not None and self.eval_dataset is not None:
            self.accelerator.even_batches = True
            loader = DataLoader(
                self.eval_dataset,
                batch_sampler=self._eval_batches,
                collate_fn=self.data_collator,
                num_workers=self.args.dataloader_num_workers,
            )
            return self.accelerator.prepare(loader)
        return super().get_eval_dataloader(eval_dataset)

    def _load_best_model(self) -> None:
        # sentence-transformers logs a failed load and goes on with the last weights; a run that claims
        # to end on its best checkpoint must fail instead.
        logger.info(
            "restoring the best checkpoint %s (eval_loss %s)", self.state.best_model_checkpoint, self.state.best_metric
        )
        self.model.model_card_data.set_best_model_step(best_step(self))
        self._load_from_checkpoint(self.state.best_model_checkpoint)


class CallableEvaluator(BaseEvaluator):
    """Wraps `fn(model) -> {metric: value}` (e.g. an mteb task subset) as a sentence-transformers evaluator."""

    def __init__(self, fn: MetricFn, name: str = "benchmark") -> None:
        super().__init__()
        self.fn, self.name = fn, name

    def __call__(self, model, output_path=None, epoch=-1, steps=-1) -> dict[str, float]:  # noqa: ANN001
        return self.prefix_name_to_metrics({k: float(v) for k, v in self.fn(model).items()}, self.name)


def load_rows(config: TrainConfig) -> list[QARow]:
    """Rows of every data source of the run; parallel ids are namespaced when there are several."""
    rows: list[QARow] = []
    for i, spec in enumerate(config.data):
        part = read_spec(spec, config.data_dir, config.languages, config.candidate_form)
        if len(config.data) > 1:
            name = parse_data_spec(spec).name
            part = [QARow(f"{i}:{name}:{r.parallel_id}", r.lang, r.query, r.positive, r.negative) for r in part]
        rows += part
    return rows


def default_model_name(preset: Preset, config: TrainConfig) -> str:
    """The preset's trained name; other batchings than hybrid alpha 0.5 get a suffix (-xx, -xy, -a0.3)."""
    if config.model_name:
        return config.model_name
    alpha = "" if config.alpha == 0.5 else f"-a{config.alpha:g}"
    return preset.trained_name + {"x-x": "-xx", "x-y": "-xy"}.get(config.batching, alpha)


def _column_prompts(model: SentenceTransformer, language_tokens: bool) -> dict[str, str] | None:
    query, passage = model_prompts(model)
    if language_tokens and (query or passage):
        logger.warning(
            "the model uses a language token in front of each text; its prompts %r are not used", model.prompts
        )
        model.prompts = {}
        return None
    prompts = {k: v for k, v in (("anchor", query), ("positive", passage), ("negative", passage)) if v}
    return prompts or None


def best_step(trainer: HybridTrainer) -> int | None:
    """The step of the checkpoint `load_best_model_at_end` restored (None when nothing was restored)."""
    best = trainer.state.best_model_checkpoint
    return int(Path(best).name.rsplit("-", 1)[-1]) if trainer.args.load_best_model_at_end and best else None


def _final_evaluation(trainer: HybridTrainer) -> dict[str, float]:
    """Metrics of the final weights: the evaluation logged at the restored best (or last) step, else a new one."""
    step = best_step(trainer) or trainer.state.global_step
    for record in reversed(trainer.state.log_history):
        if record.get("step") == step and any(k.startswith("eval_") for k in record):
            return {k: v for k, v in record.items() if k.startswith("eval_")}
    return trainer.evaluate()


@dataclass
class TrainingRun:
    """Everything `train` assembled, before training starts (tests and tools inspect it)."""

    config: TrainConfig
    preset: Preset
    model_name: str
    output_dir: Path
    resume_from: str | None
    trainer: HybridTrainer
    sources: TrainingSources
    train_rows: list[QARow]
    val_rows: list[QARow]
    languages: list[str]
    language_tokens: bool
    log_callback: TrainLogCallback
    has_eval: bool
    inference_length: int  # the base's max_seq_length: the trained model is saved with it

    @property
    def model(self) -> SentenceTransformer:
        return self.trainer.model


def build_trainer(
    config: TrainConfig,
    *,
    evaluator: BaseEvaluator | None = None,
    metric_fn: MetricFn | None = None,
    callbacks: Sequence[TrainerCallback] = (),
) -> TrainingRun:
    """Rows -> guard -> held-out split -> base model -> sources -> sampler, loss, args -> Trainer."""
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    preset = resolve_base(config.base)
    rows = check_rows(load_rows(config), known_languages=preset.languages)
    check_zero_shot(rows, config.eval_tasks, config.data_dir, allow_overlap=config.allow_overlap)
    train_rows, val_rows = split_heldout(rows, config.validation_fraction, config.validation_seed)
    train_rows = keep_questions(
        train_rows,
        config.max_train_questions,
        config.translations_per_question,
        config.validation_seed,
        config.languages,
    )
    train_rows = cap_rows(train_rows, config.max_train_rows, config.validation_seed)
    logger.info(
        "%d training rows (%d questions), %d validation rows (%d held-out parallel ids)",
        len(train_rows),
        len({r.parallel_id for r in train_rows}),
        len(val_rows),
        len({r.parallel_id for r in val_rows}),
    )

    model_name = default_model_name(preset, config)
    output_dir = config.resolved_output_dir(model_name)
    checkpoint_dir = output_dir / CHECKPOINTS
    resume_from = last_complete_checkpoint(checkpoint_dir) if config.resume else None  # a half-written one: set aside
    if not config.resume and checkpoint_dir.is_dir() and any(checkpoint_dir.glob("checkpoint-*")):
        raise FileExistsError(
            f"{checkpoint_dir} holds checkpoints of an earlier run. Fix: pass resume=True (--resume) "
            "to continue it, or delete the folder / choose another --output to start afresh"
        )
    if config.resume and resume_from is None:
        logger.info("no checkpoint in %s: starting from the base model", checkpoint_dir)

    model, inference_length = load_base_model(preset, max_seq_length=config.max_seq_length, device=config.device)
    disable_layerdrop(model)
    language_tokens = is_m2m100_model(model)
    if language_tokens:
        check_rows(rows, known_languages=supported_languages(model))
    text_prefix = language_prefix if language_tokens else None
    sources = build_sources(train_rows, config.batching, use_negatives=config.use_negatives, text_prefix=text_prefix)
    eval_set = build_eval_set(
        val_rows,
        config.validation_batch_size or config.batch_size,
        seed=config.validation_seed,
        use_negatives=config.use_negatives,
        text_prefix=text_prefix,
    )
    logger.info("sources: %s", sources.sizes())

    if metric_fn is not None:
        evaluator = CallableEvaluator(metric_fn) if evaluator is None else [evaluator, CallableEvaluator(metric_fn)]
    has_eval = eval_set is not None or evaluator is not None
    early_stopping = bool(config.early_stopping_patience)
    # early stopping needs an interval: without eval_steps, evaluate where checkpoints are written
    eval_steps = config.eval_steps or (config.save_steps if early_stopping else None)
    if early_stopping and eval_set is None:
        raise ValueError(
            "early_stopping_patience needs validation rows, and the held-out split is empty. "
            "Fix: raise validation_fraction"
        )
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoint_dir),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup,
        max_steps=config.max_steps or -1,
        num_train_epochs=config.epochs,
        seed=config.seed,
        prompts=_column_prompts(model, language_tokens),
        multi_dataset_batch_sampler=hybrid_sampler_factory(
            sources.source_kinds,
            sources.parallel_ids,
            config.batching,
            config.alpha,
            source_names=list(sources.datasets),
        ),
        eval_strategy="steps" if has_eval and eval_steps else "no",
        eval_steps=eval_steps,
        eval_on_start=bool(has_eval and eval_steps and resume_from is None),  # the base model's point
        # early stopping restores the best evaluated weights: every evaluation needs its checkpoint
        save_strategy="steps",
        save_steps=eval_steps if early_stopping else config.save_steps,
        load_best_model_at_end=early_stopping,
        metric_for_best_model="eval_loss" if early_stopping else None,
        greater_is_better=False if early_stopping else None,
        restore_callback_states_from_checkpoint=early_stopping,  # the patience counter survives --resume
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        logging_nan_inf_filter=False,
        report_to="none",
        use_cpu=config.device == "cpu",
        dataloader_num_workers=0,
        bf16=config.precision == "bf16",  # mixed precision: autocast, fp32 master weights (CPU and GPU)
    )
    log_callback = TrainLogCallback(output_dir, resume_from)
    if early_stopping:
        callbacks = [*callbacks, EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)]
    languages = sorted({r.lang for r in rows})
    model.model_card_data.language = languages
    model.model_card_data.model_name = f"{model_name} ({preset.name}, {config.batching} batching)"
    loss = make_loss(config.loss, model, scale=config.scale, mini_batch_size=config.mini_batch_size)
    eval_dataset, eval_batches = eval_set or (None, None)
    trainer = HybridTrainer(
        model=model,
        args=args,
        train_dataset=sources.dataset_dict(),
        eval_dataset=eval_dataset,
        eval_batches=eval_batches,
        loss=loss,
        evaluator=evaluator,
        callbacks=[log_callback, *callbacks],
    )
    return TrainingRun(
        config,
        preset,
        model_name,
        output_dir,
        resume_from,
        trainer,
        sources,
        train_rows,
        val_rows,
        languages,
        language_tokens,
        log_callback,
        has_eval,
        inference_length,
    )


def train(
    config: TrainConfig,
    *,
    evaluator: BaseEvaluator | None = None,
    metric_fn: MetricFn | None = None,
    callbacks: Sequence[TrainerCallback] = (),
) -> TrainResult:
    """Train a retriever as `config` says; returns where the model is and how training went.
    `metric_fn` (or a sentence-transformers `evaluator`) runs at each evaluation, logged as `eval_benchmark_<name>`."""
    run = build_trainer(config, evaluator=evaluator, metric_fn=metric_fn, callbacks=callbacks)
    trainer, output_dir = run.trainer, run.output_dir
    output = trainer.train(resume_from_checkpoint=run.resume_from)
    final_eval = _final_evaluation(trainer) if run.has_eval else {}
    step, best = trainer.state.global_step, best_step(trainer)
    stopped_early = bool(config.early_stopping_patience) and step < trainer.state.max_steps
    stopping = {
        "stopped_step": step,
        "best_step": best,
        "stopped_early": stopped_early,
        "best_eval_loss": trainer.state.best_metric if best is not None else None,
    }
    # scored like its base: the training truncation (config.max_seq_length) is recorded in the training record
    run.model.max_seq_length = run.inference_length
    trainer.save_model(str(output_dir))
    last_loss = next((r["loss"] for r in reversed(trainer.state.log_history) if "loss" in r), None)
    revision = ""
    if trainer.is_world_process_zero():
        if config.early_stopping_patience:
            run.log_callback.append({"step": step}, stopping)
        run.log_callback.write_csv()
        write_model_card_section(run, step)
        digest = weights_sha256(output_dir)
        # the whole model (tokenizer, pooling, configs, prompts), as folder_identity names it, not its weights alone
        revision = model_sha256(output_dir, language_prefix("{lang}") if run.language_tokens else None)[:12]
        write_training_record(
            output_dir,
            TrainingRecord(
                schema_version=SCHEMA_VERSION,
                name=run.model_name,
                revision=revision,
                weights_sha256=digest,
                base=config.base,
                base_model=run.preset.model,
                base_kind=run.preset.kind,
                prompts=dict(run.model.prompts),
                language_prefix=language_prefix("{lang}") if run.language_tokens else None,
                languages=run.languages,
                config=config.to_dict(),
                sources=run.sources.sizes(),
                training=TrainingStats(
                    global_step=step,
                    epoch=trainer.state.epoch,
                    **stopping,
                    train_loss=last_loss,
                    mean_train_loss_session=output.training_loss,
                    final_eval=final_eval,
                    wall_time_s=round(run.log_callback.elapsed(), 3),
                    world_size=world_size(),
                    train_rows=len(run.train_rows),
                    validation_rows=len(run.val_rows),
                ),
                versions={
                    "mteb_hybrid": __version__,
                    **{m.__name__: m.__version__ for m in (sentence_transformers, transformers, torch)},
                },
                finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            ),
        )
        if not config.keep_checkpoints and (output_dir / CHECKPOINTS).is_dir():
            shutil.rmtree(output_dir / CHECKPOINTS)
    eval_loss = final_eval.get("eval_loss")
    return TrainResult(
        model_name=run.model_name,
        output_dir=output_dir,
        global_step=step,
        train_loss=last_loss,
        eval_loss=None if eval_loss is None or math.isnan(eval_loss) else eval_loss,
        wall_time=run.log_callback.elapsed(),
        revision=revision,
        info_path=output_dir / TRAINING_RECORD_FILE,
        log_path=output_dir / LOG_JSONL,
        best_step=best,
        stopped_early=stopped_early,
        resumed_step=run.log_callback.resumed_step,
        session_wall_time=run.log_callback.session_seconds(),
    )


def read_training_info(folder: str | Path) -> dict[str, Any]:
    """The training record of a trained model folder as a dict (checked against `TrainingRecord`)."""
    return read_training_record(folder).model_dump(mode="json")
