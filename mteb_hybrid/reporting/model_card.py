"""A LAReQA results section in a trained model's README.md (the sentence-transformers model card), so a shared
model folder says how it scored, next to the training section `mteb-hybrid train` writes. The section sits
between two HTML comments, so writing it again replaces it (never duplicates).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mteb_hybrid.files import write_atomic
from mteb_hybrid.formats.training_record import RecordHead, read_record_head

from .summary import format_markdown, load_scores, summarize

START = "<!-- mteb-hybrid:results:start -->"
END = "<!-- mteb-hybrid:results:end -->"
HEADING = "## LAReQA results (mteb-hybrid)"
_TRAINING_HEADING = "## Hybrid-batch training (mteb-hybrid)"  # written by mteb_hybrid.training


def _training_info(folder: Path) -> RecordHead:
    """The training record's name and revision (None without a record); a one-line ValueError for a broken one."""
    return read_record_head(folder) or RecordHead()


def _select(df: pd.DataFrame, models: Sequence[str] | None, revision: str | None) -> pd.DataFrame:
    """Rows of the given models (full or short name), else of the trained revision, else everything."""
    if models:
        wanted = set(models)
        return df[df["model"].map(lambda m: m in wanted or m.split("/", 1)[-1] in wanted)]
    if revision:
        return df[df["revision"] == revision]
    return df


def _demoted(markdown: str) -> str:
    """format_markdown's document as a subsection: title dropped, other headings one level down."""
    lines, fenced = [], False
    for line in markdown.splitlines()[1:]:  # [0]: the title
        fenced ^= line.startswith("```")
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines).lstrip("\n")


def _insert(text: str, section: str) -> str:
    """Replace the marked section, else put it after the training section (or before the first ## section)."""
    start, end = text.find(START), text.find(END)
    if (start < 0) != (end < 0) or (start >= 0 and end < start):
        raise ValueError(f"README.md has an unmatched {START if start >= 0 else END}; fix it by hand")
    if start >= 0:
        tail = text[end + len(END) :]
        return text[:start] + section + tail.removeprefix("\n")
    anchor = text.find(f"\n{_TRAINING_HEADING}")
    at = text.find("\n## ", anchor + 1) if anchor >= 0 else text.find("\n## ")
    if at < 0:
        return text.rstrip("\n") + "\n\n" + section
    return text[: at + 1] + section + "\n" + text[at + 1 :]


def write_model_card(
    model_folder: str | os.PathLike[str],
    results_dir: str | os.PathLike[str],
    *,
    models: Sequence[str] | None = None,
    split: str = "test",
) -> Path:
    """Add or update the LAReQA results section of `model_folder`/README.md; returns the README's path.

    Rows: `models` (names, e.g. the trained model and a baseline) if given, else the revision recorded in
    the folder's mteb_hybrid_training.json (the revision mteb's result folders are named after), else all
    results under `results_dir`. Raises ValueError when that selects nothing.
    """
    folder = Path(model_folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such model folder")
    info = _training_info(folder)
    revision = info.revision or None
    df = _select(load_scores(results_dir, split=split), models, revision)
    if df.empty:
        which = f"model(s) {', '.join(models)}" if models else f"revision {revision}" if revision else "any model"
        raise ValueError(
            f"no LAReQA results ({split}) for {which} under {results_dir}; evaluate the model first "
            "(mteb-hybrid evaluate -m <model> ...)"
        )
    pairs = sorted(set(zip(df["model"], df["revision"])))
    what = "Scores of " + ", ".join(f"`{m}` (revision `{r}`)" for m, r in pairs) + " on the LAReQA tasks."
    body = [
        START,
        HEADING,
        "",
        f"{what} Macro averages over query languages, from mteb result files "
        "(`mteb-hybrid summarize` gives the same tables).",
        "",
        _demoted(format_markdown(summarize(df))),
        END,
    ]
    section = "\n".join(body).rstrip("\n").replace(f"\n\n{END}", f"\n{END}") + "\n"
    readme = folder / "README.md"
    name = info.name or folder.name
    text = readme.read_text(encoding="utf-8") if readme.is_file() else f"# {name}\n"
    write_atomic(readme, _insert(text, section))
    return readme
