"""Zero-shot guard: refuse to train on text that the run's evaluation tasks will test on.

Training queries are compared with each evaluation task's questions, training passages (and a "sentence+context"
passage's first line) with its candidate sentences, after NFKC, casefold and whitespace collapse. Overlap is
refused unless `allow_overlap`, and so is a task the guard cannot read: it must not pass a run it cannot check.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .rows import QARow

logger = logging.getLogger(__name__)


def normalize_text(text: str) -> str:
    """NFKC, casefold, collapse whitespace: the form in which two texts count as the same."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class ZeroShotViolation(RuntimeError):
    """Training data overlaps an evaluation task (or one cannot be checked): the verdict, then the details."""


@dataclass
class TaskOverlap:
    """Overlap of the training rows with one evaluation task."""

    task: str
    queries: int = 0
    passages: int = 0
    query_examples: list[str] = field(default_factory=list)
    passage_examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.queries + self.passages


@dataclass
class GuardReport:
    """What the guard found: per-task overlaps and the tasks it could not check."""

    overlaps: list[TaskOverlap] = field(default_factory=list)
    unchecked: dict[str, str] = field(default_factory=dict)  # task -> why it could not be checked

    @property
    def total(self) -> int:
        return sum(o.total for o in self.overlaps)

    def summary(self) -> str:
        lines = []
        for o in self.overlaps:
            lines.append(
                f"{o.task}: {o.queries} training query(ies) equal an evaluation question, "
                f"{o.passages} training passage(s) equal an evaluation candidate"
            )
            lines += [f"  query: {q!r}" for q in o.query_examples]
            lines += [f"  passage: {p!r}" for p in o.passage_examples]
        if self.unchecked:
            lines.append("not checked: " + "; ".join(f"{t} ({why})" for t, why in self.unchecked.items()))
        return "\n".join(lines) or "no evaluation tasks named"


def guard_definition(task: str):  # noqa: ANN201 - a TaskDefinition
    """The LAReQA dataset behind an evaluation task name; KeyError saying why it cannot be checked."""
    from mteb_hybrid.data import get_definition

    with contextlib.suppress(KeyError):
        return get_definition(task)
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    if task in TASK_CLASSES:
        return TASK_CLASSES[task].definition
    import mteb

    try:
        mteb.get_task(task)
    except KeyError as e:
        close = difflib.get_close_matches(task, list(TASK_CLASSES), n=1)
        hint = f"did you mean {close[0]}?" if close else str(e.args[0] if e.args else e).removeprefix("KeyError: ")
        raise KeyError(f"unknown task; {hint}") from None
    raise KeyError("an mteb task: its text is not available to the guard")


def find_overlaps(
    rows: Sequence[QARow], eval_tasks: Iterable[str], data_dir: str | Path | None = None, max_examples: int = 5
) -> GuardReport:
    """Compare training rows with each evaluation task (normalised exact match)."""
    from mteb_hybrid.data import load_dataset

    report = GuardReport()
    for task in eval_tasks:
        try:
            data = load_dataset(guard_definition(task), data_dir).languages.values()
        except KeyError as e:
            report.unchecked[task] = str(e.args[0]) if e.args else "unknown task"
            continue
        questions = {normalize_text(q.text) for d in data for q in d.questions}
        sentences = {normalize_text(c.sentence) for d in data for c in d.candidates}
        queries: dict[str, str] = {}  # each overlapping text once (normalised), with its first example
        passages: dict[str, str] = {}
        for r in rows:
            if (q := normalize_text(r.query)) in questions:
                queries.setdefault(q, r.query)
            for text in filter(None, (r.positive, r.negative)):  # the whole passage, and its sentence
                if hit := {normalize_text(text), normalize_text(text.split("\n", 1)[0])} & sentences:
                    passages.setdefault(min(hit), text[:200])
        report.overlaps.append(
            TaskOverlap(
                task,
                len(queries),
                len(passages),
                list(queries.values())[:max_examples],
                list(passages.values())[:max_examples],
            )
        )
    return report


def check_zero_shot(
    rows: Sequence[QARow], eval_tasks: Iterable[str], data_dir: str | Path | None = None, allow_overlap: bool = False
) -> GuardReport:
    """Run the guard; raise `ZeroShotViolation` on any overlap, or any task it cannot check, unless `allow_overlap`."""
    report = find_overlaps(rows, eval_tasks, data_dir)
    if report.total or report.unchecked:
        found = [f"{o.task} ({o.queries} queries, {o.passages} passages)" for o in report.overlaps if o.total]
        blind = [f"{t} ({why})" for t, why in report.unchecked.items()]
        verdict = "; ".join(
            ([f"training data overlaps the evaluation tasks: {', '.join(found)}"] if found else [])
            + ([f"cannot check {', '.join(blind)}"] if blind else [])
        )
        if not allow_overlap:
            raise ZeroShotViolation(
                f"zero-shot guard: {verdict}. Fix: remove the overlapping rows, evaluate on other "
                "tasks, or pass allow_overlap=True (--allow-overlap) if this is intended\n" + report.summary()
            )
        logger.warning("zero-shot guard: %s (allowed by allow_overlap)\n%s", verdict, report.summary())
    elif report.overlaps:
        logger.info("zero-shot guard: no overlap with %s", [o.task for o in report.overlaps])
    return report
