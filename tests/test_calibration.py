"""The recipe interval covers the truth at the rate it claims; the words of a verdict mean one thing.

Coverage is checked by simulation with the two regimes of this project's data (tables of issue "Verdicts that
are right 95% of the time"): seed-dominated (seed sd 0.010, as convergence-batching at early stopping) and
question-dominated (seed sd 0.0005), with questions of 1-5 queries and seed x question interaction.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mteb_hybrid.stats.bootstrap import bootstrap_differences
from mteb_hybrid.stats.calibrated import Components, cluster_totals, detectable, seeds_needed, t_interval, tost
from mteb_hybrid.stats.verdicts import decide

REGIMES = {"seed-dominated": 0.010, "question-dominated": 0.0005}
N_DATASETS = 600


def simulate(
    rng: np.random.Generator,
    k: int,
    n: int,
    seed_sd: float,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-query values of A and B [seeds, rows] and the question of each row; true A - B = `shift`."""
    sizes = rng.integers(1, 6, n)
    clusters = np.repeat(np.arange(n), sizes)
    shared = rng.normal(0.5, 0.2, n)  # the question's difficulty, common to both recipes
    own = rng.normal(0, 0.03, (2, n))  # how each recipe suits the question
    sides = []
    for side, offset in ((0, shift), (1, 0.0)):
        seeds = rng.normal(0, seed_sd, k)[:, None]
        interaction = rng.normal(0, 0.03, (k, n))
        per_question = shared + own[side] + offset + seeds + interaction
        sides.append(per_question[:, clusters] + rng.normal(0, 0.05, (k, len(clusters))))
    return sides[0], sides[1], clusters


def coverage(k: int, seed_sd: float, method: str, datasets: int = N_DATASETS, n: int = 300) -> float:
    rng = np.random.default_rng(1000 * k + int(seed_sd * 1e5) + (method == "bootstrap"))
    covered = 0
    for _ in range(datasets):
        a, b, clusters = simulate(rng, k, n, seed_sd)
        sums_a, counts = cluster_totals(a, clusters)
        sums_b, _ = cluster_totals(b, clusters)
        if method == "calibrated":
            r = t_interval(sums_a, sums_b, counts)
            low, high = r.low, r.high
        else:  # the question-and-seed percentile bootstrap compare used before
            d = bootstrap_differences(sums_a, sums_b, counts, 400, rng)
            low, high = np.quantile(d, [0.025, 0.975])
        covered += low <= 0 <= high
    return covered / datasets


def consistent_with(rate: float, covered: float, datasets: int = N_DATASETS) -> bool:
    """A binomial test does not reject the nominal rate at the 1% level."""
    return stats.binomtest(round(covered * datasets), datasets, rate).pvalue > 0.01


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("regime", REGIMES)
def test_recipe_interval_covers_95_percent(regime: str, k: int) -> None:
    c = coverage(k, REGIMES[regime], "calibrated")
    assert 0.93 <= c <= 0.97 and consistent_with(0.95, c), c


def test_the_percentile_bootstrap_over_seeds_undercovers_where_seeds_dominate() -> None:
    c = coverage(3, REGIMES["seed-dominated"], "bootstrap", datasets=300)
    assert c < 0.90 and not consistent_with(0.95, c, 300), c


