"""The evaluation settings of a run, read from the model and the task as they are, for the per-query records.

Read, not declared: the truncation length and the weights' dtype come from the loaded model, so a model saved
with a training length, or cast to bf16, is recorded as what it did.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mteb_hybrid.data.sources import language_file
from mteb_hybrid.files import file_sha256
from mteb_hybrid.formats.per_query import UNKNOWN, Evaluation, EvaluationEnvironment, EvaluationSettings

from .subsets import Subset

TASK_BUILD_VERSION = 1
"""Bumped when the plugin changes how subsets, candidates or relevance are built from the same files."""


def sentence_transformer(encoder: Any) -> Any | None:
    """The SentenceTransformer inside an mteb encoder (mteb's wrapper keeps it as `.model`), or None."""
    for candidate in (encoder, getattr(encoder, "model", None)):
        if candidate is not None and hasattr(candidate, "max_seq_length") and hasattr(candidate, "parameters"):
            return candidate
    return None


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return UNKNOWN


def _accelerator(model: Any | None) -> str:
    if model is None:
        return UNKNOWN
    device = getattr(model, "device", None)
    if getattr(device, "type", "cpu") == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    return str(getattr(device, "type", "cpu"))


def data_files(task: Any) -> dict[str, str]:
    """sha256 of each data file the task's subsets read, by its path inside the dataset's repository."""
    d = task.definition
    needed: set[str] = set()
    for sub in map(Subset.parse, task.hf_subsets):
        needed.update([sub.query_lang, *sub.corpus_langs(d.langs)])
    return {
        d.source.relative_path(lang): file_sha256(language_file(d, lang, task.data_dir))
        for lang in d.langs
        if lang in needed
    }


def evaluation_record(task: Any, encoder: Any) -> Evaluation:
    """What `task` is about to be scored with: the model's truncation and dtype, the data, the machine."""
    model = sentence_transformer(encoder)
    dtype = UNKNOWN
    if model is not None:
        first = next(iter(model.parameters()), None)
        dtype = str(first.dtype).removeprefix("torch.") if first is not None else UNKNOWN
    d = task.definition
    settings = EvaluationSettings(
        task=task.metadata.name,
        candidate_form=task.candidate_form,
        max_seq_length=int(model.max_seq_length) if model is not None and model.max_seq_length else UNKNOWN,
        precision=dtype,
        backend="sentence-transformers" if model is not None else type(encoder).__name__,
        data_sha256=data_files(task),
        task_version=f"{d.source.repository}@{d.source.commit}/v{TASK_BUILD_VERSION}",
    )
    environment = EvaluationEnvironment(
        accelerator=_accelerator(model),
        torch=_version("torch"),
        mteb=_version("mteb"),
        mteb_hybrid=_version("mteb-hybrid"),
        sentence_transformers=_version("sentence-transformers"),
    )
    return Evaluation(settings=settings, environment=environment)
