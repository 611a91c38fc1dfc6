"""`mteb-hybrid train` options are generated from `TrainConfig`'s fields: every field goes through the CLI and back."""

from __future__ import annotations

import argparse
import ast
import dataclasses
from pathlib import Path

import pytest

from mteb_hybrid.training import cli
from mteb_hybrid.training.config import TrainConfig, build_config

# A value other than the default for EVERY field, and the command-line words that give it.
NON_DEFAULT: dict[str, tuple[object, list[str]]] = {
    "base": ("labse", ["labse"]),
    "max_seq_length": (96, ["96"]),
    "model_name": ("my-model", ["my-model"]),
    "output_dir": ("/o", ["/o"]),
    "data": (["mlqa-r:en,de", "rows.jsonl"], ["mlqa-r:en,de", "rows.jsonl"]),
    "data_dir": ("/d", ["/d"]),
    "languages": (["en", "de"], ["en", "de"]),
    "candidate_form": ("sentence+context", ["sentence+context"]),
    "validation_fraction": (0.2, ["0.2"]),
    "validation_seed": (3, ["3"]),
    "max_train_rows": (1500, ["1500"]),
    "max_train_questions": (480, ["480"]),
    "translations_per_question": (2, ["2"]),
    "use_negatives": (True, []),
    "batching": ("x-y", ["x-y"]),
    "alpha": (0.3, ["0.3"]),
    "loss": ("cached-mnrl", ["cached-mnrl"]),
    "mini_batch_size": (8, ["8"]),
    "scale": (30.0, ["30"]),
    "batch_size": (64, ["64"]),
    "grad_accum": (2, ["2"]),
    "learning_rate": (1e-5, ["1e-5"]),
    "weight_decay": (0.1, ["0.1"]),
    "warmup": (5.0, ["5"]),
    "max_steps": (100, ["100"]),
    "epochs": (2.0, None),  # exclusive with max_steps: given in a second command line
    "seed": (7, ["7"]),
    "device": ("cpu", ["cpu"]),
    "precision": ("bf16", ["bf16"]),
    "num_threads": (1, ["1"]),
    "eval_steps": (10, ["10"]),
    "validation_batch_size": (64, ["64"]),
    "early_stopping_patience": (3, ["3"]),
    "save_steps": (20, ["20"]),
    "save_total_limit": (1, ["1"]),
    "keep_checkpoints": (True, []),
    "logging_steps": (5, ["5"]),
    "resume": (True, []),
    "eval_tasks": (["xquad-r", "MIRACLRetrieval"], ["xquad-r", "MIRACLRetrieval"]),
    "allow_overlap": (True, []),
}


def _parser() -> argparse.ArgumentParser:
    return cli.add_train_arguments(argparse.ArgumentParser(prog="mteb-hybrid train", exit_on_error=False))


def test_the_table_covers_every_field_with_a_non_default_value():
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    assert sorted(NON_DEFAULT) == sorted(fields)  # a new field must be added here, with a value
    defaults = TrainConfig()
    for name, (value, _) in NON_DEFAULT.items():
        assert getattr(defaults, name) != value, name


def test_every_field_goes_through_the_cli_and_back():
    argv = []
    for name, (_, words) in NON_DEFAULT.items():
        if words is not None:
            argv += [cli.flag(name), *words]
    config = cli.config_from_args(_parser().parse_args(argv))
    for name, (value, words) in NON_DEFAULT.items():
        if words is not None:
            assert getattr(config, name) == value, name
    other = cli.config_from_args(_parser().parse_args(["--epochs", "2"]))
    assert other.epochs == 2.0 and other.max_steps is None
    # and back: the record of a config rebuilds it
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_no_options_give_the_config_defaults():
    assert cli.config_from_args(_parser().parse_args([])) == TrainConfig()


@pytest.mark.parametrize(
    ("argv", "name", "value"),
    [
        (["--lr", "1e-4"], "learning_rate", 1e-4),
        (["--output", "/x"], "output_dir", "/x"),
        (["--threads", "2"], "num_threads", 2),
        (["--eval-task", "xquad-r"], "eval_tasks", ["xquad-r"]),
        (["--no-negatives"], "use_negatives", False),
        (["--no-use-negatives"], "use_negatives", False),
    ],
)
def test_older_flag_names_still_work(argv, name, value):
    assert getattr(cli.config_from_args(_parser().parse_args(argv)), name) == value


def test_steps_and_epochs_exclude_each_other(capsys):
    parser = cli.add_train_arguments(argparse.ArgumentParser(prog="mteb-hybrid train"))
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-steps", "5", "--epochs", "2"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model-name", "../../x"], "--model-name '../../x' cannot be used as a folder name"),
        (["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
        (["--alpha", "1.5"], "--alpha must be in [0, 1], got 1.5"),
        (
            ["--early-stopping-patience", "2", "--validation-fraction", "0"],
            "--early-stopping-patience needs a held-out split. Fix: set validation_fraction > 0",
        ),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_option(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_config_errors_outside_the_cli_name_the_field():
    with pytest.raises(ValueError, match=r"^batch_size: Input should be a valid integer.*\(got 'x'\)$"):
        build_config(batch_size="x")
    with pytest.raises(ValueError, match=r"^batchsize: Unexpected keyword argument"):
        build_config(batchsize=3)
    with pytest.raises(ValueError, match="model_name '../x' cannot be used as a folder name"):
        TrainConfig.from_dict({"model_name": "../x"})
    # YAML reads 3e-5 as a string; the config reads it as the number it means
    assert build_config(learning_rate="3e-5", data="mlqa-r").learning_rate == 3e-5


def test_help_lists_every_field_with_its_default(capsys):
    parser = cli.add_train_arguments(argparse.ArgumentParser(prog="mteb-hybrid train"))
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(TrainConfig):
        assert cli.flag(f.name) in text, f.name
    assert "(default: 3e-05)" in text and "(default: hybrid)" in text and "GradCache" in text


def test_cli_and_config_modules_import_nothing_heavy_at_module_level():
    """`mteb-hybrid train --help` builds its parser from these two modules: no torch/transformers/mteb at import."""
    heavy = {"torch", "transformers", "sentence_transformers", "mteb", "datasets", "numpy"}
    folder = Path(cli.__file__).parent
    for module in ("cli.py", "config.py", "rows.py"):
        tree = ast.parse((folder / module).read_text(encoding="utf-8"))
        for node in tree.body:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            assert not {n.split(".")[0] for n in names} & heavy, (module, names)
        relative = {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert relative <= {"config", "rows"}, (module, relative)


def test_choices_are_the_ones_the_training_code_accepts():
    from mteb_hybrid.training import config, losses, sources

    assert losses.LOSS_NAMES is config.LOSS_NAMES
    assert tuple(sources.BATCHING_MODES) == config.BATCHING_MODES  # sources.py still spells its own copy
