"""Broken LAReQA files: each case corrupts a copy of one real file and runs `evaluate` on it.

`evaluate` reads and checks the data files before it loads the model, so the model named here
(a folder that does not exist) is never reached: a case whose file were accepted would fail on the
model's message instead of the data's.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import SHARED_DATA

from bad_inputs import BadInput


def _copy(
    root: Path, folder: str, lang: str, edit: Callable[[Any], Any] | None = None, text: str | None = None
) -> Path:
    """Copy one real language file under root/data, then corrupt it with `edit` (or replace it by `text`)."""
    target = root / "data" / folder / f"{lang}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHARED_DATA / folder / f"{lang}.json", target)
    if edit is not None:
        raw = json.loads(target.read_text(encoding="utf-8"))
        raw = edit(raw) or raw
        target.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    if text is not None:
        target.write_text(text, encoding="utf-8")
    return target


def _evaluate(task: str, subset: str) -> Callable[[Path], list[str]]:
    return lambda root: [
        "evaluate",
        "-m",
        str(root / "no-model"),
        "-t",
        task,
        "--subsets",
        subset,
        "--data-dir",
        str(root / "data"),
        "--output-folder",
        str(root / "out"),
    ]


def _kept(folder: str, lang: str) -> Callable[[Path], list[Path]]:
    return lambda root: [root / "data" / folder / f"{lang}.json"]


def _para(raw: Any, a: int = 0, p: int = 0) -> dict[str, Any]:
    return raw["data"][a]["paragraphs"][p]


def _drop_paragraphs(raw: Any) -> None:
    del raw["data"][3]["paragraphs"]


def _string_entry(raw: Any) -> None:
    raw["data"][2] = "Super Bowl 50"


def _drop_answer_start(raw: Any) -> None:
    del _para(raw, 0, 1)["qas"][2]["answers"][0]["answer_start"]


def _short_span(raw: Any) -> None:
    _para(raw, 1, 0)["sentence_breaks"][1] = [0]


def _empty_data(raw: Any) -> None:
    raw["data"] = []


def _null_question(raw: Any) -> None:
    _para(raw)["qas"][0]["question"] = None


def _one_span_less(raw: Any) -> None:
    _para(raw, 2, 1)["sentence_breaks"].pop()


def _duplicate_id(raw: Any) -> None:
    _para(raw, 0, 1)["qas"][0]["id"] = _para(raw)["qas"][0]["id"]


def _orphan_id(raw: Any) -> None:
    _para(raw)["qas"][0]["id"] = "not-in-english"


def _first_qid(folder: str, lang: str, a: int, p: int, q: int) -> str:
    raw = json.loads((SHARED_DATA / folder / f"{lang}.json").read_text(encoding="utf-8"))
    return raw["data"][a]["paragraphs"][p]["qas"][q]["id"]


CASES = [
    BadInput(
        id="data-mlqa-article-without-paragraphs",
        setup=lambda root: _copy(root, "mlqa-r", "de", _drop_paragraphs),
        argv=_evaluate("MLQARRetrieval", "de-de"),
        message=r"mlqa-r/de\.json: field 'data\[3\]\.paragraphs' \(article '[^']+'\): missing\. Fix: every article "
        r"needs 'paragraphs'",
        kept=_kept("mlqa-r", "de"),
    ),
    BadInput(
        id="data-entry-is-a-string",
        setup=lambda root: _copy(root, "xquad-r", "en", _string_entry),
        argv=_evaluate("XQuADRRetrieval", "en-en"),
        message=r"xquad-r/en\.json: field 'data\[2\]': is the string 'Super Bowl 50', not an object\. "
        r"Fix: each entry of 'data' is an article",
        kept=_kept("xquad-r", "en"),
    ),
    BadInput(
        id="data-answer-start-missing",
        setup=lambda root: _copy(root, "xquad-r", "en", _drop_answer_start),
        argv=_evaluate("XQuADRRetrieval", "en-en"),
        message=(
            r"xquad-r/en\.json: field 'data\[0\]\.paragraphs\[1\]\.qas\[2\]\.answers\[0\]\.answer_start' "
            rf"\(article 'Super_Bowl_50', question id '{_first_qid('xquad-r', 'en', 0, 1, 2)}'\): missing\. "
            r"Fix: give 'answer_start'"
        ),
        kept=_kept("xquad-r", "en"),
    ),
    BadInput(
        id="data-span-is-not-a-pair",
        setup=lambda root: _copy(root, "xquad-r", "en", _short_span),
        argv=_evaluate("XQuADRSentenceRetrieval", "en-en"),
        message=r"xquad-r/en\.json: field 'data\[1\]\.paragraphs\[0\]\.sentence_breaks\[1\]' \(article '[^']+'\): "
        r"the list \[0\] is not a \[start, end\] pair of integers\. Fix:",
        kept=_kept("xquad-r", "en"),
    ),
    BadInput(
        id="data-mlqa-empty-data",
        setup=lambda root: _copy(root, "mlqa-r", "de", _empty_data),
        argv=_evaluate("MLQARRetrieval", "de-de"),
        message=r"mlqa-r/de\.json: field 'data': is an empty list\. Fix: 'data' must list at least one article",
        kept=_kept("mlqa-r", "de"),
    ),
    BadInput(
        id="data-invalid-json",
        # a download cut after its first 10 characters, '{"data": [': the value expected next is character 11
        setup=lambda root: _copy(
            root, "xquad-r", "en", text=(SHARED_DATA / "xquad-r" / "en.json").read_text(encoding="utf-8")[:10]
        ),
        argv=_evaluate("XQuADRRetrieval", "en-en"),
        message=r"xquad-r/en\.json: field '<file>': malformed JSON at line 1 column 11 \(Expecting value\)\. "
        r"Fix: re-download",
        kept=_kept("xquad-r", "en"),
    ),
    BadInput(
        id="data-question-is-null",
        setup=lambda root: _copy(root, "mlqa-r", "de", _null_question),
        argv=_evaluate("MLQARRetrieval", "de-de"),
        message=rf"mlqa-r/de\.json: field 'data\[0\]\.paragraphs\[0\]\.qas\[0\]\.question' \(article '[^']+', "
        rf"question id '{_first_qid('mlqa-r', 'de', 0, 0, 0)}'\): is null, not a string\. Fix:",
        kept=_kept("mlqa-r", "de"),
    ),
    BadInput(
        id="data-one-span-less-than-sentences",
        setup=lambda root: _copy(root, "xquad-r", "en", _one_span_less),
        argv=_evaluate("XQuADRRetrieval", "en-en"),
        message=r"xquad-r/en\.json: field 'data\[2\]\.paragraphs\[1\]\.sentence_breaks' \(article '[^']+'\): "
        r"\d+ spans for \d+ sentences\. Fix: give one \[start, end\] span per sentence",
        kept=_kept("xquad-r", "en"),
    ),
    BadInput(
        id="data-duplicate-question-id",
        setup=lambda root: _copy(root, "xquad-r", "en", _duplicate_id),
        argv=_evaluate("XQuADRRetrieval", "en-en"),
        message=r"xquad-r/en\.json: field 'data\[0\]\.paragraphs\[1\]\.qas\[0\]\.id' \(article 'Super_Bowl_50', "
        r"question id '[^']+'\): duplicate question id \(first at data\[0\]\.paragraphs\[0\]\.qas\[0\]\)",
        kept=_kept("xquad-r", "en"),
    ),
    # the sentence tasks read the same files as their sentence+context twins: messages name the task run
    BadInput(
        id="data-missing-language-file-names-the-sentence-task",
        setup=lambda root: _copy(root, "xquad-r", "en"),
        argv=_evaluate("XQuADRSentenceRetrieval", "en-de"),
        message=r"xquad-r/de\.json: language file for 'de' of XQuADRSentenceRetrieval not found .*Fix: put "
        r"xquad-r/de\.json there",
        kept=_kept("xquad-r", "en"),
    ),
    BadInput(
        id="data-question-without-pivot-names-the-sentence-task",
        setup=lambda root: (_copy(root, "mlqa-r", "en"), _copy(root, "mlqa-r", "de", _orphan_id)),
        argv=_evaluate("MLQARSentenceRetrieval", "de-en"),
        message=r"mlqa-r/de\.json: field 'qas\[\]\.id': 1 question id\(s\) have no 'en' version .*every question of "
        r"MLQARSentenceRetrieval must exist",
        kept=_kept("mlqa-r", "de"),
    ),
]


def _null_query_rows(root: Path) -> None:
    rows = [
        {"query": "Who?", "positive": "Him.", "lang": "en", "parallel_id": "1"},
        {"query": None, "positive": "Her.", "lang": "en", "parallel_id": "2"},
    ]
    (root / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


CASES.append(
    BadInput(
        id="train-row-with-null-query",
        setup=_null_query_rows,
        argv=lambda root: [
            "train",
            "--data",
            str(root / "rows.jsonl"),
            "--max-steps",
            "1",
            "--allow-overlap",
            "--output-dir",
            str(root / "out"),
        ],
        message=r"rows\.jsonl:2: .*'query' is null",
    )
)


def _rows_from_xquad(root: Path) -> None:
    """Two training rows whose question and answer are XQuAD-R's own (English, first article)."""
    raw = json.loads((SHARED_DATA / "xquad-r" / "en.json").read_text(encoding="utf-8"))
    para = raw["data"][0]["paragraphs"][0]
    rows = [
        {"query": qa["question"], "positive": para["sentences"][0], "lang": "en", "parallel_id": qa["id"]}
        for qa in para["qas"][:2]
    ]
    (root / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


_TRAIN = ["train", "--max-steps", "1", "--data-dir", str(SHARED_DATA)]
CASES += [
    BadInput(
        id="train-model-name-escapes",
        argv=lambda root: [*_TRAIN, "--data", "mlqa-r", "--model-name", "../../x", "--output-dir", str(root / "out")],
        message=r"--model-name '\.\./\.\./x' cannot be used as a folder name",
    ),
    BadInput(
        id="train-rows-overlap-the-evaluation-task",
        setup=_rows_from_xquad,
        argv=lambda root: [
            *_TRAIN,
            "--data",
            str(root / "rows.jsonl"),
            "--eval-task",
            "XQuADRSentenceRetrieval",
            "--output-dir",
            str(root / "out"),
        ],
        message=r"overlaps the evaluation tasks",
    ),
    BadInput(
        id="train-eval-task-misspelled",
        setup=_rows_from_xquad,
        argv=lambda root: [
            *_TRAIN,
            "--data",
            str(root / "rows.jsonl"),
            "--eval-task",
            "XQuADRSentenceRetrival",
            "--output-dir",
            str(root / "out"),
        ],
        message=r"XQuADRSentenceRetrival.*(did you mean|cannot check|not)",
    ),
]
