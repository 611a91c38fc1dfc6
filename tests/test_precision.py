"""Evaluation and training precision: chosen by the hardware's real bf16 support, named in every path a result or a
cached vector takes, and invisible to the provenance of cells trained before the setting existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mteb_hybrid.benchmark.embedding_store import embedding_dir
from mteb_hybrid.precision import (
    apply_precision,
    cpu_flags,
    cpu_has_native_bf16,
    dtype_tag,
    model_dtype,
    precision_revision,
    resolve_precision,
)

TASK = "XQuADRSentenceRetrieval"


def test_auto_is_bf16_only_with_native_bf16_units(tmp_path: Path) -> None:
    amd = tmp_path / "cpuinfo"
    amd.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu avx2\n")
    sapphire = tmp_path / "cpuinfo2"
    sapphire.write_text("flags\t\t: avx2 avx512f avx512_bf16 amx_tile amx_bf16\n")
    assert cpu_flags(amd) == {"fpu", "sse2", "avx", "avx2", "fma"}
    assert cpu_flags(tmp_path / "missing") == set()
    assert not cpu_has_native_bf16(cpu_flags(amd)) and cpu_has_native_bf16(cpu_flags(sapphire))
    assert resolve_precision("auto", "cpu", flags=cpu_flags(amd)) == "fp32"
    assert resolve_precision("auto", "cpu", flags={"avx512_bf16"}) == "bf16"
    assert resolve_precision("auto", "cpu", flags={"amx_bf16"}) == "bf16"
    assert resolve_precision("auto", "mps", flags={"amx_bf16"}) == "fp32"  # only CPUs are judged by their flags
    assert resolve_precision("bf16", "cpu", flags=set()) == "bf16"  # asked for explicitly: given, even if slow
    with pytest.raises(ValueError, match="fp16 needs a GPU"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="'fp8' is not one of fp32, bf16, fp16, auto"):
        resolve_precision("fp8", "cpu")


def test_a_non_fp32_revision_is_named_once_and_an_unknown_one_stays_unknown() -> None:
    assert precision_revision("0123abcd", torch.float32) == "0123abcd"
    assert precision_revision("0123abcd", None) == "0123abcd"
    assert precision_revision("0123abcd", torch.bfloat16) == "0123abcd-bf16"
    assert precision_revision("0123abcd-bf16", torch.bfloat16) == "0123abcd-bf16"
    assert precision_revision("0123abcd", torch.float16) == "0123abcd-fp16"
    assert precision_revision("no_revision_available", torch.bfloat16) == "no_revision_available"
    assert precision_revision(None, torch.bfloat16) is None
    assert [dtype_tag(d) for d in (torch.float32, torch.bfloat16, torch.float16, None)] == [
        "fp32",
        "bf16",
        "fp16",
        "fp32",
    ]


def test_the_embedding_cache_of_bf16_is_not_fp32s(tmp_path: Path) -> None:
    fp32 = embedding_dir(tmp_path, "org/m", "0123abcd", TASK)
    assert (
        embedding_dir(tmp_path, "org/m", "0123abcd", TASK, dtype=torch.float32)
        == fp32
        == tmp_path / "org__m" / "0123abcd" / TASK
    )
    assert (
        embedding_dir(tmp_path, "org/m", "0123abcd", TASK, dtype=torch.bfloat16)
        == tmp_path / "org__m" / "0123abcd-bf16" / TASK
    )
    assert (
        embedding_dir(tmp_path, "org/m", "0123abcd-bf16", TASK, dtype=torch.bfloat16)
        == tmp_path / "org__m" / "0123abcd-bf16" / TASK
    )
    assert embedding_dir(tmp_path, "org/m", "no_revision_available", TASK, dtype=torch.bfloat16) is None


def test_apply_casts_the_weights_and_renames_the_revision(tiny_bert: Path) -> None:
    from mteb_hybrid.evaluation import load_folder_model

    encoder = load_folder_model(tiny_bert)
    revision = encoder.mteb_model_meta.revision
    assert apply_precision(encoder, "fp32") == "fp32" and encoder.mteb_model_meta.revision == revision
    assert apply_precision(encoder, "bf16") == "bf16"
    assert next(encoder.model.parameters()).dtype == torch.bfloat16 == model_dtype(encoder)
    assert encoder.mteb_model_meta.revision == f"{revision}-bf16"
    with pytest.raises(ValueError, match="fp16 needs a GPU"):
        apply_precision(encoder, "fp16")

    class NotTorch:
        mteb_model_meta = None

    assert apply_precision(NotTorch(), "auto") == "fp32"
    with pytest.raises(ValueError, match="has none"):
        apply_precision(NotTorch(), "bf16")


def _scores(out: Path, revision: str) -> dict[str, float]:
    [path] = (out / "results").glob(f"*/{revision}/{TASK}.json")
    return {s["hf_subset"]: s["map"] for s in json.loads(path.read_text())["scores"]["test"]}


def test_bf16_and_fp32_results_and_vectors_never_share_a_file(
    tiny_bert: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mteb_hybrid.evaluation import evaluate, load_folder_model

    monkeypatch.setenv("MTEB_HYBRID_CACHE", str(tmp_path / "cache"))  # this test's own cache, whatever ran before
    _isolated_cache = tmp_path / "cache"
    revision = load_folder_model(tiny_bert).mteb_model_meta.revision
    kw = {
        "subsets": ["de-de"],
        "data_dir": data_dir,
        "output_folder": tmp_path,
        "batch_size": 64,
        "embedding_cache": True,
        "show_progress_bar": False,
    }
    evaluate(str(tiny_bert), [TASK], precision="fp32", **kw)
    evaluate(str(tiny_bert), [TASK], precision="bf16", **kw)  # not taken from fp32's finished result file
    fp32, bf16 = _scores(tmp_path, revision), _scores(tmp_path, f"{revision}-bf16")
    assert fp32.keys() == bf16.keys() == {"de-de"}
    assert fp32 != bf16 and fp32["de-de"] == pytest.approx(bf16["de-de"], abs=0.05)  # computed again, close
    caches = sorted(p.parent.name for p in (_isolated_cache / "embeddings").glob(f"*/{revision}*/{TASK}"))
    assert caches == [revision, f"{revision}-bf16"]
    per_query = sorted(p.parent.name for p in (tmp_path / "results").glob(f"*/*/{TASK}.per_query.parquet"))
    assert per_query == [revision, f"{revision}-bf16"]  # the per-query records follow the result files
    # and compare names the difference instead of comparing them
    from mteb_hybrid.stats.compare import MismatchError, compare_results

    folders = [next((tmp_path / "results").glob(f"*/{rev}")) for rev in (revision, f"{revision}-bf16")]
    with pytest.raises(MismatchError, match="precision: A1=float32, B1=bfloat16"):
        compare_results([folders[0]], [folders[1]], setting="mono")


def test_a_training_precision_at_its_default_leaves_shipped_hashes_alone() -> None:
    from mteb_hybrid.experiments import read_cell
    from mteb_hybrid.experiments.provenance import changed_keys, digest, model_settings
    from mteb_hybrid.training.config import TrainConfig

    assert "precision" not in model_settings(TrainConfig())
    assert model_settings(TrainConfig(precision="bf16"))["precision"] == "bf16"
    before = {k: v for k, v in model_settings(TrainConfig()).items()}  # what a cell hashed before the field existed
    assert digest({"train": model_settings(TrainConfig(precision="fp32"))}) == digest({"train": before})
    assert changed_keys({"train": before}, {"train": model_settings(TrainConfig(precision="bf16"))}) == [
        'train.precision: (absent) -> "bf16"'
    ]
    with pytest.raises(ValueError, match="precision must be one of"):
        TrainConfig(precision="fp16")
    repo = Path(__file__).resolve().parents[1]
    checked = 0
    for path in sorted((repo / "results" / "experiments").glob("*/*/cell.json")):
        record = read_cell(path)
        model = record.provenance.inputs.get("model") if record.provenance else None
        if model and record.train is not None:  # today's settings of a shipped cell hash the keys it hashed
            assert set(model_settings(TrainConfig.from_dict(record.train))) == set(model["train"]), path
            checked += 1
    assert checked > 0
