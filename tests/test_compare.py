"""Per-query records and the paired bootstrap: checked against analytic widths, coverage, and mteb's own file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from mteb_hybrid.cli import main
from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.stats import Verdict, paired_bootstrap, query_scores, read_records, seeds_only, verdict, write_records
from mteb_hybrid.stats.records import SCHEMA, find_record_files, records_path

LANGS = ["en", "de", "th"]


def frame(values: np.ndarray, pids: np.ndarray | None = None, langs: np.ndarray | None = None) -> pd.DataFrame:
    """A per-query frame: one row per query, `pids` its question (default: one query per question)."""
    n = len(values)
    pids = np.arange(n) if pids is None else pids
    langs = np.zeros(n, dtype=int) if langs is None else langs
    return pd.DataFrame(
        {"query_id": [f"l{lg}:{p}" for lg, p in zip(langs, pids)], "parallel_id": [str(p) for p in pids], "map": values}
    )


def width(c) -> float:  # noqa: ANN001
    return c.high - c.low


# ------------------------------------------------------------------------------------------ bootstrap


def test_verdict_follows_the_interval_and_the_claimed_direction() -> None:
    assert verdict(0.01, 0.03, "greater") is Verdict.HOLDS
    assert verdict(0.01, 0.03, "less") is Verdict.FAILS
    assert verdict(-0.03, -0.01, "less") is Verdict.HOLDS
    assert verdict(-0.03, -0.01, "greater") is Verdict.FAILS
    assert verdict(-0.01, 0.02, "greater") is Verdict.INCONCLUSIVE
    assert verdict(0.0, 0.02, "greater") is Verdict.INCONCLUSIVE  # touching zero does not exclude it
    with pytest.raises(ValueError, match="direction"):
        verdict(0.1, 0.2, "bigger")  # type: ignore[arg-type]


def test_known_shift_holds_with_the_analytic_interval_width() -> None:
    rng = np.random.default_rng(1)
    n, shift = 400, 0.3
    base = rng.normal(0, 2, n)
    a, b = base + shift + rng.normal(0, 0.5, n), base + rng.normal(0, 0.5, n)
    c = paired_bootstrap(frame(a), frame(b), "map", resamples=10_000, seed=0)
    d = a - b
    assert c.diff == pytest.approx(d.mean(), abs=1e-12)
    assert (c.mean_a, c.mean_b) == (pytest.approx(a.mean()), pytest.approx(b.mean()))
    analytic = 2 * 1.96 * d.std(ddof=1) / np.sqrt(n)  # paired: the base cancels, only the differences count
    assert width(c) == pytest.approx(analytic, rel=0.10)
    assert c.low < d.mean() < c.high
    assert c.verdict is Verdict.HOLDS and (c.n_questions, c.n_queries, c.levels) == (n, n, "questions")
    assert paired_bootstrap(frame(a), frame(b), "map", direction="less", seed=0).verdict is Verdict.FAILS
    # the unpaired width would be ~4x larger: pairing is what the bootstrap exploits
    assert analytic < 0.5 * 2 * 1.96 * np.sqrt(a.var() + b.var()) / np.sqrt(n)


def test_same_distribution_is_inconclusive_in_about_95_percent_of_trials() -> None:
    rng = np.random.default_rng(7)
    trials, n = 300, 200
    outcomes = []
    for t in range(trials):
        a, b = rng.normal(0.5, 0.2, n), rng.normal(0.5, 0.2, n)
        outcomes.append(paired_bootstrap(frame(a), frame(b), "map", resamples=1000, seed=t).verdict)
    inconclusive = sum(v is Verdict.INCONCLUSIVE for v in outcomes)
    # two-sided binomial check of the rate against 0.95 (p > 0.001: ~ +-3 standard deviations, ~ 0.91-0.99)
    assert binomtest(inconclusive, trials, 0.95).pvalue > 0.001, inconclusive
    holds = sum(v is Verdict.HOLDS for v in outcomes)
    assert binomtest(holds, trials, 0.025).pvalue > 0.001, holds  # each side ~2.5%


def test_clustering_by_question_widens_the_interval_as_the_design_effect_says() -> None:
    rng = np.random.default_rng(3)
    n_q, m = 300, 11  # 11 translations per question, sharing a question effect
    pids = np.repeat(np.arange(n_q), m)
    langs = np.tile(np.arange(m), n_q)
    effect = np.repeat(rng.normal(0, 1, n_q), m)
    a = effect + rng.normal(0, 0.5, n_q * m)
    b = np.zeros(n_q * m)
    fa, fb = frame(a, pids, langs), frame(b, pids, langs)
    clustered = paired_bootstrap(fa, fb, "map", seed=0)
    rows = paired_bootstrap(fa, fb, "map", seed=0, unit="query")
    assert (clustered.levels, rows.levels, clustered.n_questions, clustered.n_queries) == (
        "questions",
        "queries",
        n_q,
        n_q * m,
    )
    # analytic standard errors: question means over questions vs rows over rows
    se_cluster = pd.Series(a).groupby(pids).mean().std(ddof=0) / np.sqrt(n_q)
    se_rows = a.std(ddof=0) / np.sqrt(n_q * m)
    assert width(clustered) / width(rows) == pytest.approx(se_cluster / se_rows, rel=0.10)
    assert width(clustered) > 2 * width(rows)  # rho ~0.8: design effect ~9, intervals ~3x wider
    # no within-question correlation: clustering changes (almost) nothing
    indep = rng.normal(0, 1, n_q * m)
    ratio = width(paired_bootstrap(frame(indep, pids, langs), fb, seed=0)) / width(
        paired_bootstrap(frame(indep, pids, langs), fb, seed=0, unit="query")
    )
    assert ratio == pytest.approx(1.0, abs=0.12)


def test_seed_level_widens_the_interval_when_seeds_differ() -> None:
    rng = np.random.default_rng(5)
    n = 500
    base = rng.normal(0.5, 0.1, n)
    noise = 0.01
    same = [frame(base + rng.normal(0, noise, n)) for _ in range(3)]
    b = [frame(base + rng.normal(0, noise, n)) for _ in range(3)]
    shifted = [frame(f["map"].to_numpy() + off) for f, off in zip(same, (-0.02, 0.0, 0.03))]
    two = paired_bootstrap(shifted, b, seed=0)
    one = paired_bootstrap(shifted, b, seed=0, resample_seeds=False)
    assert (two.levels, one.levels, two.n_seeds_a, two.n_seeds_b) == ("questions+seeds", "questions", 3, 3)
    want = np.mean([f["map"].mean() for f in shifted]) - np.mean([f["map"].mean() for f in b])
    assert two.diff == pytest.approx(want, abs=1e-12) and one.diff == pytest.approx(want, abs=1e-12)
    assert width(two) > 5 * width(one)
    # the seed level alone: means of 3 offsets drawn with replacement span about the offsets' range
    assert width(two) < 0.05 + 2 * width(one)
    # identical seeds: the second level adds nothing (only the question draws differ)
    alike_a, alike_b = [same[0]] * 3, [b[0]] * 3
    assert width(paired_bootstrap(alike_a, alike_b, seed=0)) == pytest.approx(
        width(paired_bootstrap(alike_a, alike_b, seed=0, resample_seeds=False)), rel=0.05
    )


def test_deterministic_for_a_seed_and_strictly_paired() -> None:
    rng = np.random.default_rng(0)
    a, b = frame(rng.normal(0, 1, 300)), frame(rng.normal(0, 1, 300))
    assert paired_bootstrap(a, b, seed=11) == paired_bootstrap(a, b, seed=11)
    assert paired_bootstrap(a, b, seed=11).low != paired_bootstrap(a, b, seed=12).low
    assert paired_bootstrap(a.sample(frac=1, random_state=1), b, seed=11) == paired_bootstrap(a, b, seed=11)
    # the order of rows does not matter; a query on one side only is refused, never dropped in silence
    c = paired_bootstrap(a.iloc[:200].iloc[::-1], b.iloc[:200], seed=1)
    assert c.n_queries == 200 and c.diff == pytest.approx(a["map"][:200].mean() - b["map"][:200].mean())
    with pytest.raises(ValueError, match=r"A1 and B1 hold different queries \(100 only in A1, e.g. l0:200; 0 only"):
        paired_bootstrap(a, b.iloc[:200])
    with pytest.raises(ValueError, match="10 only in A1.*10 only in B1"):
        paired_bootstrap(a.iloc[:10], b.iloc[10:20])
    bad = b.copy()
    bad.loc[0, "parallel_id"] = "other"
    with pytest.raises(ValueError, match="parallel_id"):
        paired_bootstrap(a, bad)


def test_seeds_only_fallback_is_welchs_interval_by_hand() -> None:
    from scipy.stats import t

    a, b = np.array([0.50, 0.52, 0.51]), np.array([0.45, 0.47, 0.44, 0.46])
    va, vb = a.var(ddof=1) / 3, b.var(ddof=1) / 4
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 3)  # Welch-Satterthwaite
    half = t.ppf(0.975, df) * np.sqrt(va + vb)
    c = seeds_only(a, b, "map")
    assert (c.low, c.high) == (pytest.approx(a.mean() - b.mean() - half), pytest.approx(a.mean() - b.mean() + half))
    assert c.verdict is Verdict.HOLDS and c.levels == "seeds" and (c.n_seeds_a, c.n_seeds_b) == (3, 4)
    assert seeds_only(a, a + 0.001 * np.array([1, -1, 0]), direction="less").verdict is Verdict.INCONCLUSIVE
    with pytest.raises(ValueError, match="at least 2 seeds a side"):
        seeds_only([0.5], b)


# -------------------------------------------------------------------------------------------- records


def hand_records() -> pd.DataFrame:
    """Two questions (q1, q2) in en and de: pairs en-en, en-de, de-de, de-en, and the pools."""
    rows = []
    for q, ap in (
        ("q1", {"en-en": 1.0, "en-de": 0.5, "en-pool": 0.4, "de-de": 0.9, "de-en": 0.3, "de-pool": 0.2}),
        ("q2", {"en-en": 0.8, "en-de": 0.1, "en-pool": 0.6, "de-de": 0.7, "de-en": 0.5, "de-pool": 0.0}),
    ):
        for subset, v in ap.items():
            pool = subset.endswith("pool")
            rows.append(
                {
                    "split": "test",
                    "subset": subset,
                    "query_id": f"{subset[:2]}:{q}",
                    "parallel_id": q,
                    "map": v,
                    "ndcg_at_10": v / 2,
                    "mrr_at_10": v / 4,
                    "rank_distance": 3.0 if pool else np.nan,
                    "same_language_at_10": 0.5 if pool else np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_records_round_trip_and_settings_by_hand(tmp_path: Path) -> None:
    path = records_path(tmp_path / "Task.json")
    assert path.name == "Task.per_query.parquet"
    write_records(path, hand_records().sample(frac=1, random_state=0), task="Task", model="org/m", revision="r1")
    got = read_records(path)
    assert list(got.columns) == SCHEMA.names and len(got) == 12
    mono = query_scores(got, "mono").set_index("query_id")
    assert mono.loc["en:q1", "map"] == 1.0 and mono.loc["de:q2", "ndcg_at_10"] == pytest.approx(0.35)
    assert "rank_distance" not in mono.columns and mono["query_lang"].to_dict()["de:q1"] == "de"
    cross = query_scores(got, "cross").set_index("query_id")
    assert cross.loc["en:q2", "map"] == pytest.approx(0.1) and cross.loc["de:q1", "n_subsets"] == 1
    multi = query_scores(got, "multi").set_index("query_id")
    assert multi.loc["de:q2", "map"] == 0.0 and multi.loc["en:q1", "rank_distance"] == 3.0
    assert list(query_scores(got, "mono", languages=["de"])["query_id"]) == ["de:q1", "de:q2"]
    assert query_scores(got, "cross", languages=["de"]).empty  # de-en needs en selected too


def test_a_broken_record_file_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "Task.per_query.parquet"
    path.write_text("not parquet")
    with pytest.raises(DataFormatError, match="Task.per_query.parquet.*<file>.*--overwrite"):
        read_records(path)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"map": [1.0]}), path)
    with pytest.raises(DataFormatError, match="metadata"):
        read_records(path)


# -------------------------------------------------------------------- records of a real evaluation


def test_reciprocal_ranks_equal_mteb_mrr_with_ties() -> None:
    from mteb._evaluators.retrieval_metrics import mrr

    from mteb_hybrid.benchmark.per_query import reciprocal_ranks

    rng = np.random.default_rng(2)
    qids = [f"en:{i}" for i in range(300)]
    # scores on a coarse grid: many exact ties, broken by doc id as pytrec_eval does
    results = {
        q: {f"de:{j}": float(v) for j, v in zip(rng.choice(60, 20, replace=False), rng.integers(0, 4, 20) / 4)}
        for q in qids
    }
    qrels = {q: {f"de:{j}": 1 for j in rng.choice(60, 3, replace=False)} for q in qids}
    ours = reciprocal_ranks(qids, qrels, results)
    assert [ours[q] for q in qids] == mrr(qrels, results, [10])["MRR@10"]
    assert 0 < sum(v == 0 for v in ours.values()) < len(qids)  # both outcomes occur


def file_value(values: pd.Series, digits: int = 6) -> float:
    """The mean as mteb's result file holds it: mteb writes scores rounded to 6 decimals."""
    return round(round(float(np.mean(values.to_numpy())), digits), 6)


