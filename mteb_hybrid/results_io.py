"""Writing mteb results without losing any: atomic files, no silent overwrite, no path outside the results."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mteb.cache import ResultCache

from mteb_hybrid.benchmark.per_query import RecordBuffer
from mteb_hybrid.files import ensure_under, write_atomic


class _AtomicTaskResult:
    """Proxy whose `to_disk` writes a temp file and renames it, so a crash never leaves half a JSON."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def to_disk(self, path: Path) -> None:
        write_atomic(path, lambda tmp: self._result.to_disk(tmp))


class AtomicResultCache(ResultCache):
    """mteb's ResultCache (same layout and resume logic) with atomic result files kept under `<cache>/results`,
    and the per-query records of the LAReQA tasks handed to `collect_records_of` written beside them."""

    def __init__(self, cache_path: str | Path, records: RecordBuffer | None = None, **kwargs: Any) -> None:
        super().__init__(cache_path, **kwargs)
        self.records = records or RecordBuffer()

    def collect_records_of(self, tasks: Iterable[Any]) -> Iterable[Any]:
        """Give our tasks among `tasks` this cache's record buffer (their rows are then saved with each result);
        returns `tasks`, so that `mteb.evaluate(model, cache.collect_records_of(tasks), cache=cache)` reads as one."""
        from mteb_hybrid.benchmark.tasks import LareqaRetrievalTask

        tasks = list(tasks)
        for task in tasks:
            if isinstance(task, LareqaRetrievalTask):
                task.records = self.records
        return tasks

    def get_task_result_path(
        self,
        task_name: str,
        model_name: Any,
        model_revision: str | None = None,
        remote: bool = False,
        experiment_name: str | None = None,
    ) -> Path:
        path = super().get_task_result_path(
            task_name, model_name, model_revision, remote=remote, experiment_name=experiment_name
        )
        if not remote:
            ensure_under(self.cache_path / "results", path)
        return path

    def load_task_result(
        self, task_name: str, model_name: Any, model_revision: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        """mteb's, less the LAReQA subsets whose per-query records are missing: a resumed run evaluates them again."""
        result = super().load_task_result(task_name, model_name, model_revision, *args, **kwargs)
        from mteb_hybrid.benchmark import TASK_CLASSES, per_query

        if result is None or result.task_name not in TASK_CLASSES:  # other tasks have no records
            return result

        path = self.get_task_result_path(task_name=task_name, model_name=model_name, model_revision=model_revision)
        return per_query.keep_recorded(result, path, model_name, model_revision)

    def save_to_cache(
        self, task_result: Any, model_name: Any, model_revision: str | None = None, **kwargs: Any
    ) -> None:
        super().save_to_cache(_AtomicTaskResult(task_result), model_name, model_revision, **kwargs)
        path = self.get_task_result_path(
            task_name=task_result.task_name, model_name=model_name, model_revision=model_revision
        )
        self.records.flush(path, task_result, model_name, model_revision)  # LAReQA tasks' rows, beside the result
