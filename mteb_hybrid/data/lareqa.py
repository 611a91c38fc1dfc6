"""Reader for LAReQA-format files (SQuAD v1.1 JSON with `sentences` and `sentence_breaks`), and whole datasets.

Rules (../shared/data/README.md): every sentence is a candidate; the answer sentence is the one whose span
holds `answer_start`; a question whose answer lies in no sentence is skipped and reported, never guessed. A
sentence a couple of characters off its span (two in xquad-r/tr.json) is kept and logged once per file.
A dataset's language files are checked to be parallel as its definition says.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from .definitions import TaskDefinition
from .errors import DataFormatError, MissingDataError
from .records import Candidate, LanguageData, ParallelDataset, Question, SkippedQuestion
from .schema import LAREQA_FILE, LareqaFile, format_error
from .sources import language_file

logger = logging.getLogger(__name__)

_MAX_OFFSET_SHIFT = 2  # characters a sentence may sit away from its declared span


def _load_json(path: Path) -> LareqaFile:
    """The file's JSON, checked against the LAReQA schema; any defect is one DataFormatError."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except json.JSONDecodeError as e:
        raise DataFormatError(
            path,
            "<file>",
            f"malformed JSON at line {e.lineno} column {e.colno} ({e.msg})",
            "re-download the file (delete it from the cache) or repair the JSON",
        ) from e
    except UnicodeDecodeError as e:
        raise DataFormatError(path, "<file>", f"not UTF-8 ({e})", "save the file as UTF-8") from e
    try:
        return LAREQA_FILE.validate_python(raw)
    except ValidationError as e:
        raise format_error(path, e, raw) from None


def _sentence_matches(context: str, sentence: str, start: int, end: int) -> bool:
    """True if `sentence` starts at its span's start give or take a couple of characters (its text may differ)."""
    head = sentence[:16]
    found = context.find(head, max(0, start - _MAX_OFFSET_SHIFT), start + _MAX_OFFSET_SHIFT + len(head)) != -1
    return found and abs(len(sentence) - (end - start)) <= 2 * _MAX_OFFSET_SHIFT


def read_language_file(path: str | Path, lang: str) -> LanguageData:
    """One language file as records: candidate ids "{lang}:{n}", question ids "{lang}:{parallel id}".

    Parsed once per file version: repeated calls return fresh lists of the same frozen records.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"{path}: language file for '{lang}' not found")
    st = path.stat()
    data = _read_cached(str(path), lang, st.st_ino, st.st_size, st.st_mtime_ns)
    return dataclasses.replace(
        data, questions=list(data.questions), candidates=list(data.candidates), skipped=list(data.skipped)
    )


@lru_cache(maxsize=64)
def _read_cached(path: str, lang: str, inode: int, size: int, mtime_ns: int) -> LanguageData:
    """One parse per (file, inode, size, mtime), with the cyclic GC paused: ~10^5 containers, no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = _parse(Path(path), lang)
    finally:
        if was_enabled:
            gc.enable()
    if data.skipped:
        first = data.skipped[0]
        logger.warning(
            "%s: skipped %d question(s) without an answer sentence (first: %s: %s)",
            path,
            len(data.skipped),
            first.parallel_id,
            first.reason,
        )
    if data.text_mismatches:
        # INFO: a known property of the released files (README, "Candidate text"), nothing the user can act on
        logger.info(
            "%s: %d sentence(s) differ from context[start:end] by an offset shift; the 'sentences' text is used",
            path,
            data.text_mismatches,
        )
    return data


