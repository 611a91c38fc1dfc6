"""The user's settings, set once and read by every entry point (`mteb-hybrid`, `mteb run`, Python).

The data folder is the first of: an explicit `data_dir=` / `--data-dir`, $MTEB_HYBRID_DATA_DIR, the user
config file (`mteb-hybrid config data-dir PATH`), the download cache. The config file is $MTEB_HYBRID_CONFIG,
else $XDG_CONFIG_HOME/mteb-hybrid/config.json, else ~/.config/mteb-hybrid/config.json. Only the standard
library and pydantic are imported here: `mteb-hybrid config` stays instant.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from mteb_hybrid.formats.user_config import UserConfig, read_user_config, write_user_config

DATA_DIR_ENV = "MTEB_HYBRID_DATA_DIR"
CONFIG_ENV = "MTEB_HYBRID_CONFIG"
EMBEDDING_CACHE_ENV = "MTEB_HYBRID_EMBEDDING_CACHE"
DATASET_FOLDERS = ("xquad-r", "mlqa-r")
# folders a fresh clone is told to use (README: the LAReQA files in ../shared/data), suggested in hints if present
LIKELY_DATA_DIRS = ("../shared/data", "data", "../data")
_OFF = ("0", "false", "no", "off")


class DataDir(NamedTuple):
    """A configured data folder and where the setting came from (for messages)."""

    path: Path
    source: str


def config_path() -> Path:
    """The user config file ($MTEB_HYBRID_CONFIG, else the XDG config folder)."""
    if explicit := os.environ.get(CONFIG_ENV):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "mteb-hybrid" / "config.json"


def read_config() -> UserConfig:
    """The config file's settings (empty if there is none); a bad file is one line naming it and the fix."""
    return read_user_config(config_path())


def write_config(config: UserConfig) -> Path:
    """Write the config file atomically; returns its path."""
    return write_user_config(config_path(), config)


def configured_data_dir() -> DataDir | None:
    """The data folder from $MTEB_HYBRID_DATA_DIR, else from the config file, else None (download cache)."""
    if env := os.environ.get(DATA_DIR_ENV):
        return DataDir(Path(env), f"${DATA_DIR_ENV}")
    if data_dir := read_config().data_dir:
        return DataDir(Path(data_dir), f"{config_path()} (mteb-hybrid config data-dir)")
    return None


def holds_data(folder: Path) -> bool:
    """Whether `folder` holds at least one LAReQA language file (xquad-r/*.json or mlqa-r/*.json)."""
    return any(any((folder / name).glob("*.json")) for name in DATASET_FOLDERS)


def set_data_dir(folder: str | os.PathLike[str]) -> Path:
    """Store `folder` (made absolute) as the data folder of every entry point; refuses one without LAReQA files."""
    path = Path(folder).expanduser().resolve()
    if not holds_data(path):
        raise FileNotFoundError(
            f"{folder}: no LAReQA files there (expected {path}/xquad-r/*.json or "
            f"{path}/mlqa-r/*.json). Fix: pass the folder that holds xquad-r/ and mlqa-r/"
        )
    config = read_config() if config_path().is_file() else UserConfig()
    write_config(config.model_copy(update={"data_dir": str(path)}))
    return path


def unset_data_dir() -> None:
    """Remove the data folder from the config file (the file stays, with any other setting)."""
    if config_path().is_file():
        write_config(read_config().model_copy(update={"data_dir": None}))


def embedding_cache_default() -> bool:
    """Whether embeddings are kept on disk when not asked per call: yes, unless $MTEB_HYBRID_EMBEDDING_CACHE is
    0/false/no/off. Safe by default because cached vectors are keyed by the model's name and revision."""
    return os.environ.get(EMBEDDING_CACHE_ENV, "").strip().lower() not in _OFF


# ---- the line a message shows: the user's own command with the data folder added -----------------------

_entry: tuple[str, list[str]] | None = None  # ("mteb-hybrid", argv) while the mteb-hybrid CLI runs


def set_entry_point(name: str | None, argv: Sequence[str] = ()) -> None:
    """Called by the `mteb-hybrid` CLI, so that messages show its own command line (None: it has finished)."""
    global _entry
    _entry = None if name is None else (name, list(argv))


def user_command(*extra: str) -> str | None:
    """The `mteb-hybrid` command line being run, with `extra` appended if not there yet (None outside the CLI)."""
    if _entry is None:
        return None
    argv = [*_entry[1], *(e for e in extra if e not in _entry[1])]
    return shlex.join([_entry[0], *argv])


