"""Length-sorted encoding: batches of one token length, embeddings unchanged and back in their texts' order; the
task's bar knows its total before the first text is encoded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datasets import Dataset

from mteb_hybrid.benchmark.lengths import encode_by_length, length_order, padded_tokens, token_counts


def words(texts: list[str], **_: object) -> dict[str, list[list[int]]]:
    """A stand-in tokenizer: one token per word."""
    return {"input_ids": [[0] * len(t.split()) for t in texts]}


def test_order_is_longest_first_in_tokens_ties_in_text_order() -> None:
    texts = ["a b", "a b c d", "x", "p q", "abcdefghij"]  # the last is long in characters, one token
    assert token_counts(texts, words) == [2, 4, 1, 2, 1]
    assert length_order(texts, words) == [1, 0, 3, 2, 4]
    assert length_order(texts, None) == [4, 1, 0, 3, 2]  # without a tokenizer: characters


def test_padded_tokens_by_hand() -> None:
    # batches of 2: (5, 1) pads to 5+5, (4, 4) to 8, (2) to 2
    assert padded_tokens([5, 1, 4, 4, 2], 2) == 10 + 8 + 2
    assert padded_tokens([5, 4, 4, 2, 1], 2) == 2 * 5 + 2 * 4 + 1


def test_encode_by_length_feeds_sorted_batches_and_restores_the_order() -> None:
    texts = ["a b", "a b c d", "x", "p q r", "m n"]
    calls: list[list[str]] = []

    def encode(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return np.array([[len(t.split()), ord(t[0])] for t in batch], dtype=np.float32)

    out = encode_by_length(encode, texts, 2, words)
    assert calls == [["a b c d", "p q r"], ["a b", "m n"], ["x"]]
    assert out.tolist() == [[len(t.split()), ord(t[0])] for t in texts]


def test_search_encodes_sorted_and_gets_the_vectors_of_unpadded_encoding(tiny_bert: Path) -> None:
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.benchmark.embedding_store import EmbeddingStore
    from mteb_hybrid.benchmark.search import CachedSearch

    st = SentenceTransformer(str(tiny_bert))
    seen: list[list[str]] = []

    class Recording(SentenceTransformerEncoderWrapper):
        def encode(self, inputs, **kwargs):  # noqa: ANN001, ANN201
            seen.append([t for b in inputs for t in b["text"]])
            return super().encode(inputs, **kwargs)

    meta = TASK_CLASSES["XQuADRSentenceRetrieval"]().metadata
    base = "the river flows to the sea past old towns and green fields"
    lengths = [3, 11, 1, 7, 9, 2, 12, 5, 4, 10, 6, 8]
    texts = [" ".join(base.split()[:n]) for n in lengths]
    corpus = Dataset.from_dict({"id": [f"en:{i}" for i in range(len(texts))], "text": texts})
    queries = Dataset.from_dict({"id": ["en:q0", "en:q1"], "text": ["where does the river flow", "old towns"]})
    search = CachedSearch(Recording(st), EmbeddingStore())
    kw = {"task_metadata": meta, "hf_split": "test", "hf_subset": "en-en"}
    assert search.expect([{"corpus": corpus, "queries": queries}, {"corpus": corpus, "queries": queries}]) == 14
    search.index(corpus, encode_kwargs={"batch_size": 2, "show_progress_bar": True}, **kw)
    assert search._bar.total == 14 and search._bar.n == 12  # the queries are still to come, and were counted
    flat = [t for call in seen for t in call]
    counts = token_counts(flat, st.tokenizer)
    assert counts == sorted(counts, reverse=True) and sorted(flat) == sorted(texts)
    ids, emb = search._indexed[corpus]
    assert ids == list(corpus["id"])  # the corpus order, not the encoding order
    alone = np.stack([st.encode([t], prompt_name=None, convert_to_numpy=True)[0] for t in texts])  # no padding at all
    # same vectors up to float rounding (padding is masked; only the matmul shapes differ)
    np.testing.assert_allclose(emb, alone, atol=1e-5)
    search.search(queries, encode_kwargs={"batch_size": 2, "show_progress_bar": True}, top_k=3, **kw)
    assert (search._bar.n, search._bar.total) == (14, 14)


def test_probe_vectors_do_not_depend_on_the_order_of_encoding(tiny_bert: Path) -> None:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(tiny_bert))
    texts = ["one two three four five six", "one", "one two three", "one two", "one two three four five six seven"]
    sorted_emb = encode_by_length(
        lambda b: st.encode(b, convert_to_numpy=True), texts, 2, st.tokenizer, st.max_seq_length
    )
    plain = st.encode(texts, batch_size=2, convert_to_numpy=True)
    np.testing.assert_allclose(sorted_emb, plain, atol=1e-5)


def test_the_task_bar_counts_every_subset_at_the_first(tiny_bert: Path, data_dir: Path) -> None:
    """mteb calls the task once per subset; the bar's total covers them all from the first call."""
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.data import get_definition, load_dataset

    task = TASK_CLASSES["XQuADRSentenceRetrieval"](data_dir=data_dir, embedding_cache=False)
    task.hf_subsets = ["de-de", "en-de"]
    task.load_data()
    model = SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert)))
    kw = {"encode_kwargs": {"batch_size": 128, "show_progress_bar": True}}
    ds = load_dataset(get_definition("xquad-r"), data_dir, ["en", "de"])
    de_q, en_q = ({q.text for q in ds.languages[x].questions} for x in ("de", "en"))
    de_c = {c.text("sentence") for c in ds.languages["de"].candidates}
    task.evaluate(model, "test", subsets_to_run=["de-de"], **kw)
    bar = task._active._bar
    assert (bar.n, bar.total) == (len(de_q) + len(de_c), len(de_q) + len(de_c) + len(en_q))
    task.evaluate(model, "test", subsets_to_run=["en-de"], **kw)
    assert bar.n == bar.total == len(de_q) + len(de_c) + len(en_q)
