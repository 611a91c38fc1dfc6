"""Model identity: two folders of the same shape keep their own scores and vectors; corrupt input is named.

Models A and B sit in folders of the same name (`.../a/model`, `.../b/model`) and differ only in
their weights, so only the revision (the hash of the whole model) can tell them apart. Other copies of A
differ from it in one file that is not a weight file (tokenizer, pooling, prompts, ...): another model too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper

from mteb_hybrid.benchmark.embedding_store import EmbeddingStore, embedding_dir
from mteb_hybrid.evaluation import evaluate, load_model
from mteb_hybrid.files import UnsafePathError
from mteb_hybrid.models.identity import ModelFolderError, check_folder, folder_identity, folder_name

TASK = "XQuADRSentenceRetrieval"
SUBSET = "en-de"


# ---- models -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A = tiny_bert, B = the same folder with every weight shifted by noise; both named `model`."""
    from safetensors.torch import load_file, save_file

    root = tmp_path_factory.mktemp("two_models")
    a, b = root / "a" / "model", root / "b" / "model"
    shutil.copytree(tiny_bert, a)
    shutil.copytree(tiny_bert, b)
    weights = load_file(str(b / "model.safetensors"))
    gen = np.random.default_rng(0)
    save_file({k: v + 0.05 * _noise(gen, v) for k, v in weights.items()}, str(b / "model.safetensors"))
    return a, b


def _noise(gen: np.random.Generator, like):  # noqa: ANN001, ANN202
    import torch

    return torch.from_numpy(gen.standard_normal(tuple(like.shape)).astype(np.float32)).to(like.dtype)


def _weights_sha(folder: Path) -> str:
    """The weights-only hash computed here, independently: relative path + bytes of each weight file, sorted."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.safetensors")):
        h.update(str(p.relative_to(folder)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def test_folders_of_one_name_differ_by_their_revision(models: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = models
    ia, ib = folder_identity(a), folder_identity(b)
    assert ia.name == ib.name == "local/model"
    assert ia.revision != ib.revision and len(ia.revision) == 12
    copy = shutil.copytree(a, tmp_path / "elsewhere" / "model")  # same files elsewhere: the same model
    assert folder_identity(copy) == ia
    # the wrapper mteb sees carries that identity, so results go to results/local__model/<revision>/
    meta = load_model(str(b)).mteb_model_meta
    assert (meta.name, meta.revision) == (ib.name, ib.revision)


def test_files_that_never_change_vectors_leave_the_revision(models: tuple[Path, Path], tmp_path: Path) -> None:
    """The card, training logs, checkpoints and hidden temp files are not the model."""
    folder = shutil.copytree(models[0], tmp_path / "model")
    before = folder_identity(folder).revision
    (folder / "README.md").write_text("# another card\n")
    (folder / "train_log.jsonl").write_text("{}\n")
    (folder / "checkpoints" / "checkpoint-1").mkdir(parents=True)
    (folder / "checkpoints" / "checkpoint-1" / "model.safetensors").write_bytes(b"x")
    (folder / ".model.safetensors.abc.tmp").write_bytes(b"half a file")
    assert folder_identity(folder).revision == before


def test_trained_revision_recorded_from_weights_alone_is_superseded(
    models: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A record written when revisions hashed the weights alone: the whole model's hash is used, with no warning;
    a record whose revision matches neither (changed since training) gets a warning."""
    from mteb_hybrid.models.identity import model_sha256
    from mteb_hybrid.training.trainer import weights_sha256

    folder = shutil.copytree(models[0], tmp_path / "out")
    digest = weights_sha256(folder)
    assert digest[:12] == _weights_sha(folder)
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"name": "hybrid-x", "revision": digest[:12]}))
    with caplog.at_level(logging.WARNING):
        identity = folder_identity(folder)
    assert identity == ("mteb-hybrid/hybrid-x", model_sha256(folder)[:12]) and identity.revision != digest[:12]
    assert "records" not in caplog.text
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"name": "hybrid-x", "revision": "0123456789ab"}))
    with caplog.at_level(logging.WARNING):
        assert folder_identity(folder).revision == identity.revision
    assert "records revision 0123456789ab but the model hashes to" in caplog.text


