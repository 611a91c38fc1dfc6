"""Every private (or unexported) mteb name the plugin touches, in one place.

mteb has no plugin entry points, so registering tasks and models means writing its registries. Everything of
that kind goes through here: when an mteb release renames one of them, `missing()` says which, and
tests/test_mteb_private.py fails with that sentence instead of the plugin breaking in silence. Written against
mteb 2.26; mteb is imported only when a function is called.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# module -> the names of it that the plugin reads or writes
USED: dict[str, tuple[str, ...]] = {
    "mteb.get_tasks": ("_TASKS_REGISTRY", "_SIMILAR_TASKS", "TASK_LIST"),
    "mteb.benchmarks.get_benchmark": ("_build_registry", "_build_aliases_registry"),
    "mteb.models.model_implementations": ("MODEL_REGISTRY",),
    "mteb._create_dataloaders": ("create_dataloader",),
    "mteb.abstasks.task_metadata": ("TaskMetadata",),
}


def _module(name: str) -> Any:
    return importlib.import_module(name)


def missing() -> list[str]:
    """One sentence per private name this mteb no longer has ([] when every one is there)."""
    import mteb

    out = []
    for module, names in USED.items():
        try:
            found = _module(module)
        except ImportError:
            out.append(f"mteb {mteb.__version__} has no module {module}")
            continue
        out += [f"mteb {mteb.__version__} has no {module}.{n}" for n in names if not hasattr(found, n)]
    from mteb.abstasks.task_metadata import TaskMetadata

    if "descriptive_stat_path" not in TaskMetadata.__dict__:
        out.append(f"mteb {mteb.__version__} has no TaskMetadata.descriptive_stat_path")
    return [f"{line}: update mteb_hybrid/mteb_private.py for it" for line in out]


def task_registry() -> dict[str, type]:
    """mteb's task name -> task class registry (what `mteb.get_tasks` reads)."""
    return _module("mteb.get_tasks")._TASKS_REGISTRY


def add_tasks(task_classes: dict[str, type]) -> None:
    """Put `task_classes` into mteb's task registry, its list of tasks and its similar-task index."""
    gt = _module("mteb.get_tasks")
    for name, cls in task_classes.items():
        gt._TASKS_REGISTRY[name] = cls
        for parent in cls.metadata.adapted_from or []:
            if name not in gt._SIMILAR_TASKS[parent]:
                gt._SIMILAR_TASKS[parent].append(name)
    gt.TASK_LIST = tuple(t for t in gt.TASK_LIST if t.metadata.name not in task_classes) + tuple(task_classes.values())


@contextlib.contextmanager
def tasks_registered(task_classes: dict[str, type]) -> Iterator[None]:
    """`task_classes` in mteb's task registry for the duration, the registry as it was afterwards."""
    registry = task_registry()
    saved = {name: registry[name] for name in task_classes if name in registry}
    registry.update(task_classes)
    try:
        yield
    finally:
        for name in task_classes:
            registry.pop(name, None)
        registry.update(saved)


def clear_benchmark_caches() -> None:
    """mteb builds its benchmark registry once: clear it so that benchmarks added since are found."""
    gb = _module("mteb.benchmarks.get_benchmark")
    gb._build_registry.cache_clear()
    gb._build_aliases_registry.cache_clear()


def model_registry() -> dict[str, Any]:
    """mteb's model name -> ModelMeta registry."""
    return _module("mteb.models.model_implementations").MODEL_REGISTRY


def create_dataloader(*args: Any, **kwargs: Any) -> Any:
    """mteb's dataloader for a task's texts (it applies the task's prompt types as mteb's own search does)."""
    make: Callable[..., Any] = _module("mteb._create_dataloaders").create_dataloader
    return make(*args, **kwargs)


@contextlib.contextmanager
def descriptive_stats_at(target: Path) -> Iterator[None]:
    """mteb writes and reads descriptive statistics inside its installed package; send them to `target` for the
    duration (the class's property swapped and put back: mteb has no setting for it)."""
    from mteb.abstasks.task_metadata import TaskMetadata

    original = TaskMetadata.__dict__["descriptive_stat_path"]
    TaskMetadata.descriptive_stat_path = property(lambda self: target)
    try:
        yield
    finally:
        TaskMetadata.descriptive_stat_path = original
