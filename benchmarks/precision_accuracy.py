"""What bf16 costs in accuracy, and what it saves in time, on the XQuAD-R sentence task (offline-me5-small).

The same subsets are scored twice through `mteb_hybrid.evaluation.evaluate`, at fp32 and at bf16, each in a fresh
process with 1 torch thread and no embedding cache. Prints the CPU seconds of each run and their ratio (fp32 / bf16:
above 1 means bf16 is faster), and over the subsets the largest absolute difference of nDCG@10, mAP, rank distance
and same-language@10 (the last two exist on pools only), with the subset where it occurs.

    python benchmarks/precision_accuracy.py --languages en de th               # 9 pairs (about 7,100 texts)
    python benchmarks/precision_accuracy.py --languages en de th --pools       # + 3 pools (all 13,000 candidates)
    python benchmarks/precision_accuracy.py --subsets en-en                    # a quick slice

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

TASK = "XQuADRSentenceRetrieval"
METRICS = ("ndcg_at_10", "map", "rank_distance", "same_language_at_10")


def worker(args: dict) -> dict:
    """One evaluation at one precision; its CPU and wall seconds and every subset's scores."""
    import torch

    torch.set_num_threads(1)
    from mteb_hybrid.evaluation import evaluate

    with tempfile.TemporaryDirectory() as out:
        wall, cpu = time.perf_counter(), time.process_time()
        evaluate(
            args["model"],
            [TASK],
            subsets=args["subsets"],
            data_dir=args["data_dir"],
            output_folder=out,
            batch_size=args["batch_size"],
            embedding_cache=False,
            show_progress_bar=False,
            precision=args["precision"],
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        [path] = Path(out, "results").glob(f"*/*/{TASK}.json")
        scores = {
            s["hf_subset"]: {m: s[m] for m in METRICS if m in s} for s in json.loads(path.read_text())["scores"]["test"]
        }
    return {"cpu": cpu, "wall": wall, "scores": scores, "revision": path.parent.name}


def subsets_for(languages: list[str], pools: bool) -> list[str]:
    return [f"{q}-{c}" for q in languages for c in languages] + ([f"{q}-pool" for q in languages] if pools else [])


def main() -> None:
    from _worker import run_worker

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--model", default="offline-me5-small")
    parser.add_argument("--languages", nargs="+", default=["en", "de", "th"], help="pairs among these languages")
    parser.add_argument(
        "--pools", action="store_true", help="also these languages' pools (all 11 languages' candidates)"
    )
    parser.add_argument("--subsets", nargs="+", help="exact subsets instead of --languages")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_args:
        print(json.dumps(worker(json.loads(args.worker_args))))
        return
    subsets = args.subsets or subsets_for(args.languages, args.pools)
    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs = {}
    for precision in ("fp32", "bf16"):
        print(f"{precision}: scoring {len(subsets)} subsets ...", flush=True)
        runs[precision] = run_worker(
            __file__,
            {
                "model": args.model,
                "subsets": subsets,
                "data_dir": args.data_dir,
                "batch_size": args.batch_size,
                "precision": precision,
            },
            extra_env=env,
        )
        print(
            f"  {runs[precision]['cpu']:.1f} s CPU, {runs[precision]['wall']:.1f} s wall, "
            f"revision {runs[precision]['revision']}",
            flush=True,
        )
    fp32, bf16 = runs["fp32"], runs["bf16"]
    print(f"\n{TASK}, {args.model}, {len(subsets)} subsets ({' '.join(subsets)}), batch {args.batch_size}, 1 thread")
    print(
        f"CPU s: fp32 {fp32['cpu']:.1f}, bf16 {bf16['cpu']:.1f}: fp32 / bf16 = {fp32['cpu'] / bf16['cpu']:.2f}x "
        f"(wall {fp32['wall'] / bf16['wall']:.2f}x); above 1 = bf16 faster"
    )
    for metric in METRICS:
        diffs = [
            (bf16["scores"][s][metric] - fp32["scores"][s][metric], s) for s in subsets if metric in fp32["scores"][s]
        ]
        if not diffs:
            continue
        worst, where = max(diffs, key=lambda d: abs(d[0]))
        mean = sum(d for d, _ in diffs) / len(diffs)
        print(
            f"{metric:22} bf16 - fp32: largest |diff| {abs(worst):.5f} ({worst:+.5f} on {where}), "
            f"mean {mean:+.5f} over {len(diffs)} subsets"
        )


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
