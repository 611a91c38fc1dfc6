"""Hub-dependent names on a machine without the Hugging Face hub (the tests run with HF_HUB_OFFLINE=1).

Each must end in one paragraph that says what needed the network and what runs offline, with "did you
mean" for a name one letter from ours, never the loader's traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SHARED_DATA

from bad_inputs import BadInput


def _rows(root: Path) -> None:
    """Four valid training rows in two languages, so training gets as far as loading the base model."""
    rows = [
        {"parallel_id": f"q{i}", "lang": lang, "query": f"question {i} {lang}", "positive": f"answer {i} {lang}"}
        for i in range(2)
        for lang in ("en", "de")
    ]
    (root / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _tiny_model(root: Path) -> None:
    from mteb_hybrid.models.tiny import build_tiny_bert

    build_tiny_bert(root / "tiny", hidden=16, layers=1, vocab_size=200)


CASES = [
    BadInput(
        # the mission's own command: an untrained hub-based model and mteb's hub task one letter from ours
        id="hub-untrained-model-and-near-task",
        argv=lambda root: ["evaluate", "-m", "hybrid-labse", "-t", "XQuADRetrieval"],
        message=r"hybrid-labse has not been trained.*did you mean XQuADRRetrieval",
    ),
    BadInput(
        # the training command that message suggests, offline: no transformers traceback
        id="hub-train-base-offline",
        argv=lambda root: [
            "train",
            "--base",
            "labse",
            "--data",
            str(root / "rows.jsonl"),
            "--max-steps",
            "1",
            "--output",
            str(root / "out"),
            "--validation-fraction",
            "0",
        ],
        setup=_rows,
        message=r"needs sentence-transformers/LaBSE from the Hugging Face hub.*Offline.*--base me5-small",
        kept=lambda root: [root / "rows.jsonl"],
    ),
    BadInput(
        # a model name one letter from ours is a typo, not a hub name
        id="hub-model-one-letter-from-ours",
        # (with the data at hand: evaluate reads and checks this package's data files before the model)
        argv=lambda root: [
            "evaluate",
            "-m",
            "hybrid-labze",
            "-t",
            "XQuADRRetrieval",
            "-l",
            "en",
            "--data-dir",
            str(SHARED_DATA),
        ],
        message=r"Did you mean hybrid-labse",
    ),
    BadInput(
        # mteb's MLQARetrieval downloads its data: a working local model gets as far as that, then one paragraph
        id="hub-task-data-offline",
        argv=lambda root: [
            "evaluate",
            "-m",
            str(root / "tiny"),
            "-t",
            "MLQARetrieval",
            "-l",
            "deu",
            "--output-folder",
            str(root / "out"),
        ],
        setup=_tiny_model,
        message=r"MLQARetrieval is mteb's own.*Did you mean MLQARRetrieval.*Offline, this package's tasks run",
    ),
]
