"""Every command in README.md and in every hint the tool prints runs as written on a fresh clone.

The commands are read from README's ```bash blocks and from the printed hints (`--help` epilog, quickstart's
"Next", `mteb-hybrid models`, the untrained-model and hub errors). Each must parse (argparse of `mteb-hybrid`,
or of mteb's own CLI for `mteb run`); the cheap ones run here as written, with only the output folder moved to
a temporary one and the tiny test model standing in for offline-me5-small: set the data folder, help,
models, compare on the shipped results, a 2-language evaluation, export of a selection.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from mteb_hybrid.cli import EPILOG, build_parser, main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
QUICK_PATH = ["quickstart", "--quick"]  # README's placeholder for the quick path, which another change adds


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def simple_commands(text: str) -> list[list[str]]:
    """Shell lines -> argv lists: continuations joined, comments dropped, `&&` / `|` chains split, leading
    VAR=value assignments and `.venv/bin/` dropped (README says to activate the venv)."""
    out: list[list[str]] = []
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        current: list[str] = []
        for word in [*shlex.split(line, comments=True), "&&"]:
            if word in ("&&", "|", ";"):
                while current and re.match(r"^[A-Z_]+=", current[0]):
                    current.pop(0)
                if current:
                    out.append([current[0].removeprefix(".venv/bin/"), *current[1:]])
                current = []
            else:
                current.append(word)
    return out


def readme_commands(program: str) -> list[list[str]]:
    return [c[1:] for block in bash_blocks(README) for c in simple_commands(block) if c[0] == program]


def hint_lines(text: str, program: str = "mteb-hybrid") -> list[list[str]]:
    """Commands in printed text: lines (or `backticked` spans) that start with the program."""
    found = re.findall(rf"`({program} [^`]+)`", text)
    found += [
        line.strip().split("  (")[0].split("  #")[0]
        for line in text.splitlines()
        if line.strip().startswith(program + " ")
    ]
    return [shlex.split(f)[1:] for f in found]


def parses(argv: list[str]) -> None:
    """argparse accepts `mteb-hybrid ARGV` (`--help` exits 0); README's quick-path line may name `--quick`
    before that option exists, and nothing else unknown."""
    parser = build_parser()
    if "--help" in argv or "-h" in argv:
        with pytest.raises(SystemExit) as e:
            parser.parse_args(argv)
        assert e.value.code == 0
        return
    _, unknown = parser.parse_known_args(argv)
    assert unknown in ([], ["--quick"]) if argv[:2] == QUICK_PATH else unknown == [], (argv, unknown)


# ---- the two commands, and CI ----------------------------------------------------------------------------------


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = [
        line
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    lines = [line for block in bash_blocks(README) for line in block.splitlines()]
    test_line = lines[lines.index("# the tests (this is what .ci/run runs)") + 1]
    assert ci == [test_line]
    assert test_line.endswith("HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -q")


def test_the_main_job_and_the_quick_path_parse() -> None:
    main_job = [c for c in readme_commands("mteb-hybrid") if c[0] == "quickstart"]
    assert ["quickstart", "--data-dir", "../shared/data"] in main_job
    assert QUICK_PATH + ["--data-dir", "../shared/data"] in main_job  # placeholder near the top: parsed, not run
    assert README.index("quickstart --quick") < README.index("# the main job")
    for argv in main_job:
        parses(argv)


# ---- every command parses --------------------------------------------------------------------------------------


def test_every_readme_mteb_hybrid_command_parses() -> None:
    commands = readme_commands("mteb-hybrid")
    assert len(commands) >= 15 and {c[0] for c in commands} >= {
        "config",
        "quickstart",
        "evaluate",
        "compare",
        "train",
        "experiment",
        "report",
        "submit",
        "export",
    }
    for argv in commands:
        parses(argv)


def test_every_readme_mteb_command_parses_and_writes_outside_the_shipped_results() -> None:
    from mteb.cli.build_cli import build_cli

    commands = readme_commands("mteb")
    assert [c[0] for c in commands].count("run") >= 2
    for argv in commands:
        args = build_cli().parse_args(argv)
        if argv[0] == "run":  # mteb's default output folder is ./results: inside the shipped results/ here
            assert args.output_folder and not Path(args.output_folder).resolve().is_relative_to(REPO / "results")


def test_readme_python_is_valid_and_needs_no_data_argument() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    for block in blocks:
        ast.parse(block)
        assert "data_dir" not in block  # the data folder comes from the config, as for mteb run


def test_the_commands_the_tool_prints_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mteb.cli.build_cli import build_cli

    from mteb_hybrid.models.hub import hub_model_message
    from mteb_hybrid.models.listing import format_models, list_models
    from mteb_hybrid.models.metas import HYBRID_MODELS, load_hybrid
    from mteb_hybrid.quickstart import next_steps

    monkeypatch.delenv("MTEB_HYBRID_DATA_DIR", raising=False)
    texts = [EPILOG, hub_model_message("sentence-transformers/LaBSE", "training")]
    for where in (REPO, tmp_path):
        monkeypatch.chdir(where)
        texts.append(
            next_steps(Path("qs-out"), "../shared/data", ("en", "de", "th"), "hybrid-me5-small", 300.0, 130.0, 100, 32)
        )
    texts.append(format_models(list_models()))
    for alias in HYBRID_MODELS:
        try:
            load_hybrid(alias)
        except FileNotFoundError as e:  # not trained here: the message holds the command that trains it
            texts.append(f"`{str(e).split('with: ', 1)[1].split('. ', 1)[0].removesuffix('.')}`")
    commands = [c for text in texts for c in hint_lines(text)]
    assert {c[0] for c in commands} >= {"quickstart", "models", "evaluate", "summarize", "train"}
    for argv in commands:
        parses(argv)
    trains = [build_parser().parse_args(c) for c in commands if c[0] == "train"]
    assert all(t.data_dir for t in trains)  # no data folder configured here: every training hint names one
    mteb_runs = [
        c for text in texts for c in hint_lines(text.replace("MTEB_HYBRID_DATA_DIR=../shared/data ", ""), "mteb")
    ]
    assert mteb_runs
    for argv in mteb_runs:
        build_cli().parse_args(argv)


# ---- the cheap ones run as written ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[Path]:
    """The project root as cwd, an empty user config, no $MTEB_HYBRID_DATA_DIR; returns a scratch folder."""
    scratch = tmp_path_factory.mktemp("readme")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        mp.setenv("MTEB_HYBRID_CONFIG", str(scratch / "config.json"))
        mp.delenv("MTEB_HYBRID_DATA_DIR", raising=False)
        yield scratch


def as_written(argv: list[str], scratch: Path, data_dir: Path) -> list[str]:
    """The README's argv with its output under `scratch` (out/x -> scratch/out/x) and the data folder where the
    test data is (the same folder on a fresh clone)."""
    shared = str(data_dir) if (REPO / "../shared/data").resolve() != data_dir.resolve() else "../shared/data"
    return [shared if a == "../shared/data" else str(scratch / a) if a.startswith("out/") else a for a in argv]


def _one(commands: list[list[str]], first: str, *contains: str) -> list[str]:
    found = [c for c in commands if c[0] == first and all(x in c for x in contains)]
    assert found, (first, contains)
    return found[0]


def test_cheap_readme_commands_run_as_written(
    fresh_clone: Path, data_dir: Path, tiny_bert: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = readme_commands("mteb-hybrid")
    # the data folder, set once
    assert main(as_written(_one(commands, "config", "data-dir"), fresh_clone, data_dir)) == 0
    assert json.loads((fresh_clone / "config.json").read_text())["data_dir"] == str(data_dir.resolve())
    # help
    with pytest.raises(SystemExit) as e:
        main(_one(commands, "train", "--help"))
    assert e.value.code == 0
    # models (from the help epilog)
    assert main(["models"]) == 0
    assert "offline-me5-small" in capsys.readouterr().out
    # compare on the shipped seeds
    compare = [c for c in commands if c[0] == "compare" and c[1].startswith("results/")]
    assert len(compare) == 1 and main(compare[0]) == 0
    assert "verdict for A > B:" in capsys.readouterr().out


def test_a_two_language_evaluation_runs_as_written(fresh_clone: Path, data_dir: Path, tiny_bert: Path) -> None:
    """README's evaluate line, the tiny model for offline-me5-small, two of its languages; the data folder comes
    from the config the README sets (the line has no --data-dir)."""
    from mteb_hybrid.userconfig import set_data_dir

    set_data_dir(data_dir)
    argv = as_written(_one(readme_commands("mteb-hybrid"), "evaluate", "offline-me5-small"), fresh_clone, data_dir)
    assert "--data-dir" not in argv
    langs = argv.index("-l")
    argv = (
        [str(tiny_bert) if a == "offline-me5-small" else a for a in argv[: langs + 1]]
        + ["en", "de"]
        + argv[langs + 4 :]
    )
    assert main(argv) == 0
    [result] = (fresh_clone / "out" / "base").rglob("XQuADRSentenceRetrieval.json")
    subsets = {s["hf_subset"] for s in json.loads(result.read_text())["scores"]["test"]}
    assert subsets == {"en-en", "en-de", "de-en", "de-de", "en-pool", "de-pool"}


def test_the_export_of_a_selection_runs_as_written(fresh_clone: Path, data_dir: Path) -> None:
    argv = as_written(_one(readme_commands("mteb-hybrid"), "export", "-l"), fresh_clone, data_dir)
    assert main(argv) == 0
    out = fresh_clone / "out" / "small"
    assert (out / "datasets" / "XQuADRSentenceRetrieval" / "README.md").is_file()
    assert list((out / "mteb" / "tasks" / "retrieval" / "multilingual").glob("*.py"))
