"""Texts in order of token count, so that each encoding batch holds texts of nearly one length (little padding).

sentence-transformers sorts only the texts of one `encode` call, by characters; a corpus encoded in corpus-order
chunks pads English paragraphs at batch 32 to 1.23x their real tokens, token-sorted batches to ~1.02x
(benchmarks/length_sort.py). Embeddings do not change: padding is masked out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def token_counts(texts: Sequence[str], tokenizer: Any | None, max_length: int | None = None) -> list[int]:
    """Tokens per text as the model would see them (capped at `max_length`); characters when there is no tokenizer."""
    if tokenizer is None or not texts:
        return [len(t) for t in texts]
    ids = tokenizer(list(texts), add_special_tokens=True, truncation=max_length is not None, max_length=max_length)[
        "input_ids"
    ]
    return [len(x) for x in ids]


def length_order(texts: Sequence[str], tokenizer: Any | None, max_length: int | None = None) -> list[int]:
    """Indices of `texts`, longest first (as sentence-transformers orders a call), ties in their original order."""
    counts = token_counts(texts, tokenizer, max_length)
    return sorted(range(len(texts)), key=lambda i: (-counts[i], i))


def model_tokenizer(model: Any) -> tuple[Any | None, int | None]:
    """(tokenizer, max_seq_length) of a SentenceTransformer or of an mteb wrapper around one; (None, None) if none."""
    for candidate in (model, getattr(model, "model", None)):
        tokenizer = getattr(candidate, "tokenizer", None)
        if tokenizer is not None and callable(tokenizer):
            return tokenizer, getattr(candidate, "max_seq_length", None)
    return None, None


def encode_by_length(
    encode: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    batch_size: int,
    tokenizer: Any | None,
    max_length: int | None = None,
) -> np.ndarray:
    """`encode` called on one batch of token-sorted texts at a time (a call re-sorts only inside itself, so the
    batches stay as sorted); the rows come back in the order of `texts`."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    order = length_order(texts, tokenizer, max_length)
    parts = [
        np.asarray(encode([texts[i] for i in order[start : start + batch_size]]))
        for start in range(0, len(order), batch_size)
    ]
    sorted_emb = np.concatenate(parts)
    out = np.empty_like(sorted_emb)
    out[np.asarray(order)] = sorted_emb
    return out


def padded_tokens(counts: Sequence[int], batch_size: int) -> int:
    """Tokens a model computes over `counts` taken `batch_size` at a time in this order: each batch pads to its
    longest."""
    return sum(
        max(counts[s : s + batch_size]) * len(counts[s : s + batch_size]) for s in range(0, len(counts), batch_size)
    )
