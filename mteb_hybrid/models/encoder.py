"""A sentence encoder assembled around a plain transformers model: the one builder presets, the M2M-100 encoder
and the tiny test models share (its own module, so that none of them imports another for it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def sentence_encoder(
    model_dir: str | Path, pooling: str, *, max_seq_length: int | None = None, device: str | None = None
) -> SentenceTransformer:
    """Transformer + `pooling` + Normalize around a plain transformers encoder (hub name or folder)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    transformer = Transformer(str(model_dir), max_seq_length=max_seq_length)
    pooling_module = Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)
    return SentenceTransformer(modules=[transformer, pooling_module, Normalize()], device=device)