def test_language_prefix_of_a_trained_model_is_part_of_its_revision(models: tuple[Path, Path], tmp_path: Path) -> None:
    """A model trained with language tokens (M2M-100) encodes each text behind its token: another token, other
    vectors. The trainer passes the prefix before the record exists; the folder's hash then reads it back."""
    from mteb_hybrid.models.identity import model_sha256

    folder = shutil.copytree(models[0], tmp_path / "model")
    plain = model_sha256(folder)
    given = model_sha256(folder, "__{lang}__ ")
    assert given != plain and model_sha256(folder, None) == plain
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"name": "m", "language_prefix": "__{lang}__ "}))
    assert model_sha256(folder) == given


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"mteb_hybrid_training.json": {"name": "../../evil name"}}, "mteb-hybrid/evil-name"),
        (
            {"README.md": "---\nmodel_name: intfloat/multilingual-e5-small\n---\n# card\n"},
            "intfloat/multilingual-e5-small",
        ),
        ({"README.md": "---\nmodel-index:\n- name: My Model v2\n---\n"}, "local/My-Model-v2"),
        (
            {"README.md": "---\nmodel_name: SentenceTransformer based on intfloat/e5\n---\n"},
            "local/SentenceTransformer-based-on-intfloat-e5",
        ),
        ({"config_sentence_transformers.json": {"model_name": "a/b/c"}}, "local/a-b-c"),
        ({}, "local/some.folder"),
    ],
)
def test_name_comes_from_training_info_card_config_or_folder(tmp_path: Path, files: dict, expected: str) -> None:
    folder = tmp_path / "some.folder"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    assert folder_name(folder) == expected


def test_unsafe_revision_in_training_info_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mteb_hybrid.models.metas import trained_dir, trained_revision

    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    folder = trained_dir("hybrid-me5-small")
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text("[]")
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"revision": "../../x"}))
    with pytest.raises(ModelFolderError, match=r"mteb_hybrid_training\.json: field 'revision' '\.\./\.\./x'"):
        check_folder(folder)
    with caplog.at_level(logging.WARNING):
        assert trained_revision("hybrid-me5-small") is None  # the registry never makes it a path part
    assert "no usable revision" in caplog.text


