"""Errors for bad input files: each names the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file that cannot be read as LAReQA data.

    The message always says which file, which field, and what to do about it, so that a user
    never has to read a traceback from deep inside mteb to find out that a file is broken.
    """

    def __init__(self, path: str | Path, field: str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: field '{field}': {problem}. Fix: {fix}")


class MissingDataError(FileNotFoundError):
    """A language file or data folder that is not where it should be."""
