"""The pull-request kit: mteb's own checks on the generated files, the benchmark under stock mteb (no mteb-hybrid
importable), the compact sample, the PR text's figures, the upload script up to the network call, and the export
never touching files it did not write.

Checks replicated from mteb (mteb's test helpers and bibtexparser are not installed here):
- tests/test_tasks/test_metadata.py::test_all_metadata_is_filled_and_valid (metadata valid and filled, no remote
  code, descriptive statistics present, n_samples);
- tests/test_validate_metadata/test_citation_formatting.py (citation equals bibtexparser 1.x's rewrite; the rewrite
  is replicated in mteb_hybrid/upstream/citation.py and compared with bibtexparser itself where it is installed);
- ruff format (mteb pins ruff 0.16.0, line length 88): the shape checks below; `ruff format --check` runs too where
  a ruff executable is on PATH.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mteb.models.search_wrappers import SearchEncoderWrapper
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
from sentence_transformers import SentenceTransformer

from mteb_hybrid.benchmark import TASK_CLASSES
from mteb_hybrid.cli import main
from mteb_hybrid.data.records import Candidate, LanguageData, ParallelDataset, Question
from mteb_hybrid.upstream.citation import bibtex_title, format_bibtex
from mteb_hybrid.upstream.compact import compact_subsets, sample, stock_encodes
from mteb_hybrid.upstream.export import export, local_stats_path
from mteb_hybrid.upstream.kit import BENCHMARK_FILE, MODELS_FILE, RUNNER, UPLOAD_SCRIPT
from mteb_hybrid.upstream.taskfile import LINE_LENGTH, load_task_classes
from mteb_hybrid.upstream.writer import MANIFEST, ExportConflict

TASK = "MLQARSentenceRetrieval"
ENCODE = {"batch_size": 128, "show_progress_bar": False}


@pytest.fixture(scope="module")
def kit(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MLQA-R (sentence form) for English questions: en-en and en-pool (7 languages' 20k candidates), with the kit."""
    out = tmp_path_factory.mktemp("kit")
    export(out, [TASK], data_dir=data_dir, languages=["en"], kit=True)
    return out


# --------------------------------------------------------------------------------------------- citation


def test_format_bibtex_sorts_entries_by_key_and_fields_alphabetically() -> None:
    given = """@Article{zeta2020,
  title = {{Zeta}: a "test"},
  Author = "Doe, Jane",
  year = 2020
}
@inproceedings{alpha2019, year = {2019}, title = {Alpha {B}eta},}"""
    expected = """@inproceedings{alpha2019,
  title = {Alpha {B}eta},
  year = {2019},
}

@article{zeta2020,
  author = {Doe, Jane},
  title = {{Zeta}: a "test"},
  year = {2020},
}"""
    assert format_bibtex(given) == expected
    assert format_bibtex(expected) == expected  # idempotent: what the check needs
    assert bibtex_title(given) == 'Zeta: a "test"'
    try:  # the replicated writer against the real one, where it is installed
        import bibtexparser
        from bibtexparser.bwriter import BibTexWriter
    except ImportError:
        return
    parser = bibtexparser.bparser.BibTexParser(
        common_strings=True, ignore_nonstandard_types=False, interpolate_strings=False
    )
    writer = BibTexWriter()
    writer.indent, writer.comma_first, writer.add_trailing_comma = "  ", False, True
    assert writer.write(bibtexparser.loads(given, parser)).strip() == expected


# --------------------------------------------------------------------------------------------- mteb's checks


