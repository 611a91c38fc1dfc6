"""Training data as parallel QA rows, the readers that produce them, their checks and the held-out split.

A `QARow` is a query with its positive passage in ONE language; rows sharing a `parallel_id` are translations,
joined into X-Y pairs later (sources.py), so a reader (LAReQA, JSONL, Hugging Face) only says which they are.
"""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from mteb_hybrid.data import definitions
from mteb_hybrid.data.schema import describe

logger = logging.getLogger(__name__)

CANDIDATE_FORMS = tuple(sorted(definitions.CANDIDATE_FORMS))  # the training option's choices: sentence first


class TrainingDataError(ValueError):
    """Training rows that cannot be used as they are; the message gives counts, examples and the fix."""


@dataclass(frozen=True, slots=True)
class QARow:
    """A query with its positive (and optionally a hard negative) passage, all in language `lang`."""

    parallel_id: str
    lang: str
    query: str
    positive: str
    negative: str | None = None


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("empty text")
    return text


Text = Annotated[StrictStr, AfterValidator(_not_blank)]


class RowRecord(BaseModel):
    """A JSONL line or mapped HF record: texts are non-blank strings (a null query must not train on "None")."""

    model_config = ConfigDict(extra="ignore")

    parallel_id: Text | StrictInt
    lang: Text
    query: Text
    positive: Text
    negative: Text | None = None


_ROW_FIX = (
    "every row needs parallel_id (string or integer), lang, query and positive as non-empty strings, "
    "and optionally negative (a non-empty string or null)"
)


def validate_row(obj: dict[str, Any], where: str) -> QARow:
    """A QARow from one record, or a TrainingDataError naming `where` (file:line, dataset row) and the field."""
    try:
        row = RowRecord.model_validate(obj)
    except ValidationError as e:
        if missing := [str(err["loc"][0]) for err in e.errors() if err["type"] == "missing"]:
            raise TrainingDataError(f"{where}: missing field(s) {missing}. Fix: {_ROW_FIX}") from None
        field = str(e.errors()[0]["loc"][0])
        expected = "a string or an integer" if field == "parallel_id" else "a string"
        value = obj.get(field)
        problem = "is empty" if isinstance(value, str) else f"is {describe(value)}, not {expected}"
        raise TrainingDataError(f"{where}: field '{field}' {problem}. Fix: {_ROW_FIX}") from None
    return QARow(str(row.parallel_id), row.lang, row.query, row.positive, row.negative)


def rows_from_lareqa(
    dataset: str,
    data_dir: str | Path | None = None,
    languages: Iterable[str] | None = None,
    candidate_form: str = "sentence",
) -> list[QARow]:
    """Rows of a LAReQA-style dataset: query = question, positive = its answer sentence (same language)."""
    from mteb_hybrid.data import get_definition, load_dataset

    ds = load_dataset(get_definition(dataset), data_dir, languages=languages)
    candidates = ds.candidate_index()
    return [
        QARow(q.parallel_id, lang, q.text, candidates[q.answer_id].text(candidate_form))
        for lang, data in ds.languages.items()
        for q in data.questions
    ]


