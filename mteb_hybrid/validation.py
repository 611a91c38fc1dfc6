"""Reading a data file into its pydantic model, with one-line errors that name the file and the key path.

Every YAML/JSON file the package reads has one schema (a pydantic v2 model, unknown keys forbidden);
this module turns pydantic's multi-line ValidationError into `DataFormatError` ("<file>: field
'source.commit': Field required. Fix: ..."), which the CLI prints as one line without a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mteb_hybrid.data.errors import DataFormatError

M = TypeVar("M", bound=BaseModel)


def key_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as a key path: ("cells", 2, "alpha") -> "cells[2].alpha"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<file>"


def validate_file(model: type[M], raw: Any, path: str | Path, fix: str, **context: Any) -> M:
    """`raw` (parsed YAML/JSON of `path`) as `model`; DataFormatError on the first problem, naming its key path."""
    try:
        return model.model_validate(raw, context=context or None)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        # A misspelt key shows as "unknown key" and as a missing one: name the misspelling.
        first = next((x for x in errors if x["type"] == "extra_forbidden"), errors[0])
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown key (misspelt, or not a setting of this file)"
        raise DataFormatError(path, key_path(tuple(first["loc"])), problem, fix) from None
