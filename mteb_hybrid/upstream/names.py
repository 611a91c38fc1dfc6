"""The kit's names: the files it writes beside the task files, and the record of an exported task.

Here, below export, kit, pr and scores, so that each of them can name these without importing another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BENCHMARK_FILE = "mteb/benchmarks/benchmarks/lareqa.py"
MENU_FILE = "mteb/benchmarks/leaderboard_menu_entry.md"
UPLOAD_SCRIPT = "scripts/data/lareqa/create_data.py"
MODELS_FILE = "mteb/models/model_implementations/mteb_hybrid_models.py"
RUNNER = "run_local_benchmark.py"  # not for the PR: runs the benchmark from this folder with stock mteb
BENCHMARK_NAME = "LAReQA"


@dataclass
class ExportedTask:
    """What `export_task` wrote, with the figures the README and the report quote."""

    name: str
    folder: Path
    task_file: Path
    stats_file: Path | None
    subsets: list[str]
    revision: str
    files: list[str] = field(default_factory=list)
    size_bytes: int = 0
    per_config_bytes: int = 0  # what push_dataset_to_hub's one-copy-per-config layout would hold (sum over configs)
    seconds: float = 0.0
    splits: dict = field(default_factory=dict, repr=False)  # the rows, in memory (reference scores, compact)
