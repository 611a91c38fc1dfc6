"""The paper's published numbers (paper_numbers.yaml, with their source), read into a typed, validated object.

Kept as data so that a correction to a transcribed number is a one-line change with its source beside it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from mteb_hybrid.validation import validate_file

PAPER_FILE = Path(__file__).with_name("paper_numbers.yaml")
KINDS = ("x-x", "x-y", "hybrid")
KIND_LABEL = {"x-x": "X-X", "x-y": "X-Y", "hybrid": "Hybrid"}
PAPER_ALPHA = 0.5  # the paper's hybrid mix; only our hybrid cells at this alpha are compared with it

Kind = Literal["x-x", "x-y", "hybrid"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MapTable(_Strict):
    """mAP (mono, cross, multi) per dataset, base model and batching kind."""

    source: str
    values: dict[str, dict[str, dict[Kind, tuple[float, float, float]]]]


class RankDistanceTable(_Strict):
    """Mean rank distance per dataset, base model and batching kind."""

    source: str
    values: dict[str, dict[str, dict[Kind, float]]]


class PaperNumbers(_Strict):
    """paper_numbers.yaml: the paper, where the numbers were transcribed, and its mAP and rank distance."""

    paper: str
    arxiv: str
    transcribed_in: str
    map: MapTable
    rank_distance: RankDistanceTable

    def bases(self, dataset: str) -> list[str]:
        """The paper's base models for a dataset (XLM-R, LaBSE), in file order."""
        return list(self.map.values[dataset])


@lru_cache(maxsize=None)
def paper_numbers(path: Path = PAPER_FILE) -> PaperNumbers:
    """The validated numbers (DataFormatError naming the file and key path when they do not match the schema)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return validate_file(PaperNumbers, raw, path, "see the comments at the top of paper_numbers.yaml")