@pytest.fixture(scope="module")
def evaluated(tiny_bert: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """XQuAD-R (sentence candidates), 3 languages = 9 pairs + 3 pools, through the package's result cache."""
    import mteb
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.results_io import AtomicResultCache

    out = tmp_path_factory.mktemp("results")
    task = TASK_CLASSES["XQuADRSentenceRetrieval"](data_dir=data_dir).filter_languages(LANGS)
    model = SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert)))
    cache = AtomicResultCache(out)
    mteb.evaluate(
        model,
        cache.collect_records_of([task]),
        cache=cache,
        encode_kwargs={"batch_size": 128, "show_progress_bar": False},
        show_progress_bar=False,
    )
    (result,) = out.rglob("XQuADRSentenceRetrieval.json")
    return out, result


def test_records_average_to_the_subset_scores_in_mteb_file(evaluated, data_dir: Path) -> None:  # noqa: ANN001
    out, result = evaluated
    path = records_path(result)
    assert path.is_file() and find_record_files(out) == [path]
    rows = read_records(path)
    scores = {s["hf_subset"]: s for s in json.loads(result.read_text())["scores"]["test"]}
    assert set(rows["subset"].astype(str)) == set(scores) and len(scores) == 12
    for subset, s in scores.items():
        sub = rows[rows["subset"] == subset]
        assert len(sub) == 1190 and sub["query_id"].astype(str).str.startswith(subset[:2] + ":").all()
        assert file_value(sub["map"]) == s["map"]
        assert file_value(sub["ndcg_at_10"], 5) == s["ndcg_at_10"]  # mteb rounds nDCG to 5 decimals first
        assert file_value(sub["mrr_at_10"]) == s["mrr_at_10"]
        if subset.endswith("pool"):
            assert file_value(sub["rank_distance"]) == s["rank_distance"]
            assert file_value(sub["same_language_at_10"]) == s["same_language_at_10"]
        else:
            assert sub["rank_distance"].isna().all()
    # the settings: one row per query; cross = mean of the query's two cross pairs; a question has 3 queries
    cross = query_scores(rows, "cross").set_index("query_id")
    pairs = rows[rows["subset"].isin(["en-de", "en-th"])].groupby("query_id", observed=True)["map"].mean()
    assert cross.loc[pairs.index, "map"].to_numpy() == pytest.approx(pairs.to_numpy())
    assert (cross["n_subsets"] == 2).all() and len(cross) == 3 * 1190
    assert query_scores(rows, "multi").groupby("parallel_id").size().eq(3).all()
    # the evaluation settings are read from the model and the files as they were
    from mteb_hybrid.files import file_sha256
    from mteb_hybrid.stats.records import read_evaluation

    evaluation = read_evaluation(path)
    assert evaluation is not None and evaluation.environment.accelerator == "cpu"
    s = evaluation.settings
    assert (s.task, s.candidate_form, s.max_seq_length, s.precision) == (
        "XQuADRSentenceRetrieval",
        "sentence",
        64,
        "float32",
    )
    assert set(s.data_sha256) == {
        f"xquad-r/{lang}.json" for lang in ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
    }  # the pools read every file
    assert s.data_sha256["xquad-r/de.json"] == file_sha256(data_dir / "xquad-r" / "de.json")


