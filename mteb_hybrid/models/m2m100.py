"""M2M-100's encoder as a sentence encoder, with the language token following each text's language.

Two traps, two fixes:

1. Weights. sentence-transformers maps an M2M100 config to `M2M100Encoder`, but loads its weights
   only from an encoder-only checkpoint: from a full M2M100 checkpoint the encoder is silently
   re-initialised (the keys carry an "encoder."/"model.encoder." prefix). So we first save
   `M2M100Model.from_pretrained(source).get_encoder()` to a folder and build the sentence encoder
   (Transformer + mean Pooling + Normalize) from that folder. `encoder_layerdrop` is set to 0 in the
   saved config (and `disable_layerdrop` zeroes it on a loaded model): layer-drop draws with
   Python's `random`, so GradCache's second forward pass would differ from the first.

2. Language token. The M2M-100 tokenizer writes `__xx__ text </s>` with `xx` fixed by its
   `src_lang` attribute (default "en"), but sentence-transformers tokenizes whole batches of texts
   without a language. So the saved tokenizer adds NO language token itself (a `tokenizers`
   post-processor `$A </s>`), and the caller writes the token text in front of each text:
   `language_prefix("de") + text == "__de__ " + text`; the token is a special added token, so it
   becomes exactly one id, first in the sequence. Training writes it per row language
   (`training/sources.py`, `text_prefix`); for evaluation, mteb's `encode` receives texts grouped by
   language, so a wrapper calls `prefix_texts(texts, lang)` before encoding. The slow sentencepiece
   tokenizer of the hub checkpoint is converted to such a fast tokenizer here (needs the
   `sentencepiece` and `protobuf` packages, as loading that tokenizer does anyway); a checkpoint that
   already has a fast tokenizer keeps its vocabulary and only loses the language prefix.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

LANGUAGE_TOKEN = "__{}__"


def language_token(lang: str) -> str:
    """The M2M-100 token of a language code, e.g. "__de__"."""
    return LANGUAGE_TOKEN.format(lang)


def language_prefix(lang: str) -> str:
    """Text to put in front of a text of language `lang` (the token and a space)."""
    return language_token(lang) + " "


def prefix_texts(texts: Iterable[str], lang: str) -> list[str]:
    """Texts of one language with their language token in front (for encoding at evaluation)."""
    pre = language_prefix(lang)
    return [pre + t for t in texts]


def _first_transformer(model: Any) -> Any | None:
    for module in model.children() if hasattr(model, "children") else ():
        if hasattr(module, "auto_model"):
            return module
    return None


def is_m2m100_model(model: Any) -> bool:
    """True if a SentenceTransformer's transformer is an M2M-100 encoder."""
    module = _first_transformer(model)
    return module is not None and getattr(module.auto_model.config, "model_type", None) == "m2m_100"


def supported_languages(model: Any) -> set[str]:
    """Languages whose `__xx__` token the model's tokenizer knows as one token."""
    module = _first_transformer(model)
    if module is None:
        return set()
    return supported_languages_of_tokenizer(module.tokenizer)


def disable_layerdrop(model: Any) -> int:
    """Set every layer-drop probability in `model` to 0 (config and modules); return how many were on."""
    changed = 0
    for module in model.modules():
        config = getattr(module, "config", None)
        for key in ("encoder_layerdrop", "decoder_layerdrop", "layerdrop"):
            if config is not None and getattr(config, key, 0) not in (0, None):
                setattr(config, key, 0.0)
                changed += 1
        if isinstance(getattr(module, "layerdrop", None), float) and module.layerdrop > 0:
            module.layerdrop = 0.0
            changed += 1
    return changed


# --------------------------------------------------------------------------------------------
# Tokenizer without a language prefix
# --------------------------------------------------------------------------------------------


def _no_prefix_post_processor(eos: str, eos_id: int) -> Any:
    from tokenizers import processors

    return processors.TemplateProcessing(single=f"$A {eos}", pair=f"$A $B {eos}", special_tokens=[(eos, eos_id)])


