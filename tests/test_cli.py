"""The first hour: fast --help, hints and names that agree with the code, `models`, hub errors, progress."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mteb_hybrid.cli import build_parser, main
from mteb_hybrid.models.hub import (
    OFFLINE_TASKS,
    did_you_mean,
    hub_task_message,
    is_hub_error,
    one_edit_apart,
)
from mteb_hybrid.mteb_cli import argv_values, explain, running_under_mteb_cli, verbosity

REPO = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "mteb", "sentence_transformers", "transformers", "datasets"]
# every subcommand whose options come from modules of this package that do not import the heavy libraries
# (train is missing: mteb_hybrid/training/__init__.py and config.py import torch and datasets at module level)
LIGHT_COMMANDS = ["evaluate", "summarize", "train", "experiment", "quickstart", "models", "report", "submit", "config"]


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)


def test_help_of_every_light_command_imports_no_heavy_library() -> None:
    code = f"""
import contextlib, io, sys
from mteb_hybrid.cli import build_parser
build_parser()
assert 'mteb_hybrid.training.cli' not in sys.modules, 'building the parser imported the train options'
for argv in [['--help']] + [[c, '--help'] for c in {LIGHT_COMMANDS!r}]:
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
        build_parser().parse_args(argv)
    assert 'usage: mteb-hybrid' in out.getvalue(), argv
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    out = _python(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "[]"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_of_every_command_says_what_it_does() -> None:
    missing = []
    for name, sub in _subparsers(build_parser()).items():
        sub.format_help()  # adds the options of lazily built subcommands
        for action in sub._actions:
            if action.option_strings and action.help in (None, "") and action.dest != "help":
                missing.append(f"{name} {action.option_strings[0]}")
    assert missing == []


def test_copied_names_and_help_lines_agree_with_their_sources() -> None:
    import importlib

    from mteb_hybrid import cli, quickstart
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES
    from mteb_hybrid.models.metas import OFFLINE_ALIAS

    # one convention for every subcommand: its module defines <COMMAND>_HELP (copied into cli.py, so that the
    # top-level --help imports nothing), add_<command>_arguments and run_<command>
    for command, help_line, source in cli.COMMANDS:
        module = importlib.import_module(source)
        assert getattr(module, f"{command.upper()}_HELP") == help_line, command
        assert callable(getattr(module, f"add_{command}_arguments")) and callable(getattr(module, f"run_{command}"))
    assert {c for c, _, _ in cli.COMMANDS} == set(_subparsers(cli.build_parser()))
    assert quickstart.OFFLINE_ALIAS == OFFLINE_ALIAS
    assert set(OFFLINE_TASKS) == set(TASK_CLASSES)


def test_registration_waits_for_our_module_that_imported_mteb_first() -> None:
    """`import mteb_hybrid` no longer imports mteb; the first importer may be one of our half-run modules."""
    out = _python(
        "import mteb_hybrid.benchmark.tasks, mteb; "
        "print(mteb.get_task('MLQARRetrieval').metadata.name, mteb.get_model_meta('hybrid-labse').name)",
        {"HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["MLQARRetrieval", "mteb-hybrid/hybrid-labse"]
    assert "could not register" not in out.stderr


# ---------------------------------------------------------------------------------------------- hub names


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("XQuADRetrieval", "XQuADRRetrieval", True),  # one letter missing
        ("MLQARRetrieval", "MLQARetrieval", True),  # one letter extra
        ("xquadrretrieval", "XQuADRRetrieval", False),  # the same name, other case: not a near miss
        ("XQuADSRetrieval", "XQuADRRetrieval", True),  # one letter replaced
        ("XQuADRetrieval", "XQuADRRetrievalX", False),  # two edits
        ("MLQARetrieval", "XQuADRRetrieval", False),
        ("ab", "ba", False),  # a swap is two edits
    ],
)
def test_one_edit_apart(a: str, b: str, near: bool) -> None:
    assert one_edit_apart(a, b) is near
    assert one_edit_apart(b, a) is near


def test_did_you_mean_names_our_task_for_mteb_hub_tasks() -> None:
    assert did_you_mean("XQuADRetrieval", OFFLINE_TASKS) == "XQuADRRetrieval"
    assert did_you_mean("MLQARetrieval", OFFLINE_TASKS) == "MLQARRetrieval"
    assert did_you_mean("BelebeleRetrieval", OFFLINE_TASKS) is None
    message = hub_task_message(["XQuADRetrieval"])
    assert "Did you mean XQuADRRetrieval" in message and "MLQARRetrieval" in message


def _raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        try:
            if cause is not None:
                raise cause
        finally:
            raise exc
    except BaseException as e:  # noqa: BLE001 - returns what was raised, with its context chain
        return e


def test_hub_errors_are_told_apart_from_other_errors() -> None:
    offline_cls = type("OfflineModeIsEnabled", (ConnectionError,), {})
    assert is_hub_error(OSError("We couldn't connect to 'https://huggingface.co' to load the files"))
    assert is_hub_error(_raised(RuntimeError("loading failed"), cause=offline_cls("offline")))
    assert not is_hub_error(ValueError("alpha must be in [0, 1]"))
    assert not is_hub_error(_raised(RuntimeError("nan loss"), cause=KeyError("x")))


# ---------------------------------------------------------------------------------------------- under mteb run


def test_mteb_cli_argv_reading() -> None:
    argv = ["/venv/bin/mteb", "run", "-m", "hybrid-labse", "-t", "XQuADRetrieval", "MLQARetrieval", "--verbosity", "3"]
    assert running_under_mteb_cli(argv)
    assert not running_under_mteb_cli(["/venv/bin/pytest", "run"])
    assert argv_values(("-t", "--tasks"), argv) == ["XQuADRetrieval", "MLQARetrieval"]
    assert argv_values(("-m",), ["mteb", "run", "--model=x", "-m", "y"]) == ["y"]
    assert argv_values(("-m", "--model"), ["mteb", "run", "--model=x"]) == ["x"]
    assert verbosity(argv) == 3 and verbosity(argv[:-2]) is None


def test_explain_turns_our_errors_into_a_paragraph_and_leaves_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mteb_hybrid.models.metas import load_hybrid

    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path))
    argv = ["mteb", "run", "-m", "hybrid-labse", "-t", "XQuADRetrieval"]
    with pytest.raises(FileNotFoundError) as info:
        load_hybrid("mteb-hybrid/hybrid-labse")
    paragraph = explain(info.value, info.tb, argv)
    assert paragraph is not None and "hybrid-labse has not been trained" in paragraph
    assert "did you mean XQuADRRetrieval" in paragraph

    def load_data() -> None:  # the name mteb's tasks load their data under
        raise OSError("We couldn't connect to 'https://huggingface.co' to load this dataset")

    with pytest.raises(OSError) as info:
        load_data()
    paragraph = explain(info.value, info.tb, ["mteb", "run", "-m", "offline-me5-small", "-t", "MLQARetrieval"])
    assert paragraph is not None and paragraph.startswith("task MLQARetrieval is mteb's own")
    assert "Did you mean MLQARRetrieval" in paragraph

    with pytest.raises(ValueError) as info:  # raised outside this package: mteb's traceback stays
        int("x")
    assert explain(info.value, info.tb, argv) is None


