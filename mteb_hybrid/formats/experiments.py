"""One pydantic model per experiment file, shared by writer and readers: `ExperimentFile` (experiments/*.yaml),
`CellRecord` (<results>/experiments/<name>/<cell>/cell.json) and `ExperimentRecord` (.../<name>/experiment.json).

Unknown keys are rejected; an error is one line naming the file and the key path (`x.yaml: cells[2].alpha: ...`).
Records carry `schema_version`; files written before it existed load as version 0. Input is bounded before
anything expands it: a config of at most `MAX_CONFIG_BYTES`, no YAML aliases (an alias bomb of a few lines
expands to gigabytes), strings and lists of each field at most a stated length.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PositiveInt, StringConstraints

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.files import safe_name, write_json_atomic
from mteb_hybrid.validation import validate_file

CELL_SCHEMA_VERSION = 1
"""1: adds schema_version, provenance, error and scored; 0: cell.json as written before (no version key)."""
EXPERIMENT_SCHEMA_VERSION = 1


class SchemaError(DataFormatError):
    """A file that does not match its schema: `<file>: <key path>: <problem>` on one line."""

    def __init__(self, path: str | Path, where: str, problem: str, fix: str = "") -> None:
        self.path, self.field, self.problem, self.fix = str(path), where, problem, fix
        ValueError.__init__(self, f"{self.path}: {where}: {problem}" if where else f"{self.path}: {problem}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_CONFIG_BYTES = 1 << 20  # the largest shipped config is ~5 KB
MAX_ITEMS = 256  # tasks, languages, data sources, seeds, training settings, params
MAX_CELLS = 2000
MAX_SUBSETS = 2000  # XQuAD-R alone has 132
Name = Annotated[str, StringConstraints(max_length=200)]  # a task, language, subset, group, model or base name
Spec = Annotated[str, StringConstraints(max_length=2000)]  # a data source (hf:NAME?query=COL&...)


def _label(value: Any) -> Any:
    """A cell's `params` value (a label the report shows): a short text, a number, true/false, or a list of those."""
    scalars = (str, bool, int, float, type(None))
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_ITEMS or not all(
        isinstance(v, scalars) and (not isinstance(v, str) or len(v) <= 200) for v in items
    ):
        raise ValueError(
            f"a label is a text of at most 200 characters, a number, true/false, or a list of at most "
            f"{MAX_ITEMS} of those"
        )
    return value


def _text(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters, got {len(value)}")
        return value

    return AfterValidator(check)


ParamValue = Annotated[Any, AfterValidator(_label)]
CellId = Annotated[str, AfterValidator(lambda v: safe_name(v, "cell id"))]  # a folder name
AllIfEmpty = Annotated[list[Name] | None, Field(max_length=MAX_SUBSETS), AfterValidator(lambda v: v or None)]
Settings = Annotated[dict[Name, Any], Field(max_length=MAX_ITEMS)]  # training settings, checked by TrainConfig


class DuringTraining(_Strict):
    """A periodic zero-shot probe during training (pool mAP on a few questions)."""

    every: PositiveInt
    questions: PositiveInt = 100
    languages: Annotated[list[Name], Field(max_length=MAX_ITEMS)] | None = None


class EvalSpec(_Strict):
    """What every cell is scored on."""

    tasks: list[Name] = Field(min_length=1, max_length=MAX_ITEMS)
    languages: AllIfEmpty = None
    subsets: AllIfEmpty = None
    batch_size: PositiveInt = 64
    during_training: DuringTraining | None = None
    # every cell, the base included, is scored truncating texts at this many tokens (default: each model's own,
    # and a trained model keeps its base's, so the default is like for like too)
    max_seq_length: PositiveInt | None = None


class CellSpec(_Strict):
    """One cell as written: training overrides (`train: null` scores the base model itself) and labels."""

    id: CellId
    train: Settings | None = Field(default_factory=dict)
    group: Name | None = None
    params: Annotated[dict[Name, ParamValue], Field(max_length=MAX_ITEMS)] = Field(default_factory=dict)
    # this cell's seeds, where they differ from the experiment's (a cheap check cell run with fewer), so the
    # report counts no seed as pending that the plan never meant to run
    seeds: Annotated[list[int], Field(min_length=1, max_length=MAX_ITEMS)] | None = None


class ExperimentFile(_Strict):
    """An experiment config (experiments/*.yaml) as written; `load_experiment` expands it into cells."""

    schema_version: Literal[1] = 1
    name: Annotated[str, AfterValidator(lambda v: safe_name(v, "experiment name"))]
    description: Annotated[
        str,
        BeforeValidator(lambda v: "" if v is None else " ".join(v.split()) if isinstance(v, str) else v),
        _text(20_000),
    ] = ""
    base: Spec
    data: Annotated[list[Spec], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)] = Field(
        default_factory=lambda: ["mlqa-r"], min_length=1, max_length=MAX_ITEMS
    )
    # shared training settings (TrainConfig fields)
    train: Annotated[Settings, BeforeValidator(lambda v: {} if v is None else v)] = Field(default_factory=dict)
    eval: EvalSpec
    cells: list[CellSpec] = Field(min_length=1, max_length=MAX_CELLS)
    seeds: Annotated[list[int], Field(max_length=MAX_ITEMS)] | None = None
    unseen_languages: Annotated[list[Name], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    full_scale: bool = False


class Provenance(_Strict):
    """What a cell's model and results were computed from (`inputs`, see provenance.py), and their hashes."""

    hash: str
    model_hash: str | None = None
    training_dir: str | None = None
    inputs: dict[str, Any]


class CellRecord(_Strict):
    """cell.json: one cell's status, settings, timings and provenance (read by `mteb-hybrid report`)."""

    schema_version: int = 0  # files without the field are version 0; `write_cell` writes the current one
    experiment: str
    cell: CellId
    status: Literal["done", "failed", "started"]
    seed: int | None = None
    group: str
    params: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] | None = None  # TrainConfig.to_dict() of the cell (None: the base model)
    model_name: str | None = None
    revision: str | None = None
    training_languages: list[str] | None = None
    unseen_languages: list[str] = Field(default_factory=list)
    train_seconds: float | None = None
    eval_seconds: float | None = None
    smoke: bool = False
    command: str
    reused_from: str | None = None  # results copied from an identical cell of another experiment (a note)
    provenance: Provenance | None = None  # None: written before provenance was recorded (version 0)
    scored: dict[str, int] | None = None  # task -> number of subsets with scores
    error: str | None = None  # why a failed cell failed
    environment: dict[str, str] | None = None  # where it ran: library versions, accelerator (not hashed)

    @property
    def done(self) -> bool:
        return self.status == "done"


