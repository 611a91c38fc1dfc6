"""Reference scores as a maintainer gets them: stock mteb on the exported tasks, read from the local export.

`local_tasks` imports the generated task files (mteb imports only) and points their dataset at the local
folders, so mteb's own loader reads the parquet files; `local_benchmark` runs the generated Benchmark source
with those tasks in mteb's registry. `reference_scores` runs `mteb.evaluate` on them, with mteb's own
`CachedEmbeddingWrapper` so each distinct text is encoded once (the scores are those of a plain run: the
wrapper returns the same vectors; tests/test_export.py checks plain search against the plugin to 1e-6).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mteb_hybrid import mteb_private
from mteb_hybrid.formats.export_kit import read_runs, write_runs

from .taskfile import load_task_classes

SCORES_DIR = "scores"  # its runs.json (formats/export_kit.py) says what produced the scores


def point_at(task_cls: type, folder: Path) -> type:
    """A subclass of a generated task class whose dataset path is the local folder (mteb's stock loader)."""
    meta = task_cls.metadata.model_copy(update={"dataset": {**task_cls.metadata.dataset, "path": str(folder)}})
    return type(task_cls.__name__, (task_cls,), {"metadata": meta, "__module__": task_cls.__module__})


def local_tasks(out: str | Path, names: Sequence[str] | None = None) -> dict[str, type]:
    """Generated task classes under `out`, each reading its dataset from out/datasets/<Task>."""
    out = Path(out)
    classes = load_task_classes(out)
    chosen = names or list(classes)
    missing = [n for n in chosen if n not in classes]
    if missing:
        raise LookupError(f"{out}: no generated task file for {', '.join(missing)}; export it first")
    return {n: point_at(classes[n], out / "datasets" / n) for n in chosen}


@contextlib.contextmanager
def registered(classes: dict[str, type]) -> Iterator[None]:
    """The classes in mteb's task registry for the duration (mteb.get_tasks finds them by name)."""
    with mteb_private.tasks_registered(classes):
        yield


def local_benchmark(out: str | Path) -> Any:
    """The kit's Benchmark with its tasks read from the local export, through the kit's own runner script (the
    code a maintainer runs with stock mteb)."""
    import runpy

    from .names import RUNNER

    out = Path(out)
    runner = runpy.run_path(str(out / RUNNER), run_name="_lareqa_kit_runner")
    return runner["load_benchmark"](out.resolve())


def reference_scores(
    out: str | Path, models: Sequence[str], names: Sequence[str] | None = None, *, batch_size: int = 32
) -> Path:
    """mteb.evaluate each model on the exported tasks; results under out/scores (mteb's ResultCache layout)."""
    import mteb
    from mteb.cache import ResultCache
    from mteb.models import CachedEmbeddingWrapper

    out = Path(out)
    target = out / SCORES_DIR
    tasks = [cls() for cls in local_tasks(out, names).values()]
    runs = read_runs(target)
    for name in models:
        model = mteb.get_model(name)
        meta = model.mteb_model_meta
        cache_dir = target / "embeddings" / meta.model_name_as_path() / str(meta.revision)
        wrapped = CachedEmbeddingWrapper(model, cache_path=cache_dir)
        started = datetime.now(timezone.utc)
        mteb.evaluate(
            wrapped,
            tasks,
            cache=ResultCache(target),
            encode_kwargs={"batch_size": batch_size},
            overwrite_strategy="only-missing",
        )
        runs[meta.name] = {
            "model": meta.name,
            "revision": meta.revision,
            "tasks": [t.metadata.name for t in tasks],
            "command": " ".join(["mteb-hybrid", *sys.argv[1:]]) if sys.argv else "",
            "date": started.strftime("%Y-%m-%d"),
            "threads": os.environ.get("OMP_NUM_THREADS", "all"),
            "mteb": mteb.__version__,
            "python": platform.python_version(),
        }
    write_runs(target, runs)
    return target


def load_scores(folder: str | Path) -> dict[tuple[str, str], dict[str, float]]:
    """(model, task) -> {subset: main score} from mteb result files under folder (any depth); each result is also
    keyed by ("revision:<model revision>", task), so the same weights match under another model name."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(data, dict) or "task_name" not in data or "scores" not in data:
            continue
        meta_path = path.parent / "model_meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        model = meta.get("name") or path.parent.parent.name
        rows = data["scores"].get("test", [])
        scores = {r["hf_subset"]: float(r["main_score"]) for r in rows}
        out[(model, data["task_name"])] = scores
        if meta.get("revision"):
            out.setdefault((f"revision:{meta['revision']}", data["task_name"]), scores)
    return out
