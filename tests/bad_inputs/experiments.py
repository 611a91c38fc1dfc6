"""Bad experiment configs: unknown names, typos in subsets and keys, escaping names, the zero-shot guard, stale
cells."""

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
    (folder / "cell.json").write_text(
        json.dumps(
            {
                "experiment": "tiny",
                "cell": "hybrid",
                "status": "done",
                "seed": None,
                "group": "hybrid",
                "params": {},
                "train": {**cell.train.to_dict(), "max_steps": 40},
                "model_name": "mteb-hybrid/tiny-hybrid",
                "revision": "0123456789ab",
                "training_languages": ["en"],
                "unseen_languages": [],
                "train_seconds": 1.0,
                "eval_seconds": 1.0,
                "smoke": False,
                "command": "mteb-hybrid experiment exp.yaml --cells hybrid",
            }
        )
    )


BOMB = """\
    a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def _bomb(where: str):  # noqa: ANN202
    """An alias bomb (9^7 strings once expanded) written into `where` of the config."""

    def setup(root: Path) -> None:
        body = textwrap.dedent(GOOD)
        if where == "params":
            body = body.replace("{id: base, train: null}", "{id: base, train: null, params: {x: *g}}")
        else:
            body = body.replace("name: tiny", "name: tiny\ndescription: *g")
        (root / "exp.yaml").write_text(
            "bomb:\n" + textwrap.indent(textwrap.dedent(BOMB), "  ") + body, encoding="utf-8"
        )

    return setup


def _base_folder_experiment(root: Path) -> None:
    """A base-model cell of a folder base, finished; then the folder's pooling changes (mean, was cls)."""
    from conftest import SHARED_DATA

    from mteb_hybrid.cli import main
    from mteb_hybrid.models.tiny import build_tiny_bert

    build_tiny_bert(root / "base", hidden=16, layers=1, vocab_size=200)
    (root / "exp.yaml").write_text(
        textwrap.dedent(f"""\
        name: folder-base
        base: {root / "base"}
        eval: {{tasks: [XQuADRSentenceRetrieval], languages: [en, de], subsets: [en-de, de-de], batch_size: 64}}
        cells:
          - {{id: base, train: null}}
        """),
        encoding="utf-8",
    )
    assert (
        main(["experiment", str(root / "exp.yaml"), "--results", str(root / "results"), "--data-dir", str(SHARED_DATA)])
        == 0
    )
    pooling = root / "base" / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text().replace('"cls"', '"mean"'))


