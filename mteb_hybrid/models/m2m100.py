"""M2M-100's encoder as a sentence encoder, with the language token following each text's language.

1. Weights: from a full M2M100 checkpoint sentence-transformers silently re-initialises the encoder
   (its keys carry an "encoder." prefix), so the encoder is saved on its own first, layer-drop off
   (it draws from Python's `random`, so GradCache's second forward pass would differ from the first).
2. Language token: the tokenizer writes `__xx__ text </s>` with `xx` fixed by `src_lang`, but
   sentence-transformers tokenizes without a language. So the saved (fast) tokenizer adds none, and
   callers write `language_prefix(lang)` in front of each text: one special token, first in the sequence.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LANGUAGE_TOKEN = "__{}__"


def language_prefix(lang: str) -> str:
    """Text to put in front of a text of language `lang`: its token and a space, e.g. "__de__ "."""
    return LANGUAGE_TOKEN.format(lang) + " "


def prefix_texts(texts: Iterable[str], lang: str) -> list[str]:
    """Texts of one language with their language token in front (for encoding at evaluation)."""
    return [language_prefix(lang) + t for t in texts]


def _first_transformer(model: Any) -> Any | None:
    children = model.children() if hasattr(model, "children") else ()
    return next((module for module in children if hasattr(module, "auto_model")), None)


def is_m2m100_model(model: Any) -> bool:
    """True if a SentenceTransformer's transformer is an M2M-100 encoder."""
    module = _first_transformer(model)
    return module is not None and getattr(module.auto_model.config, "model_type", None) == "m2m_100"


def supported_languages(model: Any) -> set[str]:
    """Languages whose `__xx__` token the model's tokenizer knows as one token."""
    module = _first_transformer(model)
    vocab = module.tokenizer.get_vocab() if module is not None else {}
    return {tok[2:-2] for tok in vocab if tok.startswith("__") and tok.endswith("__") and len(tok) > 4}


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


def _backend_from_slow(slow: Any) -> Any:
    """A `tokenizers.Tokenizer` equivalent to the sentencepiece M2M100Tokenizer, ids unchanged."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers.convert_slow_tokenizer import SpmConverter, generate_merges, import_protobuf

    proto = import_protobuf().ModelProto()
    proto.ParseFromString(Path(slow.spm_file).read_bytes())
    vocab: dict[str, int] = dict(slow.encoder)  # fairseq order: <s> <pad> </s> <unk> then pieces
    scores = {p.piece: p.score for p in proto.pieces}
    if proto.trainer_spec.model_type != 2:  # M2M-100 ships a BPE model (sentencepiece.bpe.model)
        raise ValueError(
            f"{slow.spm_file}: expected a sentencepiece BPE model, got model_type {proto.trainer_spec.model_type}"
        )
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
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for _, t in extra])
    for i, t in extra:
        if backend.token_to_id(t) != i:
            raise ValueError(f"M2M-100 tokenizer conversion gave {t!r} id {backend.token_to_id(t)}, expected {i}")
    return backend


def no_language_prefix_tokenizer(tokenizer: Any) -> Any:
    """A fast tokenizer with `tokenizer`'s vocabulary that writes `text </s>` and no language token."""
    from tokenizers import Tokenizer, processors
    from transformers import PreTrainedTokenizerFast

    fast = getattr(tokenizer, "is_fast", False)
    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str()) if fast else _backend_from_slow(tokenizer)
    eos = tokenizer.eos_token or "</s>"
    backend.post_processor = processors.TemplateProcessing(
        single=f"$A {eos}", pair=f"$A $B {eos}", special_tokens=[(eos, backend.token_to_id(eos))]
    )
    max_length = min(int(getattr(tokenizer, "model_max_length", 1024) or 1024), 1024)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=tokenizer.bos_token,
        eos_token=eos,
        pad_token=tokenizer.pad_token,
        unk_token=tokenizer.unk_token,
        model_max_length=max_length,
    )


def build_m2m100_sentence_encoder(
    source: str | Path, target: str | Path, *, max_seq_length: int = 256, pooling: str = "mean"
) -> Path:
    """A sentence-transformers folder at `target` from the M2M-100 checkpoint `source` (hub name or folder).

    Built in a temporary folder renamed into place, so an interrupted build never looks like a model.
    """
    from transformers import AutoTokenizer, M2M100Model

    from mteb_hybrid.models.encoder import sentence_encoder

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as tmp:
        encoder_dir = Path(tmp) / "encoder"  # the encoder on its own, layer-drop off (trap 1)
        encoder = M2M100Model.from_pretrained(str(source)).get_encoder()
        encoder.config.encoder_layerdrop = 0.0
        encoder.layerdrop = 0.0
        encoder.save_pretrained(encoder_dir)
        no_language_prefix_tokenizer(AutoTokenizer.from_pretrained(str(source))).save_pretrained(encoder_dir)
        staged = Path(tmp) / "model"
        sentence_encoder(encoder_dir, pooling, max_seq_length=max_seq_length).save(str(staged))
        (staged / "mteb_hybrid_base.json").write_text(
            json.dumps(
                {
                    "source": str(source),
                    "kind": "m2m100-encoder",
                    "language_prefix": language_prefix("{}"),
                    "encoder_layerdrop": 0.0,
                    "pooling": pooling,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    return target
