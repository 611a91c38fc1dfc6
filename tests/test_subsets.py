"""Which training rows a cell keeps: equal distinct questions and rows across language sets (keep_questions)."""

from __future__ import annotations

from collections import Counter

import pytest

from mteb_hybrid.training.config import TrainConfig
from mteb_hybrid.training.rows import QARow, TrainingDataError, rows_from_lareqa, split_heldout
from mteb_hybrid.training.sources import build_sources
from mteb_hybrid.training.subsets import cap_rows, keep_questions

SEVEN = ["en", "de", "es", "zh", "ar", "hi", "vi"]


def _rows(questions: dict[str, list[str]]) -> list[QARow]:
    return [
        QARow(pid, lang, f"q {pid} {lang}", f"p {pid} {lang}") for pid, langs in questions.items() for lang in langs
    ]


def _langs_by_question(rows: list[QARow]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r.parallel_id, set()).add(r.lang)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pivot_then_least_used_language_hand_computed(seed: int) -> None:
    # q1, q2 have en, de, es; q3 lacks en. Whatever the order: each of q1, q2 keeps en and one other, and the
    # three questions share de and es out evenly (en 2, de 2, es 2); q3 keeps its first listed language, de.
    rows = _rows({"q1": ["en", "de", "es"], "q2": ["es", "de", "en"], "q3": ["es", "de"]})
    kept = keep_questions(rows, None, 2, seed, ["en", "de", "es"])
    by_q = _langs_by_question(kept)
    assert Counter(r.lang for r in kept) == {"en": 2, "de": 2, "es": 2}
    assert "en" in by_q["q1"] and "en" in by_q["q2"] and by_q["q1"] != by_q["q2"]
    assert by_q["q3"] == {"de", "es"}


def test_too_few_translations_are_passed_over_and_too_few_questions_is_an_error() -> None:
    rows = _rows({"a": ["en", "de"], "b": ["en"], "c": ["en", "de"]})
    kept = keep_questions(rows, 2, 2, seed=5, languages=["en", "de"])
    assert set(_langs_by_question(kept)) == {"a", "c"}
    with pytest.raises(TrainingDataError, match=r"max_train_questions=3: only 2 training questions have 2"):
        keep_questions(rows, 3, 2, seed=5, languages=["en", "de"])


def test_question_cap_alone_keeps_every_translation_and_is_fixed_by_seed() -> None:
    rows = _rows({f"q{i}": ["en", "de", "es"][: 1 + i % 3] for i in range(30)})
    kept = keep_questions(rows, 10, None, seed=7)
    by_q = _langs_by_question(kept)
    assert len(by_q) == 10
    assert all(langs == set(["en", "de", "es"][: len(langs)]) for langs in by_q.values())
    assert sum(len(v) for v in by_q.values()) == len(kept)  # whole questions
    assert kept == keep_questions(rows, 10, None, seed=7)
    assert set(by_q) != set(_langs_by_question(keep_questions(rows, 10, None, seed=8)))
    assert keep_questions(rows, None, None, seed=7) is rows


def test_row_cap_keeps_whole_questions() -> None:
    rows = _rows({f"q{i}": ["en", "de"] for i in range(10)})
    kept = cap_rows(rows, 7, seed=1)
    assert len(kept) == 6 and all(n == 2 for n in Counter(r.parallel_id for r in kept).values())


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="translations_per_question must be >= 1"):
        TrainConfig(translations_per_question=0)


def test_mlqa_r_language_scaling_cells_get_equal_questions_rows_and_full_x_y_batches(data_dir) -> None:
    """The design of experiments/language-scaling-questions.yaml on the real MLQA-R: 2 to 7 languages, 480
    questions with 2 translations each -> 960 rows and 960 X-Y pairs in every cell, no X-Y source too small to
    give a batch of 32 distinct questions, the non-English languages within 5% of each other."""
    all_rows = rows_from_lareqa("mlqa-r", data_dir, SEVEN)
    for n in (2, 3, 4, 7):
        langs = SEVEN[:n]
        train, _ = split_heldout([r for r in all_rows if r.lang in langs], 0.05, 42)
        kept = keep_questions(train, 480, 2, 42, langs)
        assert len(kept) == 960 and len({r.parallel_id for r in kept}) == 480
        per_lang = Counter(r.lang for r in kept)
        assert per_lang["en"] == 480
        others = [per_lang[lang] for lang in langs[1:]]
        assert max(others) - min(others) <= 0.05 * 480 / len(others)  # a question lacking the least used forces another
        sizes = build_sources(kept, "hybrid").sizes()
        xy = {k: v for k, v in sizes.items() if k.startswith("x-y")}
        assert sum(xy.values()) == 960 and min(xy.values()) >= 32
