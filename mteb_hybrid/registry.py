"""The one place that touches mteb's registries: tasks, benchmarks and models of this package.

mteb has no plugin entry points. Importing `mteb_hybrid` (or `mteb` itself, through the `.pth` hook
installed with the package) calls `register()`. It never replaces an mteb object of the same name:
a name collision is an error, not a silent override.
"""

from __future__ import annotations

import logging

from mteb_hybrid import mteb_private

logger = logging.getLogger(__name__)

_registered = False

BENCHMARK_NAME = "mteb-hybrid/LAReQA"
CROSS_LINGUAL_BENCHMARK_NAME = "mteb-hybrid/LAReQA+cross-lingual"
# mteb's own cross-lingual retrieval tasks that sit next to LAReQA (need the hub for their data)
MTEB_CROSS_LINGUAL_TASKS = ("XQuADRetrieval", "MLQARetrieval", "BelebeleRetrieval")
LAREQA_REFERENCE = "https://github.com/google-research-datasets/lareqa"


def _register_tasks(task_classes: dict[str, type]) -> None:
    registry = mteb_private.task_registry()
    for name, cls in task_classes.items():
        existing = registry.get(name)
        if existing is not None and not existing.__module__.startswith("mteb_hybrid"):
            raise RuntimeError(f"mteb already has a task named {name!r}; mteb-hybrid will not replace it")
    mteb_private.add_tasks(task_classes)


def _register_benchmarks(task_classes: dict[str, type]) -> None:
    import mteb
    from mteb.benchmarks import benchmarks as bm_module

    def ours() -> list:  # new instances per benchmark: mteb's task objects hold state (loaded data, subsets)
        return [cls() for name, cls in task_classes.items() if "Sentence" not in name]

    lareqa = ours()
    bm_module.MTEB_HYBRID_LAREQA = mteb.Benchmark(
        name=BENCHMARK_NAME,
        tasks=lareqa,
        reference=LAREQA_REFERENCE,
        citation=lareqa[0].metadata.bibtex_citation,
        description="LAReQA answer retrieval (XQuAD-R, MLQA-R): every language pair and the multilingual pool, "
        "with mAP, rank distance and same-language share next to mteb's scores.",
    )
    bm_module.MTEB_HYBRID_CROSS_LINGUAL = mteb.Benchmark(
        name=CROSS_LINGUAL_BENCHMARK_NAME,
        reference=LAREQA_REFERENCE,
        tasks=[*ours(), *mteb.get_tasks(tasks=list(MTEB_CROSS_LINGUAL_TASKS))],
        description="LAReQA tasks of mteb-hybrid together with mteb's cross-lingual retrieval tasks "
        f"({', '.join(MTEB_CROSS_LINGUAL_TASKS)}; these download their data from the Hugging Face hub).",
    )
    mteb_private.clear_benchmark_caches()


def refresh_models() -> None:
    """Re-register the model metas, e.g. after training: a hybrid model's revision is its weights' hash."""
    from mteb_hybrid.models.metas import all_model_metas

    _register_models(all_model_metas())


def _register_models(metas: dict) -> None:
    MODEL_REGISTRY = mteb_private.model_registry()  # noqa: N806 - mteb's name
    for alias, meta in metas.items():
        for key in (meta.name, alias):
            existing = MODEL_REGISTRY.get(key)
            if existing is not None and existing.name != meta.name:
                raise RuntimeError(f"mteb already has a model named {key!r}; mteb-hybrid will not replace it")
            MODEL_REGISTRY[key] = meta


def register() -> None:
    """Register tasks, benchmarks and models with mteb (idempotent).

    Called when mteb has been imported (the `.pth` hook), or by `import mteb_hybrid` when mteb already is. The
    modules it imports never import this one, and the only one that subclasses mteb at import,
    `benchmark.tasks`, is reached through `benchmark/__init__`, which imports mteb first: so registration never
    meets a half-executed module of this package.
    """
    global _registered
    if _registered:
        return
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES
    from mteb_hybrid.models.metas import all_model_metas

    _registered = True
    _register_tasks(TASK_CLASSES)
    _register_models(all_model_metas())
    _register_benchmarks(TASK_CLASSES)
    from mteb_hybrid import mteb_cli

    mteb_cli.install()  # under `mteb run`: quiet defaults, one-paragraph errors (no-op elsewhere)