def test_a_resumed_evaluation_keeps_the_records_of_finished_subsets(
    tiny_bert: Path, data_dir: Path, tmp_path: Path
) -> None:
    import mteb
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.results_io import AtomicResultCache

    def run(subsets: list[str]) -> None:
        task = TASK_CLASSES["XQuADRSentenceRetrieval"](data_dir=data_dir).filter_languages(["en", "de"])
        task.hf_subsets = subsets
        model = SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert)))
        cache = AtomicResultCache(tmp_path)
        mteb.evaluate(
            model,
            cache.collect_records_of([task]),
            cache=cache,
            show_progress_bar=False,
            encode_kwargs={"batch_size": 128, "show_progress_bar": False},
        )

    run(["en-en"])
    (result,) = tmp_path.rglob("XQuADRSentenceRetrieval.json")
    first = read_records(records_path(result))
    assert set(first["subset"].astype(str)) == {"en-en"}
    run(["en-en", "en-de", "de-de"])  # mteb evaluates only the two missing subsets
    rows = read_records(records_path(result))
    scores = {s["hf_subset"]: s for s in json.loads(result.read_text())["scores"]["test"]}
    assert set(rows["subset"].astype(str)) == set(scores) == {"en-en", "en-de", "de-de"}
    kept = rows[rows["subset"] == "en-en"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept.astype(str), first.astype(str))
    for subset, s in scores.items():
        assert file_value(rows.loc[rows["subset"] == subset, "map"]) == s["map"]


