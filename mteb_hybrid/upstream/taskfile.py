"""Task files for mteb's repository in mteb's style (a `TaskMetadata` on an `AbsTaskRetrieval`, mteb imports only)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

TASKS_SUBDIR = Path("mteb") / "tasks" / "retrieval" / "multilingual"
STATS_SUBDIR = Path("mteb") / "descriptive_stats" / "Retrieval"  # where TaskMetadata.descriptive_stat_path points

# TaskMetadata fields written to the file, in the order mteb's own task files use.
_FIELDS = (
    "name",
    "dataset",
    "description",
    "reference",
    "type",
    "category",
    "modalities",
    "eval_splits",
    "eval_langs",
    "main_score",
    "date",
    "domains",
    "task_subtypes",
    "license",
    "annotations_creators",
    "dialect",
    "sample_creation",
    "bibtex_citation",
    "adapted_from",
)


def module_name(task_name: str) -> str:
    """mteb's file naming: CamelCase -> snake_case, the acronyms as words (XQuADRRetrieval -> xquad_r_retrieval,
    LAReQAMLQARetrieval -> lareqa_mlqa_retrieval)."""
    for acronym in ("LAReQA", "XQuAD", "MLQA"):
        task_name = task_name.replace(acronym, acronym.capitalize())
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", task_name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", s).lower()


def task_file_path(out: Path, task_name: str) -> Path:
    return out / TASKS_SUBDIR / f"{module_name(task_name)}.py"


def stats_file_path(out: Path, task_name: str) -> Path:
    return out / STATS_SUBDIR / f"{task_name}.json"


LINE_LENGTH = 88  # ruff format's default, which mteb keeps


def _literal(value: Any, indent: int, lead: int = 0) -> str:
    """`value` as ruff format writes it: one line when `indent` + `lead` (what precedes it) + it + ',' fits."""
    pad = " " * indent
    if isinstance(value, str):
        if "\n" in value:
            return 'r"""\n' + value.strip("\n") + '\n"""' if '"""' not in value else repr(value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        opening, closing = "[]" if isinstance(value, list) else "()"
        items = [_literal(v, indent + 4) for v in value]
        one = opening + ", ".join(items) + closing
        if indent + lead + len(one) + 1 <= LINE_LENGTH:
            return one
        return opening + "\n" + "".join(f"{pad}    {item},\n" for item in items) + pad + closing
    if isinstance(value, dict):
        inner = "".join(
            f"{pad}    {_literal(k, 0)}: {_literal(v, indent + 4, len(_literal(k, 0)) + 2)},\n"
            for k, v in value.items()
        )
        return "{\n" + inner + pad + "}"
    return repr(value)


def render_task_file(metadata: Any, dataset_path: str, revision: str) -> str:
    """Python source of an mteb task file for `metadata` (a plugin TaskMetadata), its dataset on the hub."""
    values = {f: getattr(metadata, f) for f in _FIELDS} | {"dataset": {"path": dataset_path, "revision": revision}}
    lines = [
        f"        {f}={'_EVAL_LANGS' if f == 'eval_langs' else _literal(v, 8, len(f) + 1)},"
        for f, v in values.items()
        if v is not None and v != [] or f == "dialect"
    ]
    return (
        "from mteb.abstasks.retrieval import AbsTaskRetrieval\n"
        "from mteb.abstasks.task_metadata import TaskMetadata\n\n"
        f"_EVAL_LANGS = {_literal(dict(metadata.eval_langs), 0)}\n\n\n"
        f"class {metadata.name}(AbsTaskRetrieval):\n"
        "    metadata = TaskMetadata(\n" + "\n".join(lines) + "\n    )\n"
    )


def load_task_class(path: Path) -> type:
    """Import a generated task file (by path, as a module of its own) and return its task class."""
    name = f"_mteb_hybrid_generated_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    from mteb.abstasks.retrieval import AbsTaskRetrieval

    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, AbsTaskRetrieval) and v is not AbsTaskRetrieval
    ]
    if len(classes) != 1:
        raise ImportError(f"{path}: expected one AbsTaskRetrieval subclass, found {len(classes)}")
    return classes[0]


def load_task_classes(out: Path) -> dict[str, type]:
    """Every generated task class under `out` (an export folder), by task name."""
    folder = out / TASKS_SUBDIR
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no generated task files (run `mteb-hybrid export {out}` first)")
    return {cls.metadata.name: cls for cls in map(load_task_class, sorted(folder.glob("*.py")))}