def read_jsonl(path: str | Path) -> list[QARow]:
    """Rows from a JSONL file, one object per line: parallel_id, lang, query, positive[, negative]."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: training rows file not found")
    rows: list[QARow] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainingDataError(f"{path}:{n}: not valid JSON ({e.msg}). Fix: one JSON object per line") from e
            if not isinstance(obj, dict):
                raise TrainingDataError(
                    f"{path}:{n}: expected a JSON object, got {describe(obj)}. Fix: one JSON object per line"
                )
            rows.append(validate_row(obj, f"{path}:{n}"))
    return rows


def rows_from_hf(
    name: str,
    config: str | None = None,
    split: str = "train",
    columns: Mapping[str, str] | None = None,
    lang: str | None = None,
    limit: int | None = None,
) -> list[QARow]:
    """Rows from a Hugging Face dataset (needs network), `columns` mapping row fields to columns, `lang` fixing the
    language; without a parallel-id column the row index is the parallel id (as in mMARCO's language configs)."""
    import datasets

    mapping = {**{name: name for name in ("parallel_id", "lang", "query", "positive", "negative")}, **(columns or {})}
    hf = datasets.load_dataset(name, config, split=split)
    if limit is not None:
        hf = hf.select(range(min(limit, len(hf))))
    have = set(hf.column_names)
    where = f"hf:{name}" + (f":{config}" if config else "") + f":{split}"
    for key in ("query", "positive"):
        if mapping[key] not in have:
            raise TrainingDataError(
                f"{where}: no column {mapping[key]!r} for '{key}' (columns: {sorted(have)}). "
                f"Fix: map it, e.g. ?{key}=<column>"
            )
    if lang is None and mapping["lang"] not in have:
        raise TrainingDataError(
            f"{where}: no language column {mapping['lang']!r}. Fix: give ?lang=<code> or ?lang_column=<column>"
        )
    pid_col, neg_col = (mapping[key] if mapping[key] in have else None for key in ("parallel_id", "negative"))
    return [
        validate_row(
            {
                "parallel_id": rec[pid_col] if pid_col else i,
                "lang": lang if lang is not None else rec[mapping["lang"]],
                "query": rec[mapping["query"]],
                "positive": rec[mapping["positive"]],
                "negative": rec[neg_col] if neg_col else None,
            },
            f"{where} row {i}",
        )
        for i, rec in enumerate(hf)
    ]


@dataclass(frozen=True)
class DataSpec:
    """One training-data source as written on the command line."""

    kind: str  # "lareqa" | "jsonl" | "hf"
    name: str
    languages: tuple[str, ...] | None = None
    config: str | None = None
    split: str = "train"
    options: dict[str, str] = field(default_factory=dict)


def parse_data_spec(spec: str) -> DataSpec:
    """Parse a `--data` value: "mlqa-r[:en,de]", "path.jsonl" or "hf:NAME[:CONFIG[:SPLIT]][?key=value&...]"."""
    if spec.startswith("hf:"):
        body, _, query = spec[3:].partition("?")
        name, config, split = (body.split(":") + ["", ""])[:3]
        if not name:
            raise ValueError(f"{spec!r}: give a dataset name after 'hf:'")
        options = dict(parse_qsl(query, keep_blank_values=False))
        if unknown := set(options) - {"lang", "limit", "lang_column", "parallel_id", "query", "positive", "negative"}:
            raise ValueError(f"{spec!r}: unknown option(s) {sorted(unknown)}")
        return DataSpec("hf", name, config=config or None, split=split or "train", options=options)
    if spec.endswith(".jsonl") or Path(spec).is_file():
        return DataSpec("jsonl", spec)
    name, _, langs = spec.partition(":")
    languages = tuple(lang for lang in langs.replace(" ", ",").split(",") if lang) or None
    return DataSpec("lareqa", name, languages=languages)


def read_spec(
    spec: DataSpec | str,
    data_dir: str | Path | None = None,
    languages: Sequence[str] | None = None,
    candidate_form: str = "sentence",
) -> list[QARow]:
    """Rows of one data source; `languages` (if given) keeps only those languages."""
    spec = parse_data_spec(spec) if isinstance(spec, str) else spec
    if spec.kind == "lareqa":
        langs = spec.languages or languages or None
        if spec.languages and languages:
            langs = [lang for lang in spec.languages if lang in languages]
        rows = rows_from_lareqa(spec.name, data_dir, langs, candidate_form)
    elif spec.kind == "jsonl":
        rows = read_jsonl(spec.name)
    else:
        o = spec.options
        columns = {"lang" if k == "lang_column" else k: v for k, v in o.items() if k not in ("lang", "limit")}
        rows = rows_from_hf(
            spec.name, spec.config, spec.split, columns, o.get("lang"), int(o["limit"]) if "limit" in o else None
        )
    if languages:
        rows = [r for r in rows if r.lang in set(languages)]
    if not rows:
        which = f" for languages {list(languages)}" if languages else ""
        raise TrainingDataError(f"data source {spec.name!r} gave no rows{which}")
    return rows


def _examples(items: Sequence[Any], n: int = 3) -> str:
    return ", ".join(repr(x) for x in items[:n]) + (" ..." if len(items) > n else "")


def check_rows(rows: Sequence[QARow], known_languages: Iterable[str] | None = None) -> list[QARow]:
    """The rows without exact duplicates (dropped with a warning); errors with counts and examples for an empty
    text, a language not in `known_languages` (M2M-100's tokens), a (parallel id, language) with two texts."""
    if not rows:
        raise TrainingDataError("no training rows")
    empty = [r for r in rows if not r.query.strip() or not r.positive.strip()]
    if empty:
        raise TrainingDataError(
            f"{len(empty)} of {len(rows)} row(s) have an empty query or positive (e.g. "
            f"{_examples([(r.parallel_id, r.lang) for r in empty])}). Fix: remove or fill them"
        )
    if known_languages is not None:
        known = set(known_languages)
        if unknown := Counter(r.lang for r in rows if r.lang not in known):
            raise TrainingDataError(
                f"{sum(unknown.values())} row(s) in language(s) the model has no language token "
                f"for: {dict(unknown)}. Fix: drop those languages (--languages) or map them to a "
                "supported code"
            )
    by_key: dict[tuple[str, str], QARow] = {}
    duplicates: list[QARow] = []
    conflicts: list[tuple[str, str]] = []
    for r in rows:
        key = (r.parallel_id, r.lang)
        if key not in by_key:
            by_key[key] = r
        elif by_key[key] == r:
            duplicates.append(r)
        else:
            conflicts.append(key)
    if conflicts:
        raise TrainingDataError(
            f"{len(conflicts)} (parallel_id, lang) key(s) occur with different texts (e.g. "
            f"{_examples(conflicts)}): a parallel id must name one question per language. "
            "Fix: give each distinct question its own parallel_id"
        )
    if duplicates:
        logger.warning(
            "dropped %d exact duplicate row(s) (e.g. %s)",
            len(duplicates),
            _examples([(r.parallel_id, r.lang) for r in duplicates]),
        )
    return list(by_key.values())


def split_heldout(rows: Sequence[QARow], fraction: float, seed: int = 0) -> tuple[list[QARow], list[QARow]]:
    """(train, validation): a `fraction` of parallel ids, with all their translations, held out."""
    ids = sorted({r.parallel_id for r in rows})
    n_val = max(round(len(ids) * fraction), 1 if fraction > 0 and len(ids) > 1 else 0)  # any fraction holds one out
    held = set(random.Random(seed).sample(ids, n_val))
    return [r for r in rows if r.parallel_id not in held], [r for r in rows if r.parallel_id in held]
