"""Worker for tests/test_ddp_sampling.py: a tiny sentence-transformers run under torchrun (gloo, CPU).

`python tests/ddp_worker.py build MODEL_DIR` builds a tiny random BERT; under torchrun,
`tests/ddp_worker.py train MODEL_DIR OUT_DIR STEPS` trains it with HybridBatchSampler and
MultipleNegativesRankingLoss(gather_across_devices=True), and each rank writes what it was fed
(source, row, parallel id of every row of every batch) to OUT_DIR/rank{r}.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

BATCH_SIZE = 4
ROWS_PER_SOURCE = 40
SOURCES = {"en": "x-x", "de": "x-x", "en-de": "x-y", "de-en": "x-y", "de-fr": "x-y"}


def source_rows(name: str) -> tuple[dict[str, list[str]], list[str]]:
    """Rows of one source and their parallel ids; text names its source and row to trace batches."""
    n = ROWS_PER_SOURCE + 8 * (len(name) > 2)  # unequal sizes
    anchors = [f"{name} question {j} about topic {j % 7}" for j in range(n)]
    positives = [f"{name} passage {j} answers topic {j % 7}" for j in range(n)]
    return {"anchor": anchors, "positive": positives}, [f"q{j}" for j in range(n)]


def build_model(model_dir: str) -> None:
    """A random 2-layer BERT with a WordPiece vocabulary trained on the worker's sentences."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    texts = [t for name in SOURCES for col in source_rows(name)[0].values() for t in col]
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=special))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    fast.save_pretrained(model_dir)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(model_dir)


class RecordingCollator:
    """Wraps the trainer's collator and notes (source, row, parallel id) of each row it collates."""

    def __init__(self, inner: Any, lookup: dict[str, tuple[str, int, str]]) -> None:
        self.inner, self.lookup, self.batches = inner, lookup, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __call__(self, features: list[dict[str, Any]]) -> Any:
        self.batches.append([self.lookup[f["anchor"]] for f in features])
        return self.inner(features)


def train(model_dir: str, out_dir: str, steps: int) -> None:
    import torch
    from datasets import Dataset, DatasetDict
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import TrainerCallback

    from mteb_hybrid.training.samplers import hybrid_sampler_factory

    torch.set_num_threads(1)
    datasets, pids, lookup = {}, [], {}
    for name in SOURCES:
        rows, ids = source_rows(name)
        datasets[name] = Dataset.from_dict(rows)
        pids.append(ids)
        lookup.update({a: (name, j, ids[j]) for j, a in enumerate(rows["anchor"])})

    transformer = Transformer(model_dir, max_seq_length=24)
    model = SentenceTransformer(modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean")])
    args = SentenceTransformerTrainingArguments(
        output_dir=str(Path(out_dir) / "checkpoints"),
        per_device_train_batch_size=BATCH_SIZE,
        max_steps=steps,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        ddp_backend="gloo",
        dataloader_num_workers=0,
        seed=13,
        multi_dataset_batch_sampler=hybrid_sampler_factory(
            list(SOURCES.values()), pids, mode="hybrid", alpha=0.5, source_names=list(SOURCES)
        ),
    )
    seen: dict[str, Any] = {}

    class SeeSampler(TrainerCallback):
        def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):  # noqa: ANN001
            sampler = train_dataloader.batch_sampler.batch_sampler  # accelerate's BatchSamplerShard wraps ours
            seen.update(
                sampler=type(sampler).__name__,
                num_processes=sampler.num_processes,
                shard=type(train_dataloader.batch_sampler).__name__,
            )

    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=DatasetDict(datasets),
        loss=MultipleNegativesRankingLoss(model, gather_across_devices=True),
        callbacks=[SeeSampler()],
    )
    recorder = RecordingCollator(trainer.data_collator, lookup)
    trainer.data_collator = recorder
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    rank = torch.distributed.get_rank()
    record = {
        "rank": rank,
        "world_size": torch.distributed.get_world_size(),
        "global_step": trainer.state.global_step,
        "losses": losses,
        "batches": recorder.batches,
        "sources": SOURCES,
        **seen,
    }
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("WANDB_DISABLED", "true")
    if sys.argv[1] == "build":
        build_model(sys.argv[2])
    else:
        train(sys.argv[2], sys.argv[3], int(sys.argv[4]))
