"""The private mteb names the plugin touches are all there, and a missing one is named in a sentence."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mteb_hybrid import mteb_private

PACKAGE = Path(__file__).resolve().parents[1] / "mteb_hybrid"


def test_every_private_name_exists_in_the_installed_mteb() -> None:
    assert mteb_private.missing() == []


def test_a_renamed_one_is_named_with_the_module_to_update(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.delattr(importlib.import_module("mteb.get_tasks"), "_SIMILAR_TASKS")
    (line,) = mteb_private.missing()
    assert "has no mteb.get_tasks._SIMILAR_TASKS: update mteb_hybrid/mteb_private.py" in line


def test_temporary_registration_puts_the_registry_back() -> None:
    registry = mteb_private.task_registry()
    before = dict(registry)
    sentinel = type("NotATask", (), {})
    with mteb_private.tasks_registered({"XQuADRRetrieval": sentinel, "NoSuchTask": sentinel}):
        assert registry["NoSuchTask"] is sentinel and registry["XQuADRRetrieval"] is sentinel
    assert registry == before


def test_no_other_module_touches_a_private_mteb_name_or_patches_with_mock() -> None:
    """Outside mteb_private.py no module imports from `mteb._...`, names a `_..._REGISTRY`, or uses unittest.mock
    (the kit's runner script is text written for maintainers, not package code)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "mteb_private.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("mteb._", "unittest")):
                offenders.append(f"{path.name}: from {node.module}")
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and node.attr.endswith("REGISTRY"):
                offenders.append(f"{path.name}: .{node.attr}")
            elif isinstance(node, ast.Import) and any(a.name.startswith("unittest") for a in node.names):
                offenders.append(f"{path.name}: import unittest")
    assert offenders == []
