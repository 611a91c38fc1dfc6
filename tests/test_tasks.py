"""The mteb tasks on the real files with tiny random models: subsets, qrels, metrics, one encoding per text."""

from __future__ import annotations

import json
from pathlib import Path

import mteb
import numpy as np
import pytest
from mteb.cache import ResultCache
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
from sentence_transformers import SentenceTransformer
from sklearn.metrics import average_precision_score

from mteb_hybrid.benchmark import TASK_CLASSES
from mteb_hybrid.data import get_definition, load_dataset

ENCODE = {"batch_size": 128, "show_progress_bar": False}


class CountingEncoder(SentenceTransformerEncoderWrapper):
    """mteb's sentence-transformers wrapper that records every text it is asked to encode."""

    def __init__(self, path: Path) -> None:
        super().__init__(SentenceTransformer(str(path)))
        self.seen: list[str] = []

    def encode(self, inputs, **kwargs):  # noqa: ANN001, ANN201
        for batch in inputs:
            self.seen.extend(batch["text"])
        return super().encode(inputs, **kwargs)


def _task(name: str, data_dir: Path, langs: list[str]):  # noqa: ANN202
    return TASK_CLASSES[name](data_dir=data_dir).filter_languages(langs)


def test_subsets_cover_every_pair_and_a_pool_per_language() -> None:
    x = TASK_CLASSES["XQuADRRetrieval"]().metadata.eval_langs
    m = TASK_CLASSES["MLQARRetrieval"]().metadata.eval_langs
    assert len(x) == 121 + 11 and len(m) == 49 + 7
    assert x["en-de"] == ["eng-Latn", "deu-Latn"] and x["en-en"] == ["eng-Latn"]
    assert x["th-pool"][0] == "tha-Thai" and len(x["th-pool"]) == 11


def test_language_filter_takes_iso639_3_and_dataset_codes() -> None:
    by3 = TASK_CLASSES["XQuADRRetrieval"]().filter_languages(["eng", "deu"]).hf_subsets
    by1 = TASK_CLASSES["XQuADRRetrieval"]().filter_languages(["en", "de"]).hf_subsets
    assert sorted(by3) == sorted(by1) == ["de-de", "de-en", "de-pool", "en-de", "en-en", "en-pool"]
    with pytest.raises(ValueError, match="available: ar \\(ara-Arab\\)"):
        TASK_CLASSES["XQuADRRetrieval"]().filter_languages(["fra"])


def test_qrels_of_hand_checked_questions(data_dir: Path) -> None:
    task = _task("XQuADRRetrieval", data_dir, ["eng", "deu"])
    task.load_data()
    pool = task.dataset["en-pool"]["test"]
    rel = pool["relevant_docs"]["en:56beb4343aeaaa14008c925b"]
    assert len(rel) == 11 and {d.split(":")[0] for d in rel} == set(get_definition("xquad-r").langs)
    assert task.dataset["en-de"]["test"]["relevant_docs"]["en:56beb4343aeaaa14008c925b"] == {"de:0": 1}
    assert len(pool["corpus"]) == 13014 and len(pool["queries"]) == 1190
    # candidate text = sentence + paragraph (LAReQA's context form)
    text = dict(zip(pool["corpus"]["id"], pool["corpus"]["text"]))["en:0"]
    assert text.startswith("The Panthers defense gave up just 308 points") and "Kawann Short" in text


def test_mlqa_r_pairs_keep_only_questions_with_an_answer_in_the_corpus_language(data_dir: Path) -> None:
    task = _task("MLQARSentenceRetrieval", data_dir, ["ara", "deu", "eng"])
    task.load_data()
    ds = load_dataset(get_definition("mlqa-r"), data_dir, ["ar", "de", "en"])
    both = {q.parallel_id for q in ds.languages["ar"].questions} & {q.parallel_id for q in ds.languages["de"].questions}
    ar_de = task.dataset["ar-de"]["test"]
    assert len(ar_de["queries"]) == len(both) == len(ar_de["relevant_docs"])
    assert len(task.dataset["en-pool"]["test"]["corpus"]) == 20534


