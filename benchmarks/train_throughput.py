"""Training throughput of hybrid batching, and peak memory of GradCache vs plain MNRL.

1. Steps per second of the full sentence-transformers training step (collator, sampler, forward,
   backward, AdamW) with the hybrid batch sampler vs sentence-transformers' own
   ProportionalBatchSampler, on the same per-source datasets, model and batch size. Each
   measurement runs in its own subprocess; the two samplers alternate over `--rounds` so that load
   from other processes hits both alike. Target: hybrid / proportional >= 0.95.
2. Peak memory of one training step of cached-mnrl (GradCache, mini-batch 32) at batch 256 vs batch
   32, next to plain mnrl at the same two sizes, each in a fresh subprocess running 3 training steps.
   Reported: the process's peak RSS, and the training increment = peak RSS minus the RSS before the
   first step (model, optimizer, data and the tokenised batch already in memory), the memory the
   loss choice controls. Target: cached 256 / 32 <= 1.3; plain mnrl grows with the batch.

The model is small but not tiny (XLM-R-like, hidden 128, 4 layers, Unigram vocabulary trained on
MLQA-R, max_seq_length 128) so activations dominate; passages for the memory part are sentence +
paragraph, which fill the 128 tokens.

    PYTHONPATH=. python benchmarks/train_throughput.py [--data-dir ../shared/data] [--steps 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _worker import REPO, run_worker  # benchmarks/ is the script's folder, first on sys.path


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    """Peak RSS of this process so far (VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def build_model(target: Path, data_dir: str) -> Path:
    """The benchmark model (hidden 128, 4 layers, max_seq_length 128), built once."""
    sys.path.insert(0, str(REPO / "tests"))
    from tiny_models import build_tiny_xlmr

    from mteb_hybrid.training.rows import rows_from_lareqa

    rows = rows_from_lareqa("mlqa-r", data_dir)
    corpus = [r.query for r in rows] + [r.positive for r in rows]
    return build_tiny_xlmr(target, corpus, hidden=128, layers=4, max_seq_length=128, vocab_size=8000)


# ------------------------------------------------------------------------------------------------
# Workers (run in subprocesses)
# ------------------------------------------------------------------------------------------------


def worker_throughput(
    model_dir: str, data_dir: str, sampler: str, batch_size: int, steps: int, warmup: int, threads: int
) -> dict:
    import torch
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.sampler import MultiDatasetBatchSamplers
    from transformers import TrainerCallback

    from mteb_hybrid.training.losses import make_loss
    from mteb_hybrid.training.rows import check_rows, rows_from_lareqa
    from mteb_hybrid.training.samplers import hybrid_sampler_factory
    from mteb_hybrid.training.sources import build_sources

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = check_rows(rows_from_lareqa("mlqa-r", data_dir))
    sources = build_sources(rows, "hybrid")
    model = SentenceTransformer(model_dir)
    multi = (
        hybrid_sampler_factory(sources.source_kinds, sources.parallel_ids, mode="hybrid", alpha=0.5)
        if sampler == "hybrid"
        else MultiDatasetBatchSamplers.PROPORTIONAL
    )

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.times: dict[int, float] = {}

        def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001, ANN201
            self.times[state.global_step] = time.perf_counter()

    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        args = SentenceTransformerTrainingArguments(
            output_dir=out,
            per_device_train_batch_size=batch_size,
            max_steps=warmup + steps,
            learning_rate=3e-5,
            multi_dataset_batch_sampler=multi,
            save_strategy="no",
            report_to="none",
            logging_steps=10_000,
            disable_tqdm=True,
            use_cpu=True,
            seed=0,
        )
        trainer = SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=sources.dataset_dict(),
            loss=make_loss("mnrl", model),
            callbacks=[clock],
        )
        trainer.train()
    elapsed = clock.times[warmup + steps] - clock.times[warmup]
    return {"sampler": sampler, "steps": steps, "seconds": elapsed, "steps_per_s": steps / elapsed}


def worker_memory(
    model_dir: str, data_dir: str, loss_name: str, batch_size: int, mini_batch_size: int, threads: int, steps: int = 3
) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.training.losses import make_loss
    from mteb_hybrid.training.rows import rows_from_lareqa

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = [r for r in rows_from_lareqa("mlqa-r", data_dir, ["en"], "sentence+context")][:batch_size]
    model = SentenceTransformer(model_dir)
    model.max_seq_length = 128
    loss = make_loss(loss_name, model, mini_batch_size=mini_batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)
    features = [dict(model.preprocess([r.query for r in rows])), dict(model.preprocess([r.positive for r in rows]))]
    tokens = int(features[1]["attention_mask"].sum())
    model.train()

    before = _rss_mb()  # model, optimizer, data and the tokenised batch are in memory
    seconds, values = [], []
    for _ in range(steps):  # a few steps: allocator growth after the first step counts too
        t = time.perf_counter()
        value = loss([dict(f) for f in features], None)
        value.backward()
        optimizer.step()
        optimizer.zero_grad()
        seconds.append(time.perf_counter() - t)
        values.append(float(value))
    peak = _peak_rss_mb()
    return {
        "loss": loss_name,
        "batch_size": batch_size,
        "mini_batch_size": mini_batch_size if loss_name == "cached-mnrl" else None,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
        "step_increment_mb": round(peak - before, 1),
        "passage_tokens": tokens,
        "seconds_per_step": round(statistics.median(seconds), 2),
        "losses": values,
    }


