"""The LAReQA file layout (SQuAD v1.1 JSON plus `sentences` / `sentence_breaks`) as one pydantic schema.

Structure and types only (spans, answers and ids are checked by `lareqa.py`). TypedDicts, not models:
validation returns plain dicts (~0.1 s for all 11 XQuAD-R files).
"""

from __future__ import annotations

from functools import reduce
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from mteb_hybrid.validation import key_path

from .errors import DataFormatError


class Answer(TypedDict):
    text: StrictStr
    answer_start: Annotated[StrictInt, Field(ge=0)]


class QA(TypedDict):
    id: Annotated[StrictStr, Field(min_length=1)]
    question: Annotated[StrictStr, Field(min_length=1)]
    answers: list[Answer]


class Paragraph(TypedDict):
    context: StrictStr
    qas: list[QA]
    sentences: list[StrictStr]
    sentence_breaks: list[tuple[StrictInt, StrictInt]]


class Article(TypedDict):
    title: NotRequired[StrictStr]
    paragraphs: Annotated[list[Paragraph], Field(min_length=1)]


class LareqaFile(TypedDict):
    data: Annotated[list[Article], Field(min_length=1)]


LAREQA_FILE: TypeAdapter[LareqaFile] = TypeAdapter(LareqaFile)

LAYOUT = (
    'the LAReQA layout is {"data": [{"title", "paragraphs": [{"context", "sentences", '
    '"sentence_breaks", "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}'
)
RESTORE = "(or take the file again from the original release)"


# The fix for a bad value, by its key ("key[]" for an item of the list under that key).
_FIXES = {
    "<file>": f"the file must be one JSON object; {LAYOUT}",
    "data": f"'data' must list at least one article {RESTORE}",
    "data[]": f'each entry of \'data\' is an article {{"title", "paragraphs": [...]}} {RESTORE}',
    "title": "give the article title as a string",
    "paragraphs": f"every article needs 'paragraphs', a list of at least one paragraph {RESTORE}",
    "paragraphs[]": 'each paragraph is an object {"context", "sentences", "sentence_breaks", "qas"}',
    "context": "give the paragraph text as a string",
    "sentences": "give the paragraph's sentences as a list of strings",
    "sentences[]": "each sentence is a string",
    "sentence_breaks": "give one [start, end] character span of 'context' per sentence",
    "sentence_breaks[]": "each sentence_breaks entry is a [start, end] pair of character offsets into 'context'",
    "qas": "give the paragraph's questions as a list (it may be empty)",
    "qas[]": 'each question is an object {"id", "question", "answers": [{"text", "answer_start"}]}',
    "id": "give every question a non-empty string id (the same id in every language marks a translation)",
    "question": "give the question text as a non-empty string",
    "answers": 'give the question\'s answers as a list [{"text", "answer_start"}]',
    "answers[]": 'each answer is an object {"text", "answer_start"}',
    "text": "give the answer text as a string",
    "answer_start": "give 'answer_start', the character offset (an integer >= 0) of the answer in 'context'",
}


def describe(value: Any) -> str:
    """A JSON value in a few words: 'null', 'the string "x"', 'the number 3', 'a list of 2 items'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the string {value[:40]!r}" if value else "an empty string"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return f"the list {value}" if len(str(value)) <= 40 else f"a list of {len(value)} items"
    return "an object"


def _step(node: Any, key: int | str) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None


def _where(raw: Any, loc: list[int | str]) -> str:
    """What the indices of `loc` point at: the article's title and the question's id, where known."""
    parts, node = [], raw
    for prev, key in zip([None, *loc], loc):
        node = _step(node, key)
        if isinstance(key, int) and isinstance(node, dict):
            if prev == "data" and isinstance(node.get("title"), str):
                parts.append(f"article {node['title'][:60]!r}")
            elif prev == "qas" and isinstance(node.get("id"), str):
                parts.append(f"question id {node['id']!r}")
    return ", ".join(parts)


_EXPECTED = {
    "dict_type": "an object",
    "list_type": "a list",
    "tuple_type": "a list",
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
}


def _problem(error: dict[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "missing"
    if kind in _EXPECTED:
        return f"is {describe(value)}, not {_EXPECTED[kind]}"
    if kind in ("too_short", "string_too_short") and not value:
        return f"is {describe(value)}" if kind == "string_too_short" else "is an empty list"
    if kind == "greater_than_equal":
        return f"is {describe(value)}, below {error['ctx']['ge']}"
    return error["msg"]


def format_error(path: str | Path, error: ValidationError, raw: Any) -> DataFormatError:
    """The first violation of `error` as a DataFormatError naming file, key path, article, question and fix."""
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    # A bad span ([0], [1, 2, 3], ["a", 2]) is named as a whole, not by its missing or bad number.
    at = loc.index("sentence_breaks") + 1 if "sentence_breaks" in loc else len(loc)
    if at < len(loc) and isinstance(loc[at], int):
        loc = loc[: at + 1]
        problem = f"{describe(reduce(_step, loc, raw))} is not a [start, end] pair of integers"
    else:
        problem = _problem(first)
    keys = [k for k in loc if isinstance(k, str)]
    key = (keys[-1] if keys else "<file>") + ("[]" if loc and isinstance(loc[-1], int) else "")
    fix = _FIXES.get(key) or _FIXES.get(key.rstrip("[]")) or LAYOUT
    return DataFormatError(path, key_path(loc), problem, fix, _where(raw, loc))
