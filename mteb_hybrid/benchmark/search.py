"""An mteb `SearchProtocol` that encodes through an EmbeddingStore and keeps the full score matrix.

New texts are encoded grouped by language (passed as `hf_subset`, for language-aware encoders such as
M2M-100), each language's longest first by token count (little padding: benchmark/lengths.py); the matrix gives the
exact full-ranking metrics (mAP, rank distance) mteb's top-k cannot.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import numpy as np
import torch
from datasets import Dataset
from mteb.types import PromptType
from tqdm.auto import tqdm

from mteb_hybrid.mteb_private import create_dataloader

from .embedding_store import EmbeddingStore, text_key
from .lengths import length_order, model_tokenizer

logger = logging.getLogger(__name__)

PROGRESS_CHUNK_BATCHES = 4  # batches per encode call: the bar moves every few seconds, a call's fixed cost is small


def language_of(record_id: str) -> str:
    """Ids of this package's records start with their language: "de:17", "de:5726ae..."."""
    return record_id.split(":", 1)[0]


def _finish(bar: tqdm) -> None:
    """Close the bar at 100%: a resumed run may have counted texts of subsets that were already finished."""
    if bar.n < bar.total:
        bar.total = bar.n
        bar.refresh()
    bar.close()


@dataclass
class ScoredSubset:
    """The full score matrix of the last subset searched."""

    query_ids: list[str]
    corpus_ids: list[str]
    scores: torch.Tensor


