"""The prose of the report (report_templates.md) and of the CLI (texts.md) as Markdown templates, filled with
string.Template, so rewording never touches the code."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

TEMPLATE_FILES = tuple(Path(__file__).with_name(name) for name in ("report_templates.md", "texts.md"))
_MARKER = re.compile(r"^<!-- (\w+) -->\n", re.MULTILINE)


@lru_cache(maxsize=None)
def templates(paths: tuple[Path, ...] = TEMPLATE_FILES) -> dict[str, Template]:
    """Every `<!-- name -->` block of the files (a file's leading comment block is not a template)."""
    out = {}
    for path in paths:
        pieces = _MARKER.split(path.read_text(encoding="utf-8"))  # [preamble, name1, body1, name2, body2, ...]
        out.update({name: Template(body.rstrip("\n")) for name, body in zip(pieces[1::2], pieces[2::2])})
    return out


def render(block: str, /, **values: object) -> str:
    """Block `block` with its $placeholders filled (KeyError names a placeholder left without a value)."""
    return templates()[block].substitute({k: str(v) for k, v in values.items()})
