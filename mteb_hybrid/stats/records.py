"""Per-query records of a LAReQA evaluation: one typed parquet schema, its writer, its reader, and views.

Beside mteb's `<Task>.json` (one score per subset) the evaluation writes `<Task>.per_query.parquet`:
one row per (subset, query) with the query's own scores, each the value whose mean over the subset's
queries is the subset score of the same name in the JSON (`map` of a row is the query's average
precision; the subset's `map` is their mean). mteb evaluates and resumes subset by subset, so the
file is keyed by subset too: a resumed or partial run replaces exactly the subsets it re-ran, and a
cross-lingual average can be taken over any chosen set of languages when the file is read.

`query_scores` turns the rows into the paper's settings, one row per query: `mono` (the query's own
language), `cross` (mean over the cross-lingual pairs present), `multi` (the pool).

mteb's `--prediction-folder` output does not fit this job: it is a JSON of each query's top-k
candidate ids and scores per subset (about 3 million entries for XQuAD-R), carries no per-query
metric, and cannot give LAReQA's mAP or rank distance, which need the whole ranking.
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

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.files import write_atomic

FORMAT = "mteb-hybrid/per-query-records"
VERSION = 1
SUFFIX = ".per_query.parquet"
_META_KEY = b"mteb_hybrid"
POOL = "pool"
SETTINGS = ("mono", "cross", "multi")


@dataclass(frozen=True)
class Column:
    """One column of the record file: its name, Arrow type, and what it holds."""

    name: str
    type: pa.DataType
    doc: str
    pool_only: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("split", pa.string(), "mteb split, e.g. test"),
    Column("subset", pa.string(), "'<query lang>-<corpus lang>' or '<query lang>-pool'"),
    Column("query_id", pa.string(), "the query's id, '<lang>:<parallel id>'"),
    Column("parallel_id", pa.string(), "id shared by the translations of one question (the bootstrap's unit)"),
    Column("map", pa.float64(), "average precision over the whole ranking (LAReQA); the subset's map is the mean"),
    Column("ndcg_at_10", pa.float64(), "pytrec_eval's ndcg_cut_10 for this query, as mteb computed it"),
    Column("mrr_at_10", pa.float64(), "1/rank of the first relevant answer in mteb's top 10, else 0 (mteb's MRR@10)"),
    Column("rank_distance", pa.float64(), "worst minus best rank of the relevant answers (pools; null elsewhere)", True),
    Column("same_language_at_10", pa.float64(), "share of the top 10 in the query's language (pools; null elsewhere)", True),
)
KEY_COLUMNS = ("split", "subset", "query_id", "parallel_id")
METRICS = tuple(c.name for c in COLUMNS if c.name not in KEY_COLUMNS)
POOL_METRICS = tuple(c.name for c in COLUMNS if c.pool_only)
SCHEMA = pa.schema([pa.field(c.name, c.type, nullable=c.name not in KEY_COLUMNS) for c in COLUMNS])

_REWRITE = "re-run the evaluation of this task with --overwrite to rewrite its per-query records"


def records_path(result_json: str | Path) -> Path:
    """The record file that belongs beside mteb's `<Task>.json`."""
    p = Path(result_json)
    return p.with_name(p.name.removesuffix(".json") + SUFFIX)


def empty_records() -> pd.DataFrame:
    """A frame with the record columns and no rows."""
    return SCHEMA.empty_table().to_pandas()


def to_table(frame: pd.DataFrame) -> pa.Table:
    """`frame` (the record columns, any order) as an Arrow table of the schema."""
    missing = [c.name for c in COLUMNS if c.name not in frame.columns]
    if missing:
        raise ValueError(f"per-query records lack column(s) {missing}")
    cols = {c.name: (frame[c.name].astype(str) if c.type == pa.string() else frame[c.name].astype("float64"))
            for c in COLUMNS}
    return pa.Table.from_pandas(pd.DataFrame(cols), schema=SCHEMA, preserve_index=False)


def write_table(path: str | Path, table: pa.Table, *, task: str, model: str, revision: str | None,
                presorted: bool = False) -> Path:
    """Write a schema table to `path` atomically as parquet (zstd), sorted by split, subset and query.

    `presorted`: the caller built the table in that order (the sort is most of the cost of a write).
    """
    table = table.cast(SCHEMA)
    if not presorted:
        table = table.sort_by([("split", "ascending"), ("subset", "ascending"), ("query_id", "ascending")])
    meta = {"format": FORMAT, "version": VERSION, "task": task, "model": model, "revision": revision}
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    return write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_records(path: str | Path, frame: pd.DataFrame, *, task: str, model: str, revision: str | None) -> Path:
    """Write `frame` (the record columns) to `path` atomically; see `write_table`."""
    return write_table(path, to_table(frame), task=task, model=model, revision=revision)


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
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise DataFormatError(path, "metadata.mteb_hybrid.version",
                              f"format {meta.get('format')!r} version {meta.get('version')!r}, expected {FORMAT!r} "
                              f"version {VERSION}", _REWRITE)
    return meta


