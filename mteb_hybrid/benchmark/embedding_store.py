"""Embeddings of one model, keyed by (prompt type, text): each distinct text is encoded once per run.

mteb re-encodes every subset's texts (~12 times each over XQuAD-R's 132 subsets). A store belongs to one
model; on disk it lives under model, revision and task (`embedding_dir`), only for a revision that identifies
the model.
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


def embedding_dir(root: Path, model_name: str, revision: str | None, task_name: str, dtype: Any = None) -> Path | None:
    """`root/<org>__<name>/<revision>/<task>`, or None (with a warning) when nothing may be kept on disk.

    Only under a key that identifies the model (a known revision: the hash of every file that changes its vectors,
    models/identity.py) and whose parts are safe folder names. The one place the cache key is built: a new part of
    it (what else changes the vectors) goes here. A model computing in bf16/fp16 (`dtype`)
    keeps its vectors under `<revision>-bf16`, never with fp32's (mteb_hybrid/precision.py).
    """
    revision = precision_revision(revision, dtype)
    if not known_revision(revision):
        logger.warning(
            "embedding cache: %s has no known revision (%r), so its embeddings are kept in memory only",
            model_name,
            revision,
        )
        return None
    try:
        parts = [
            safe_name(model_name.replace("/", "__"), "model name"),
            safe_name(str(revision), "model revision"),
            safe_name(task_name, "task name"),
        ]
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
    """In-memory (and optionally on-disk) embeddings of one model.

    All vectors of a store have one dimension. On disk, a chunk of another dimension than the rest (a damaged or
    foreign file) is discarded alone, with a warning; when the model itself turns out to give another dimension
    than every chunk, the chunks are the foreign ones and are discarded in their turn.
    """

    def __init__(self, disk_dir: Path | None = None) -> None:
        self._vectors: dict[str, np.ndarray] = {}
        self.encoded_texts = 0  # texts this store asked the model to encode
        self.disk_dir = disk_dir
        self._next_chunk = 0  # number of the next chunk file (one past the highest on disk)
        self._chunks: dict[Path, list[str]] = {}  # the chunk files read or written, with their keys
        if disk_dir is not None:
            self._load_disk(disk_dir)

    def __contains__(self, key: str) -> bool:
        return key in self._vectors

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def dim(self) -> int | None:
        """The dimension of the vectors held (None while empty)."""
        return next(iter(self._vectors.values())).shape[0] if self._vectors else None

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Remember new vectors; on disk, also as one chunk file, written atomically (never half a chunk)."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(keys) and self.dim is not None and vectors.ndim == 2 and vectors.shape[1] != self.dim:
            self._discard_other_dimension(vectors.shape[1])
        self._vectors.update(zip(keys, vectors))
        if self.disk_dir is None or not keys:
            return

        def save(tmp: Path) -> None:
            with tmp.open("wb") as f:  # a file object: np.savez would add ".npz" to a path
                np.savez(f, keys=np.asarray(keys), vectors=vectors)

        path = write_atomic(self.disk_dir / f"chunk-{self._next_chunk:06d}-{os.getpid()}.npz", save)
        self._chunks[path] = list(keys)
        self._next_chunk += 1

    def _discard_other_dimension(self, dim: int) -> None:
        """The model gives `dim`-dimensional vectors, unlike every cached one: drop those, and their chunk files."""
        logger.warning(
            "embedding cache: the model gives vectors of dimension %d, the %d cached ones have %s; "
            "discarding the cached ones%s",
            dim,
            len(self._vectors),
            self.dim,
            f" ({len(self._chunks)} chunk file(s) in {self.disk_dir})" if self._chunks else "",
        )
        for path in self._chunks:
            path.unlink(missing_ok=True)
        self._chunks.clear()
        self._vectors.clear()

    def get(self, keys: list[str]) -> np.ndarray:
        missing = [k for k in keys if k not in self._vectors]
        if missing:  # only after _discard_other_dimension dropped vectors a caller had already found
            raise ValueError(
                f"embedding cache: {len(missing)} vector(s) were discarded as being of another "
                f"dimension than the model's ({self.dim}) while in use; run the evaluation again "
                "(the discarded chunks are gone, so it encodes their texts anew)"
            )
        return np.stack([self._vectors[k] for k in keys])

    def _read_chunk(self, path: Path) -> tuple[list[str], np.ndarray] | None:
        """A chunk's keys and vectors, or None (with a warning, the file removed) when it cannot be read."""
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, vectors = z["keys"].tolist(), np.asarray(z["vectors"], dtype=np.float32)
            if vectors.ndim != 2 or len(keys) != len(vectors) or not all(isinstance(k, str) for k in keys):
                raise ValueError(f"{len(keys)} keys for vectors of shape {vectors.shape}")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            logger.warning(
                "embedding cache: %s cannot be read (%s: %s); discarding it, its texts are encoded again",
                path,
                type(e).__name__,
                e,
            )
            path.unlink(missing_ok=True)
            return None
        return keys, vectors

    def _load_disk(self, folder: Path) -> None:
        chunks = sorted(p for p in folder.glob("chunk-*.npz") if CHUNK_PATTERN.match(p.name)) if folder.is_dir() else []
        read = {path: got for path in chunks if (got := self._read_chunk(path)) is not None}
        by_dim: dict[int, int] = {}  # dimension -> vectors of that dimension
        for _, vectors in read.values():
            by_dim[vectors.shape[1]] = by_dim.get(vectors.shape[1], 0) + len(vectors)
        dim = max(by_dim, key=lambda d: by_dim[d]) if by_dim else None  # the dimension most vectors have
        for path, (keys, vectors) in read.items():
            if vectors.shape[1] != dim:
                logger.warning(
                    "embedding cache: %s holds vectors of dimension %d, the other chunks' have %s; "
                    "discarding it alone, its texts are encoded again",
                    path,
                    vectors.shape[1],
                    dim,
                )
                path.unlink(missing_ok=True)
                continue
            self._vectors.update(zip(keys, vectors))
            self._chunks[path] = keys
        self._next_chunk = max((int(CHUNK_PATTERN.match(p.name).group(1)) + 1 for p in chunks), default=0)
        if self._vectors:
            logger.info("Loaded %d cached embeddings from %s", len(self._vectors), folder)
