"""The data layer on the real LAReQA files and on broken copies of them."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from mteb_hybrid.data import (
    DataFormatError,
    MissingDataError,
    get_definition,
    load_dataset,
    read_language_file,
    sources,
)


def test_xquad_r_counts_match_the_release(data_dir: Path) -> None:
    ds = load_dataset(get_definition("xquad-r"), data_dir)
    assert ds.pool_size == 13014
    assert {lang: len(d.questions) for lang, d in ds.languages.items()} == dict.fromkeys(ds.languages, 1190)
    per_lang = {lang: len(d.candidates) for lang, d in ds.languages.items()}
    assert per_lang == {
        "ar": 1222,
        "de": 1276,
        "el": 1234,
        "en": 1180,
        "es": 1215,
        "hi": 1244,
        "ru": 1219,
        "th": 852,
        "tr": 1167,
        "vi": 1209,
        "zh": 1196,
    }
    assert all(not d.skipped for d in ds.languages.values())
    assert ds.languages["tr"].text_mismatches == 2  # documented offset/encoding quirk in tr.json


def test_mlqa_r_counts_and_partial_parallelism(data_dir: Path) -> None:
    ds = load_dataset(get_definition("mlqa-r"), data_dir)
    assert ds.pool_size == 20534
    assert {lang: len(d.questions) for lang, d in ds.languages.items()} == {
        "ar": 517,
        "de": 512,
        "en": 1148,
        "es": 500,
        "hi": 507,
        "vi": 511,
        "zh": 504,
    }
    sizes = [len(v) for v in ds.answers_by_parallel_id().values()]
    assert len(sizes) == 1148
    assert (sizes.count(4), sizes.count(3), sizes.count(2)) == (820, 263, 65)
    assert all("en" in v for v in ds.answers_by_parallel_id().values())


def test_answer_sentence_is_the_span_holding_answer_start(data_dir: Path) -> None:
    """Hand-checked: the first XQuAD question ('How many points did the Panthers defense surrender?')."""
    ds = load_dataset(get_definition("xquad-r"), data_dir, ["en", "de", "zh"])
    answers = ds.answers_by_parallel_id()["56beb4343aeaaa14008c925b"]
    idx = ds.candidate_index()
    assert answers == {"en": "en:0", "de": "de:0", "zh": "zh:0"}
    assert idx["en:0"].sentence.startswith("The Panthers defense gave up just 308 points")
    assert "308" in idx["de:0"].sentence and "308" in idx["zh:0"].sentence


def _copy_lang(data_dir: Path, tmp_path: Path, folder: str, langs: list[str]) -> Path:
    (tmp_path / folder).mkdir(parents=True)
    for lang in langs:
        shutil.copy(data_dir / folder / f"{lang}.json", tmp_path / folder / f"{lang}.json")
    return tmp_path


def _edit(path: Path, fn) -> None:  # noqa: ANN001
    raw = json.loads(path.read_text(encoding="utf-8"))
    fn(raw)
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    bad = tmp_path / "en.json"
    bad.write_text('{"data": [ {"title": "x", ', encoding="utf-8")
    with pytest.raises(DataFormatError) as e:
        read_language_file(bad, "en")
    assert str(bad) in str(e.value) and "malformed JSON" in str(e.value) and "line 1" in str(e.value)


def test_missing_language_file_says_where_and_how(data_dir: Path, tmp_path: Path) -> None:
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en"])
    with pytest.raises(MissingDataError) as e:
        load_dataset(get_definition("xquad-r"), root, ["en", "de"])
    msg = str(e.value)
    assert str(root / "xquad-r" / "de.json") in msg and "-l" in msg


def test_sentence_breaks_not_matching_context(data_dir: Path, tmp_path: Path) -> None:
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en"])

    def shift(raw):  # noqa: ANN001, ANN202
        p = raw["data"][0]["paragraphs"][0]
        p["sentence_breaks"][1] = [p["sentence_breaks"][1][0] + 40, p["sentence_breaks"][1][1] + 40]

    _edit(root / "xquad-r" / "en.json", shift)
    with pytest.raises(DataFormatError) as e:
        read_language_file(root / "xquad-r" / "en.json", "en")
    assert "data[0].paragraphs[0].sentence_breaks[1]" in str(e.value)


def test_answer_outside_every_sentence_is_skipped_and_reported(data_dir: Path, tmp_path: Path, caplog) -> None:  # noqa: ANN001
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en"])

    def move(raw):  # noqa: ANN001, ANN202
        p = raw["data"][0]["paragraphs"][0]
        p["qas"][0]["answers"][0]["answer_start"] = len(p["context"]) + 100

    _edit(root / "xquad-r" / "en.json", move)
    with caplog.at_level(logging.WARNING):
        data = read_language_file(root / "xquad-r" / "en.json", "en")
    assert len(data.questions) == 1189
    assert [s.parallel_id for s in data.skipped] == ["56beb4343aeaaa14008c925b"]
    assert "skipped 1 question" in caplog.text


def test_mismatched_parallel_ids_in_a_complete_dataset(data_dir: Path, tmp_path: Path) -> None:
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en", "de"])

    def drop(raw):  # noqa: ANN001, ANN202
        raw["data"][0]["paragraphs"][0]["qas"].pop(0)

    _edit(root / "xquad-r" / "de.json", drop)
    with pytest.raises(DataFormatError) as e:
        load_dataset(get_definition("xquad-r"), root, ["en", "de"])
    assert "de.json" in str(e.value) and "1 question id(s)" in str(e.value)


def test_partial_dataset_requires_the_pivot_language(data_dir: Path, tmp_path: Path) -> None:
    root = _copy_lang(data_dir, tmp_path, "mlqa-r", ["en", "de"])

    def rename(raw):  # noqa: ANN001, ANN202
        raw["data"][0]["paragraphs"][0]["qas"][0]["id"] = "not-in-english"

    _edit(root / "mlqa-r" / "de.json", rename)
    with pytest.raises(DataFormatError) as e:
        load_dataset(get_definition("mlqa-r"), root, ["en", "de"])
    assert "no 'en' version" in str(e.value)


def test_unknown_language_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        load_dataset(get_definition("xquad-r"), data_dir, ["xx"])


def test_data_dir_from_environment(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(data_dir))
    assert sources.language_file(get_definition("mlqa-r"), "de") == data_dir / "mlqa-r" / "de.json"


def test_download_goes_to_the_pinned_commit_and_writes_atomically(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    """Without a local folder the file comes from the pinned raw URL into the cache (network mocked)."""
    monkeypatch.delenv(sources.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(sources.CACHE_ENV, str(tmp_path))
    seen = []

    class _Resp:
        def __init__(self, url: str) -> None:
            seen.append(url)

        def __enter__(self):  # noqa: ANN204
            return self

        def __exit__(self, *a) -> None:  # noqa: ANN002
            pass

        def read(self) -> bytes:
            return (data_dir / "xquad-r" / "el.json").read_bytes()

    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: _Resp(url))
    path = sources.language_file(get_definition("xquad-r"), "el")
    assert seen == [
        "https://raw.githubusercontent.com/google-research-datasets/lareqa/"
        "9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c/xquad-r/el.json"
    ]
    assert path.read_bytes() == (data_dir / "xquad-r" / "el.json").read_bytes()
    assert not list(path.parent.glob("*.part"))


def test_download_failure_explains_the_offline_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(sources.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(sources.CACHE_ENV, str(tmp_path))

    def offline(url, timeout):  # noqa: ANN001, ANN202
        raise sources.urllib.error.URLError("no network")

    monkeypatch.setattr(sources.urllib.request, "urlopen", offline)
    with pytest.raises(MissingDataError, match=sources.DATA_DIR_ENV):
        sources.language_file(get_definition("xquad-r"), "en")
    assert not list(tmp_path.rglob("en.json"))


# ---- skipped questions are counted, quirks are logged once, the parse cache never serves stale data ----


def _move_answer_out(raw) -> None:  # noqa: ANN001
    p = raw["data"][0]["paragraphs"][0]
    p["qas"][0]["answers"][0]["answer_start"] = len(p["context"]) + 100


def test_a_skipped_question_keeps_a_complete_dataset_loadable(data_dir: Path, tmp_path: Path) -> None:
    """The German translation of the first question loses its answer sentence: German has 1189 questions,
    English all 1190, and the id still counts as present in German (no parallelism error)."""
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en", "de"])
    _edit(root / "xquad-r" / "de.json", _move_answer_out)
    ds = load_dataset(get_definition("xquad-r"), root, ["en", "de"])
    assert (len(ds.languages["en"].questions), len(ds.languages["de"].questions)) == (1190, 1189)
    assert [s.parallel_id for s in ds.languages["de"].skipped] == ["56beb4343aeaaa14008c925b"]
    assert "56beb4343aeaaa14008c925b" not in {q.parallel_id for q in ds.languages["de"].questions}


def test_skipped_questions_reach_the_result_file(data_dir: Path, tmp_path: Path, tiny_bert: Path) -> None:
    """skipped_questions per subset counts the skipped questions of the files the subset reads."""
    from mteb_hybrid.evaluation import evaluate

    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en", "de"])
    _edit(root / "xquad-r" / "de.json", _move_answer_out)
    evaluate(
        str(tiny_bert),
        ["XQuADRSentenceRetrieval"],
        subsets=["en-en", "en-de", "de-de"],
        data_dir=root,
        output_folder=tmp_path / "out",
        show_progress_bar=False,
    )
    [file] = (tmp_path / "out").rglob("XQuADRSentenceRetrieval.json")
    saved = {s["hf_subset"]: s for s in json.loads(file.read_text())["scores"]["test"]}
    assert {name: s["skipped_questions"] for name, s in saved.items()} == {"en-en": 0, "en-de": 1, "de-de": 1}
    assert all(0 <= s["map"] <= 1 for s in saved.values())


def test_a_quirk_is_logged_once_per_run_with_its_count(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """tr.json's two shifted sentences: one INFO line (a known property of the released files, not a warning
    about the user's input), however many tasks and helpers load the file."""
    from mteb_hybrid.benchmark.tasks import TASK_CLASSES

    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["tr"])  # a fresh path: not yet seen in this process
    with caplog.at_level(logging.INFO, logger="mteb_hybrid.data.lareqa"):
        for _ in range(3):
            assert load_dataset(get_definition("xquad-r"), root, ["tr"]).languages["tr"].text_mismatches == 2
        for name in ("XQuADRRetrieval", "XQuADRSentenceRetrieval"):
            task = TASK_CLASSES[name](data_dir=root)
            task.hf_subsets = ["tr-tr"]
            task.load_data()
    tr_records = [r.getMessage() for r in caplog.records if "tr.json" in r.getMessage()]
    assert len(tr_records) == 1
    assert not [r for r in caplog.records if "tr.json" in r.getMessage() and r.levelno >= logging.WARNING]
    assert "2 sentence(s) differ" in tr_records[0]


def test_the_parse_cache_serves_fresh_lists_and_rereads_a_changed_file(data_dir: Path, tmp_path: Path) -> None:
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en"])
    path = root / "xquad-r" / "en.json"
    first = read_language_file(path, "en")
    first.questions.clear()
    assert len(read_language_file(path, "en").questions) == 1190  # a caller's edit does not leak into the cache
    _edit(path, _move_answer_out)
    again = read_language_file(path, "en")
    assert len(again.questions) == 1189 and len(again.skipped) == 1


def test_sentence_task_errors_name_the_sentence_task(data_dir: Path, tmp_path: Path) -> None:
    """Both tasks of a definition read the same files; an error names the task that is running."""
    root = _copy_lang(data_dir, tmp_path, "xquad-r", ["en"])
    for name in ("XQuADRSentenceRetrieval", "XQuADRRetrieval"):
        with pytest.raises(MissingDataError, match=rf"'de' of {name} not found"):
            load_dataset(get_definition("xquad-r"), root, ["en", "de"], task_name=name)