def _string_lines(source: str) -> set[int]:
    """Line numbers inside multi-line or long string literals (ruff does not split strings)."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


@pytest.mark.parametrize("rel", ["task", BENCHMARK_FILE, MODELS_FILE])
def test_generated_python_has_ruff_formats_shape(kit: Path, rel: str) -> None:
    path = next((kit / "mteb/tasks/retrieval/multilingual").glob("*.py")) if rel == "task" else kit / rel
    source = path.read_text(encoding="utf-8")
    compile(source, str(path), "exec")
    strings = _string_lines(source)
    for n, line in enumerate(source.splitlines(), 1):
        assert len(line) <= LINE_LENGTH or n in strings, f"{path.name}:{n} longer than {LINE_LENGTH}"
        assert line == line.rstrip() and "\t" not in line, f"{path.name}:{n} trailing space or tab"
        assert (len(line) - len(line.lstrip())) % 4 == 0 or n in strings, f"{path.name}:{n} indent"
        assert "'" not in line.split("#")[0] or n in strings or '"' in line, f"{path.name}:{n} single quotes"
    assert source.endswith("\n") and not source.endswith("\n\n")
    for node in ast.walk(ast.parse(source)):  # a bracket over several lines ends with a trailing comma
        if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.Call)) and node.end_lineno != node.lineno:
            inner = source.splitlines()[node.end_lineno - 2].rstrip()
            assert inner.endswith((",", "(", "[", "{")) or node.end_lineno - 1 in strings, f"{path.name}:{node.lineno}"
    if (ruff := shutil.which("ruff")) is not None:
        check = subprocess.run(
            [ruff, "format", "--check", "--target-version", "py310", str(path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_generated_tasks_pass_mtebs_metadata_and_citation_checks(kit: Path) -> None:
    [(name, cls)] = load_task_classes(kit).items()
    stats = kit / "mteb/descriptive_stats/Retrieval" / f"{name}.json"
    with local_stats_path(stats):
        task = cls()
        task.metadata._validate_metadata()  # as test_all_metadata_is_filled_and_valid
        assert task.metadata.is_filled()
        assert task.metadata.dataset.get("trust_remote_code", False) is False
        assert isinstance(task.metadata.simplified_task_type, str)
        assert task.metadata.descriptive_stats is not None and task.metadata.n_samples is not None
    citation = task.metadata.bibtex_citation.strip()
    assert format_bibtex(citation) == citation and citation.count("@inproceedings") == 2
    benchmark = _benchmark(kit)
    assert format_bibtex(benchmark.citation.strip()) == benchmark.citation.strip()
    assert [t.metadata.name for t in benchmark.tasks] == [name]


def test_card_names_the_real_source_and_a_clean_reference(kit: Path) -> None:
    card = (kit / "datasets" / TASK / "README.md").read_text(encoding="utf-8")
    assert "| Reference     | [LAReQA: Language-Agnostic Answer Retrieval from a Multilingual Pool](" in card
    assert "[{LAReQA" not in card and "mteb/MLQARetrieval" not in card
    assert "source_datasets:\n- https://github.com/google-research-datasets/lareqa/tree/354d67d1" in card


def test_descriptions_say_they_are_not_mtebs_tasks() -> None:
    for name, cls in TASK_CLASSES.items():
        own = "XQuADRetrieval" if name.startswith("XQuAD") else "MLQARetrieval"
        assert f"not mteb's {own}" in cls.metadata.description, name


# --------------------------------------------------------------------------------------------- stock mteb


def _benchmark(kit: Path):  # noqa: ANN202
    from mteb_hybrid.upstream.scores import local_benchmark

    return local_benchmark(kit)


_NO_PLUGIN = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("mteb_hybrid", "mteb_hybrid_hook"):
            raise ImportError("mteb-hybrid is not installed here")
sys.meta_path.insert(0, Block())
sys.path[:0] = json.loads(sys.argv[1])
import runpy
from mteb.models.search_wrappers import SearchEncoderWrapper
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
from sentence_transformers import SentenceTransformer
runner = runpy.run_path(sys.argv[2], run_name="kit_runner")
[task] = runner["load_benchmark"]().tasks
task.load_data()
model = SentenceTransformerEncoderWrapper(SentenceTransformer(sys.argv[3]))
scores = task.evaluate(SearchEncoderWrapper(model), "test", ["en-en", "en-pool"],
                       encode_kwargs={"batch_size": 128, "show_progress_bar": False})
assert not [m for m in sys.modules if m.startswith("mteb_hybrid")]
print("SCORES" + json.dumps(scores))
"""