def _backend_from_slow(slow: Any) -> Any:
    """A `tokenizers.Tokenizer` equivalent to the sentencepiece M2M100Tokenizer, ids unchanged."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers.convert_slow_tokenizer import SpmConverter, generate_merges, import_protobuf

    model_pb2 = import_protobuf()
    proto = model_pb2.ModelProto()
    proto.ParseFromString(Path(slow.spm_file).read_bytes())
    vocab: dict[str, int] = dict(slow.encoder)  # fairseq order: <s> <pad> </s> <unk> then pieces
    scores = {p.piece: p.score for p in proto.pieces}
    if proto.trainer_spec.model_type != 2:  # M2M-100 ships a BPE model (sentencepiece.bpe.model)
        raise ValueError(f"{slow.spm_file}: expected a sentencepiece BPE model, got model_type "
                         f"{proto.trainer_spec.model_type}")
    specials = [slow.bos_token, slow.pad_token, slow.eos_token, slow.unk_token]
    vocab_scores = [(piece, scores.get(piece, 0.0)) for piece in vocab if piece not in specials]
    merges = generate_merges(vocab, vocab_scores, skip_tokens=specials)
    backend = Tokenizer(models.BPE(vocab, merges, unk_token=slow.unk_token, fuse_unk=True))
    backend.normalizer = SpmConverter.normalizer(None, proto)  # does not use self
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    # language tokens follow the sentencepiece vocabulary (ids len(vocab) + i), then fairseq's made-up words
    extra = sorted((i, t) for t, i in slow.lang_token_to_id.items())
    extra += [(extra[-1][0] + 1 + j, f"<madeupword{j}>") for j in range(int(getattr(slow, "num_madeup_words", 0)))]
    for expected, (i, t) in enumerate(extra, start=len(vocab)):
        if i != expected:
            raise ValueError(f"M2M-100 tokenizer: {t!r} has id {i}, expected {expected}; cannot convert")
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for _, t in extra])
    for i, t in extra:
        if backend.token_to_id(t) != i:
            raise ValueError(f"M2M-100 tokenizer conversion gave {t!r} id {backend.token_to_id(t)}, expected {i}")
    return backend


def no_language_prefix_tokenizer(tokenizer: Any) -> Any:
    """A fast tokenizer with `tokenizer`'s vocabulary that writes `text </s>` and no language token."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    if getattr(tokenizer, "is_fast", False):
        backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    else:
        backend = _backend_from_slow(tokenizer)
    eos = tokenizer.eos_token or "</s>"
    backend.post_processor = _no_prefix_post_processor(eos, backend.token_to_id(eos))
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=tokenizer.bos_token, eos_token=eos, pad_token=tokenizer.pad_token, unk_token=tokenizer.unk_token,
        model_max_length=min(int(getattr(tokenizer, "model_max_length", 1024) or 1024), 1024),
    )


# --------------------------------------------------------------------------------------------
# Building the sentence encoder
# --------------------------------------------------------------------------------------------


def save_encoder_only(source: str | Path, target: str | Path, **load_kwargs: Any) -> Path:
    """Save the encoder of a full M2M-100 checkpoint as an encoder-only checkpoint (layer-drop 0)."""
    from transformers import AutoTokenizer, M2M100Model

    target = Path(target)
    encoder = M2M100Model.from_pretrained(str(source), **load_kwargs).get_encoder()
    encoder.config.encoder_layerdrop = 0.0
    encoder.layerdrop = 0.0
    encoder.save_pretrained(target)
    tokenizer = no_language_prefix_tokenizer(AutoTokenizer.from_pretrained(str(source)))
    tokenizer.save_pretrained(target)
    return target


def build_m2m100_sentence_encoder(
    source: str | Path,
    target: str | Path,
    *,
    max_seq_length: int = 256,
    pooling: str = "mean",
    normalize: bool = True,
    languages: Sequence[str] | None = None,
) -> Path:
    """A sentence-transformers folder at `target` from the M2M-100 checkpoint `source` (hub name or folder).

    Written atomically (a temporary folder renamed into place), so an interrupted build never
    looks like a model.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as tmp:
        encoder_dir = save_encoder_only(source, Path(tmp) / "encoder")
        transformer = Transformer(str(encoder_dir), max_seq_length=max_seq_length)
        known = supported_languages_of_tokenizer(transformer.tokenizer)
        missing = sorted(set(languages or ()) - known)
        if missing:
            raise ValueError(f"{source}: no language token for {missing}")
        modules = [transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=pooling)]
        if normalize:
            modules.append(Normalize())
        model = SentenceTransformer(modules=modules)
        staged = Path(tmp) / "model"
        model.save(str(staged))
        (staged / "mteb_hybrid_base.json").write_text(json.dumps({
            "source": str(source), "kind": "m2m100-encoder", "language_prefix": LANGUAGE_TOKEN + " ",
            "encoder_layerdrop": 0.0, "pooling": pooling,
        }, indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    return target


def supported_languages_of_tokenizer(tokenizer: Any) -> set[str]:
    """Language codes xx whose `__xx__` token is in the tokenizer's vocabulary."""
    vocab = tokenizer.get_vocab()
    return {tok[2:-2] for tok in vocab if tok.startswith("__") and tok.endswith("__") and len(tok) > 4}
