"""A real 2-process torchrun (gloo, CPU) training with HybridBatchSampler and gathered in-batch negatives.

At every step both processes must get the same source, disjoint rows and disjoint parallel ids,
so that MultipleNegativesRankingLoss(gather_across_devices=True) sees one pure global batch.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import Dataset
from torch.utils.data import BatchSampler, ConcatDataset

from mteb_hybrid.training.samplers import HybridBatchSampler

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "ddp_worker.py"
STEPS = 8


def _worker_module():
    spec = importlib.util.spec_from_file_location("ddp_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_two_process_training_gets_pure_disjoint_global_batches(tmp_path: Path) -> None:
    worker = _worker_module()
    model_dir, out_dir = tmp_path / "tiny-bert", tmp_path / "out"
    out_dir.mkdir()
    worker.build_model(str(model_dir))

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "WANDB_DISABLED": "true",
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(WORKER),
        "train",
        str(model_dir),
        str(out_dir),
        str(STEPS),
    ]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]

    ranks = [json.loads((out_dir / f"rank{r}.json").read_text()) for r in range(2)]
    for r, rec in enumerate(ranks):
        assert rec["rank"] == r and rec["world_size"] == 2
        assert rec["sampler"] == "HybridBatchSampler" and rec["shard"] == "BatchSamplerShard"
        assert rec["num_processes"] == 2  # read from torch.distributed
        assert rec["global_step"] == STEPS
        assert len(rec["losses"]) == STEPS and all(math.isfinite(x) for x in rec["losses"])
        assert len(rec["batches"]) >= STEPS

    kinds = ranks[0]["sources"]
    seen_kinds = set()
    for step in range(STEPS):
        b0, b1 = (rec["batches"][step] for rec in ranks)
        assert len(b0) == len(b1) == worker.BATCH_SIZE
        sources = {name for name, _, _ in b0 + b1}
        assert len(sources) == 1, f"step {step}: processes drew different sources {sources}"
        assert not {(s, row) for s, row, _ in b0} & {(s, row) for s, row, _ in b1}, f"step {step}: shared rows"
        pids = [pid for _, _, pid in b0 + b1]
        assert len(pids) == len(set(pids)), f"step {step}: duplicate parallel id in the global batch"
        seen_kinds.add(kinds[sources.pop()])
    assert seen_kinds == {"x-x", "x-y"}

    # The trainer fed exactly the sampler's plan for (seed 13, epoch 0), process r taking batches r, r+2, ...
    datasets, pids = [], []
    for name in worker.SOURCES:
        rows, ids = worker.source_rows(name)
        datasets.append(Dataset.from_dict(rows))
        pids.append(ids)
    sampler = HybridBatchSampler(
        ConcatDataset(datasets),
        [BatchSampler(range(len(d)), worker.BATCH_SIZE, False) for d in datasets],
        seed=13,
        source_kinds=list(worker.SOURCES.values()),
        parallel_ids=pids,
        num_processes=2,
    )
    names = list(worker.SOURCES)
    plan = list(sampler.iter_with_sources())
    for step in range(STEPS):
        for r in range(2):
            source, batch = plan[2 * step + r]
            offset = sampler.offsets[source]
            assert ranks[r]["batches"][step] == [[names[source], i - offset, pids[source][i - offset]] for i in batch]
