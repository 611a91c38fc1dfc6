"""Seconds per training step at fp32 and bf16 (`TrainConfig.precision`: the Trainer's bf16=True, autocast).

The hybrid me5-small recipe (offline-me5-small, MLQA-R sentences, hybrid batches, MNRL) at batch 32 and
max_seq_length 64, 1 thread, each precision in its own process; the two alternate over --rounds. A step's time is
CPU seconds (process time, so that other jobs on the machine count less) from the end of the warm-up steps to the
end of the last step, divided by the steps; wall seconds are printed beside it.

    python benchmarks/train_precision.py [--steps 10] [--warmup 2] [--rounds 1]

bf16 is fast only on hardware with bf16 units (avx512_bf16 / amx_bf16 CPUs, GPUs); elsewhere torch emulates it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def worker(args: dict) -> dict:
    import torch
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from transformers import TrainerCallback

    from mteb_hybrid.models.offline_me5 import offline_me5_path
    from mteb_hybrid.training.losses import make_loss
    from mteb_hybrid.training.rows import check_rows, rows_from_lareqa
    from mteb_hybrid.training.samplers import hybrid_sampler_factory
    from mteb_hybrid.training.sources import build_sources

    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = check_rows(rows_from_lareqa("mlqa-r", args["data_dir"]))
    sources = build_sources(rows, "hybrid")
    model = SentenceTransformer(str(offline_me5_path()), device="cpu")
    model.max_seq_length = 64

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.at: dict[int, tuple[float, float]] = {}

        def on_step_end(self, a, state, control, **kwargs):  # noqa: ANN001, ANN201
            self.at[state.global_step] = (time.process_time(), time.perf_counter())

    clock = Clock()
    total = args["warmup"] + args["steps"]
    with tempfile.TemporaryDirectory() as out:
        targs = SentenceTransformerTrainingArguments(
            output_dir=out,
            per_device_train_batch_size=32,
            max_steps=total,
            learning_rate=3e-5,
            seed=0,
            multi_dataset_batch_sampler=hybrid_sampler_factory(
                sources.source_kinds, sources.parallel_ids, mode="hybrid", alpha=0.5
            ),
            save_strategy="no",
            report_to="none",
            logging_steps=10_000,
            disable_tqdm=True,
            use_cpu=True,
            bf16=args["precision"] == "bf16",
        )
        trainer = SentenceTransformerTrainer(
            model=model,
            args=targs,
            train_dataset=sources.dataset_dict(),
            loss=make_loss("mnrl", model),
            callbacks=[clock],
        )
        trainer.train()
    (c0, w0), (c1, w1) = clock.at[args["warmup"]], clock.at[total]
    return {"cpu_per_step": (c1 - c0) / args["steps"], "wall_per_step": (w1 - w0) / args["steps"]}


def main() -> None:
    from _worker import run_worker

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_args:
        print(json.dumps(worker(json.loads(args.worker_args))))
        return
    runs: dict[str, list[dict]] = {"fp32": [], "bf16": []}
    for r in range(args.rounds):
        for precision in runs:
            res = run_worker(
                __file__,
                {"data_dir": args.data_dir, "precision": precision, "steps": args.steps, "warmup": args.warmup},
                extra_env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
            )
            runs[precision].append(res)
            print(
                f"  round {r + 1} {precision}: {res['cpu_per_step']:.2f} s CPU/step, {res['wall_per_step']:.2f} s wall/step",
                flush=True,
            )
    mean = {p: sum(x["cpu_per_step"] for x in v) / len(v) for p, v in runs.items()}
    print(
        f"hybrid me5-small, batch 32, max_seq_length 64, 1 thread, {args.steps} steps after {args.warmup} warm-up, "
        f"{args.rounds} round(s): fp32 {mean['fp32'] * 1000:.0f} ms/step, bf16 {mean['bf16'] * 1000:.0f} ms/step "
        f"(CPU); fp32 / bf16 = {mean['fp32'] / mean['bf16']:.2f}x (above 1 = bf16 faster)"
    )


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
