"""Exact full-pool ranks: this project's counting vs the plain torch comparison it replaced.

mAP and rank distance need, for every relevant answer of every question, how many of the pool's
candidates score at least as high. Both ways compare each relevant score with every candidate (no
sort); ours counts the comparison's bytes in numpy with a narrow accumulator, the baseline sums a
bool tensor in torch. Measured side by side on an XQuAD-R-sized pool (1,190 questions x 13,014
candidates, 11 relevant each), single-threaded, best of N; both must give the same counts.

    python benchmarks/metric_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from mteb_hybrid import metrics


def torch_bool_sum(scores: torch.Tensor, thresholds: torch.Tensor, strict: bool) -> torch.Tensor:
    """The baseline: the same comparison, counted with torch's bool sum, 256 rows at a time."""
    out = torch.empty(thresholds.shape, dtype=torch.long)
    for start in range(0, scores.shape[0], 256):
        s = scores[start : start + 256, None, :]
        t = thresholds[start : start + 256, :, None]
        out[start : start + 256] = (s > t if strict else s >= t).sum(-1)
    return out


def best_time(fn: Callable[[], torch.Tensor], repeats: int) -> tuple[float, torch.Tensor]:
    result = fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=1190)
    parser.add_argument("--candidates", type=int, default=13014)
    parser.add_argument("--relevant", type=int, default=11)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    # Rounded scores so that ties occur, as they do between duplicate sentences.
    scores = (torch.randn(args.queries, args.candidates, generator=gen) * 100).round() / 100
    cols = torch.stack([torch.randperm(args.candidates, generator=gen)[: args.relevant] for _ in range(args.queries)])
    thresholds = torch.gather(scores, 1, cols)

    print(f"{args.queries} queries x {args.candidates:,} candidates, {args.relevant} relevant each, 1 thread")
    for strict, name in ((False, ">= (average precision)"), (True, ">  (competition ranks)")):
        t_base, base = best_time(lambda: torch_bool_sum(scores, thresholds, strict), args.repeats)
        t_ours, ours = best_time(lambda: metrics._count_at_least(scores, thresholds, strict), args.repeats)
        same = torch.equal(base, ours)
        print(
            f"{name}: baseline {t_base * 1000:7.1f} ms, ours {t_ours * 1000:7.1f} ms, "
            f"{t_base / t_ours:5.1f}x faster; identical counts: {same}"
        )
        if not same:
            raise SystemExit("counts differ")


if __name__ == "__main__":
    main()
