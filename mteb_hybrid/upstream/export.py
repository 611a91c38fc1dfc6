"""`mteb-hybrid export`: the plugin's tasks as mteb would hold them, under the output folder:

    datasets/<Task>/                              a Hugging Face dataset folder (layout.py) with its card
    mteb/tasks/retrieval/multilingual/<task>.py   the task file for mteb's repository (taskfile.py)
    mteb/descriptive_stats/Retrieval/<Task>.json  mteb's descriptive statistics

The rows are the plugin's own (`build_splits`): a model scores the same on both tasks (tests/test_export.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

from mteb_hybrid.files import safe_name, write_atomic

from . import layout
from .card import dataset_card
from .taskfile import render_task_file, stats_file_path, task_file_path

if TYPE_CHECKING:
    from mteb_hybrid.benchmark.subsets import Subset

logger = logging.getLogger(__name__)

TASKS = ("XQuADRRetrieval", "MLQARRetrieval", "XQuADRSentenceRetrieval", "MLQARSentenceRetrieval")
DEFAULT_HUB_ORG = "mteb"


@dataclass
class ExportedTask:
    """What `export_task` wrote, with the figures the README and the report quote."""

    name: str
    folder: Path
    task_file: Path
    stats_file: Path | None
    subsets: list[str]
    revision: str
    files: list[str] = field(default_factory=list)
    size_bytes: int = 0
    per_config_bytes: int = 0  # what push_dataset_to_hub's one-copy-per-config layout would hold (sum over configs)
    seconds: float = 0.0


def _write_dataset(task, root: Path) -> tuple[list[Subset], list[str], int, dict]:  # noqa: ANN001
    """The parquet files; returns the subsets, the files written, the per-config size and the plugin's splits."""
    from mteb_hybrid.benchmark.subsets import Subset, build_splits

    d = task.definition
    names = list(task.hf_subsets)
    data = task.read_files()
    splits = build_splits(data, names, task.candidate_form, pool_langs=d.langs)
    subsets = [Subset.parse(name) for name in names]
    written: dict[str, int] = {}

    def put(rel: str, columns: dict) -> None:
        data_bytes = layout.parquet_bytes(columns)
        write_atomic(root / rel, data_bytes)  # readers never see half a parquet file
        written[rel] = len(data_bytes)

    for lang in [lang for lang in d.langs if any(lang in s.corpus_langs(d.langs) for s in subsets)]:
        cands = data.languages[lang].candidates
        put(layout.corpus_file(lang), {"id": [c.id for c in cands], "text": [c.text(task.candidate_form) for c in cands]})
    for lang in [lang for lang in d.langs if any(s.query_lang == lang for s in subsets)]:
        qs = data.languages[lang].questions
        put(layout.queries_file(lang), {"id": [q.id for q in qs], "text": [q.text for q in qs]})
    for s in subsets:
        rel = splits[s.name]["relevant_docs"]
        rows = [(q, doc, score) for q, docs in rel.items() for doc, score in docs.items()]
        put(layout.qrels_file(s.name), {"query-id": [r[0] for r in rows], "corpus-id": [r[1] for r in rows],
                                        "score": [int(r[2]) for r in rows]})
    per_config = sum(written[layout.queries_file(s.query_lang)] + written[layout.qrels_file(s.name)]
                     + sum(written[layout.corpus_file(lang)] for lang in s.corpus_langs(d.langs)) for s in subsets)
    return subsets, sorted(written), per_config, splits


def _remove_stale(root: Path, keep: set[str]) -> None:
    """Files of an earlier export with another selection would be read by nobody and change the digest."""
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in keep and not path.name.startswith("."):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


@contextlib.contextmanager
def local_stats_path(target: Path) -> Iterator[None]:
    """mteb writes and reads descriptive statistics inside its installed package; send them to `target`."""
    from mteb.abstasks.task_metadata import TaskMetadata

    with mock.patch.object(TaskMetadata, "descriptive_stat_path", new_callable=mock.PropertyMock, return_value=target):
        yield


