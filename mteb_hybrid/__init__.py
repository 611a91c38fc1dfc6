"""mteb-hybrid: LAReQA retrieval tasks with language-bias metrics for mteb, and hybrid-batch training.

Importing the package registers its tasks, benchmarks and models with mteb.
"""

__version__ = "0.1.0"

from mteb_hybrid.registry import register as _register

_register()
