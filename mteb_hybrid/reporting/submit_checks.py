"""What the MTEB leaderboard and the results repository require: the rules, stated once, and the checks.

`LEADERBOARD_RULES` is quoted by the CLI help, the notes and the warnings of `mteb-hybrid submit`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, get_args

from mteb_hybrid.data.definitions import task_names

from .templates import render

RESULTS_REPOSITORY = "https://github.com/embeddings-benchmark/results"
PLUGIN_TASKS = task_names()
_NOT_REVISIONS = {"", "none", "null", "untrained", "no_revision_available"}

LEADERBOARD_RULES = render("leaderboard_rules")  # what shows on the leaderboard (texts.md)
SUBMISSION_NOTES = render(
    "submission_notes",
    repository=RESULTS_REPOSITORY,
    leaderboard_rules=LEADERBOARD_RULES,
    upstreaming=render("upstreaming"),
)


def _meta_dict(meta: Any) -> dict[str, Any]:
    """The model_meta.json content mteb writes for `meta` (ResultCache.save_to_cache), or a copy of a dict."""
    from mteb.models import ModelMeta

    if isinstance(meta, ModelMeta):
        return json.loads(json.dumps(meta.to_dict(), default=str))
    if isinstance(meta, Mapping):
        return dict(meta)
    raise TypeError(f"expected a ModelMeta or a dict, got {type(meta).__name__}")


def _pydantic_problems(data: dict[str, Any]) -> dict[str, str]:
    """field -> mteb's own validation message, reading the dict as mteb reads model_meta.json."""
    from mteb.models import ModelMeta
    from pydantic import ValidationError

    d = dict(data)
    d.pop("is_cross_encoder", None)  # derived from model_type; mteb's reader only turns it into a warning
    d["loader"] = None  # a function name in JSON; mteb resolves it against its own registry
    try:
        ModelMeta.model_validate(d)
    except ValidationError as e:
        out: dict[str, str] = {}
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else "meta"
            out.setdefault(key, f"{key}: {err['msg']}")
        return out
    return {}


