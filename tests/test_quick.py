"""`quickstart --quick`: a few-language slice of XQuAD-R sentences under its own name, scored into a bias table."""

from __future__ import annotations

from pathlib import Path

import pytest

from mteb_hybrid.data import get_definition, load_dataset
from mteb_hybrid.quickstart import quick_task


def test_the_slice_has_pairs_and_pools_of_its_languages_only(data_dir: Path) -> None:
    cls = quick_task(("en", "th"))
    assert cls.metadata.name == "XQuADRQuickEnThSentenceRetrieval"
    assert sorted(cls.metadata.eval_langs) == ["en-en", "en-pool", "en-th", "th-en", "th-pool", "th-th"]
    task = cls(data_dir=data_dir)
    task.load_data()
    ds = load_dataset(get_definition("xquad-r"), data_dir, ["en", "th"])
    pool = task.dataset["th-pool"]["test"]
    assert len(pool["corpus"]) == len(ds.languages["en"].candidates) + len(ds.languages["th"].candidates)
    assert {i.split(":")[0] for i in pool["corpus"]["id"]} == {"en", "th"}
    assert all(len(rel) <= 2 for rel in pool["relevant_docs"].values())  # one answer per language at most
    with pytest.raises(ValueError, match="unknown language"):
        quick_task(("en", "fr"))
    with pytest.raises(ValueError, match="at least two languages"):
        quick_task(("en",))


def test_a_slice_scores_into_the_bias_table(tiny_bert: Path, data_dir: Path, tmp_path: Path) -> None:
    from mteb_hybrid.evaluation import evaluate
    from mteb_hybrid.reporting import format_summary, load_scores, summarize

    cls = quick_task(("en", "de"))
    evaluate(str(tiny_bert), [cls], data_dir=data_dir, output_folder=tmp_path, batch_size=128, show_progress_bar=False)
    scores = load_scores(tmp_path / "results", tasks=[cls.metadata.name])
    assert sorted(scores["subset"]) == ["de-de", "de-en", "de-pool", "en-de", "en-en", "en-pool"]
    pools = scores[scores["setting"] == "multi"]
    assert pools["rank_distance"].notna().all() and pools["same_language_at_10"].between(0, 1).all()
    table = summarize(scores).table.iloc[0]
    assert table["n_mono"] == 2 and table["n_cross"] == 2 and table["n_multi"] == 2
    text = format_summary(summarize(scores), per_language=False)
    assert cls.metadata.name in text and "degradation" in text