@pytest.fixture(scope="module")
def evaluated(tiny_bert: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One evaluation of 3 languages (9 pairs + 3 pools) of XQuAD-R, sentence-only, written by mteb."""
    model = CountingEncoder(tiny_bert)
    task = _task("XQuADRSentenceRetrieval", data_dir, ["eng", "deu", "tha"])
    out = tmp_path_factory.mktemp("results")
    result = mteb.evaluate(model, [task], cache=ResultCache(out), encode_kwargs=ENCODE, show_progress_bar=False)
    scores = {s["hf_subset"]: s for s in result.task_results[0].scores["test"]}
    return model, scores, out


def test_each_distinct_text_is_encoded_once(evaluated, data_dir: Path) -> None:  # noqa: ANN001
    model, scores, _ = evaluated
    assert len(scores) == 12
    ds = load_dataset(get_definition("xquad-r"), data_dir)
    candidates = {c.sentence.strip() for d in ds.languages.values() for c in d.candidates}
    queries = {q.text for lang in ("en", "de", "th") for q in ds.languages[lang].questions}
    assert len(model.seen) == len(set(model.seen))  # nothing encoded twice
    assert len(model.seen) == len(candidates) + len(queries)


def test_scores_hold_mteb_metrics_and_lareqa_metrics(evaluated) -> None:  # noqa: ANN001
    _, scores, out = evaluated
    for name, s in scores.items():
        assert s["main_score"] == s["ndcg_at_10"]
        assert 0 <= s["map"] <= 1
        if name.endswith("-pool"):
            assert 0 <= s["rank_distance"] <= 13014 and 0 <= s["same_language_at_10"] <= 1
        else:
            assert "rank_distance" not in s
    files = list(out.rglob("XQuADRSentenceRetrieval.json"))
    assert len(files) == 1
    saved = json.loads(files[0].read_text())["scores"]["test"]
    assert {s["hf_subset"] for s in saved} == set(scores)
    assert all("map" in s for s in saved)


@pytest.fixture(scope="module")
def independent(tiny_bert: Path, data_dir: Path):  # noqa: ANN201
    """The same model encoding the pool and the English questions directly with sentence-transformers."""
    ds = load_dataset(get_definition("xquad-r"), data_dir)
    st = SentenceTransformer(str(tiny_bert))
    pool = [c for d in ds.languages.values() for c in d.candidates]
    questions = ds.languages["en"].questions
    c_emb = st.encode([c.sentence.strip() for c in pool], batch_size=256, normalize_embeddings=True)
    q_emb = st.encode([q.text for q in questions], batch_size=256, normalize_embeddings=True)
    return ds, pool, questions, q_emb @ c_emb.T


def test_map_equals_sklearn_on_an_independent_encoding(evaluated, independent) -> None:  # noqa: ANN001
    _, scores, _ = evaluated
    ds, pool, questions, sim = independent
    de_cols = [j for j, c in enumerate(pool) if c.lang == "de"]
    col = {pool[j].id: k for k, j in enumerate(de_cols)}
    answers = ds.answers_by_parallel_id()
    aps = []
    for i, q in enumerate(questions):
        y = np.zeros(len(de_cols))
        y[col[answers[q.parallel_id]["de"]]] = 1
        aps.append(average_precision_score(y, sim[i, de_cols]))
    assert scores["en-de"]["map"] == pytest.approx(float(np.mean(aps)), abs=2e-3)


def test_rank_distance_is_exact_over_the_pool(evaluated, independent) -> None:  # noqa: ANN001
    """en-pool's rank distance against ranks read off a full sort (competition ranks: ties share a rank)."""
    _, scores, _ = evaluated
    ds, pool, questions, sim = independent
    col = {c.id: j for j, c in enumerate(pool)}
    answers = ds.answers_by_parallel_id()
    rds = []
    for i, q in enumerate(questions):
        ordered = np.sort(sim[i])[::-1]
        ranks = [
            int(np.searchsorted(-ordered, -sim[i, col[a]], side="left")) + 1 for a in answers[q.parallel_id].values()
        ]
        rds.append(max(ranks) - min(ranks))
    assert scores["en-pool"]["rank_distance"] == pytest.approx(float(np.mean(rds)), rel=1e-3)
    # same-language share of the top 10; a tie at the 10th score may go either way, so bound it
    is_en = np.array([c.lang == "en" for c in pool])
    lo, hi = [], []
    for i in range(len(questions)):
        tenth = np.sort(sim[i])[-10]
        above, tied = sim[i] > tenth, sim[i] == tenth
        free = 10 - above.sum()
        lo.append((is_en[above].sum() + max(0, free - (~is_en[tied]).sum())) / 10)
        hi.append((is_en[above].sum() + min(free, is_en[tied].sum())) / 10)
    assert np.mean(lo) - 0.005 <= scores["en-pool"]["same_language_at_10"] <= np.mean(hi) + 0.005


def test_two_models_never_share_vectors(tiny_bert: Path, tmp_path: Path, data_dir: Path) -> None:
    from tiny_models import build_tiny_bert

    other = build_tiny_bert(tmp_path / "other", seed=1)
    task = _task("XQuADRSentenceRetrieval", data_dir, ["eng", "deu"])
    task.hf_subsets = ["en-de"]
    a, b = CountingEncoder(tiny_bert), CountingEncoder(other)
    ra = task.evaluate(a, "test", encode_kwargs=ENCODE)
    rb = task.evaluate(b, "test", encode_kwargs=ENCODE)
    assert len(a.seen) == len(b.seen) > 0  # the second model encoded everything itself
    assert ra["en-de"]["map"] != rb["en-de"]["map"]


def test_interrupted_run_resumes_without_redoing_finished_subsets(
    tiny_bert: Path, tmp_path: Path, data_dir: Path
) -> None:
    out = ResultCache(tmp_path)
    first = CountingEncoder(tiny_bert)
    task = _task("XQuADRSentenceRetrieval", data_dir, ["eng", "deu"])
    task.hf_subsets = ["en-en", "de-de"]
    mteb.evaluate(first, [task], cache=out, encode_kwargs=ENCODE, show_progress_bar=False)
    again = CountingEncoder(tiny_bert)
    task = _task("XQuADRSentenceRetrieval", data_dir, ["eng", "deu"])
    result = mteb.evaluate(again, [task], cache=out, encode_kwargs=ENCODE, show_progress_bar=False)
    done = {s["hf_subset"] for s in result.task_results[0].scores["test"]}
    assert done == {"en-en", "de-de", "en-de", "de-en", "en-pool", "de-pool"}
    # the resumed run encoded the pool and the cross pairs, but no English or German query twice
    assert len(again.seen) == len(set(again.seen))


def test_search_reuses_an_indexed_corpus_and_never_mixes_corpora(tiny_bert: Path) -> None:
    """A corpus shared by several subsets is read once; switching corpora switches ids and vectors."""
    from datasets import Dataset

    from mteb_hybrid.benchmark.embedding_store import EmbeddingStore
    from mteb_hybrid.benchmark.search import CachedSearch

    meta = TASK_CLASSES["XQuADRSentenceRetrieval"]().metadata
    en = Dataset.from_dict({"id": ["en:0", "en:1", "en:2"], "text": ["The cat sleeps.", "Rain falls.", "A red car."]})
    de = Dataset.from_dict({"id": ["de:0", "de:1"], "text": ["Die Katze schläft.", "Es regnet."]})
    queries = Dataset.from_dict({"id": ["en:q"], "text": ["Where is the cat?"]})
    search = CachedSearch(CountingEncoder(tiny_bert), EmbeddingStore())
    kw = {"task_metadata": meta, "hf_split": "test", "encode_kwargs": ENCODE}

    def run(corpus: Dataset, subset: str) -> dict[str, float]:
        search.index(corpus, hf_subset=subset, **kw)
        return search.search(queries, hf_subset=subset, top_k=5, **kw)["en:q"]

    first_en = run(en, "en-en")
    first_de = run(de, "en-de")
    encoded = search.store.encoded_texts
    rows_read: list[int] = []
    original = search._embed
    search._embed = lambda data, *a: rows_read.append(len(data)) or original(data, *a)  # type: ignore[method-assign]
    again_en = run(en, "en-en")
    assert set(first_en) == set(again_en) == {"en:0", "en:1", "en:2"} and set(first_de) == {"de:0", "de:1"}
    assert again_en == pytest.approx(first_en)
    assert rows_read == [1]  # only the queries were read again, not the indexed corpus
    assert search.store.encoded_texts == encoded
