"""Task definitions: the YAML files under `tasks/`, one per dataset (adding a dataset adds a file, no code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mteb_hybrid.validation import validate_file

from .errors import DataFormatError


def tasks_dir() -> Path:
    """Where the task definitions live: inside an installed wheel, or at the repository root."""
    installed = Path(__file__).resolve().parent.parent / "_tasks"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "tasks"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _has_lang(template: str) -> str:
    if "{lang}" not in template:
        raise ValueError("must contain {lang}, e.g. 'xquad-r/{lang}.json'")
    return template


class SourceFiles(_Strict):
    """Where the original files come from, pinned to a commit."""

    repository: str
    commit: str
    path_template: Annotated[str, AfterValidator(_has_lang)]
    hf_dataset: str | None = None

    def relative_path(self, lang: str) -> str:
        return self.path_template.format(lang=lang)

    def url(self, lang: str) -> str:
        return f"https://raw.githubusercontent.com/{self.repository}/{self.commit}/{self.relative_path(lang)}"


class TaskDefinition(_Strict):
    """One LAReQA-style dataset as data (a tasks/*.yaml file): languages, files, license, citation."""

    name: str
    folder: str
    description: Annotated[str, AfterValidator(lambda text: " ".join(text.split()))]  # on one line
    reference: str
    source: SourceFiles
    languages: dict[str, str] = Field(min_length=1)  # ISO 639-1 code used in file names -> mteb language tag
    parallel: Literal["complete", "partial"]
    pivot_language: str | None = None
    license: str
    adapted_from: tuple[str, ...] = ()
    date: tuple[str, str] | None = None
    domains: tuple[str, ...] = ()
    annotations_creators: str | None = None
    sample_creation: str | None = None
    citation: str | None = None
    path: str = ""  # the file it was read from (set by from_file, not written in it)

    @field_validator("pivot_language")
    @classmethod
    def _pivot_is_a_language(cls, v: str | None, info: ValidationInfo) -> str | None:
        languages = info.data.get("languages") or {}
        if v is not None and v not in languages:
            raise ValueError(f"{v!r} is not one of the languages; name one of {', '.join(languages)}")
        return v

    @property
    def langs(self) -> list[str]:
        return list(self.languages)

    @classmethod
    def from_file(cls, path: Path) -> TaskDefinition:
        """The definition in `path`; DataFormatError naming the file and the key path of the first problem."""
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise DataFormatError(path, "<file>", f"not valid YAML ({e})", "correct the YAML syntax") from e
        if not isinstance(raw, dict):
            raise DataFormatError(path, "<file>", "expected a mapping at top level", "see tasks/xquad_r.yaml")
        if "path" in raw:
            raise DataFormatError(path, "path", "unknown key (set from the file's location)", "remove it")
        return validate_file(cls, {**raw, "path": str(path)}, path, "see tasks/xquad_r.yaml for an example")


@lru_cache(maxsize=None)
def load_definitions(directory: str | None = None) -> dict[str, TaskDefinition]:
    """All task definitions, by task name."""
    defs = [TaskDefinition.from_file(p) for p in sorted((Path(directory) if directory else tasks_dir()).glob("*.yaml"))]
    return {d.name: d for d in defs}


def get_definition(name: str) -> TaskDefinition:
    """A task definition by task name or data folder name (e.g. 'XQuADRRetrieval' or 'xquad-r')."""
    defs = load_definitions()
    for d in defs.values():
        if name in (d.name, d.folder):
            return d
    raise KeyError(f"unknown dataset {name!r}; known: {', '.join(f'{d.name} ({d.folder})' for d in defs.values())}")
