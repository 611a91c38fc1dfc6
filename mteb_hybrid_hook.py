"""Registers mteb-hybrid with mteb the moment mteb is imported, without importing mteb at every start.

`mteb_hybrid.pth` (installed into site-packages) imports this module at interpreter start. It only
puts a one-shot finder on `sys.meta_path`; when some code imports `mteb`, the finder lets the normal
import run and then calls `mteb_hybrid.registry.register()`, so the plain `mteb` CLI sees this
package's tasks and models.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import warnings


class _AfterMtebImport(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN201
        if fullname != "mteb":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("mteb")
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_then_register(module):  # noqa: ANN001, ANN202
            exec_module(module)
            try:
                from mteb_hybrid.registry import register

                register()
            except Exception as e:  # never break `import mteb` because of the plugin
                warnings.warn(f"mteb-hybrid could not register with mteb: {e!r}", stacklevel=2)

        loader.exec_module = exec_then_register
        return spec


def install() -> None:
    if "mteb" in sys.modules:
        return
    if not any(isinstance(f, _AfterMtebImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterMtebImport())


install()
