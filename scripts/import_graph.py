"""The drawing of the house: mteb_hybrid's modules as rooms, their imports (module level and inside functions)
as arrows; prints the circles (strongly connected groups of modules) and the arrows that run back up.

    python scripts/import_graph.py            # circles and upward arrows, exit 1 if there is any

Floors, bottom to top, follow the data flow (files -> records -> datasets -> models -> scores -> results ->
reports): an arrow may point to its own floor or lower.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mteb_hybrid"
FLOORS = [  # a module belongs to the first floor whose prefix it starts with
    ("files", "validation", "noise", "metrics", "data.errors", "formats", "userconfig", "mteb_private", "options"),
    ("data", "stats.records"),
    ("models", "training.record", "precision"),
    ("benchmark", "results_io"),
    ("training",),
    ("evaluation", "evaluation_request", "stats"),
    ("experiments",),
    ("reporting", "upstream"),
    ("registry", "mteb_cli", "quickstart", "cli", "__init__"),
]


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"
        out[name] = path
    return out


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a name imported from a package counts as its module)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package and package != "__init__" else []
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").startswith("mteb_hybrid"):
                    mod = node.module.removeprefix("mteb_hybrid").lstrip(".")
                else:
                    continue
                found = [f"{mod}.{a.name}".lstrip(".") for a in node.names] + [mod]
            elif isinstance(node, ast.Import):
                found = [
                    a.name.removeprefix("mteb_hybrid").lstrip(".")
                    for a in node.names
                    if a.name.startswith("mteb_hybrid.")
                ]
            for target in found:
                target = target or "__init__"
                while target not in mods and "." in target:
                    target = target.rpartition(".")[0]
                if target in mods and target != name and mods[target].name != "__init__.py":
                    edges[name].add(target)
                    break
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            out.append(sorted([*group, v]))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [g for g in out if len(g) > 1]


def floor(module: str) -> int:
    for level, prefixes in enumerate(FLOORS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise ValueError(f"{module}: on no floor; add it to FLOORS in {__file__}")


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in edges.items() for b in targets if floor(b) > floor(a))


def main() -> int:
    edges = imports(modules())
    found_circles, found_up = circles(edges), upward(edges)
    print(
        f"{len(modules())} modules, {sum(map(len, edges.values()))} arrows, {len(found_circles)} circles, "
        f"{len(found_up)} arrows up"
    )
    for group in found_circles:
        print("circle:", " <-> ".join(group))
    for a, b in found_up:
        print(f"up: {a} (floor {floor(a)}) -> {b} (floor {floor(b)})")
    return 1 if found_circles or found_up else 0


if __name__ == "__main__":
    sys.exit(main())
