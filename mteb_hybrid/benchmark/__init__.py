"""Records -> mteb retrieval tasks (pairs and pools), scored with LAReQA's metrics, one encoding per text."""

from .tasks import TASK_CLASSES, LareqaRetrievalTask, make_task_class

__all__ = ["TASK_CLASSES", "LareqaRetrievalTask", "make_task_class"]
