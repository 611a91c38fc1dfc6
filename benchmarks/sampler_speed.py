"""Time per batch of HybridBatchSampler vs sentence-transformers' ProportionalBatchSampler.

1,000,000 rows over 7 x-x + 42 x-y sources (MLQA-R's 7 languages), batch size 100 (the paper's).
Per-batch time covers a whole epoch, per-epoch planning included; setup (parallel-id encoding and
duplicate checks, once per run) is reported apart. Target: < 1 ms per batch.

    PYTHONPATH=. .venv/bin/python benchmarks/sampler_speed.py [--rows 1000000] [--batch-size 100]
"""

from __future__ import annotations

import argparse
import itertools
import time

from sentence_transformers.base.sampler import DefaultBatchSampler, ProportionalBatchSampler
from torch.utils.data import ConcatDataset, Dataset, RandomSampler

from mteb_hybrid.training.samplers import HybridBatchSampler

LANGS = ["ar", "de", "en", "es", "hi", "vi", "zh"]


class Rows(Dataset):
    """Stand-in source: only its length matters to the samplers."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


def time_epochs(sampler, epochs: int) -> tuple[float, int]:
    """Seconds per batch (mean over epochs) and batches per epoch."""
    total, batches = 0.0, 0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        n = sum(1 for _ in sampler)
        total += time.perf_counter() - start
        batches += n
    return total / batches, batches // epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    pairs = [(q, p) for q, p in itertools.product(LANGS, LANGS)]  # 7 x-x + 42 x-y
    per_source = args.rows // len(pairs)
    sizes = [per_source + (i < args.rows % len(pairs)) for i in range(len(pairs))]
    kinds = ["x-x" if q == p else "x-y" for q, p in pairs]
    pids = [[f"q{j}" for j in range(n)] for n in sizes]
    sources = [Rows(n) for n in sizes]
    concat = ConcatDataset(sources)
    print(
        f"{sum(sizes):,} rows, {kinds.count('x-x')} x-x + {kinds.count('x-y')} x-y sources, "
        f"batch size {args.batch_size}, {args.epochs} epochs each"
    )

    def children() -> list[DefaultBatchSampler]:
        return [DefaultBatchSampler(RandomSampler(s), batch_size=args.batch_size, drop_last=True) for s in sources]

    results = {}
    start = time.perf_counter()
    proportional = ProportionalBatchSampler(concat, children(), seed=0)
    setup = time.perf_counter() - start
    results["ProportionalBatchSampler (sentence-transformers)"] = (setup, *time_epochs(proportional, args.epochs))
    # Last case: every parallel id twice per source, which takes the duplicate-safe planning path.
    twice = [[f"q{j // 2}" for j in range(n)] for n in sizes]
    for mode, procs, ids, note in (
        ("hybrid", 1, pids, ""),
        ("x-y", 1, pids, ""),
        ("hybrid", 8, pids, ""),
        ("hybrid", 1, twice, " ids x2"),
    ):
        start = time.perf_counter()
        sampler = HybridBatchSampler(
            concat, children(), seed=0, source_kinds=kinds, parallel_ids=ids, mode=mode, alpha=0.5, num_processes=procs
        )
        setup = time.perf_counter() - start
        results[f"HybridBatchSampler mode={mode} processes={procs}{note}"] = (setup, *time_epochs(sampler, args.epochs))

    base = results["ProportionalBatchSampler (sentence-transformers)"][1]
    for name, (setup, per_batch, n) in results.items():
        print(
            f"{name:52s} {per_batch * 1e3:8.4f} ms/batch  ({n:,} batches/epoch, setup {setup:.2f} s, "
            f"{per_batch / base:.2f}x ProportionalBatchSampler)"
        )
    worst = max(v[1] for k, v in results.items() if k.startswith("Hybrid"))
    print(f"target < 1 ms per batch: {'met' if worst < 1e-3 else 'NOT met'} (worst {worst * 1e3:.4f} ms)")


if __name__ == "__main__":
    main()
