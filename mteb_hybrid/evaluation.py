"""Model -> scores -> mteb result files: evaluate models on this package's tasks (the API the CLI calls)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mteb_hybrid.evaluation_request import EvaluationRequest, evaluation_request
from mteb_hybrid.models.identity import ModelFolderError, ModelNotFoundError
from mteb_hybrid.options import add_arguments, values_from_args

logger = logging.getLogger(__name__)

__all__ = [
    "EvaluationRequest",
    "ModelFolderError",
    "ModelNotFoundError",
    "evaluate",
    "evaluation_request",
    "load_folder_model",
    "load_model",
    "run_evaluation",
]


def load_model(name: str, device: str | None = None) -> Any:
    """An mteb encoder for a registered name (e.g. offline-me5-small), a local folder, or a hub name."""
    import mteb

    from mteb_hybrid.mteb_private import model_registry

    MODEL_REGISTRY = model_registry()  # noqa: N806 - mteb's name

    if name in MODEL_REGISTRY:
        return mteb.get_model(name, device=device)
    if Path(name).is_dir():
        return load_folder_model(Path(name), device=device)
    try:
        return mteb.get_model(name, device=device)
    except Exception as e:  # the hub, a typo, or no network: say which names do work
        from mteb_hybrid.models.hub import did_you_mean, hub_model_message, is_hub_error

        ours = sorted(k for k in MODEL_REGISTRY if k.startswith(("offline-", "hybrid-")))
        head = f"model {name!r} resolves to nothing here: it is not registered with mteb"
        near = did_you_mean(name, ours)
        if is_hub_error(e) or near:
            hint = f"Did you mean {near} (one letter away)? " if near else ""
            message = hub_model_message(name, f"-m {name}", e)
            raise ModelNotFoundError(f"{head} and not a local folder. {hint}{message}") from e
        raise ModelNotFoundError(
            f"{head}, not a local folder, and loading it from the Hugging Face hub failed ({type(e).__name__}: "
            f"{str(e)[:200]}). Models that work offline: {', '.join(ours)}, or a path to a sentence-transformers "
            "folder."
        ) from e


def load_folder_model(folder: Path, device: str | None = None) -> Any:
    """A sentence-transformers folder as an mteb encoder whose ModelMeta names it and its weights.

    mteb would call every folder `no_model_name/available` at `no_revision_available` (shared results).
    """
    from mteb_hybrid.models.identity import check_folder, folder_identity
    from mteb_hybrid.models.metas import st_wrapper

    check_folder(folder)  # a corrupt or missing file: one line naming it, before any loading
    identity = folder_identity(folder)
    try:
        encoder = st_wrapper(folder, identity.revision, device)
    except Exception as e:  # whatever transformers raises for a file check_folder could not judge
        first = (str(e).strip().splitlines() or [""])[0][:300]
        raise ModelNotFoundError(
            f"{folder}: cannot be loaded as a sentence-transformers model ({type(e).__name__}: {first})"
        ) from e
    revision = identity.revision or "no_revision_available"
    encoder.mteb_model_meta = encoder.mteb_model_meta.model_copy(update={"name": identity.name, "revision": revision})
    logger.info("model folder %s is %s at revision %s", folder, identity.name, identity.revision)
    return encoder


def evaluate(model: str | Any, tasks: Sequence[str | type], **options: Any) -> Any:
    """Evaluate `model` on `tasks`; results go to `output_folder`/results/<org>__<model>/<revision>/<Task>.json.

    `options` are the other `EvaluationRequest` fields (languages, subsets, data_dir, output_folder, batch_size,
    overwrite, embedding_cache, precision, devices, show_progress_bar); a bad value is a one-line ValueError
    raised before any data or model is read. See `run_evaluation`.
    """
    return run_evaluation(evaluation_request(model=model, tasks=list(tasks), **options))


def run_evaluation(request: EvaluationRequest) -> Any:
    """Run one evaluation request: the one path of `mteb-hybrid evaluate`, the experiment runner and the quickstart.

    Finished subsets are kept (an interrupted run resumes) unless `overwrite`; a model with no known revision
    is always recomputed, so its results are never taken for another model's. `precision` (fp32, bf16,
    fp16, auto: mteb_hybrid/precision.py) casts the model's weights; any but fp32 adds `-bf16`/`-fp16` to the
    revision, so its results and cached vectors never share a file with fp32's. `devices` (e.g. ["cpu", "cpu"] or
    ["cuda:0", "cuda:1"]) splits the distinct texts across one sentence-transformers process per entry. Our tasks'
    per-query records are written beside each result file.
    """
    model, tasks, output_folder, overwrite = request.model, request.tasks, request.output_folder, request.overwrite
    show_progress_bar = request.show_progress_bar
    import mteb

    from mteb_hybrid.benchmark.tasks import TASK_CLASSES
    from mteb_hybrid.models.identity import known_revision
    from mteb_hybrid.results_io import AtomicResultCache

    def ours(name: str | type) -> type | None:
        return name if isinstance(name, type) else TASK_CLASSES.get(name)

    task_objs = [_task(request, name, ours(name)) for name in tasks]
    encoder = model
    if isinstance(model, str):
        from mteb_hybrid.models.hub import near_miss_note

        try:
            encoder = load_model(model)
        except (LookupError, FileNotFoundError) as e:  # also say when a task name is one letter from a hub task
            if note := near_miss_note([t for t in tasks if isinstance(t, str)], str(e)):
                raise type(e)(f"{e} {note}") from e
            raise
    from mteb_hybrid.precision import apply_precision, torch_module

    apply_precision(encoder, request.precision)  # before the revision is read: it names the precision
    meta = getattr(encoder, "mteb_model_meta", None)
    if not known_revision(getattr(meta, "revision", None)):
        if not overwrite:
            logger.warning(
                "%s has no known revision (%s): its results under %s are recomputed and replaced "
                "(--overwrite implied), never reused, and its embeddings are not kept on disk",
                getattr(meta, "name", model),
                getattr(meta, "revision", None),
                output_folder,
            )
        overwrite = True
    ours_only = all(ours(name) is not None for name in tasks)
    encode_kwargs: dict[str, Any] = {"batch_size": request.batch_size, "show_progress_bar": show_progress_bar}
    pool = start_pool(encoder, request.devices) if request.devices else None
    if pool is not None:  # sentence-transformers' encode(pool=...) spreads each call's texts over the processes
        encode_kwargs.update(pool=pool, chunk_size=request.batch_size)
    cache = AtomicResultCache(output_folder)
    try:
        return mteb.evaluate(
            encoder,
            cache.collect_records_of(task_objs),  # their per-query rows reach the cache as data
            cache=cache,
            overwrite_strategy="always" if overwrite else "only-missing",
            # our tasks draw one bar of texts per task (benchmark/search.py): mteb's task bar would sit at 0/1
            encode_kwargs=encode_kwargs,
            show_progress_bar=show_progress_bar and not ours_only,
        )
    except Exception as e:
        from mteb_hybrid.models.hub import HubUnavailableError, hub_task_message, is_hub_error

        hub_tasks = [n for n in tasks if ours(n) is None]
        if hub_tasks and is_hub_error(e):
            raise HubUnavailableError(hub_task_message(hub_tasks, e)) from e
        raise
    finally:
        if pool is not None:
            torch_module(encoder).stop_multi_process_pool(pool)


def _task(request: EvaluationRequest, name: str | type, cls: type | None) -> Any:
    """The task object of one requested task (ours: filtered to the request's languages and subsets, its files
    read and checked, so that a broken data file stops the run before the model loads)."""
    import mteb

    languages, subsets = request.languages, request.subsets
    if cls is None:
        return mteb.get_task(name, languages=list(languages) if languages else None)
    task = cls(data_dir=request.data_dir, embedding_cache=request.embedding_cache)
    if languages:
        task.filter_languages(list(languages))
    if subsets:
        if unknown := sorted(set(subsets) - set(task.metadata.eval_langs)):
            raise ValueError(
                f"{task.metadata.name}: unknown subset(s) {unknown}; subsets look like 'en-de' or 'en-pool'"
            )
        task.hf_subsets = [s for s in (task.hf_subsets or task.metadata.eval_langs) if s in subsets]
    task.read_files()  # parsed once, cached
    return task


def start_pool(encoder: Any, devices: Sequence[str]) -> dict[str, Any]:
    """sentence-transformers' multi-process pool, one process per entry of `devices`; only for its models."""
    from mteb_hybrid.precision import torch_module

    model = torch_module(encoder)
    if not hasattr(model, "start_multi_process_pool"):
        raise ValueError(
            f"--devices spreads encoding with sentence-transformers' multi-process pool; "
            f"{type(encoder).__name__} is not a sentence-transformers model (leave --devices out)"
        )
    return model.start_multi_process_pool(list(devices))


