"""`EvaluationRequest`: one evaluation as data (what to score, on which tasks, where results go), and its command.

`mteb-hybrid evaluate`, the experiment runner and the quickstart each build one and call
`evaluation.run_evaluation`; the `evaluate` options are generated from these fields (evaluation.py), as `train`'s
are from `TrainConfig`. Only the standard library, pydantic and the user config are imported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict, PositiveInt, field_validator
from pydantic.dataclasses import dataclass

from mteb_hybrid.options import build, flag, option
from mteb_hybrid.userconfig import add_data_dir_argument

EVALUATION_PRECISIONS = ("fp32", "bf16", "fp16", "auto")


@dataclass(config=ConfigDict(extra="forbid", arbitrary_types_allowed=True))
class EvaluationRequest:
    """One evaluation. `model` is a name or folder, or (from Python) an mteb encoder object; a task is a name or one
    of our task classes (a LareqaRetrievalTask subclass, e.g. the quickstart's few-language slice)."""

    model: Any = option(
        aliases=["-m"],
        help="registered name (offline-me5-small, hybrid-me5-small, any mteb model) or a sentence-transformers folder",
    )
    tasks: list[str | type] = option(
        factory=lambda: ["XQuADRRetrieval"],
        aliases=["-t"],
        show_default=False,
        help="task names: XQuADRRetrieval, MLQARRetrieval (sentence+context candidates), "
        "XQuADRSentenceRetrieval, MLQARSentenceRetrieval (sentence only), or any mteb task",
    )
    languages: list[str] | None = option(
        None,
        aliases=["-l"],
        help="languages to evaluate (de or deu): keeps the pairs among them and their pools (a pool always "
        "holds all languages' candidates)",
    )
    subsets: list[str] | None = option(None, help="exact subsets, e.g. en-de en-pool")
    data_dir: str | Path | None = option(None, add=add_data_dir_argument, help="see userconfig")
    output_folder: str | Path = option(
        "out",
        show_default=False,
        help="results go to OUTPUT/results/... (default: out, so that a run from the project root never "
        "writes into its shipped results/)",
    )
    batch_size: PositiveInt = option(
        32,
        fix="give a whole number > 0",
        help="texts per encoding batch: more is faster on a GPU, needs more memory",
    )
    overwrite: bool = option(False, store_true=True, help="recompute and replace existing results")
    embedding_cache: bool | None = option(
        None,
        store_true=True,
        help="keep embeddings on disk, so an interrupted or repeated run does not re-encode (the default "
        "unless MTEB_HYBRID_EMBEDDING_CACHE=0; this flag overrides that)",
    )
    precision: str = option(
        "fp32",
        choices=EVALUATION_PRECISIONS,
        help="weights' precision: bf16 is faster only where the hardware has bf16 units (GPUs; CPUs with "
        "avx512_bf16/amx_bf16), several times slower elsewhere; fp16 only on GPUs; auto = bf16 where native, "
        "else fp32. Not fp32: results and cached vectors go under revision <revision>-bf16",
    )
    devices: list[str] | None = option(
        None,
        metavar="DEVICE",
        help="encode with one process per device, e.g. cuda:0 cuda:1, or cpu cpu (same results)",
    )
    show_progress_bar: bool = option(True, cli=False, help="draw progress bars")

    @field_validator("tasks")
    @classmethod
    def _some_tasks(cls, value: list[Any]) -> list[Any]:
        if not value:
            raise ValueError("name at least one task")
        return value

    @field_validator("precision")
    @classmethod
    def _known_precision(cls, value: str) -> str:
        if value not in EVALUATION_PRECISIONS:
            raise ValueError(f"one of {', '.join(EVALUATION_PRECISIONS)}")
        return value


def evaluation_request(**values: Any) -> EvaluationRequest:
    """`EvaluationRequest(**values)`, or a one-line ValueError naming the option and the fix."""
    return build(EvaluationRequest, flag, **values)
