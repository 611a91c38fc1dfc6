"""Bad experiment configs: unknown names, typos in subsets and keys, escaping names, the zero-shot guard, stale cells."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from bad_inputs import BadInput

DATA = Path(os.environ.get("MTEB_HYBRID_TEST_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))

GOOD = """
    name: tiny
    base: me5-small
    data: [mlqa-r]
    train: {candidate_form: sentence, max_seq_length: 32, max_steps: 40}
    eval: {tasks: [XQuADRSentenceRetrieval], languages: [en, de]}
    cells:
      - {id: base, train: null}
      - {id: hybrid, train: {batching: hybrid}}
"""


def _config(*replacements: tuple[str, str]):  # noqa: ANN202
    def setup(root: Path) -> None:
        body = textwrap.dedent(GOOD)
        for old, new in replacements:
            assert old in body, old
            body = body.replace(old, new)
        (root / "exp.yaml").write_text(body, encoding="utf-8")
    return setup


def _check(root: Path) -> list[str]:
    return ["experiment", str(root / "exp.yaml"), "--check"]


def _stale_cell(root: Path) -> None:
    """A finished cell (written before provenance was recorded) trained for 40 steps; the config now says 80."""
    _config(("max_steps: 40", "max_steps: 80"))(root)
    from mteb_hybrid.experiments import load_experiment

    cell = load_experiment(root / "exp.yaml").cells[1]
    folder = root / "results" / "experiments" / "tiny" / "hybrid"
    folder.mkdir(parents=True)
    (folder / "cell.json").write_text(json.dumps({
        "experiment": "tiny", "cell": "hybrid", "status": "done", "seed": None, "group": "hybrid", "params": {},
        "train": {**cell.train.to_dict(), "max_steps": 40}, "model_name": "mteb-hybrid/tiny-hybrid",
        "revision": "0123456789ab", "training_languages": ["en"], "unseen_languages": [], "train_seconds": 1.0,
        "eval_seconds": 1.0, "smoke": False, "command": "mteb-hybrid experiment exp.yaml --cells hybrid"}))


CASES = [
    BadInput(
        id="experiment-unknown-task-suggests",
        setup=_config(("tasks: [XQuADRSentenceRetrieval]", "tasks: [XQuADRRetreival]")), argv=_check,
        message=r"exp\.yaml: eval\.tasks: unknown task 'XQuADRRetreival'; did you mean XQuADRRetrieval",
    ),
    BadInput(
        id="experiment-subset-typo",
        setup=_config(("languages: [en, de]}", "languages: [en, de], subsets: [en-en, en-xx]}")), argv=_check,
        message=r"exp\.yaml: eval\.subsets: 'en-xx' is not a subset of XQuADRSentenceRetrieval",
    ),
    BadInput(
        id="experiment-language-typo",
        setup=_config(("languages: [en, de]}", "languages: [en, dd]}")), argv=_check,
        message=r"exp\.yaml: eval\.languages: 'dd' is not a language of XQuADRSentenceRetrieval \(ar, de, el, en,",
    ),
    BadInput(
        id="experiment-unknown-key",
        setup=_config(("languages: [en, de]}", "languages: [en, de], subsetz: [en-en]}")), argv=_check,
        message=r"exp\.yaml: eval\.subsetz: unknown key; did you mean subsets\?",
    ),
    BadInput(
        id="experiment-unknown-training-setting",
        setup=_config(("{batching: hybrid}", "{batching: hybrid, alpah: 0.3}")), argv=_check,
        message=r"exp\.yaml: cells\[1\]\.train\.alpah: unknown training setting; did you mean alpha",
    ),
    BadInput(
        id="experiment-name-escapes",
        setup=_config(("name: tiny", "name: ../../x")), argv=_check,
        message=r"exp\.yaml: name: experiment name '\.\./\.\./x' cannot be used as a folder name",
    ),
    BadInput(
        id="experiment-cell-id-escapes",
        setup=_config(("{id: hybrid,", "{id: ../../x,")), argv=_check,
        message=r"exp\.yaml: cells\[1\]\.id: cell id '\.\./\.\./x' cannot be used as a folder name",
    ),
    BadInput(
        id="experiment-guard-cannot-check",
        setup=_config(("tasks: [XQuADRSentenceRetrieval], languages: [en, de]", "tasks: [BelebeleRetrieval]")),
        argv=_check,
        message=r"zero-shot guard cannot check eval task\(s\) BelebeleRetrieval .*--allow-overlap",
    ),
    BadInput(
        id="experiment-guard-refuses-overlap",
        setup=_config(("data: [mlqa-r]", "data: ['xquad-r:en,de']")),
        argv=lambda root: ["experiment", str(root / "exp.yaml"), "--smoke", "--cells", "hybrid",
                           "--results", str(root / "r"), "--data-dir", str(DATA)],
        message=r"exp\.yaml: zero-shot guard: training data overlaps XQuADRSentenceRetrieval \(\d+ queries, \d+ passages\)",
    ),
    BadInput(
        id="experiment-stale-cell",
        setup=_stale_cell,
        argv=lambda root: ["experiment", str(root / "exp.yaml"), "--results", str(root / "results"),
                           "--data-dir", str(DATA)],
        message=r"finished cells ran with other inputs .*hybrid \(train\.max_steps: 40 -> 80\).*--force",
        kept=lambda root: [root / "results" / "experiments" / "tiny" / "hybrid" / "cell.json"],
    ),
]