def test_rows_travel_with_their_cache_not_through_the_process(tiny_bert: Path, data_dir: Path, tmp_path: Path) -> None:
    import mteb
    from mteb.cache import ResultCache
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.results_io import AtomicResultCache

    model = SentenceTransformerEncoderWrapper(SentenceTransformer(str(tiny_bert)))
    quiet = {"show_progress_bar": False, "encode_kwargs": {"batch_size": 128, "show_progress_bar": False}}

    def task(subset: str):  # noqa: ANN202
        t = TASK_CLASSES["XQuADRSentenceRetrieval"](data_dir=data_dir).filter_languages(["en", "de"])
        t.hf_subsets = [subset]
        return t

    plain = task("en-en")  # mteb's own cache gives the task no buffer: no rows kept, no records file
    mteb.evaluate(model, [plain], cache=ResultCache(tmp_path / "plain"), **quiet)
    assert plain.records is None and list((tmp_path / "plain").rglob("*.json"))
    assert not list((tmp_path / "plain").rglob("*.per_query.parquet"))
    a, b = AtomicResultCache(tmp_path / "a"), AtomicResultCache(tmp_path / "b")
    mteb.evaluate(model, a.collect_records_of([task("en-en")]), cache=a, **quiet)
    mteb.evaluate(model, b.collect_records_of([task("de-de")]), cache=b, **quiet)
    for root, subset in ((tmp_path / "a", "en-en"), (tmp_path / "b", "de-de")):  # each cache: its own rows only
        (path,) = find_record_files(root)
        assert set(read_records(path)["subset"].astype(str)) == {subset}


