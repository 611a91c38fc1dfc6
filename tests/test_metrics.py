"""LAReQA metrics against hand-computed cases and sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from mteb_hybrid.metrics import (
    average_precision,
    mean_average_precision,
    rank_distance,
    relevant_ranks,
    same_language_at_k,
)


def test_average_precision_by_hand() -> None:
    # ranking of 5 candidates: c2 (0.9) > c0 (0.8) > c4 (0.5) > c1 (0.3) > c3 (0.1)
    scores = np.array([[0.8, 0.3, 0.9, 0.1, 0.5]])
    # relevant c0 (rank 2) and c1 (rank 4): AP = (1/2 + 2/4) / 2 = 0.5
    assert average_precision(scores, [[0, 1]])[0] == pytest.approx(0.5)
    # relevant c2 only, at rank 1: AP = 1
    assert average_precision(scores, [[2]])[0] == pytest.approx(1.0)
    # relevant c3 only, last of 5: AP = 1/5
    assert mean_average_precision(scores, [[3]]) == pytest.approx(0.2)


@pytest.mark.parametrize("decimals", [None, 1])
def test_average_precision_equals_sklearn(decimals: int | None) -> None:
    """Also with ties (scores rounded to 1 decimal): sklearn counts tied candidates as ranked above."""
    rng = np.random.default_rng(7)
    scores = rng.normal(size=(40, 500)).astype(np.float32)
    if decimals is not None:
        scores = np.round(scores, decimals)
    relevant = [sorted(rng.choice(500, size=rng.integers(1, 12), replace=False).tolist()) for _ in range(40)]
    ours = average_precision(scores, relevant)
    for i, rel in enumerate(relevant):
        y = np.zeros(500)
        y[rel] = 1
        assert ours[i] == pytest.approx(average_precision_score(y, scores[i]), abs=1e-9)


def test_ranks_and_rank_distance_by_hand() -> None:
    scores = np.array(
        [
            [0.9, 0.1, 0.8, 0.7, 0.2, 0.6],  # q0: order c0 c2 c3 c5 c4 c1
            [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],  # q1: order c5 c4 c3 c2 c1 c0
        ]
    )
    relevant = [[0, 3, 1], [5]]
    ranks = relevant_ranks(scores, relevant)
    assert ranks[0].tolist() == [1, 3, 6] and ranks[1].tolist() == [1]
    assert rank_distance(scores, relevant).tolist() == [5.0, 0.0]


def test_rank_distance_with_ties_uses_competition_ranks() -> None:
    scores = np.array([[0.5, 0.5, 0.9, 0.5]])
    assert relevant_ranks(scores, [[0, 3]])[0].tolist() == [2, 2]
    assert rank_distance(scores, [[0, 3]]).tolist() == [0.0]


def test_exact_ranks_match_a_full_sort_on_a_large_pool() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(300, 4000)).astype(np.float32)  # > one query chunk
    relevant = [rng.choice(4000, size=11, replace=False).tolist() for _ in range(300)]
    ranks = relevant_ranks(scores, relevant)
    order = np.argsort(-scores, axis=1)
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(1, 4001)[None, :].repeat(300, 0), axis=1)
    for i in range(300):
        assert ranks[i].tolist() == position[i, relevant[i]].tolist()


def test_same_language_at_k_by_hand() -> None:
    langs = ["en", "de", "en", "zh", "de"]
    scores = np.array([[5, 4, 3, 2, 1], [1, 2, 3, 4, 5]], dtype=float)
    # top 2 of q0 = c0 (en), c1 (de); top 2 of q1 = c4 (de), c3 (zh)
    assert same_language_at_k(scores, langs, ["en", "de"], k=2).tolist() == [0.5, 0.5]
    # k larger than the pool: share over the whole pool
    assert same_language_at_k(scores, langs, ["en", "zh"], k=10).tolist() == [0.4, 0.2]


def test_bad_relevance_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one relevant"):
        average_precision(np.zeros((2, 3)), [[0], []])
    with pytest.raises(ValueError, match="relevance lists"):
        average_precision(np.zeros((2, 3)), [[0]])