def test_mteb_run_with_an_untrained_model_and_a_near_task_prints_one_paragraph(tmp_path: Path) -> None:
    code = (
        "import sys; sys.argv = ['mteb', 'run', '-m', 'hybrid-labse', '-t', 'XQuADRetrieval', "
        f"'--output-folder', {str(tmp_path / 'out')!r}]; from mteb.cli import main; main()"
    )
    out = _python(code, {"HF_HUB_OFFLINE": "1", "MTEB_HYBRID_CACHE": str(tmp_path / "cache")})
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    assert len(errors) == 1, out.stderr[-3000:]
    assert "hybrid-labse has not been trained" in errors[0] and "did you mean XQuADRRetrieval" in errors[0]


# ---------------------------------------------------------------------------------------------- models


def _fake_trained(cache: Path, alias: str, revision: str) -> None:
    folder = cache / "models" / alias
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"revision": revision}), encoding="utf-8")


def test_models_lists_each_registered_model_once_with_its_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    from mteb_hybrid.models.listing import list_models
    from mteb_hybrid.models.metas import all_model_metas

    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MTEB_HYBRID_DATA_DIR", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    rows = {r.alias: r for r in list_models()}
    assert sorted(rows) == sorted(all_model_metas())  # every model, once (no alias + full name twice)
    assert rows["hybrid-me5-small"].status == "needs training"
    assert rows["hybrid-me5-small"].make_ready.startswith(
        "mteb-hybrid train --base me5-small --data mlqa-r --data-dir DIR"
    )
    assert rows["hybrid-labse"].status == "needs the hub"
    assert "sentence-transformers/LaBSE" in rows["hybrid-labse"].make_ready

    _fake_trained(tmp_path / "cache", "hybrid-me5-small", "0123abcd")
    (tmp_path / "hf" / "models--sentence-transformers--LaBSE" / "snapshots").mkdir(parents=True)
    rows = {r.alias: r for r in list_models(data_dir="data")}
    assert rows["hybrid-me5-small"].status == "trained at revision 0123abcd"
    assert rows["hybrid-me5-small"].make_ready == ""
    assert rows["hybrid-labse"].status == "needs training"  # the base is in the local hub cache
    assert rows["hybrid-labse"].make_ready == "mteb-hybrid train --base labse --data mlqa-r --data-dir data"


