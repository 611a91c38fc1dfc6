"""Tiny random models (well under a second each, fully offline): for tests and for smoke runs of experiment configs.

Each builder trains a tokenizer on a few sentences with `tokenizers`, builds a small transformers
model (hidden 32, 2 layers), and saves a sentence-transformers folder:

- `build_tiny_bert(path)`: BERT/LaBSE-like (WordPiece), CLS pooling + Normalize.
- `build_tiny_xlmr(path)`: XLM-R-like (Unigram + Metaspace), mean pooling + Normalize.
- `build_tiny_m2m100_checkpoint(path)`: a FULL M2M100Model checkpoint like the hub's (encoder and
  decoder, a tokenizer that writes `__en__ text </s>`, encoder_layerdrop 0.05).
- `build_tiny_m2m100(path)`: the sentence encoder built from that checkpoint by
  `mteb_hybrid.models.m2m100.build_m2m100_sentence_encoder`.

`corpus` lets a test train the tokenizer on its own texts (e.g. MLQA-R questions) so that few
tokens are unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

DEFAULT_CORPUS: tuple[str, ...] = (
    "When was the university founded?", "The university was founded in 1636 by a vote of the colony.",
    "Who wrote the novel?", "The novel was written by a young author from Lisbon.",
    "Wann wurde die Universität gegründet?", "Die Universität wurde 1636 gegründet.",
    "¿Cuándo se fundó la universidad?", "La universidad fue fundada en 1636.",
    "Khi nào trường đại học được thành lập?", "Trường đại học được thành lập năm 1636.",
    "متى تأسست الجامعة؟", "تأسست الجامعة عام 1636.", "विश्वविद्यालय की स्थापना कब हुई?", "大学是什么时候成立的？",
    "What is the capital of France?", "Paris is the capital and largest city of France.",
    "How many people live in the city?", "About two million people live in the city.",
)
M2M_TEST_LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "hi", "vi", "zh", "el")
# The 100 language tokens of facebook/m2m100_418M (its model card), for stand-ins of the real model.
M2M100_LANGUAGES: tuple[str, ...] = tuple("""
    af am ar ast az ba be bg bn br bs ca ceb cs cy da de el en es et fa ff fi fr fy ga gd gl gu ha he hi hr ht hu
    hy id ig ilo is it ja jv ka kk km kn ko lb lg ln lo lt lv mg mk ml mn mr ms my ne nl no ns oc or pa pl ps pt ro
    ru sd si sk sl so sq sr ss su sv sw ta th tl tn tr uk ur uz vi wo xh yi yo zh zu""".split())


def _texts(corpus: Iterable[str] | None) -> list[str]:
    texts = list(DEFAULT_CORPUS)
    if corpus is not None:
        texts += [t for t in corpus if t]
    return texts


def _assemble(path: Path, hf_dir: Path, pooling: str, max_seq_length: int) -> Path:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    transformer = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    pool = Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)
    SentenceTransformer(modules=[transformer, pool, Normalize()]).save(str(path))
    return path


def build_tiny_bert(
    path: str | Path, corpus: Iterable[str] | None = None, *, hidden: int = 32, layers: int = 2,
    max_seq_length: int = 64, vocab_size: int = 2000, seed: int = 0,
) -> Path:
    """A LaBSE-like tiny model: WordPiece tokenizer, BertModel, CLS pooling, normalised."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    path = Path(path)
    hf_dir = path / "_hf"
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(_texts(corpus), trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=max_seq_length)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=2 * hidden, max_position_embeddings=512)
    BertModel(config).save_pretrained(hf_dir)
    fast.save_pretrained(hf_dir)
    return _assemble(path, hf_dir, "cls", max_seq_length)


def _unigram_tokenizer(texts: Sequence[str], specials: list[str], vocab_size: int):  # noqa: ANN202
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                           unk_token="<unk>"))
    return tok


def build_tiny_xlmr(
    path: str | Path, corpus: Iterable[str] | None = None, *, hidden: int = 32, layers: int = 2,
    max_seq_length: int = 64, vocab_size: int = 2000, seed: int = 0,
) -> Path:
    """An XLM-R-like tiny model: Unigram + Metaspace tokenizer, XLMRobertaModel, mean pooling."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    path = Path(path)
    hf_dir = path / "_hf"
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = _unigram_tokenizer(_texts(corpus), specials, vocab_size)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", model_max_length=max_seq_length)
    torch.manual_seed(seed)
    config = XLMRobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
                              num_attention_heads=2, intermediate_size=2 * hidden,
                              max_position_embeddings=514, pad_token_id=tok.token_to_id("<pad>"),
                              bos_token_id=tok.token_to_id("<s>"), eos_token_id=tok.token_to_id("</s>"))
    XLMRobertaModel(config).save_pretrained(hf_dir)
    fast.save_pretrained(hf_dir)
    return _assemble(path, hf_dir, "mean", max_seq_length)


def build_tiny_m2m100_checkpoint(
    path: str | Path, corpus: Iterable[str] | None = None, *, languages: Sequence[str] = M2M_TEST_LANGUAGES,
    d_model: int = 32, vocab_size: int = 1500, seed: int = 0,
) -> Path:
    """A full (encoder + decoder) M2M100Model checkpoint with a tokenizer that writes `__en__ text </s>`."""
    from tokenizers import AddedToken, processors
    from transformers import M2M100Config, M2M100Model, PreTrainedTokenizerFast

    path = Path(path)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tok = _unigram_tokenizer(_texts(corpus), specials, vocab_size)
    tok.add_special_tokens([AddedToken(f"__{lang}__", special=True, normalized=False) for lang in languages])
    tok.post_processor = processors.TemplateProcessing(  # what the real tokenizer does with src_lang="en"
        single="__en__ $A </s>", pair="__en__ $A $B </s>",
        special_tokens=[("__en__", tok.token_to_id("__en__")), ("</s>", tok.token_to_id("</s>"))],
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", model_max_length=128)
    torch.manual_seed(seed)
    config = M2M100Config(
        vocab_size=tok.get_vocab_size(), d_model=d_model, encoder_layers=2, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=2 * d_model, decoder_ffn_dim=2 * d_model,
        max_position_embeddings=512, encoder_layerdrop=0.05, decoder_layerdrop=0.05, scale_embedding=True,
        pad_token_id=tok.token_to_id("<pad>"), bos_token_id=tok.token_to_id("<s>"),
        eos_token_id=tok.token_to_id("</s>"),
        decoder_start_token_id=tok.token_to_id("</s>"),
    )
    M2M100Model(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def build_tiny_m2m100(path: str | Path, corpus: Iterable[str] | None = None, *, max_seq_length: int = 64,
                      languages: Sequence[str] = M2M_TEST_LANGUAGES) -> Path:
    """Sentence encoder folder at `path`, built from a tiny full checkpoint at `path`_source."""
    from mteb_hybrid.models.m2m100 import build_m2m100_sentence_encoder

    path = Path(path)
    source = build_tiny_m2m100_checkpoint(path.with_name(path.name + "_source"), corpus, languages=languages)
    return build_m2m100_sentence_encoder(source, path, max_seq_length=max_seq_length)
