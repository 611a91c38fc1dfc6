"""The fallback when no per-query records exist: an interval over seed means alone (Welch's t).

Results written before per-query records existed keep only subset scores. With several seeds a side
the comparison can still give an interval, over training noise only and with few degrees of
freedom; `levels` says "seeds" so a reader knows the questions were not resampled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .bootstrap import Comparison, Direction, verdict


def seeds_only(a: Sequence[float], b: Sequence[float], metric: str = "map", *, direction: Direction = "greater",
               confidence: float = 0.95) -> Comparison:
    """A - B over per-seed scores (one number per seed and side) with Welch's t interval."""
    from scipy import stats

    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(xa) < 2 or len(xb) < 2:
        raise ValueError(f"{metric}: {len(xa)} vs {len(xb)} seeds and no per-query records: an interval needs at least "
                         "2 seeds a side, or per-query records (re-run the evaluation)")
    ci = stats.ttest_ind(xa, xb, equal_var=False).confidence_interval(confidence)
    low, high = float(ci.low), float(ci.high)
    return Comparison(
        metric=metric, direction=direction, diff=float(xa.mean() - xb.mean()), low=low, high=high,
        verdict=verdict(low, high, direction), n_questions=0, n_queries=0, n_seeds_a=len(xa), n_seeds_b=len(xb),
        levels="seeds", mean_a=float(xa.mean()), mean_b=float(xb.mean()), confidence=confidence, resamples=0, seed=0,
    )
