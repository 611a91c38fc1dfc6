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


# Candidate text -> what it adds to the task name: each definition makes one task per form (XQuADRRetrieval: the
# sentence with its paragraph; XQuADRSentenceRetrieval: the sentence alone)
CANDIDATE_FORMS = {"sentence+context": "", "sentence": "Sentence"}


def task_name(definition: TaskDefinition, form: str = "sentence+context") -> str:
    """The name of the task that `definition` makes for candidate `form`."""
    infix = CANDIDATE_FORMS[form]
    return f"{definition.name.removesuffix('Retrieval')}{infix}Retrieval" if infix else definition.name


def _paper_order(definitions: dict[str, TaskDefinition]) -> list[TaskDefinition]:
    """Most languages first (XQuAD-R, then MLQA-R: LAReQA's order), then by name."""
    return sorted(definitions.values(), key=lambda d: (-len(d.languages), d.name))


def task_names(forms: tuple[str, ...] = tuple(CANDIDATE_FORMS)) -> tuple[str, ...]:
    """Every task of the definitions under tasks/, the one list of them: by candidate form, then definition
    (XQuADRRetrieval, MLQARRetrieval, XQuADRSentenceRetrieval, MLQARSentenceRetrieval)."""
    ordered = _paper_order(load_definitions())
    return tuple(task_name(d, form) for form in forms for d in ordered)


def definition_of_task(task: str) -> TaskDefinition | None:
    """The definition behind a task name of any candidate form, None for a task not made from one."""
    return next((d for d in load_definitions().values() for f in CANDIDATE_FORMS if task_name(d, f) == task), None)


def data_folders() -> tuple[str, ...]:
    """The data folders the tasks read under a data directory (xquad-r, mlqa-r), in the order of `task_names`."""
    return tuple(d.folder for d in _paper_order(load_definitions()))


def get_definition(name: str) -> TaskDefinition:
    """A task definition by task name or data folder name (e.g. 'XQuADRRetrieval' or 'xquad-r')."""
    defs = load_definitions()
    for d in defs.values():
        if name in (d.name, d.folder):
            return d
    raise KeyError(f"unknown dataset {name!r}; known: {', '.join(f'{d.name} ({d.folder})' for d in defs.values())}")
