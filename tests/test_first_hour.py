"""A new user's first hour: one data folder for every entry point, errors that show the exact fix for the entry
point in use, the embedding cache on by default, progress that says when it resumes, quiet plugin calls."""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import sys
import textwrap
import time
import urllib.error
import warnings
from pathlib import Path

import pytest

from mteb_hybrid import userconfig
from mteb_hybrid.data.definitions import get_definition
from mteb_hybrid.data.errors import DataFormatError, MissingDataError
from mteb_hybrid.data.sources import language_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty config file path, no $MTEB_HYBRID_DATA_DIR, an empty download cache, no network."""
    monkeypatch.setenv("MTEB_HYBRID_CONFIG", str(tmp_path / "cfg" / "config.json"))
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MTEB_HYBRID_DATA_DIR", raising=False)
    monkeypatch.delenv("MTEB_HYBRID_EMBEDDING_CACHE", raising=False)
    monkeypatch.setattr(userconfig, "_entry", None)

    def offline(url: str, timeout: float = 0.0):  # noqa: ANN202
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    return tmp_path


# ---- one data folder, read by every entry point --------------------------------------------------------------


def test_config_data_dir_is_stored_absolute_and_found_before_any_download(
    fresh_user: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    stored = userconfig.set_data_dir(os.path.relpath(data_dir))
    assert stored == data_dir.resolve()
    assert json.loads(Path(os.environ["MTEB_HYBRID_CONFIG"]).read_text()) == {"data_dir": str(data_dir.resolve())}
    monkeypatch.chdir(fresh_user)  # a relative path would now point elsewhere: the stored one is absolute
    monkeypatch.setattr("mteb_hybrid.data.sources._download", lambda *a, **k: pytest.fail("download tried"))
    assert language_file(get_definition("xquad-r"), "de") == data_dir.resolve() / "xquad-r" / "de.json"


def test_explicit_folder_beats_environment_beats_config(
    fresh_user: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = fresh_user / "copy"
    (elsewhere / "xquad-r").mkdir(parents=True)
    (elsewhere / "xquad-r" / "de.json").write_bytes((data_dir / "xquad-r" / "de.json").read_bytes())
    other = fresh_user / "other"
    (other / "xquad-r").mkdir(parents=True)
    (other / "xquad-r" / "de.json").write_text("{}")
    userconfig.set_data_dir(data_dir)
    d = get_definition("xquad-r")
    assert language_file(d, "de").parent.parent == data_dir.resolve()  # the config
    monkeypatch.setenv("MTEB_HYBRID_DATA_DIR", str(elsewhere))
    assert language_file(d, "de").parent.parent == elsewhere  # the environment over the config
    assert language_file(d, "de", other).parent.parent == other  # the argument over both


def test_a_folder_without_lareqa_files_is_refused_and_nothing_written(fresh_user: Path) -> None:
    (fresh_user / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no LAReQA files there"):
        userconfig.set_data_dir(fresh_user / "empty")
    assert not Path(os.environ["MTEB_HYBRID_CONFIG"]).exists()


def test_a_broken_config_file_is_one_line_naming_it(fresh_user: Path) -> None:
    path = Path(os.environ["MTEB_HYBRID_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text('{"data_dri": "/x"}')
    with pytest.raises(DataFormatError) as e:
        userconfig.read_config()
    assert str(path) in str(e.value) and "did you mean data_dir" in str(e.value) and "\n" not in str(e.value)


def test_config_command_sets_shows_and_unsets(
    fresh_user: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mteb_hybrid.cli import main

    assert main(["config", "data-dir", str(data_dir)]) == 0
    assert main(["config"]) == 0
    shown = capsys.readouterr().out
    assert f"data-dir = {data_dir.resolve()}" in shown and "embedding cache = on" in shown
    assert main(["config", "data-dir", "--unset"]) == 0
    assert userconfig.configured_data_dir() is None


# ---- a missing data folder: one line with the exact fix for the entry point in use -------------------------


def _missing(fresh_user: Path) -> str:
    with pytest.raises(MissingDataError) as e:
        language_file(get_definition("xquad-r"), "de")
    assert e.value.__cause__ is None and e.value.__suppress_context__  # a single exception, no chain
    return str(e.value)


def test_mteb_hybrid_cli_error_shows_its_own_command_with_data_dir(
    fresh_user: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mteb_hybrid.cli import build_parser, main

    monkeypatch.chdir(REPO)
    argv = [
        "evaluate",
        "-m",
        "offline-me5-small",
        "-t",
        "XQuADRSentenceRetrieval",
        "-l",
        "en",
        "de",
        "--output-folder",
        str(fresh_user / "o"),
    ]
    monkeypatch.setattr(
        "mteb_hybrid.evaluation.evaluate", lambda *a, **k: language_file(get_definition("xquad-r"), "de")
    )
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    fix = err.split("Fix: ", 1)[1].split("; or once", 1)[0]
    expected = shlex.join(["mteb-hybrid", *argv, "--data-dir", userconfig.suggested_data_dir("xquad-r")])
    assert fix.split(" (PATH:")[0] == expected
    build_parser().parse_args(shlex.split(fix.split(" (PATH:")[0])[1:])  # the suggested line parses


def test_mteb_run_error_shows_the_mteb_run_line_with_the_variable(
    fresh_user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mteb.cli.build_cli import build_cli

    argv = [
        "run",
        "-m",
        "offline-me5-small",
        "-t",
        "XQuADRSentenceRetrieval",
        "-l",
        "eng",
        "deu",
        "--output-folder",
        "out",
    ]
    monkeypatch.setattr(sys, "argv", ["/venv/bin/mteb", *argv])
    message = _missing(fresh_user)
    line = message.split("Fix: ", 1)[1].split("; or once", 1)[0].split(" (PATH:")[0]
    words = shlex.split(line)
    assert words[0].startswith("MTEB_HYBRID_DATA_DIR=") and words[1:] == ["mteb", *argv]
    build_cli().parse_args(words[2:])
    assert "mteb-hybrid config data-dir" in message and "data_dir=" not in message


def test_python_error_shows_the_environment_line_and_the_config_command(
    fresh_user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["script.py"])
    message = _missing(fresh_user)
    assert "os.environ['MTEB_HYBRID_DATA_DIR'] = " in message and "mteb-hybrid config data-dir" in message
    assert "--data-dir" not in message and "data_dir=" not in message  # neither mteb.get_tasks nor mteb run has them


def test_a_script_missing_its_data_ends_with_one_line_not_a_traceback(fresh_user: Path) -> None:
    """mteb.get_tasks + evaluate through the plugin, no data and no network: one line on stderr."""
    script = textwrap.dedent("""
        import urllib.error, urllib.request
        def offline(*a, **k):
            raise urllib.error.URLError("no network")
        urllib.request.urlopen = offline
        import mteb
        task = mteb.get_tasks(tasks=["XQuADRSentenceRetrieval"], languages=["eng", "deu"])[0]
        task.load_data()
        """)
    env = {k: v for k, v in os.environ.items() if k != "MTEB_HYBRID_DATA_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=fresh_user, timeout=600
    )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("MissingDataError: no data folder is set"), proc.stderr
    assert "Traceback" not in proc.stderr


# ---- the embedding cache: on unless switched off -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "on"), [(None, True), ("1", True), ("true", True), ("0", False), ("off", False), ("false", False)]
)
def test_embedding_cache_is_on_unless_switched_off(
    value: str | None, on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    if value is None:
        monkeypatch.delenv("MTEB_HYBRID_EMBEDDING_CACHE", raising=False)
    else:
        monkeypatch.setenv("MTEB_HYBRID_EMBEDDING_CACHE", value)
    assert TASK_CLASSES["XQuADRSentenceRetrieval"]().embedding_cache is on  # as mteb.get_tasks builds it
    assert TASK_CLASSES["XQuADRSentenceRetrieval"](embedding_cache=not on).embedding_cache is (not on)


# ---- progress you can trust --------------------------------------------------------------------------------


def test_progress_line_keeps_this_run_apart() -> None:
    from mteb_hybrid.training.trainlog import progress_line

    assert progress_line(100, 812.4, None, 812.4) == "100 steps in 812s"
    assert progress_line(100, 2456.0, 75, 301.0) == (
        "resumed at step 75: 25 steps in 301s this run (100 steps, 2456s of training in all)"
    )


def test_a_resumed_run_says_so_and_counts_its_own_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from transformers import TrainerState

    from mteb_hybrid.training import trainlog

    checkpoint = tmp_path / "checkpoints" / "checkpoint-75"
    checkpoint.mkdir(parents=True)
    (checkpoint / trainlog.WALL_TIME_FILE).write_text(json.dumps({"wall_time": 2155.0}))
    callback = trainlog.TrainLogCallback(tmp_path, str(checkpoint))
    state = TrainerState(global_step=75, max_steps=100)
    callback.on_train_begin(None, state, None)
    assert (
        f"resuming from {checkpoint}: step 75 of 100 done in 2155s before; this run trains steps 76-100"
        in capsys.readouterr().out
    )
    state.global_step = 80
    callback.on_step_end(None, state, None)
    assert callback.resumed_step == 75 and callback.session_steps() == 5
    assert callback.elapsed() - callback.session_seconds() == pytest.approx(2155.0)
    assert (
        trainlog.interrupted_message("run X") == f"interrupted at step 80 of 100; run X to continue from {checkpoint}"
    )


def test_ctrl_c_ends_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from mteb_hybrid import cli
    from mteb_hybrid.models import listing

    def interrupted(args):  # noqa: ANN001, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr(listing, "run_models", interrupted)
    monkeypatch.delitem(sys.modules, "mteb_hybrid.training.trainlog", raising=False)
    assert cli.main(["models"]) == 130
    err = capsys.readouterr().err.strip()
    assert err == "interrupted; finished work is kept: run the same command again to continue"


def test_ctrl_c_during_training_names_the_resume_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from transformers import TrainerState

    from mteb_hybrid import cli
    from mteb_hybrid.training import trainlog

    callback = trainlog.TrainLogCallback(tmp_path, None)
    callback.on_train_begin(None, TrainerState(global_step=0, max_steps=100), None)
    callback.step, callback.last_checkpoint = 42, str(tmp_path / "checkpoint-40")

    def train(config):  # noqa: ANN001, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr("mteb_hybrid.training.trainer.train", train)
    argv = ["train", "--base", "me5-small", "--data", "mlqa-r", "--max-steps", "100"]
    assert cli.main(argv) == 130
    err = capsys.readouterr().err.strip()
    command = shlex.join(["mteb-hybrid", *argv, "--resume"])
    assert err == f"interrupted at step 42 of 100; run `{command}` to continue from {tmp_path / 'checkpoint-40'}"
    cli.build_parser().parse_args(shlex.split(command)[1:])


# ---- quiet plugin calls ------------------------------------------------------------------------------------


def test_plugin_calls_hide_known_noise_and_restore_the_users_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from datasets import utils as ds_utils

    from mteb_hybrid.noise import plugin_noise_off

    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)  # a user who wants bars elsewhere
    ds_utils.enable_progress_bars()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with plugin_noise_off():
            assert ds_utils.are_progress_bars_disabled()
            warnings.warn(
                "The `get_sentence_embedding_dimension` method has been renamed to `x`.", FutureWarning, stacklevel=1
            )
        warnings.warn("the user's own warning", FutureWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["the user's own warning"]
    assert not ds_utils.are_progress_bars_disabled()


def test_the_trainers_token_alignment_notice_is_dropped_and_nothing_else() -> None:
    from mteb_hybrid.noise import quiet_known_noise

    quiet_known_noise()
    logger = logging.getLogger("transformers.trainer_utils")
    notice = logger.makeRecord(
        logger.name,
        logging.WARNING,
        __file__,
        1,
        "The tokenizer has new PAD/BOS/EOS tokens that differ from the model config",
        (),
        None,
    )
    other = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "something else", (), None)
    assert not logger.filter(notice) and logger.filter(other)


def test_summarize_without_out_writes_nothing_into_the_shipped_results(capsys: pytest.CaptureFixture[str]) -> None:
    from mteb_hybrid.cli import main

    shipped = REPO / "results"
    before = {p: p.stat().st_mtime_ns for p in shipped.rglob("*") if p.is_file()}
    start = time.time()
    assert main(["summarize", str(shipped), "--task", "XQuADRRetrieval"]) == 0
    assert "nothing written" in capsys.readouterr().out
    after = {p: p.stat().st_mtime_ns for p in shipped.rglob("*") if p.is_file()}
    assert after == before and not [p for p in after if p.stat().st_ctime > start]
