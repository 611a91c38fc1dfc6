"""`mteb-hybrid train`: one option per `TrainConfig` field (generated from the fields), then `train()`.

Only the standard library and the config module are imported here, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys

from mteb_hybrid.options import add_arguments, flag

from .config import TrainConfig, build_config

TRAIN_HELP = "fine-tune a multilingual encoder with X-X / X-Y / hybrid batches"
TRAIN_DESCRIPTION = (
    "Fine-tune a multilingual retriever with hybrid batching (Elmahdy et al. 2024): every batch is X-X "
    "(query and passage in one language) with probability alpha, else X-Y (query and passage in two "
    "languages), and never holds two translations of one question. Writes a sentence-transformers model "
    "folder with a model card, train_log.jsonl/.csv (loss and validation loss against step and wall time) "
    "and mteb_hybrid_training.json, which registers the model with mteb under its name."
)


def add_train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add one option per `TrainConfig` field to `parser`: name, type, default and help come from the field."""
    return add_arguments(parser, TrainConfig)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The `TrainConfig` an argparse namespace of `add_train_arguments` describes (errors name the option)."""
    return build_config(flag, **{f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)})


def run_train(args: argparse.Namespace) -> int:
    """Run `mteb-hybrid train`; returns the exit status (0 ok, 2 bad input or refused by the guard, 3 NaN loss)."""
    try:
        config = config_from_args(args)  # bad options fail before torch is imported
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from .guard import ZeroShotViolation
    from .rows import TrainingDataError
    from .trainer import NonFiniteLossError, train
    from .trainlog import interrupted_message

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = train(config)
    except (
        ValueError,
        FileExistsError,
        FileNotFoundError,
        ZeroShotViolation,
        TrainingDataError,
        NonFiniteLossError,
    ) as e:
        print(f"error: {e}", file=sys.stderr)
        return 3 if isinstance(e, NonFiniteLossError) else 2
    except KeyboardInterrupt:  # one line and the checkpoint to resume from, not the trainer's traceback
        from mteb_hybrid.userconfig import user_command

        command = user_command("--resume")
        again = (
            f"run `{command}`"
            if command
            else ("run the same command again" if config.resume else "add --resume to the same command")
        )
        print(f"\n{interrupted_message(again)}", file=sys.stderr)
        return 130
    session = (
        {}
        if result.resumed_step is None
        else {
            "resumed_from_step": result.resumed_step,
            "session_wall_time_s": round(result.session_wall_time or 0.0, 1),
        }
    )
    print(
        json.dumps(
            {
                "model": result.model_name,
                "output": str(result.output_dir),
                "steps": result.global_step,
                "train_loss": result.train_loss,
                "eval_loss": result.eval_loss,
                "wall_time_s": round(result.wall_time, 1),
                **session,
                "revision": result.revision,
            },
            indent=2,
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m mteb_hybrid.training.cli ...), same options as `mteb-hybrid train`."""
    parser = argparse.ArgumentParser(prog="mteb-hybrid train", description=TRAIN_DESCRIPTION)
    add_train_arguments(parser)
    return run_train(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
