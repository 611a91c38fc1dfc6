"""Seed aggregation with pandas: per-group mean / sample std / count, the frames the plots draw, pooled seeds.

Every figure of the report is the mean over the seeds with results, with the sample std (ddof 1, NaN for one seed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .loading import Cell, Experiment
from .summary import summarize

MISSING = "-"


def seed_stats(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std (ddof 1) and count of the non-NaN values of every numeric column; rows mean / std / n."""
    return frame.select_dtypes("number").agg(["mean", "std", "count"]).set_axis(["mean", "std", "n"], axis=0)


def values_stats(values: Sequence[float | None]) -> pd.Series:
    """seed_stats of one list of values (None and NaN skipped), as a Series mean / std / n."""
    return seed_stats(pd.DataFrame({"v": pd.Series([v for v in values if v is not None], dtype=float)}))["v"]


def fmt_stat(stat: pd.Series, spec: str = "{:.3f}", suffix: str = "") -> str:
    """ "mean ± std" over several seeds, "mean" for one, "-" for none."""
    n = int(stat["n"])
    if n == 0:
        return MISSING
    text = spec.format(stat["mean"]) + suffix
    return text if n == 1 else f"{text} ± {spec.format(stat['std'])}"


def seed_rows(cells: Sequence[Cell], task: str, langs: str = "all") -> pd.DataFrame:
    """The summary rows of `task` (langs all / seen / unseen) of every cell with results: one per seed."""
    tables = [t[(t["task"] == task) & (t["langs"] == langs)] for t in (c.summary for c in cells) if not t.empty]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def group_stats(cells: Sequence[Cell], task: str, langs: str = "all") -> pd.DataFrame | None:
    """seed_stats of every summary column over the cells of one group; None when none has results."""
    frame = seed_rows(cells, task, langs)
    return None if frame.empty else seed_stats(frame)


def heatmap_matrix(cells: Sequence[Cell], task: str) -> pd.DataFrame:
    """nDCG@10 per (query, corpus) subset, mean over the done seeds; columns: languages, then pool."""
    df = pd.concat([c.scores[c.scores["task"] == task] for c in cells if task in c.tasks()], ignore_index=True)
    m = df.pivot_table(index="query_lang", columns="corpus_lang", values="ndcg_at_10", aggfunc="mean")
    langs = sorted(set(df["query_lang"]) | (set(df["corpus_lang"]) - {"pool"}))
    cols = [c for c in langs if c in m.columns] + (["pool"] if "pool" in m.columns else [])
    return m.reindex(index=[q for q in langs if q in m.index], columns=cols)


def rank_distance_frames(exp: Experiment, task: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mean, std) rank distance over seeds: index query language, one column per group."""
    means: dict[str, pd.Series] = {}
    stds: dict[str, pd.Series] = {}
    for group, cells in exp.groups().items():
        per_seed = [
            c.scores[(c.scores["task"] == task) & (c.scores["setting"] == "multi")].set_index("query_lang")[
                "rank_distance"
            ]
            for c in cells
            if task in c.tasks()
        ]
        frame = pd.concat(per_seed, axis=1) if per_seed else pd.DataFrame()
        if frame.notna().any().any():
            means[group], stds[group] = frame.mean(axis=1), frame.std(axis=1, ddof=1)
    return pd.DataFrame(means).sort_index(), pd.DataFrame(stds).sort_index()


def fixed_language_groups(cells: Sequence[Cell], task: str) -> dict[str, set[str]]:
    """The query languages every cell trained on and those no cell trained on: the same languages at every
    point of a curve, so the curve shows the effect of training, not a change of language set."""
    return {
        "trained by every cell": set.intersection(*(set(query_langs(c, task, "seen")) for c in cells)),
        "trained by no cell": set.intersection(*(set(query_langs(c, task, "unseen")) for c in cells)),
    }


def degradation_points(exp: Experiment, task: str) -> pd.DataFrame:
    """Seed-aggregated mono -> cross and mono -> multi nDCG@10 drop in % of mono, per (other grid variables,
    n_languages, fixed language group, setting); groups from `fixed_language_groups` over the grid's cells."""
    cells = [c for c in exp.cells if c.params.get("n_languages") is not None and task in c.tasks()]
    records = []
    for langs, chosen in (fixed_language_groups(cells, task) if cells else {}).items():
        if not chosen:
            continue
        for c in cells:
            row = fixed_set_summary(c, task, chosen)
            series = ", ".join(f"{k}={v}" for k, v in sorted(c.params.items()) if k not in ("n_languages", "seed"))
            records += [
                {
                    "series": series,
                    "n_languages": c.params["n_languages"],
                    "setting": s,
                    "langs": f"{langs} ({' '.join(sorted(chosen))})",
                    "value": float(row[f"ndcg_at_10_drop_{s}_pct"]),
                }
                for s in ("cross", "multi")
            ]
    if not records:
        return pd.DataFrame(columns=["series", "n_languages", "langs", "setting", "mean", "std", "n"])
    g = pd.DataFrame(records).groupby(["series", "n_languages", "langs", "setting"])["value"]
    return g.agg(mean="mean", std=lambda x: x.std(ddof=1), n="count").reset_index()


