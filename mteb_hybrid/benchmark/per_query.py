"""Per-query records from a LAReQA task's evaluation, written beside mteb's result file.

The task computes each subset's rows from the arrays of its subset scores and adds them to the `RecordBuffer`
it was given (`task.records`; the package's result cache hands its own to the tasks it saves: no global state).
After every subset mteb saves the result through that cache, which calls the buffer's `flush`: the record
file is rewritten atomically to hold exactly the result's subsets, so records and scores always agree.
When a run resumes, the cache loads the result through `keep_recorded`: a subset of the JSON that its
records file lacks (or all, when that file is unreadable or another model's) is evaluated again, so that no
records file lacks a subset of its result. A result with no records file at all (written by `mteb run`, or
before records existed) is kept as it is, and gets no records file holding only some of its subsets.
Plain `mteb run` saves through mteb's own cache, gives the tasks no buffer and writes no records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.formats import per_query as rec

logger = logging.getLogger(__name__)


def reciprocal_ranks(
    query_ids: Sequence[str],
    qrels: Mapping[str, Mapping[str, int]],
    results: Mapping[str, Mapping[str, float]],
    k: int = 10,
) -> dict[str, float]:
    """mteb's MRR@k per query: 1/rank of the first relevant doc in the top k, ranked by (score, doc id) descending.

    mteb's `retrieval_metrics.mrr` ordering with a C-level sort key (mteb's cost more than all other records
    together); tests/test_compare.py checks the two agree, ties included.
    """
    key = itemgetter(1, 0)
    out = {}
    for q in query_ids:
        relevant = qrels[q]
        top = sorted(results.get(q, {}).items(), key=key, reverse=True)[:k]
        out[q] = next((1.0 / (i + 1) for i, (doc, _) in enumerate(top) if relevant.get(doc, 0) > 0), 0.0)
    return out


def subset_frame(
    split: str,
    subset: str,
    query_ids: Sequence[str],
    computed: Mapping[str, np.ndarray],
    pytrec_scores: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    results: Mapping[str, Mapping[str, float]],
) -> pd.DataFrame:
    """The record rows of one subset, one per query of `query_ids` (the rows `computed` was computed for).

    `computed`: the plugin's per-query metrics by name (map; on pools also rank_distance, same_language_at_10);
    nDCG@10 and MRR@10 are mteb's own per query; a metric of the schema that neither gives is NaN.
    """
    if unknown := sorted(set(computed) - set(rec.METRICS)):
        raise ValueError(f"per-query metrics {unknown} are not in the records schema (formats/per_query.py)")
    rr = reciprocal_ranks(query_ids, qrels, results)
    columns: dict[str, Any] = {
        "ndcg_at_10": [pytrec_scores.get(q, {}).get("ndcg_cut_10", np.nan) for q in query_ids],
        "mrr_at_10": [rr.get(q, np.nan) for q in query_ids],
        **{name: np.asarray(values, dtype=float) for name, values in computed.items()},
    }
    none = np.full(len(query_ids), np.nan)
    return pd.DataFrame(
        {
            "split": split,
            "subset": subset,
            "query_id": list(query_ids),
            "parallel_id": [q.split(":", 1)[-1] for q in query_ids],  # query ids are "<lang>:<parallel id>"
            **{name: columns.get(name, none) for name in rec.METRICS},
        }
    )


@dataclass
class _Pending:
    """Rows computed in this process for one (task, model, revision), and the file's rows, read once.

    Kept per (split, subset), sorted by query id: a write concatenates blocks instead of sorting 157,080 rows.
    """

    rows: dict[tuple[str, str], pa.Table] = field(default_factory=dict)
    on_disk: dict[tuple[str, str], pa.Table] | None = None
    path: Path | None = None  # the file `on_disk` was read from
    had_file: bool = False  # whether that file existed (readable or not) when first read
    dirty: bool = False
    evaluation: rec.Evaluation | None = None  # the settings the rows were computed with


def _block(frame: pd.DataFrame) -> pa.Table:
    """The rows of one (split, subset) as a schema table sorted by query id."""
    return rec.to_table(frame).replace_schema_metadata(None).sort_by("query_id")


def _merged(held: rec.Evaluation | None, new: rec.Evaluation | None, where: str) -> rec.Evaluation | None:
    """One evaluation record for rows of both; a clear error when their settings differ (never mixed)."""
    if held is None or new is None:
        return new or held
    if (settings := rec.merged_settings(held.settings, new.settings)) is None:
        raise ValueError(
            f"{where}: rows computed with other evaluation settings ({held.settings}) than this run's "
            f"({new.settings}). Fix: re-run with --overwrite, or write to another --output-folder"
        )
    return new.model_copy(update={"settings": settings})


class RecordBuffer:
    """The per-query rows an evaluation computed, per (task, model, revision), until its result cache saves them.

    One buffer is shared by a result cache and the tasks it saves (`AtomicResultCache.collect_records_of`), so
    rows travel as data from the task that computes them to the cache that writes them.
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str, str | None], _Pending] = {}

    def add(
        self, task: str, model: str, revision: str | None, frame: pd.DataFrame, evaluation: rec.Evaluation | None = None
    ) -> None:
        """Hold one subset's rows (computed with `evaluation`'s settings) until the result cache saves the result."""
        if frame.empty:
            return
        entry = self._pending.setdefault((task, model, revision), _Pending())
        entry.evaluation = _merged(entry.evaluation, evaluation, f"{task}: {model} at {revision} in this process")
        entry.rows[(str(frame["split"].iloc[0]), str(frame["subset"].iloc[0]))] = _block(frame)
        entry.dirty = True

    def release(self, task: str) -> None:
        """Forget the rows held for `task` (every model): its evaluation has ended."""
        for key in [k for k in self._pending if k[0] == task]:
            del self._pending[key]

    def flush(
        self, result_path: str | Path, task_result: Any, model_name: Any, model_revision: str | None = None
    ) -> Path | None:
        """Rewrite the records beside `result_path` to hold the subsets of `task_result`; None if none were
        computed. Rows computed in this process win over rows on disk (a resumed run); an unreadable file is
        replaced."""
        name, model_revision = _model_key(model_name, model_revision)
        entry = self._pending.get((task_result.task_name, name, model_revision))
        if entry is None or not entry.dirty:
            return None
        return _write(entry, rec.records_path(result_path), task_result, name, model_revision)


