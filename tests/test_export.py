"""From plugin to mteb: the exported dataset folder, the generated task file and the scores mteb gets from them.

One small selection: XQuADRSentenceRetrieval for English and German questions (4 pairs, 2 pools; a pool
holds the candidates of all 11 languages, 13,014 sentences). The proof: mteb's stock loader reads the
export through the generated task file, and a model scores exactly what it scores on the plugin task.
"""

from __future__ import annotations

import ast
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from datasets import DatasetDict, load_dataset
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.models.search_wrappers import SearchEncoderWrapper
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
from sentence_transformers import SentenceTransformer

from mteb_hybrid.benchmark import TASK_CLASSES
from mteb_hybrid.cli import main
from mteb_hybrid.upstream import export_task, load_task_class
from mteb_hybrid.upstream.citation import format_bibtex
from mteb_hybrid.upstream.layout import folder_digest

TASK = "XQuADRSentenceRetrieval"
LANGS = ["en", "de"]
SUBSETS = ["de-de", "de-en", "en-de", "en-en", "de-pool", "en-pool"]
PLUGIN_ONLY = {"map", "rank_distance", "same_language_at_10", "skipped_questions"}  # the plugin's, not mteb's
ENCODE = {"batch_size": 128, "show_progress_bar": False}


@contextlib.contextmanager
def scratch_datasets_cache() -> Iterator[None]:
    """`load_dataset` on a local folder converts it into HF's cache; keep that out of the user's cache."""
    import datasets

    with (
        tempfile.TemporaryDirectory(prefix="mteb-hybrid-export-") as tmp,
        mock.patch.object(datasets.config, "HF_DATASETS_CACHE", Path(tmp)),
    ):
        yield


def point_at(task_cls: type, folder: Path) -> type:
    """A subclass of a generated task class whose dataset path is the local folder (mteb's stock loader)."""
    meta = task_cls.metadata.model_copy(update={"dataset": {**task_cls.metadata.dataset, "path": str(folder)}})
    return type(task_cls.__name__, (task_cls,), {"metadata": meta, "__module__": task_cls.__module__})


@pytest.fixture(scope="module")
def exported(data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return export_task(TASK, tmp_path_factory.mktemp("export"), data_dir=data_dir, languages=LANGS)


@pytest.fixture(scope="module")
def plugin(data_dir: Path):  # noqa: ANN201
    task = TASK_CLASSES[TASK](data_dir=data_dir).filter_languages(LANGS)
    task.load_data()
    return task


@pytest.fixture(scope="module")
def upstream(exported):  # noqa: ANN001, ANN201
    """The generated task file, its dataset path pointed at the local export, loaded by mteb's own loader."""
    task = point_at(load_task_class(exported.task_file), exported.folder)()
    with scratch_datasets_cache():
        task.load_data()
    return task


def test_second_export_is_byte_identical(exported, data_dir: Path, tmp_path: Path) -> None:  # noqa: ANN001
    again = export_task(TASK, tmp_path, data_dir=data_dir, languages=LANGS)
    first_root = exported.task_file.parents[4]
    a = {p.relative_to(first_root): p.read_bytes() for p in first_root.rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    # 11 corpora, 2 query files, 6 qrels, card, task file, stats, and the manifest of what the export wrote
    assert a.keys() == b.keys() and len(a) == 23
    assert [k for k in a if a[k] != b[k]] == []
    assert again.revision == exported.revision == folder_digest(exported.folder)
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))


def test_configs_and_rows_are_what_push_dataset_to_hub_sends(exported, plugin, monkeypatch) -> None:  # noqa: ANN001
    """mteb's own push (upload replaced by a recorder) on the plugin's data names the same configs, same rows."""
    sent: dict[str, list[dict]] = {}

    def record(self: DatasetDict, repo_id: str, config_name: str, **kwargs) -> None:  # noqa: ANN003
        assert list(self) == ["test"]
        sent[config_name] = self["test"].to_list()

    monkeypatch.setattr(DatasetDict, "push_to_hub", record)
    task = load_task_class(exported.task_file)()
    task.dataset, task.data_loaded = plugin.dataset, True
    AbsTaskRetrieval._push_dataset_to_hub(task, "org/name")
    assert sorted(sent) == sorted(f"{s}-{kind}" for s in SUBSETS for kind in ("corpus", "queries", "qrels"))

    card = exported.folder.joinpath("README.md").read_text(encoding="utf-8")
    with scratch_datasets_cache():
        for config, rows in sent.items():
            assert f"config_name: {config}\n" in card
            ours = load_dataset(str(exported.folder), config, split="test").to_list()
            if config.endswith("-queries"):  # one file per language; the loader keeps the questions with qrels
                qrels = {r["query-id"] for r in sent[config.replace("-queries", "-qrels")]}
                ours = [r for r in ours if r["id"] in qrels]
            assert ours == rows, config