def test_kit_benchmark_under_stock_mteb_reproduces_the_plugin(
    kit: Path, tiny_bert: Path, data_dir: Path, tmp_path: Path
) -> None:
    """`python -S` (no .pth, so no plugin hook) with mteb_hybrid unimportable: the kit's own runner loads the
    benchmark from the local export; a tiny model scores what it scores on the plugin task, to 1e-6."""
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _NO_PLUGIN, json.dumps(site), str(kit / RUNNER), str(tiny_bert)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs = json.loads(proc.stdout.split("SCORES", 1)[1])
    plugin = TASK_CLASSES[TASK](data_dir=data_dir).filter_languages(["en"])
    plugin.load_data()
    model = SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert)))
    plugin.k_values, plugin._top_k = (1, 3, 5, 10, 20, 100, 1000), 1000  # mteb's defaults, as the stock task has
    ours = plugin.evaluate(SearchEncoderWrapper(model), "test", ["en-en", "en-pool"], encode_kwargs=ENCODE)
    for subset in ("en-en", "en-pool"):
        keys = [k for k, v in theirs[subset].items() if isinstance(v, float)]
        assert len(keys) > 140 and theirs[subset]["main_score"] > 0
        assert max(abs(ours[subset][k] - theirs[subset][k]) for k in keys) <= 1e-6, subset


# --------------------------------------------------------------------------------------------- compact


def _toy() -> ParallelDataset:
    """Two languages, three English paragraphs (questions p1,p2 | p3 | p4), German paragraphs alike."""
    langs = {}
    for lang in ("en", "de"):
        paras = {"A": ["a1", "a2"], "B": ["b1", "b2", "b3"], "C": ["c1"]}
        cands, n = [], 0
        for para, sentences in paras.items():
            for sent in sentences:
                cands.append(Candidate(f"{lang}:{n}", lang, f"{lang}-{sent}", f"{lang}-{para}"))
                n += 1
        answer = {"p1": f"{lang}:0", "p2": f"{lang}:1", "p3": f"{lang}:3", "p4": f"{lang}:5"}
        qs = [
            Question(f"{lang}:{p}", p, lang, f"{lang} question {p}", a)
            for p, a in answer.items()
            if not (lang == "de" and p == "p2")
        ]  # partly parallel: p2 has no German translation
        langs[lang] = LanguageData(lang, f"{lang}.json", qs, cands)
    return ParallelDataset("toy", langs)


def test_compact_sample_keeps_whole_paragraphs_and_every_translation() -> None:
    data = _toy()
    for seed in range(6):
        picked = sample(data, "en", questions=2, seed=seed)
        kept = set(picked.parallel_ids)
        # whole English paragraphs: p1 and p2 share paragraph A, so they come or go together
        assert ("p1" in kept) == ("p2" in kept) and len(kept) >= 2
        for lang, d in picked.data.languages.items():
            assert {q.parallel_id for q in d.questions} == kept - ({"p2"} if lang == "de" else set())
            contexts = {c.context for c in d.candidates}
            full = [c for c in data.languages[lang].candidates if c.context in contexts]
            assert d.candidates == full  # every sentence of a kept paragraph, in file order
    assert compact_subsets(["de", "en", "fr"], "en") == [
        "de-de",
        "de-en",
        "en-de",
        "en-en",
        "en-fr",
        "fr-en",
        "fr-fr",
        "de-pool",
        "en-pool",
        "fr-pool",
    ]


def test_stock_encodes_counts_each_subset_again() -> None:
    from datasets import Dataset

    corpus = Dataset.from_dict({"id": ["d1", "d2", "d3"], "text": ["x", "y", "z"]})
    queries = Dataset.from_dict({"id": ["q1", "q2"], "text": ["x", "w"]})
    splits = {
        "a-a": {"corpus": corpus, "queries": queries},
        "a-pool": {"corpus": corpus, "queries": queries.select([0])},
    }
    # corpus 3 + 3, queries 2 + 1; distinct: x y z as documents, x w as queries
    assert stock_encodes(splits) == (6, 3, 5)


