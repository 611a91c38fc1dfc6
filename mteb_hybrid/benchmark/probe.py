"""A small, fixed multilingual-pool probe for tracking zero-shot quality during training.

Convergence curves need a figure every few dozen steps: mAP and rank distance over a pool of the answers of
the same `n` questions in all chosen languages, with the full tasks' metric functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mteb_hybrid import metrics
from mteb_hybrid.benchmark.lengths import encode_by_length, model_tokenizer
from mteb_hybrid.data import get_definition, load_dataset


def make_pool_probe(
    dataset: str = "xquad-r",
    languages: Sequence[str] = ("en", "de", "zh", "el", "th"),
    n_questions: int = 100,
    data_dir: str | Path | None = None,
    seed: int = 0,
    batch_size: int = 64,
) -> Callable[[Any], dict[str, float]]:
    """`probe(model) -> {"probe_map", "probe_rank_distance"}` for a SentenceTransformer `model`."""
    ds = load_dataset(get_definition(dataset), data_dir, list(languages))
    answers = ds.answers_by_parallel_id()
    shared = sorted(pid for pid, by_lang in answers.items() if all(lang in by_lang for lang in languages))
    if len(shared) < n_questions:
        raise ValueError(f"only {len(shared)} questions of {dataset} exist in all of {list(languages)}")
    chosen = [shared[i] for i in np.random.default_rng(seed).choice(len(shared), n_questions, replace=False)]
    cand = ds.candidate_index()
    doc_ids = [answers[pid][lang] for pid in chosen for lang in languages]
    docs = [cand[d].sentence for d in doc_ids]
    col = {d: j for j, d in enumerate(doc_ids)}
    by_id = {q.id: q for data in ds.languages.values() for q in data.questions}
    queries = [by_id[f"{lang}:{pid}"].text for lang in languages for pid in chosen]
    relevant = [[col[answers[pid][lang2]] for lang2 in languages] for _ in languages for pid in chosen]

    def probe(model: Any) -> dict[str, float]:
        prompts = getattr(model, "prompts", {}) or {}
        tokenizer, max_length = model_tokenizer(model)

        def encode(texts: list[str], kind: str) -> np.ndarray:  # batches of one length: little padding, same vectors
            return encode_by_length(
                lambda batch: model.encode(
                    batch,
                    prompt_name=kind if prompts.get(kind) else None,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                ),
                texts,
                batch_size,
                tokenizer,
                max_length,
            )

        q, d = encode(queries, "query"), encode(docs, "document")
        scores = q @ d.T
        return {
            "probe_map": metrics.mean_average_precision(scores, relevant),
            "probe_rank_distance": float(np.mean(metrics.rank_distance(scores, relevant))),
        }

    return probe
