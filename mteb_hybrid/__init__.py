"""mteb-hybrid: LAReQA retrieval tasks with language-bias metrics for mteb, and hybrid-batch training.

Importing the package registers its tasks, benchmarks and models with mteb when mteb is imported (at once
if it already is), so `import mteb_hybrid` alone, e.g. for `--help`, does not import mteb and torch.
"""

__version__ = "0.1.0"


def _register_now_or_on_mteb_import() -> None:
    import sys

    if "mteb" not in sys.modules:
        try:
            import mteb_hybrid_hook
        except ImportError:  # the hook module is not installed next to the package: register eagerly
            pass
        else:
            mteb_hybrid_hook.install()
            if "mteb" not in sys.modules:
                return
    from mteb_hybrid.registry import register

    register()


_register_now_or_on_mteb_import()
