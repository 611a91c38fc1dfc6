"""Where the data files come from: `data_dir`, else $MTEB_HYBRID_DATA_DIR, else the user config file
(`mteb-hybrid config data-dir`), else a download cache. Every entry point reads this one order."""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from mteb_hybrid.files import write_atomic
from mteb_hybrid.userconfig import DATA_DIR_ENV, configured_data_dir, data_dir_fix

from .definitions import TaskDefinition
from .errors import MissingDataError

logger = logging.getLogger(__name__)

__all__ = ["DATA_DIR_ENV", "cache_root", "language_file"]

CACHE_ENV = "MTEB_HYBRID_CACHE"


def cache_root() -> Path:
    """The user cache for downloads and built models ($MTEB_HYBRID_CACHE or ~/.cache/mteb_hybrid)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mteb_hybrid")


def _download(url: str, target: Path, timeout: float = 60.0) -> None:
    """Fetch `url` into `target` atomically (a partial download never looks like a file)."""
    logger.info("Downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - https URL from task definition
            payload = resp.read()
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise MissingDataError(
            f"no data folder is set for the LAReQA files, and downloading them failed ({url}: {reason}). "
            f"{data_dir_fix(target.parent.name)}"
        ) from None
    write_atomic(target, payload)


def language_file(definition: TaskDefinition, lang: str, data_dir: str | Path | None = None) -> Path:
    """The path of one language file, downloading it into the cache if no local folder is given."""
    if lang not in definition.languages:
        raise MissingDataError(f"{definition.name} has no language {lang!r}; it has {', '.join(definition.langs)}")
    rel = definition.source.relative_path(lang)
    configured = None if data_dir else configured_data_dir()
    base = Path(data_dir) if data_dir else configured.path if configured else None
    if base is not None:
        path = base / rel
        if not path.is_file():
            where = f" (the data folder from {configured.source})" if configured else ""
            if not base.is_dir():
                raise MissingDataError(f"{base}: data folder not found{where}. {data_dir_fix(Path(rel).parts[0])}")
            raise MissingDataError(
                f"{path}: language file for '{lang}' of {definition.name} not found in {base}{where}. "
                f"Fix: put {rel} there (from {definition.source.url(lang)}), or evaluate fewer "
                f"languages (mteb-hybrid and mteb run: -l; Python: languages=[...])"
            )
        return path
    path = cache_root() / "data" / definition.source.commit[:12] / rel
    if not path.is_file():
        _download(definition.source.url(lang), path)
    return path
