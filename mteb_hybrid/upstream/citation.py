"""BibTeX in the form mteb's citation test expects, without bibtexparser.

mteb's tests/test_validate_metadata/test_citation_formatting.py (and scripts/format_citations.py) parse a task's
`bibtex_citation` with bibtexparser 1.x and write it back with `BibTexWriter(indent="  ", comma_first=False,
add_trailing_comma=True)`; the citation must equal that output. That writer sorts entries by key and each
entry's fields alphabetically, writes `  field = {value},` and separates entries by a blank line. This module
does the same for the plain entries task citations use (braced, quoted or bare values; no @string macros).
tests/test_upstream_checks.py checks it on hand-made entries and, where bibtexparser is installed, against it.
"""

from __future__ import annotations

import re

_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", re.ASCII)


def _value(text: str, i: int) -> tuple[str, int]:
    """The value starting at text[i] (after '='), without its outer delimiters; returns it and the index after."""
    if text[i] == "{":
        depth, j = 0, i
        while j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1 : j], j + 1
            j += 1
        raise ValueError("unbalanced braces in a BibTeX value")
    if text[i] == '"':
        j = text.index('"', i + 1)
        return text[i + 1 : j], j + 1
    m = re.match(r"[^,}\s]+", text[i:])
    if not m:
        raise ValueError(f"no BibTeX value at {text[i : i + 20]!r}")
    return m.group(0), i + m.end()


def parse_bibtex(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """[(entry type, key, {field: value})] in file order; field names lowercased, as bibtexparser does."""
    entries = []
    pos = 0
    while (m := _ENTRY.search(text, pos)) is not None:
        kind, key, i = m.group(1).lower(), m.group(2), m.end()
        fields: dict[str, str] = {}
        while True:
            while i < len(text) and text[i] in " \t\r\n,":
                i += 1
            if i >= len(text):
                raise ValueError(f"entry {key} is not closed")
            if text[i] == "}":
                i += 1
                break
            f = re.match(r"([\w-]+)\s*=\s*", text[i:])
            if not f:
                raise ValueError(f"entry {key}: cannot read a field at {text[i : i + 20]!r}")
            value, i = _value(text, i + f.end())
            fields[f.group(1).lower()] = value
        entries.append((kind, key, fields))
        pos = i
    return entries


def format_bibtex(text: str) -> str:
    """The citation as mteb's check writes it (entries by key, fields alphabetical); '' stays ''."""
    if not text.strip():
        return ""
    entries = parse_bibtex(text)
    if not entries:
        raise ValueError("no BibTeX entry found")
    blocks = []
    for kind, key, fields in sorted(entries, key=lambda e: e[1]):
        lines = [f"@{kind}{{{key},"] + [f"  {k} = {{{fields[k]}}}," for k in sorted(fields)] + ["}"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def bibtex_title(text: str) -> str | None:
    """The first entry's title with BibTeX's case-protecting braces removed ('{LAReQA}: x' -> 'LAReQA: x')."""
    entries = parse_bibtex(text) if text.strip() else []
    title = entries[0][2].get("title") if entries else None
    return title.replace("{", "").replace("}", "") if title else None
