"""`mteb-hybrid export`: the plugin's tasks as mteb would hold them, under the output folder:

    datasets/<Task>/                              a Hugging Face dataset folder (layout.py) with its card
    mteb/tasks/retrieval/multilingual/<task>.py   the task file for mteb's repository (taskfile.py)
    mteb/descriptive_stats/Retrieval/<Task>.json  mteb's descriptive statistics

The rows are the plugin's own (`build_splits`): a model scores the same on both tasks (tests/test_export.py).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mteb_hybrid.data.definitions import task_names
from mteb_hybrid.files import safe_name

from . import layout
from .card import dataset_card, local_stats_path
from .citation import format_bibtex
from .names import ExportedTask
from .taskfile import render_task_file, stats_file_path, task_file_path
from .writer import KitWriter, digest

if TYPE_CHECKING:
    from mteb_hybrid.benchmark.subsets import Subset

logger = logging.getLogger(__name__)

TASKS = task_names()
COMPACT_DEFAULT = task_names(("sentence+context",))  # --compact: one task per dataset (the sentence with context)
DEFAULT_HUB_ORG = "mteb"
# mteb's own tasks one letter away from these: a name given by mistake gets this hint
NEAR_MISS = {
    "XQuADRetrieval": "; XQuADRetrieval is mteb's own monolingual XQuAD paragraph retrieval, not LAReQA's XQuAD-R "
    "(note the second R: XQuADRRetrieval / XQuADRSentenceRetrieval)",
    "MLQARetrieval": "; MLQARetrieval is mteb's own MLQA retrieval (49 language pairs, its own corpus), not LAReQA's "
    "MLQA-R (note the second R: MLQARRetrieval / MLQARSentenceRetrieval)",
}


def dataset_files(task, folder: str, put, data=None) -> tuple[list[Subset], list[str], int, dict]:  # noqa: ANN001
    """The parquet files (given to `put(rel, bytes)`) of `task`'s subsets over `data` (default: its files);
    returns the subsets, files, per-config size and the splits."""
    from mteb_hybrid.benchmark.subsets import Subset, build_splits

    d = task.definition
    names = list(task.hf_subsets)
    data = data if data is not None else task.read_files()
    splits = build_splits(data, names, task.candidate_form, pool_langs=d.langs)
    subsets = [Subset.parse(name) for name in names]
    written: dict[str, int] = {}

    def add(rel: str, columns: dict) -> None:
        data_bytes = layout.parquet_bytes(columns)
        put(f"{folder}/{rel}", data_bytes)
        written[rel] = len(data_bytes)

    for lang in [lang for lang in d.langs if any(lang in s.corpus_langs(d.langs) for s in subsets)]:
        cands = data.languages[lang].candidates
        add(
            layout.corpus_file(lang),
            {"id": [c.id for c in cands], "text": [c.text(task.candidate_form) for c in cands]},
        )
    for lang in [lang for lang in d.langs if any(s.query_lang == lang for s in subsets)]:
        qs = data.languages[lang].questions
        add(layout.queries_file(lang), {"id": [q.id for q in qs], "text": [q.text for q in qs]})
    for s in subsets:
        rel = splits[s.name]["relevant_docs"]
        rows = [(q, doc, score) for q, docs in rel.items() for doc, score in docs.items()]
        add(
            layout.qrels_file(s.name),
            {"query-id": [r[0] for r in rows], "corpus-id": [r[1] for r in rows], "score": [int(r[2]) for r in rows]},
        )
    per_config = sum(
        written[layout.queries_file(s.query_lang)]
        + written[layout.qrels_file(s.name)]
        + sum(written[layout.corpus_file(lang)] for lang in s.corpus_langs(d.langs))
        for s in subsets
    )
    return subsets, sorted(written), per_config, splits


def _compute_stats(source: str, splits: dict[str, dict], target: Path) -> bytes:
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
        return written.read_bytes()


def plugin_task(name: str, data_dir: str | Path | None, languages: Sequence[str] | None):  # noqa: ANN201
    """The plugin's task `name`, narrowed to `languages`; LookupError naming mteb's near-miss tasks."""
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    if name not in TASK_CLASSES:
        hint = NEAR_MISS.get(name, "")
        raise LookupError(f"--tasks: unknown task {name!r}; choose from {', '.join(TASKS)}{hint}")
    task = TASK_CLASSES[name](data_dir=data_dir)
    if languages:
        task.filter_languages(list(languages))
    return task


def build_task(
    task,
    writer: KitWriter,
    *,
    hub_org: str = DEFAULT_HUB_ORG,
    revision: str | None = None,  # noqa: ANN001
    stats: bool = True,
    name: str | None = None,
    data=None,
    description: str | None = None,  # noqa: ANN001
    command: str | None = None,
    note: str = "",
) -> ExportedTask:
    """Add the dataset folder, card, statistics and task file of one (plugin) task to `writer`.

    `revision`: the hub commit of the uploaded folder if known, else the folder's content digest (hub.py replaces
    it). `name`, `description`: the upstream task's (default: the plugin's). `data`: the rows' source (default:
    the task's files; the compact variant passes its sample).
    """
    start = time.perf_counter()
    name = name or task.metadata.name
    meta = task.metadata.model_copy(
        update={
            "name": name,
            "eval_langs": {s: task.metadata.eval_langs[s] for s in task.hf_subsets},
            "description": description or task.metadata.description,
            "bibtex_citation": format_bibtex(task.metadata.bibtex_citation or ""),
        }
    )
    folder = f"datasets/{safe_name(name, 'task name')}"
    writer.manage(folder)
    subsets, files, per_config, splits = dataset_files(task, folder, writer.add, data)
    hub_path = f"{hub_org}/{name}"
    stats_rel = stats_file_path(Path(), name).as_posix()
    card_meta = meta.model_copy(update={"description": meta.description})
    with tempfile.TemporaryDirectory(prefix="mteb-hybrid-card-") as tmp:
        stats_tmp = Path(tmp) / f"{name}.json"
        if stats:
            stats_bytes = _compute_stats(render_task_file(meta, hub_path, "local"), splits, stats_tmp)
            stats_tmp.write_bytes(stats_bytes)
            writer.add(stats_rel, stats_bytes)
        writer.add(
            f"{folder}/README.md",
            dataset_card(
                card_meta,
                task.definition,
                task.candidate_form,
                subsets,
                hub_path,
                stats_tmp if stats else None,
                command,
                note,
            ),
        )
    rev = revision or digest(writer.files, folder)
    task_rel = task_file_path(Path(), name).as_posix()
    writer.add(task_rel, render_task_file(meta, hub_path, rev))
    root = writer.root
    size = sum(len(v) for k, v in writer.files.items() if k.startswith(folder + "/"))
    result = ExportedTask(
        name,
        root / folder,
        root / task_rel,
        root / stats_rel if stats else None,
        [s.name for s in subsets],
        rev,
        sorted([*files, "README.md"]),
        size,
        per_config,
        time.perf_counter() - start,
    )
    result.splits = splits
    logger.info("%s: %d subsets, %.1f MB in %s (%.1f s)", name, len(subsets), size / 1e6, folder, result.seconds)
    return result


def export_task(
    name: str,
    out: str | Path,
    *,
    data_dir: str | Path | None = None,
    languages: Sequence[str] | None = None,
    hub_org: str = DEFAULT_HUB_ORG,
    revision: str | None = None,
    stats: bool = True,
    overwrite: bool = False,
) -> ExportedTask:
    """Write the dataset folder, descriptive statistics and task file of one task under `out` (see `export`)."""
    [result] = export(
        out,
        [name],
        data_dir=data_dir,
        languages=languages,
        hub_org=hub_org,
        revision=revision,
        stats=stats,
        overwrite=overwrite,
    )
    return result


def _compact_build(task, writer: KitWriter, **kwargs) -> ExportedTask:  # noqa: ANN001, ANN003
    """The compact variant of a plugin task (compact.py) under its upstream name."""
    from .compact import COMPACT_NAMES, COMPACT_QUESTIONS, COMPACT_SEED, sample

    d = task.definition
    picked = sample(task.read_files(), d.pivot_language or d.langs[0])
    task.hf_subsets = picked.subsets
    plugin = task.metadata.name
    name = COMPACT_NAMES[plugin]
    n_q = sum(len(x.questions) for x in picked.data.languages.values())
    n_c = sum(len(x.candidates) for x in picked.data.languages.values())
    description = (
        f"{task.metadata.description} Compact version of mteb-hybrid's {plugin}: {len(picked.parallel_ids)} "
        f"questions with all their translations ({n_q} queries), the {n_c} sentences of their answer "
        f"paragraphs, and the monolingual, {d.pivot_language or d.langs[0]}-pivot and pool subsets."
    )
    note = (
        f"\n### Compact sample\n\nWhole {d.pivot_language} paragraphs drawn with numpy's default_rng({COMPACT_SEED}) "
        f"until at least {COMPACT_QUESTIONS} {d.pivot_language} questions; every translation of a kept question "
        "is kept (sampling by parallel id), and every sentence of every paragraph that holds a kept answer, in "
        f"every language. {len(picked.subsets)} subsets: X-X, {d.pivot_language}-X, "
        f"X-{d.pivot_language} and the pools.\n"
    )
    return build_task(
        task,
        writer,
        name=name,
        data=picked.data,
        description=description,
        note=note,
        command=f"mteb-hybrid export OUT --compact --tasks {plugin}",
        **kwargs,
    )


def export(
    out: str | Path,
    tasks: Sequence[str] = TASKS,
    *,
    data_dir: str | Path | None = None,
    languages: Sequence[str] | None = None,
    hub_org: str = DEFAULT_HUB_ORG,
    revision: str | None = None,
    stats: bool = True,
    overwrite: bool = False,
    compact: bool = False,
    kit: bool = False,
    full_results: Sequence[Path] | None = None,
) -> list[ExportedTask]:
    """Dataset folder, card, statistics and task file of each task under `out`, written together at the end.

    `compact`: the compact variants (compact.py) under their upstream names instead of the full tasks.
    `kit`: also the PR kit (kit.py): benchmark, leaderboard menu entry, upload script, PR description.
    Never removes or replaces a file it did not write (writer.py): such files stop the export before any work,
    unless `overwrite`. Same input, same bytes.
    """
    if compact and languages:
        raise ValueError("--compact keeps every language (its subsets are fixed); leave out -l/--languages")
    writer = KitWriter(out, overwrite=overwrite)
    chosen = [plugin_task(name, data_dir, languages) for name in tasks]
    if compact:
        from .compact import COMPACT_NAMES

        names = [COMPACT_NAMES[t.metadata.name] for t in chosen]
    else:
        names = [t.metadata.name for t in chosen]
    for name in names:
        writer.manage(f"datasets/{safe_name(name, 'task name')}")
    writer.check()  # before the costly part
    build = _compact_build if compact else build_task
    results = [build(task, writer, hub_org=hub_org, revision=revision, stats=stats) for task in chosen]
    if kit:
        from .kit import add_kit

        add_kit(
            writer,
            results,
            compact=compact,
            data_dir=data_dir,
            **({"full_results": full_results} if full_results is not None else {}),
        )
    writer.commit()
    return results


def summary_json(results: Sequence[ExportedTask]) -> str:
    """The figures of an export (sizes, subsets, revision, time) as JSON, for logs and the README."""
    return json.dumps(
        [
            {
                "task": r.name,
                "subsets": len(r.subsets),
                "files": len(r.files),
                "bytes": r.size_bytes,
                "per_config_layout_bytes": r.per_config_bytes,
                "revision": r.revision,
                "seconds": round(r.seconds, 1),
            }
            for r in results
        ],
        indent=2,
    )
