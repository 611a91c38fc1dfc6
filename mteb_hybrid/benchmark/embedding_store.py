"""Embeddings of one model, keyed by (prompt type, text): each distinct text is encoded once per run.

mteb re-encodes every subset's texts (~12 times each over XQuAD-R's 132 subsets). A store belongs to one
model; on disk it lives under model, revision and task, only for a revision that identifies the weights.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mteb_hybrid.files import UnsafePathError, ensure_under, safe_name, write_atomic
from mteb_hybrid.models.identity import known_revision
from mteb_hybrid.precision import precision_revision

logger = logging.getLogger(__name__)

CHUNK_PATTERN = re.compile(r"^chunk-(\d+)-\d+\.npz$")


def embedding_dir(root: Path, model_name: str, revision: str | None, task_name: str,
                  dtype: Any = None) -> Path | None:
    """`root/<org>__<name>/<revision>/<task>`, or None (with a warning) when nothing may be kept on disk.

    Only under a key that identifies the weights (a known revision) and whose parts are safe folder names. A model
    computing in bf16/fp16 (`dtype`) keeps its vectors under `<revision>-bf16`, never with fp32's (mteb_hybrid/precision.py).
    """
    revision = precision_revision(revision, dtype)
    if not known_revision(revision):
        logger.warning("embedding cache: %s has no known revision (%r), so its embeddings are kept in memory only",
                       model_name, revision)
        return None
    try:
        parts = [safe_name(model_name.replace("/", "__"), "model name"), safe_name(str(revision), "model revision"),
                 safe_name(task_name, "task name")]
    except UnsafePathError as e:
        logger.warning("embedding cache: %s; embeddings are kept in memory only", e)
        return None
    folder = root.joinpath(*parts)
    ensure_under(root, folder)
    return folder


def text_key(prompt_type: str, text: str) -> str:
    """A short stable key for one (prompt type, text) pair."""
    return hashlib.sha256(f"{prompt_type}\x00{text}".encode()).hexdigest()[:24]


class EmbeddingStore:
    """In-memory (and optionally on-disk) embeddings of one model."""

    def __init__(self, disk_dir: Path | None = None) -> None:
        self._vectors: dict[str, np.ndarray] = {}
        self.encoded_texts = 0  # texts this store asked the model to encode
        self.disk_dir = disk_dir
        self._next_chunk = 0  # number of the next chunk file (one past the highest on disk)
        if disk_dir is not None:
            self._load_disk(disk_dir)

    def __contains__(self, key: str) -> bool:
        return key in self._vectors

    def __len__(self) -> int:
        return len(self._vectors)

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Remember new vectors; on disk, also as one chunk file, written atomically (never half a chunk)."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        self._vectors.update(zip(keys, vectors))
        if self.disk_dir is None or not keys:
            return

        def save(tmp: Path) -> None:
            with tmp.open("wb") as f:  # a file object: np.savez would add ".npz" to a path
                np.savez(f, keys=np.asarray(keys), vectors=np.asarray(vectors, dtype=np.float32))

        write_atomic(self.disk_dir / f"chunk-{self._next_chunk:06d}-{os.getpid()}.npz", save)
        self._next_chunk += 1

    def get(self, keys: list[str]) -> np.ndarray:
        return np.stack([self._vectors[k] for k in keys])

    def _load_disk(self, folder: Path) -> None:
        chunks = sorted(p for p in folder.glob("chunk-*.npz") if CHUNK_PATTERN.match(p.name)) if folder.is_dir() else []
        for path in chunks:
            try:
                with np.load(path, allow_pickle=False) as z:
                    keys, vectors = z["keys"].tolist(), np.asarray(z["vectors"], dtype=np.float32)
                if vectors.ndim != 2 or len(keys) != len(vectors) or not all(isinstance(k, str) for k in keys):
                    raise ValueError(f"{len(keys)} keys for vectors of shape {vectors.shape}")
                dim = next(iter(self._vectors.values())).shape[0] if self._vectors else vectors.shape[1]
                if vectors.shape[1] != dim:
                    raise ValueError(f"vectors of dimension {vectors.shape[1]}, the other chunks' have {dim}")
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
                logger.warning("embedding cache: %s cannot be read (%s: %s); discarding it, its texts are encoded "
                               "again", path, type(e).__name__, e)
                path.unlink(missing_ok=True)
                continue
            self._vectors.update(zip(keys, vectors))
        self._next_chunk = max((int(CHUNK_PATTERN.match(p.name).group(1)) + 1 for p in chunks), default=0)
        if self._vectors:
            logger.info("Loaded %d cached embeddings from %s", len(self._vectors), folder)
