"""A repeated evaluation with the embedding cache on (the default) against the cache off, in one run.

What a user meets after `quickstart`: the same model scored again on texts it has already encoded. Side by side:
  off       MTEB_HYBRID_EMBEDDING_CACHE=0: every text encoded again;
  on        the default: the vectors come from ~/.cache/mteb_hybrid/embeddings (filled by a priming run first).
Each is a fresh task through `mteb.evaluate`, written to its own result folder, so neither reuses a result file.
Prints both wall times, their ratio and whether the scores are identical.

    python benchmarks/embedding_cache_default.py [--data-dir ../shared/data] [--subsets en-de] [--model offline-me5-small]

The default subset (en-de: 1,190 questions, 1,180 candidates) keeps it to a few minutes on 2 CPU cores; a pool subset (en-pool) encodes all 11
languages' candidates and shows the full-size case.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
TASK = "XQuADRSentenceRetrieval"


def _scores(folder: Path) -> dict[str, dict[str, float]]:
    [file] = folder.rglob(f"{TASK}.json")
    return {
        s["hf_subset"]: {k: v for k, v in s.items() if isinstance(v, float)}
        for s in json.loads(file.read_text())["scores"]["test"]
    }


def _run(model, subsets: list[str], data_dir: str, out: Path, cache: bool) -> float:  # noqa: ANN001
    import mteb
    from mteb.cache import ResultCache

    from mteb_hybrid.benchmark import TASK_CLASSES

    os.environ["MTEB_HYBRID_EMBEDDING_CACHE"] = "1" if cache else "0"
    task = TASK_CLASSES[TASK](data_dir=data_dir)  # built as mteb.get_tasks builds it: the default from the env
    task.hf_subsets = list(subsets)
    start = time.perf_counter()
    mteb.evaluate(model, [task], cache=ResultCache(out), show_progress_bar=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--subsets", nargs="+", default=["en-de"])
    parser.add_argument("--model", default="offline-me5-small")
    args = parser.parse_args()

    import mteb

    with tempfile.TemporaryDirectory(prefix="cache-bench-") as tmp:
        root = Path(tmp)
        user_cache = Path(os.environ.get("MTEB_HYBRID_CACHE") or Path.home() / ".cache" / "mteb_hybrid")
        os.environ["MTEB_HYBRID_CACHE"] = str(root / "cache")  # an empty embedding cache ...
        if (user_cache / "models").is_dir():  # ... and the models already built, linked (not rebuilt)
            (root / "cache").mkdir()
            (root / "cache" / "models").symlink_to(user_cache / "models")
        model = mteb.get_model(args.model)
        prime = _run(model, args.subsets, args.data_dir, root / "prime", cache=True)
        off = _run(mteb.get_model(args.model), args.subsets, args.data_dir, root / "off", cache=False)
        on = _run(mteb.get_model(args.model), args.subsets, args.data_dir, root / "on", cache=True)
        same = _scores(root / "off") == _scores(root / "on") == _scores(root / "prime")
    print(f"{args.model} {TASK} {' '.join(args.subsets)}")
    print(f"priming run (cache on, empty): {prime:7.1f} s")
    print(f"cache off (every text encoded): {off:7.1f} s")
    print(f"cache on  (vectors from disk):  {on:7.1f} s")
    print(f"ratio off / on: {off / on:.1f}x; identical scores: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
