"""Which training checkpoint a resumed run may start from: the newest complete one.

transformers writes a checkpoint's model, optimizer, scheduler and RNG state first and `trainer_state.json`
last, each straight into `checkpoint-N/`. A run killed in between leaves a folder without (or with half) its
state, and `get_last_checkpoint` would pick it and fail on every resume. Such a folder is set aside (renamed,
never deleted) with a warning, and the previous checkpoint is used.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")  # transformers' PREFIX_CHECKPOINT_DIR and step
TRAINER_STATE = "trainer_state.json"
SET_ASIDE_PREFIX = "incomplete-"  # transformers' checkpoint regex and rotation glob never match these names
# Written before trainer_state.json when the optimizer is saved (save_only_model is never set here).
REQUIRED_FILES = ("modules.json", "optimizer.pt", "scheduler.pt")
WEIGHT_FILES = (
    "model.safetensors",
    "pytorch_model.bin",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)


def incomplete_reason(folder: Path) -> str | None:
    """Why `folder` (checkpoint-N) cannot be resumed from, or None when it is complete."""
    step = int(CHECKPOINT.match(folder.name).group(1))  # type: ignore[union-attr]
    state_path = folder / TRAINER_STATE
    if not state_path.is_file():
        return f"no {TRAINER_STATE}"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        return f"{TRAINER_STATE} is not readable JSON ({type(e).__name__})"
    if not isinstance(state, dict) or state.get("global_step") != step:
        got = state.get("global_step") if isinstance(state, dict) else None
        return f"{TRAINER_STATE} says step {got!r}, the folder step {step}"
    if missing := [name for name in REQUIRED_FILES if not (folder / name).is_file()]:
        return f"no {', '.join(missing)}"
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        return "no weight file"
    return None


def _set_aside(folder: Path) -> Path:
    """Rename `folder` to incomplete-checkpoint-N (a free name), out of transformers' sight."""
    target = folder.with_name(SET_ASIDE_PREFIX + folder.name)
    n = 1
    while target.exists():
        n += 1
        target = folder.with_name(f"{SET_ASIDE_PREFIX}{folder.name}-{n}")
    folder.rename(target)
    return target


def last_complete_checkpoint(checkpoint_dir: str | Path) -> str | None:
    """The newest complete checkpoint-N under `checkpoint_dir` (None if none); newer incomplete ones are set
    aside with a warning each, so that the next resume does not meet them again."""
    checkpoint_dir = Path(checkpoint_dir)
    if not checkpoint_dir.is_dir():
        return None
    found = sorted(
        (p for p in checkpoint_dir.iterdir() if p.is_dir() and CHECKPOINT.match(p.name)),
        key=lambda p: int(CHECKPOINT.match(p.name).group(1)),
        reverse=True,
    )  # type: ignore[union-attr]
    for folder in found:
        reason = incomplete_reason(folder)
        if reason is None:
            return str(folder)
        moved = _set_aside(folder)
        logger.warning(
            "%s is incomplete (%s: the run was stopped while writing it); set aside as %s, resuming "
            "from the previous checkpoint",
            folder,
            reason,
            moved.name,
        )
    return None
