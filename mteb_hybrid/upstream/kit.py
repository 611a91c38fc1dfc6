"""The rest of the pull-request kit beside the task files: an `mteb.Benchmark`, its leaderboard menu entry, the
upload script for mteb's scripts/data/, ModelMeta entries for published trained models, and the PR description
(pr.py). Every file is generated from the exported tasks; same input, same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .citation import format_bibtex
from .names import BENCHMARK_FILE, BENCHMARK_NAME, MENU_FILE, MODELS_FILE, RUNNER, UPLOAD_SCRIPT
from .taskfile import _literal

if TYPE_CHECKING:
    from .names import ExportedTask
    from .writer import KitWriter

LAREQA_CITATION = """@inproceedings{roy-etal-2020-lareqa,
  author = {Roy, Uma and Constant, Noah and Al-Rfou, Rami and Barua, Aditya and Phillips, Aaron and Yang, Yinfei},
  booktitle = {Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing (EMNLP)},
  pages = {5919--5930},
  title = {{LAReQA}: Language-Agnostic Answer Retrieval from a Multilingual Pool},
  year = {2020},
}"""
BENCHMARK_DESCRIPTION = (
    "Language-agnostic answer retrieval (LAReQA): questions are answered from a pool of candidate sentences in many "
    "languages, and a question's relevant answers are its answer sentence in every language. Measures whether a "
    "model retrieves the right answer regardless of its language, which monolingual and pairwise cross-lingual "
    "retrieval tasks do not: a model that prefers same-language candidates scores well on those and badly on the pools."
)


def benchmark_source(task_names: Sequence[str], name: str = BENCHMARK_NAME) -> str:
    """Python source of the Benchmark, in the style of mteb/benchmarks/benchmarks/benchmarks.py."""
    tasks = "".join(f"            {_literal(t, 0)},\n" for t in task_names)
    return (
        "from mteb.benchmarks.benchmark import Benchmark\n"
        "from mteb.get_tasks import get_tasks\n\n"
        "LAREQA = Benchmark(\n"
        f"    name={_literal(name, 0)},\n"
        f"    display_name={_literal('LAReQA: language-agnostic answer retrieval', 0)},\n"
        "    tasks=get_tasks(\n"
        "        tasks=[\n" + tasks + "        ],\n"
        "    ),\n"
        f"    description={_literal(BENCHMARK_DESCRIPTION, 0)},\n"
        f"    reference={_literal('https://aclanthology.org/2020.emnlp-main.477/', 0)},\n"
        f'    citation=r"""\n{format_bibtex(LAREQA_CITATION)}\n""",\n'
        "    contacts=[],\n"
        ")\n"
    )


def menu_entry(name: str = BENCHMARK_NAME) -> str:
    """Where the benchmark goes in the leaderboard's selector (mteb/benchmarks/_leaderboard_menu.py)."""
    return f"""# Leaderboard selector entry for {name}

mteb shows a benchmark on the leaderboard only when it is listed in `mteb/benchmarks/_leaderboard_menu.py`
(docs/contributing/adding_a_benchmark.md, "Submitting a Benchmark to the Leaderboard"), and only after the
results PR with models' scores on it is merged.

1. Add `LAREQA` from `{BENCHMARK_FILE}` to `mteb/benchmarks/benchmarks/benchmarks.py` (or import it there) and
   export it in `mteb/benchmarks/benchmarks/__init__.py` (import and `__all__`).
2. In `_leaderboard_menu.py`, `R_BENCHMARK_ENTRIES` -> `MenuEntry("Retrieval")` -> `MenuEntry("Miscellaneous", ...)`,
   add the name to the list:

```python
MenuEntry(
    "Miscellaneous",
    mteb.get_benchmarks(
        [
            "NanoBEIR",
            "BRIGHT (long)",
            "RAR-b",
            "{name}",
        ]
    ),
)
```
"""


