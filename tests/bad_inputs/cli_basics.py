"""Bad inputs at the command line itself (files that are not there, option values out of range)."""

from __future__ import annotations

from pathlib import Path

from conftest import SHARED_DATA

from bad_inputs import BadInput


def _evaluate(batch_size: str):  # noqa: ANN202
    # a model folder that does not exist: the batch size must be refused before anything is read or loaded
    return lambda root: [
        "evaluate",
        "-m",
        str(root / "no-model"),
        "-t",
        "XQuADRSentenceRetrieval",
        "--subsets",
        "en-de",
        "--data-dir",
        str(SHARED_DATA),
        "--output-folder",
        str(root / "out"),
        "--batch-size",
        batch_size,
    ]


def _nothing_written(root: Path) -> None:
    assert not (root / "out").exists() and not (root / "q").exists()


CASES = [
    BadInput(
        id="experiment-config-missing",
        argv=lambda root: ["experiment", str(root / "nope.yaml"), "--check"],
        message=r"nope\.yaml",
    ),
    BadInput(
        id="evaluate-batch-size-zero",
        argv=_evaluate("0"),
        check=_nothing_written,
        message=r"^error: --batch-size: Input should be greater than 0 \(got 0\); give a whole number > 0$",
    ),
    BadInput(
        id="evaluate-batch-size-negative",
        argv=_evaluate("-3"),
        check=_nothing_written,
        message=r"^error: --batch-size: Input should be greater than 0 \(got -3\)",
    ),
    BadInput(
        # checked before the first step (a 5-minute evaluation) rather than when training starts
        id="quickstart-batch-size-zero",
        check=_nothing_written,
        argv=lambda root: [
            "quickstart",
            "--data-dir",
            str(SHARED_DATA),
            "--output-folder",
            str(root / "q"),
            "--batch-size",
            "0",
        ],
        message=r"^error: --batch-size must be >= 1, got 0$",
    ),
]
