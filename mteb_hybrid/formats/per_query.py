"""Per-query records of a LAReQA evaluation: one typed parquet schema, its writer, its reader, and views.

Beside mteb's `<Task>.json` the evaluation writes `<Task>.per_query.parquet`: one row per (subset, query),
each metric averaging over the subset's queries to the subset score of that name. Keyed by subset as mteb
resumes by subset; a cross-lingual average can then be taken over any languages when read. (mteb's
`--prediction-folder` holds top-k ids only: no per-query metric, no mAP or rank distance.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.files import write_atomic

FORMAT = "mteb-hybrid/per-query-records"
VERSION = 2
"""2: adds `evaluation` (the settings that change scores, and where they ran); 1: task, model, revision only."""
READABLE_VERSIONS = (1, 2)
UNKNOWN = "unknown"


class EvaluationSettings(BaseModel):
    """What changes a model's scores besides the model: two results are compared only when these are equal.

    Written with every record file; for files of version 1 `compare` infers what was recorded elsewhere (the
    cell's training config, the base model's folder) and says "unknown" for the rest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str
    candidate_form: str = UNKNOWN  # sentence | sentence+context
    max_seq_length: int | str = UNKNOWN  # tokens each text was truncated to at inference
    precision: str = UNKNOWN  # the dtype of the model's weights at inference (float32, bfloat16, ...)
    backend: str = UNKNOWN  # the encoder's implementation (sentence-transformers/torch)
    data_sha256: dict[str, str] | str = UNKNOWN  # sha256 of each data file read, by its path in the dataset
    task_version: str = UNKNOWN  # the dataset's pinned revision and the plugin's task-building version


def merged_settings(a: EvaluationSettings, b: EvaluationSettings) -> EvaluationSettings | None:
    """`a` and `b` as one (data files read by either), or None when they disagree: on any setting, or on the
    hash of a data file both read. A run that adds subsets reads more files; that is not a change."""
    da, db = a.data_sha256, b.data_sha256
    if isinstance(da, dict) and isinstance(db, dict):
        if any(da[k] != db[k] for k in da.keys() & db.keys()):
            return None
        files: dict[str, str] | str = dict(sorted({**da, **db}.items()))
    elif da != db:
        return None
    else:
        files = da
    same = a.model_dump(exclude={"data_sha256"}) == b.model_dump(exclude={"data_sha256"})
    return a.model_copy(update={"data_sha256": files}) if same else None


class EvaluationEnvironment(BaseModel):
    """Where the scores were computed: differences here are named, not refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accelerator: str = UNKNOWN  # cpu, or the GPU's name
    torch: str = UNKNOWN
    mteb: str = UNKNOWN
    mteb_hybrid: str = UNKNOWN
    sentence_transformers: str = UNKNOWN


class Evaluation(BaseModel):
    """The `evaluation` entry of a record file's metadata (version 2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: EvaluationSettings
    environment: EvaluationEnvironment = EvaluationEnvironment()


SUFFIX = ".per_query.parquet"
_META_KEY = b"mteb_hybrid"
POOL = "pool"
SETTINGS = ("mono", "cross", "multi")


@dataclass(frozen=True)
class Metric:
    """One per-query metric: the one place that names it; the schema's column, the compare CLI's choices, the
    equivalence margins and the scores kept upstream are derived from `PER_QUERY_METRICS`."""

    name: str  # the column here, and the subset score of that name in mteb's result file
    about: str  # what one query's value is
    pool_only: bool = False  # defined on multilingual pools only (null in other subsets)
    plugin_only: bool = False  # computed by this package, not by mteb: not in the upstream task's results
    margin: float = 0.01  # the default equivalence margin (TOST) in the metric's units


PER_QUERY_METRICS = (
    Metric("map", "average precision over the whole ranking (LAReQA)", plugin_only=True),
    Metric("ndcg_at_10", "pytrec_eval's ndcg_cut_10 for this query, as mteb computed it"),
    Metric("mrr_at_10", "1/rank of the first relevant answer in mteb's top 10, else 0"),
    Metric(
        "rank_distance",
        "worst minus best rank of the relevant answers",
        pool_only=True,
        plugin_only=True,
        margin=20.0,
    ),
    Metric("same_language_at_10", "share of the top 10 in the query's language", pool_only=True, plugin_only=True),
)

