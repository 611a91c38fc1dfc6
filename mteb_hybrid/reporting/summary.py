"""mteb result files in the paper's Table 1 layout (mono / cross / multi), read with mteb's `TaskResult.from_disk`.

Every setting is a macro average over QUERY languages, as in the paper, so a language with more candidate
languages (cross) does not weigh more than one with fewer.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mteb_hybrid.data.errors import DataFormatError
from mteb_hybrid.files import write_atomic
from mteb_hybrid.formats.per_query import POOL_METRICS

from .templates import render

logger = logging.getLogger(__name__)

SETTINGS = ("mono", "cross", "multi")
ID_COLUMNS = ["model", "revision", "task", "split", "subset", "query_lang", "corpus_lang", "setting"]
# Always present in load_scores' table (NaN where a file lacks them), in this order, before the rest.
KEY_METRICS = ["main_score", "map", "ndcg_at_10", "rank_distance", "same_language_at_10", "map_at_10", "recall_at_10"]
GROUP_KEYS = ["model", "revision", "task", "split"]

_SUBSET = re.compile(r"^(?P<q>[a-z]{2,3})-(?P<c>[a-z]{2,3}|pool)$")
_NOT_METRICS = {"hf_subset", "languages", "mteb_version", "skipped_questions"}  # skipped_questions: a load count
_EXPERIMENTS = "experiments"  # mteb's folder for runs with non-default model kwargs


def _model_identity(revision_dir: Path) -> tuple[str, str]:
    """(model name, revision): from model_meta.json as mteb does, else from the folder names."""
    meta_path = revision_dir / "model_meta.json"
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            return str(meta["name"]), str(meta["revision"])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DataFormatError(
                meta_path,
                "name/revision",
                f"cannot read model name and revision ({e})",
                "re-run the evaluation or delete the file",
            ) from e
    return revision_dir.parent.name.replace("__", "/"), revision_dir.name


def _read_task_result(path: Path) -> Any | None:
    """mteb's TaskResult for `path`, None for JSON that is not a task result; DataFormatError if broken."""
    from mteb.results import TaskResult  # mteb is slow to import: only when files are read

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataFormatError(
            path, "<file>", f"not valid JSON ({e})", "re-run the evaluation for this task or delete the file"
        ) from e
    if not isinstance(data, dict) or "task_name" not in data or "scores" not in data:
        logger.info("skipping %s: not an mteb task result", path)
        return None
    try:
        return TaskResult.from_disk(path)
    except Exception as e:  # pydantic's ValidationError and whatever mteb's historic-format path raises
        problem = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataFormatError(
            path, "scores", f"not a valid mteb task result ({problem})", "re-run the evaluation for this task"
        ) from e


def _parse_subset(subset: str) -> tuple[str, str, str] | None:
    """(query_lang, corpus_lang, setting) for a LAReQA subset name, None for any other name."""
    if (m := _SUBSET.match(subset)) is None:
        return None
    return m["q"], m["c"], "multi" if m["c"] == "pool" else "mono" if m["q"] == m["c"] else "cross"


def _is_lareqa(subsets: list[dict[str, Any]]) -> bool:
    """Every subset named q-c / q-pool, and a pool or LAReQA's `map` (mteb's MLQARetrieval has neither)."""
    parsed = [_parse_subset(s["hf_subset"]) for s in subsets]
    if not parsed or any(p is None for p in parsed):
        return False
    return any(p[2] == "multi" or "map" in s for p, s in zip(parsed, subsets) if p is not None)


def _metrics(scores: dict[str, Any]) -> dict[str, float]:
    return {
        k: math.nan if v is None else float(v)
        for k, v in scores.items()
        if k not in _NOT_METRICS and (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)))
    }


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=float if c in KEY_METRICS else object) for c in [*ID_COLUMNS, *KEY_METRICS, "file"]}
    )


