"""A plugin task's result file -> the result file of the exported (upstream) task, checked against its metadata.

The revision becomes the export's; kept are the scores that mean the same in both (mteb's ndcg/map/recall/
precision/mrr/hit_rate@k, main_score); dropped are the plugin's own and nauc_* (which depend on retrieval depth).
"""

from __future__ import annotations

from typing import Any

from mteb_hybrid.formats.per_query import PLUGIN_METRICS

PLUGIN_ONLY_SCORES = PLUGIN_METRICS | {"skipped_questions"}


def _kept(key: str) -> bool:
    return key not in PLUGIN_ONLY_SCORES and not key.startswith("nauc_")


def upstream_problems(result: Any, metadata: Any) -> list[str]:
    """Why `result` (an mteb TaskResult of a plugin task) does not fit the generated task's `metadata`."""
    out: list[str] = []
    if result.task_name != metadata.name:
        out.append(f"task {result.task_name!r} is not the exported task {metadata.name!r}")
    langs = metadata.eval_langs
    for split, rows in result.scores.items():
        if split not in metadata.eval_splits:
            out.append(f"split {split!r} is not in the task's eval_splits {list(metadata.eval_splits)}")
            continue
        for row in rows:
            subset = row.get("hf_subset")
            if subset not in langs:
                out.append(f"{split}/{subset}: subset not in the exported task (export it with these languages)")
            elif sorted(row.get("languages", [])) != sorted(langs[subset]):
                out.append(f"{split}/{subset}: languages {row.get('languages')} differ from the task's {langs[subset]}")
            elif metadata.main_score not in row or row.get("main_score") != row[metadata.main_score]:
                out.append(f"{split}/{subset}: main_score is not {metadata.main_score}")
    return out


def to_upstream(result: Any, task_cls: type) -> Any:
    """The TaskResult the upstream task would hold for these scores; ValueError naming the first problem."""
    meta = task_cls.metadata
    if problems := upstream_problems(result, meta):
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValueError(f"{result.task_name}: {problems[0]}{more}")
    scores = {
        split: [{k: v for k, v in row.items() if _kept(k)} for row in rows] for split, rows in result.scores.items()
    }
    new = result.model_copy(update={"dataset_revision": meta.dataset["revision"], "scores": scores})
    new.validate_and_filter_scores(task_cls())  # mteb's own check of splits and subsets against the task
    return new
