"""Training data: parallel QA rows, readers, bad input, per-source datasets, held-out split, guard, CLI.

No model is needed here; these run on the real MLQA-R / XQuAD-R files.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path

import pytest

from mteb_hybrid.data import get_definition, load_dataset
from mteb_hybrid.training.guard import ZeroShotViolation, check_zero_shot, find_overlaps, normalize_text
from mteb_hybrid.training.rows import (
    QARow,
    TrainingDataError,
    check_rows,
    parse_data_spec,
    read_jsonl,
    read_spec,
    rows_from_hf,
    rows_from_lareqa,
    split_heldout,
)
from mteb_hybrid.training.sources import build_eval_set, build_sources, kinds_for


@pytest.fixture(scope="module")
def mlqa(data_dir: Path):
    return load_dataset(get_definition("mlqa-r"), data_dir)


@pytest.fixture(scope="module")
def mlqa_rows(data_dir: Path) -> list[QARow]:
    return check_rows(rows_from_lareqa("mlqa-r", data_dir))


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------
# Readers
# ----------------------------------------------------------------------------------------------


def test_lareqa_rows_are_questions_with_their_answer_sentence(mlqa, mlqa_rows):
    per_lang = Counter(r.lang for r in mlqa_rows)
    assert per_lang == {lang: len(d.questions) for lang, d in mlqa.languages.items()}
    assert per_lang["en"] == 1148 and per_lang["de"] == 512
    candidates = mlqa.candidate_index()
    q = mlqa.languages["de"].questions[0]
    row = next(r for r in mlqa_rows if r.lang == "de" and r.parallel_id == q.parallel_id)
    assert row.query == q.text
    assert row.positive == candidates[q.answer_id].sentence
    assert row.negative is None


def test_lareqa_rows_with_context_and_language_subset(data_dir, mlqa):
    rows = read_spec("mlqa-r:de,es", data_dir, candidate_form="sentence+context")
    assert {r.lang for r in rows} == {"de", "es"}
    candidates = mlqa.candidate_index()
    q = mlqa.languages["es"].questions[3]
    row = next(r for r in rows if r.lang == "es" and r.parallel_id == q.parallel_id)
    sentence, context = row.positive.split("\n", 1)
    assert sentence == candidates[q.answer_id].sentence and context == candidates[q.answer_id].context
    # --languages intersects with the languages of the spec
    assert {r.lang for r in read_spec("mlqa-r:de,es", data_dir, languages=["es", "en"])} == {"es"}


def test_jsonl_reader(tmp_path):
    path = _write_jsonl(
        tmp_path / "rows.jsonl",
        [
            {"parallel_id": 1, "lang": "en", "query": "q1", "positive": "p1", "negative": "n1"},
            {"parallel_id": "1", "lang": "de", "query": "f1", "positive": "a1"},
        ],
    )
    rows = read_jsonl(path)
    assert rows == [QARow("1", "en", "q1", "p1", "n1"), QARow("1", "de", "f1", "a1", None)]
    assert read_spec(str(path)) == rows


def test_jsonl_reader_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"parallel_id": 1, "lang": "en", "query": "q", "positive": "p"}\n{"lang": "en", "query": "q"}\n')
    with pytest.raises(TrainingDataError, match=r"bad.jsonl:2: missing field\(s\) \['parallel_id', 'positive'\]"):
        read_jsonl(bad)
    bad.write_text("{not json}\n")
    with pytest.raises(TrainingDataError, match=r"bad.jsonl:1: not valid JSON"):
        read_jsonl(bad)


_OK = {"parallel_id": 7, "lang": "en", "query": "q", "positive": "p"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (json.dumps({**_OK, "query": None}), r"rows\.jsonl:2: field 'query' is null, not a string\. Fix:"),
        (json.dumps({**_OK, "query": ""}), r"rows\.jsonl:2: field 'query' is empty\. Fix:"),
        (json.dumps({**_OK, "positive": " \t"}), r"rows\.jsonl:2: field 'positive' is empty\. Fix:"),
        (json.dumps({**_OK, "lang": 3}), r"rows\.jsonl:2: field 'lang' is the number 3, not a string\. Fix:"),
        (json.dumps({**_OK, "positive": {"text": "p"}}), r"rows\.jsonl:2: field 'positive' is an object, not a string"),
        (json.dumps({**_OK, "negative": ["n"]}), r"rows\.jsonl:2: field 'negative' is the list \['n'\], not a string"),
        (json.dumps({**_OK, "negative": ""}), r"rows\.jsonl:2: field 'negative' is empty"),
        (
            json.dumps({**_OK, "parallel_id": 1.5}),
            r"rows\.jsonl:2: field 'parallel_id' is the number 1\.5, not a string "
            r"or an integer",
        ),
        (json.dumps({**_OK, "parallel_id": None}), r"rows\.jsonl:2: field 'parallel_id' is null"),
        (json.dumps({"lang": "en", "positive": "p"}), r"rows\.jsonl:2: missing field\(s\) \['parallel_id', 'query'\]"),
        ('["q", "p"]', r"rows\.jsonl:2: expected a JSON object, got the list \['q', 'p'\]"),
        ('{"query": "q", ', r"rows\.jsonl:2: not valid JSON"),
    ],
    ids=[
        "null-query",
        "empty-query",
        "blank-positive",
        "number-lang",
        "object-positive",
        "list-negative",
        "empty-negative",
        "float-id",
        "null-id",
        "missing",
        "not-an-object",
        "bad-json",
    ],
)
def test_bad_rows_are_refused_with_file_line_and_field(tmp_path, line, message):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(_OK) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(TrainingDataError, match=message) as e:
        read_jsonl(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_a_null_hf_value_is_refused_with_its_row(monkeypatch):
    import datasets

    monkeypatch.setattr(
        datasets,
        "load_dataset",
        lambda name, config=None, split=None, **kw: datasets.Dataset.from_dict(
            {"query": ["what?", None], "positive": ["this.", "that."]}
        ),
    )
    with pytest.raises(TrainingDataError, match=r"hf:x:train row 1: field 'query' is null, not a string"):
        rows_from_hf("x", lang="de")


def test_hf_reader_maps_columns(monkeypatch):
    import datasets

    calls = []

    def fake_load_dataset(name, config=None, split=None, **kwargs):
        calls.append((name, config, split))
        return datasets.Dataset.from_dict(
            {"q": ["what?", "who?", "where?"], "pos": ["this.", "him.", "there."], "neg": ["no.", "no.", "no."]}
        )

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    spec = parse_data_spec("hf:unicamp-dl/mmarco:german:train?lang=de&query=q&positive=pos&negative=neg&limit=2")
    assert (spec.kind, spec.name, spec.config, spec.split) == ("hf", "unicamp-dl/mmarco", "german", "train")
    rows = read_spec(spec)
    assert calls == [("unicamp-dl/mmarco", "german", "train")]
    # no parallel-id column: the row index is the parallel id (mMARCO's configs are aligned by index)
    assert rows == [QARow("0", "de", "what?", "this.", "no."), QARow("1", "de", "who?", "him.", "no.")]
    with pytest.raises(TrainingDataError, match=r"no column 'query' for 'query'"):
        rows_from_hf("x", lang="de")
    with pytest.raises(TrainingDataError, match="no language column"):
        rows_from_hf("x", columns={"query": "q", "positive": "pos"})


def test_data_spec_forms(tmp_path):
    assert parse_data_spec("mlqa-r").languages is None
    assert parse_data_spec("xquad-r:en,de").languages == ("en", "de")
    assert parse_data_spec(str(tmp_path / "rows.jsonl")).kind == "jsonl"
    assert parse_data_spec("hf:name").split == "train"
    with pytest.raises(ValueError, match="unknown option"):
        parse_data_spec("hf:name?colour=red")


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


def test_empty_text_is_an_error_with_counts():
    rows = [QARow("1", "en", "q", "p"), QARow("2", "en", "  ", "p"), QARow("3", "de", "q", "")]
    with pytest.raises(TrainingDataError, match=r"2 of 3 row\(s\) have an empty query or positive"):
        check_rows(rows)


def test_duplicates_are_dropped_with_a_warning(caplog):
    rows = [QARow("1", "en", "q", "p"), QARow("1", "en", "q", "p"), QARow("1", "de", "f", "a")]
    with caplog.at_level(logging.WARNING):
        kept = check_rows(rows)
    assert kept == [QARow("1", "en", "q", "p"), QARow("1", "de", "f", "a")]
    assert "dropped 1 exact duplicate row(s)" in caplog.text


def test_conflicting_parallel_id_is_an_error():
    rows = [
        QARow("1", "en", "q", "p"),
        QARow("1", "en", "another question", "p"),
        QARow("2", "en", "x", "y"),
        QARow("2", "en", "x", "z"),
    ]
    with pytest.raises(TrainingDataError, match=r"2 \(parallel_id, lang\) key\(s\) occur with different texts"):
        check_rows(rows)


def test_unknown_language_for_language_token_models():
    from mteb_hybrid.models.presets import load_presets

    m2m_langs = load_presets()["m2m100"].languages
    assert m2m_langs is not None and {"en", "de", "zh", "no"} <= set(m2m_langs) and len(m2m_langs) == 100
    rows = [QARow("1", "en", "q", "p"), QARow("1", "xx", "q", "p"), QARow("2", "xx", "r", "s")]
    with pytest.raises(TrainingDataError, match=r"2 row\(s\) in language\(s\) .*\{'xx': 2\}"):
        check_rows(rows, known_languages=m2m_langs)
    assert len(check_rows(rows)) == 3  # other models take any language code


# ----------------------------------------------------------------------------------------------
# Per-source datasets
# ----------------------------------------------------------------------------------------------


def test_sources_counts_on_mlqa(mlqa, mlqa_rows):
    sources = build_sources(mlqa_rows, "hybrid")
    langs = sorted(mlqa.languages)
    assert sources.source_kinds.count("x-x") == 7 and sources.source_kinds.count("x-y") == 42
    ids = {lang: {q.parallel_id for q in d.questions} for lang, d in mlqa.languages.items()}
    sizes = sources.sizes()
    for lang in langs:
        assert sizes[f"x-x:{lang}"] == len(mlqa.languages[lang].questions)
    for q in langs:
        for p in langs:
            if q != p:
                assert sizes[f"x-y:{q}-{p}"] == len(ids[q] & ids[p]) > 0
    assert sizes["x-y:de-en"] == 512 and sizes["x-y:de-es"] == sizes["x-y:es-de"]
    for name, kind, pids, (ql, pl), ds in zip(
        sources.datasets,
        sources.source_kinds,
        sources.parallel_ids,
        sources.languages,
        sources.datasets.values(),
        strict=True,
    ):
        assert len(pids) == len(ds) == len(set(pids))  # a parallel id at most once per source
        assert ds.column_names == ["anchor", "positive"]  # no parallel-id column to tokenize
        assert (kind == "x-x") == (ql == pl) and name.startswith(kind)


def test_xy_rows_join_query_and_passage_on_parallel_id(mlqa, mlqa_rows):
    sources = build_sources(mlqa_rows, "x-y")
    assert set(sources.source_kinds) == {"x-y"}
    i = list(sources.datasets).index("x-y:zh-de")
    ds, pids = sources.datasets["x-y:zh-de"], sources.parallel_ids[i]
    by_key = {(r.parallel_id, r.lang): r for r in mlqa_rows}
    for j in (0, 17, len(ds) - 1):
        assert ds[j]["anchor"] == by_key[(pids[j], "zh")].query
        assert ds[j]["positive"] == by_key[(pids[j], "de")].positive
    assert set(build_sources(mlqa_rows, "x-x").source_kinds) == {"x-x"}
    assert kinds_for("hybrid") == ("x-x", "x-y")


def test_negatives_and_text_prefix():
    rows = [
        QARow("1", "en", "q1", "p1", "n1"),
        QARow("1", "de", "f1", "a1", "m1"),
        QARow("2", "en", "q2", "p2", "n2"),
        QARow("2", "de", "f2", "a2", "m2"),
    ]
    sources = build_sources(rows, "hybrid", text_prefix=lambda lang: f"__{lang}__ ")
    row = sources.datasets["x-y:de-en"][0]
    assert row == {"anchor": "__de__ f1", "positive": "__en__ p1", "negative": "__en__ n1"}
    mixed = rows[:3] + [QARow("2", "de", "f2", "a2")]
    assert "negative" not in build_sources(mixed, "x-x").datasets["x-x:en"].column_names
    with pytest.raises(ValueError, match="X-Y needs at least two languages"):
        build_sources(rows[:1], "x-y")


def test_heldout_split_keeps_translations_together(mlqa_rows):
    train, val = split_heldout(mlqa_rows, 0.1, seed=3)
    train_ids, val_ids = {r.parallel_id for r in train}, {r.parallel_id for r in val}
    assert not train_ids & val_ids and len(train) + len(val) == len(mlqa_rows)
    assert len(val_ids) == round(0.1 * len(train_ids | val_ids))
    counts = Counter(r.parallel_id for r in mlqa_rows)
    assert sum(counts[p] for p in val_ids) == len(val)  # every translation of a held-out id is held out
    assert split_heldout(mlqa_rows, 0.1, seed=3)[1] == val
    assert split_heldout(mlqa_rows, 0.0)[1] == []


def test_eval_set_batches_stay_within_one_source(mlqa_rows):
    _, val = split_heldout(mlqa_rows, 0.05, seed=0)
    ds, batches = build_eval_set(val, 8, seed=0)
    assert sorted(i for b in batches for i in b) == sorted(set(i for b in batches for i in b))
    assert all(1 < len(b) <= 8 for b in batches)
    anchors = ds["anchor"]
    by_query = {r.query: r for r in val}
    for b in batches:
        langs = {by_query[anchors[i]].lang for i in b}
        pids = [by_query[anchors[i]].parallel_id for i in b]
        assert len(langs) == 1 and len(pids) == len(set(pids))


# ----------------------------------------------------------------------------------------------
# Zero-shot guard
# ----------------------------------------------------------------------------------------------


def test_normalisation():
    assert normalize_text("  Ｗhat\u00a0IS   this?\n") == normalize_text("what is this?")


def test_guard_mlqa_train_vs_xquad_eval_has_no_overlap(data_dir, mlqa_rows):
    report = check_zero_shot(mlqa_rows, ["XQuADRRetrieval"], data_dir)
    assert report.total == 0 and not report.unchecked and report.overlaps[0].task == "XQuADRRetrieval"
    with_context = rows_from_lareqa("mlqa-r", data_dir, ["en", "de"], "sentence+context")
    assert find_overlaps(with_context, ["xquad-r"], data_dir).total == 0


def test_guard_catches_injected_overlap(data_dir, mlqa_rows):
    xquad = load_dataset(get_definition("xquad-r"), data_dir, ["de", "th"])
    q = xquad.languages["de"].questions[5]
    sentence = xquad.candidate_index()[xquad.languages["th"].questions[9].answer_id].sentence
    injected = [
        *mlqa_rows,
        QARow("leak-1", "de", "  " + q.text.upper() + " ", "some passage"),
        QARow("leak-2", "th", "a new question", sentence + "\nits paragraph"),
    ]
    with pytest.raises(ZeroShotViolation) as err:
        check_zero_shot(injected, ["xquad-r", "SomeOtherTask"], data_dir)
    message = str(err.value)
    assert "xquad-r: 1 training query(ies) equal an evaluation question, 1 training passage(s)" in message
    assert q.text.upper() in message and "not checked" in message and "SomeOtherTask" in message
    report = check_zero_shot(injected, ["xquad-r"], data_dir, allow_overlap=True)
    assert (report.overlaps[0].queries, report.overlaps[0].passages) == (1, 1)


# ----------------------------------------------------------------------------------------------
# CLI options -> TrainConfig
# ----------------------------------------------------------------------------------------------


def test_cli_maps_every_option(capsys):
    from mteb_hybrid.training.cli import add_train_arguments, config_from_args

    parser = add_train_arguments(argparse.ArgumentParser(prog="mteb-hybrid train"))
    args = parser.parse_args(
        [
            "--base",
            "labse",
            "--data",
            "mlqa-r:en,de",
            "rows.jsonl",
            "--data-dir",
            "/d",
            "--languages",
            "en",
            "de",
            "--batching",
            "x-y",
            "--alpha",
            "0.3",
            "--loss",
            "cached-mnrl",
            "--mini-batch-size",
            "8",
            "--batch-size",
            "64",
            "--grad-accum",
            "2",
            "--lr",
            "1e-5",
            "--max-steps",
            "100",
            "--seed",
            "7",
            "--output",
            "/o",
            "--eval-steps",
            "10",
            "--save-steps",
            "20",
            "--resume",
            "--allow-overlap",
            "--eval-task",
            "xquad-r",
            "MIRACLRetrieval",
            "--max-seq-length",
            "96",
        ]
    )
    c = config_from_args(args)
    assert (c.base, c.data, c.data_dir, c.languages) == ("labse", ["mlqa-r:en,de", "rows.jsonl"], "/d", ["en", "de"])
    assert (c.batching, c.alpha, c.loss, c.mini_batch_size, c.batch_size, c.grad_accum) == (
        "x-y",
        0.3,
        "cached-mnrl",
        8,
        64,
        2,
    )
    assert (c.learning_rate, c.max_steps, c.seed, c.output_dir, c.eval_steps, c.save_steps) == (
        1e-5,
        100,
        7,
        "/o",
        10,
        20,
    )
    assert c.resume and c.allow_overlap and c.eval_tasks == ["xquad-r", "MIRACLRetrieval"] and c.max_seq_length == 96
    defaults = config_from_args(parser.parse_args([]))
    d = defaults
    assert (d.learning_rate, d.weight_decay, d.alpha, d.batching, d.loss) == (3e-5, 0.01, 0.5, "hybrid", "mnrl")
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-steps", "5", "--epochs", "2"])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    help_text = capsys.readouterr().out
    for option in (
        "--base",
        "--data",
        "--batching",
        "--alpha",
        "--loss",
        "--grad-accum",
        "--resume",
        "--eval-task",
        "--allow-overlap",
        "--max-seq-length",
        "--mini-batch-size",
    ):
        assert option in help_text
    assert "GradCache" in help_text and "probability alpha" in help_text