def load_scores(
    results_dir: str | os.PathLike[str], *, tasks: Iterable[str] | None = None, split: str | None = "test"
) -> pd.DataFrame:
    """Long table of LAReQA scores: one row per (model, revision, task, split, subset).

    Args:
        results_dir: an mteb output folder (holding `results/`), the `results/` folder, or a folder of model folders.
        tasks: only these tasks; split: only this split (None: all).

    Columns: ID_COLUMNS (corpus_lang "pool" for pools), every numeric metric (KEY_METRICS always, NaN where absent),
    file. A broken file raises DataFormatError; the same subset in two files ValueError (never averaged silently).
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such results folder")
    wanted = set(tasks) if tasks is not None else None
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], Path] = {}
    for path in sorted((root / "results" if (root / "results").is_dir() else root).rglob("*.json")):
        if path.name == "model_meta.json" or (wanted is not None and path.stem not in wanted):
            continue
        if _EXPERIMENTS in path.relative_to(root).parts:
            logger.info("skipping %s: experiment run (mteb skips these by default too)", path)
            continue
        result = _read_task_result(path)
        if result is None or (wanted is not None and result.task_name not in wanted):
            continue
        subsets = [(name, s) for name, entries in result.scores.items() if split in (None, name) for s in entries]
        if not _is_lareqa([s for _, s in subsets]):
            logger.info(
                "skipping %s: task %s has no LAReQA-style subsets (q-c / q-pool)%s",
                path,
                result.task_name,
                f" in split {split!r}" if split else "",
            )
            continue
        model, revision = _model_identity(path.parent)
        for split_name, scores in subsets:
            q, c, setting = _parse_subset(scores["hf_subset"])  # type: ignore[misc]
            key = (model, revision, result.task_name, split_name, scores["hf_subset"])
            if key in seen:
                raise ValueError(
                    f"subset {key[4]} of {key[2]} ({key[3]}) for {model} revision {revision} is in both "
                    f"{seen[key]} and {path}: point at a folder that holds one run per model"
                )
            seen[key] = path
            rows.append(
                {
                    "model": model,
                    "revision": revision,
                    "task": result.task_name,
                    "split": split_name,
                    "subset": scores["hf_subset"],
                    "query_lang": q,
                    "corpus_lang": c,
                    "setting": setting,
                    **_metrics(scores),
                    "file": str(path),
                }
            )
    if not rows:
        return _empty_scores()
    df = pd.DataFrame(rows)
    rest = sorted(set(df.columns) - {*ID_COLUMNS, *KEY_METRICS, "file"})
    df = df.reindex(columns=[*ID_COLUMNS, *KEY_METRICS, *rest, "file"])  # a missing key metric becomes NaN
    order = {s: i for i, s in enumerate(SETTINGS)}
    return df.sort_values(
        [*GROUP_KEYS, "query_lang", "setting", "corpus_lang"],
        key=lambda col: col.map(order) if col.name == "setting" else col,
    ).reset_index(drop=True)


PER_LANGUAGE_METRICS = ("ndcg_at_10", "map")


@dataclass(frozen=True)
class Summary:
    """Table 1 of the paper per (model, revision, task, split, group), and its per-query-language rows.

    table: map_* and ndcg_at_10_* per setting, rank_distance, same_language_at_10, ndcg_at_10_drop_{cross,multi}
        and *_pct (% of mono), n_query_langs and n_* (subsets averaged); group all (+ seen / unseen if given).
    per_language: one row per query language with the same setting columns, rank distance and group.
    """

    table: pd.DataFrame
    per_language: pd.DataFrame
    unseen_languages: frozenset[str] | None = None


def _per_language(df: pd.DataFrame, unseen: frozenset[str] | None) -> pd.DataFrame:
    """Per query language: cross is first averaged over corpus languages here (step 1 of the macro average)."""
    keys = [*GROUP_KEYS, "query_lang"]
    out = df[keys].drop_duplicates().set_index(keys)
    by_setting = {s: df[df["setting"] == s].groupby(keys) for s in SETTINGS}
    for metric in PER_LANGUAGE_METRICS:
        for setting in SETTINGS:
            out[f"{metric}_{setting}"] = by_setting[setting][metric].mean()
    for metric in POOL_METRICS:
        out[metric] = by_setting["multi"][metric].mean()
    for setting in SETTINGS:
        out[f"n_{setting}"] = by_setting[setting].size().reindex(out.index, fill_value=0)
    out = out.reset_index()
    out.insert(
        len(keys),
        "group",
        "all" if unseen is None else out["query_lang"].map(lambda q: "unseen" if q in unseen else "seen"),
    )
    return out.sort_values(keys).reset_index(drop=True)


def _table(per_language: pd.DataFrame) -> pd.DataFrame:
    """Step 2 of the macro average: mean over query languages of the per-language values."""
    value_cols = [f"{m}_{s}" for m in PER_LANGUAGE_METRICS for s in SETTINGS] + list(POOL_METRICS)
    g = per_language.groupby([*GROUP_KEYS, "group"], sort=True)
    out = g[value_cols].mean()  # skips NaN: a language without a setting does not count for it
    for setting in ("cross", "multi"):
        drop = out["ndcg_at_10_mono"] - out[f"ndcg_at_10_{setting}"]
        out[f"ndcg_at_10_drop_{setting}"] = drop
        out[f"ndcg_at_10_drop_{setting}_pct"] = 100.0 * drop / out["ndcg_at_10_mono"]
    out["n_query_langs"] = g.size()
    for setting in SETTINGS:
        out[f"n_{setting}"] = g[f"n_{setting}"].sum()
    return out.reset_index()


def _warn_uneven(per_language: pd.DataFrame) -> None:
    """Degradation compares averages: say so when they cover different query languages."""
    for key, g in per_language.groupby(GROUP_KEYS):
        langs = {s: set(g.loc[g[f"n_{s}"] > 0, "query_lang"]) for s in SETTINGS}
        present = [s for s in SETTINGS if langs[s]]
        if any(langs[s] != langs[present[0]] for s in present):
            logger.warning(
                "%s: settings cover different query languages (%s); averages are not over the same languages",
                " / ".join(map(str, key)),
                "; ".join(f"{s}: {' '.join(sorted(langs[s]))}" for s in present),
            )


def summarize(df: pd.DataFrame, unseen_languages: Iterable[str] | None = None) -> Summary:
    """Table 1 layout per (model, revision, task, split) from load_scores' table: macro averages over QUERY
    languages (cross first over each one's corpus languages: 110 XQuAD-R pairs count as 11 languages); a setting
    without subsets gives NaN. With `unseen_languages`, extra rows for the "seen" and "unseen" query languages.
    """
    unseen = frozenset(x.lower() for x in unseen_languages) if unseen_languages is not None else None
    per_language = _per_language(_empty_scores() if df.empty else df, unseen)
    if df.empty:
        return Summary(_table(per_language), per_language, unseen)
    _warn_uneven(per_language)
    table = _table(per_language.assign(group="all"))
    if unseen is not None:
        missing = unseen - set(df["query_lang"])
        if missing:
            logger.warning("unseen languages not among the query languages: %s", " ".join(sorted(missing)))
        table = pd.concat([table, _table(per_language)], ignore_index=True)
        order = table["group"].map({"all": 0, "seen": 1, "unseen": 2})
        table = table.assign(_o=order).sort_values([*GROUP_KEYS, "_o"]).drop(columns="_o").reset_index(drop=True)
    return Summary(table=table, per_language=per_language, unseen_languages=unseen)


_SCORE = "{:.3f}"
_PCT = "{:.1f}%"
# (summary column, header, format) of the displayed tables; the report's Table 1 uses TABLE1_COLUMNS too.
_POOL_COLUMNS = [("rank_distance", "RD", "{:.1f}"), ("same_language_at_10", "same-lang@10", _SCORE)]
TABLE1_COLUMNS = [
    *((f"map_{s}", f"mAP {s}", _SCORE) for s in SETTINGS),
    *((f"ndcg_at_10_{s}", f"nDCG@10 {s}", _SCORE) for s in SETTINGS),
    *_POOL_COLUMNS,
]
DROP_COLUMNS = [
    ("ndcg_at_10_mono", "nDCG@10 mono", _SCORE),
    ("ndcg_at_10_drop_cross", "mono-cross", _SCORE),
    ("ndcg_at_10_drop_cross_pct", "mono-cross %", _PCT),
    ("ndcg_at_10_drop_multi", "mono-multi", _SCORE),
    ("ndcg_at_10_drop_multi_pct", "mono-multi %", _PCT),
]
PER_LANGUAGE_COLUMNS = [
    *((f"{m}_{s}", f"{name} {s}", _SCORE) for m, name in (("ndcg_at_10", "nDCG@10"), ("map", "mAP")) for s in SETTINGS),
    *_POOL_COLUMNS,
]


def fmt_number(value: Any, spec: str = _SCORE) -> str:
    """A number in `spec`, "-" for a missing one (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return spec.format(value)


def _model_label(frame: pd.DataFrame) -> pd.Series:
    """Model name, with @revision only where one model has several revisions in the frame."""
    revisions = frame.groupby("model")["revision"].nunique()
    return frame.apply(lambda r: f"{r['model']}@{r['revision']}" if revisions[r["model"]] > 1 else r["model"], axis=1)


def _formatted(frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]]) -> dict[str, list[str]]:
    """header -> the column's values formatted with its spec, for (column, header, spec) triples."""
    return {header: [fmt_number(v, spec) for v in frame[col]] for col, header, spec in columns}