def suggested_data_dir(dataset_folder: str | None = None) -> str:
    """A folder to name in a hint: a likely one that holds the files, as written relative to here, else PATH."""
    names = (dataset_folder,) if dataset_folder else DATASET_FOLDERS
    for candidate in LIKELY_DATA_DIRS:
        if any(any((Path(candidate) / name).glob("*.json")) for name in names):
            return candidate
    return "PATH"


def data_dir_fix(dataset_folder: str | None = None) -> str:
    """How to name the data folder, as the exact line for the entry point in use (CLI, mteb run, Python)."""
    folder = suggested_data_dir(dataset_folder)
    holding = "" if folder != "PATH" else f" (PATH: the folder holding {dataset_folder or 'xquad-r'}/)"
    once = f"mteb-hybrid config data-dir {shlex.quote(folder)}"
    if _entry is not None:
        argv = [a for a in _entry[1] if a != "--data-dir" and not a.startswith("--data-dir=")]
        line = shlex.join([_entry[0], *argv, "--data-dir", folder])
        return f"Fix: {line}{holding}; or once, for every command: {once}"
    if running_under_mteb_cli():
        import sys

        line = f"{DATA_DIR_ENV}={shlex.quote(folder)} mteb " + shlex.join(sys.argv[1:])
        return f"Fix: {line}{holding}; or once, for every command: {once}"
    return (
        f"Fix: once, for every entry point, in a shell: {once}{holding}; or in this script before the "
        f"evaluation: os.environ[{DATA_DIR_ENV!r}] = {folder!r}"
    )


# ---- `mteb-hybrid config` -----------------------------------------------------------------------------

CONFIG_HELP = "show or set the user's settings: `config data-dir PATH` once, and no command needs --data-dir"
CONFIG_DESCRIPTION = (
    "Show or set the user's settings, read by every entry point (mteb-hybrid, mteb run, Python). "
    "`mteb-hybrid config data-dir PATH` stores the folder holding xquad-r/ and mlqa-r/, so no command needs "
    f"--data-dir. The file is ${CONFIG_ENV}, else ~/.config/mteb-hybrid/config.json; ${DATA_DIR_ENV} and "
    "--data-dir take precedence over it."
)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """`mteb-hybrid config [data-dir [PATH] [--unset]]`."""
    parser.add_argument("key", nargs="?", choices=["data-dir"], help="the setting (without: show every setting)")
    parser.add_argument("value", nargs="?", metavar="PATH", help="the new value (without: show the current one)")
    parser.add_argument("--unset", action="store_true", help="remove the setting")


def run_config(args: argparse.Namespace) -> int:
    """Show or change the settings; prints where each value comes from."""
    if args.unset:
        unset_data_dir()
        print(f"data-dir unset in {config_path()}")
        return 0
    if args.key and args.value:
        print(f"data-dir = {set_data_dir(args.value)}  (written to {config_path()})")
        return 0
    found = configured_data_dir()
    where = f"  (from {found.source})" if found else "  (not set: downloads into the cache, needs network)"
    print(f"data-dir = {found.path if found else '-'}{where}")
    if found and not holds_data(found.path):
        print(f"warning: {found.path} holds no xquad-r/*.json or mlqa-r/*.json")
    if not args.key:
        cache = "off" if not embedding_cache_default() else "on"
        print(f"embedding cache = {cache}  (${EMBEDDING_CACHE_ENV}=0 turns it off)")
        print(f"config file: {config_path()}")
    return 0


def running_under_mteb_cli(argv: Sequence[str] | None = None) -> bool:
    """True for the `mteb` console script and `python -m mteb`."""
    argv = sys.argv if argv is None else argv
    first = Path(argv[0]) if argv else Path()
    return first.name == "mteb" or (first.name == "__main__.py" and first.parent.name in ("mteb", "cli"))


def hub_is_offline() -> bool:
    """True when the hub is switched off by the environment (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)."""
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def add_data_dir_argument(p: argparse.ArgumentParser) -> None:
    """`--data-dir` with the order every entry point reads the data folder in (one text for every subcommand)."""
    p.add_argument(
        "--data-dir",
        help="folder holding xquad-r/ and mlqa-r/ (default: $MTEB_HYBRID_DATA_DIR, else the "
        "folder set once with `mteb-hybrid config data-dir PATH`, else download)",
    )