CASES = [
    BadInput(
        id="experiment-unknown-task-suggests",
        setup=_config(("tasks: [XQuADRSentenceRetrieval]", "tasks: [XQuADRRetreival]")),
        argv=_check,
        message=r"exp\.yaml: eval\.tasks: unknown task 'XQuADRRetreival'; did you mean XQuADRRetrieval",
    ),
    BadInput(
        id="experiment-subset-typo",
        setup=_config(("languages: [en, de]}", "languages: [en, de], subsets: [en-en, en-xx]}")),
        argv=_check,
        message=r"exp\.yaml: eval\.subsets: 'en-xx' is not a subset of XQuADRSentenceRetrieval",
    ),
    BadInput(
        id="experiment-language-typo",
        setup=_config(("languages: [en, de]}", "languages: [en, dd]}")),
        argv=_check,
        message=r"exp\.yaml: eval\.languages: 'dd' is not a language of XQuADRSentenceRetrieval \(ar, de, el, en,",
    ),
    BadInput(
        id="experiment-unknown-key",
        setup=_config(("languages: [en, de]}", "languages: [en, de], subsetz: [en-en]}")),
        argv=_check,
        message=r"exp\.yaml: eval\.subsetz: unknown key; did you mean subsets\?",
    ),
    BadInput(
        id="experiment-unknown-training-setting",
        setup=_config(("{batching: hybrid}", "{batching: hybrid, alpah: 0.3}")),
        argv=_check,
        message=r"exp\.yaml: cells\[1\]\.train\.alpah: unknown training setting; did you mean alpha",
    ),
    BadInput(
        id="experiment-name-escapes",
        setup=_config(("name: tiny", "name: ../../x")),
        argv=_check,
        message=r"exp\.yaml: name: experiment name '\.\./\.\./x' cannot be used as a folder name",
    ),
    BadInput(
        id="experiment-cell-id-escapes",
        setup=_config(("{id: hybrid,", "{id: ../../x,")),
        argv=_check,
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
        argv=lambda root: [
            "experiment",
            str(root / "exp.yaml"),
            "--smoke",
            "--cells",
            "hybrid",
            "--results",
            str(root / "r"),
            "--data-dir",
            str(DATA),
        ],
        message=r"exp\.yaml: zero-shot guard: training data overlaps the evaluation tasks: "
        r"XQuADRSentenceRetrieval \(\d+ queries, \d+ passages\)",
    ),
    BadInput(
        id="experiment-stale-cell",
        setup=_stale_cell,
        argv=lambda root: [
            "experiment",
            str(root / "exp.yaml"),
            "--results",
            str(root / "results"),
            "--data-dir",
            str(DATA),
        ],
        message=r"finished cells ran with other inputs .*hybrid \(train\.max_steps: 40 -> 80\).*--force",
        kept=lambda root: [root / "results" / "experiments" / "tiny" / "hybrid" / "cell.json"],
    ),
    BadInput(
        id="experiment-check-runs-the-guard",
        setup=_config(("data: [mlqa-r]", "data: ['xquad-r:en,de']")),
        argv=lambda root: [*_check(root), "--data-dir", str(DATA)],
        message=r"exp\.yaml: zero-shot guard: training data overlaps the evaluation tasks: XQuADRSentenceRetrieval "
        r"\(\d+ queries, \d+ passages\).*\[cell\(s\) hybrid\]",
    ),
    BadInput(
        id="experiment-check-guard-needs-the-data",
        setup=_config(),
        argv=lambda root: [*_check(root), "--data-dir", str(root / "no-data")],
        message=r"the zero-shot guard cannot read the data it compares: .*no-data",
    ),
    BadInput(
        id="experiment-alias-bomb-in-params",
        setup=_bomb("params"),
        argv=_check,
        message=r"exp\.yaml: line \d+: YAML alias \*a is not accepted in experiment configs",
    ),
    BadInput(
        id="experiment-alias-bomb-in-description",
        setup=_bomb("description"),
        argv=_check,
        message=r"exp\.yaml: line \d+: YAML alias \*a is not accepted",
    ),
    BadInput(
        id="experiment-label-too-long",
        setup=_config(("{id: base, train: null}", "{id: base, train: null, params: {note: '" + "x" * 201 + "'}}")),
        argv=_check,
        message=r"exp\.yaml: cells\[0\]\.params\.note: a label is a text of at most 200 characters",
    ),
    BadInput(
        id="experiment-too-many-languages",
        setup=_config(("languages: [en, de]}", "languages: [" + ", ".join(["en"] * 2001) + "]}")),
        argv=_check,
        message=r"exp\.yaml: eval\.languages: List should have at most 2000 items .*\(\d+ characters\)\)$",
    ),
    BadInput(
        id="experiment-config-too-large",
        setup=lambda root: (root / "exp.yaml").write_text(textwrap.dedent(GOOD) + "#" * (1 << 20)),
        argv=_check,
        message=r"exp\.yaml: \d+ bytes; an experiment config is at most 1048576 bytes",
    ),
    BadInput(
        id="experiment-eval-batch-size-zero",
        setup=_config(("languages: [en, de]}", "languages: [en, de], batch_size: 0}")),
        argv=_check,
        message=r"exp\.yaml: eval\.batch_size: Input should be greater than 0",
    ),
    BadInput(
        id="experiment-base-folder-changed-pooling",
        setup=_base_folder_experiment,
        argv=lambda root: [
            "experiment",
            str(root / "exp.yaml"),
            "--results",
            str(root / "results"),
            "--data-dir",
            str(DATA),
        ],
        message=r'finished cells ran with other inputs .*base \(base\.revision: "[0-9a-f]{16}" -> '
        r'"[0-9a-f]{16}"\).*--force',
        kept=lambda root: [root / "results" / "experiments" / "folder-base" / "base" / "cell.json"],
    ),
]