def read_table(path: str | Path, *, dictionary: bool = True, metrics: Sequence[str] | None = None) -> pa.Table:
    """The rows of a record file as an Arrow table (string columns dictionary-encoded), schema checked.

    `metrics`: read only these metric columns (with the key columns); default all.
    """
    read_metadata(path)
    wanted = [c for c in COLUMNS if metrics is None or c.name in KEY_COLUMNS or c.name in metrics]
    names = pq.read_schema(path).names
    for col in wanted:
        if col.name not in names:
            raise DataFormatError(path, col.name, "column missing", _REWRITE)
    table = pq.read_table(path, columns=[c.name for c in wanted],
                          read_dictionary=list(KEY_COLUMNS) if dictionary else None)
    for col in wanted:
        got = table.schema.field(col.name).type
        if pa.types.is_dictionary(got):
            got = got.value_type
        if (col.type == pa.string()) != pa.types.is_string(got) or (col.type != pa.string() and not pa.types.is_floating(got)):
            raise DataFormatError(path, col.name, f"type {got}, expected {col.type}", _REWRITE)
    return table


def read_records(path: str | Path, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of a record file as a frame (string columns as pandas categoricals), schema checked."""
    return read_table(path, metrics=metrics).to_pandas()


def _category_mask(column: pd.Series, test: Callable[[str], bool]) -> np.ndarray:
    """`test` applied once per distinct value of a categorical column, spread over its rows."""
    cat = column.astype("category")
    per_value = np.asarray([bool(test(str(v))) for v in cat.cat.categories] + [False])  # code -1 (missing): False
    return per_value[cat.cat.codes.to_numpy()]


def query_scores(records: pd.DataFrame, setting: str, languages: Iterable[str] | None = None,
                 split: str = "test") -> pd.DataFrame:
    """One row per query for one of the paper's settings: query_id, parallel_id, query_lang, metrics, n_subsets.

    mono: the query's own-language subset; cross: mean over its cross-lingual pairs; multi: its pool
    (the only setting with rank_distance and same_language_at_10). `languages` keeps queries in those
    languages and pairs whose both languages are among them, as the evaluation's `-l` does; a pool
    always holds every language's candidates.
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting {setting!r} is not one of {', '.join(SETTINGS)}")
    langs = set(languages) if languages is not None else None

    def wanted(subset: str) -> bool:
        q, _, c = subset.partition("-")
        in_setting = {"mono": q == c, "cross": q != c and c != POOL, "multi": c == POOL}[setting]
        return in_setting and (langs is None or (q in langs and (c == POOL or c in langs)))

    keep = _category_mask(records["subset"], wanted) & _category_mask(records["split"], lambda v: v == split)
    metrics = [m for m in METRICS if m in records.columns and (setting == "multi" or m not in POOL_METRICS)]
    keys = ["query_id", "parallel_id"]
    rows = records.loc[keep, keys + metrics]
    grouped = rows.groupby(keys, sort=False, observed=True)
    out = grouped[metrics].mean()
    out["n_subsets"] = grouped.size()
    out = out.reset_index()
    for k in keys:
        out[k] = out[k].astype(str)
    out = out.sort_values("query_id", ignore_index=True)
    out.insert(2, "query_lang", [q.partition(":")[0] for q in out["query_id"]])
    return out


def find_record_files(folder: str | Path, task: str | None = None) -> list[Path]:
    """Record files under `folder` (a results root, a model folder, a revision folder, or a file itself)."""
    p = Path(folder)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such results folder")
    pattern = f"{task}{SUFFIX}" if task else f"*{SUFFIX}"
    return sorted(p.rglob(pattern))


def load_side(folders: Sequence[str | Path], task: str | None = None,
              metric: str | None = None) -> tuple[str, list[tuple[Path, pd.DataFrame]]]:
    """The task name and the records of one side of a comparison: one record file per folder (one per seed).

    A folder must hold exactly one record file of the task; name the task (`task=`) when it holds several.
    """
    found: list[Path] = []
    for folder in folders:
        files = find_record_files(folder, task)
        if not files:
            raise FileNotFoundError(
                f"{folder}: no per-query records ({'<Task>' if task is None else task}{SUFFIX}); results written "
                "before per-query records existed have none: re-run that evaluation with --overwrite"
            )
        if len(files) > 1:
            names = ", ".join(str(f) for f in files[:6])
            raise ValueError(f"{folder}: {len(files)} record files ({names}); give --task, or one folder per model "
                             "and seed (comma-separated)")
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


__all__ = [
    "COLUMNS", "FORMAT", "METRICS", "POOL_METRICS", "SCHEMA", "SETTINGS", "SUFFIX", "VERSION", "Column",
    "check_metric", "empty_records", "find_record_files", "load_side", "query_scores", "read_metadata",
    "read_records", "read_table", "records_path", "to_table", "write_records", "write_table",
]
