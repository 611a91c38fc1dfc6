"""Parallel QA rows -> one `datasets.Dataset` per source (X-X per language, X-Y per ordered language pair).

Each source holds a parallel id at most once, so a batch cut from one never holds two translations of a question.
The parallel ids travel beside the datasets, never as a column (sentence-transformers tokenizes every column).
Prompts are left to sentence-transformers; only a per-language `text_prefix` (M2M-100's `__xx__`) is written.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from datasets import Dataset, DatasetDict, concatenate_datasets

from .config import BATCHING_MODES
from .rows import QARow

logger = logging.getLogger(__name__)

XX, XY = "x-x", "x-y"
TextPrefix = Callable[[str], str]


def kinds_for(batching: str) -> tuple[str, ...]:
    if batching not in BATCHING_MODES:
        raise ValueError(f"unknown batching {batching!r}; use one of {BATCHING_MODES}")
    return (XX, XY) if batching == "hybrid" else (batching,)


@dataclass
class TrainingSources:
    """Per-source datasets in a fixed order, with the two lists the hybrid sampler needs."""

    datasets: dict[str, Dataset] = field(default_factory=dict)
    source_kinds: list[str] = field(default_factory=list)
    parallel_ids: list[list[str]] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)  # (query language, passage language)

    def add(self, kind: str, langs: tuple[str, str], ds: Dataset, pids: list[str]) -> None:
        self.datasets[f"{kind}:{langs[0]}" if kind == XX else f"{kind}:{langs[0]}-{langs[1]}"] = ds
        self.source_kinds.append(kind)
        self.parallel_ids.append(pids)
        self.languages.append(langs)

    def dataset_dict(self) -> DatasetDict:
        return DatasetDict(self.datasets)

    def sizes(self) -> dict[str, int]:
        return {name: len(ds) for name, ds in self.datasets.items()}


def _decide_negatives(rows: Sequence[QARow], use_negatives: bool | None) -> bool:
    with_neg = sum(r.negative is not None for r in rows)
    if use_negatives is False or with_neg == 0:
        return False
    if with_neg < len(rows):
        if use_negatives:
            raise ValueError(f"only {with_neg} of {len(rows)} rows have a negative; cannot train with negatives")
        logger.warning(
            "%d of %d rows have a hard negative; training without negatives (all rows need one)", with_neg, len(rows)
        )
        return False
    return True


def _columns(pairs: list[tuple[QARow, QARow]], query_prefix: str, passage_prefix: str, negatives: bool) -> Dataset:
    """anchor: the query of each pair's first row; positive (and negative): the passages of its second."""
    data = {
        "anchor": [query_prefix + a.query for a, _ in pairs],
        "positive": [passage_prefix + b.positive for _, b in pairs],
    }
    if negatives:
        data["negative"] = [passage_prefix + (b.negative or "") for _, b in pairs]
    return Dataset.from_dict(data)


def build_sources(
    rows: Sequence[QARow],
    batching: str = "hybrid",
    *,
    kinds: Sequence[str] | None = None,
    use_negatives: bool | None = None,
    text_prefix: TextPrefix | None = None,
) -> TrainingSources:
    """X-X and/or X-Y per-source datasets from `rows` (kinds default to what `batching` draws from); an X-Y
    source (q, p) holds one row per parallel id present in both q and p."""
    kinds = tuple(kinds) if kinds is not None else kinds_for(batching)
    negatives = _decide_negatives(rows, use_negatives)
    prefix = text_prefix or (lambda lang: "")
    by_lang = {lang: [r for r in rows if r.lang == lang] for lang in sorted({r.lang for r in rows})}
    by_pid = {lang: {r.parallel_id: r for r in lrows} for lang, lrows in by_lang.items()}
    out = TrainingSources()
    if XX in kinds:
        for lang, lrows in by_lang.items():
            out.add(
                XX,
                (lang, lang),
                _columns([(r, r) for r in lrows], prefix(lang), prefix(lang), negatives),
                [r.parallel_id for r in lrows],
            )
    if XY in kinds:
        for q, p in itertools.permutations(by_lang, 2):  # every ordered pair, q != p
            pairs = [(r, by_pid[p][r.parallel_id]) for r in by_lang[q] if r.parallel_id in by_pid[p]]
            if not pairs:
                logger.info("no shared parallel ids for %s -> %s; no X-Y source", q, p)
                continue
            out.add(XY, (q, p), _columns(pairs, prefix(q), prefix(p), negatives), [a.parallel_id for a, _ in pairs])
    if not out.datasets:
        raise ValueError(
            f"no {'/'.join(kinds)} source could be built: X-Y needs at least two languages sharing parallel ids"
        )
    return out


def build_eval_set(
    rows: Sequence[QARow],
    batch_size: int,
    *,
    seed: int = 0,
    use_negatives: bool | None = None,
    text_prefix: TextPrefix | None = None,
) -> tuple[Dataset, list[list[int]]] | None:
    """Validation data: every X-X and X-Y source of `rows` in one dataset, and fixed batches, each from one source:
    the same at every evaluation, so the validation loss is comparable over steps and across batching modes."""
    if not rows:
        return None
    kinds = (XX, XY) if len({r.lang for r in rows}) > 1 else (XX,)
    sources = build_sources(rows, kinds=kinds, use_negatives=use_negatives, text_prefix=text_prefix)
    rng = random.Random(seed)
    batches, offset = [], 0
    for ds in sources.datasets.values():
        order = list(range(len(ds)))
        rng.shuffle(order)
        batches += [[offset + i for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)]
        offset += len(ds)
    return concatenate_datasets(list(sources.datasets.values())), [b for b in batches if len(b) > 1]
