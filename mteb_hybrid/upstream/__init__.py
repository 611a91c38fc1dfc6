"""From plugin to mteb: hub dataset folders, mteb task files and descriptive statistics for the LAReQA tasks, and the
pull-request kit around them (compact variants, benchmark, upload script, ModelMetas, reference scores, PR text)."""

from .export import TASKS, ExportedTask, export, export_task
from .scores import local_benchmark, local_tasks, reference_scores
from .taskfile import load_task_class, load_task_classes
from .writer import ExportConflict

__all__ = [
    "TASKS",
    "ExportConflict",
    "ExportedTask",
    "export",
    "export_task",
    "load_task_class",
    "load_task_classes",
    "local_benchmark",
    "local_tasks",
    "reference_scores",
]
