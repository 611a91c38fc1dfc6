"""mteb-hybrid: LAReQA retrieval tasks with language-bias metrics for mteb, and hybrid-batch training."""

__version__ = "0.1.0"
