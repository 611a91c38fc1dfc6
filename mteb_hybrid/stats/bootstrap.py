"""Paired cluster bootstrap of a difference of means, with seeds as a second level, and its verdict.

Paired: each resample draws one set of questions and scores both systems on it. The unit is the
question (`parallel_id`): its translations are correlated, so all its rows come along (rows treated as
independent make the interval too narrow). With several seeds a side, seeds are drawn too (training noise).
Results without per-query records: `seeds_only` gives Welch's t interval over seed means (`levels` "seeds").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

import numpy as np
import pandas as pd

_MAX_CELLS = 16_000_000  # questions x resamples drawn at once (32 MB of uint16)


class Verdict(str, Enum):
    """Whether the interval supports the claimed direction of A - B."""

    HOLDS = "holds"  # the interval excludes 0 on the claimed side
    FAILS = "fails"  # the interval excludes 0 on the other side
    INCONCLUSIVE = "inconclusive"  # the interval holds 0

    def __str__(self) -> str:
        return self.value


Direction = Literal["greater", "less"]


@dataclass(frozen=True)
class Comparison:
    """A - B for one metric: the observed difference of means, its interval, and the verdict on the claim."""

    metric: str
    direction: Direction  # the claim: A greater / less than B
    diff: float  # mean of A minus mean of B (each side's mean over its seeds)
    low: float
    high: float
    verdict: Verdict
    n_questions: int
    n_queries: int
    n_seeds_a: int
    n_seeds_b: int
    levels: str  # what the resampling covers: "questions", "questions+seeds" (or "queries..." for unit="query")
    mean_a: float
    mean_b: float
    confidence: float = 0.95
    resamples: int = 10_000
    seed: int = 0


def verdict(low: float, high: float, direction: Direction) -> Verdict:
    """holds / fails / inconclusive for the claim that A - B is `direction` than 0, from its interval."""
    if direction not in ("greater", "less"):
        raise ValueError(f"direction {direction!r}: use 'greater' (A > B) or 'less' (A < B)")
    above, below = low > 0, high < 0
    if not (above or below):
        return Verdict.INCONCLUSIVE
    return Verdict.HOLDS if above == (direction == "greater") else Verdict.FAILS


def _frames(side: pd.DataFrame | Sequence[pd.DataFrame], name: str) -> list[pd.DataFrame]:
    frames = [side] if isinstance(side, pd.DataFrame) else list(side)
    if not frames:
        raise ValueError(f"side {name} has no per-query frames")
    return frames


def aligned(
    a: list[pd.DataFrame], b: list[pd.DataFrame], metric: str, labels: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(values [n_frames, n_rows], parallel ids [n_rows]): every frame must hold the same queries (strict pairing:
    a query scored on one side only would change what is compared, so it is refused, never dropped)."""
    frames = a + b
    labels = (
        list(labels)
        if labels is not None
        else [f"A{i + 1}" for i in range(len(a))] + [f"B{i + 1}" for i in range(len(b))]
    )
    series, pids = [], []
    for label, f in zip(labels, frames):
        if missing := {"query_id", "parallel_id", metric} - set(f.columns):
            raise ValueError(f"per-query frame {label} lacks column(s) {sorted(missing)}")
        if f["query_id"].duplicated().any():
            raise ValueError(f"per-query frame {label} has a query more than once: one row per query expected")
        idx = f["query_id"].astype(str).to_numpy()
        series.append(pd.Series(f[metric].to_numpy(dtype=float), index=idx))
        pids.append(pd.Series(f["parallel_id"].astype(str).to_numpy(), index=idx))
    first = set(series[0].index)
    for label, s in zip(labels[1:], series[1:]):
        if (ids := set(s.index)) != first:
            only_first, only_this = sorted(first - ids), sorted(ids - first)
            raise ValueError(
                f"{labels[0]} and {label} hold different queries ({len(only_first)} only in {labels[0]}"
                + (f", e.g. {only_first[0]}" if only_first else "")
                + f"; {len(only_this)} only in {label}"
                + (f", e.g. {only_this[0]}" if only_this else "")
                + "): compare only results of the same "
                "questions (the same languages and subsets; --languages restricts both sides)"
            )
    table = pd.concat(series, axis=1, join="inner").sort_index()  # row order never changes the draws
    if table.empty:
        raise ValueError(f"no query has a {metric} value: nothing to compare")
    if table.isna().any().any():
        raise ValueError(f"some queries have no {metric} value: the records are incomplete (re-run the evaluation)")
    pid = pids[0].reindex(table.index)
    for other in pids[1:]:
        if not other.reindex(table.index).equals(pid):
            raise ValueError("the sides disagree on which question a query belongs to (parallel_id)")
    return table.to_numpy().T, pid.to_numpy()


def _seed_weights(rng: np.random.Generator, n: int, k: int, resample: bool) -> np.ndarray:
    """[n, k] weight of each seed in each resample: k draws with replacement, or all seeds equally."""
    return _counts(rng.integers(0, k, size=(n, k)), k) / k if resample and k > 1 else np.full((n, k), 1.0 / k)


def _differences(totals: np.ndarray, k_a: int, rng: np.random.Generator, resample_seeds: bool) -> np.ndarray:
    """Per resample, mean of A minus mean of B from its drawn totals [resample, seeds of A + seeds of B + rows]."""
    r, k_b = totals.shape[0], totals.shape[1] - k_a - 1
    wa, wb = _seed_weights(rng, r, k_a, resample_seeds), _seed_weights(rng, r, k_b, resample_seeds)
    return ((totals[:, :k_a] * wa).sum(1) - (totals[:, k_a:-1] * wb).sum(1)) / totals[:, -1]


