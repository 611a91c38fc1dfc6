"""Which training rows a cell keeps, so that the cells of a language-scaling grid train on equal data.

Two caps, applied after the held-out split: `keep_questions` (a number of distinct questions, each with a fixed
number of translations: equal questions, rows and X-Y pairs whatever the number of languages) and `cap_rows` (a
number of rows, as whole parallel ids: equal rows, but more languages then means fewer distinct questions).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence

from .rows import QARow, TrainingDataError


def _seeded_ids(rows: Sequence[QARow], seed: int) -> list[str]:
    ids = sorted({r.parallel_id for r in rows})
    random.Random(seed).shuffle(ids)
    return ids


def cap_rows(rows: list[QARow], max_rows: int | None, seed: int) -> list[QARow]:
    """At most `max_rows` rows, as whole parallel ids (every translation kept, so X-Y pairs survive) taken in
    an order fixed by `seed`: cells of a language-scaling grid train on the same amount of data."""
    if max_rows is None or len(rows) <= max_rows:
        return rows
    sizes = Counter(r.parallel_id for r in rows)
    kept: set[str] = set()
    n = 0
    for pid in _seeded_ids(rows, seed):
        if n + sizes[pid] <= max_rows:
            kept.add(pid)
            n += sizes[pid]
    return [r for r in rows if r.parallel_id in kept]


def keep_questions(
    rows: list[QARow],
    max_questions: int | None,
    translations: int | None,
    seed: int,
    languages: Sequence[str] | None = None,
) -> list[QARow]:
    """`max_questions` distinct questions (all when None), each with exactly `translations` of its languages
    (all when None), questions taken in an order fixed by `seed`.

    Of a question's languages it keeps the first of `languages` it has (the pivot: all of MLQA-R's questions
    exist in English, so listing en first pairs every question with English and each X-Y source gets enough
    questions to fill batches), then the least used so far (ties in the order of `languages`), which spreads the
    rows evenly over the other languages. Questions with fewer translations are passed over.

    Raises:
        TrainingDataError: fewer than `max_questions` questions have `translations` translations.
    """
    if max_questions is None and translations is None:
        return rows
    by_id: dict[str, dict[str, QARow]] = defaultdict(dict)
    for r in rows:
        by_id[r.parallel_id][r.lang] = r
    order = list(languages or sorted({r.lang for r in rows}))
    order += sorted({r.lang for r in rows} - set(order))
    rank = {lang: i for i, lang in enumerate(order)}
    need = translations or 1
    used: Counter[str] = Counter()
    kept: list[QARow] = []
    n_questions = 0
    for pid in _seeded_ids(rows, seed):
        if max_questions is not None and n_questions == max_questions:
            break
        have = sorted(by_id[pid], key=rank.__getitem__)
        if len(have) < need:
            continue
        take = have if translations is None else [have[0], *sorted(have[1:], key=lambda g: (used[g], rank[g]))]
        take = take[: len(take) if translations is None else translations]
        used.update(take)
        kept += [by_id[pid][lang] for lang in take]
        n_questions += 1
    if max_questions is not None and n_questions < max_questions:
        raise TrainingDataError(
            f"max_train_questions={max_questions}: only {n_questions} training questions have "
            f"{need} translation(s) in {order} after the held-out split. Fix: lower max_train_questions "
            "or translations_per_question"
        )
    return kept