def shared_unseen(cells: Sequence[Cell]) -> frozenset[str]:
    """The unseen languages if every trained cell with results agrees on them (else none are starred)."""
    sets = {frozenset(c.unseen) for c in cells if c.done and c.train is not None}
    return next(iter(sets)) if len(sets) == 1 else frozenset()


def query_langs(cell: Cell, task: str, langs: str) -> list[str]:
    """The cell's query languages of `task` that are seen (langs "seen") or unseen ("unseen") in training."""
    unseen = set(cell.unseen)
    return [
        q
        for q in sorted(set(cell.scores.loc[cell.scores["task"] == task, "query_lang"]))
        if (q in unseen) == (langs == "unseen")
    ]


def fixed_set_summary(cell: Cell, task: str, chosen: set[str]) -> pd.Series:
    """summarize()'s Table 1 row of the cell restricted to the `chosen` query languages."""
    scores = cell.scores[(cell.scores["task"] == task) & (cell.scores["query_lang"].isin(chosen))]
    return summarize(scores).table.iloc[0]


# Train-config fields that do not change what is learned (where files go, how often to log or save).
_NOT_RECIPE = {
    "seed",
    "data_dir",
    "output_dir",
    "model_name",
    "resume",
    "eval_tasks",
    "eval_steps",
    "save_steps",
    "save_total_limit",
    "logging_steps",
    "keep_checkpoints",
    "device",
    "num_threads",
}


def pooled_seeds(experiments: Sequence[Experiment]) -> Experiment | None:
    """One experiment of the recipes run in more than one experiment (e.g. `batching` seed 42 and
    `batching-seeds` seeds 1, 2), so their spread over all seeds shows; None when there is none.

    Groups are named `<experiment>/<group>` of the recipe's first cell; the first involved experiment's base
    model comes along, so the comparison with the paper can show it.
    """
    by_recipe: dict[str, list[Cell]] = {}  # a recipe: the train config and grid params, minus the seed
    for c in (c for exp in experiments for c in exp.cells if c.done and c.train is not None):
        recipe = {k: v for k, v in (c.train or {}).items() if k not in _NOT_RECIPE}
        params = {k: v for k, v in c.params.items() if k != "seed"}
        by_recipe.setdefault(json.dumps([recipe, params], sort_keys=True, default=str), []).append(c)
    shared = [cs for cs in by_recipe.values() if len({c.experiment for c in cs}) > 1]
    if not shared:
        return None
    involved = sorted({c.experiment for cs in shared for c in cs})
    base = next(
        (c for exp in experiments if exp.name in involved for c in exp.cells if c.done and c.train is None), None
    )
    cells = [] if base is None else [replace(base, info={**base.info, "group": f"{base.experiment}/{base.group}"})]
    for cs in shared:
        label = f"{cs[0].experiment}/{cs[0].group}"
        cells += [replace(c, cell_id=f"{c.experiment}/{c.cell_id}", info={**c.info, "group": label}) for c in cs]
    names = ", ".join(f"`{n}`" for n in involved)
    return Experiment(
        name="seeds pooled: " + " + ".join(involved),
        path=Path("."),
        cells=cells,
        description=f"The same training recipes across experiments {names}, pooled over all their seeds "
        "(a recipe = the train config minus its seed).",
    )