def _counts(draws: np.ndarray, width: int) -> np.ndarray:
    """Row-wise counts of each value in [0, width): one bincount over row-offset values."""
    n = draws.shape[0]
    flat = (draws + width * np.arange(n)[:, None]).ravel()
    return np.bincount(flat, minlength=n * width).reshape(n, width).astype(np.float64)


def bootstrap_differences(
    sums_a: np.ndarray,
    sums_b: np.ndarray,
    counts: np.ndarray,
    resamples: int,
    rng: np.random.Generator,
    resample_seeds: bool = True,
) -> np.ndarray:
    """Resampled differences of means, from per-cluster sums [seeds, clusters] and rows per cluster.

    Both sides share the drawn clusters (paired); seeds are drawn within each side. Each row of the draw
    matrix [draw, resample] adds its clusters' sums to all resamples at once (a loop over draws, never
    resamples): 1.5-2x less work than a count matrix times the sums (benchmarks/compare_speed.py).
    """
    k_a, n_c = sums_a.shape[0], counts.shape[0]
    table = np.vstack([sums_a, sums_b, counts[None, :]]).T.copy()  # [clusters, seeds a + seeds b + 1]
    dtype = np.uint16 if n_c <= np.iinfo(np.uint16).max else np.uint32
    out = np.empty(resamples)
    chunk = max(1, min(resamples, _MAX_CELLS // max(n_c, 1)))
    for start in range(0, resamples, chunk):  # chunks only bound memory
        r = min(chunk, resamples - start)
        draws = rng.integers(0, n_c, size=(n_c, r), dtype=dtype)
        totals = np.zeros((r, table.shape[1]))
        picked = np.empty_like(totals)
        for row in draws:  # draw position j: the j-th drawn cluster of every resample
            np.take(table, row, axis=0, out=picked)
            totals += picked
        out[start : start + r] = _differences(totals, k_a, rng, resample_seeds)
    return out


def paired_bootstrap(
    a: pd.DataFrame | Sequence[pd.DataFrame],
    b: pd.DataFrame | Sequence[pd.DataFrame],
    metric: str = "map",
    *,
    direction: Direction = "greater",
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    unit: Literal["question", "query"] = "question",
    resample_seeds: bool = True,
) -> Comparison:
    """Mean of A minus mean of B on `metric` with a percentile interval from a paired cluster bootstrap.

    Args:
        a, b: per-query frames (columns query_id, parallel_id, `metric`), one per seed; only queries
            scored in every frame count.
        unit: "question" resamples parallel ids with all their rows; "query" treats rows as independent.
        resample_seeds: with several seeds a side, resample seeds too (`levels` "questions+seeds").
        seed: the generator's seed (the result is deterministic for it).
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence}")
    if direction not in ("greater", "less"):
        raise ValueError(f"direction {direction!r}: use 'greater' (A > B) or 'less' (A < B)")
    if unit not in ("question", "query"):
        raise ValueError(f"unit {unit!r}: use 'question' or 'query'")
    fa, fb = _frames(a, "A"), _frames(b, "B")
    values, pid = aligned(fa, fb, metric)
    codes, questions = pd.factorize(pid)
    clusters = codes if unit == "question" else np.arange(len(pid))
    n_c = int(clusters.max()) + 1
    sums = np.stack([np.bincount(clusters, weights=v, minlength=n_c) for v in values])
    counts = np.bincount(clusters, minlength=n_c).astype(np.float64)
    k_a = len(fa)
    means = sums.sum(1) / counts.sum()
    mean_a, mean_b = float(means[:k_a].mean()), float(means[k_a:].mean())
    rng = np.random.default_rng(seed)
    diffs = bootstrap_differences(sums[:k_a], sums[k_a:], counts, resamples, rng, resample_seeds)
    low, high = (float(x) for x in np.quantile(diffs, [(1 - confidence) / 2, (1 + confidence) / 2]))
    two_levels = resample_seeds and (k_a > 1 or len(fb) > 1)
    levels = ("questions" if unit == "question" else "queries") + ("+seeds" if two_levels else "")
    return Comparison(
        metric=metric,
        direction=direction,
        diff=mean_a - mean_b,
        low=low,
        high=high,
        verdict=verdict(low, high, direction),
        n_questions=len(questions),
        n_queries=len(pid),
        n_seeds_a=k_a,
        n_seeds_b=len(fb),
        levels=levels,
        mean_a=mean_a,
        mean_b=mean_b,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def seeds_only(
    a: Sequence[float],
    b: Sequence[float],
    metric: str = "map",
    *,
    direction: Direction = "greater",
    confidence: float = 0.95,
) -> Comparison:
    """A - B over per-seed scores (one number per seed and side) with Welch's t interval."""
    from scipy import stats

    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(xa) < 2 or len(xb) < 2:
        raise ValueError(
            f"{metric}: {len(xa)} vs {len(xb)} seeds and no per-query records: an interval needs at least "
            "2 seeds a side, or per-query records (re-run the evaluation)"
        )
    ci = stats.ttest_ind(xa, xb, equal_var=False).confidence_interval(confidence)
    low, high = float(ci.low), float(ci.high)
    return Comparison(
        metric=metric,
        direction=direction,
        diff=float(xa.mean() - xb.mean()),
        low=low,
        high=high,
        verdict=verdict(low, high, direction),
        n_questions=0,
        n_queries=0,
        n_seeds_a=len(xa),
        n_seeds_b=len(xb),
        levels="seeds",
        mean_a=float(xa.mean()),
        mean_b=float(xb.mean()),
        confidence=confidence,
        resamples=0,
        seed=0,
    )
