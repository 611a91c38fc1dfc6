"""The drawing of the house (scripts/import_graph.py): no circles among the package's modules, no arrow up."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "import_graph.py"


def _graph():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_circles_and_no_upward_arrows() -> None:
    g = _graph()
    edges = g.imports(g.modules())
    assert g.circles(edges) == []
    assert g.upward(edges) == []
    assert sum(map(len, edges.values())) > 200  # the drawing sees the package's imports at all


def test_the_drawing_finds_a_circle_and_an_arrow_up() -> None:
    g = _graph()
    edges = {"files": {"registry"}, "registry": {"files"}}
    assert g.circles(edges) == [["files", "registry"]]
    assert g.upward(edges) == [("files", "registry")]
