"""Bad model folders: corrupt weights or JSON, no modules.json, a revision that would escape its folder;
and two models that differ only outside their weights, under one folder name (each keeps its own result).

The damaged folders are minimal stand-ins (no tokenizer, no real weights): the checks run before anything is
loaded. tests/test_identity.py damages a real tiny model the same ways, and changes every kind of model file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SHARED_DATA

from bad_inputs import BadInput

# real data: evaluate reads and checks the data files before it loads the model
TASK_ARGS = ["-t", "XQuADRSentenceRetrieval", "--subsets", "en-de", "--data-dir", str(SHARED_DATA)]


def _model(root: Path, name: str = "model") -> Path:
    """A folder that looks like a sentence-transformers model: modules.json, config.json, one weight file."""
    import torch
    from safetensors.torch import save_file

    folder = root / name
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text(
        json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}])
    )
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 8}))
    save_file({"weight": torch.zeros(64, 8)}, str(folder / "model.safetensors"))
    return folder


def _truncated_weights(root: Path) -> None:
    path = _model(root) / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])


def _broken_config(root: Path) -> None:
    (_model(root) / "config.json").write_text('{"model_type": "bert",')


def _no_modules(root: Path) -> None:
    (_model(root) / "modules.json").unlink()


def _unsafe_revision(root: Path) -> None:
    (_model(root) / "mteb_hybrid_training.json").write_text(json.dumps({"name": "x", "revision": "../../x"}))


def _unsafe_revision_of_trained_alias(root: Path) -> None:
    folder = _model(
        root / "cache" / "models", "hybrid-me5-small"
    )  # where `train` puts it ($MTEB_HYBRID_CACHE=root/cache)
    (folder / "mteb_hybrid_training.json").write_text(json.dumps({"name": "hybrid-me5-small", "revision": "../../x"}))


def _evaluate(model: str):  # noqa: ANN202
    return lambda root: ["evaluate", "-m", model.format(root=root), *TASK_ARGS, "--output-folder", str(root / "out")]


def _kept(root: Path) -> list[Path]:
    return [root / "model"]


def _other_model_same_name(edit):  # noqa: ANN001, ANN202
    """A evaluated (result and cached vectors) from root/a/model; B = A with `edit`, at root/b/model."""

    def setup(root: Path) -> None:
        from mteb_hybrid.cli import main
        from mteb_hybrid.models.tiny import build_tiny_bert

        a = build_tiny_bert(root / "a" / "model", hidden=16, layers=1, vocab_size=200)
        assert (
            main(["evaluate", "-m", str(a), *TASK_ARGS, "--output-folder", str(root / "out"), "--embedding-cache"]) == 0
        )
        b = shutil.copytree(a, root / "b" / "model")
        edit(b)

    return setup


def _pooling_mean(folder: Path) -> None:
    path = folder / "1_Pooling" / "config.json"
    path.write_text(path.read_text().replace('"cls"', '"mean"'))


def _cased_tokenizer(folder: Path) -> None:
    path = folder / "tokenizer.json"
    raw = json.loads(path.read_text())
    raw["normalizer"]["lowercase"] = False
    path.write_text(json.dumps(raw))


def _b_has_its_own_result(root: Path) -> None:
    """Two result files (A's and B's), B's equal to B evaluated alone, with no cache."""
    from mteb_hybrid.cli import main

    results = sorted((root / "out").rglob("XQuADRSentenceRetrieval.json"))
    assert len(results) == 2, results
    assert main(["evaluate", "-m", str(root / "b" / "model"), *TASK_ARGS, "--output-folder", str(root / "alone")]) == 0
    (alone,) = (root / "alone").rglob("XQuADRSentenceRetrieval.json")
    (b_result,) = [p for p in results if p.parent.name == alone.parent.name]

    def scores(path: Path) -> float:
        return json.loads(path.read_text())["scores"]["test"][0]["map"]

    assert scores(b_result) == scores(alone)


CASES = [
    BadInput(
        id="model-weights-truncated",
        setup=_truncated_weights,
        argv=_evaluate("{root}/model"),
        message=r"model\.safetensors: truncated",
        kept=_kept,
    ),
    BadInput(
        id="model-config-broken",
        setup=_broken_config,
        argv=_evaluate("{root}/model"),
        message=r"config\.json: not valid JSON",
        kept=_kept,
    ),
    BadInput(
        id="model-modules-missing",
        setup=_no_modules,
        argv=_evaluate("{root}/model"),
        message=r"model: .*no modules\.json",
        kept=_kept,
    ),
    BadInput(
        id="model-revision-unsafe",
        setup=_unsafe_revision,
        argv=_evaluate("{root}/model"),
        message=r"mteb_hybrid_training\.json: field 'revision' '\.\./\.\./x'",
        kept=_kept,
    ),
    BadInput(
        id="trained-alias-revision-unsafe",
        setup=_unsafe_revision_of_trained_alias,
        argv=_evaluate("hybrid-me5-small"),
        message=r"mteb_hybrid_training\.json: field 'revision' '\.\./\.\./x'",
        kept=lambda root: [root / "cache" / "models" / "hybrid-me5-small"],
    ),
    BadInput(
        id="same-name-other-pooling",
        setup=_other_model_same_name(_pooling_mean),
        message=None,
        exit_code=0,
        argv=lambda root: [
            "evaluate",
            "-m",
            str(root / "b" / "model"),
            *TASK_ARGS,
            "--output-folder",
            str(root / "out"),
            "--embedding-cache",
        ],
        check=_b_has_its_own_result,
        kept=lambda root: [root / "a" / "model"],
    ),
    BadInput(
        id="same-name-other-tokenizer",
        setup=_other_model_same_name(_cased_tokenizer),
        message=None,
        exit_code=0,
        argv=lambda root: [
            "evaluate",
            "-m",
            str(root / "b" / "model"),
            *TASK_ARGS,
            "--output-folder",
            str(root / "out"),
            "--embedding-cache",
        ],
        check=_b_has_its_own_result,
        kept=lambda root: [root / "a" / "model"],
    ),
]
