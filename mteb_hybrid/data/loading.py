"""Load a whole LAReQA dataset (several language files) and check that its languages are parallel."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from .definitions import TaskDefinition
from .errors import DataFormatError
from .lareqa import read_language_file
from .records import ParallelDataset
from .sources import language_file

logger = logging.getLogger(__name__)


def check_parallel(definition: TaskDefinition, dataset: ParallelDataset) -> None:
    """Raise unless every id is in every language (complete) or in the pivot language (partial)."""
    # a question skipped on load (no answer sentence) is still in its file: it counts as present
    ids = {lang: {q.parallel_id for q in d.questions} | {s.parallel_id for s in d.skipped}
           for lang, d in dataset.languages.items()}
    if definition.parallel == "complete" and ids:
        union = set().union(*ids.values())
        for lang, have in ids.items():
            if missing := union - have:
                raise DataFormatError(dataset.languages[lang].path, "qas[].id",
                                      f"{len(missing)} question id(s) present in other languages are missing here "
                                      f"(e.g. {sorted(missing)[:3]})",
                                      f"{definition.name} is declared fully parallel: restore the missing questions "
                                      "or use the untouched release files")
    pivot = definition.pivot_language
    if definition.parallel == "partial" and pivot in ids:
        for lang, have in ids.items():
            if orphans := have - ids[pivot]:
                raise DataFormatError(dataset.languages[lang].path, "qas[].id",
                                      f"{len(orphans)} question id(s) have no '{pivot}' version "
                                      f"(e.g. {sorted(orphans)[:3]})",
                                      f"every question of {definition.name} must exist in the pivot language '{pivot}'")


def load_dataset(definition: TaskDefinition, data_dir: str | Path | None = None,
                 languages: Iterable[str] | None = None, task_name: str | None = None) -> ParallelDataset:
    """Read the language files of `definition` (all, or `languages`) into one checked dataset.

    `task_name`: the task named in messages (XQuADRRetrieval and XQuADRSentenceRetrieval read the same files).
    """
    dataset_name = definition.name
    if task_name and task_name != definition.name:
        definition = definition.model_copy(update={"name": task_name})
    langs = list(languages) if languages is not None else definition.langs
    if unknown := [lang for lang in langs if lang not in definition.languages]:
        raise ValueError(f"{definition.name}: unknown language(s) {unknown}; choose from {definition.langs}")
    data = {lang: read_language_file(language_file(definition, lang, data_dir), lang) for lang in langs}
    dataset = ParallelDataset(name=dataset_name, languages=data)
    check_parallel(definition, dataset)
    return dataset