def model_meta_source(aliases: Sequence[str] | None = None, org: str = "YOUR_HUB_ORG") -> str:
    """ModelMeta entries (mteb's format) for trained models whose weights a user publishes on the hub.

    The loader is mteb's sentence-transformers loader; `training_datasets` adds MLQA-R (both upstream names and
    mteb's MLQARetrieval, whose questions MLQA-R reuses) to the base model's, so the leaderboard's zero-shot flag
    is right; `adapted_from` names the base. Name and revision are placeholders until the weights are public.
    """
    from mteb_hybrid.models.metas import HYBRID_MODELS, _reference_training_datasets

    from .compact import COMPACT_NAMES

    blocks = []
    trained_on = {
        "MLQARetrieval",
        COMPACT_NAMES["MLQARRetrieval"],
        COMPACT_NAMES["MLQARSentenceRetrieval"],
        "MLQARRetrieval",
        "MLQARSentenceRetrieval",
    }
    # hybrid-m2m100 needs the language-token wrapper (mteb_hybrid.models.metas), not the plain loader: left out
    for alias in aliases or [a for a in HYBRID_MODELS if a != "hybrid-m2m100"]:
        spec = HYBRID_MODELS[alias]
        base = spec["adapted_from"]
        training = sorted((_reference_training_datasets(base) or set()) | trained_on)
        var = alias.upper().replace("-", "_")
        blocks.append(
            f"{var} = ModelMeta(\n"
            "    loader=sentence_transformers_loader,\n"
            f"    name={_literal(f'{org}/{alias}', 0)},\n"
            f"    revision={_literal('REPLACE_WITH_THE_HUB_COMMIT_OF_THE_WEIGHTS', 0)},\n"
            f"    release_date={_literal('2026-01-01', 0)},  # replace: the date the weights were published\n"
            "    languages=None,\n"
            f"    n_parameters={spec['n_parameters']},\n"
            "    memory_usage_mb=None,\n"
            f"    max_tokens={spec['max_tokens']},\n"
            f"    embed_dim={spec['embed_dim']},\n"
            f"    license={_literal(spec['license'], 0)},\n"
            "    open_weights=True,\n"
            "    public_training_code=" + _literal("https://github.com/YOUR_ORG/mteb-hybrid", 0) + ",\n"
            "    public_training_data=" + _literal("https://github.com/google-research-datasets/lareqa", 0) + ",\n"
            '    framework=["Sentence Transformers", "PyTorch"],\n'
            "    reference=" + _literal(f"https://huggingface.co/{org}/{alias}", 0) + ",\n"
            "    similarity_fn_name=ScoringFunction.COSINE,\n"
            "    use_instructions=False,\n"
            f"    adapted_from={_literal(base, 0)},\n"
            "    training_datasets={\n" + "".join(f"        {_literal(t, 0)},\n" for t in training) + "    },\n"
            ")\n"
        )
    return (
        "from mteb.models.model_meta import ModelMeta, ScoringFunction\n"
        "from mteb.models.sentence_transformer_wrapper import sentence_transformers_loader\n\n" + "\n\n".join(blocks)
    )


def upload_script(task_names: Sequence[str]) -> str:
    """scripts/data/lareqa/create_data.py: upload each dataset folder of the export as one commit, as mteb's
    scripts/data/* do (a plain script with `if __name__ == "__main__"`, huggingface_hub only)."""
    names = "".join(f"    {_literal(t, 0)},\n" for t in task_names)
    return f'''"""Upload the LAReQA datasets (XQuAD-R, MLQA-R) for mteb: one dataset repository per task.

The folders are built from LAReQA's files (github.com/google-research-datasets/lareqa, pinned commits) by
`mteb-hybrid export OUT --kit` (pip install mteb-hybrid); each holds mteb's `<subset>-corpus|queries|qrels`
configs and its dataset card. Run from the export folder OUT:

    python scripts/data/lareqa/create_data.py --org mteb

then pin each task file's dataset revision to the printed commit.
"""

import argparse
from pathlib import Path

from huggingface_hub import HfApi

TASKS = [
{names}]


def upload(api, root: Path, org: str, name: str) -> str:
    folder = root / "datasets" / name
    if not (folder / "README.md").is_file():
        raise SystemExit(f"{{folder}}: no dataset card; run mteb-hybrid export first")
    repo_id = f"{{org}}/{{name}}"
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=str(folder),
        commit_message=f"Add {{name}}",
    )
    return str(info.oid)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", default="mteb")
    parser.add_argument("--root", default=".", help="the export folder")
    args = parser.parse_args(argv)
    api = HfApi()
    for name in TASKS:
        print(name, upload(api, Path(args.root), args.org, name))


if __name__ == "__main__":
    main()
'''


