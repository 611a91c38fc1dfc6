"""Records -> mteb retrieval tasks (pairs and pools), scored with LAReQA's metrics, one encoding per text."""

import mteb  # noqa: F401 - first: mteb's import registers this plugin, which imports .tasks whole

from .tasks import TASK_CLASSES, LareqaRetrievalTask, make_task_class

__all__ = ["TASK_CLASSES", "LareqaRetrievalTask", "make_task_class"]
