"""Registration with mteb: tasks, benchmarks and models visible to mteb's API and its CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mteb
import pytest

import mteb_hybrid  # noqa: F401 - registers
from mteb_hybrid.evaluation import ModelNotFoundError, load_model
from mteb_hybrid.registry import BENCHMARK_NAME, CROSS_LINGUAL_BENCHMARK_NAME

OURS = ["XQuADRRetrieval", "MLQARRetrieval", "XQuADRSentenceRetrieval", "MLQARSentenceRetrieval"]


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MTEB_HYBRID_CACHE": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )


def test_tasks_are_registered_next_to_mteb_own() -> None:
    for name in OURS:
        assert mteb.get_task(name).metadata.name == name
    # mteb's similarly named tasks are untouched
    assert mteb.get_task("XQuADRetrieval").metadata.dataset["path"] == "mteb/XQuADRetrieval"
    assert mteb.get_task("MLQARetrieval").__class__.__module__.startswith("mteb.tasks")
    names = {t.metadata.name for t in mteb.get_tasks(task_types=["Retrieval"], languages=["tha"])}
    assert "XQuADRRetrieval" in names and "MLQARRetrieval" not in names


def test_models_and_benchmarks_are_registered() -> None:
    meta = mteb.get_model_meta("offline-me5-small")
    assert meta.name == "mteb-hybrid/offline-me5-small" and meta.revision
    assert mteb.get_model_meta("mteb-hybrid/hybrid-labse").adapted_from == "sentence-transformers/LaBSE"
    bench = mteb.get_benchmark(BENCHMARK_NAME)
    assert sorted(t.metadata.name for t in bench.tasks) == ["MLQARRetrieval", "XQuADRRetrieval"]
    wider = {t.metadata.name for t in mteb.get_benchmark(CROSS_LINGUAL_BENCHMARK_NAME).tasks}
    assert {"XQuADRRetrieval", "XQuADRetrieval", "MLQARetrieval"} <= wider


def test_importing_mteb_alone_registers_through_the_hook(tmp_path: Path) -> None:
    """A fresh interpreter: the .pth hook must not import mteb at start, and must register when mteb is imported."""
    out = _python(
        "import sys; assert 'mteb' not in sys.modules, 'mteb imported at start';"
        "import mteb; print(mteb.get_task('XQuADRRetrieval').metadata.name, "
        "mteb.get_model_meta('offline-me5-small').name)",
        tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["XQuADRRetrieval", "mteb-hybrid/offline-me5-small"]


def test_mteb_cli_lists_the_tasks(tmp_path: Path) -> None:
    out = _python("import sys; sys.argv=['mteb','available-tasks']; from mteb.cli import main; main()", tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "XQuADRRetrieval" in out.stdout and "MLQARRetrieval, t2t, multilingual 56 / 56" in out.stdout


def test_untrained_hybrid_model_says_how_to_train_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="mteb-hybrid train --base labse .*Hugging Face hub"):
        mteb.get_model("hybrid-labse")


def test_unknown_model_name_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFoundError, match="resolves to nothing here.*offline-me5-small"):
        load_model("no-such-org/no-such-model")
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model"):
        load_model(str(Path(__file__).parent))