def _display_tables(summary: Summary, per_language: bool = True) -> list[tuple[str, pd.DataFrame]]:
    """(title, all-string frame) pairs shared by the terminal and Markdown writers."""
    out: list[tuple[str, pd.DataFrame]] = []
    langs = summary.per_language
    show_group = summary.unseen_languages is not None
    for (task, split), t in summary.table.groupby(["task", "split"], sort=True):
        t = t.reset_index(drop=True)
        head = pd.DataFrame({"model": _model_label(t), **({"group": t["group"]} if show_group else {})})
        main = head.assign(**_formatted(t, TABLE1_COLUMNS), langs=t["n_query_langs"].astype(str))
        main["subsets m/c/x"] = [f"{a}/{b}/{c}" for a, b, c in zip(t["n_mono"], t["n_cross"], t["n_multi"])]
        out.append((f"{task} ({split}): Table 1 layout, macro averages over query languages", main))
        out.append(
            (f"{task} ({split}): nDCG@10 degradation from monolingual", head.assign(**_formatted(t, DROP_COLUMNS)))
        )
        if per_language:
            p = langs[(langs["task"] == task) & (langs["split"] == split)].reset_index(drop=True)
            rows = pd.DataFrame(
                {"model": _model_label(p), "query": p["query_lang"], **({"group": p["group"]} if show_group else {})}
            )
            out.append((f"{task} ({split}): per query language", rows.assign(**_formatted(p, PER_LANGUAGE_COLUMNS))))
    return out