# ------------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--model-dir", default=None, help="reuse a benchmark model folder (built if missing)")
    parser.add_argument("--batch-size", type=int, default=32, help="throughput batch size (default 32)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per throughput run (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per sampler (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker (default 1)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        fn = {"throughput": worker_throughput, "memory": worker_memory}[args.worker]
        print(json.dumps(fn(**json.loads(args.worker_args))))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(args.model_dir) if args.model_dir else Path(tmp) / "bench_model"
        if not (model_dir / "modules.json").is_file():
            t = time.time()
            build_model(model_dir, args.data_dir)
            print(f"built benchmark model in {time.time() - t:.1f}s: {model_dir}", flush=True)
        results: dict = {"threads": args.threads, "cpu_count": os.cpu_count(), "load_avg_start": os.getloadavg()}

        if not args.skip_throughput:
            runs: dict[str, list[float]] = {"hybrid": [], "proportional": []}
            for r in range(args.rounds):
                for sampler in ("hybrid", "proportional") if r % 2 == 0 else ("proportional", "hybrid"):
                    out = run_worker(
                        __file__,
                        dict(
                            model_dir=str(model_dir),
                            data_dir=args.data_dir,
                            sampler=sampler,
                            batch_size=args.batch_size,
                            steps=args.steps,
                            warmup=args.warmup,
                            threads=args.threads,
                        ),
                        extra_argv=["--worker", "throughput"],
                    )
                    runs[sampler].append(out["steps_per_s"])
                    print(f"  round {r + 1} {sampler:12s} {out['steps_per_s']:.3f} steps/s", flush=True)
            med = {k: statistics.median(v) for k, v in runs.items()}
            results["throughput"] = {
                "batch_size": args.batch_size,
                "steps": args.steps,
                "runs": runs,
                "median": med,
                "ratio_hybrid_over_proportional": med["hybrid"] / med["proportional"],
            }
            print(f"\nThroughput (steps/s, median of rounds), batch {args.batch_size}:")
            print(f"  hybrid sampler            {med['hybrid']:.3f}")
            print(f"  ProportionalBatchSampler  {med['proportional']:.3f}")
            ratio = med["hybrid"] / med["proportional"]
            print(f"  ratio hybrid/proportional {ratio:.3f}  (target >= 0.95)", flush=True)

        if not args.skip_memory:
            mem = []
            for loss_name in ("cached-mnrl", "mnrl"):
                for batch in (32, 256):
                    out = run_worker(
                        __file__,
                        dict(
                            model_dir=str(model_dir),
                            data_dir=args.data_dir,
                            loss_name=loss_name,
                            batch_size=batch,
                            mini_batch_size=32,
                            threads=args.threads,
                        ),
                        extra_argv=["--worker", "memory"],
                    )
                    mem.append(out)
                    print(
                        f"  {loss_name:12s} batch {batch:3d}: peak RSS {out['peak_rss_mb']:.0f} MB, "
                        f"training increment {out['step_increment_mb']:.0f} MB, "
                        f"{out['seconds_per_step']:.1f}s/step",
                        flush=True,
                    )
            by = {(m["loss"], m["batch_size"]): m for m in mem}
            ratios = {
                name: {
                    "increment": by[(name, 256)]["step_increment_mb"] / max(by[(name, 32)]["step_increment_mb"], 1e-9),
                    "peak_rss": by[(name, 256)]["peak_rss_mb"] / by[(name, 32)]["peak_rss_mb"],
                }
                for name in ("cached-mnrl", "mnrl")
            }
            results["memory"] = {"runs": mem, "ratio_256_over_32": ratios}
            print("\nPeak memory, batch 256 / batch 32 (training increment; whole-process peak RSS):")
            for name, r in ratios.items():
                target = "  (target <= 1.3)" if name == "cached-mnrl" else "  (grows with the batch)"
                print(f"  {name:12s} {r['increment']:.2f}x; {r['peak_rss']:.2f}x{target}")
        results["load_avg_end"] = os.getloadavg()
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