# Keys, never null: split (mteb's, e.g. test), subset ('<query lang>-<corpus lang>' or '<query lang>-pool'),
# query_id ('<lang>:<parallel id>'), parallel_id (shared by a question's translations: the bootstrap's unit).
KEY_COLUMNS = ("split", "subset", "query_id", "parallel_id")
SCHEMA = pa.schema(
    [
        *(pa.field(name, pa.string(), nullable=False) for name in KEY_COLUMNS),
        *(pa.field(m.name, pa.float64()) for m in PER_QUERY_METRICS),
    ]
)
METRICS = tuple(m.name for m in PER_QUERY_METRICS)  # the compare CLI's --metric choices
POOL_METRICS = tuple(m.name for m in PER_QUERY_METRICS if m.pool_only)
PLUGIN_METRICS = frozenset(m.name for m in PER_QUERY_METRICS if m.plugin_only)
DEFAULT_MARGINS = {m.name: m.margin for m in PER_QUERY_METRICS}

_REWRITE = "re-run the evaluation of this task with --overwrite to rewrite its per-query records"


def records_path(result_json: str | Path) -> Path:
    """The record file that belongs beside mteb's `<Task>.json`."""
    p = Path(result_json)
    return p.with_name(p.name.removesuffix(".json") + SUFFIX)


def result_path(records: str | Path) -> Path:
    """mteb's `<Task>.json` that a record file belongs beside (the inverse of `records_path`)."""
    p = Path(records)
    return p.with_name(p.name.removesuffix(SUFFIX) + ".json")


def to_table(frame: pd.DataFrame) -> pa.Table:
    """`frame` (the record columns, any order) as an Arrow table of the schema."""
    if missing := [name for name in SCHEMA.names if name not in frame.columns]:
        raise ValueError(f"per-query records lack column(s) {missing}")
    types = {name: str for name in KEY_COLUMNS} | {name: "float64" for name in METRICS}
    return pa.Table.from_pandas(frame[SCHEMA.names].astype(types), schema=SCHEMA, preserve_index=False)


def write_table(
    path: str | Path,
    table: pa.Table,
    *,
    task: str,
    model: str,
    revision: str | None,
    presorted: bool = False,
    evaluation: Evaluation | None = None,
) -> Path:
    """Write a schema table to `path` atomically as parquet (zstd), sorted by split, subset and query.

    `presorted`: the caller built the table in that order (the sort is most of the cost of a write).
    `evaluation`: the settings the scores were computed with (default: only the task is known).
    """
    table = table.cast(SCHEMA)
    if not presorted:
        table = table.sort_by([("split", "ascending"), ("subset", "ascending"), ("query_id", "ascending")])
    evaluation = evaluation or Evaluation(settings=EvaluationSettings(task=task))
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "task": task,
        "model": model,
        "revision": revision,
        "evaluation": evaluation.model_dump(mode="json"),
    }
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    return write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_records(
    path: str | Path,
    frame: pd.DataFrame,
    *,
    task: str,
    model: str,
    revision: str | None,
    evaluation: Evaluation | None = None,
) -> Path:
    return write_table(path, to_table(frame), task=task, model=model, revision=revision, evaluation=evaluation)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The file's identity (format, version, task, model, revision), checked."""
    try:
        raw = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError) as e:
        raise DataFormatError(path, "<file>", f"not a parquet file ({e})", _REWRITE) from e
    try:
        meta = json.loads(raw[_META_KEY])
    except (KeyError, ValueError) as e:
        raise DataFormatError(path, "metadata.mteb_hybrid", "no per-query record metadata", _REWRITE) from e
    if meta.get("format") != FORMAT or meta.get("version") not in READABLE_VERSIONS:
        raise DataFormatError(
            path,
            "metadata.mteb_hybrid.version",
            f"format {meta.get('format')!r} version {meta.get('version')!r}, expected {FORMAT!r} "
            f"version {' or '.join(map(str, READABLE_VERSIONS))}",
            _REWRITE,
        )
    return meta


def read_evaluation(path: str | Path) -> Evaluation | None:
    """The evaluation settings recorded in a record file; None for a version-1 file (written before them)."""
    meta = read_metadata(path)
    if meta["version"] < 2:
        return None
    try:
        return Evaluation.model_validate(meta.get("evaluation"))
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(["metadata", "mteb_hybrid", "evaluation", *map(str, err["loc"])])
        raise DataFormatError(path, where, err["msg"], _REWRITE) from None


def read_table(path: str | Path, *, dictionary: bool = True, metrics: Sequence[str] | None = None) -> pa.Table:
    """The rows of a record file (all metric columns, or `metrics`) as an Arrow table, schema checked."""
    read_metadata(path)
    wanted = [name for name in SCHEMA.names if metrics is None or name in KEY_COLUMNS or name in metrics]
    if absent := [name for name in wanted if name not in pq.read_schema(path).names]:
        raise DataFormatError(path, absent[0], "column missing", _REWRITE)
    table = pq.read_table(path, columns=wanted, read_dictionary=list(KEY_COLUMNS) if dictionary else None)
    for name in wanted:
        got = table.schema.field(name).type
        got = got.value_type if pa.types.is_dictionary(got) else got
        if not (pa.types.is_string(got) if name in KEY_COLUMNS else pa.types.is_floating(got)):
            raise DataFormatError(path, name, f"type {got}, expected {SCHEMA.field(name).type}", _REWRITE)
    return table


