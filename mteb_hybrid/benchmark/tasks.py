"""mteb retrieval tasks built from the task definitions in `tasks/`.

Each definition gives `<Name>` (candidates = sentence + paragraph, as in LAReQA) and
`<Name minus 'Retrieval'>SentenceRetrieval` (the sentence alone: faster, used in training), each with a
subset per ordered language pair and a pool per query language, and LAReQA's metrics added.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import sklearn
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.abstasks.task_metadata import TaskMetadata
from mteb.languages import LanguageScripts

from mteb_hybrid import metrics
from mteb_hybrid.data.definitions import CANDIDATE_FORMS, TaskDefinition, load_definitions, task_name
from mteb_hybrid.data.lareqa import load_dataset
from mteb_hybrid.data.records import ParallelDataset
from mteb_hybrid.data.sources import cache_root
from mteb_hybrid.formats.per_query import Evaluation
from mteb_hybrid.noise import plugin_noise_off
from mteb_hybrid.precision import model_dtype
from mteb_hybrid.userconfig import embedding_cache_default

from . import per_query
from .embedding_store import EmbeddingStore, embedding_dir
from .search import CachedSearch, language_of
from .settings import evaluation_record
from .subsets import Subset, all_subsets, build_splits

logger = logging.getLogger(__name__)


class LareqaRetrievalTask(AbsTaskRetrieval):
    """Base class: LAReQA answer retrieval from local or downloaded files, one encoding per text."""

    definition: ClassVar[TaskDefinition]
    candidate_form: ClassVar[str] = "sentence+context"
    # 20, not mteb's 1000: scoring every retrieved candidate of 132 subsets was most of the run time. A pool
    # question has at most 11 answers, so @20 reaches full recall; map and rank_distance use the whole ranking.
    k_values: Sequence[int] = (1, 3, 5, 10, 20)

    def __init__(self, data_dir: str | Path | None = None, embedding_cache: bool | None = None, **kwargs: Any) -> None:
        """`data_dir`: the dataset's files (else $MTEB_HYBRID_DATA_DIR, the user config, download); `embedding_cache`:
        keep embeddings on disk too (default on; $MTEB_HYBRID_EMBEDDING_CACHE=0 turns it off), so a repeated or
        interrupted run does not encode again.
        """
        super().__init__(**kwargs)
        self.data_dir = data_dir
        self.embedding_cache = embedding_cache_default() if embedding_cache is None else embedding_cache
        self._searches: dict[tuple, CachedSearch] = {}
        self.skipped_questions: dict[str, int] = {}
        self._active: CachedSearch | None = None
        self._evaluation: Evaluation | None = None
        # where this task's per-query rows go: the package's result cache hands its buffer to the tasks it saves;
        # without one (plain `mteb run`) no rows are kept
        self.records: per_query.RecordBuffer | None = None

    def read_files(self) -> ParallelDataset:
        """The files this task's subsets need, checked (parsed once per process, so calling it early costs nothing)."""
        needed: set[str] = set()
        for sub in map(Subset.parse, self.hf_subsets):
            needed.update([sub.query_lang, *sub.corpus_langs(self.definition.langs)])
        langs = [lang for lang in self.definition.langs if lang in needed]
        return load_dataset(self.definition, self.data_dir, langs, task_name=self.metadata.name)

    def load_data(self, num_proc: int | None = None, *, timer: Any = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        subsets = list(self.hf_subsets)
        data = self.read_files()
        self.skipped_questions = {lang: len(d.skipped) for lang, d in data.languages.items()}
        splits = build_splits(data, subsets, self.candidate_form, pool_langs=self.definition.langs)
        self.dataset = {name: {split: splits[name] for split in self.eval_splits} for name in subsets}
        self.data_loaded = True

    def unload_data(self) -> None:
        self._searches.clear()
        self._active = None
        if self.records is not None:
            self.records.release(self.metadata.name)
        super().unload_data()

    def filter_languages(
        self,
        languages: Sequence[str] | None,
        script: Sequence[str] | None = None,
        hf_subsets: Sequence[str] | None = None,
        exclusive_language_filter: bool = False,
    ):
        """Keep pairs whose two languages are both selected, and the pools of selected query languages.

        Accepts mteb's ISO 639-3 codes (`deu`, `deu-Latn`) and the dataset's own (`de`); a pool keeps all languages.
        """
        if not languages:
            return super().filter_languages(languages, script, hf_subsets, exclusive_language_filter)
        tags = self.definition.languages
        lang_scripts = LanguageScripts.from_languages_and_scripts([tags.get(code, code) for code in languages], script)
        selected = {code for code, tag in tags.items() if lang_scripts.contains_language(tag)}
        subsets = {s: Subset.parse(s) for s in self.metadata.eval_langs if hf_subsets is None or s in hf_subsets}
        keep = [
            s
            for s, sub in subsets.items()
            if sub.query_lang in selected and (sub.is_pool or sub.corpus_lang in selected)
        ]
        if not keep:
            raise ValueError(
                f"{self.metadata.name}: no subset matches languages {list(languages)}; "
                f"available: {', '.join(f'{c} ({t})' for c, t in tags.items())}"
            )
        self.hf_subsets = keep
        return self

    def _search_for(self, model: Any) -> CachedSearch:
        meta = model.mteb_model_meta
        key = (meta.name, meta.revision, id(model))
        if key not in self._searches:  # on disk only if asked, and never for a model whose revision is unknown
            disk = (
                embedding_dir(
                    cache_root() / "embeddings",
                    str(meta.name),
                    meta.revision,
                    self.metadata.name,
                    dtype=model_dtype(model),
                )
                if self.embedding_cache
                else None
            )
            self._searches[key] = CachedSearch(model, EmbeddingStore(disk))
        return self._searches[key]

    def evaluate(
        self,
        model: Any,
        split: str = "test",
        subsets_to_run: list[str] | None = None,
        *,
        encode_kwargs: Mapping[str, Any],
        **kwargs: Any,
    ):
        from mteb.models import EncoderProtocol, SearchProtocol

        if isinstance(model, EncoderProtocol) and not isinstance(model, SearchProtocol):
            self._evaluation = evaluation_record(self, model)  # recorded with the per-query rows
            self._active = self._search_for(model)
            if self.data_loaded and self._active.expected is None:  # mteb runs one subset per call: count all the
                # task's subsets' new texts at the first, so that the bar's total and estimate cover the whole task
                self._active.expect(self.dataset[s][split] for s in self.dataset if split in self.dataset[s])
            model = self._active
        else:
            self._active = None
            logger.warning(
                "%s: %s is not a plain encoder; map/rank_distance need full score matrices and are skipped",
                self.metadata.name,
                type(model).__name__,
            )
        # mteb's nAUC calls sklearn's `auc` ~150 times per subset; its argument validation is ~12% of mteb's
        # scoring. Skipping it (a documented sklearn setting, scoped to this call) changes no number.
        with sklearn.config_context(skip_parameter_validation=True), plugin_noise_off():
            return super().evaluate(model, split, subsets_to_run, encode_kwargs=encode_kwargs, **kwargs)

    def task_specific_scores(
        self, scores: dict, qrels: Mapping[str, Mapping[str, int]], results: dict, hf_split: str, hf_subset: str
    ) -> dict[str, float]:
        """LAReQA's mAP on every subset; rank distance and same-language share on pools; skipped questions."""
        sub = Subset.parse(hf_subset)
        langs = {sub.query_lang, *sub.corpus_langs(self.definition.langs)}
        skipped = {"skipped_questions": sum(self.skipped_questions.get(lang, 0) for lang in langs)}
        if self._active is None or self._active.last is None:
            return skipped
        last = self._active.last
        col = {doc_id: j for j, doc_id in enumerate(last.corpus_ids)}
        rows = [i for i, qid in enumerate(last.query_ids) if qid in qrels]
        relevant = [[col[d] for d, rel in qrels[last.query_ids[i]].items() if rel > 0 and d in col] for i in rows]
        s = last.scores if len(rows) == len(last.query_ids) else last.scores[rows]  # no copy when all rows stay
        per_query_values = {"map": metrics.average_precision(s, relevant)}  # the plugin's metrics, one per query
        out = {**skipped, "map": float(np.mean(per_query_values["map"]))}
        if sub.is_pool:
            distance = per_query_values["rank_distance"] = metrics.rank_distance(s, relevant)
            out["rank_distance"] = float(np.nanmean(distance))
            doc_langs = [language_of(d) for d in last.corpus_ids]
            q_langs = [language_of(last.query_ids[i]) for i in rows]
            same = per_query_values["same_language_at_10"] = metrics.same_language_at_k(s, doc_langs, q_langs, 10)
            out["same_language_at_10"] = float(same.mean())
        if self.records is None:  # no result cache of ours will save them
            return out
        meta = self._active.mteb_model_meta  # per-query rows from the same arrays, saved beside the result file
        self.records.add(
            self.metadata.name,
            meta.name,
            meta.revision,
            per_query.subset_frame(
                hf_split, hf_subset, [last.query_ids[i] for i in rows], per_query_values, scores, qrels, results
            ),
            self._evaluation,
        )
        return out


def _metadata(d: TaskDefinition, name: str, form: str) -> TaskMetadata:
    eval_langs = {
        s.name: [d.languages[c] for c in dict.fromkeys([s.query_lang, *s.corpus_langs(d.langs)])]
        for s in all_subsets(d.langs)
    }  # the query language first, then the corpus's others
    form_note = "sentence with its paragraph as context" if form == "sentence+context" else "the sentence alone"
    return TaskMetadata(
        name=name,
        dataset={"path": d.source.repository, "revision": d.source.commit},
        description=f"{d.description} Candidate text: {form_note}.",
        reference=d.reference,
        type="Retrieval",
        category="t2t",
        modalities=["text"],
        eval_splits=["test"],
        eval_langs=eval_langs,
        main_score="ndcg_at_10",
        date=d.date,
        domains=list(d.domains),
        task_subtypes=["Question answering"],
        license=d.license,
        annotations_creators=d.annotations_creators,
        dialect=[],
        sample_creation=d.sample_creation,
        bibtex_citation=d.citation or "",
        adapted_from=list(d.adapted_from),
    )


def make_task_class(definition: TaskDefinition, form: str = "sentence+context") -> type[LareqaRetrievalTask]:
    """An mteb task class for one definition and candidate form (XQuADRRetrieval, XQuADRSentenceRetrieval)."""
    name = task_name(definition, form)
    return type(
        name,
        (LareqaRetrievalTask,),
        {
            "metadata": _metadata(definition, name, form),
            "definition": definition,
            "candidate_form": form,
            "__module__": __name__,
            "__doc__": definition.description,
        },
    )


# Every task of every definition under tasks/, by task name
TASK_CLASSES = {
    cls.metadata.name: cls
    for cls in (make_task_class(d, form) for d in load_definitions().values() for form in CANDIDATE_FORMS)
}
globals().update(TASK_CLASSES)  # importable by name, e.g. `from mteb_hybrid.benchmark.tasks import XQuADRRetrieval`

__all__ = ["LareqaRetrievalTask", "TASK_CLASSES", "make_task_class", *TASK_CLASSES]