# --------------------------------------------------------------------------------------------- kit files


def test_pr_description_quotes_measured_scores(kit: Path, tmp_path: Path) -> None:
    from mteb.results import TaskResult

    from mteb_hybrid.upstream.export import ExportedTask
    from mteb_hybrid.upstream.pr import _score_rows

    folder = tmp_path / "out" / "scores" / "results" / "org__m" / "1"
    folder.mkdir(parents=True)
    scores = [
        {"hf_subset": s, "languages": ["eng-Latn"], "main_score": v, "ndcg_at_10": v}
        for s, v in (("en-en", 0.5), ("de-de", 0.7), ("en-de", 0.2), ("de-en", 0.4), ("en-pool", 0.1))
    ]
    TaskResult(
        dataset_revision="1", task_name=TASK, mteb_version="2.26.24", scores={"test": scores}, evaluation_time=1.0
    ).to_disk(folder / f"{TASK}.json")
    (folder / "model_meta.json").write_text(json.dumps({"name": "org/m"}))
    (tmp_path / "out" / "scores" / "runs.json").write_text(
        json.dumps(
            {
                "org/m": {
                    "revision": "1",
                    "command": "mteb-hybrid export X --scores org/m",
                    "date": "2026-12-04",
                    "mteb": "2.26.24",
                    "threads": "1",
                }
            }
        )
    )
    rows, found = _score_rows(tmp_path / "out", [ExportedTask(TASK, kit, kit, None, [], "r")])
    # mono (0.5 + 0.7) / 2, cross (0.2 + 0.4) / 2, pool 0.1
    assert rows[2] == f"| org/m | {TASK} | 0.6000 | 0.3000 | 0.1000 |"
    assert found["runs"]["org/m"]["date"] == "2026-12-04"


def test_pr_description_from_the_export(kit: Path, data_dir: Path) -> None:
    text = (kit / "PR.md").read_text(encoding="utf-8")
    for needle in (
        "## Why: the gap these tasks fill",
        "cc-by-sa-3.0",
        "MLQA-R",
        "## Cost",
        "| MLQARSentenceRetrieval | 2 |",
        "mteb run -m mteb/baseline-random-encoder -t MLQARSentenceRetrieval",
        "## Checklist",
    ):
        assert needle in text, needle
    # the cost row: en-en encodes the English sentences, en-pool all languages' sentences again
    langs = TASK_CLASSES[TASK](data_dir=data_dir).read_files().languages
    corpus = len(langs["en"].candidates) + sum(len(d.candidates) for d in langs.values())
    queries = 2 * len(langs["en"].questions)
    assert f"| MLQARSentenceRetrieval | {corpus:,} | {queries:,} |" in text
    # mteb's own statistics count the same samples (its num_samples = the encodes of a plain run)
    assert f"| MLQARSentenceRetrieval | {corpus + queries:,} | {corpus:,} (" in text


def test_checklist_marks_performance_only_when_measured() -> None:
    from mteb_hybrid.upstream.pr import _neither_trivial_nor_random as fine

    rnd = ("mteb/baseline-random-encoder", "T")
    assert fine({rnd: {"en-en": 0.02, "en-pool": 0.01}, ("a/m", "T"): {"en-en": 0.8, "en-pool": 0.5}})
    assert not fine({rnd: {"en-en": 0.02}, ("a/m", "T"): {"en-en": 0.97}})  # trivial
    assert not fine({rnd: {"en-pool": 0.04}, ("a/m", "T"): {"en-pool": 0.06}})  # within 0.05 of random
    assert not fine({rnd: {"en-en": 0.02}})  # nothing but the random baseline


