"""Which checkpoint a resumed run starts from: the newest complete one; incomplete ones are set aside, not deleted.

Checkpoints here are stand-in folders holding the files transformers writes (their content is not read, except
trainer_state.json); tests/bad_inputs/resume.py resumes real training runs from damaged checkpoint folders.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from mteb_hybrid.training.checkpoints import incomplete_reason, last_complete_checkpoint


def _checkpoint(root: Path, step: int, *, state: str | None = "ok", drop: tuple[str, ...] = ()) -> Path:
    """checkpoint-<step> with every file; `state` "ok" writes a valid trainer_state.json, a string writes that
    text, None writes none; `drop` leaves files out."""
    folder = root / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    for name in ("modules.json", "model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth"):
        if name not in drop:
            (folder / name).write_bytes(b"x")
    if state is not None:
        text = json.dumps({"global_step": step, "log_history": []}) if state == "ok" else state
        (folder / "trainer_state.json").write_text(text)
    return folder


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"state": None}, "no trainer_state.json"),
        ({"state": '{"global_step": 3, "log_hist'}, "trainer_state.json is not readable JSON"),
        ({"state": '{"global_step": 2}'}, "trainer_state.json says step 2, the folder step 3"),
        ({"state": "[]"}, "trainer_state.json says step None"),
        ({"drop": ("optimizer.pt",)}, "no optimizer.pt"),
        ({"drop": ("model.safetensors",)}, "no weight file"),
    ],
)
def test_incomplete_checkpoint_is_set_aside_and_the_previous_one_used(
    tmp_path: Path, damage: dict, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = _checkpoint(tmp_path, 2)
    broken = _checkpoint(tmp_path, 3, **damage)
    assert incomplete_reason(first) is None and reason in incomplete_reason(broken)
    with caplog.at_level(logging.WARNING):
        assert last_complete_checkpoint(tmp_path) == str(first)
    assert not broken.exists() and (tmp_path / "incomplete-checkpoint-3").is_dir()  # renamed, nothing deleted
    assert f"checkpoint-3 is incomplete ({reason}" in caplog.text
    assert last_complete_checkpoint(tmp_path) == str(first)  # the next resume does not meet it again


def test_steps_are_ordered_as_numbers_and_names_never_collide(tmp_path: Path) -> None:
    _checkpoint(tmp_path, 9)
    ten = _checkpoint(tmp_path, 10)
    assert last_complete_checkpoint(tmp_path) == str(ten)  # 10 after 9, not before it as text
    (tmp_path / "incomplete-checkpoint-11").mkdir()  # set aside by an earlier resume
    _checkpoint(tmp_path, 11, state=None)
    assert last_complete_checkpoint(tmp_path) == str(ten)
    assert (tmp_path / "incomplete-checkpoint-11").is_dir() and (tmp_path / "incomplete-checkpoint-11-2").is_dir()


def test_no_complete_checkpoint_means_starting_from_the_base_model(tmp_path: Path) -> None:
    assert last_complete_checkpoint(tmp_path / "absent") is None
    _checkpoint(tmp_path, 1, state=None)
    assert last_complete_checkpoint(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == ["incomplete-checkpoint-1"]