def test_with_pure_seed_noise_the_interval_is_welchs_t_over_seed_means() -> None:
    """No question variation at all: every query of a seed has its seed's value, so the interval is Welch's."""
    means_a, means_b = np.array([0.50, 0.53, 0.51]), np.array([0.47, 0.46, 0.49, 0.45])
    clusters = np.repeat(np.arange(40), 2)
    a, b = np.repeat(means_a[:, None], 80, 1), np.repeat(means_b[:, None], 80, 1)
    r = t_interval(*[cluster_totals(x, clusters)[0] for x in (a, b)], cluster_totals(a, clusters)[1])
    welch = stats.ttest_ind(means_a, means_b, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert r.diff == pytest.approx(means_a.mean() - means_b.mean())
    assert (r.low, r.high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert r.df == pytest.approx(welch.df)


def test_one_seed_a_side_compares_models_and_gives_no_holds_or_fails() -> None:
    rng = np.random.default_rng(3)
    a, b, clusters = simulate(rng, 3, 300, 0.01, shift=0.05)
    frames = [
        pd.DataFrame(
            {"query_id": [f"q{i}" for i in range(len(clusters))], "parallel_id": clusters.astype(str), "map": row}
        )
        for row in (*a, *b)
    ]
    one = decide(frames[:1], frames[3:], resamples=500)
    assert one.level == "models" and one.verdict is None and one.low > 0
    assert one.words == "A higher than B for these two trained models" and "holds" not in one.words
    # the words name what was compared: one trained model against the base, or two untrained models
    against_base = decide(frames[:1], frames[3:4], resamples=500, untrained_b=True)
    assert against_base.verdict is None and against_base.words == (
        "A higher than the untrained B for this one trained model"
    )
    both = decide(frames[:1], frames[3:4], resamples=500, untrained_b=True, untrained_a=True)
    assert both.words == "A higher than B for these two untrained models"
    assert decide(frames[:3], frames[3:4], resamples=500).verdict is None  # one seed on either side is enough
    recipes = decide(frames[:3], frames[3:], target_delta=0.02)
    assert recipes.level == "recipes" and str(recipes.verdict) == "holds" and recipes.words == "holds"
    assert recipes.seeds_needed is not None and recipes.seeds_needed >= 2


def test_tost_says_equivalent_for_equal_recipes_and_not_for_a_shift_of_two_margins() -> None:
    rng = np.random.default_rng(5)
    margin = 0.01
    a, b, clusters = simulate(rng, 5, 2000, 0.001)
    sums_a, counts = cluster_totals(a, clusters)
    r = t_interval(sums_a, cluster_totals(b, clusters)[0], counts)
    assert tost(r.diff, r.se, r.df, margin).equivalent
    a2, b2, clusters2 = simulate(rng, 5, 2000, 0.001, shift=2 * margin)
    sums_a2, counts2 = cluster_totals(a2, clusters2)
    r2 = t_interval(sums_a2, cluster_totals(b2, clusters2)[0], counts2)
    assert not tost(r2.diff, r2.se, r2.df, margin).equivalent
    # by hand: TOST p is the larger one-sided p; at diff 0, se = margin / 3, df 10 it is t.sf(3, 10)
    assert tost(0.0, margin / 3, 10, margin).p_value == pytest.approx(stats.t.sf(3, 10))
    frames = [
        pd.DataFrame(
            {"query_id": [f"q{i}" for i in range(len(clusters))], "parallel_id": clusters.astype(str), "map": row}
        )
        for row in (*a, *b)
    ]
    d = decide(frames[:5], frames[5:], margin=margin)
    assert str(d.verdict) == "inconclusive" and d.words == "equivalent within ±0.01"
    # one seed a side: equivalent, but only of these two trained models, never of the recipes
    twin = frames[0].assign(map=frames[0]["map"] + np.random.default_rng(6).normal(0, 0.01, len(frames[0])))
    one = decide(frames[:1], [twin], margin=margin, resamples=500)
    assert one.level == "models" and one.equivalence.equivalent
    assert one.words == "equivalent within ±0.01 for these two trained models"


def test_detectable_difference_and_seeds_needed_by_hand() -> None:
    """Only seed variance: variance(k) = 2 s2 / k with 2(k - 1) df; the smallest k whose (t.975 + t.80) x se
    reaches the target, computed here independently of the package."""
    s2, target = 1e-4, 0.012
    comp = Components(
        seed_a=s2, seed_b=s2, interaction_a=0.0, interaction_b=0.0, question=0.0, n_questions=1000, k_a=3, k_b=3
    )
    assert detectable(0.01, 1e6) == pytest.approx((1.959964 + 0.841621) * 0.01, rel=1e-5)

    def mdd(k: int) -> float:
        df = 2 * (k - 1)
        return (stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) * math.sqrt(2 * s2 / k)

    want = next(k for k in range(2, 101) if mdd(k) <= target)
    assert seeds_needed(comp, target) == want and want > 3
    assert seeds_needed(Components(s2, math.nan, 0.0, 0.0, 0.0, 1000, 3, 1), target) is None  # one seed: unknown