def test_models_command_prints_one_line_per_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mteb_hybrid.models.metas import all_model_metas

    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    _fake_trained(tmp_path / "cache", "hybrid-xlmr", "feedbeef")
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for alias in all_model_metas():
        assert sum(line.split(" ", 1)[0] == alias for line in lines) == 1, alias
    assert any(line.startswith("hybrid-xlmr") and "trained at revision feedbeef" in line for line in lines)


# ---------------------------------------------------------------------------------------------- progress


def test_scoring_draws_one_bar_of_texts_and_no_encoder_bars(tiny_bert: Path) -> None:
    """Chunked encoding for the bar gives the same vectors as one call; the encoder's own bars stay off."""
    import math

    import numpy as np
    from datasets import Dataset
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.benchmark import search as search_module
    from mteb_hybrid.benchmark.embedding_store import EmbeddingStore

    class Recording(SentenceTransformerEncoderWrapper):
        def __init__(self) -> None:
            super().__init__(SentenceTransformer(str(tiny_bert)))
            self.calls: list[tuple[int, object]] = []

        def encode(self, inputs, **kwargs):  # noqa: ANN001, ANN201
            self.calls.append((sum(len(b["text"]) for b in inputs), kwargs.get("show_progress_bar")))
            return super().encode(inputs, **kwargs)

    meta = TASK_CLASSES["XQuADRSentenceRetrieval"]().metadata
    texts = [f"sentence number {i} about cats" for i in range(11)] + [f"Satz Nummer {i}" for i in range(6)]
    ids = [f"en:{i}" for i in range(11)] + [f"de:{i}" for i in range(6)]
    corpus = Dataset.from_dict({"id": ids, "text": texts})
    model = Recording()
    search = search_module.CachedSearch(model, EmbeddingStore())
    encode_kwargs = {"batch_size": 2, "show_progress_bar": True}
    search.index(corpus, task_metadata=meta, hf_split="test", hf_subset="en-pool", encode_kwargs=encode_kwargs)

    # de first, then en; length-sorted, so one call per batch (a call would re-sort its texts by characters)
    assert [n for n, _ in model.calls] == [2] * 3 + [2] * 5 + [1]
    assert {shown for _, shown in model.calls} == {False}
    bar = search._bar
    assert (bar.n, bar.total) == (17, 17)
    assert bar.desc.startswith("XQuADRSentenceRetrieval en-pool: en candidates")
    assert len(model.calls) == math.ceil(6 / 2) + math.ceil(11 / 2)

    whole = search_module.CachedSearch(
        SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert))), EmbeddingStore()
    )
    original = search_module.PROGRESS_CHUNK_BATCHES
    search_module.PROGRESS_CHUNK_BATCHES = 10_000  # one encode call per language, as before the bar
    try:
        whole.index(
            corpus,
            task_metadata=meta,
            hf_split="test",
            hf_subset="en-pool",
            encode_kwargs={"batch_size": 2, "show_progress_bar": False},
        )
    finally:
        search_module.PROGRESS_CHUNK_BATCHES = original
    assert whole._bar is None  # progress off: no bar at all
    assert np.allclose(search._corpus[1], whole._corpus[1], atol=1e-6)

    # a second corpus with texts already embedded adds nothing to the bar
    search.index(
        corpus.select(range(3)), task_metadata=meta, hf_split="test", hf_subset="en-en", encode_kwargs=encode_kwargs
    )
    assert (bar.n, bar.total) == (17, 17)


# ---------------------------------------------------------------------------------------------- quickstart


def _summary_frame(models: list[str]):  # noqa: ANN202
    import pandas as pd

    return pd.DataFrame(
        {"model": models, "revision": ["r"] * len(models), "ndcg_at_10_mono": [0.5, 0.4][: len(models)]}
    )


