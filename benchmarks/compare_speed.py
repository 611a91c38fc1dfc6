"""Comparisons over full XQuAD-R-sized records: the calibrated recipe interval, the vectorised bootstrap vs a
plain Python loop, and the CLI's own overhead.

The calibrated t interval (`stats.verdicts.decide`, what `compare` uses with >= 2 seeds a side) is closed form;
its time is printed beside the bootstrap's. The CLI overhead is `mteb-hybrid compare` in a fresh process minus
the comparison itself (`compare_results` from the same files), so imports and printing.

13,090 queries (1,190 questions x 11 languages), 3 seeds a side, 10,000 resamples, two levels
(seeds, then questions). Ours: `paired_bootstrap` (one matrix of question counts per chunk times
per-question sums), and the whole `compare_results` path from six record files on disk (read, the
mono view, the bootstrap). Baseline: the loop one writes first, one resample at a time: draw seeds,
draw questions, gather their rows, average. Both run here, in one process; the script prints both
times, the ratio, and both intervals (they must agree up to Monte Carlo noise).

    PYTHONPATH=$PWD python benchmarks/compare_speed.py [--resamples 10000] [--baseline-resamples 10000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mteb_hybrid.stats import paired_bootstrap, write_records
from mteb_hybrid.stats.bootstrap import _MAX_CELLS, _counts, _differences
from mteb_hybrid.stats.compare import compare_results
from mteb_hybrid.stats.verdicts import decide


def bootstrap_differences_matmul(
    sums_a: np.ndarray,
    sums_b: np.ndarray,
    counts: np.ndarray,
    resamples: int,
    rng: np.random.Generator,
    resample_seeds: bool = True,
) -> np.ndarray:
    """bootstrap_differences as a count matrix [resample, cluster] times the per-cluster sums (what it replaced)."""
    k_a, n_c = sums_a.shape[0], counts.shape[0]
    table = np.vstack([sums_a, sums_b, counts[None, :]]).T
    out = np.empty(resamples)
    chunk = max(1, min(resamples, _MAX_CELLS // 4 // max(n_c, 1)))
    for start in range(0, resamples, chunk):
        r = min(chunk, resamples - start)
        totals = _counts(rng.integers(0, n_c, size=(r, n_c)), n_c) @ table
        out[start : start + r] = _differences(totals, k_a, rng, resample_seeds)
    return out


LANGS = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
N_QUESTIONS = 1190


def synthetic_records(rng: np.random.Generator, shift: float) -> pd.DataFrame:
    """Record rows of one model: 121 pairs + 11 pools x 1,190 queries, with a question effect."""
    effect = rng.normal(0, 0.15, N_QUESTIONS)
    parts = []
    for q in LANGS:
        for c in [*LANGS, "pool"]:
            v = np.clip(0.6 + shift + effect + rng.normal(0, 0.2, N_QUESTIONS), 0, 1)
            pool = c == "pool"
            parts.append(
                pd.DataFrame(
                    {
                        "split": "test",
                        "subset": f"{q}-{c}",
                        "query_id": [f"{q}:{i}" for i in range(N_QUESTIONS)],
                        "parallel_id": [str(i) for i in range(N_QUESTIONS)],
                        "map": v,
                        "ndcg_at_10": v,
                        "mrr_at_10": v,
                        "rank_distance": rng.integers(0, 500, N_QUESTIONS).astype(float) if pool else np.nan,
                        "same_language_at_10": rng.integers(0, 11, N_QUESTIONS) / 10 if pool else np.nan,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def mono_frame(records: pd.DataFrame) -> pd.DataFrame:
    rows = records[records["subset"].str.partition("-")[0] == records["subset"].str.partition("-")[2]]
    return rows[["query_id", "parallel_id", "map"]].reset_index(drop=True)


def loop_bootstrap(a: list[pd.DataFrame], b: list[pd.DataFrame], resamples: int, seed: int) -> tuple[float, float]:
    """The plain way: per resample, draw seeds and questions, gather the drawn questions' rows, average."""
    rng = np.random.default_rng(seed)
    pids = a[0]["parallel_id"].to_numpy()
    questions = np.unique(pids)
    rows_of = {p: np.flatnonzero(pids == p) for p in questions}
    va, vb = [f["map"].to_numpy() for f in a], [f["map"].to_numpy() for f in b]
    diffs = []
    for _ in range(resamples):
        seeds_a = rng.integers(0, len(va), len(va))
        seeds_b = rng.integers(0, len(vb), len(vb))
        drawn = rng.choice(questions, len(questions))
        rows = np.concatenate([rows_of[p] for p in drawn])
        mean_a = np.mean([va[s][rows].mean() for s in seeds_a])
        mean_b = np.mean([vb[s][rows].mean() for s in seeds_b])
        diffs.append(mean_a - mean_b)
    low, high = np.quantile(diffs, [0.025, 0.975])
    return float(low), float(high)


