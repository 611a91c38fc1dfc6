"""Who a model is: the (name, revision) that result folders and the embedding cache are keyed by.

mteb names every sentence-transformers folder `no_model_name/available` at `no_revision_available`, so two
folders would share results. Here a folder is named after its training info, model card or folder, and its
revision is a hash of every file that can change its vectors (weights, tokenizer, module configs such as
pooling and normalisation, sentence-transformers config and prompts, modules.json; `model_files`), not of
the weights alone; an unknown revision gets no reuse. A corrupt file gets one line naming it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from mteb_hybrid.files import file_sha256, safe_name
from mteb_hybrid.formats.train_log import LOG_JSONL, WALL_TIME_FILE
from mteb_hybrid.formats.training_record import TRAINING_RECORD_FILE as TRAINING_INFO_FILE
from mteb_hybrid.formats.training_record import RecordHead, RecordHeadError, read_record_head

logger = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"
LOCAL_ORG = "local"
TRAINED_ORG = "mteb-hybrid"
REVISION_LENGTH = 12  # hex digits of the model's sha256
WEIGHT_SUFFIXES = (".safetensors", ".bin")
# Files of a model folder that never change its vectors: the card, training bookkeeping and logs (written after
# the model itself), and `training_args.bin`. Hidden files (temp files, locks) and checkpoints are left out too.
NOT_MODEL_FILES = frozenset(
    {
        "README.md",
        TRAINING_INFO_FILE,
        LOG_JSONL,
        "train_log.csv",
        WALL_TIME_FILE,
        "training_args.bin",
    }
)
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")  # "org/name", as on the hub
# Revisions that say "unknown": mteb's placeholder, the hybrid registry's, or none at all.
UNKNOWN_REVISIONS = frozenset({"", "no_revision_available", "untrained"})


class ModelNotFoundError(LookupError):
    """A model name that is neither registered with mteb, a local folder, nor loadable."""


class ModelFolderError(ModelNotFoundError, ValueError):
    """A model folder that cannot be read; the message names the file and how to fix it."""


class ModelIdentity(NamedTuple):
    """A model's name ("org/name", as mteb wants it) and revision (None when unknown)."""

    name: str
    revision: str | None


def known_revision(revision: Any) -> bool:
    """True for a revision that identifies weights (not None, empty, or a placeholder)."""
    return isinstance(revision, str) and revision not in UNKNOWN_REVISIONS


def weight_files(folder: Path) -> list[Path]:
    """The files holding a model's weights, training checkpoints and trainer state left out."""
    folder = Path(folder)
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in WEIGHT_SUFFIXES
        and p.is_file()
        and CHECKPOINTS not in p.relative_to(folder).parts
        and p.name != "training_args.bin"
    )


def weights_sha256(folder: Path) -> str:
    """sha256 over the model's weight files (relative path + bytes): the training record's `weights_sha256`.
    Not the revision: a tokenizer or pooling change keeps the weights (see `model_sha256`)."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in weight_files(folder):
        h.update(str(p.relative_to(folder)).encode())
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def model_files(folder: Path) -> list[Path]:
    """Every file that can change the model's vectors, sorted: all files of the folder but the card, training
    bookkeeping, checkpoints and hidden files. A deny list, not an allow list: an unknown file costs a recomputation,
    a missed one (a tokenizer, a pooling config) would silently reuse another model's results."""
    folder = Path(folder)
    out = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).parts
        if (
            p.is_file()
            and p.name not in NOT_MODEL_FILES
            and CHECKPOINTS not in rel
            and not any(part.startswith(".") or part == "__pycache__" for part in rel)
        ):
            out.append(p)
    return sorted(out, key=lambda p: p.relative_to(folder).as_posix())


def model_sha256(folder: Path, language_prefix: str | None | bool = True) -> str:
    """sha256 over `model_files` (relative path + content hash) and the language token written before each text
    (a model trained with language tokens). `language_prefix=True` reads it from the folder's training record;
    the trainer passes it, since it computes the hash before it writes the record."""
    folder = Path(folder)
    if language_prefix is True:
        try:
            language_prefix = (read_record_head(folder) or RecordHead()).language_prefix
        except RecordHeadError:
            language_prefix = None  # check_folder names the broken file
    h = hashlib.sha256()
    for p in model_files(folder):
        h.update(f"{p.relative_to(folder).as_posix()}\0{file_sha256(p)}\n".encode())
    if language_prefix:
        h.update(f"language_prefix\0{language_prefix}\n".encode())
    return h.hexdigest()


def path_part(text: str, fallback: str = "model") -> str:
    """`text` made into one safe path part: other characters become '-', '__' (mteb's '/') is avoided."""
    part = re.sub(r"[^A-Za-z0-9._+-]+", "-", text.strip())
    part = re.sub(r"_{2,}", "_", part).lstrip(".-_+")[:100].rstrip(".-_+")
    return part or fallback


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelFolderError(f"{path}: not valid JSON ({e}); restore the file from the model's source") from e


