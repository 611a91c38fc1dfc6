"""Padding and CPU time of length-sorted encoding against corpus order (offline-me5-small, XQuAD-R English).

The evaluation (benchmark/search.py) encodes each language's new texts; each sentence-transformers call sorts its own
texts by characters. Before: calls of batch_size x 4 texts in corpus order. Now: the language's texts sorted by token
count, one call per batch (so no call re-sorts them). Prints, over all English candidates of the chosen form:
  padding ratio  tokens computed (each batch padded to its longest) / real tokens, before and now;
and, on the first --n texts through `CachedSearch.index` (fresh process each, 1 thread, alternating rounds):
  CPU ratio      now / before (below 1 = faster), and the largest difference between the two runs' embeddings.

    python benchmarks/length_sort.py                       # paragraphs (sentence+context), batch 32, 384 texts
    python benchmarks/length_sort.py --form sentence --n 512
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

CHUNK_BATCHES = 4  # benchmark/search.py's PROGRESS_CHUNK_BATCHES


def texts_of(data_dir: str, lang: str, form: str) -> list[str]:
    from mteb_hybrid.data import get_definition, load_dataset

    ds = load_dataset(get_definition("xquad-r"), data_dir, [lang])
    return [c.text(form) for c in ds.languages[lang].candidates]


def padding(counts: list[int], chars: list[int], order: list[int], batch_size: int, per_call: int) -> int:
    """Tokens computed when `order` is cut into encode calls of `per_call` texts, each sorted by characters inside
    (longest first, as sentence-transformers does) and encoded batch_size at a time."""
    from mteb_hybrid.benchmark.lengths import padded_tokens

    total, step = 0, per_call
    for start in range(0, len(order), step):
        call = sorted(order[start : start + step], key=lambda i: -chars[i])
        total += padded_tokens([counts[i] for i in call], batch_size)
    return total


def worker(args: dict) -> dict:
    import torch

    torch.set_num_threads(1)
    from datasets import Dataset

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.benchmark.embedding_store import EmbeddingStore
    from mteb_hybrid.benchmark.search import CachedSearch
    from mteb_hybrid.evaluation import load_model

    texts = texts_of(args["data_dir"], "en", args["form"])[: args["n"]]
    corpus = Dataset.from_dict({"id": [f"en:{i}" for i in range(len(texts))], "text": texts})
    search = CachedSearch(load_model("offline-me5-small"), EmbeddingStore())
    search.sort_by_length = args["sorted"]
    meta = TASK_CLASSES["XQuADRRetrieval"]().metadata
    cpu = time.process_time()
    search.index(
        corpus,
        task_metadata=meta,
        hf_split="test",
        hf_subset="en-en",
        encode_kwargs={"batch_size": args["batch_size"], "show_progress_bar": False},
    )
    cpu = time.process_time() - cpu
    np.save(args["out"], search._corpus[1])
    return {"cpu": cpu}


def main() -> None:
    from _worker import run_worker

    from mteb_hybrid.benchmark.lengths import length_order
    from mteb_hybrid.models.offline_me5 import offline_me5_path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--form", default="sentence+context", choices=["sentence+context", "sentence"])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n", type=int, default=384, help="texts encoded for the CPU-time ratio")
    parser.add_argument("--rounds", type=int, default=2, help="before/now pairs of encoding runs")
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_args:
        print(json.dumps(worker(json.loads(args.worker_args))))
        return

    from transformers import AutoTokenizer

    path = offline_me5_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    max_length = json.loads((path / "sentence_bert_config.json").read_text()).get("max_seq_length", 512)
    texts = texts_of(args.data_dir, "en", args.form)
    counts = [len(x) for x in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    chars = [len(t) for t in texts]
    real = sum(counts)
    calls = args.batch_size * CHUNK_BATCHES  # before: calls of 4 batches in corpus order; now: one call per batch
    before = padding(counts, chars, list(range(len(texts))), args.batch_size, calls)
    now = padding(counts, chars, length_order(texts, tokenizer, max_length), args.batch_size, args.batch_size)
    print(
        f"XQuAD-R en, {args.form}, {len(texts)} texts, {real:,} real tokens, batch {args.batch_size} "
        f"(before: calls of {calls} texts in corpus order; now: token-sorted, a call per batch)"
    )
    print(
        f"padding ratio (computed / real tokens): before {before / real:.3f}x, now {now / real:.3f}x; "
        f"now / before = {now / before:.3f}"
    )

    cpu: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for is_sorted in (False, True):
                out = str(Path(tmp) / f"{int(is_sorted)}-{r}.npy")
                res = run_worker(
                    __file__,
                    {
                        "data_dir": args.data_dir,
                        "form": args.form,
                        "n": args.n,
                        "batch_size": args.batch_size,
                        "sorted": is_sorted,
                        "out": out,
                    },
                    extra_env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                )
                cpu[is_sorted].append(res["cpu"])
                print(f"  round {r + 1}: {'now   ' if is_sorted else 'before'} {res['cpu']:.1f} s CPU", flush=True)
        a, b = np.load(Path(tmp) / "0-0.npy"), np.load(Path(tmp) / "1-0.npy")
    sub = texts[: args.n]
    sub_counts = counts[: len(sub)]
    sub_before = padding(sub_counts, chars[: len(sub)], list(range(len(sub))), args.batch_size, calls)
    sub_now = padding(
        sub_counts, chars[: len(sub)], length_order(sub, tokenizer, max_length), args.batch_size, args.batch_size
    )
    mean_before, mean_now = (sum(cpu[k]) / len(cpu[k]) for k in (False, True))
    print(
        f"first {len(sub)} texts: padding before {sub_before / sum(sub_counts):.3f}x, now "
        f"{sub_now / sum(sub_counts):.3f}x; CPU s before {mean_before:.1f}, now {mean_now:.1f}: "
        f"now / before = {mean_now / mean_before:.2f}x (1 thread, mean of {args.rounds} rounds)"
    )
    print(
        f"largest |embedding difference| now vs before: {np.abs(a - b).max():.2e} "
        f"(cosine min {float(np.min(np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))):.7f})"
    )


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
