"""Base-model presets (data in presets.yaml) and loading a base model for training.

`--base` is a preset name or any sentence-transformers model name or folder. Trained models live in
`<cache_root()>/models/<name>` (`trained_model_dir`), where the mteb registry looks for them.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.validation import validate_file

from .encoder import sentence_encoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

PRESETS_FILE = Path(__file__).with_name("presets.yaml")


class Preset(BaseModel):
    """How to get a base model, and the name of the model trained from it (one entry of presets.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: str
    kind: Literal["sentence-transformers", "transformer", "m2m100-encoder", "offline-me5"]
    model: str
    trained_name: str
    pooling: Literal["mean", "cls", "max", "lasttoken", "mean_sqrt_len_tokens", "weightedmean"] = "mean"
    prompts: dict[str, str] = Field(default_factory=dict)
    # language-token models: the codes they have a token for (an empty list reads as None)
    languages: Annotated[tuple[str, ...] | None, AfterValidator(lambda v: v or None)] = None
    description: str = ""


@lru_cache(maxsize=1)
def load_presets(path: str | None = None) -> dict[str, Preset]:
    """All presets of presets.yaml, by name; DataFormatError naming the file and key path of a bad entry."""
    file = Path(path or PRESETS_FILE)
    raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise DataFormatError(
            file, "<file>", "expected a mapping of preset names", "see mteb_hybrid/models/presets.yaml"
        )
    presets = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "name" in spec:
            raise DataFormatError(
                file,
                str(name),
                "expected a mapping of settings (the name is its key)",
                "see the other presets in the file",
            )
        presets[str(name)] = validate_file(
            Preset, {"name": str(name), **spec}, file, f"see the kinds and keys at the top of {file.name}"
        )
    return presets


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "model"


def _local_kind(path: Path) -> str:
    if (path / "modules.json").is_file():
        return "sentence-transformers"
    config = path / "config.json"
    if config.is_file() and json.loads(config.read_text(encoding="utf-8")).get("model_type") == "m2m_100":
        return "m2m100-encoder"
    return "transformer"


def resolve_base(base: str) -> Preset:
    """The preset called `base`, or an ad-hoc one for a model name or folder."""
    presets = load_presets()
    if base in presets:
        return presets[base]
    path = Path(base).expanduser()
    if path.is_dir():
        return Preset(
            name=str(path), kind=_local_kind(path), model=str(path.resolve()), trained_name=f"hybrid-{_slug(path.name)}"
        )
    if path.exists():
        raise ValueError(f"--base {base!r} is a file; give a preset ({', '.join(presets)}), a model name or a folder")
    # A hub name: sentence-transformers decides (mean pooling for a plain encoder); M2M-100 by name.
    kind = "m2m100-encoder" if "m2m100" in base.lower() or "m2m_100" in base.lower() else "sentence-transformers"
    return Preset(name=base, kind=kind, model=base, trained_name=f"hybrid-{_slug(base.split('/')[-1])}")


def trained_model_dir(name: str) -> Path:
    """Where a trained model called `name` is saved by default (and found by the mteb registry)."""
    from mteb_hybrid.data.sources import cache_root

    return cache_root() / "models" / name


def load_base_model(
    preset: Preset, *, max_seq_length: int | None = None, device: str | None = None
) -> tuple[SentenceTransformer, int]:
    """The base model of `preset` as a SentenceTransformer (truncating at `max_seq_length` if given), with the
    preset's prompts if it has none, and the base's own inference length (what a trained model is saved with,
    so that it is scored like its base: the training length is a training setting).

    A base needed from the hub while it is out of reach raises `HubUnavailableError`, not a traceback.
    """
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.models.hub import HubUnavailableError, hub_model_message, is_hub_error

    try:
        if preset.kind == "offline-me5":
            from mteb_hybrid.models.offline_me5 import load_offline_me5

            model = load_offline_me5(device=device)
        elif preset.kind == "m2m100-encoder":
            from mteb_hybrid.data.sources import cache_root
            from mteb_hybrid.models.m2m100 import build_m2m100_sentence_encoder

            folder = cache_root() / "models" / "base" / f"{_slug(Path(preset.model).name)}-encoder"
            if not (folder / "modules.json").is_file():
                logger.info("saving the encoder of %s on its own into %s (once)", preset.model, folder)
                build_m2m100_sentence_encoder(preset.model, folder, pooling=preset.pooling)
            model = SentenceTransformer(str(folder), device=device)
        elif preset.kind == "transformer":
            model = sentence_encoder(preset.model, preset.pooling, device=device)
        else:
            model = SentenceTransformer(preset.model, device=device)
    except Exception as e:
        if is_hub_error(e):
            raise HubUnavailableError(hub_model_message(preset.model, f"--base {preset.name}", e)) from e
        raise
    inference_length = model.max_seq_length
    if max_seq_length is not None:
        model.max_seq_length = max_seq_length
    if preset.prompts and not any(model.prompts.values()):
        model.prompts = dict(preset.prompts)
    return model, inference_length


def model_prompts(model: Any) -> tuple[str, str]:
    """(query prompt, passage prompt) of a model: its "query" and "document"/"passage" prompts, or ""."""
    prompts = getattr(model, "prompts", None) or {}
    return prompts.get("query") or "", prompts.get("document") or prompts.get("passage") or ""