# ------------------------------------------------------------------------------------------------ CLI


def write_side(folder: Path, model: str, offset: float, seed: int) -> None:
    rows = hand_records()
    rng = np.random.default_rng(seed)
    rows["map"] = np.clip(rows["map"] + offset + rng.normal(0, 0.01, len(rows)), 0, 1)
    write_records(
        folder / "results" / f"org__{model}" / "rev" / "XQuADRRetrieval.per_query.parquet",
        rows,
        task="XQuADRRetrieval",
        model=f"org/{model}",
        revision="rev",
    )


def test_compare_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in (1, 2):
        write_side(tmp_path / f"a{i}", f"a{i}", 0.0, i)
    write_side(tmp_path / "b", "b", -0.2, 9)
    a = f"{tmp_path / 'a1'},{tmp_path / 'a2'}"
    assert main(["compare", a, str(tmp_path / "b"), "--setting", "cross", "--resamples", "2000", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    want = (
        np.mean(
            [
                query_scores(read_records(p), "cross")["map"].mean()
                for p in find_record_files(tmp_path / "a1") + find_record_files(tmp_path / "a2")
            ]
        )
        - query_scores(read_records(find_record_files(tmp_path / "b")[0]), "cross")["map"].mean()
    )
    assert f"A - B = {want:+.5f}" in out
    assert "2 questions, 4 queries" in out and "over 2 seed(s)" in out and "over 1 seed(s)" in out
    # one seed on a side: two trained models, not recipes; no holds / fails
    assert "compares two trained models, not two recipes" in out and "verdict for" not in out
    assert out.strip().endswith("finding: A higher than B for these two trained models")
    assert main(["compare", a, str(tmp_path / "b"), "--setting", "cross", "--resamples", "2000", "--seed", "3"]) == 0
    assert capsys.readouterr().out == out  # deterministic for a seed
    assert main(["compare", a, str(tmp_path / "b"), "-l", "deu", "--resamples", "500"]) == 0
    out = capsys.readouterr().out
    assert "languages de" in out and "2 questions, 2 queries" in out  # ISO 639-3 as evaluate -l takes it


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "{t}/nothing", "{t}/b"], "no such results folder"),
        (["compare", "{t}/empty", "{t}/b"], "no per-query records"),
        (
            ["compare", "{t}/b", "{t}/b", "--metric", "rank_distance"],
            "only in the multilingual pool: use --setting multi",
        ),
        (["compare", "{t}/b", "{t}/b", "-l", "xx"], "unknown language(s) xx"),
    ],
)
def test_compare_cli_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    write_side(tmp_path / "b", "b", 0.0, 1)
    (tmp_path / "empty").mkdir()
    assert main([a.replace("{t}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


# ------------------------------------------------------------------------------------------ like for like


def write_evaluated(
    folder: Path,
    model: str,
    length: int,
    rows: pd.DataFrame | None = None,
    files: dict[str, str] | None = None,
    result_subsets: list[str] | None = None,
) -> Path:
    from mteb_hybrid.stats.records import Evaluation, EvaluationEnvironment, EvaluationSettings

    settings = EvaluationSettings(
        task="XQuADRRetrieval",
        candidate_form="sentence+context",
        max_seq_length=length,
        precision="float32",
        backend="sentence-transformers",
        data_sha256=files or {"xquad-r/en.json": "aa", "xquad-r/de.json": "bb"},
        task_version="lareqa@1/v1",
    )
    path = folder / "results" / f"org__{model}" / "rev" / "XQuADRRetrieval.per_query.parquet"
    write_records(
        path,
        hand_records() if rows is None else rows,
        task="XQuADRRetrieval",
        model=f"org/{model}",
        revision="rev",
        evaluation=Evaluation(settings=settings, environment=EvaluationEnvironment(accelerator="cpu")),
    )
    if result_subsets is not None:  # mteb's result file beside the records
        scores = {"test": [{"hf_subset": s, "main_score": 0.0} for s in result_subsets]}
        path.with_name("XQuADRRetrieval.json").write_text(json.dumps({"scores": scores}), encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["compare", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_compare_refuses_a_64_vs_512_token_pair_and_names_max_seq_length(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_evaluated(tmp_path / "trained", "trained", 64)
    write_evaluated(tmp_path / "base", "base", 512)
    code, out, err = run_cli(capsys, tmp_path / "trained", tmp_path / "base")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "not evaluated like for like: max_seq_length: A1=64, B1=512" in err and "--allow-mismatch" in err
    code, out, _ = run_cli(capsys, tmp_path / "trained", tmp_path / "base", "--allow-mismatch", "--resamples", "200")
    assert code == 0 and "MISMATCH (--allow-mismatch): max_seq_length: A1=64, B1=512" in out
    write_evaluated(tmp_path / "same", "same", 64)
    code, out, _ = run_cli(capsys, tmp_path / "trained", tmp_path / "same", "--resamples", "200")
    assert code == 0 and "max_seq_length 64" in out and "MISMATCH" not in out


def test_changed_data_file_is_a_mismatch_but_a_file_only_one_side_read_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_evaluated(tmp_path / "a", "a", 64, files={"xquad-r/en.json": "aa", "xquad-r/de.json": "bb"})
    write_evaluated(tmp_path / "b", "b", 64, files={"xquad-r/en.json": "aa", "xquad-r/de.json": "cc"})
    write_evaluated(
        tmp_path / "c", "c", 64, files={"xquad-r/en.json": "aa", "xquad-r/de.json": "bb", "xquad-r/th.json": "dd"}
    )
    code, _, err = run_cli(capsys, tmp_path / "a", tmp_path / "b")
    assert code == 2 and "data_sha256: xquad-r/de.json differ" in err
    assert run_cli(capsys, tmp_path / "a", tmp_path / "c", "--resamples", "200")[0] == 0


def test_strict_pairing_refuses_what_differs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = hand_records()
    write_evaluated(tmp_path / "a", "a", 64)
    # B scored en and th: other cross subsets under the same setting
    other = rows.copy()
    other["subset"] = other["subset"].str.replace("de", "th")
    other["query_id"] = other["query_id"].str.replace("de:", "th:")
    write_evaluated(tmp_path / "b", "b", 64, rows=other)
    code, _, err = run_cli(capsys, tmp_path / "a", tmp_path / "b", "--setting", "cross")
    assert code == 2 and "A1 and B1 hold different cross subsets" in err
    # renamed query ids: refused, never compared on the shared part
    renamed = rows.copy()
    renamed.loc[renamed["query_id"].str.startswith("en:"), "query_id"] = "en:x"
    renamed["query_id"] = [f"{q}{i}" if q == "en:x" else q for i, q in enumerate(renamed["query_id"])]
    write_evaluated(tmp_path / "c", "c", 64, rows=renamed)
    code, _, err = run_cli(capsys, tmp_path / "a", tmp_path / "c", "--setting", "cross")
    assert code == 2 and "hold different queries" in err
    # the same folder twice is not two seeds
    code, _, err = run_cli(capsys, f"{tmp_path / 'a'},{tmp_path / 'a'}", tmp_path / "c")
    assert code == 2 and "names the same folder twice" in err
    # sides of different tasks: said so, not "no records"
    write_side(tmp_path / "sentence", "s", 0.0, 1)
    moved = next((tmp_path / "sentence").rglob("*.per_query.parquet"))
    moved.rename(moved.with_name("XQuADRSentenceRetrieval.per_query.parquet"))
    code, _, err = run_cli(capsys, tmp_path / "a", tmp_path / "sentence")
    assert code == 2 and "holds records of XQuADRSentenceRetrieval, not of XQuADRRetrieval" in err
    # a records file that misses subsets of its result file
    write_evaluated(
        tmp_path / "d", "d", 64, rows=rows[rows["subset"] != "de-de"], result_subsets=sorted(set(rows["subset"]))
    )
    code, _, err = run_cli(capsys, tmp_path / "a", tmp_path / "d")
    assert code == 2 and "holds no per-query rows for 1 subset(s) its result file scored (de-de)" in err
