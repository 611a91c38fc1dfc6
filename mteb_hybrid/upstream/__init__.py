"""From plugin to mteb: hub dataset folders, mteb task files and descriptive statistics for the LAReQA tasks."""

from .export import TASKS, ExportedTask, export, export_task
from .taskfile import load_task_class, load_task_classes

__all__ = ["TASKS", "ExportedTask", "export", "export_task", "load_task_class", "load_task_classes"]