def child_times(argv: list[str]) -> tuple[float, float]:
    """(wall s, cpu s) of a command in a fresh process: cpu is what a busy machine does not inflate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument(
        "--baseline-resamples",
        type=int,
        default=10_000,
        help="resamples for the loop (its time is scaled to --resamples if fewer)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    records = [synthetic_records(rng, 0.01) for _ in range(3)] + [synthetic_records(rng, 0.0) for _ in range(3)]
    frames = [mono_frame(r) for r in records]
    # the mono view: 11 query languages x 1,190 questions = 13,090 queries, 11 rows per question
    a, b = frames[:3], frames[3:]
    print(
        f"{len(a[0]):,} queries, {a[0]['parallel_id'].nunique():,} questions, {len(a)} vs {len(b)} seeds, "
        f"{args.resamples:,} resamples"
    )

    def timed(f):  # noqa: ANN001, ANN202 - (result, wall s, cpu s): the cpu time is what a loaded machine hides
        w, c = time.perf_counter(), time.process_time()
        out = f()
        return out, time.perf_counter() - w, time.process_time() - c

    ours, t_ours, c_ours = timed(lambda: paired_bootstrap(a, b, "map", resamples=args.resamples, seed=0))
    cal, t_cal, c_cal = timed(lambda: decide(a, b, "map"))
    # the count-matrix form of the same bootstrap (W [resample, question] @ per-question sums)
    sums = [np.bincount(pd.factorize(f["parallel_id"])[0], weights=f["map"].to_numpy()) for f in a + b]
    counts = np.bincount(pd.factorize(a[0]["parallel_id"])[0]).astype(float)
    mm, t_mm, c_mm = timed(
        lambda: bootstrap_differences_matmul(
            np.stack(sums[:3]), np.stack(sums[3:]), counts, args.resamples, np.random.default_rng(0)
        )
    )
    mm_low, mm_high = np.quantile(mm, [0.025, 0.975])

    with tempfile.TemporaryDirectory() as tmp:
        folders = []
        for i, r in enumerate(records):
            folder = Path(tmp) / f"m{i}"
            write_records(
                folder / "XQuADRRetrieval.per_query.parquet", r, task="XQuADRRetrieval", model=f"o/m{i}", revision="r"
            )
            folders.append(folder)
        full, t_full, c_full = timed(
            lambda: compare_results(folders[:3], folders[3:], metric="map", setting="mono", resamples=args.resamples)
        )
        sides = [",".join(map(str, folders[:3])), ",".join(map(str, folders[3:]))]
        t_cli, c_cli = child_times([sys.executable, "-m", "mteb_hybrid.cli", "compare", *sides])
        t_import, c_import = child_times([sys.executable, "-c", "import mteb_hybrid.stats.compare"])

    (low, high), t_loop, c_loop = timed(lambda: loop_bootstrap(a, b, args.baseline_resamples, seed=0))
    scale = args.resamples / args.baseline_resamples
    t_loop, c_loop = t_loop * scale, c_loop * scale

    print(f"{'':36}{'wall s':>9}{'cpu s':>9}   95% interval")
    print(f"{'calibrated t interval (decide)':36}{t_cal:9.3f}{c_cal:9.3f}   [{cal.low:+.5f}, {cal.high:+.5f}]")
    print(f"{'ours (paired_bootstrap)':36}{t_ours:9.3f}{c_ours:9.3f}   [{ours.low:+.5f}, {ours.high:+.5f}]")
    print(
        f"{'compare_results from 6 files (t)':36}{t_full:9.3f}{c_full:9.3f}   [{full.result.low:+.5f}, "
        f"{full.result.high:+.5f}]"
    )
    print(f"{'count matrix @ sums (same method)':36}{t_mm:9.3f}{c_mm:9.3f}   [{mm_low:+.5f}, {mm_high:+.5f}]")
    scaled = "" if scale == 1 else f" (x{scale:g})"
    print(f"{'plain Python loop' + scaled:36}{t_loop:9.3f}{c_loop:9.3f}   [{low:+.5f}, {high:+.5f}]")
    print(
        f"loop / ours: {t_loop / t_ours:.1f}x wall, {c_loop / c_ours:.1f}x cpu (bootstrap); "
        f"{t_loop / t_full:.1f}x wall, {c_loop / c_full:.1f}x cpu (from files). Target: ours under 2 s"
    )
    print(
        f"CLI in a fresh process: wall {t_cli:.2f} s, cpu {c_cli:.2f} s = comparison (cpu {c_full:.2f} s) + overhead "
        f"cpu {c_cli - c_full:.2f} s (importing compare alone: wall {t_import:.2f} s, cpu {c_import:.2f} s); "
        "target: overhead under 1 s"
    )


if __name__ == "__main__":
    main()
