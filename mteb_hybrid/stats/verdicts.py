"""One comparison of two sides on one metric: the right interval for the design, the verdict words it allows,
equivalence by TOST, and the design's power.

- Recipes (at least 2 seeds a side): the calibrated t interval over seeds and questions (`calibrated`);
  verdict holds / fails / inconclusive.
- Two trained models (one seed on either side): the paired cluster bootstrap over questions (`bootstrap`),
  which is right for two fixed models; the training noise of a recipe is unknown, so no holds / fails: the
  finding is about these two models.
- "Equivalent within +-m" only from TOST with margin m (defaults per metric, settable); never from an
  interval that holds zero ("inconclusive" then).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from mteb_hybrid.formats.per_query import DEFAULT_MARGINS

from .bootstrap import Direction, Verdict, aligned, bootstrap_differences, verdict
from .calibrated import Components, Equivalence, cluster_totals, detectable, seeds_needed, t_interval, tost

Level = Literal["recipes", "models"]

# DEFAULT_MARGINS: equivalence margins in each metric's units (0.01 of mAP / nDCG@10 / MRR@10 / same-language
# share, 20 ranks), stated with the metrics in formats/per_query.py


@dataclass(frozen=True)
class Decision:
    """A - B on one metric, with the interval the design supports and what may be said of it."""

    metric: str
    direction: Direction
    level: Level  # recipes: >= 2 seeds a side; models: one seed on a side
    method: str  # how the interval was made, in words
    diff: float
    low: float
    high: float
    se: float
    df: float
    verdict: Verdict | None  # None for two trained models: no holds / fails
    equivalence: Equivalence
    detectable: float  # the smallest true difference this design finds with 80% power
    seeds_needed: int | None  # seeds a side that would resolve `target_delta` (recipes only)
    target_delta: float | None
    n_questions: int
    n_queries: int
    n_seeds_a: int
    n_seeds_b: int
    mean_a: float
    mean_b: float
    confidence: float = 0.95
    components: Components | None = None
    untrained_b: bool = False  # B is an untrained base model: one fixed model, no training noise
    untrained_a: bool = False  # so is A (e.g. one base scored two ways)

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    @property
    def models(self) -> str:
        """What a one-seed comparison is about, in words."""
        if self.untrained_a and self.untrained_b:
            return "two untrained models"
        return "one trained model with the untrained B" if self.untrained_b else "two trained models"

    @property
    def words(self) -> str:
        """The verdict in words that mean one thing."""
        if self.level == "models":
            if self.excludes_zero:
                side = "higher" if self.low > 0 else "lower"
                if self.untrained_b and not self.untrained_a:
                    return f"A {side} than the untrained B for this one trained model"
                return f"A {side} than B for these {self.models}"
            if self.equivalence.equivalent:  # about these models: one seed says nothing of the recipes
                return f"equivalent within ±{self.equivalence.margin:g} for these {self.models}"
            return "inconclusive"
        if self.verdict is Verdict.INCONCLUSIVE and self.equivalence.equivalent:
            return f"equivalent within ±{self.equivalence.margin:g}"
        return str(self.verdict)


def decide(
    a: Sequence[pd.DataFrame],
    b: Sequence[pd.DataFrame],
    metric: str = "map",
    *,
    direction: Direction = "greater",
    confidence: float = 0.95,
    margin: float | None = None,
    target_delta: float | None = None,
    resamples: int = 10_000,
    seed: int = 0,
    untrained_b: bool = False,
    untrained_a: bool = False,
) -> Decision:
    """Compare per-query frames of A and B (one per seed) on `metric`; see the module docstring.

    `untrained_b`: B is an untrained base model, one fixed model with no training noise, so A's recipe (at
    least 2 seeds) is judged against it at the recipe level; `untrained_a`: A is one too (only the words change).
    """
    if direction not in ("greater", "less"):
        raise ValueError(f"direction {direction!r}: use 'greater' (A > B) or 'less' (A < B)")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")
    margin = DEFAULT_MARGINS.get(metric, 0.01) if margin is None else margin
    if margin <= 0:
        raise ValueError(f"--margin must be > 0, got {margin}")
    fa, fb = list(a), list(b)
    if not fa or not fb:
        raise ValueError("each side needs at least one per-query frame")
    values, pid = aligned(fa, fb, metric)
    codes, questions = pd.factorize(pid)
    sums, counts = cluster_totals(values, codes)
    k_a, k_b = len(fa), len(fb)
    means = sums.sum(1) / counts.sum()
    mean_a, mean_b = float(means[:k_a].mean()), float(means[k_a:].mean())
    common = dict(
        metric=metric,
        direction=direction,
        target_delta=target_delta,
        n_questions=len(questions),
        n_queries=len(pid),
        n_seeds_a=k_a,
        n_seeds_b=k_b,
        mean_a=mean_a,
        mean_b=mean_b,
        confidence=confidence,
        untrained_b=untrained_b,
        untrained_a=untrained_a,
    )
    if k_a >= 2 and (k_b >= 2 or (untrained_b and k_b == 1)):
        t = t_interval(sums[:k_a], sums[k_a:], counts, confidence)
        return Decision(
            level="recipes",
            method="t over seeds and questions (Satterthwaite df)",
            diff=t.diff,
            low=t.low,
            high=t.high,
            se=t.se,
            df=t.df,
            verdict=verdict(t.low, t.high, direction),
            equivalence=tost(t.diff, t.se, t.df, margin, confidence),
            detectable=detectable(t.se, t.df, confidence),
            seeds_needed=seeds_needed(t.components, target_delta, confidence) if target_delta else None,
            components=t.components,
            **common,
        )
    rng = np.random.default_rng(seed)
    diffs = bootstrap_differences(sums[:k_a], sums[k_a:], counts, resamples, rng, resample_seeds=False)
    low, high = (float(x) for x in np.quantile(diffs, [(1 - confidence) / 2, (1 + confidence) / 2]))
    se, df = float(diffs.std(ddof=1)), float(len(questions) - 1)
    diff = mean_a - mean_b
    return Decision(
        level="models",
        method=f"paired bootstrap over questions ({resamples} resamples, seed {seed})",
        diff=diff,
        low=low,
        high=high,
        se=se,
        df=df,
        verdict=None,
        equivalence=tost(diff, se, df, margin, confidence),
        detectable=detectable(se, df, confidence),
        seeds_needed=None,
        **common,
    )
