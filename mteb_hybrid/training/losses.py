"""Losses by name: in-batch-negative InfoNCE over cosine similarity, plain (`mnrl`) or with GradCache (`cached-mnrl`,
the exact large-batch gradient in chunks of `mini_batch_size`). Under DDP embeddings are gathered across devices,
so a step's negatives are the global batch, as on one device."""

from __future__ import annotations

from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from torch import nn

from mteb_hybrid.files import world_size

from .config import LOSS_NAMES  # the names live with the option they choose


def make_loss(
    name: str,
    model: SentenceTransformer,
    *,
    scale: float = 20.0,
    mini_batch_size: int = 32,
    gather_across_devices: bool | None = None,
) -> nn.Module:
    """The sentence-transformers loss module called `name`."""
    gather = world_size() > 1 if gather_across_devices is None else gather_across_devices
    if name == "mnrl":
        return MultipleNegativesRankingLoss(model, scale=scale, gather_across_devices=gather)
    if name == "cached-mnrl":
        return CachedMultipleNegativesRankingLoss(
            model, scale=scale, mini_batch_size=mini_batch_size, gather_across_devices=gather
        )
    raise ValueError(f"unknown loss {name!r}; use one of {LOSS_NAMES} (gradient accumulation: mnrl + --grad-accum)")