EVALUATE_HELP = "evaluate a model on LAReQA tasks (or any mteb task) and write mteb result files"
EVALUATE_DESCRIPTION = (
    "Evaluate a model and write mteb result files to OUTPUT/results/<model>/<revision>/<Task>.json. "
    "Finished subsets are kept: rerunning after an interruption only computes what is missing."
)


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """One option per `EvaluationRequest` field (name, type, default and help from the field)."""
    return add_arguments(parser, EvaluationRequest)


def request_from_args(args: argparse.Namespace) -> EvaluationRequest:
    """The request the `evaluate` options describe (a bad value: one-line ValueError naming the option)."""
    values = values_from_args(EvaluationRequest, args)
    values["embedding_cache"] = values.get("embedding_cache") or None  # the flag turns it on; absent: the default
    return evaluation_request(**values)


def run_evaluate(args: argparse.Namespace) -> int:
    """`mteb-hybrid evaluate`: the request the options describe, evaluated, and a LAReQA summary of the results."""
    request = request_from_args(args)  # checked before any data or model is read
    from mteb_hybrid.reporting import format_summary, load_scores, summarize

    results = run_evaluation(request)
    out = Path(request.output_folder) / "results"
    try:
        print(format_summary(summarize(load_scores(out, tasks=request.tasks)), per_language=False))
    except Exception as e:  # summary is a convenience: never hide the written results behind it
        logging.getLogger(__name__).info("no LAReQA summary: %s", e)
    print(f"results written under {out}")
    return 1 if getattr(results, "exceptions", None) else 0
