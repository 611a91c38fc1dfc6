"""`mteb-hybrid compare`: its options (the comparison itself is stats/compare.py, imported only to run)."""

from __future__ import annotations

import argparse

from mteb_hybrid.formats.per_query import METRICS

COMPARE_HELP = (
    "two results (or two recipes, several seeds each), query by query: difference, calibrated "
    "95%% interval, power, verdict"
)
COMPARE_DESCRIPTION = (
    "Compare two evaluations query by query: the difference of means (A - B) and a 95% interval. "
    "With at least 2 seeds a side (recipes): a t interval over seed means plus the question-clustered variance "
    "with Satterthwaite degrees of freedom; verdict holds (interval excludes 0 on the claimed side), fails "
    "(excludes it on the other) or inconclusive. With one seed on a side: a paired bootstrap over questions; "
    "that compares two trained models, not recipes, and gives no holds / fails. 'equivalent within +-m' "
    "only from two one-sided tests (TOST) at margin m. Each comparison prints the smallest difference its "
    "design detects (80% power). Sides must hold the same task, subsets and queries, and be evaluated with "
    "the same settings (max_seq_length, candidate form, precision, backend, data files, task version): "
    "otherwise compare refuses and names the difference."
)


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "results_a",
        metavar="RESULTS_A",
        help="folder holding A's per-query records (<Task>.per_query.parquet); several seeds: comma-separated",
    )
    p.add_argument("results_b", metavar="RESULTS_B", help="the same for B")
    p.add_argument(
        "--metric",
        default="map",
        choices=METRICS,
        help="per-query metric (default map)",
    )
    p.add_argument(
        "--setting",
        default="mono",
        choices=["mono", "cross", "multi"],
        help="mono: own language; cross: mean over cross-lingual pairs; multi: the pool (default mono)",
    )
    p.add_argument(
        "-l",
        "--languages",
        nargs="+",
        help="restrict both sides to these query languages (de or deu) and the pairs among them",
    )
    p.add_argument("--task", help="task whose records to read, when a folder holds several")
    p.add_argument(
        "--direction", default="greater", choices=["greater", "less"], help="the claim: A greater / less than B"
    )
    p.add_argument(
        "--margin",
        type=float,
        help="equivalence margin for TOST, in the metric's units (default 0.01; 20 for rank_distance)",
    )
    p.add_argument(
        "--target-delta",
        type=float,
        metavar="D",
        help="also print how many seeds a side would resolve a true difference of D (80%% power)",
    )
    p.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare even when the evaluation settings differ (the output names the mismatch)",
    )
    p.add_argument(
        "--resamples", type=int, default=10_000, help="bootstrap resamples, one seed a side (default 10,000)"
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (same seed, same interval)")


def run_compare(args: argparse.Namespace) -> int:
    from mteb_hybrid.stats.compare import run_compare as compare

    return compare(args)
