"""The model card section a hybrid-trained model carries: how it was trained, as a table under the title."""

from __future__ import annotations

from typing import Any

from mteb_hybrid.files import world_size, write_atomic


def write_model_card_section(run: Any, global_step: int) -> None:
    """Insert a "Hybrid-batch training" section under the title of the README.md sentence-transformers wrote.

    `run`: the trainer's TrainingRun (config, preset, sources, rows, output folder)."""
    config, sources = run.config, run.sources
    summary = {
        "model": run.model_name,
        "base": config.base,
        "base model": run.preset.model,
        "data": ", ".join(config.data) + f" ({config.candidate_form} passages)",
        "languages": " ".join(sorted({q for q, _ in sources.languages})),
        "batching": config.batching,
        "alpha": config.alpha if config.batching == "hybrid" else "-",
        "sources": f"{sources.source_kinds.count('x-x')} x-x, {sources.source_kinds.count('x-y')} x-y",
        "loss": config.loss
        + (f" (mini_batch_size {config.mini_batch_size})" if config.loss == "cached-mnrl" else "")
        + f", scale {config.scale}",
        "batch size": f"{config.batch_size} per device x {world_size()} device(s) x {config.grad_accum} accumulation",
        "learning rate": config.learning_rate,
        "weight decay": config.weight_decay,
        "warmup": config.warmup,
        "steps": global_step,
        "seed": config.seed,
        "max_seq_length (training; the model keeps its base's for inference)": config.max_seq_length,
        "training rows": len(run.train_rows),
        "validation rows": len(run.val_rows),
    }
    readme = run.output_dir / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else f"# {run.model_name}\n"
    lines = [
        "## Hybrid-batch training (mteb-hybrid)",
        "",
        "Trained with hybrid batching (Elmahdy, Lin, Ahmad 2024, arXiv 2408.10536): each batch is X-X "
        "(query and passage in one language) with probability alpha, else X-Y (query and passage in "
        "different languages); no batch holds two translations of one question.",
        "",
        "| setting | value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in summary.items()),
    ]
    section = "\n".join(lines) + "\n\n"
    at = text.find("\n## ")  # before sentence-transformers' first section
    text = text[: at + 1] + section + text[at + 1 :] if at >= 0 else text.rstrip("\n") + "\n\n" + section
    write_atomic(readme, text)
