"""Files -> typed records: reading LAReQA-style data.

Names load on first use (PEP 562), so that a light reader such as `compare`, which needs only `data.errors`,
does not parse the task definitions at import.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "TaskDefinition": "definitions",
    "get_definition": "definitions",
    "load_definitions": "definitions",
    "DataFormatError": "errors",
    "MissingDataError": "errors",
    "load_dataset": "lareqa",
    "read_language_file": "lareqa",
    "Candidate": "records",
    "LanguageData": "records",
    "ParallelDataset": "records",
    "Question": "records",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
