"""Typed records -> mteb retrieval data, one split per subset: "{q}-{c}" or "{q}-pool" (all languages' candidates).

Corpus and query `Dataset`s are built once per language and shared, so 132 XQuAD-R subsets cost 12 corpora.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasets import Dataset, concatenate_datasets

from mteb_hybrid.data.records import ParallelDataset

POOL = "pool"


@dataclass(frozen=True)
class Subset:
    """A subset name split into its query language and corpus language ("pool" for all)."""

    query_lang: str
    corpus_lang: str

    @property
    def name(self) -> str:
        return f"{self.query_lang}-{self.corpus_lang}"

    @property
    def is_pool(self) -> bool:
        return self.corpus_lang == POOL

    def corpus_langs(self, langs: list[str]) -> list[str]:
        """The languages of its candidates: all the task's `langs` for a pool."""
        return list(langs) if self.is_pool else [self.corpus_lang]

    @classmethod
    def parse(cls, name: str) -> Subset:
        q, _, c = name.partition("-")
        if not q or not c:
            raise ValueError(f"subset {name!r} is not of the form '<query lang>-<corpus lang|pool>'")
        return cls(q, c)


def all_subsets(langs: list[str]) -> list[Subset]:
    """Every ordered language pair, then one pool per query language."""
    return [Subset(q, c) for q in langs for c in langs] + [Subset(q, POOL) for q in langs]


def build_splits(
    data: ParallelDataset, subsets: list[str], candidate_form: str, pool_langs: list[str]
) -> dict[str, dict]:
    """mteb's RetrievalSplitData (without the split level) for each named subset; `pool_langs` must all be loaded."""
    answers = data.answers_by_parallel_id()
    corpus_by_lang, queries_by_lang = {}, {}
    for lang, d in data.languages.items():
        corpus_by_lang[lang] = Dataset.from_dict(
            {"id": [c.id for c in d.candidates], "text": [c.text(candidate_form) for c in d.candidates]}
        )
        queries_by_lang[lang] = Dataset.from_dict(
            {"id": [q.id for q in d.questions], "text": [q.text for q in d.questions]}
        )
    pool = None
    out: dict[str, dict] = {}
    for name in subsets:
        sub = Subset.parse(name)
        corpus_langs = sub.corpus_langs(pool_langs)
        if sub.is_pool and pool is None:
            pool = concatenate_datasets([corpus_by_lang[lang] for lang in pool_langs])
        docs = {
            q.id: {answers[q.parallel_id][lang]: 1 for lang in corpus_langs if lang in answers[q.parallel_id]}
            for q in data.languages[sub.query_lang].questions
        }
        relevant = {qid: d for qid, d in docs.items() if d}
        queries = queries_by_lang[sub.query_lang]
        if len(relevant) < len(queries):  # partially parallel data: keep questions that have an answer here
            queries = queries.select([i for i, qid in enumerate(queries["id"]) if qid in relevant])
        out[name] = {
            "corpus": pool if sub.is_pool else corpus_by_lang[sub.corpus_lang],
            "queries": queries,
            "relevant_docs": relevant,
            "top_ranked": None,
        }
    return out
