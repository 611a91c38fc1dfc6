"""Where the data files come from: `data_dir`, else $MTEB_HYBRID_DATA_DIR, else a download cache."""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from mteb_hybrid.files import write_atomic

from .definitions import TaskDefinition
from .errors import MissingDataError

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "MTEB_HYBRID_DATA_DIR"
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
        raise MissingDataError(
            f"could not download {url} ({e}). Without network, point to a local copy of the files: "
            f"pass data_dir=... or set {DATA_DIR_ENV}=/path/to/folder-with-{target.parent.name}/") from e
    write_atomic(target, payload)


def language_file(definition: TaskDefinition, lang: str, data_dir: str | Path | None = None) -> Path:
    """The path of one language file, downloading it into the cache if no local folder is given."""
    if lang not in definition.languages:
        raise MissingDataError(f"{definition.name} has no language {lang!r}; it has {', '.join(definition.langs)}")
    base = data_dir or os.environ.get(DATA_DIR_ENV)
    rel = definition.source.relative_path(lang)
    if base:
        path = Path(base) / rel
        if not path.is_file():
            raise MissingDataError(f"{path}: language file for '{lang}' of {definition.name} not found in {base}. "
                                   f"Fix: put {rel} there (from {definition.source.url(lang)}), or evaluate fewer "
                                   f"languages (mteb: -l / languages=[...])")
        return path
    path = cache_root() / "data" / definition.source.commit[:12] / rel
    if not path.is_file():
        _download(definition.source.url(lang), path)
    return path
