"""Cell provenance: one hash over everything that determines a cell's trained model and its scores.

The inputs are canonical JSON: "model" (the training settings that change the model and the sha256 of each
training data file; null for a cell that scores the base model), "base" (its name and revision) and "eval"
(tasks, languages, subsets, probe settings, the sha256 of our tasks' data files; mteb's by dataset revision).
`model_hash` (of "model" and "base") names the training folder; `hash` (of all) is stored in cell.json.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mteb_hybrid.data import get_definition
from mteb_hybrid.data.sources import language_file
from mteb_hybrid.files import file_sha256
from mteb_hybrid.formats.experiments import CellRecord, Provenance
from mteb_hybrid.models.offline_me5 import OFFLINE_ME5_REVISION
from mteb_hybrid.models.presets import resolve_base
from mteb_hybrid.training.config import TrainConfig
from mteb_hybrid.training.rows import parse_data_spec

# TrainConfig keys that say where files go or how the run is operated; they do not change the model.
OPERATIONAL_KEYS = frozenset(
    {
        "output_dir",
        "model_name",
        "data_dir",
        "resume",
        "keep_checkpoints",
        "save_steps",
        "save_total_limit",
        "device",
        "num_threads",
        "allow_overlap",
        "eval_tasks",
    }
)
ABSENT = object()  # a key one side of a comparison lacks


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj).encode("utf-8")).hexdigest()


def folder_model_sha256(folder: str | Path) -> str:
    """sha256 of a model folder as a whole (weights, tokenizer, module configs, prompts: identity.model_sha256),
    so that a base folder whose pooling or tokenizer changed is a changed input, not a reusable cell."""
    from mteb_hybrid.models.identity import model_sha256

    return model_sha256(Path(folder))


def base_identity(base: str, folder: str | Path | None = None) -> dict[str, str]:
    """{"name", "revision"} of a base model (or of `folder`, a smoke run's stand-in): a preset's model, a folder
    (content hash) or a hub name, "main (unpinned)" offline: a changed hub model goes unnoticed, a folder not."""
    if folder is not None:
        return {"name": f"{base} (stand-in {Path(folder).name})", "revision": folder_model_sha256(folder)[:16]}
    preset = resolve_base(base)
    if preset.kind == "offline-me5":
        return {"name": preset.model, "revision": OFFLINE_ME5_REVISION}
    if Path(preset.model).is_dir():
        return {"name": Path(preset.model).name, "revision": folder_model_sha256(preset.model)[:16]}
    return {"name": preset.model, "revision": "main (unpinned)"}


def data_files(config: Any) -> dict[str, str]:
    """sha256 of every file the training data comes from, by a location independent of --data-dir."""
    out: dict[str, str] = {}
    for raw in config.data:
        spec = parse_data_spec(raw)
        if spec.kind == "jsonl":
            out[f"jsonl:{Path(spec.name).name}"] = file_sha256(spec.name)
        elif spec.kind == "hf":
            out[f"hf:{spec.name}"] = "hub dataset (not hashed)"
        else:
            definition = get_definition(spec.name)
            for lang in spec.languages or definition.langs:
                if lang in definition.languages and (not config.languages or lang in config.languages):
                    path = language_file(definition, lang, config.data_dir)
                    out[definition.source.relative_path(lang)] = file_sha256(path)
    return out


def eval_files(
    tasks: Iterable[str], data_dir: str | Path | None, languages: Iterable[str] | None = None, pools: bool = True
) -> dict[str, str]:
    """sha256 of the data files our evaluation tasks read (every language if pools are scored, else only
    `languages`); mteb tasks by dataset revision."""
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    out: dict[str, str] = {}
    for name in tasks:
        if name in TASK_CLASSES:
            d = TASK_CLASSES[name].definition
            wanted = d.langs if pools or not languages else [lang for lang in d.langs if lang in set(languages)]
            for lang in wanted:
                out[d.source.relative_path(lang)] = file_sha256(language_file(d, lang, data_dir))
        else:
            import mteb

            out[f"mteb:{name}"] = str((mteb.get_task(name).metadata.dataset or {}).get("revision"))
    return out


# TrainConfig fields added after cells were shipped, with the default that reproduces what those cells ran: at
# that default a field is left out of the hashed settings, so the shipped cells' hashes (and folders) stay valid
ADDED_LATER = {
    "precision": "fp32",
    "max_train_questions": None,
    "translations_per_question": None,
    "validation_batch_size": None,
}


def model_settings(config: Any) -> dict[str, Any]:
    """A TrainConfig's settings that change the model (the base model is recorded by its identity)."""
    return {
        k: v
        for k, v in config.to_dict().items()
        if k not in OPERATIONAL_KEYS and k != "base" and not (k in ADDED_LATER and v == ADDED_LATER[k])
    }


SAVED_LENGTH = "base"
"""A trained model is saved with its base's inference max_seq_length (before: its training length, so every
trained cell was scored at 64 tokens and its base at 512). Part of a trained model's inputs: cells trained
before it are stale and retrain."""


def training_inputs(config: Any, base: dict[str, str]) -> dict[str, Any]:
    """The part of the inputs that determines a trained model."""
    return {
        "train": model_settings(config),
        "base_model": base,
        "data": data_files(config),
        "saved_max_seq_length": SAVED_LENGTH,
    }


def make_provenance(model: dict[str, Any] | None, base: dict[str, str], evaluation: dict[str, Any]) -> Provenance:
    """The hashes of a cell's inputs; `model` is `training_inputs(...)` or None for an untrained cell."""
    inputs = {"model": model, "base": base, "eval": evaluation}
    model_hash = digest({"model": model, "base": base}) if model else None
    return Provenance(hash=digest(inputs), model_hash=model_hash, inputs=inputs)


def run_environment() -> dict[str, str]:
    """Where a cell runs: library versions and the accelerator. Recorded beside the provenance, not in its
    hash: the same inputs on other hardware are the same experiment, but a reader comparing cells must see it."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": platform.python_version(), "machine": platform.machine()}
    for package in ("torch", "transformers", "sentence-transformers", "mteb"):
        try:
            env[package] = version(package)
        except PackageNotFoundError:
            env[package] = "not installed"
    import torch

    env["accelerator"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return env


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, Mapping) and obj:
        return {k: v for key, value in obj.items() for k, v in _flatten(value, f"{prefix}{key}.").items()}
    return {prefix.removesuffix("."): obj}


def _show(value: Any) -> str:
    """A value for a one-line message: sha256 digests cut to 12 characters."""
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:12]
    return json.dumps(value, ensure_ascii=False)


def changed_keys(
    old: Mapping[str, Any], new: Mapping[str, Any], skip: Callable[[str, Any, Any], bool] | None = None
) -> list[str]:
    """'key.path: old -> new' for every leaf that differs between two input objects (less what `skip` allows)."""
    a, b = _flatten(json.loads(canonical(old))), _flatten(json.loads(canonical(new)))
    pairs = {key: (a.get(key, ABSENT), b.get(key, ABSENT)) for key in sorted(set(a) | set(b))}
    return [
        f"{key}: {_show(x)} -> {_show(y)}" for key, (x, y) in pairs.items() if x != y and not (skip and skip(key, x, y))
    ]


def _added_with_default(prefix: str) -> Callable[[str, Any, Any], bool]:
    """A training setting added to TrainConfig after a cell ran, at its default: the old behaviour, not a change."""
    defaults = json.loads(canonical(TrainConfig().to_dict()))
    return lambda key, old, new: (
        old is ABSENT
        and key.startswith(prefix)
        and key[len(prefix) :] in defaults
        and new == defaults[key[len(prefix) :]]
    )


def record_changes(record: CellRecord, current: Provenance, current_train: dict[str, Any] | None) -> list[str]:
    """What differs between a finished cell and today's inputs ([] when it may be reused); a record without
    provenance (schema version 0) is compared on its training config, the operational keys aside."""
    if record.provenance is not None:
        if record.provenance.hash == current.hash:
            return []
        return changed_keys(record.provenance.inputs, current.inputs, _added_with_default("model.train."))

    def keep(train: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if train is None else {k: v for k, v in train.items() if k not in OPERATIONAL_KEYS}

    return changed_keys({"train": keep(record.train)}, {"train": keep(current_train)}, _added_with_default("train."))