class CachedSearch:
    """`SearchProtocol` over any mteb encoder, encoding each distinct text once per store."""

    sort_by_length = True  # False: corpus order, as before (benchmarks/length_sort.py measures both)

    def __init__(self, model: Any, store: EmbeddingStore) -> None:
        self.model = model
        self.store = store
        self.last: ScoredSubset | None = None
        self._corpus: tuple[list[str], np.ndarray] | None = None  # (ids, embeddings) of the corpus indexed last
        # Corpora indexed so far, by object: subsets share corpus Datasets (weak keys: a dropped one frees its entry)
        self._indexed: weakref.WeakKeyDictionary[Dataset, tuple[list[str], np.ndarray]] = weakref.WeakKeyDictionary()
        self._bar: tqdm | None = None  # one for the whole task: its total is set by expect(), else grows
        self.expected: int | None = None  # new texts of all the subsets to run, counted before the first encode

    def expect(self, splits: Iterable[Mapping[str, Any]]) -> int:
        """Count the distinct new texts of all the subsets about to run (their corpus and queries), so that the
        bar's total, and its time estimate, cover the whole task from the first text on."""
        keys: set[str] = set()
        seen: set[int] = set()
        for split in splits:
            for data, prompt_type in ((split["corpus"], PromptType.document), (split["queries"], PromptType.query)):
                if id(data) not in seen:  # subsets share corpus and query Datasets
                    seen.add(id(data))
                    keys.update(text_key(prompt_type.value, t) for t in data[:]["text"])
        self.expected = sum(k not in self.store for k in keys)
        return self.expected

    def _progress(self, new_texts: int, task_name: str) -> tqdm:
        if self._bar is None:
            self._bar = tqdm(total=self.expected or 0, desc=task_name, unit=" texts", dynamic_ncols=True, smoothing=0.1)
            weakref.finalize(self, _finish, self._bar)  # mteb drops the task's searches when the task ends
        if self.expected is None:
            self._bar.total += new_texts
        elif self._bar.n + new_texts > self._bar.total:  # more than counted (never expected): never past 100%
            self._bar.total = self._bar.n + new_texts
        self._bar.refresh()
        return self._bar

    @property
    def mteb_model_meta(self):  # noqa: ANN201 - mteb's ModelMeta
        return self.model.mteb_model_meta

    def _embed(
        self,
        data: Dataset,
        prompt_type: PromptType,
        task_metadata: Any,
        hf_split: str,
        encode_kwargs: dict[str, Any],
        num_proc: int | None,
        hf_subset: str | None = None,
    ) -> tuple[list[str], np.ndarray]:
        """The ids of `data` and their embeddings, encoding only texts the store lacks."""
        columns = data[:]  # one Arrow-to-Python conversion; data["text"] is a lazy column read row by row
        ids: list[str] = columns["id"]
        keys = [text_key(prompt_type.value, t) for t in columns["text"]]
        first_row = {k: i for i, k in reversed(list(enumerate(keys))) if k not in self.store}  # of each new text
        rows = sorted(first_row.values(), key=lambda i: (language_of(ids[i]), i))
        # one bar of texts (this object's), unless the caller turned progress off; never the encoder's own
        show = encode_kwargs.get("show_progress_bar", True)
        encode_kwargs = {**encode_kwargs, "show_progress_bar": False}
        batch_size = encode_kwargs.get("batch_size", 32)
        task_name = getattr(task_metadata, "name", "encoding")
        bar = self._progress(len(rows), task_name) if show and rows else None
        kind = "questions" if prompt_type == PromptType.query else "candidates"
        tokenizer, max_length = model_tokenizer(self.model)
        texts: list[str] = columns["text"]
        pool = encode_kwargs.get("pool")
        processes = len(pool["processes"]) if pool else 1  # a call feeds every process of a multi-process pool
        for lang, group in groupby(rows, key=lambda i: language_of(ids[i])):
            idx = list(group)
            if self.sort_by_length:
                idx = [idx[j] for j in length_order([texts[i] for i in idx], tokenizer, max_length)]
            logger.info(
                "Encoding %d new %s texts in %s (%d already embedded)",
                len(idx),
                prompt_type.value,
                lang,
                len(self.store),
            )
            if bar is not None:
                bar.set_description(f"{task_name} {hf_subset or ''}: {lang} {kind}".replace(" :", ":"))
            step = batch_size * PROGRESS_CHUNK_BATCHES * processes
            # sorted: one encode call per batch (per pool round), since a call re-sorts its texts by characters,
            # which would mix the token-sorted batches again (benchmarks/length_sort.py: 1.06x padding, not 1.02x)
            per_call = batch_size * processes if self.sort_by_length else step
            for start in range(0, len(idx), step):
                chunk = idx[start : start + step]
                parts = []
                for first in range(0, len(chunk), per_call):
                    loader = create_dataloader(
                        data.select(chunk[first : first + per_call]),
                        task_metadata=task_metadata,
                        prompt_type=prompt_type,
                        batch_size=batch_size,
                        num_proc=num_proc,
                    )
                    emb = self.model.encode(
                        loader,
                        task_metadata=task_metadata,
                        hf_split=hf_split,
                        hf_subset=lang,
                        prompt_type=prompt_type,
                        **encode_kwargs,
                    )
                    parts.append(
                        emb.detach().cpu().float().numpy()
                        if isinstance(emb, torch.Tensor)
                        else np.asarray(emb, dtype=np.float32)
                    )
                self.store.add([keys[i] for i in chunk], np.concatenate(parts))
                self.store.encoded_texts += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        return ids, self.store.get(keys)

    def index(
        self,
        corpus: Dataset,
        *,
        task_metadata: Any,
        hf_split: str,
        hf_subset: str,
        encode_kwargs: dict[str, Any],
        num_proc: int | None = None,
        **kwargs: Any,
    ) -> None:
        if corpus not in self._indexed:
            self._indexed[corpus] = self._embed(
                corpus, PromptType.document, task_metadata, hf_split, encode_kwargs, num_proc, hf_subset
            )
        self._corpus = self._indexed[corpus]

    def search(
        self,
        queries: Dataset,
        *,
        task_metadata: Any,
        hf_split: str,
        hf_subset: str,
        top_k: int,
        encode_kwargs: dict[str, Any],
        top_ranked: Any = None,
        num_proc: int | None = None,
        **kwargs: Any,
    ) -> dict[str, dict[str, float]]:
        if self._corpus is None:
            raise ValueError("index() must be called before search()")
        corpus_ids, corpus_emb = self._corpus
        if top_ranked is not None:
            raise NotImplementedError("LAReQA tasks rank the whole corpus; top_ranked reranking is not supported")
        query_ids, q_emb = self._embed(
            queries, PromptType.query, task_metadata, hf_split, encode_kwargs, num_proc, hf_subset
        )
        scores = torch.as_tensor(self.model.similarity(q_emb, corpus_emb)).float().cpu()
        self.last = ScoredSubset(query_ids, corpus_ids, scores)
        values, indices = torch.topk(scores, min(top_k, scores.shape[1]), dim=1)
        doc_ids = np.asarray(corpus_ids, dtype=object)
        return {
            qid: dict(zip(doc_ids[row].tolist(), vals))
            for qid, row, vals in zip(query_ids, indices.numpy(), values.tolist())
        }
