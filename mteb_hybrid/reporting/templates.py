"""The report's prose as Markdown templates (report_templates.md), filled with string.Template.

Rewording the report never touches the code that computes the numbers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

TEMPLATE_FILE = Path(__file__).with_name("report_templates.md")
_MARKER = re.compile(r"^<!-- (\w+) -->\n", re.MULTILINE)


@lru_cache(maxsize=None)
def templates(path: Path = TEMPLATE_FILE) -> dict[str, Template]:
    """Every `<!-- name -->` block of the file (the leading comment block is not a template)."""
    text = path.read_text(encoding="utf-8")
    pieces = _MARKER.split(text)  # [preamble, name1, body1, name2, body2, ...]
    return {name: Template(body.rstrip("\n")) for name, body in zip(pieces[1::2], pieces[2::2])}


def render(block: str, /, **values: object) -> str:
    """Block `block` with its $placeholders filled (KeyError names a placeholder left without a value)."""
    return templates()[block].substitute({k: str(v) for k, v in values.items()})
