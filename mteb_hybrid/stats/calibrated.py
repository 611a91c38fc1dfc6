"""A calibrated interval for recipes: seed means with honest degrees of freedom plus question-clustered variance.

Two recipes, each trained with k seeds and scored on the same questions. Per side, the model is
y[seed, question] = mean + seed effect + question effect + interaction. The difference of the sides' means has
variance  var(seed effect A)/k_a + var(seed effect B)/k_b + var(question effect A - B)/n + interactions/(k n).

Estimated by moments (two-way ANOVA per side, cluster-robust variance over questions):
- the sample variance of a side's seed means, s2/k, holds its seed part and interaction/(k n);
- the linearised question-level variance of the paired difference holds the question part and the
  interactions once more, so the interaction mean square is subtracted once;
- Welch-Satterthwaite combines the parts into degrees of freedom: with 2-3 seeds a side the seed part has
  1-2 degrees of freedom, and the t quantile says so (a percentile bootstrap of 3 seeds keeps about 2/3 of
  their variance and acts like +-1.96: it covered 72-82% here, see tests/test_calibration.py).

The same components give the smallest difference the design detects (80% power, two-sided 5%) and the seeds a
side that would resolve a target difference; TOST (two one-sided tests) decides equivalence within a margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

POWER = 0.80
MAX_SEEDS_PLANNED = 100


def _t_ppf(p: float, df: float) -> float:
    """Student's t quantile (scipy.special: a tenth of scipy.stats' import time)."""
    return float(special.stdtrit(df, p))


@dataclass(frozen=True)
class Components:
    """Variance components of one comparison (metric units squared), estimated by moments."""

    seed_a: float  # sample variance of A's seed means (nan with one seed)
    seed_b: float
    interaction_a: float  # seed x question mean square of A (0 with one seed)
    interaction_b: float
    question: float  # cluster-robust variance over questions of the per-question difference, times n
    n_questions: int
    k_a: int
    k_b: int

    def parts(self, k_a: int | None = None, k_b: int | None = None) -> list[tuple[float, float]]:
        """(variance contribution, degrees of freedom) of each part, for k_a / k_b seeds (default: observed).

        s2 / k is a side's whole seed-and-interaction contribution at any k (its expectation does not depend
        on k); the question part, measured at the observed seeds, holds the interactions once more, and the
        interaction mean squares at the observed seeds take them out."""
        n = self.n_questions
        out = [(self.question / n, n - 1)]
        for var, inter, k, k_obs in (
            (self.seed_a, self.interaction_a, k_a or self.k_a, self.k_a),
            (self.seed_b, self.interaction_b, k_b or self.k_b, self.k_b),
        ):
            if k_obs > 1:  # a design of k seeds estimates its seed part with k - 1 degrees of freedom
                out += [(var / k, k - 1), (-inter / (k_obs * n), (k_obs - 1) * (n - 1))]
        return out

    def variance(self, k_a: int | None = None, k_b: int | None = None) -> float:
        return max(sum(v for v, _ in self.parts(k_a, k_b)), 0.0)

    def df(self, k_a: int | None = None, k_b: int | None = None) -> float:
        """Welch-Satterthwaite degrees of freedom of `variance` (each part's own df)."""
        parts = self.parts(k_a, k_b)
        total = sum(v for v, _ in parts)
        denom = sum(v * v / d for v, d in parts if d > 0)
        if total <= 0 or denom <= 0:
            return float(self.n_questions - 1)
        return float(min(max(total * total / denom, 1.0), self.n_questions - 1))


@dataclass(frozen=True)
class TInterval:
    """The difference, its standard error and degrees of freedom, and the two-sided interval."""

    diff: float
    se: float
    df: float
    low: float
    high: float
    components: Components


def cluster_totals(values: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sums [seeds, clusters] of `values` [seeds, rows] and rows per cluster."""
    n_c = int(clusters.max()) + 1
    sums = np.stack([np.bincount(clusters, weights=v, minlength=n_c) for v in values])
    return sums, np.bincount(clusters, minlength=n_c).astype(np.float64)


def _side(sums: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Seed means, per-question values scaled so their plain mean is the seed mean, seed variance, interaction MS."""
    n = counts.shape[0]
    u = sums * (n / counts.sum())  # [k, n]: u.mean(1) == sums.sum(1) / counts.sum()
    means = u.mean(1)
    k = u.shape[0]
    if k < 2:
        return means, u, math.nan, 0.0
    resid = u - means[:, None] - u.mean(0)[None, :] + u.mean()
    return means, u, float(means.var(ddof=1)), float((resid**2).sum() / ((k - 1) * (n - 1)))


def components(sums_a: np.ndarray, sums_b: np.ndarray, counts: np.ndarray) -> tuple[float, Components]:
    """The difference of means and its variance components, from per-question sums [seeds, questions]."""
    n = counts.shape[0]
    if n < 2:
        raise ValueError("an interval needs at least 2 questions")
    means_a, u_a, s_a, r_a = _side(sums_a, counts)
    means_b, u_b, s_b, r_b = _side(sums_b, counts)
    diff = float(means_a.mean() - means_b.mean())
    # linearised ratio estimator: residual of each question's seed-averaged difference against diff x its size
    t = sums_a.mean(0) - sums_b.mean(0)
    resid = (t - diff * counts) / counts.mean()
    question = float((resid**2).sum() / (n - 1))
    return diff, Components(s_a, s_b, r_a, r_b, question, n, sums_a.shape[0], sums_b.shape[0])


def t_interval(sums_a: np.ndarray, sums_b: np.ndarray, counts: np.ndarray, confidence: float = 0.95) -> TInterval:
    """Mean of A minus mean of B with a t interval over seeds and questions (Satterthwaite df)."""
    diff, comp = components(sums_a, sums_b, counts)
    se, df = math.sqrt(comp.variance()), comp.df()
    half = _t_ppf((1 + confidence) / 2, df) * se
    return TInterval(diff, se, df, diff - half, diff + half, comp)


def detectable(se: float, df: float, confidence: float = 0.95, power: float = POWER) -> float:
    """The smallest true difference found with `power` by a two-sided test at 1 - `confidence`."""
    return float((_t_ppf((1 + confidence) / 2, df) + _t_ppf(power, df)) * se)


def seeds_needed(comp: Components, target: float, confidence: float = 0.95, power: float = POWER) -> int | None:
    """Seeds a side (the same on both) whose design detects `target`; None when no number up to 100 does,
    or when a side has one seed (its training noise is unknown)."""
    if comp.k_a < 2 or comp.k_b < 2 or target <= 0:
        return None
    for k in range(2, MAX_SEEDS_PLANNED + 1):
        if detectable(math.sqrt(comp.variance(k, k)), comp.df(k, k), confidence, power) <= target:
            return k
    return None


@dataclass(frozen=True)
class Equivalence:
    """TOST at margin m: equivalent when both one-sided tests reject at 1 - confidence (the 1 - 2 alpha interval
    lies inside [-m, m])."""

    margin: float
    p_value: float
    equivalent: bool


def tost(diff: float, se: float, df: float, margin: float, confidence: float = 0.95) -> Equivalence:
    """Two one-sided t tests of |A - B| < margin (Schuirmann 1987)."""
    if margin <= 0:
        raise ValueError(f"equivalence margin must be > 0, got {margin}")
    if se <= 0:
        p = 0.0 if abs(diff) < margin else 1.0
    else:
        p = float(max(1 - special.stdtr(df, (diff + margin) / se), special.stdtr(df, (diff - margin) / se)))
    return Equivalence(margin, p, p < 1 - confidence)
