"""Task definitions: the data files under `tasks/` (one per dataset), read into typed objects.

Adding a LAReQA-style dataset means adding one YAML file there; nothing in the code names a dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import DataFormatError

_REQUIRED = ("name", "folder", "description", "reference", "source", "languages", "parallel", "license")


def tasks_dir() -> Path:
    """Where the task definitions live: inside an installed wheel, or at the repository root."""
    installed = Path(__file__).resolve().parent.parent / "_tasks"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "tasks"


@dataclass(frozen=True)
class SourceFiles:
    """Where the original files come from, pinned to a commit."""

    repository: str
    commit: str
    path_template: str
    hf_dataset: str | None = None

    def relative_path(self, lang: str) -> str:
        return self.path_template.format(lang=lang)

    def url(self, lang: str) -> str:
        return f"https://raw.githubusercontent.com/{self.repository}/{self.commit}/{self.relative_path(lang)}"


@dataclass(frozen=True)
class TaskDefinition:
    """One LAReQA-style dataset as data: languages, files, license, citation."""

    name: str
    folder: str
    description: str
    reference: str
    source: SourceFiles
    languages: dict[str, str]  # ISO 639-1 code used in file names -> mteb language tag
    parallel: str  # "complete" or "partial"
    pivot_language: str | None
    license: str
    adapted_from: tuple[str, ...] = ()
    date: tuple[str, str] | None = None
    domains: tuple[str, ...] = ()
    annotations_creators: str | None = None
    sample_creation: str | None = None
    citation: str | None = None
    path: str = ""

    @property
    def langs(self) -> list[str]:
        return list(self.languages)

    @classmethod
    def from_file(cls, path: Path) -> TaskDefinition:
        try:
            raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise DataFormatError(path, "<file>", f"not valid YAML ({e})", "correct the YAML syntax") from e
        if not isinstance(raw, dict):
            raise DataFormatError(path, "<file>", "expected a mapping at top level", "see tasks/xquad_r.yaml")
        for key in _REQUIRED:
            if key not in raw:
                raise DataFormatError(path, key, "missing", "add it; see tasks/xquad_r.yaml for an example")
        if raw["parallel"] not in ("complete", "partial"):
            raise DataFormatError(path, "parallel", f"{raw['parallel']!r} is not allowed", "use 'complete' or 'partial'")
        src = raw["source"]
        for key in ("repository", "commit", "path_template"):
            if key not in src:
                raise DataFormatError(path, f"source.{key}", "missing", "add the pinned source repository, commit and path template")
        pivot = raw.get("pivot_language")
        if pivot is not None and pivot not in raw["languages"]:
            raise DataFormatError(path, "pivot_language", f"{pivot!r} is not one of the languages", "name one of 'languages'")
        return cls(
            name=raw["name"],
            folder=raw["folder"],
            description=" ".join(str(raw["description"]).split()),
            reference=raw["reference"],
            source=SourceFiles(
                repository=src["repository"],
                commit=src["commit"],
                path_template=src["path_template"],
                hf_dataset=src.get("hf_dataset"),
            ),
            languages=dict(raw["languages"]),
            parallel=raw["parallel"],
            pivot_language=pivot,
            license=raw["license"],
            adapted_from=tuple(raw.get("adapted_from", ())),
            date=tuple(raw["date"]) if raw.get("date") else None,
            domains=tuple(raw.get("domains", ())),
            annotations_creators=raw.get("annotations_creators"),
            sample_creation=raw.get("sample_creation"),
            citation=raw.get("citation"),
            path=str(path),
        )


@lru_cache(maxsize=None)
def load_definitions(directory: str | None = None) -> dict[str, TaskDefinition]:
    """All task definitions, by task name."""
    folder = Path(directory) if directory else tasks_dir()
    defs = [TaskDefinition.from_file(p) for p in sorted(folder.glob("*.yaml"))]
    return {d.name: d for d in defs}


def get_definition(name: str) -> TaskDefinition:
    """A task definition by task name or data folder name (e.g. 'XQuADRRetrieval' or 'xquad-r')."""
    defs = load_definitions()
    for d in defs.values():
        if name in (d.name, d.folder):
            return d
    known = ", ".join(f"{d.name} ({d.folder})" for d in defs.values())
    raise KeyError(f"unknown dataset {name!r}; known: {known}")
