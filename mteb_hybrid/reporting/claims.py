"""The paper's claims checked on our numbers: which groups compare, whether each claim holds, its sentence.

`find_comparisons` picks X-X / X-Y / Hybrid groups of one experiment that differ only in batching;
`check_claims` decides each claim from the seed aggregates of one comparison (the place to add
intervals: every `ClaimCheck` carries the two groups' per-column stats); `claim_sentences` words them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .aggregate import group_stats
from .loading import Cell, Experiment
from .paper import KIND_LABEL, KINDS, PAPER_ALPHA, paper_numbers
from .templates import render


@dataclass
class Comparison:
    """Our X-X / X-Y / Hybrid (alpha 0.5) groups of one experiment and task that differ only in batching."""

    experiment: Experiment
    task: str
    dataset: str
    key: str  # the other grid variables, "" when there are none
    groups: dict[str, tuple[str, list[Cell]]]  # kind -> (group, cells)
    base: tuple[str, list[Cell]] | None = None

    def stats(self, kind: str) -> pd.DataFrame:
        """Seed aggregates (rows mean / std / n) of every summary column for one batching kind."""
        stats = group_stats(self.groups[kind][1], self.task)
        assert stats is not None, "a comparison only holds groups with results"
        return stats


def dataset_label(task: str) -> str | None:
    """The paper's dataset name of a task (XQuAD-R / MLQA-R), None for other tasks."""
    if task.startswith("XQuADR"):
        return "XQuAD-R"
    if task.startswith("MLQAR"):
        return "MLQA-R"
    return None


def find_comparisons(experiments: Sequence[Experiment]) -> list[Comparison]:
    """Sets of groups with all three batching kinds (hybrid at the paper's alpha 0.5), equal otherwise."""
    out = []
    for exp in experiments:
        for task in exp.tasks():
            dataset = dataset_label(task)
            if dataset is None:
                continue
            sets: dict[str, dict[str, tuple[str, list[Cell]]]] = {}
            base = None
            for group, cells in exp.groups().items():
                done = [c for c in cells if task in c.tasks()]
                if not done:
                    continue
                kind = done[0].batching
                if kind == "base":
                    base = base or (group, cells)
                    continue
                if kind not in KINDS or (kind == "hybrid" and done[0].alpha not in (None, PAPER_ALPHA)):
                    continue
                other = {k: v for k, v in done[0].params.items() if k not in ("batching", "alpha", "seed")}
                key = ", ".join(f"{k}={v}" for k, v in sorted(other.items()))
                sets.setdefault(key, {}).setdefault(kind, (group, cells))
            for key, kinds in sets.items():
                if all(k in kinds for k in KINDS):
                    out.append(Comparison(exp, task, dataset, key, kinds, base))
    return out


@dataclass(frozen=True)
class Claim:
    """A claim of the paper: Hybrid against `other` on `column`; `lower` when smaller is better."""

    text: str
    column: str
    other: str
    paper_index: int | None  # position in the paper's (mono, cross, multi) mAP; None: rank distance
    lower: bool = False
    spec: str = "{:.3f}"


CLAIMS = (
    Claim("Hybrid ≥ X-X on monolingual mAP", "map_mono", "x-x", 0),
    Claim("Hybrid ≥ X-Y on cross-lingual mAP", "map_cross", "x-y", 1),
    Claim("Hybrid ≥ X-Y on multilingual mAP", "map_multi", "x-y", 2),
    Claim("Hybrid rank distance < X-X", "rank_distance", "x-x", None, lower=True, spec="{:.1f}"),
)


@dataclass(frozen=True)
class ClaimCheck:
    """One claim decided on one comparison: our two groups' seed stats (mean / std / n) and the paper's pairs."""

    claim: Claim
    dataset: str
    hybrid: pd.Series
    other: pd.Series
    paper: dict[str, tuple[float, float]]  # base model -> (hybrid, other)

    @property
    def holds(self) -> bool:
        h, o = self.hybrid["mean"], self.other["mean"]
        return bool(h < o) if self.claim.lower else bool(h >= o)


def check_claims(comp: Comparison) -> list[ClaimCheck]:
    """Every claim of CLAIMS on one comparison, with the paper's figures for both of its base models."""
    numbers = paper_numbers()
    out = []
    for claim in CLAIMS:
        paper = {}
        for base in numbers.bases(comp.dataset):
            if claim.paper_index is None:
                rd = numbers.rank_distance.values[comp.dataset][base]
                paper[base] = (rd["hybrid"], rd[claim.other])
            else:
                m = numbers.map.values[comp.dataset][base]
                paper[base] = (m["hybrid"][claim.paper_index], m[claim.other][claim.paper_index])
        out.append(ClaimCheck(claim, comp.dataset, comp.stats("hybrid")[claim.column],
                              comp.stats(claim.other)[claim.column], paper))
    return out


def _diff_note(a: pd.Series, b: pd.Series) -> str:
    """Whether a difference is within seed noise (one sample std), or rests on single seeds."""
    spread = max((float(s["std"]) for s in (a, b) if s["n"] > 1 and not math.isnan(s["std"])), default=math.nan)
    if math.isnan(spread):
        return " " + render("single_seed") if min(a["n"], b["n"]) <= 1 else ""
    if abs(a["mean"] - b["mean"]) < spread:
        return " " + render("within_noise", spread=f"{spread:.3g}")
    return ""


def claim_sentence(check: ClaimCheck) -> str:
    """One claim as a Markdown list item: verdict, our figures and the paper's."""
    spec, h, o = check.claim.spec, check.hybrid["mean"], check.other["mean"]
    paper = "; ".join(f"{base} {spec.format(ph)} vs {spec.format(po)}" for base, (ph, po) in check.paper.items())
    return render("claim", claim=check.claim.text, verdict="holds" if check.holds else "does not hold",
                  ours=spec.format(h), other_label=KIND_LABEL[check.claim.other], other=spec.format(o),
                  diff=spec.replace(":", ":+").format(h - o), note=_diff_note(check.hybrid, check.other),
                  dataset=check.dataset, paper=paper)


def claim_sentences(comp: Comparison) -> list[str]:
    """One sentence per claim of the paper, with our figures and the paper's, saying whether it holds."""
    return [claim_sentence(check) for check in check_claims(comp)]
