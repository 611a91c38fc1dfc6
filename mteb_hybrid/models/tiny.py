"""Tiny random models (hidden 32, 2 layers, well under a second each, fully offline) for tests and smoke runs.

Each builder trains a tokenizer on a few sentences plus `corpus` (e.g. a test's questions, so few tokens are
unknown): BERT/LaBSE-like, XLM-R-like, a FULL M2M100Model checkpoint like the hub's, and its sentence encoder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from mteb_hybrid.models.encoder import sentence_encoder
from mteb_hybrid.models.presets import load_presets

DEFAULT_CORPUS: tuple[str, ...] = (
    "When was the university founded?",
    "The university was founded in 1636 by a vote of the colony.",
    "Who wrote the novel?",
    "The novel was written by a young author from Lisbon.",
    "Wann wurde die Universität gegründet?",
    "Die Universität wurde 1636 gegründet.",
    "¿Cuándo se fundó la universidad?",
    "La universidad fue fundada en 1636.",
    "Khi nào trường đại học được thành lập?",
    "Trường đại học được thành lập năm 1636.",
    "متى تأسست الجامعة؟",
    "تأسست الجامعة عام 1636.",
    "विश्वविद्यालय की स्थापना कब हुई?",
    "大学是什么时候成立的？",
    "What is the capital of France?",
    "Paris is the capital and largest city of France.",
    "How many people live in the city?",
    "About two million people live in the city.",
)
M2M_TEST_LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "hi", "vi", "zh", "el")
# The 100 language tokens of facebook/m2m100_418M, for stand-ins of the real model.
M2M100_LANGUAGES: tuple[str, ...] = load_presets()["m2m100"].languages or ()


def _texts(corpus: Iterable[str] | None) -> list[str]:
    return list(DEFAULT_CORPUS) + [t for t in corpus or () if t]


def _template(tok: Any, single: str, pair: str, *specials: str) -> None:
    from tokenizers import processors

    tok.post_processor = processors.TemplateProcessing(
        single=single, pair=pair, special_tokens=[(t, tok.token_to_id(t)) for t in specials]
    )


def _save(folder: Path, tok: Any, model_class: type, config: Any, seed: int, **tokens: Any) -> Path:
    """A transformers folder: `model_class(config)`, randomly initialised from `seed`, and `tok` as a fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    torch.manual_seed(seed)
    model_class(config).save_pretrained(folder)
    PreTrainedTokenizerFast(tokenizer_object=tok, **tokens).save_pretrained(folder)
    return folder


def build_tiny_bert(
    path: str | Path,
    corpus: Iterable[str] | None = None,
    *,
    hidden: int = 32,
    layers: int = 2,
    max_seq_length: int = 64,
    vocab_size: int = 2000,
    seed: int = 0,
) -> Path:
    """A LaBSE-like tiny model: WordPiece tokenizer, BertModel, CLS pooling, normalised."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(_texts(corpus), trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    _template(tok, "[CLS] $A [SEP]", "[CLS] $A [SEP] $B [SEP]", "[CLS]", "[SEP]")
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=512,
    )
    hf_dir = _save(
        Path(path) / "_hf",
        tok,
        BertModel,
        config,
        seed,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_seq_length,
    )
    sentence_encoder(hf_dir, "cls", max_seq_length=max_seq_length).save(str(path))
    return Path(path)


def _unigram_tokenizer(texts: Sequence[str], specials: list[str], vocab_size: int) -> Any:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.train_from_iterator(
        texts, trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>")
    )
    return tok


def build_tiny_xlmr(
    path: str | Path,
    corpus: Iterable[str] | None = None,
    *,
    hidden: int = 32,
    layers: int = 2,
    max_seq_length: int = 64,
    vocab_size: int = 2000,
    seed: int = 0,
) -> Path:
    """An XLM-R-like tiny model: Unigram + Metaspace tokenizer, XLMRobertaModel, mean pooling."""
    from transformers import XLMRobertaConfig, XLMRobertaModel

    tok = _unigram_tokenizer(_texts(corpus), ["<s>", "<pad>", "</s>", "<unk>", "<mask>"], vocab_size)
    _template(tok, "<s> $A </s>", "<s> $A </s> </s> $B </s>", "<s>", "</s>")
    config = XLMRobertaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=514,
        pad_token_id=tok.token_to_id("<pad>"),
        bos_token_id=tok.token_to_id("<s>"),
        eos_token_id=tok.token_to_id("</s>"),
    )
    hf_dir = _save(
        Path(path) / "_hf",
        tok,
        XLMRobertaModel,
        config,
        seed,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=max_seq_length,
    )
    sentence_encoder(hf_dir, "mean", max_seq_length=max_seq_length).save(str(path))
    return Path(path)


def build_tiny_m2m100_checkpoint(
    path: str | Path,
    corpus: Iterable[str] | None = None,
    *,
    languages: Sequence[str] = M2M_TEST_LANGUAGES,
    d_model: int = 32,
    vocab_size: int = 1500,
    seed: int = 0,
) -> Path:
    """A full (encoder + decoder) M2M100Model checkpoint with a tokenizer that writes `__en__ text </s>`."""
    from tokenizers import AddedToken
    from transformers import M2M100Config, M2M100Model

    tok = _unigram_tokenizer(_texts(corpus), ["<s>", "<pad>", "</s>", "<unk>"], vocab_size)
    tok.add_special_tokens([AddedToken(f"__{lang}__", special=True, normalized=False) for lang in languages])
    _template(tok, "__en__ $A </s>", "__en__ $A $B </s>", "__en__", "</s>")  # the real one with src_lang="en"
    config = M2M100Config(
        vocab_size=tok.get_vocab_size(),
        d_model=d_model,
        encoder_layers=2,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=2 * d_model,
        decoder_ffn_dim=2 * d_model,
        max_position_embeddings=512,
        encoder_layerdrop=0.05,
        decoder_layerdrop=0.05,
        scale_embedding=True,
        pad_token_id=tok.token_to_id("<pad>"),
        bos_token_id=tok.token_to_id("<s>"),
        eos_token_id=tok.token_to_id("</s>"),
        decoder_start_token_id=tok.token_to_id("</s>"),
    )
    return _save(
        Path(path),
        tok,
        M2M100Model,
        config,
        seed,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        model_max_length=128,
    )


def build_tiny_m2m100(
    path: str | Path,
    corpus: Iterable[str] | None = None,
    *,
    max_seq_length: int = 64,
    languages: Sequence[str] = M2M_TEST_LANGUAGES,
) -> Path:
    """Sentence encoder folder at `path`, built from a tiny full checkpoint at `path`_source."""
    from mteb_hybrid.models.m2m100 import build_m2m100_sentence_encoder

    path = Path(path)
    source = build_tiny_m2m100_checkpoint(path.with_name(path.name + "_source"), corpus, languages=languages)
    return build_m2m100_sentence_encoder(source, path, max_seq_length=max_seq_length)