def test_task_file_is_mteb_style_and_imports_mteb_only(exported, plugin) -> None:  # noqa: ANN001
    tree = ast.parse(exported.task_file.read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported == ["mteb.abstasks.retrieval", "mteb.abstasks.task_metadata"]
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert [c.name for c in classes] == [TASK] and [ast.unparse(b) for b in classes[0].bases] == ["AbsTaskRetrieval"]
    assert [type(n).__name__ for n in classes[0].body] == ["Assign"]  # metadata, nothing else

    meta = load_task_class(exported.task_file).metadata
    assert meta.dataset == {"path": f"mteb/{TASK}", "revision": exported.revision}
    mine, theirs = meta.model_dump(exclude={"dataset"}), plugin.metadata.model_dump(exclude={"dataset"})
    theirs["eval_langs"] = {s: plugin.metadata.eval_langs[s] for s in SUBSETS}
    # mteb's files open a citation with a newline (r"""\n@inproceedings...) and hold it in mteb's bibtex form
    assert mine.pop("bibtex_citation").strip() == format_bibtex(theirs.pop("bibtex_citation"))
    assert mine == theirs


def test_descriptive_statistics_and_card(exported, plugin) -> None:  # noqa: ANN001
    stats = json.loads(exported.stats_file.read_text(encoding="utf-8"))["test"]
    per = stats["hf_subset_descriptive_stats"]
    assert sorted(per) == sorted(SUBSETS)
    for s in SUBSETS:
        split = plugin.dataset[s]["test"]
        assert per[s]["num_documents"] == len(split["corpus"]) and per[s]["num_queries"] == len(split["queries"])
        assert per[s]["relevant_docs_statistics"]["num_relevant_docs"] == sum(map(len, split["relevant_docs"].values()))
    assert per["en-pool"]["num_documents"] == 13014 and per["en-pool"]["num_queries"] == 1190
    assert per["en-pool"]["relevant_docs_statistics"]["max_relevant_docs_per_query"] == 11
    card = exported.folder.joinpath("README.md").read_text(encoding="utf-8")
    for needle in (
        "license: cc-by-sa-4.0",
        "@inproceedings{roy-etal-2020-lareqa",
        "9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c",
        "## How this dataset was built",
        "mteb-hybrid export OUT --tasks XQuADRSentenceRetrieval",
        '"num_documents": 13014',
    ):
        assert needle in card, needle


def test_mteb_scores_equal_the_plugin_tasks(tiny_bert: Path, plugin, upstream) -> None:  # noqa: ANN001
    """The proof: same model, same search (mteb's stock wrapper), plugin task vs generated task on the export."""
    model = SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert)))
    chosen = ["en-de", "en-pool"]
    plugin.k_values, plugin._top_k = upstream.k_values, upstream._top_k  # mteb's default cut-offs on both sides
    ours = plugin.evaluate(SearchEncoderWrapper(model), "test", chosen, encode_kwargs=ENCODE)
    theirs = upstream.evaluate(SearchEncoderWrapper(model), "test", chosen, encode_kwargs=ENCODE)
    for subset in chosen:
        a, b = ours[subset], theirs[subset]
        assert set(a) - set(b) <= PLUGIN_ONLY and set(b) <= set(a)
        mteb_keys = [k for k in b if isinstance(b[k], float)]
        assert len(mteb_keys) > 140 and "ndcg_at_10" in mteb_keys and "nauc_mrr_at_1000_diff1" in mteb_keys
        assert b["main_score"] == b["ndcg_at_10"] > 0
        assert max(abs(a[k] - b[k]) for k in mteb_keys) <= 1e-6, subset


def test_push_to_hub_uploads_the_folder_and_pins_the_task_file(exported, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    import shutil

    import huggingface_hub

    from mteb_hybrid.upstream.hub import push_to_hub

    calls: list[tuple[str, dict]] = []

    class FakeApi:
        def __init__(self, token: str | None = None) -> None:
            calls.append(("init", {"token": token}))

        def create_repo(self, repo_id: str, **kwargs) -> None:  # noqa: ANN003
            calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

        def upload_folder(self, **kwargs):  # noqa: ANN003, ANN201
            files = sorted(
                p.relative_to(kwargs["folder_path"]).as_posix()
                for p in Path(kwargs["folder_path"]).rglob("*")
                if p.is_file()
            )
            calls.append(("upload_folder", {**kwargs, "files": files}))
            return type("CommitInfo", (), {"oid": "c0ffee" * 6 + "abcd"})()

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    copy = tmp_path / "copy"
    shutil.copytree(exported.task_file.parents[4], copy)
    from dataclasses import replace

    mine = replace(
        exported,
        folder=copy / "datasets" / TASK,
        task_file=copy / exported.task_file.relative_to(exported.task_file.parents[4]),
    )
    assert push_to_hub(mine, f"me/{TASK}", token="t") == "c0ffee" * 6 + "abcd"
    assert [c[0] for c in calls] == ["init", "create_repo", "upload_folder"]
    assert calls[1][1] == {"repo_id": f"me/{TASK}", "repo_type": "dataset", "exist_ok": True, "private": False}
    upload = calls[2][1]
    assert upload["repo_id"] == f"me/{TASK}" and upload["repo_type"] == "dataset"
    assert upload["files"] == exported.files and "README.md" in upload["files"]
    meta = load_task_class(mine.task_file).metadata
    assert meta.dataset["revision"] == "c0ffee" * 6 + "abcd"
    assert (
        mine.task_file.read_text().replace("c0ffee" * 6 + "abcd", exported.revision) == exported.task_file.read_text()
    )


def test_cli_export_and_its_errors(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path), "--tasks", TASK, "-l", "en", "--no-stats", "--data-dir", str(data_dir)]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["task"] == TASK and row["subsets"] == 2 and row["bytes"] < row["per_config_layout_bytes"]
    assert not (tmp_path / "mteb" / "descriptive_stats").exists()
    assert main(["export", str(tmp_path), "--tasks", "XQuADRetrieval"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown task 'XQuADRetrieval'" in err[0]
    assert "mteb's own monolingual XQuAD paragraph retrieval" in err[0] and "XQuADRRetrieval" in err[0]