def read_records(path: str | Path, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of a record file as a frame (key columns as pandas categoricals), schema checked."""
    return read_table(path, metrics=metrics).to_pandas()


def _category_mask(column: pd.Series, test: Callable[[str], bool]) -> np.ndarray:
    """`test` applied once per distinct value (pandas maps a categorical's categories), spread over the rows."""
    return column.astype("category").map(lambda v: bool(test(str(v)))).to_numpy(dtype=bool)


def in_setting(subset: str, setting: str, languages: Iterable[str] | None = None) -> bool:
    """Whether `subset` ('en-de', 'en-pool') belongs to `setting`, within `languages` (query and corpus)."""
    if setting not in SETTINGS:
        raise ValueError(f"setting {setting!r} is not one of {', '.join(SETTINGS)}")
    q, _, c = subset.partition("-")
    wanted = {"mono": q == c, "cross": q != c and c != POOL, "multi": c == POOL}[setting]
    return wanted and (languages is None or (q in languages and (c == POOL or c in languages)))


def query_scores(
    records: pd.DataFrame, setting: str, languages: Iterable[str] | None = None, split: str = "test"
) -> pd.DataFrame:
    """One row per query for one of the paper's settings: query_id, parallel_id, query_lang, metrics, n_subsets.

    mono: the query's own-language subset; cross: mean over its cross-lingual pairs; multi: its pool (the only
    setting with the pool metrics). `languages` keeps queries and pairs within them, as the evaluation's `-l`.
    """
    langs = set(languages) if languages is not None else None
    keep = _category_mask(records["subset"], lambda s: in_setting(s, setting, langs)) & _category_mask(
        records["split"], lambda v: v == split
    )
    metrics = [m for m in METRICS if m in records.columns and (setting == "multi" or m not in POOL_METRICS)]
    keys = ["query_id", "parallel_id"]
    grouped = records.loc[keep, keys + metrics].groupby(keys, sort=False, observed=True)
    out = grouped[metrics].mean()
    out["n_subsets"] = grouped.size()
    out = out.reset_index().astype({k: str for k in keys}).sort_values("query_id", ignore_index=True)
    out.insert(2, "query_lang", [q.partition(":")[0] for q in out["query_id"]])
    return out


def find_record_files(folder: str | Path, task: str | None = None) -> list[Path]:
    """Record files under `folder` (a results root, a model folder, a revision folder, or a file itself)."""
    p = Path(folder)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such results folder")
    return sorted(p.rglob(f"{task or '*'}{SUFFIX}"))


def load_side(
    folders: Sequence[str | Path], task: str | None = None, metric: str | None = None
) -> tuple[str, list[tuple[Path, pd.DataFrame]]]:
    """The task and the records of one side of a comparison: one record file of the task per folder (seed)."""
    found: list[Path] = []
    for folder in folders:
        files = find_record_files(folder, task)
        if not files and task is not None and (others := find_record_files(folder)):
            names = sorted({f.name.removesuffix(SUFFIX) for f in others})
            raise ValueError(
                f"{folder}: holds records of {', '.join(names)}, not of {task}: the sides must be scored "
                "on one task (give --task to pick it)"
            )
        if not files:
            raise FileNotFoundError(
                f"{folder}: no per-query records ({'<Task>' if task is None else task}{SUFFIX}); "
                "results written before per-query records existed have none: re-run that "
                "evaluation with --overwrite"
            )
        if len(files) > 1:
            names = ", ".join(str(f) for f in files[:6])
            raise ValueError(
                f"{folder}: {len(files)} record files ({names}); give --task, or one folder per model "
                "and seed (comma-separated)"
            )
        found.append(files[0])
    tasks = {read_metadata(f)["task"] for f in found}
    if len(tasks) > 1:
        raise ValueError(f"the folders hold records of different tasks ({', '.join(sorted(tasks))}): give --task")
    return tasks.pop(), [(f, read_records(f, None if metric is None else [metric])) for f in found]


def check_metric(metric: str, setting: str) -> None:
    """A clear error for a metric that does not exist in the setting."""
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} is not recorded per query; use one of {', '.join(METRICS)}")
    if metric in POOL_METRICS and setting != "multi":
        raise ValueError(f"{metric} exists only in the multilingual pool: use --setting multi")
