"""Reader for LAReQA-format files (SQuAD v1.1 JSON with `sentences` and `sentence_breaks`).

Rules (see ../shared/data/README.md):
- every sentence of every paragraph is a candidate;
- the answer sentence is the one whose half-open span [start, end) holds `answer_start`;
- a question whose answer lies in no sentence is skipped and reported, never guessed;
- a candidate's text is the `sentences` entry. Where it differs from `context[start:end]` but starts
  within a couple of characters of the span (two sentences of xquad-r/tr.json: an offset shift and a
  mis-encoded character), it is kept, counted and logged; a sentence away from its span is an error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .errors import DataFormatError
from .records import Candidate, LanguageData, Question, SkippedQuestion

logger = logging.getLogger(__name__)

_MAX_OFFSET_SHIFT = 2  # characters a sentence may sit away from its declared span


def _load_json(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as f:
            raw = json.load(f)
    except json.JSONDecodeError as e:
        raise DataFormatError(
            path, "<file>", f"malformed JSON at line {e.lineno} column {e.colno} ({e.msg})",
            "re-download the file (delete it from the cache) or repair the JSON",
        ) from e
    except UnicodeDecodeError as e:
        raise DataFormatError(path, "<file>", f"not UTF-8 ({e})", "save the file as UTF-8") from e
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise DataFormatError(path, "data", "missing or not a list", "use SQuAD v1.1 layout: {'version', 'data': [...]}")
    return raw


def _sentence_matches(context: str, sentence: str, start: int, end: int) -> bool:
    """True if `sentence` starts at its span's start, allowing a shift of a couple of characters.

    The texts may then differ inside (xquad-r/tr.json has one mis-encoded character in a context).
    """
    head = sentence[:16]
    lo = max(0, start - _MAX_OFFSET_SHIFT)
    return context.find(head, lo, start + _MAX_OFFSET_SHIFT + len(head)) != -1 and abs(
        len(sentence) - (end - start)
    ) <= 2 * _MAX_OFFSET_SHIFT


def read_language_file(path: str | Path, lang: str) -> LanguageData:
    """Parse one language file into questions and candidates.

    Candidate ids are "{lang}:{n}" in file order; question ids are "{lang}:{parallel id}".
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: language file for '{lang}' not found")
    raw = _load_json(path)
    questions: list[Question] = []
    candidates: list[Candidate] = []
    skipped: list[SkippedQuestion] = []
    mismatches = 0
    seen_ids: set[str] = set()
    for a_idx, article in enumerate(raw["data"]):
        title = article.get("title", "")
        for p_idx, para in enumerate(article.get("paragraphs", [])):
            where = f"data[{a_idx}].paragraphs[{p_idx}]"
            for key in ("context", "sentences", "sentence_breaks", "qas"):
                if key not in para:
                    raise DataFormatError(path, f"{where}.{key}", "missing", "LAReQA files need context, sentences, sentence_breaks and qas per paragraph")
            context: str = para["context"]
            sentences: list[str] = para["sentences"]
            breaks: list[list[int]] = para["sentence_breaks"]
            if len(sentences) != len(breaks):
                raise DataFormatError(
                    path, f"{where}.sentence_breaks",
                    f"{len(breaks)} spans for {len(sentences)} sentences",
                    "give one [start, end] span per sentence",
                )
            first_id = len(candidates)
            for s_idx, (sentence, span) in enumerate(zip(sentences, breaks)):
                start, end = int(span[0]), int(span[1])
                if not (0 <= start < end <= len(context) + _MAX_OFFSET_SHIFT):
                    raise DataFormatError(
                        path, f"{where}.sentence_breaks[{s_idx}]",
                        f"span [{start}, {end}] lies outside the context (length {len(context)})",
                        "offsets must index into 'context'",
                    )
                if context[start:end] != sentence:
                    if not _sentence_matches(context, sentence, start, end):
                        raise DataFormatError(
                            path, f"{where}.sentence_breaks[{s_idx}]",
                            f"sentence {sentence[:40]!r} is not at context[{start}:{end}] = {context[start:end][:40]!r}",
                            "sentence_breaks must give each sentence's character span in 'context'",
                        )
                    mismatches += 1
                candidates.append(Candidate(id=f"{lang}:{len(candidates)}", lang=lang, sentence=sentence, context=context))
            for qa in para["qas"]:
                pid = str(qa.get("id", ""))
                if not pid or "question" not in qa:
                    raise DataFormatError(path, f"{where}.qas", "a question without 'id' or 'question'", "every qas entry needs id, question and answers")
                if pid in seen_ids:
                    raise DataFormatError(path, f"{where}.qas[id={pid}]", "duplicate question id", "question ids must be unique within a language file")
                seen_ids.add(pid)
                answers = qa.get("answers") or []
                if not answers:
                    skipped.append(SkippedQuestion(str(path), pid, "no answers"))
                    continue
                start_char = int(answers[0]["answer_start"])
                hit = [i for i, (s, e) in enumerate(breaks) if s <= start_char < e]
                if not hit:
                    skipped.append(SkippedQuestion(str(path), pid, f"answer_start {start_char} lies in no sentence span"))
                    continue
                questions.append(
                    Question(
                        id=f"{lang}:{pid}", parallel_id=pid, lang=lang, text=qa["question"],
                        answer_id=candidates[first_id + hit[0]].id, title=title,
                    )
                )
    if skipped:
        logger.warning("%s: skipped %d question(s) whose answer lies in no sentence (first: %s: %s)",
                       path, len(skipped), skipped[0].parallel_id, skipped[0].reason)
    if mismatches:
        logger.warning("%s: %d sentence(s) differ from context[start:end] by an offset shift; the 'sentences' text is used",
                       path, mismatches)
    return LanguageData(lang=lang, path=str(path), questions=questions, candidates=candidates,
                        skipped=skipped, text_mismatches=mismatches)