def _compute_stats(source: str, splits: dict[str, dict], target: Path) -> None:
    """mteb's own `calculate_descriptive_statistics` on the generated task, given the exported rows in memory.

    Reading the folder back would convert the shared corpus files once per config (132 times for XQuAD-R);
    tests/test_export.py checks that the loader reads these very rows from the folder.
    """
    namespace: dict = {}
    exec(compile(source, str(target), "exec"), namespace)  # the generated file: imports mteb only
    cls = next(v for k, v in namespace.items() if isinstance(v, type) and k not in {"AbsTaskRetrieval", "TaskMetadata"})
    task = cls()
    task.dataset = {name: {layout.SPLIT: split} for name, split in splits.items()}
    task.data_loaded = True
    with tempfile.TemporaryDirectory(prefix="mteb-hybrid-stats-") as tmp:
        written = Path(tmp) / target.name
        with local_stats_path(written):
            task.calculate_descriptive_statistics(overwrite_results=True)
        write_atomic(target, written.read_bytes())


def export_task(name: str, out: str | Path, *, data_dir: str | Path | None = None,
                languages: Sequence[str] | None = None, hub_org: str = DEFAULT_HUB_ORG,
                revision: str | None = None, stats: bool = True) -> ExportedTask:
    """Write the dataset folder, descriptive statistics and task file of one task under `out`.

    `revision`: the hub commit of the uploaded folder if known, else the folder's content digest (hub.py replaces it).
    """
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    start = time.perf_counter()
    out = Path(out)
    if name not in TASK_CLASSES:
        raise LookupError(f"--tasks: unknown task {name!r}; choose from {', '.join(TASKS)}")
    task = TASK_CLASSES[name](data_dir=data_dir)
    if languages:
        task.filter_languages(list(languages))
    meta = task.metadata.model_copy(update={"eval_langs": {s: task.metadata.eval_langs[s] for s in task.hf_subsets}})
    root = out / "datasets" / safe_name(name, "task name")
    subsets, files, per_config, splits = _write_dataset(task, root)
    hub_path = f"{hub_org}/{name}"
    stats_file = stats_file_path(out, name)
    if stats:
        _compute_stats(render_task_file(meta, hub_path, "local"), splits, stats_file)
    write_atomic(root / "README.md", dataset_card(meta, task.definition, task.candidate_form, subsets, hub_path,
                                                  stats_file if stats else None))
    keep = {*files, "README.md"}
    _remove_stale(root, keep)
    rev = revision or layout.folder_digest(root)
    task_file = task_file_path(out, name)
    write_atomic(task_file, render_task_file(meta, hub_path, rev))
    result = ExportedTask(name, root, task_file, stats_file if stats else None, [s.name for s in subsets], rev,
                          sorted(keep), sum(p.stat().st_size for p in root.rglob("*") if p.is_file()), per_config,
                          time.perf_counter() - start)
    logger.info("%s: %d subsets, %.1f MB in %s (%.1f s)", name, len(subsets), result.size_bytes / 1e6, root, result.seconds)
    return result


def export(out: str | Path, tasks: Sequence[str] = TASKS, **kwargs) -> list[ExportedTask]:  # noqa: ANN003
    """`export_task` for each task; `kwargs` as there."""
    return [export_task(name, out, **kwargs) for name in tasks]


def summary_json(results: Sequence[ExportedTask]) -> str:
    """The figures of an export (sizes, subsets, revision, time) as JSON, for logs and the README."""
    return json.dumps([{"task": r.name, "subsets": len(r.subsets), "files": len(r.files), "bytes": r.size_bytes,
                        "per_config_layout_bytes": r.per_config_bytes, "revision": r.revision,
                        "seconds": round(r.seconds, 1)} for r in results], indent=2)