def markdown_table(frame: pd.DataFrame, left: int | None = None) -> str:
    """An all-string frame as Markdown: the first `left` columns (default: model / query / group) left-aligned."""

    def esc(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    is_left = [i < left if left is not None else c in ("model", "query", "group") for i, c in enumerate(frame.columns)]
    lines = [
        "| " + " | ".join(esc(c) for c in frame.columns) + " |",
        "| " + " | ".join(":--" if x else "--:" for x in is_left) + " |",
    ]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


_LEGEND = render("summary_legend")


def format_summary(summary: Summary, per_language: bool = True) -> str:
    """Plain-text tables for the terminal (same numbers and rounding as summary.md)."""
    if summary.table.empty:
        return "no LAReQA results"
    tables = _display_tables(summary, per_language)
    return "\n\n".join(f"{title}\n{frame.to_string(index=False)}" for title, frame in tables)


def format_markdown(summary: Summary) -> str:
    """summary.md: the same tables as Markdown, with a legend."""
    parts = ["# LAReQA summary", ""]
    if summary.unseen_languages is not None:
        parts += [f"Unseen query languages: {' '.join(sorted(summary.unseen_languages)) or '(none)'}", ""]
    for title, frame in _display_tables(summary):
        parts += [f"## {title}", "", markdown_table(frame), ""]
    parts += ["## Columns", "", "```", _LEGEND, "```", ""]
    return "\n".join(parts)


def write_summary(summary: Summary, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write summary.csv, per_language.csv (full precision) and summary.md (rounded); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "summary.csv": summary.table.to_csv(index=False),
        "per_language.csv": summary.per_language.to_csv(index=False),
        "summary.md": format_markdown(summary),
    }
    return {name: write_atomic(out / name, text) for name, text in files.items()}


SUMMARIZE_HELP = "summarize LAReQA results (Table 1 layout, degradation, per-language rows, rank distance)"

_DESCRIPTION = render("summarize_description")


def add_summarize_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `mteb-hybrid summarize`; also sets the parser's description and column legend."""
    parser.description = parser.description or _DESCRIPTION
    parser.epilog = "columns:\n" + "\n".join(f"  {line}" for line in _LEGEND.splitlines())
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "results_dir",
        metavar="RESULTS_DIR",
        help="mteb output folder, its results/ folder, or a folder of model folders",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write summary.csv, per_language.csv and summary.md here (default: print only, write nothing)",
    )
    parser.add_argument(
        "--unseen",
        nargs="+",
        metavar="LANG",
        default=None,
        help="ISO 639-1 codes of query languages not seen in training (e.g. el ru th tr): adds seen/unseen rows",
    )
    parser.add_argument(
        "--task", nargs="+", metavar="TASK", default=None, help="only these tasks (e.g. XQuADRRetrieval)"
    )
    parser.add_argument("--split", default="test", help="evaluation split to summarize (default: test)")


def run_summarize(args: argparse.Namespace) -> int:
    """Load, print and write; returns an exit status (1 with a one-line message on bad input)."""
    results_dir = Path(args.results_dir)
    try:
        df = load_scores(results_dir, tasks=args.task, split=args.split)
    except (DataFormatError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if df.empty:
        what = f" for {' '.join(args.task)}" if args.task else ""
        print(f"error: no LAReQA results{what} (split {args.split}) under {results_dir}", file=sys.stderr)
        return 1
    summary = summarize(df, unseen_languages=args.unseen)
    print(format_summary(summary))
    if not args.out:  # never into the input folder unasked: it may be the project's shipped results/
        print("\n(nothing written; --out DIR writes summary.csv, per_language.csv and summary.md)")
        return 0
    written = write_summary(summary, args.out)
    print("\nwrote " + ", ".join(str(p) for p in written.values()))
    return 0
