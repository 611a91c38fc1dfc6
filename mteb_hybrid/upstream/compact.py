"""The compact variant proposed upstream: fewer questions, every translation of a kept question kept together.

Stock mteb re-encodes each subset's corpus and queries; one full XQuAD-R task is 286,308 corpus + 157,080 query
encodes. The compact variant keeps:

- questions: whole paragraphs of the pivot language (English), drawn with a fixed seed until about
  `questions` pivot questions are kept; a kept question keeps all its translations (sampling by parallel id);
- candidates: every sentence of every paragraph (in every language) that holds a kept question's answer, so the
  hardest distractors (the answer's own paragraph, in every language) stay;
- subsets: the monolingual pairs (X-X), the pivot pairs (en-X, X-en) and the multilingual pools.

The plugin keeps the full tasks; the compact ones exist only in the export (names below).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mteb_hybrid.data.definitions import CANDIDATE_FORMS, load_definitions, task_name
from mteb_hybrid.data.records import LanguageData, ParallelDataset

COMPACT_QUESTIONS = 200  # pivot-language questions; about 2,000 queries over XQuAD-R's 11 languages
COMPACT_SEED = 0
# Upstream names of the compact tasks: "LAReQA" in front instead of the "R" behind the source dataset's name
# (XQuADRRetrieval -> LAReQAXQuADRetrieval), so they read apart from mteb's XQuADRetrieval and MLQARetrieval
# instead of differing from them by one letter.
COMPACT_NAMES = {
    task_name(d, form): f"LAReQA{d.name.removesuffix('Retrieval').removesuffix('R')}{infix}Retrieval"
    for d in load_definitions().values()
    for form, infix in CANDIDATE_FORMS.items()
}


@dataclass(frozen=True)
class CompactSample:
    """What was kept: the data (questions and candidates) and the subsets."""

    data: ParallelDataset
    subsets: list[str]
    parallel_ids: list[str]


def compact_subsets(langs: Sequence[str], pivot: str) -> list[str]:
    """X-X for every language, pivot-X and X-pivot, then the pools; in all_subsets' order (pairs, then pools)."""
    pairs = [f"{q}-{c}" for q in langs for c in langs if q == c or pivot in (q, c)]
    return pairs + [f"{q}-pool" for q in langs]


def sample(
    data: ParallelDataset, pivot: str, questions: int = COMPACT_QUESTIONS, seed: int = COMPACT_SEED
) -> CompactSample:
    """Draw whole pivot paragraphs (seeded) until `questions` pivot questions; keep translations and paragraphs."""
    index = data.candidate_index()
    pivot_qs = data.languages[pivot].questions
    groups: dict[str, list[str]] = {}  # pivot paragraph -> parallel ids whose pivot answer lies in it
    for q in pivot_qs:
        groups.setdefault(index[q.answer_id].context, []).append(q.parallel_id)
    keys = list(groups)  # file order: deterministic
    order = np.random.default_rng(seed).permutation(len(keys))
    kept: list[str] = []
    for i in order:
        if len(kept) >= questions:
            break
        kept += groups[keys[i]]
    kept_set = set(kept)
    languages: dict[str, LanguageData] = {}
    for lang, d in data.languages.items():
        qs = [q for q in d.questions if q.parallel_id in kept_set]
        contexts = {index[q.answer_id].context for q in qs}
        cands = [c for c in d.candidates if c.context in contexts]
        languages[lang] = LanguageData(lang, d.path, qs, cands, list(d.skipped), d.text_mismatches)
    langs = list(data.languages)
    return CompactSample(ParallelDataset(data.name, languages), compact_subsets(langs, pivot), sorted(kept_set))


def stock_encodes(splits: dict[str, dict]) -> tuple[int, int, int]:
    """(corpus encodes, query encodes) under stock mteb, which encodes each subset's texts anew; distinct texts."""
    corpus = sum(len(s["corpus"]) for s in splits.values())
    queries = sum(len(s["queries"]) for s in splits.values())
    distinct = len(
        {t for s in splits.values() for t in s["corpus"]["text"]}
        | {("q", t) for s in splits.values() for t in s["queries"]["text"]}
    )
    return corpus, queries, distinct