def _parse(path: Path, lang: str) -> LanguageData:
    raw = _load_json(path)
    questions: list[Question] = []
    candidates: list[Candidate] = []
    skipped: list[SkippedQuestion] = []
    mismatches = 0
    seen_ids: dict[str, str] = {}
    for a_idx, article in enumerate(raw["data"]):
        title = article.get("title", "")
        for p_idx, para in enumerate(article["paragraphs"]):
            at = f"data[{a_idx}].paragraphs[{p_idx}]"
            about = f"article {title[:60]!r}"
            context, sentences, breaks = para["context"], para["sentences"], para["sentence_breaks"]
            if len(sentences) != len(breaks):
                raise DataFormatError(
                    path,
                    f"{at}.sentence_breaks",
                    f"{len(breaks)} spans for {len(sentences)} sentences",
                    "give one [start, end] span per sentence",
                    about,
                )
            first_id = len(candidates)
            for s_idx, (sentence, (start, end)) in enumerate(zip(sentences, breaks)):
                if not (0 <= start < end <= len(context) + _MAX_OFFSET_SHIFT):
                    raise DataFormatError(
                        path,
                        f"{at}.sentence_breaks[{s_idx}]",
                        f"span [{start}, {end}] lies outside the context (length {len(context)})",
                        "offsets must index into 'context'",
                        about,
                    )
                if context[start:end] != sentence:
                    if not _sentence_matches(context, sentence, start, end):
                        raise DataFormatError(
                            path,
                            f"{at}.sentence_breaks[{s_idx}]",
                            f"sentence {sentence[:40]!r} is not at context[{start}:{end}] = "
                            f"{context[start:end][:40]!r}",
                            "sentence_breaks must give each sentence's character span in 'context'",
                            about,
                        )
                    mismatches += 1
                candidates.append(
                    Candidate(id=f"{lang}:{len(candidates)}", lang=lang, sentence=sentence, context=context)
                )
            for q_idx, qa in enumerate(para["qas"]):
                pid = qa["id"]
                if pid in seen_ids:
                    raise DataFormatError(
                        path,
                        f"{at}.qas[{q_idx}].id",
                        f"duplicate question id (first at {seen_ids[pid]})",
                        "question ids must be unique within a language file",
                        f"{about}, question id {pid!r}",
                    )
                seen_ids[pid] = f"{at}.qas[{q_idx}]"
                if not qa["answers"]:
                    skipped.append(SkippedQuestion(str(path), pid, "no answers"))
                    continue
                start_char = qa["answers"][0]["answer_start"]
                hit = next((i for i, (s, e) in enumerate(breaks) if s <= start_char < e), None)
                if hit is None:
                    skipped.append(
                        SkippedQuestion(str(path), pid, f"answer_start {start_char} lies in no sentence span")
                    )
                    continue
                questions.append(
                    Question(
                        id=f"{lang}:{pid}",
                        parallel_id=pid,
                        lang=lang,
                        text=qa["question"],
                        answer_id=candidates[first_id + hit].id,
                        title=title,
                    )
                )
    return LanguageData(
        lang=lang,
        path=str(path),
        questions=questions,
        candidates=candidates,
        skipped=skipped,
        text_mismatches=mismatches,
    )


def check_parallel(definition: TaskDefinition, dataset: ParallelDataset) -> None:
    """Raise unless every id is in every language (complete) or in the pivot language (partial)."""
    # a question skipped on load (no answer sentence) is still in its file: it counts as present
    ids = {
        lang: {q.parallel_id for q in d.questions} | {s.parallel_id for s in d.skipped}
        for lang, d in dataset.languages.items()
    }
    if definition.parallel == "complete" and ids:
        union = set().union(*ids.values())
        for lang, have in ids.items():
            if missing := union - have:
                raise DataFormatError(
                    dataset.languages[lang].path,
                    "qas[].id",
                    f"{len(missing)} question id(s) present in other languages are missing here "
                    f"(e.g. {sorted(missing)[:3]})",
                    f"{definition.name} is declared fully parallel: restore the missing questions "
                    "or use the untouched release files",
                )
    pivot = definition.pivot_language
    if definition.parallel == "partial" and pivot in ids:
        for lang, have in ids.items():
            if orphans := have - ids[pivot]:
                raise DataFormatError(
                    dataset.languages[lang].path,
                    "qas[].id",
                    f"{len(orphans)} question id(s) have no '{pivot}' version (e.g. {sorted(orphans)[:3]})",
                    f"every question of {definition.name} must exist in the pivot language '{pivot}'",
                )


def load_dataset(
    definition: TaskDefinition,
    data_dir: str | Path | None = None,
    languages: Iterable[str] | None = None,
    task_name: str | None = None,
) -> ParallelDataset:
    """Read the language files of `definition` (all, or `languages`) into one checked dataset.

    `task_name`: the task named in messages (XQuADRRetrieval and XQuADRSentenceRetrieval read the same files).
    """
    dataset_name = definition.name
    if task_name and task_name != definition.name:
        definition = definition.model_copy(update={"name": task_name})
    langs = list(languages) if languages is not None else definition.langs
    if unknown := [lang for lang in langs if lang not in definition.languages]:
        raise ValueError(f"{definition.name}: unknown language(s) {unknown}; choose from {definition.langs}")
    data = {lang: read_language_file(language_file(definition, lang, data_dir), lang) for lang in langs}
    dataset = ParallelDataset(name=dataset_name, languages=data)
    check_parallel(definition, dataset)
    return dataset
