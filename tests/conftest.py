"""Shared fixtures: the real data in ../shared/data, an isolated cache, tiny offline models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_DISABLED", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MTEB_HYBRID_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> None:
    """Tiny models are overhead-bound: one torch thread is as fast, and ~50x faster when cores are shared."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never write to the user's cache; the offline model is built once per session here."""
    cache = Path(os.environ.get("MTEB_HYBRID_TEST_CACHE") or tmp_path_factory.mktemp("mteb_hybrid_cache"))
    os.environ["MTEB_HYBRID_CACHE"] = str(cache)
    os.environ["MTEB_CACHE"] = str(cache / "mteb")
    os.environ["MTEB_HYBRID_CONFIG"] = str(cache / "config.json")  # never the user's own settings
    return cache


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (SHARED_DATA / "xquad-r" / "en.json").is_file():
        raise FileNotFoundError(f"the LAReQA files are expected in {SHARED_DATA} (set MTEB_HYBRID_TEST_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A tiny random BERT whose tokenizer saw XQuAD-R text of several scripts."""
    import json

    from tiny_models import build_tiny_bert

    corpus = []
    for lang in ("en", "de", "zh", "ar", "th", "ru"):
        raw = json.loads((data_dir / "xquad-r" / f"{lang}.json").read_text(encoding="utf-8"))
        corpus += [p["context"] for a in raw["data"][:6] for p in a["paragraphs"]]
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"), corpus, max_seq_length=64)
