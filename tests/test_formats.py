"""The formats layer: every file the project writes is read back through a typed reader in mteb_hybrid/formats/,
older files still load, and a broken file is one line naming it and the field."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from mteb_hybrid.formats import export_kit, train_log
from mteb_hybrid.formats.experiments import SchemaError, read_experiment_record
from mteb_hybrid.formats.training_record import RecordHeadError, read_record_head
from mteb_hybrid.formats.user_config import UserConfig, read_user_config, write_user_config

PACKAGE = Path(__file__).resolve().parents[1] / "mteb_hybrid"
FIXTURES = Path(__file__).parent / "fixtures"

# json.load(s) outside formats/: (module, function) -> why the file is not the project's own
NOT_OURS = {
    ("data/lareqa.py", "_load_json"): "the LAReQA dataset files (user data)",
    ("experiments/provenance.py", "changed_keys"): "canonical JSON text in memory, not a file",
    ("experiments/provenance.py", "_added_with_default"): "canonical JSON text in memory, not a file",
    ("models/identity.py", "_read_json"): "sentence-transformers' configs and modules.json",
    ("models/identity.py", "_check_safetensors"): "a safetensors header",
    ("models/presets.py", "_local_kind"): "a Hugging Face config.json",
    ("reporting/loading.py", "read_json_object"): "mteb's model_meta.json (submit)",
    ("reporting/submit_checks.py", "_meta_dict"): "a ModelMeta's dict through JSON, in memory",
    ("reporting/submit_plan.py", "is_task_result"): "mteb's result files",
    ("reporting/summary.py", "_model_identity"): "mteb's model_meta.json",
    ("reporting/summary.py", "_read_task_result"): "mteb's result files",
    ("stats/compare.py", "_subsets_of_result"): "mteb's result files",
    ("stats/inferred.py", "_base_length"): "a sentence-transformers config",
    ("training/checkpoints.py", "incomplete_reason"): "transformers' trainer_state.json",
    ("training/rows.py", "read_jsonl"): "the user's training rows (JSONL)",
    ("upstream/pr.py", "_mteb_stats_rows"): "mteb's descriptive statistics",
    ("upstream/scores.py", "load_scores"): "mteb's result files and model_meta.json",
}
# what names one of the project's own files: their file names and the constants that hold them
OWN_FILE_NAMES = (
    "cell.json",
    "experiment.json",
    "mteb_hybrid_training.json",
    "train_log.jsonl",
    "mteb_hybrid_wall_time.json",
    ".mteb-hybrid-export.json",
    "runs.json",
    ".per_query.parquet",
)
OWN_FILE_CONSTANTS = {
    "CELL_FILE",
    "EXPERIMENT_FILE",
    "TRAINING_RECORD_FILE",
    "TRAINING_INFO_FILE",
    "LOG_JSONL",
    "TRAIN_LOG",
    "WALL_TIME_FILE",
    "MANIFEST",
    "RUNS_FILE",
    "SUFFIX",
}


def _json_reads(tree: ast.Module) -> dict[str, ast.AST]:
    """Function (dotted, "<module>" at top level) -> its node, for every function that calls json.load(s)."""
    found: dict[str, ast.AST] = {}

    def visit(node: ast.AST, scope: str, owner: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            inner, inner_owner = scope, owner
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner, inner_owner = (f"{scope}.{child.name}" if scope else child.name), child
            func = child.func if isinstance(child, ast.Call) else None
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("load", "loads")
                and isinstance(func.value, ast.Name)
                and func.value.id == "json"
            ):
                found[scope or "<module>"] = owner
            visit(child, inner, inner_owner)

    visit(tree, "", tree)
    return found


def _names_own_file(node: ast.AST) -> list[str]:
    hits = []
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith(OWN_FILE_NAMES):
            hits.append(repr(n.value))
        elif isinstance(n, ast.Name) and n.id in OWN_FILE_CONSTANTS:
            hits.append(n.id)
        elif isinstance(n, ast.Attribute) and n.attr in OWN_FILE_CONSTANTS:
            hits.append(n.attr)
    return hits


def test_no_module_outside_formats_json_loads_a_project_file() -> None:
    unexplained, own = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("formats/"):
            continue
        for function, node in _json_reads(ast.parse(path.read_text(encoding="utf-8"))).items():
            if (rel, function) not in NOT_OURS:
                unexplained.append(f"{rel}:{function}")
            elif hits := _names_own_file(node):
                own.append(f"{rel}:{function} ({', '.join(hits)})")
    assert unexplained == [], (
        "json.load(s) outside mteb_hybrid/formats/: read the project's own files through a reader there; for a "
        "file that is not the project's (mteb's, Hugging Face's, user data) add the function to NOT_OURS"
    )
    assert own == [], "these functions read the project's own files: use a reader in mteb_hybrid/formats/"


def test_the_check_finds_a_read_of_an_own_file() -> None:
    """The AST check itself: a function that json-loads cell.json is found and named."""
    source = (
        "import json\n"
        "CELL_FILE = 'cell.json'\n"
        "def peek(folder):\n"
        "    return json.loads((folder / CELL_FILE).read_text())\n"
        "def other(p):\n"
        "    return json.load(open(p / 'x' / 'train_log.jsonl'))\n"
    )
    found = _json_reads(ast.parse(source))
    assert sorted(found) == ["other", "peek"]
    assert _names_own_file(found["peek"]) == ["CELL_FILE"]
    assert _names_own_file(found["other"]) == ["'train_log.jsonl'"]


# ------------------------------------------------------------------------------------ training record head


def test_record_head_of_a_version_1_record_and_of_a_partial_one(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "mteb_hybrid_training.json").write_text((FIXTURES / "training_record_v1.json").read_text())
    head = read_record_head(old)
    assert (head.name, head.revision, head.language_prefix) == ("batching-hybrid", "144d4d3405db", None)
    (tmp_path / "mteb_hybrid_training.json").write_text(json.dumps({"name": "m", "language_prefix": "__{lang}__ "}))
    head = read_record_head(tmp_path)
    assert (head.name, head.revision, head.language_prefix) == ("m", None, "__{lang}__ ")
    assert read_record_head(tmp_path / "nothing") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"mteb_hybrid_training\.json: not valid JSON"),
        ("[1, 2]", r"mteb_hybrid_training\.json: expected a JSON object"),
        ('{"revision": 12}', r"mteb_hybrid_training\.json: field 'revision': Input should be a valid string"),
    ],
)
def test_a_broken_record_head_is_one_line_naming_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "mteb_hybrid_training.json").write_text(text)
    with pytest.raises(RecordHeadError, match=message) as e:
        read_record_head(tmp_path)
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------------------------------ training log


def test_log_lines_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / train_log.LOG_JSONL
    records = [
        {"step": 0, "epoch": 0, "wall_time": 118.111, "timestamp": 1.5, "eval_loss": 2.0},  # epoch 0 stays 0
        {"step": 10, "wall_time": 5.25, "timestamp": 2.0, "loss": 1.75, "early_stopping": "patience"},
    ]
    text = "".join(map(train_log.log_line, records))
    assert text == "".join(json.dumps(r) + "\n" for r in records)  # the same bytes as json.dumps per line
    path.write_text(text + '{"step": 20, "wall_ti')  # a run still writing its last line
    assert train_log.read_log(path, strict=False) == records
    assert [type(r["epoch"]) for r in train_log.read_log(path, strict=False)[:1]] == [int]
    with pytest.raises(train_log.TrainLogError, match=r"train_log\.jsonl: line 3: not a log record"):
        train_log.read_log(path)
    path.write_text(text + '{"step": "ten", "wall_time": 1.0}\n[1]\n')
    assert train_log.read_log(path, strict=False) == records  # wrong types and non-objects are not records


def test_wall_time_round_trip_and_errors(tmp_path: Path) -> None:
    assert train_log.read_wall_time(tmp_path) is None
    train_log.write_wall_time(tmp_path, 2155.5)
    assert (tmp_path / train_log.WALL_TIME_FILE).read_text() == '{"wall_time": 2155.5}'  # as written before
    assert train_log.read_wall_time(tmp_path) == 2155.5
    (tmp_path / train_log.WALL_TIME_FILE).write_text('{"wall_time": "soon"}')
    with pytest.raises(train_log.TrainLogError, match=r"mteb_hybrid_wall_time\.json: wall_time: "):
        train_log.read_wall_time(tmp_path)


# ------------------------------------------------------------------------------------------- export kit


def test_manifest_round_trip_and_a_broken_one(tmp_path: Path) -> None:
    assert export_kit.read_manifest(tmp_path) is None
    export_kit.write_manifest(tmp_path, {"b/x.py": "22", "a/y.json": "11"})
    assert (
        tmp_path / export_kit.MANIFEST
    ).read_text() == '{\n "files": {\n  "a/y.json": "11",\n  "b/x.py": "22"\n }\n}\n'
    assert export_kit.read_manifest(tmp_path) == {"a/y.json": "11", "b/x.py": "22"}
    (tmp_path / export_kit.MANIFEST).write_text('{"files": ["a"]}')
    with pytest.raises(export_kit.KitFileError, match=r"\.mteb-hybrid-export\.json: files: "):
        export_kit.read_manifest(tmp_path)


def test_runs_keep_what_was_written(tmp_path: Path) -> None:
    partial = {"org/m": {"revision": "1", "command": "c", "date": "2026-12-04", "mteb": "2.26.24", "threads": "1"}}
    (tmp_path / export_kit.RUNS_FILE).write_text(json.dumps(partial))
    assert export_kit.read_runs(tmp_path) == partial  # no keys added for what an older file lacks
    export_kit.write_runs(tmp_path, partial)
    assert json.loads((tmp_path / export_kit.RUNS_FILE).read_text()) == partial
    (tmp_path / export_kit.RUNS_FILE).write_text(json.dumps({"org/m": {"revision": "1"}}))
    with pytest.raises(export_kit.KitFileError, match=r"runs\.json: command: Field required"):
        export_kit.read_runs(tmp_path)
    assert export_kit.read_runs(tmp_path / "none") == {}


# ------------------------------------------------------------------------------- experiment and cell records


def test_an_experiment_json_of_version_0_loads_and_a_bad_one_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps({"name": "e", "config": {"name": "e"}, "cells": ["a", "b"]}))  # no schema_version
    record = read_experiment_record(path)
    assert (record.schema_version, record.name, record.cells, record.description) == (0, "e", ["a", "b"], "")
    path.write_text(json.dumps({"name": "e", "config": {}, "cells": "a"}))
    with pytest.raises(SchemaError, match=r"experiment\.json: cells: ") as e:
        read_experiment_record(path)
    assert "\n" not in str(e.value)


def test_the_report_names_the_field_of_a_cell_json_that_breaks_its_schema(tmp_path: Path) -> None:
    from mteb_hybrid.reporting.loading import load_cell

    folder = tmp_path / "a"
    folder.mkdir()
    good = {"experiment": "e", "cell": "a", "group": "g", "status": "started", "command": "mteb-hybrid train"}
    (folder / "cell.json").write_text(json.dumps(good))
    cell = load_cell("e", folder)
    assert (cell.status, cell.note, cell.info) == ("pending", "status 'started'", good)  # only the keys written
    (folder / "cell.json").write_text(json.dumps({**good, "status": "sleeping"}))
    cell = load_cell("e", folder)
    assert cell.status == "error" and cell.note.startswith("cell.json unreadable (status: ")
    (folder / "cell.json").write_text("{")
    assert load_cell("e", folder).note.startswith("cell.json unreadable (not readable JSON")


# ------------------------------------------------------------------------------------------- user config


def test_user_config_round_trip_and_a_broken_one(tmp_path: Path) -> None:
    from mteb_hybrid.data.errors import DataFormatError

    path = tmp_path / "config.json"
    assert read_user_config(path) == UserConfig()
    write_user_config(path, UserConfig(data_dir="/data"))
    assert path.read_text() == '{\n  "data_dir": "/data"\n}\n'
    assert read_user_config(path).data_dir == "/data"
    path.write_text('{"data_dir": "/data", "colour": "blue"}')
    with pytest.raises(DataFormatError, match=r"config\.json: field 'colour': unknown key"):
        read_user_config(path)
