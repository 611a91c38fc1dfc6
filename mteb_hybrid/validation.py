"""Reading a data file into its pydantic model: pydantic's multi-line ValidationError becomes a one-line
`DataFormatError` ("<file>: field 'source.commit': Field required. Fix: ..."), printed without a traceback."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union

from pydantic import BaseModel, ValidationError

from mteb_hybrid.data.errors import DataFormatError

M = TypeVar("M", bound=BaseModel)


def key_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as a key path: ("cells", 2, "alpha") -> "cells[2].alpha"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<file>"


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """'; did you mean X?' for the closest of `choices` (difflib), or ''."""
    close = difflib.get_close_matches(word, list(choices), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found at `loc` inside `model` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = current.model_fields[part].annotation
        while typing.get_origin(current) in (list, Union, types.UnionType):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if args else None
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def first_problem(model: type[BaseModel], error: ValidationError) -> tuple[str, str]:
    """The first problem of a ValidationError as (key path, one-line problem), a misspelt key named first."""
    # a misspelt key shows up as 'unknown key' and as 'missing': the unknown one names the typo
    errors = sorted(error.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        problem = f"unknown key{suggest(str(loc[-1]), allowed)}" + (f" (keys: {', '.join(allowed)})" if allowed else "")
    elif first["type"] == "missing":
        problem = "missing (required)"
    else:
        problem = first["msg"].removeprefix("Value error, ")
        if "input" in first and first["type"] != "value_error" and not isinstance(first["input"], dict):
            got = repr(first["input"])
            problem += f" (got {got if len(got) <= 80 else got[:60] + f'... ({len(got)} characters)'})"
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more problem(s))"
    return key_path(loc), problem


def validate_file(
    model: type[M], raw: Any, path: str | Path, fix: str, error: type[DataFormatError] = DataFormatError, **context: Any
) -> M:
    """`raw` (parsed YAML/JSON of `path`) as `model`; `error` on the first problem, naming its key path."""
    try:
        return model.model_validate(raw, context=context or None)
    except ValidationError as e:
        where, problem = first_problem(model, e)
        raise error(path, where, problem, fix) from None