SHIPPED_RESULTS = Path(__file__).resolve().parents[2] / "results"  # the project's full-task scores, when present


def full_splits(plugin_names: Sequence[str], data_dir: str | Path | None) -> dict[str, dict]:
    """The full plugin tasks' rows (all subsets), to count what stock mteb would encode for them."""
    from mteb_hybrid.benchmark.subsets import build_splits
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    out = {}
    for name in plugin_names:
        task = TASK_CLASSES[name](data_dir=data_dir)
        out[name] = build_splits(task.read_files(), list(task.hf_subsets), task.candidate_form, task.definition.langs)
    return out


RUNNER_SOURCE = '''"""Run the kit's LAReQA benchmark from this export folder with stock mteb: no mteb-hybrid, no hub.

The generated task files are imported from mteb/tasks/retrieval/multilingual/, their dataset path pointed at
datasets/<Task>/ (mteb's own loader reads the parquet files), and the generated Benchmark source is run with
them in mteb's task registry. Usage:

    python run_local_benchmark.py -m mteb/baseline-random-encoder --output-folder results
"""

import argparse
import importlib
import importlib.util
from pathlib import Path
from unittest import mock

import mteb
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.cache import ResultCache

ROOT = Path(__file__).resolve().parent


def local_tasks(root=ROOT):
    """name -> task class reading its rows from root/datasets/<name>."""
    classes = {}
    folder = root / "mteb" / "tasks" / "retrieval" / "multilingual"
    for path in sorted(folder.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_lareqa_kit_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, AbsTaskRetrieval)
                and value is not AbsTaskRetrieval
            ):
                meta = value.metadata
                local = {**meta.dataset, "path": str(root / "datasets" / meta.name)}
                meta = meta.model_copy(update={"dataset": local})
                classes[meta.name] = type(value.__name__, (value,), {"metadata": meta})
    return classes


def load_benchmark(root=ROOT):
    """The Benchmark of mteb/benchmarks/benchmarks/lareqa.py with its tasks read from this folder."""
    registry = importlib.import_module("mteb.get_tasks")._TASKS_REGISTRY
    source = root / "mteb" / "benchmarks" / "benchmarks" / "lareqa.py"
    namespace = {}
    code = compile(source.read_text(encoding="utf-8"), str(source), "exec")
    with mock.patch.dict(registry, local_tasks(root)):
        exec(code, namespace)
    return namespace["LAREQA"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", required=True)
    parser.add_argument("--output-folder", default="results")
    args = parser.parse_args(argv)
    benchmark = load_benchmark()
    model = mteb.get_model(args.model)
    mteb.evaluate(model, benchmark, cache=ResultCache(args.output_folder))


if __name__ == "__main__":
    main()
'''


def add_kit(
    writer: KitWriter,
    results: Sequence[ExportedTask],
    *,
    compact: bool,
    data_dir: str | Path | None = None,
    full_results: Sequence[Path] = (SHIPPED_RESULTS,),
) -> None:
    """Add benchmark, menu entry, upload script, model metas and PR description for `results` to `writer`."""
    from .pr import PLUGIN_NAME, pr_description

    names = [r.name for r in results]
    full = full_splits([PLUGIN_NAME[n] for n in names if n in PLUGIN_NAME], data_dir) if compact else None
    # the benchmark holds LAReQA's candidate form (sentence + paragraph); sentence-only tasks are extra, cheaper tasks
    writer.add(BENCHMARK_FILE, benchmark_source([n for n in names if "Sentence" not in n] or names))
    writer.add(RUNNER, RUNNER_SOURCE)
    writer.add(MENU_FILE, menu_entry())
    writer.add(UPLOAD_SCRIPT, upload_script(names))
    writer.add(MODELS_FILE, model_meta_source())
    writer.add(
        "PR.md",
        pr_description(
            Path(writer.root),
            results,
            compact=compact,
            full_splits=full,
            full_results=full_results,
            pending=writer.files,
        ),
    )
