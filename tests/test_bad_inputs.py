"""Every bad input in tests/bad_inputs/*: exit status, one clear line, no traceback, nothing escapes."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import bad_inputs
import pytest
from bad_inputs import BadInput


def _all_cases() -> list[BadInput]:
    cases: list[BadInput] = []
    for info in sorted(pkgutil.iter_modules(bad_inputs.__path__), key=lambda i: i.name):
        cases += getattr(importlib.import_module(f"bad_inputs.{info.name}"), "CASES", [])
    return cases


def _reopen_library_log_streams() -> None:
    """Libraries (transformers, datasets) bind a log handler, and transformers its `flush`, to the sys.stderr of
    their first use, which may be an earlier case's captured stream, closed since: point them at this case's."""
    import logging
    import sys

    loggers = [
        logging.getLogger(),
        *(v for v in logging.root.manager.loggerDict.values() if isinstance(v, logging.Logger)),
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not isinstance(handler, logging.StreamHandler):
                continue
            if getattr(handler.stream, "closed", False):
                handler.stream = sys.stderr  # not setStream: it would flush the closed stream first
            if "flush" in vars(handler) and getattr(getattr(handler.flush, "__self__", None), "closed", False):
                handler.flush = sys.stderr.flush


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("case", _all_cases(), ids=lambda c: c.id)
def test_bad_input_gets_one_clear_line(
    case: BadInput,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from mteb_hybrid.cli import main

    # the root sits two levels down, so that a '../../x' escape would land inside tmp_path, where we look
    root = tmp_path / "a" / "b" / "root"
    root.mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(root / "cache"))
    _reopen_library_log_streams()
    case.setup(root)
    outside_before = _files(tmp_path) - _files(root)

    with caplog.at_level(logging.WARNING):
        code = main(case.argv(root))

    err = capsys.readouterr().err
    assert code == case.exit_code, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    if case.message is None:
        assert errors == [], err
    else:
        assert len(errors) == 1, err
        assert re.search(case.message, errors[0]), errors[0]
    if case.logged is not None:
        assert re.search(case.logged, caplog.text), caplog.text
    assert _files(tmp_path) - _files(root) == outside_before, "something was written outside the root"
    for path in case.kept(root):
        assert path.exists(), f"{path} was lost"
    case.check(root)
