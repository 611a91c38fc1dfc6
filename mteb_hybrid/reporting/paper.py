"""The paper's published numbers: data (paper_numbers.yaml), so a correction is a one-line change beside its source."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict

from mteb_hybrid.validation import validate_file

PAPER_FILE = Path(__file__).with_name("paper_numbers.yaml")
KINDS = ("x-x", "x-y", "hybrid")
KIND_LABEL = {"x-x": "X-X", "x-y": "X-Y", "hybrid": "Hybrid"}
PAPER_ALPHA = 0.5  # the paper's hybrid mix; only our hybrid cells at this alpha are compared with it

Kind = Literal["x-x", "x-y", "hybrid"]
V = TypeVar("V")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Table(_Strict, Generic[V]):
    """One figure per dataset, base model and batching kind, and where in the paper they are."""

    source: str
    values: dict[str, dict[str, dict[Kind, V]]]


class PaperNumbers(_Strict):
    """paper_numbers.yaml: the paper, where the numbers were transcribed, and its mAP and rank distance."""

    paper: str
    arxiv: str
    transcribed_in: str
    map: Table[tuple[float, float, float]]  # mono, cross, multi
    rank_distance: Table[float]

    def bases(self, dataset: str) -> list[str]:
        """The paper's base models for a dataset (XLM-R, LaBSE), in file order."""
        return list(self.map.values[dataset])


@lru_cache(maxsize=None)
def paper_numbers(path: Path = PAPER_FILE) -> PaperNumbers:
    """The validated numbers (DataFormatError naming the file and key path when they do not match the schema)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return validate_file(PaperNumbers, raw, path, "see the comments at the top of paper_numbers.yaml")
