"""Losses by name, all in-batch-negative InfoNCE over cosine similarity (scale 20 = temperature 0.05).

`mnrl` is MultipleNegativesRankingLoss; `cached-mnrl` its GradCache form (the exact large-batch gradient in
chunks of `mini_batch_size`, memory flat in the batch size). Plain gradient accumulation is `mnrl` with the
Trainer's `gradient_accumulation_steps`: each micro-batch sees only its own negatives. Under DDP embeddings
are gathered across devices, so the negatives of a step are the global batch, as on one device.
"""

from __future__ import annotations

from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from torch import nn

from mteb_hybrid.files import world_size

from .config import LOSS_NAMES  # the names live with the option they choose


def make_loss(name: str, model: SentenceTransformer, *, scale: float = 20.0, mini_batch_size: int = 32,
              gather_across_devices: bool | None = None) -> nn.Module:
    """The sentence-transformers loss module called `name`."""
    gather = world_size() > 1 if gather_across_devices is None else gather_across_devices
    if name == "mnrl":
        return MultipleNegativesRankingLoss(model, scale=scale, gather_across_devices=gather)
    if name == "cached-mnrl":
        if mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be >= 1, got {mini_batch_size}")
        return CachedMultipleNegativesRankingLoss(model, scale=scale, mini_batch_size=mini_batch_size,
                                                  gather_across_devices=gather)
    raise ValueError(f"unknown loss {name!r}; use one of {LOSS_NAMES} (gradient accumulation: mnrl + --grad-accum)")
