"""Evaluation precision (fp32, bf16, fp16): choosing it, applying it to a model, and naming it.

A model cast to bf16 gives slightly different vectors, so its results must never be taken for fp32's: a non-fp32
model's revision gets a suffix (`<revision>-bf16`), and with it the result folder, the embedding cache and the
per-query records. fp32 keeps the plain revision, so every existing result and cache stays where it was.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16", "fp16", "auto")
# /proc/cpuinfo flags of CPUs that multiply bf16 natively (AVX-512 BF16, AMX); without them torch emulates bf16,
# which on an AVX2 CPU is several times slower than fp32 (benchmarks/precision_accuracy.py)
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def _dtypes() -> dict[str, Any]:
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def dtype_tag(dtype: Any) -> str:
    """'fp32', 'bf16' or 'fp16' for a torch dtype (None, or any other dtype, counts as fp32)."""
    return next((tag for tag, dt in _dtypes().items() if dt == dtype), "fp32")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo is not readable (then no native bf16 is assumed)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith(("flags", "Features"))), "")
    return set(line.partition(":")[2].split())


def cpu_has_native_bf16(flags: set[str] | None = None) -> bool:
    """True when the CPU has bf16 units (AVX-512 BF16 or AMX); torch's own CPU capability string does not say it."""
    return bool((cpu_flags() if flags is None else flags) & set(CPU_BF16_FLAGS))


def resolve_precision(precision: str, device: str = "cpu", *, flags: set[str] | None = None) -> str:
    """The precision to run at: `auto` is bf16 only on hardware with native bf16 (a CUDA GPU that supports it,
    a CPU with avx512_bf16/amx_bf16), else fp32; fp16 is refused off GPUs (CPU fp16 matmuls are emulated)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    kind = str(device).split(":")[0]
    if precision == "fp16" and kind == "cpu":
        raise ValueError("--precision fp16 needs a GPU (a CPU has no fp16 matrix units); use bf16 or fp32 on a CPU")
    if precision != "auto":
        return precision
    if kind == "cuda":
        import torch

        return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if kind == "cpu" and cpu_has_native_bf16(flags) else "fp32"


def torch_module(model: Any) -> Any | None:
    """The torch module behind an mteb encoder (its `.model`), or `model` itself if it is one; None otherwise."""
    import torch

    for candidate in (getattr(model, "model", None), model):
        if isinstance(candidate, torch.nn.Module):
            return candidate
    return None


def model_dtype(model: Any) -> Any | None:
    """The dtype of the model's first floating-point parameter (what it computes in), or None if it has none."""
    module = torch_module(model)
    if module is None:
        return None
    return next((p.dtype for p in module.parameters() if p.is_floating_point()), None)


def precision_revision(revision: Any, dtype: Any) -> Any:
    """`revision` for fp32, `<revision>-bf16` / `-fp16` otherwise (once); an unknown revision stays as it is, so that
    it is still treated as unknown (recomputed, never cached on disk)."""
    from mteb_hybrid.models.identity import known_revision

    tag = dtype_tag(dtype)
    if tag == "fp32" or not known_revision(revision) or str(revision).endswith(f"-{tag}"):
        return revision
    return f"{revision}-{tag}"


def name_precision(encoder: Any) -> Any:
    """Give the encoder's ModelMeta the revision of its actual dtype (read from its parameters); returns the encoder."""
    meta = getattr(encoder, "mteb_model_meta", None)
    if meta is None:
        return encoder
    revision = precision_revision(meta.revision, model_dtype(encoder))
    if revision != meta.revision:
        encoder.mteb_model_meta = meta.model_copy(update={"revision": revision})
    return encoder


def apply_precision(encoder: Any, precision: str) -> str:
    """Cast the encoder's weights to `precision` (auto resolved on its device) and name it; returns what was applied."""
    module = torch_module(encoder)
    if module is None:
        if precision in ("fp32", "auto"):
            return "fp32"
        raise ValueError(
            f"--precision {precision} casts a torch model's weights; {type(encoder).__name__} has none "
            "(use --precision fp32)"
        )
    device = str(next(module.parameters()).device)
    chosen = resolve_precision(precision, device)
    if precision == "auto":
        logger.info("precision auto on %s: %s", device, chosen)
    current = dtype_tag(model_dtype(encoder))
    if chosen != current:
        module.to(_dtypes()[chosen])
    name_precision(encoder)
    return chosen
