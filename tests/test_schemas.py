"""The typed schemas of the package's data files: task definitions, model presets, the paper's numbers.

Each schema: every shipped file loads (checked against facts stated in the datasets' and paper's docs,
not against the loader's own output), and a misspelt key is rejected with one line naming the file
and the key path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mteb_hybrid.data.definitions import TaskDefinition, load_definitions, tasks_dir
from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.models.presets import PRESETS_FILE, load_presets
from mteb_hybrid.reporting.paper import PAPER_FILE, paper_numbers
from mteb_hybrid.validation import key_path


def _one_line(e: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(e.value)
    assert "\n" not in text, text
    return text


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _task_yaml() -> dict:
    return yaml.safe_load((tasks_dir() / "xquad_r.yaml").read_text(encoding="utf-8"))


def test_key_path_reads_like_the_file() -> None:
    assert key_path(("cells", 2, "alpha")) == "cells[2].alpha"
    assert key_path(("source", "commit")) == "source.commit"
    assert key_path(()) == "<file>"


# ------------------------------------------------------------------------------------------ task definitions


def test_every_shipped_task_definition_loads() -> None:
    defs = load_definitions(str(tasks_dir()))
    # LAReQA (Roy et al. 2020): XQuAD-R is 11-way parallel, MLQA-R has 7 languages, partly parallel via English.
    assert len(defs["XQuADRRetrieval"].langs) == 11 and defs["XQuADRRetrieval"].parallel == "complete"
    mlqa = defs["MLQARRetrieval"]
    assert sorted(mlqa.langs) == ["ar", "de", "en", "es", "hi", "vi", "zh"]
    assert (mlqa.parallel, mlqa.pivot_language) == ("partial", "en")
    assert mlqa.source.relative_path("de") == "mlqa-r/de.json"
    assert "\n" not in mlqa.description  # folded to one line


def test_task_definition_rejects_an_unknown_key_with_its_path(tmp_path: Path) -> None:
    raw = _task_yaml()
    raw["source"]["comit"] = raw["source"].pop("commit")
    path = _write(tmp_path / "bad.yaml", raw)
    with pytest.raises(DataFormatError) as e:
        TaskDefinition.from_file(path)
    assert _one_line(e).startswith(f"{path}: field 'source.comit': unknown key")
    assert e.value.field == "source.comit"


def test_task_definition_top_level_typo_and_bad_value(tmp_path: Path) -> None:
    raw = _task_yaml() | {"licence": "mit"}
    with pytest.raises(DataFormatError) as e:
        TaskDefinition.from_file(_write(tmp_path / "typo.yaml", raw))
    assert e.value.field == "licence" and "unknown key" in _one_line(e)

    raw = _task_yaml() | {"parallel": "some"}
    with pytest.raises(DataFormatError) as e:
        TaskDefinition.from_file(_write(tmp_path / "parallel.yaml", raw))
    assert e.value.field == "parallel" and "'complete' or 'partial'" in _one_line(e)

    raw = _task_yaml() | {"pivot_language": "xx"}
    with pytest.raises(DataFormatError) as e:
        TaskDefinition.from_file(_write(tmp_path / "pivot.yaml", raw))
    assert e.value.field == "pivot_language" and "'xx' is not one of the languages" in _one_line(e)

    raw = _task_yaml()
    del raw["license"]
    with pytest.raises(DataFormatError) as e:
        TaskDefinition.from_file(_write(tmp_path / "missing.yaml", raw))
    assert e.value.field == "license" and "required" in _one_line(e)


# ------------------------------------------------------------------------------------------ model presets


def test_every_shipped_preset_loads() -> None:
    presets = load_presets(str(PRESETS_FILE))
    assert set(presets) >= {"labse", "xlmr", "m2m100", "me5-small"}
    assert presets["labse"].model == "sentence-transformers/LaBSE"
    assert presets["xlmr"].kind == "transformer" and presets["xlmr"].pooling == "mean"
    # M2M-100 has 100 language codes; YAML's `no` (Norwegian) must stay the code, not False.
    assert len(presets["m2m100"].languages) == 100 and "no" in presets["m2m100"].languages
    assert presets["labse"].prompts == {"query": "query: ", "document": "passage: "}


def test_preset_rejects_an_unknown_key_with_its_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "presets.yaml",
        {"mine": {"kind": "transformer", "model": "x/y", "trained_name": "t", "poolling": "cls"}},
    )
    with pytest.raises(DataFormatError) as e:
        load_presets(str(path))
    assert e.value.field == "poolling" and _one_line(e).startswith(f"{path}: field 'poolling': unknown key")


def test_preset_rejects_an_unknown_kind_naming_the_choices(tmp_path: Path) -> None:
    path = _write(tmp_path / "presets.yaml", {"mine": {"kind": "onnx", "model": "x/y", "trained_name": "t"}})
    with pytest.raises(DataFormatError) as e:
        load_presets(str(path))
    assert e.value.field == "kind" and "'sentence-transformers'" in _one_line(e)


# ------------------------------------------------------------------------------------------ the paper's numbers


def test_paper_numbers_load_with_their_source() -> None:
    numbers = paper_numbers(PAPER_FILE)
    assert numbers.arxiv == "2408.10536" and "Table 1" in numbers.map.source
    # reference/method.md, Table 1: XLM-R on XQuAD-R, X-X mono .792; LaBSE MLQA-R Hybrid multi .579.
    assert numbers.map.values["XQuAD-R"]["XLM-R"]["x-x"][0] == 0.792
    assert numbers.map.values["MLQA-R"]["LaBSE"]["hybrid"][2] == 0.579
    assert numbers.rank_distance.values["XQuAD-R"]["XLM-R"]["x-x"] == 410.2
    assert numbers.bases("MLQA-R") == ["XLM-R", "LaBSE"]


def test_paper_numbers_reject_an_unknown_kind_with_its_path(tmp_path: Path) -> None:
    raw = yaml.safe_load(PAPER_FILE.read_text(encoding="utf-8"))
    raw["rank_distance"]["values"]["MLQA-R"]["LaBSE"]["xx"] = 1.0
    path = _write(tmp_path / "paper.yaml", raw)
    with pytest.raises(DataFormatError) as e:
        paper_numbers(path)
    assert e.value.field.startswith("rank_distance.values.MLQA-R.LaBSE.xx") and str(path) in _one_line(e)