def test_upload_script_up_to_the_network_call(kit: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    import huggingface_hub

    calls: list[tuple] = []

    class FakeApi:
        def create_repo(self, repo_id: str, **kwargs) -> None:  # noqa: ANN003
            calls.append(("create_repo", repo_id, kwargs))

        def upload_folder(self, **kwargs):  # noqa: ANN003, ANN201
            calls.append(("upload_folder", kwargs["repo_id"], kwargs))
            return type("CommitInfo", (), {"oid": "f" * 40})()

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    script = runpy.run_path(str(kit / UPLOAD_SCRIPT), run_name="upload")
    script["main"](["--org", "me", "--root", str(kit)])
    assert [c[:2] for c in calls] == [("create_repo", f"me/{TASK}"), ("upload_folder", f"me/{TASK}")]
    assert calls[1][2]["folder_path"] == str(kit / "datasets" / TASK) and calls[1][2]["repo_type"] == "dataset"


def test_model_metas_validate_and_name_mlqa_r_as_training_data(kit: Path) -> None:
    from mteb.models import ModelMeta

    from mteb_hybrid.reporting.submit_checks import validate_model_meta

    namespace: dict = {}
    exec(compile((kit / MODELS_FILE).read_text(), MODELS_FILE, "exec"), namespace)
    metas = {v.name: v for v in namespace.values() if isinstance(v, ModelMeta)}
    assert sorted(metas) == ["YOUR_HUB_ORG/hybrid-labse", "YOUR_HUB_ORG/hybrid-me5-small", "YOUR_HUB_ORG/hybrid-xlmr"]
    me5 = metas["YOUR_HUB_ORG/hybrid-me5-small"]
    assert (
        me5.adapted_from == "intfloat/multilingual-e5-small" and me5.loader.__name__ == "sentence_transformers_loader"
    )
    assert {"LAReQAMLQARetrieval", "MLQARRetrieval", "MLQARetrieval"} <= me5.training_datasets
    assert validate_model_meta(me5) == []


# --------------------------------------------------------------------------------------------- never delete


def test_export_stops_at_files_it_did_not_write(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", str(tmp_path), "-t", TASK, "-l", "en", "--no-stats", "--data-dir", str(data_dir)]
    assert main(argv) == 0
    manifest = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert f"datasets/{TASK}/en-pool-qrels/test-00000-of-00001.parquet" in manifest
    notes = tmp_path / "datasets" / TASK / "notes.txt"
    notes.write_text("mine")
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"datasets/{TASK}/notes.txt" in err[0] and "--overwrite" in err[0]
    assert notes.read_text() == "mine"
    assert main([*argv, "--overwrite"]) == 0  # removes exactly the listed file
    assert not notes.exists()
    assert f"datasets/{TASK}/notes.txt" not in json.loads((tmp_path / MANIFEST).read_text())["files"]


def test_export_drops_its_own_stale_files_silently(data_dir: Path, tmp_path: Path) -> None:
    export(tmp_path, [TASK], data_dir=data_dir, languages=["en", "de"], stats=False)
    assert (tmp_path / "datasets" / TASK / "de-pool-qrels").is_dir()
    export(tmp_path, [TASK], data_dir=data_dir, languages=["en"], stats=False)
    assert not (tmp_path / "datasets" / TASK / "de-pool-qrels").exists()
    assert (tmp_path / "datasets" / TASK / "en-pool-qrels").is_dir()


def test_export_refuses_a_symlinked_dataset_folder_outside(data_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    (out / "datasets").mkdir(parents=True)
    (out / "datasets" / TASK).symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="symlink to .*elsewhere.*refusing to write"):
        export(out, [TASK], data_dir=data_dir, languages=["en"], stats=False)
    assert [p.name for p in outside.iterdir()] == ["keep.txt"]
    with pytest.raises(ExportConflict):  # a file in the way inside OUT is not replaced either
        (out / "datasets" / TASK).unlink()
        (out / "mteb/tasks/retrieval/multilingual").mkdir(parents=True)
        target = out / "mteb/tasks/retrieval/multilingual/mlqa_r_sentence_retrieval.py"
        target.write_text("# someone else's file\n")
        export(out, [TASK], data_dir=data_dir, languages=["en"], stats=False)
    assert target.read_text() == "# someone else's file\n"
