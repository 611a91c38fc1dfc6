"""Embeddings of one model, keyed by (prompt type, text): each distinct text is encoded once per run.

mteb evaluates a multilingual task subset by subset and re-encodes every subset's corpus and
queries; XQuAD-R's 132 subsets would encode each text ~12 times. The store sits between the task
and the model. It belongs to one model (name, revision and object), so it never serves one model's
vectors to another; optionally it persists to disk under a folder named by model, revision and task.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def text_key(prompt_type: str, text: str) -> str:
    """A short stable key for one (prompt type, text) pair."""
    return hashlib.sha256(f"{prompt_type}\x00{text}".encode()).hexdigest()[:24]


class EmbeddingStore:
    """In-memory (and optionally on-disk) embeddings of one model."""

    def __init__(self, disk_dir: Path | None = None) -> None:
        self._vectors: dict[str, np.ndarray] = {}
        self.encoded_texts = 0  # texts this store asked the model to encode
        self.disk_dir = disk_dir
        self._chunks_written = 0
        if disk_dir is not None:
            self._load_disk(disk_dir)

    def __contains__(self, key: str) -> bool:
        return key in self._vectors

    def __len__(self) -> int:
        return len(self._vectors)

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Remember new vectors (and persist them as one chunk file when on disk)."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        for k, v in zip(keys, vectors):
            self._vectors[k] = v
        if self.disk_dir is not None and keys:
            self._write_chunk(keys, vectors)

    def get(self, keys: list[str]) -> np.ndarray:
        return np.stack([self._vectors[k] for k in keys])

    def _load_disk(self, folder: Path) -> None:
        chunks = sorted(folder.glob("chunk-*.npz")) if folder.is_dir() else []
        for path in chunks:
            with np.load(path, allow_pickle=False) as z:
                for k, v in zip(z["keys"].tolist(), z["vectors"]):
                    self._vectors[k] = v
        self._chunks_written = len(chunks)
        if chunks:
            logger.info("Loaded %d cached embeddings from %s", len(self._vectors), folder)

    def _write_chunk(self, keys: list[str], vectors: np.ndarray) -> None:
        """Write atomically: an interrupted write never leaves a chunk that looks complete."""
        assert self.disk_dir is not None
        self.disk_dir.mkdir(parents=True, exist_ok=True)
        target = self.disk_dir / f"chunk-{self._chunks_written:06d}-{os.getpid()}.npz"
        fd, tmp = tempfile.mkstemp(dir=self.disk_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, keys=np.asarray(keys), vectors=np.asarray(vectors, dtype=np.float32))
        os.replace(tmp, target)
        self._chunks_written += 1