def test_quickstart_table_puts_before_first_with_labels() -> None:
    from mteb_hybrid.quickstart import before_first, labelled
    from mteb_hybrid.reporting.summary import Summary

    frame = _summary_frame(["mteb-hybrid/hybrid-me5-small", "mteb-hybrid/offline-me5-small"])  # alphabetical
    summary = before_first(Summary(frame, frame.copy()), "offline-me5-small", "hybrid-me5-small")
    assert list(summary.table["model"]) == ["mteb-hybrid/offline-me5-small", "mteb-hybrid/hybrid-me5-small"]
    assert list(summary.table["ndcg_at_10_mono"]) == [0.4, 0.5]  # rows moved whole
    shown = labelled(summary, {"offline-me5-small": "before: ", "hybrid-me5-small": "after: "})
    assert list(shown.per_language["model"]) == ["before: offline-me5-small", "after: hybrid-me5-small"]


def _commands(text: str) -> list[list[str]]:
    import shlex

    return [
        shlex.split(line.strip().split("  (")[0].split("  #")[0])[1:]
        for line in text.splitlines()
        if line.strip().startswith("mteb-hybrid ")
    ]


def test_the_commands_in_help_parse() -> None:
    from mteb_hybrid.cli import EPILOG

    commands = _commands(EPILOG)
    assert [c[0] for c in commands] == ["quickstart", "models", "evaluate", "summarize", "train"]
    for argv in commands:
        build_parser().parse_args(argv)  # exits on an option that does not exist
    evaluate = build_parser().parse_args(commands[2])
    assert evaluate.tasks == ["XQuADRSentenceRetrieval"] and evaluate.embedding_cache  # the cheap path


@pytest.mark.parametrize("in_project", [True, False])
def test_quickstart_next_steps_are_commands_that_parse(
    in_project: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mteb_hybrid.quickstart import TASK, next_steps

    monkeypatch.chdir(REPO if in_project else tmp_path)
    text = next_steps(Path("qs-out"), "../shared/data", ("en", "de", "th"), "hybrid-me5-small", 300.0, 130.0, 100, 32)
    commands = _commands(text)
    assert len(commands) >= 3
    for argv in commands:
        args = build_parser().parse_args(argv)  # exits on any option that does not exist
        if hasattr(args, "data_dir"):
            assert args.data_dir == "../shared/data"
    evaluations = [build_parser().parse_args(a) for a in commands if a[0] == "evaluate"]
    assert {e.model for e in evaluations} == {"offline-me5-small", "hybrid-me5-small"}
    for e in evaluations:  # the cheap path: the sentence task, the cache reused, quickstart's output folder
        assert e.tasks == [TASK] and e.embedding_cache and e.output_folder == "qs-out"
        assert {"en", "de", "th"} < set(e.languages)
    # 130 s for 3 languages: each new language costs its share of the texts, 1190 of 12980 + 3 * 1190
    assert "about 9s per added language" in text
    assert any(a[0] == ("experiment" if in_project else "train") for a in commands)


def test_evaluate_options_are_the_fields_of_the_evaluation_request() -> None:
    import dataclasses

    from mteb_hybrid.evaluation import request_from_args
    from mteb_hybrid.evaluation_request import EvaluationRequest, evaluation_request

    argv = ["evaluate", "-m", "some/model", "-t", "A", "B", "--batch-size", "8", "--embedding-cache"]
    args = build_parser().parse_args([*argv, "--devices", "cpu", "cpu", "--precision", "bf16", "--output-folder", "o"])
    request = request_from_args(args)
    assert request == evaluation_request(
        model="some/model",
        tasks=["A", "B"],
        batch_size=8,
        embedding_cache=True,
        devices=["cpu", "cpu"],
        precision="bf16",
        output_folder="o",
    )
    defaults = request_from_args(build_parser().parse_args(["evaluate", "-m", "x"]))
    assert defaults == EvaluationRequest(model="x")  # the options' defaults are the fields' defaults
    assert defaults.embedding_cache is None  # no flag: the user's default decides, not the CLI
    # every field is an option, except the API-only ones
    evaluate = _subparsers(build_parser())["evaluate"]
    evaluate.format_help()  # adds the lazily built options
    options = {a.dest for a in evaluate._actions}
    fields = {f.name for f in dataclasses.fields(EvaluationRequest) if f.metadata.get("cli", True)}
    assert fields <= options and "show_progress_bar" not in options
    with pytest.raises(ValueError, match=r"^--batch-size: Input should be greater than 0 \(got 0\); give a whole"):
        evaluation_request(model="x", batch_size=0)
    with pytest.raises(ValueError, match="^--tasks: .*at least one task"):
        evaluation_request(model="x", tasks=[])
