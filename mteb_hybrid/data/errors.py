"""Errors for bad input files: each names the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file that cannot be read: one line naming the file, the key path, the problem and the fix.

    `where` adds what the indices alone do not say: the article title, the question id.
    """

    def __init__(self, path: str | Path, field: str, problem: str, fix: str, where: str = "") -> None:
        self.path, self.field, self.problem, self.fix = str(path), field, problem, fix
        at = f" ({where})" if where else ""
        super().__init__(f"{self.path}: field '{field}'{at}: {problem}. Fix: {fix}")


class MissingDataError(FileNotFoundError):
    """A language file or data folder that is not where it should be."""