def _org_name(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[^/\s]+/[^/\s]+", value) is not None


def _repository_problems(data: dict[str, Any], fine_tuned: bool) -> dict[str, str]:
    """field -> problem, for what the results repository and leaderboard need beyond mteb's pydantic checks."""
    from mteb.models.model_meta import FRAMEWORKS, ScoringFunction
    from mteb.types import Licenses

    out: dict[str, str] = {}
    name, revision = data.get("name"), data.get("revision")
    if not _org_name(name):
        out["name"] = f"name: {name!r} is not in 'org/name' form (it becomes the folder <org>__<name>)"
    if not isinstance(revision, str) or revision.strip().lower() in _NOT_REVISIONS:
        hint = " (the model has not been trained: train it, then evaluate it again)" if revision == "untrained" else ""
        out["revision"] = (
            f"revision: {revision!r} is not a model revision{hint}; results need the revision they were computed with"
        )
    elif re.search(r"[\s/\\]", revision):
        out["revision"] = f"revision: {revision!r} cannot be a folder name"
    released = data.get("release_date")
    try:
        ok = isinstance(released, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", released) and date.fromisoformat(released)
    except ValueError:
        ok = False
    if not ok:
        out["release_date"] = f"release_date: {released!r} is not an ISO date (YYYY-MM-DD)"
    license_ = data.get("license")
    is_url = isinstance(license_, str) and re.match(r"^https?://[^\s/]+\.[^\s]+$", license_)
    if not isinstance(license_, str) or (license_ not in get_args(Licenses) and not is_url):
        out["license"] = f"license: {license_!r} is neither in mteb's license list nor a URL"
    elif license_ == "not specified" and data.get("open_weights"):
        out["license"] = "license: 'not specified' for open weights; give the license of the weights"
    frameworks = data.get("framework")
    bad = [f for f in frameworks or [] if f not in get_args(FRAMEWORKS)] if isinstance(frameworks, list) else None
    if not frameworks or bad is None or bad:
        out["framework"] = (
            f"framework: {frameworks!r} must be a non-empty list from mteb's list ({', '.join(get_args(FRAMEWORKS))})"
        )
    training = data.get("training_datasets")
    if training is None:
        out["training_datasets"] = (
            "training_datasets: None means 'unknown' (no zero-shot flag on the leaderboard); "
            "give the mteb task names the model was trained on, an empty list for none"
        )
    elif not isinstance(training, (list, set, tuple)) or not all(isinstance(t, str) for t in training):
        out["training_datasets"] = f"training_datasets: {training!r} is not a list of task names"
    adapted = data.get("adapted_from")
    if adapted is None and fine_tuned:
        out["adapted_from"] = "adapted_from: a fine-tuned model must name the model it starts from ('org/name')"
    elif adapted is not None and not _org_name(adapted):
        out["adapted_from"] = f"adapted_from: {adapted!r} is not in 'org/name' form"
    n_params = data.get("n_parameters")
    if not isinstance(n_params, int) or isinstance(n_params, bool) or n_params <= 0:
        out["n_parameters"] = f"n_parameters: {n_params!r} is not a positive integer"
    dim = data.get("embed_dim")
    dims = dim if isinstance(dim, list) else [dim]
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        out["embed_dim"] = f"embed_dim: {dim!r} is not a positive integer"
    sim = data.get("similarity_fn_name")
    if sim not in {s.value for s in ScoringFunction}:
        out["similarity_fn_name"] = f"similarity_fn_name: {sim!r} is not one of mteb's scoring functions"
    return out


def validate_model_meta(meta: Any, *, fine_tuned: bool | None = None) -> list[str]:
    """Problems that keep `meta` (a ModelMeta, or a model_meta.json dict) out of a submission; [] = submittable.

    What the results repository needs beyond mteb's pydantic checks (None revision, ...), then mteb's own.
    `fine_tuned=None`: this package's models must name `adapted_from`.
    """
    from mteb_hybrid.models.metas import ORG

    data = _meta_dict(meta)
    if fine_tuned is None:
        fine_tuned = str(data.get("name") or "").startswith(f"{ORG}/")
    by_hand = _repository_problems(data, fine_tuned)
    from_mteb = {k: v for k, v in _pydantic_problems(data).items() if k not in by_hand}
    return [*by_hand.values(), *from_mteb.values()]


def leaderboard_warnings(meta: Any, tasks: Iterable[str] = (), *, upstream: bool = False) -> list[str]:
    """Why committed results would not show on the leaderboard (not a reason to refuse them)."""
    from mteb_hybrid.mteb_private import model_registry

    MODEL_REGISTRY = model_registry()  # noqa: N806 - mteb's name

    data = _meta_dict(meta)
    name = data.get("name")
    out: list[str] = []
    registered = MODEL_REGISTRY.get(name) if isinstance(name, str) else None
    loader = getattr(registered, "loader", None)
    module = getattr(getattr(loader, "func", loader), "__module__", "") or ""
    if registered is None or loader is None:
        out.append(
            f"{name}: no reference implementation in mteb; the leaderboard needs one, and the results "
            "repository's CI (tests/test_model_implementation.py) fails a PR with a model that mteb does not "
            "list: merge its ModelMeta into mteb first (`mteb-hybrid export --kit` writes entries for trained models)"
        )
    elif not module.startswith("mteb."):
        out.append(
            f"{name}: implemented by {module.split('.')[0]}, not by mteb; the leaderboard needs a reference "
            "implementation in mteb/models/model_implementations and public weights, and the results "
            "repository's CI (tests/test_model_implementation.py) fails a PR with a model that mteb does not list"
        )
    if data.get("open_weights") is False:
        out.append(f"{name}: weights are not public; the leaderboard needs a public model")
    from mteb_hybrid.mteb_private import task_registry

    registry = task_registry()
    for task in sorted(set(tasks)):
        if registry.get(task) is not None and registry[task].__module__.startswith("mteb."):
            continue
        if upstream and task in PLUGIN_TASKS:
            out.append(
                f"{task}: written for the exported task; shown on the leaderboard once its task file and hub "
                "dataset are merged into mteb (LEADERBOARD_RULES)"
            )
        else:
            out.append(
                f"{task}: plugin-only task, not shown on the leaderboard until upstreamed into mteb "
                "with a hub dataset and revision"
            )
    return out
