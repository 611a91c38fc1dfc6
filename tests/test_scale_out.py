"""`evaluate(devices=[...])`: the distinct texts spread over sentence-transformers processes, the same scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TASK = "XQuADRSentenceRetrieval"


def _scores(out: Path) -> dict[str, dict[str, float]]:
    [path] = (out / "results").glob(f"*/*/{TASK}.json")
    return {
        s["hf_subset"]: {k: v for k, v in s.items() if isinstance(v, float)}
        for s in json.loads(path.read_text())["scores"]["test"]
    }


def test_two_cpu_processes_give_the_scores_of_one(
    tiny_bert: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.data import get_definition, load_dataset
    from mteb_hybrid.evaluation import evaluate

    pooled: list[int] = []
    original = SentenceTransformer._multi_process

    def counting(self, inputs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        pooled.append(len(inputs))
        return original(self, inputs, *args, **kwargs)

    kw = {
        "subsets": ["en-de", "de-de"],
        "data_dir": data_dir,
        "batch_size": 64,
        "show_progress_bar": False,
        "embedding_cache": False,  # every text encoded in each run, not read back from the first one's vectors
    }
    evaluate(str(tiny_bert), [TASK], output_folder=tmp_path / "one", **kw)
    assert pooled == []
    monkeypatch.setattr(SentenceTransformer, "_multi_process", counting)
    evaluate(str(tiny_bert), [TASK], output_folder=tmp_path / "two", devices=["cpu", "cpu"], **kw)
    ds = load_dataset(get_definition("xquad-r"), data_dir, ["en", "de"])
    distinct = (
        len({q.text for q in ds.languages["en"].questions})
        + len({q.text for q in ds.languages["de"].questions})
        + len({c.text("sentence") for c in ds.languages["de"].candidates})
    )
    assert sum(pooled) == distinct and max(pooled) <= 2 * 64  # every text went through the pool, a batch per process
    one, two = _scores(tmp_path / "one"), _scores(tmp_path / "two")
    assert one.keys() == two.keys() == {"en-de", "de-de"}
    for subset in one:
        assert one[subset].keys() == two[subset].keys()
        for metric, value in one[subset].items():
            assert two[subset][metric] == pytest.approx(value, abs=1e-6), (subset, metric)


def test_devices_need_a_sentence_transformers_model() -> None:
    from mteb_hybrid.evaluation import start_pool

    with pytest.raises(ValueError, match="not a sentence-transformers model"):
        start_pool(object(), ["cpu", "cpu"])