def _text(value: Any) -> str | None:
    """`value` stripped if it is non-blank text, else None (names read from JSON or YAML)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _card_name(folder: Path) -> str | None:
    """`model_name` (or the first model-index name) from the YAML header of the model card, if any."""
    from huggingface_hub.repocard import metadata_load

    try:
        header = metadata_load(folder / "README.md") or {}
    except (OSError, ValueError, yaml.YAMLError):  # no card, or one that is not UTF-8 YAML
        return None
    index = header.get("model-index")
    if not header.get("model_name") and isinstance(index, list) and index and isinstance(index[0], dict):
        return _text(index[0].get("name"))
    return _text(header.get("model_name"))


def _training_info(folder: Path) -> RecordHead:
    """The training record's name, revision and language token (all None without a record)."""
    try:
        info = read_record_head(folder) or RecordHead()
    except RecordHeadError as e:
        raise ModelFolderError(f"{e}; restore the file from the model's source, or delete it") from None
    if info.revision is not None:
        try:
            safe_name(info.revision, f"{folder / TRAINING_INFO_FILE}: field 'revision'")
        except ValueError as e:
            raise ModelFolderError(f"{e}; write the 12-digit weights hash there, or delete the file") from None
    return info


def folder_name(folder: Path, training_info: RecordHead | None = None) -> str:
    """ "org/name" of a folder model: its training info's name, model card, config or folder name."""
    folder = Path(folder)
    info = training_info if training_info is not None else _training_info(folder)
    if _text(info.name):
        return f"{TRAINED_ORG}/{path_part(info.name)}"
    name = _card_name(folder)
    st_config = folder / "config_sentence_transformers.json"
    if name is None and st_config.is_file():
        config = _read_json(st_config)
        name = _text(config.get("model_name")) if isinstance(config, dict) else None
    name = name or folder.resolve().name.strip()
    if HUB_ID.match(name):  # a card that names a hub model ("intfloat/multilingual-e5-small")
        org, rest = name.split("/")
        return f"{path_part(org, LOCAL_ORG)}/{path_part(rest)}"
    return f"{LOCAL_ORG}/{path_part(name.replace('/', '-'))}"


def folder_identity(folder: str | Path) -> ModelIdentity:
    """Name and revision (`model_sha256`) of a model folder; revision None when it holds no weight file."""
    folder = Path(folder)
    info = _training_info(folder)
    name = folder_name(folder, info)
    revision = model_sha256(folder)[:REVISION_LENGTH] if weight_files(folder) else None
    recorded = info.revision
    if revision and recorded and recorded != revision:
        if recorded == weights_sha256(folder)[:REVISION_LENGTH]:  # recorded when the revision hashed weights alone
            logger.info(
                "%s: %s records the weights-only revision %s; the whole model hashes to %s, used here",
                folder,
                TRAINING_INFO_FILE,
                recorded,
                revision,
            )
        else:
            logger.warning(
                "%s: %s records revision %s but the model hashes to %s (changed since training?); using %s",
                folder,
                TRAINING_INFO_FILE,
                recorded,
                revision,
                revision,
            )
    return ModelIdentity(name, revision)


def _check_safetensors(path: Path) -> None:
    """Read the header and check that the file is as long as the header says (a cheap truncation check)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if n < 2 or 8 + n > size:
            raise ModelFolderError(f"{path}: truncated or not a safetensors file; copy the model folder again")
        try:
            header = json.loads(f.read(n))
        except (ValueError, UnicodeDecodeError):
            header = None
    if not isinstance(header, dict):
        raise ModelFolderError(f"{path}: corrupt safetensors header; copy the model folder again")
    end = (
        8
        + n
        + max(
            (
                t["data_offsets"][1]
                for k, t in header.items()
                if k != "__metadata__"
                and isinstance(t, dict)
                and isinstance(t.get("data_offsets"), list)
                and len(t["data_offsets"]) == 2
            ),
            default=0,
        )
    )
    if end > size:
        raise ModelFolderError(
            f"{path}: truncated ({size} bytes, the header promises {end}); copy the model folder again"
        )


def check_folder(folder: str | Path) -> None:
    """Raise ModelFolderError naming the file if the sentence-transformers folder cannot be loaded."""
    folder = Path(folder)
    modules_path = folder / "modules.json"
    if not modules_path.is_file():
        raise ModelFolderError(
            f"{folder}: a folder, but not a sentence-transformers model (no modules.json); "
            "give the folder that SentenceTransformer.save() wrote"
        )
    modules = _read_json(modules_path)
    if not isinstance(modules, list) or not all(
        isinstance(m, dict) and isinstance(m.get("path", ""), str) for m in modules
    ):
        raise ModelFolderError(f"{modules_path}: expected a list of modules with 'path'; restore the file")
    for module in modules:
        if not (folder / module.get("path", "")).is_dir():
            raise ModelFolderError(f"{modules_path}: module folder {module.get('path')!r} is missing in {folder}")
    for path in sorted(folder.rglob("*.json")):
        if CHECKPOINTS not in path.relative_to(folder).parts:
            _read_json(path)
    for path in weight_files(folder):
        if path.suffix == ".safetensors":
            _check_safetensors(path)
    _training_info(folder)
