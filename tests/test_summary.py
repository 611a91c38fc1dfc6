"""Summaries from hand-built mteb result files with known scores; expected numbers are computed by hand."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from mteb.results import TaskResult

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.reporting import (
    Summary,
    add_summarize_arguments,
    format_summary,
    load_scores,
    run_summarize,
    summarize,
    write_summary,
)

LANGS = ("en", "de", "el")
TAGS = {"en": "eng-Latn", "de": "deu-Latn", "el": "ell-Grek"}

# Model A, XQuADRRetrieval, every subset. (ndcg_at_10, map) per subset; pools add (rank_distance, same_language_at_10).
A_PAIRS = {
    "en-en": (0.90, 0.80),
    "en-de": (0.60, 0.50),
    "en-el": (0.40, 0.30),
    "de-de": (0.80, 0.70),
    "de-en": (0.70, 0.60),
    "de-el": (0.50, 0.20),
    "el-el": (0.70, 0.60),
    "el-en": (0.30, 0.25),
    "el-de": (0.10, 0.05),
}
A_POOLS = {"en": (0.50, 0.40, 10.0, 0.2), "de": (0.45, 0.35, 20.0, 0.3), "el": (0.10, 0.05, 60.0, 0.7)}
# Model B, XQuADRRetrieval: el-de missing, el-pool missing (a partial run).
B_PAIRS = {
    "en-en": (0.60, 0.50),
    "en-de": (0.20, 0.10),
    "en-el": (0.40, 0.30),
    "de-de": (0.50, 0.40),
    "de-en": (0.30, 0.20),
    "de-el": (0.10, 0.10),
    "el-el": (0.40, 0.30),
    "el-en": (0.30, 0.20),
}
B_POOLS = {"en": (0.30, 0.20, 100.0, 0.6), "de": (0.20, 0.10, 200.0, 0.8)}
# Model B, MLQARRetrieval: monolingual subsets only.
B_MLQA = {"en-en": (0.55, 0.45), "de-de": (0.35, 0.25)}


def _subset(name: str, ndcg: float, map_: float, extra: dict[str, float] | None = None) -> dict:
    q, c = name.split("-")
    langs = [TAGS[q], *(TAGS.values() if c == "pool" else [TAGS[c]])]
    return {
        "hf_subset": name,
        "languages": langs,
        "main_score": ndcg,
        "ndcg_at_10": ndcg,
        "map": map_,
        "map_at_10": map_ / 2,
        "recall_at_10": 1.0,
        **(extra or {}),
    }


def _task_file(folder: Path, task: str, pairs: dict, pools: dict) -> Path:
    scores = [_subset(n, *v) for n, v in pairs.items()]
    scores += [
        _subset(f"{q}-pool", n, m, {"rank_distance": rd, "same_language_at_10": sl})
        for q, (n, m, rd, sl) in pools.items()
    ]
    result = TaskResult(
        dataset_revision="1", task_name=task, mteb_version="2.26.24", scores={"test": scores}, evaluation_time=1.0
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{task}.json"
    result.to_disk(path)  # mteb's own writer: the exact on-disk format
    return path


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An mteb output folder: results/<org>__<name>/<revision>/..., as `mteb run --output-folder` writes it."""
    out = tmp_path / "run"
    a = out / "results" / "org__model-a" / "rev-a"
    _task_file(a, "XQuADRRetrieval", A_PAIRS, A_POOLS)
    (a / "model_meta.json").write_text(json.dumps({"name": "org/model-a", "revision": "rev-a", "max_tokens": math.inf}))
    (a / "run_settings.jsonl").write_text('{"task": "XQuADRRetrieval"}\n')
    # a non-LAReQA task next to it: must be ignored
    TaskResult(
        dataset_revision="1",
        task_name="STS12",
        mteb_version="2.26.24",
        evaluation_time=1.0,
        scores={"test": [{"hf_subset": "default", "languages": ["eng-Latn"], "main_score": 0.5}]},
    ).to_disk(a / "STS12.json")
    # mteb's own MLQARetrieval: pair subsets, but no pool and no LAReQA `map`: must be ignored too
    TaskResult(
        dataset_revision="1",
        task_name="MLQARetrieval",
        mteb_version="2.26.24",
        evaluation_time=1.0,
        scores={
            "test": [
                {
                    "hf_subset": "ara-deu",
                    "languages": ["ara-Arab", "deu-Latn"],
                    "main_score": 0.5,
                    "ndcg_at_10": 0.5,
                    "map_at_10": 0.4,
                }
            ]
        },
    ).to_disk(a / "MLQARetrieval.json")
    b = out / "results" / "org__model-b" / "rev-b"  # no model_meta.json: identity from the folder names
    _task_file(b, "XQuADRRetrieval", B_PAIRS, B_POOLS)
    _task_file(b, "MLQARRetrieval", B_MLQA, {})
    return out