@pytest.mark.parametrize("damage", ["truncate-weights", "break-config", "drop-modules", "drop-module-folder"])
def test_corrupt_real_model_folder_gets_one_line_naming_the_file(
    models: tuple[Path, Path], tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    from mteb_hybrid.cli import main

    folder = shutil.copytree(models[0], tmp_path / "model")
    if damage == "truncate-weights":
        data = (folder / "model.safetensors").read_bytes()
        (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
        named = "model.safetensors"
    elif damage == "break-config":
        (folder / "config.json").write_text('{"hidden_size": 32,')
        named = "config.json"
    elif damage == "drop-modules":
        (folder / "modules.json").unlink()
        named = "modules.json"
    else:
        shutil.rmtree(folder / "1_Pooling")
        named = "1_Pooling"
    code = main(
        [
            "evaluate",
            "-m",
            str(folder),
            "-t",
            TASK,
            "--subsets",
            SUBSET,
            "--data-dir",
            str(data_dir),
            "--output-folder",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and named in errors[0], err
    assert not (tmp_path / "o").exists()


# ---- evaluation: every combination of output folder and embedding cache ----------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Texts handed to any sentence-transformers encoder, one entry per encode call."""
    calls: list[int] = []
    original = SentenceTransformerEncoderWrapper.encode

    def encode(self, inputs, **kwargs):  # noqa: ANN001, ANN202
        calls.append(len(inputs.dataset))
        return original(self, inputs, **kwargs)

    monkeypatch.setattr(SentenceTransformerEncoderWrapper, "encode", encode)
    return calls


def _run(model: Path | object, out: Path, data_dir: Path, cache: bool) -> dict[str, float]:
    """Evaluate one subset; return its scores as read back from the result file mteb wrote."""
    evaluate(
        model if not isinstance(model, Path) else str(model),
        [TASK],
        subsets=[SUBSET],
        data_dir=data_dir,
        output_folder=out,
        embedding_cache=cache,
        show_progress_bar=False,
        batch_size=128,
    )
    meta = load_identity(model)
    path = out / "results" / meta[0].replace("/", "__") / meta[1] / f"{TASK}.json"
    scores = json.loads(path.read_text())["scores"]["test"]
    (entry,) = [s for s in scores if s["hf_subset"] == SUBSET]
    return {k: v for k, v in entry.items() if isinstance(v, float) and math.isfinite(v)}  # nAUC can be NaN


def load_identity(model: Path | object) -> tuple[str, str]:
    if isinstance(model, Path):
        ident = folder_identity(model)
        return ident.name, ident.revision
    return model.mteb_model_meta.name, model.mteb_model_meta.revision


@pytest.fixture(scope="module")
def reference(models: tuple[Path, Path], data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Fresh runs, each model in its own output folder, no embedding cache."""
    a, b = models
    root = tmp_path_factory.mktemp("reference")
    return _run(a, root / "a", data_dir, False), _run(b, root / "b", data_dir, False)


def test_reference_scores_differ_between_the_models(reference) -> None:  # noqa: ANN001
    ref_a, ref_b = reference
    # mteb's nAUC scores are NaN for some score distributions (dropped by _run), so compare the rest
    core = {k for k in ref_a if not k.startswith("nauc_")}
    assert core == {k for k in ref_b if not k.startswith("nauc_")} and "map" in core
    assert ref_a["map"] != ref_b["map"] and ref_a["ndcg_at_10"] != ref_b["ndcg_at_10"]


@pytest.mark.parametrize("same_folder", [True, False], ids=["same-folder", "other-folder"])
@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_each_model_keeps_its_own_scores_and_vectors(
    models: tuple[Path, Path],
    reference,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
    counted: list[int],
    same_folder: bool,
    cache: bool,
) -> None:
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    a, b = models
    ref_a, ref_b = reference
    out_a = tmp_path / "out"
    out_b = out_a if same_folder else tmp_path / "out_b"
    got_a = _run(a, out_a, data_dir, cache)
    encoded_a = sum(counted)
    got_b = _run(b, out_b, data_dir, cache)
    assert sum(counted) - encoded_a == encoded_a > 0  # B encoded every text itself: no result, no vector of A's
    assert got_a == pytest.approx(ref_a, abs=1e-6)
    assert got_b == pytest.approx(ref_b, abs=1e-6)
    if same_folder:  # both result files sit side by side, A's untouched by B's run
        assert len(list(out_a.rglob(f"{TASK}.json"))) == 2
        assert _run(a, out_a, data_dir, cache) == got_a
    embeddings = tmp_path / "cache" / "embeddings"
    expected = {f"local__model/{folder_identity(m).revision}/{TASK}" for m in models} if cache else set()
    assert {str(p.parent.relative_to(embeddings)) for p in embeddings.rglob("chunk-*.npz")} == expected


def test_the_same_folder_twice_reuses_results_and_vectors(
    models: tuple[Path, Path],
    reference,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
    counted: list[int],
) -> None:
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    a = models[0]
    first = _run(a, tmp_path / "o1", data_dir, True)
    encoded = sum(counted)
    assert encoded > 0
    result_file = next((tmp_path / "o1").rglob(f"{TASK}.json"))
    written = result_file.stat().st_mtime_ns
    assert _run(a, tmp_path / "o1", data_dir, True) == first  # the result is reused ...
    assert sum(counted) == encoded and result_file.stat().st_mtime_ns == written  # ... nothing encoded or rewritten
    # a copy of the folder elsewhere is the same model: a new output folder takes its vectors from the cache
    copy = shutil.copytree(a, tmp_path / "copy" / "model")
    assert _run(copy, tmp_path / "o2", data_dir, True) == pytest.approx(reference[0], abs=1e-6)
    assert sum(counted) == encoded


def test_a_model_without_revision_is_recomputed_and_never_cached(
    models: tuple[Path, Path],
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    counted: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    encoder = SentenceTransformerEncoderWrapper(SentenceTransformer(str(models[0])))  # mteb's identity-less wrapper
    assert encoder.mteb_model_meta.revision == "no_revision_available"
    with caplog.at_level(logging.WARNING):
        first = _run(encoder, tmp_path / "o", data_dir, True)
        once = sum(counted)
        again = _run(encoder, tmp_path / "o", data_dir, True)
    assert once > 0 and sum(counted) == 2 * once  # the second run did not take the first one's result
    assert again == first
    assert "--overwrite implied" in caplog.text and "kept in memory only" in caplog.text
    assert not (tmp_path / "cache" / "embeddings").exists()


# ---- one file changed, weights the same: another model ------------------------------------------------


def _edit_json(path: Path, edit) -> None:  # noqa: ANN001
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw = edit(raw) or raw
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")


# kind -> (the edit, whether A's scores change; None: not asserted, since cosine scores ignore normalisation
# up to float rounding, which reorders a tiny random model's near-equal scores)
FILE_KINDS = {
    "tokenizer": (lambda f: _edit_json(f / "tokenizer.json", lambda t: t["normalizer"].update(lowercase=False)), True),
    "pooling": (lambda f: _edit_json(f / "1_Pooling" / "config.json", lambda c: c.update(pooling_mode="mean")), True),
    "modules-normalize-dropped": (lambda f: _edit_json(f / "modules.json", lambda m: m[:2]), None),
    "prompts": (
        lambda f: _edit_json(
            f / "config_sentence_transformers.json",
            lambda c: c.update(prompts={"query": "query: ", "document": "passage: "}),
        ),
        True,
    ),
    "sentence-bert-config": (
        lambda f: _edit_json(f / "sentence_bert_config.json", lambda c: c.update(max_seq_length=6)),
        True,
    ),
    "transformer-config": (lambda f: _edit_json(f / "config.json", lambda c: c.update(hidden_act="relu")), True),
}


@pytest.fixture(scope="module")
def a_evaluated(models: tuple[Path, Path], data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding A's result (out/) and its cached vectors (cache/), as a first run leaves them."""
    root = tmp_path_factory.mktemp("a_evaluated")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MTEB_HYBRID_CACHE", str(root / "cache"))
        _run(models[0], root / "out", data_dir, True)
    return root


@pytest.mark.parametrize("kind", list(FILE_KINDS))
def test_a_changed_model_file_is_another_model(
    kind: str,
    models: tuple[Path, Path],
    reference,
    a_evaluated: Path,
    data_dir: Path,
    tmp_path: Path,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    counted: list[int],
) -> None:
    from mteb_hybrid.experiments.provenance import base_identity

    edit, changes_scores = FILE_KINDS[kind]
    assert changes_scores in (True, None)
    root = shutil.copytree(a_evaluated, tmp_path / "root")  # A's result and vectors, where C's run looks
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(root / "cache"))
    a = models[0]
    c = shutil.copytree(a, tmp_path / "c" / "model")  # same folder name, same weights
    edit(c)
    assert folder_identity(c).name == folder_identity(a).name
    assert folder_identity(c).revision != folder_identity(a).revision
    assert base_identity(str(c))["revision"] != base_identity(str(a))["revision"]  # an experiment's base, too
    a_file = next((root / "out").rglob(f"{TASK}.json"))
    a_bytes = a_file.read_bytes()

    got = _run(c, root / "out", data_dir, True)
    encoded = sum(counted)
    fresh = _run(c, tmp_path / "fresh", data_dir, False)  # C alone: its own folder, no cache
    assert encoded == sum(counted) - encoded > 0  # C encoded every text: no vector of A's was served
    assert got == pytest.approx(fresh, abs=1e-6)  # and its scores are its own, not A's result file
    if changes_scores is not None:  # the change matters: reusing A's result would have been a wrong number
        assert got["map"] != pytest.approx(reference[0]["map"], abs=1e-9)
    assert a_file.read_bytes() == a_bytes and len(list((root / "out").rglob(f"{TASK}.json"))) == 2


# ---- the embedding store on disk -------------------------------------------------------------------


def _store_with_two_chunks(folder: Path) -> EmbeddingStore:
    store = EmbeddingStore(folder)
    store.add(["k1", "k2"], np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    store.add(["k3"], np.array([[0.5, 0.5]], dtype=np.float32))
    return store


@pytest.mark.parametrize(
    "damage", ["truncated", "empty", "not-a-zip", "no-vectors", "keys-vectors-mismatch", "other-dimension"]
)
def test_a_corrupt_cache_chunk_is_discarded_with_a_warning(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    _store_with_two_chunks(tmp_path)
    first, second = sorted(tmp_path.glob("chunk-*.npz"))
    if damage == "truncated":
        second.write_bytes(second.read_bytes()[:-40])
    elif damage == "empty":
        second.write_bytes(b"")
    elif damage == "not-a-zip":
        second.write_bytes(b"not an npz file at all")
    else:
        keys = {"no-vectors": ["k3"], "keys-vectors-mismatch": ["k3", "k4"], "other-dimension": ["k3"]}[damage]
        arrays = {"keys": np.asarray(keys)}
        if damage != "no-vectors":
            arrays["vectors"] = np.ones((1, 3 if damage == "other-dimension" else 2), dtype=np.float32)
        with second.open("wb") as f:
            np.savez(f, **arrays)
    with caplog.at_level(logging.WARNING):
        store = EmbeddingStore(tmp_path)
    assert "k1" in store and "k2" in store and "k3" not in store  # the good chunk is kept, the bad one dropped
    np.testing.assert_array_equal(store.get(["k1", "k2"]), [[1.0, 0.0], [0.0, 1.0]])
    assert second.name in caplog.text and "discarding" in caplog.text
    assert not second.exists() and first.exists()
    # the text is encoded again and written to a new chunk, which a later store reads back
    store.add(["k3"], np.array([[0.25, 0.75]], dtype=np.float32))
    assert first.exists()  # never overwritten by the new chunk
    np.testing.assert_array_equal(EmbeddingStore(tmp_path).get(["k3"]), [[0.25, 0.75]])


def _chunk(path: Path, keys: list[str], vectors: list[list[float]]) -> None:
    with path.open("wb") as f:
        np.savez(f, keys=np.asarray(keys), vectors=np.asarray(vectors, dtype=np.float32))


def test_a_chunk_of_another_dimension_is_discarded_alone_even_when_read_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The chunk read first used to set the dimension: one foreign chunk then deleted every good one."""
    _chunk(tmp_path / "chunk-000000-1.npz", ["bad"], [[1.0, 2.0, 3.0]])
    _chunk(tmp_path / "chunk-000001-1.npz", ["k1", "k2"], [[1.0, 0.0], [0.0, 1.0]])
    _chunk(tmp_path / "chunk-000002-1.npz", ["k3"], [[0.5, 0.5]])
    with caplog.at_level(logging.WARNING):
        store = EmbeddingStore(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("chunk-*")) == ["chunk-000001-1.npz", "chunk-000002-1.npz"]
    assert "bad" not in store and store.dim == 2
    np.testing.assert_array_equal(store.get(["k1", "k3"]), [[1.0, 0.0], [0.5, 0.5]])
    assert "chunk-000000-1.npz holds vectors of dimension 3, the other chunks' have 2" in caplog.text
    store.add(["bad"], np.array([[0.0, 2.0]], dtype=np.float32))  # encoded again, at the model's dimension
    assert EmbeddingStore(tmp_path).get(["bad", "k2"]).shape == (2, 2)


def test_cached_vectors_of_another_dimension_than_the_models_are_discarded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every chunk agrees, but the model gives another dimension: the chunks are the foreign ones."""
    _store_with_two_chunks(tmp_path)
    store = EmbeddingStore(tmp_path)
    with caplog.at_level(logging.WARNING):
        store.add(["k4"], np.ones((1, 3), dtype=np.float32))
    assert "model gives vectors of dimension 3, the 3 cached ones have 2" in caplog.text
    assert [p.name for p in tmp_path.glob("chunk-*")] == [f"chunk-000002-{os.getpid()}.npz"]
    with pytest.raises(ValueError, match="discarded .* run the evaluation again"):
        store.get(["k1", "k4"])  # found before the discard: a clear error, never vectors of two dimensions
    again = EmbeddingStore(tmp_path)
    assert "k1" not in again and again.get(["k4"]).shape == (1, 3)


def test_corrupt_chunk_in_a_real_run_is_recomputed(
    models: tuple[Path, Path],
    reference,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
    counted: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))
    _run(models[0], tmp_path / "o1", data_dir, True)
    encoded = sum(counted)
    chunks = sorted((tmp_path / "cache").rglob("chunk-*.npz"))
    chunks[0].write_bytes(chunks[0].read_bytes()[:100])  # BadZipFile
    with caplog.at_level(logging.WARNING):
        again = _run(models[0], tmp_path / "o2", data_dir, True)
    assert again == pytest.approx(reference[0], abs=1e-6)
    assert 0 < sum(counted) - encoded < encoded  # only the lost chunk's texts were encoded again
    assert "discarding" in caplog.text


def test_embedding_dir_needs_a_known_and_safe_revision(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert embedding_dir(tmp_path, "local/model", "0123abcd", TASK) == tmp_path / "local__model" / "0123abcd" / TASK
    with caplog.at_level(logging.WARNING):
        for revision in (None, "", "no_revision_available", "untrained", "../../x"):
            assert embedding_dir(tmp_path, "local/model", revision, TASK) is None
        assert embedding_dir(tmp_path, "../..", "0123abcd", TASK) is None
    assert caplog.text.count("kept in memory only") == 6


def test_result_paths_never_leave_the_results_folder(tmp_path: Path) -> None:
    from mteb_hybrid.results_io import AtomicResultCache

    cache = AtomicResultCache(tmp_path / "out")
    assert cache.get_task_result_path(TASK, "local/model", "0123abcd") == (
        tmp_path / "out" / "results" / "local__model" / "0123abcd" / f"{TASK}.json"
    )
    with pytest.raises(UnsafePathError, match="outside"):
        cache.get_task_result_path(TASK, "local/model", "../../../x")