def _model_key(model_name: Any, model_revision: str | None) -> tuple[str, str | None]:
    if hasattr(model_name, "name") and hasattr(model_name, "revision"):  # mteb's ModelMeta
        return str(model_name.name), model_name.revision
    return str(model_name), model_revision


def recorded_subsets(path: Path, task: str, model: str, revision: str | None) -> set[tuple[str, str]] | None:
    """(split, subset) pairs with rows in the records file at `path`; none when it is unreadable or another
    model's (with a warning naming it); None when there is no such file."""
    if not path.is_file():
        return None
    try:
        meta = rec.read_metadata(path)
        if (meta.get("task"), meta.get("model"), meta.get("revision")) != (task, model, revision):
            logger.warning(
                "%s: per-query records of %s %s at %s, not of %s %s at %s; evaluating again",
                path,
                meta.get("task"),
                meta.get("model"),
                meta.get("revision"),
                task,
                model,
                revision,
            )
            return set()
        table = rec.read_table(path, dictionary=False, metrics=[])  # the key columns
    except DataFormatError as e:
        logger.warning("unreadable per-query records (%s); the subsets they held are evaluated again", e)
        return set()
    return set(zip(table["split"].to_pylist(), table["subset"].to_pylist()))


def keep_recorded(task_result: Any, result_path: str | Path, model_name: Any, model_revision: str | None = None) -> Any:
    """`task_result` (a LAReQA result loaded to resume) less the subsets its records file lacks, so that mteb
    evaluates them again; None when none is left. The caller passes only LAReQA tasks' results (others have no
    records)."""
    if task_result is None:
        return task_result
    name, revision = _model_key(model_name, model_revision)
    path = rec.records_path(result_path)
    recorded = recorded_subsets(path, task_result.task_name, name, revision)
    if recorded is None:  # no records at all: `mteb run`'s result, or one older than records; flush writes none
        return task_result
    scores = {
        split: [s for s in subsets if (split, s.get("hf_subset")) in recorded]
        for split, subsets in task_result.scores.items()
    }
    lacking = sorted(
        f"{split}/{s.get('hf_subset')}"
        for split, subsets in task_result.scores.items()
        for s in subsets
        if (split, s.get("hf_subset")) not in recorded
    )
    if not lacking:
        return task_result
    logger.warning(
        "%s: %d subset(s) of %s have no per-query records in %s (%s); evaluating them again",
        name,
        len(lacking),
        Path(result_path).name,
        path.name,
        ", ".join(lacking[:5]) + (" ..." if len(lacking) > 5 else ""),
    )
    scores = {split: subsets for split, subsets in scores.items() if subsets}
    return task_result.model_copy(update={"scores": scores}) if scores else None


def _write(entry: _Pending, path: Path, task_result: Any, name: str, model_revision: str | None) -> Path | None:
    """Write `entry`'s rows, merged with those already in `path`, for the subsets of `task_result`."""
    if entry.on_disk is None or entry.path != path:  # another output folder: read its own file
        entry.path, entry.on_disk, entry.had_file = path, {}, path.is_file()
        if entry.had_file:
            try:
                frame = rec.read_table(path, dictionary=False).to_pandas()
                on_disk = rec.read_evaluation(path)
            except DataFormatError as e:
                logger.warning("replacing unreadable per-query records: %s", e)
            else:
                if on_disk is None and entry.evaluation is not None:
                    raise ValueError(
                        f"{path}: its records do not say how they were computed (written before "
                        "evaluation settings were recorded). Fix: re-run with --overwrite"
                    )
                entry.evaluation = _merged(on_disk, entry.evaluation, str(path))
                entry.on_disk = {key: _block(rows) for key, rows in frame.groupby(["split", "subset"])}
    keep = {(split, s["hf_subset"]) for split, scores in task_result.scores.items() for s in scores}
    blocks = {**entry.on_disk, **entry.rows}  # rows computed now win
    if lacking := sorted(f"{split}/{subset}" for split, subset in keep - set(blocks)):
        if not entry.had_file:  # subsets scored with no records kept: a file of the others would look complete
            logger.warning(
                "%s: not written: the result's subsets %s have no per-query records (scored by `mteb run` "
                "or before records existed); re-run with --overwrite to record every subset",
                path,
                ", ".join(lacking[:5]) + (" ..." if len(lacking) > 5 else ""),
            )
            entry.dirty = False
            return None
        # a readable file lacking them (keep_recorded re-evaluates those): the next run scores them again
        logger.warning(
            "%s: no per-query records for %s; they are evaluated again on the next run", path, ", ".join(lacking)
        )
    parts = [blocks[k] for k in sorted(blocks) if k in keep] or [rec.SCHEMA.empty_table()]
    rec.write_table(
        path,
        pa.concat_tables(parts),
        task=task_result.task_name,
        model=name,
        revision=model_revision,
        presorted=True,
        evaluation=entry.evaluation,
    )
    entry.dirty = False
    return path