def _row(frame: pd.DataFrame, **where: str) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for k, v in where.items():
        mask &= frame[k] == v
    assert mask.sum() == 1, (where, mask.sum())
    return frame[mask].iloc[0]


def test_load_scores_long_table(out_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO"):
        df = load_scores(out_dir)
    assert set(df["task"]) == {"XQuADRRetrieval", "MLQARRetrieval"}  # STS12 skipped ...
    assert "STS12" in caplog.text and "MLQARetrieval.json" in caplog.text  # ... with a log line
    assert set(zip(df["model"], df["revision"])) == {("org/model-a", "rev-a"), ("org/model-b", "rev-b")}
    a = df[(df["model"] == "org/model-a")]
    assert len(a) == 9 + 3
    assert a["setting"].value_counts().to_dict() == {"cross": 6, "mono": 3, "multi": 3}
    r = _row(df, model="org/model-a", subset="el-de")
    assert (r["query_lang"], r["corpus_lang"], r["setting"], r["map"]) == ("el", "de", "cross", pytest.approx(0.05))
    r = _row(df, model="org/model-a", subset="de-pool")
    assert (r["corpus_lang"], r["setting"], r["rank_distance"]) == ("pool", "multi", 20.0)
    assert math.isnan(_row(df, model="org/model-a", subset="de-de")["rank_distance"])
    for col in ("main_score", "map", "ndcg_at_10", "rank_distance", "same_language_at_10", "map_at_10", "recall_at_10"):
        assert col in df.columns


def test_load_scores_accepts_each_layout(out_dir: Path) -> None:
    whole = load_scores(out_dir)
    assert len(load_scores(out_dir / "results")) == len(whole) == 12 + 10 + 2
    # a folder of model folders that is not called results/
    other = out_dir.parent / "models"
    (out_dir / "results").rename(other)
    assert len(load_scores(other)) == len(whole)
    assert set(load_scores(other, tasks=["MLQARRetrieval"])["task"]) == {"MLQARRetrieval"}


def test_malformed_json_names_the_file(out_dir: Path) -> None:
    bad = out_dir / "results" / "org__model-a" / "rev-a" / "MLQARRetrieval.json"
    bad.write_text('{"task_name": "MLQARRetrieval", "scores": ')
    with pytest.raises(DataFormatError, match="MLQARRetrieval.json") as e:
        load_scores(out_dir)
    assert str(bad) in str(e.value)


def test_duplicate_subsets_are_an_error(out_dir: Path) -> None:
    copy = out_dir.parent / "copy" / "results" / "org__model-a" / "rev-a"
    _task_file(copy, "XQuADRRetrieval", A_PAIRS, A_POOLS)
    (copy / "model_meta.json").write_text(json.dumps({"name": "org/model-a", "revision": "rev-a"}))
    with pytest.raises(ValueError, match="in both"):
        load_scores(out_dir.parent)


def test_table1_macro_averages(out_dir: Path) -> None:
    s = summarize(load_scores(out_dir))
    a = _row(s.table, model="org/model-a", task="XQuADRRetrieval", group="all")
    assert a["ndcg_at_10_mono"] == pytest.approx((0.9 + 0.8 + 0.7) / 3)
    assert a["ndcg_at_10_cross"] == pytest.approx(((0.6 + 0.4) / 2 + (0.7 + 0.5) / 2 + (0.3 + 0.1) / 2) / 3)
    assert a["ndcg_at_10_multi"] == pytest.approx((0.5 + 0.45 + 0.1) / 3)
    assert a["map_mono"] == pytest.approx((0.8 + 0.7 + 0.6) / 3)
    assert a["map_cross"] == pytest.approx(((0.5 + 0.3) / 2 + (0.6 + 0.2) / 2 + (0.25 + 0.05) / 2) / 3)
    assert a["map_multi"] == pytest.approx((0.4 + 0.35 + 0.05) / 3)
    assert a["rank_distance"] == pytest.approx(30.0)
    assert a["same_language_at_10"] == pytest.approx(0.4)
    assert (a["n_query_langs"], a["n_mono"], a["n_cross"], a["n_multi"]) == (3, 3, 6, 3)


def test_cross_is_averaged_per_query_language_first(out_dir: Path) -> None:
    s = summarize(load_scores(out_dir))
    b = _row(s.table, model="org/model-b", task="XQuADRRetrieval", group="all")
    # el has one cross subset (el-en): the two-step mean differs from the flat mean over 5 subsets
    two_step = ((0.2 + 0.4) / 2 + (0.3 + 0.1) / 2 + 0.3) / 3
    flat = (0.2 + 0.4 + 0.3 + 0.1 + 0.3) / 5
    assert two_step != pytest.approx(flat)
    assert b["ndcg_at_10_cross"] == pytest.approx(two_step)
    assert b["ndcg_at_10_multi"] == pytest.approx((0.3 + 0.2) / 2)  # el-pool missing: over en, de
    assert b["rank_distance"] == pytest.approx(150.0)
    assert (b["n_query_langs"], b["n_mono"], b["n_cross"], b["n_multi"]) == (3, 3, 5, 2)


def test_degradation(out_dir: Path) -> None:
    a = _row(summarize(load_scores(out_dir)).table, model="org/model-a", task="XQuADRRetrieval", group="all")
    mono, cross = 0.8, 1.3 / 3
    assert a["ndcg_at_10_drop_cross"] == pytest.approx(mono - cross)
    assert a["ndcg_at_10_drop_cross_pct"] == pytest.approx(100 * (mono - cross) / mono)  # 45.83 %
    assert a["ndcg_at_10_drop_multi"] == pytest.approx(0.45)
    assert a["ndcg_at_10_drop_multi_pct"] == pytest.approx(56.25)


def test_missing_settings_are_nan(out_dir: Path) -> None:
    s = summarize(load_scores(out_dir))
    m = _row(s.table, model="org/model-b", task="MLQARRetrieval", group="all")
    assert m["ndcg_at_10_mono"] == pytest.approx(0.45)
    for col in (
        "ndcg_at_10_cross",
        "ndcg_at_10_multi",
        "map_cross",
        "map_multi",
        "rank_distance",
        "same_language_at_10",
        "ndcg_at_10_drop_cross",
        "ndcg_at_10_drop_multi_pct",
    ):
        assert math.isnan(m[col]), col
    assert (m["n_mono"], m["n_cross"], m["n_multi"]) == (2, 0, 0)
    el = _row(s.per_language, model="org/model-b", task="XQuADRRetrieval", query_lang="el")
    assert math.isnan(el["ndcg_at_10_multi"]) and math.isnan(el["rank_distance"])
    text = format_summary(s)
    assert "MLQARRetrieval" in text


def test_per_language_rows(out_dir: Path) -> None:
    p = summarize(load_scores(out_dir)).per_language
    assert len(p[(p["model"] == "org/model-a") & (p["task"] == "XQuADRRetrieval")]) == 3
    de = _row(p, model="org/model-a", task="XQuADRRetrieval", query_lang="de")
    assert de["ndcg_at_10_mono"] == pytest.approx(0.8)
    assert de["ndcg_at_10_cross"] == pytest.approx(0.6)
    assert de["ndcg_at_10_multi"] == pytest.approx(0.45)
    assert de["map_cross"] == pytest.approx(0.4)
    assert de["rank_distance"] == 20.0
    assert (de["n_mono"], de["n_cross"], de["n_multi"], de["group"]) == (1, 2, 1, "all")


def test_seen_unseen_split(out_dir: Path) -> None:
    s = summarize(load_scores(out_dir), unseen_languages=["EL"])
    t = s.table[(s.table["model"] == "org/model-a") & (s.table["task"] == "XQuADRRetrieval")]
    assert list(t["group"]) == ["all", "seen", "unseen"]
    seen, unseen = _row(t, group="seen"), _row(t, group="unseen")
    assert seen["ndcg_at_10_mono"] == pytest.approx(0.85)
    assert seen["ndcg_at_10_cross"] == pytest.approx((0.5 + 0.6) / 2)
    assert seen["rank_distance"] == pytest.approx(15.0)
    assert unseen["ndcg_at_10_mono"] == pytest.approx(0.7)
    assert unseen["ndcg_at_10_cross"] == pytest.approx(0.2)
    assert unseen["rank_distance"] == pytest.approx(60.0)
    assert (seen["n_query_langs"], unseen["n_query_langs"]) == (2, 1)
    # MLQA of model B has no el queries: no unseen row rather than an empty one
    m = s.table[(s.table["model"] == "org/model-b") & (s.table["task"] == "MLQARRetrieval")]
    assert list(m["group"]) == ["all", "seen"]
    assert _row(s.per_language, model="org/model-a", task="XQuADRRetrieval", query_lang="el")["group"] == "unseen"


def test_write_summary_files(out_dir: Path, tmp_path: Path) -> None:
    s = summarize(load_scores(out_dir), unseen_languages={"el"})
    target = tmp_path / "summary"
    written = write_summary(s, target)
    assert sorted(p.name for p in target.iterdir()) == [
        "per_language.csv",
        "summary.csv",
        "summary.md",
    ]  # no temp files left
    assert set(written) == {"summary.csv", "per_language.csv", "summary.md"}
    csv = pd.read_csv(target / "summary.csv")
    a = _row(csv, model="org/model-a", task="XQuADRRetrieval", group="all")
    assert a["ndcg_at_10_mono"] == pytest.approx(0.8) and a["n_cross"] == 6
    assert math.isnan(_row(csv, model="org/model-b", task="MLQARRetrieval", group="all")["ndcg_at_10_cross"])
    assert len(pd.read_csv(target / "per_language.csv")) == 3 + 3 + 2
    md = (target / "summary.md").read_text()
    # model A, XQuAD-R, all: mAP mono 0.700, cross 0.317 (0.95 / 3), nDCG@10 mono 0.800, RD 30.0; drop 45.8 %
    line = next(ln for ln in md.splitlines() if ln.startswith("| org/model-a | all |") and "30.0" in ln)
    assert "| 0.700 | 0.317 | 0.267 | 0.800 | 0.433 | 0.350 | 30.0 | 0.400 |" in line
    assert (
        "45.8%" in md and "85.7%" in md
    )  # model A mono-cross: 100 * (0.8 - 1.3 / 3) / 0.8; unseen mono-multi: 100 * 0.6 / 0.7
    assert "| org/model-b | all | 0.350 | - | - | 0.450 | - | - | - | - |" in md  # MLQA-R, mono only
    assert "rank distance" in md.lower()


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mteb-hybrid summarize")
    add_summarize_arguments(parser)
    return parser.parse_args(argv)


def test_cli(out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse([str(out_dir), "--unseen", "el", "--task", "XQuADRRetrieval"])
    assert run_summarize(args) == 0
    out = capsys.readouterr().out
    assert "XQuADRRetrieval (test): Table 1 layout" in out and "MLQARRetrieval" not in out.split("wrote")[0]
    assert "nothing written" in out and not (out_dir / "summary").exists()  # default: print only, no writes
    assert run_summarize(_parse([str(out_dir), "--task", "XQuADRRetrieval", "--out", str(out_dir / "s")])) == 0
    assert set(pd.read_csv(out_dir / "s" / "summary.csv")["task"]) == {"XQuADRRetrieval"}


def test_cli_errors(out_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = out_dir / "results" / "org__model-b" / "rev-b" / "XQuADRRetrieval.json"
    bad.write_text("{")
    assert run_summarize(_parse([str(out_dir), "--out", str(tmp_path / "s")])) == 1
    assert str(bad) in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_summarize(_parse([str(empty)])) == 1
    assert "no LAReQA results" in capsys.readouterr().err


def test_help_explains_columns() -> None:
    parser = argparse.ArgumentParser(prog="mteb-hybrid summarize")
    add_summarize_arguments(parser)
    text = parser.format_help()
    for words in ("rank distance", "macro average over query languages", "same-lang@10", "--unseen", "mono-cross"):
        assert words in text, words


def test_empty_summary(tmp_path: Path) -> None:
    s = summarize(load_scores(tmp_path))
    assert isinstance(s, Summary) and s.table.empty and s.per_language.empty
    assert format_summary(s) == "no LAReQA results"