class ExperimentRecord(_Strict):
    """experiment.json: the config a grid ran with and its cell ids in order."""

    schema_version: int = 0  # as in CellRecord
    name: str
    description: str = ""
    config: dict[str, Any]
    cells: list[str]
    smoke: bool = False


def _read(path: str | Path, parse: Any, what: str, error: type[Exception]) -> Any:
    """`parse` of a file's text; one that is unreadable or does not parse is a one-line SchemaError."""
    try:
        return parse(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, error) as e:
        raise SchemaError(path, "", f"{what} ({str(e).splitlines()[0]})") from None


class _AliasFound(Exception):  # noqa: N818 - not a YAMLError, so that `_read` lets it through
    def __init__(self, anchor: str, mark: Any) -> None:
        super().__init__(anchor)
        self.anchor, self.line = anchor, (mark.line + 1 if mark is not None else None)


class _NoAliasLoader(yaml.SafeLoader):
    """yaml.safe_load, refusing aliases (`*name`) before anything is built from them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasFound(event.anchor, event.start_mark)
        return super().compose_node(parent, index)


def _load_config(text: str) -> Any:
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader


def read_yaml(path: str | Path) -> dict[str, Any]:
    """An experiment config's raw mapping (one-line SchemaError when it is too large, holds YAML aliases, is not
    YAML or not a mapping)."""
    if Path(path).is_file() and (size := Path(path).stat().st_size) > MAX_CONFIG_BYTES:
        raise SchemaError(path, "", f"{size} bytes; an experiment config is at most {MAX_CONFIG_BYTES} bytes")
    try:
        raw = _read(path, _load_config, "not a readable YAML file", yaml.YAMLError)
    except _AliasFound as e:
        raise SchemaError(
            path,
            f"line {e.line}",
            f"YAML alias *{e.anchor} is not accepted in experiment configs "
            "(aliases can expand without bound); write the value out",
        ) from None
    if not isinstance(raw, dict):
        raise SchemaError(path, "", "expected a mapping of keys (see experiments/batching.yaml)")
    return raw


def read_cell(path: str | Path) -> CellRecord:
    """A cell.json (any schema version) as a `CellRecord`; raises SchemaError (a ValueError) naming the file."""
    return validate_file(CellRecord, _read(path, json.loads, "not readable JSON", ValueError), path, "", SchemaError)


def read_experiment_record(path: str | Path) -> ExperimentRecord:
    """An experiment.json (any schema version) as an `ExperimentRecord`; SchemaError (a ValueError) naming the
    file and key path."""
    raw = _read(path, json.loads, "not readable JSON", ValueError)
    return validate_file(ExperimentRecord, raw, path, "", SchemaError)


def write_cell(path: str | Path, record: CellRecord) -> Path:
    """Write a cell.json atomically (the current schema version, every key)."""
    return write_json_atomic(path, {**record.model_dump(mode="json"), "schema_version": CELL_SCHEMA_VERSION})


def write_experiment_record(path: str | Path, record: ExperimentRecord) -> Path:
    """Write an experiment.json atomically (the current schema version, every key)."""
    return write_json_atomic(path, {**record.model_dump(mode="json"), "schema_version": EXPERIMENT_SCHEMA_VERSION})
