"""The experiment report from hand-built result trees; every expected figure is computed by hand in a comment."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mteb.results import TaskResult

from mteb_hybrid.reporting import add_report_arguments, build_report, load_experiments, run_report, time_to_target
from mteb_hybrid.reporting.convergence import shares_validation

LANGS = ("en", "de", "el")
TAGS = {"en": "eng-Latn", "de": "deu-Latn", "el": "ell-Grek"}
TASK = "XQuADRRetrieval"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _task_result(values: dict[str, Any]) -> TaskResult:
    """Every subset of a setting gets the setting's (nDCG@10, mAP); query language el gets nDCG@10 - el_drop."""
    scores = []
    drop = values.get("el_drop", 0.0)
    for q in LANGS:
        for c in (*LANGS, "pool"):
            setting = "multi" if c == "pool" else "mono" if q == c else "cross"
            ndcg, map_ = values[setting]
            ndcg -= drop if q == "el" else 0.0
            entry = {
                "hf_subset": f"{q}-{c}",
                "languages": [TAGS[q], *(TAGS.values() if c == "pool" else [TAGS[c]])],
                "main_score": ndcg,
                "ndcg_at_10": ndcg,
                "map": map_,
            }
            if c == "pool":
                entry |= {"rank_distance": values["rd"], "same_language_at_10": 0.5}
            scores.append(entry)
    return TaskResult(
        dataset_revision="1", task_name=TASK, mteb_version="2.26.24", scores={"test": scores}, evaluation_time=1.0
    )


def write_cell(
    exp_dir: Path,
    cell: str,
    values: dict[str, Any] | None,
    *,
    group: str | None = None,
    seed: int | None = None,
    batching: str | None = None,
    params: dict[str, Any] | None = None,
    unseen: list[str] | None = None,
    log: list[Any] | None = None,
    status: str = "done",
    trained: list[str] | None = None,
) -> Path:
    """A cell folder as the experiment runner writes it (values None: cell.json only, no result files)."""
    folder = exp_dir / cell
    folder.mkdir(parents=True)
    train = (
        None
        if batching is None
        else {
            "base": "me5-small",
            "data": ["mlqa-r"],
            "batching": batching,
            "alpha": 0.5,
            "max_steps": 200,
            "batch_size": 32,
            "seed": seed,
        }
    )
    info = {
        "experiment": exp_dir.name,
        "cell": cell,
        "group": group or cell,  # the runner's default: a cell of its own
        "status": status,
        "seed": seed,
        "train": train,
        "model_name": f"mteb-hybrid/{exp_dir.name}-{cell}",
        "revision": f"rev{cell}",
        "training_languages": trained,
        "unseen_languages": ["el"] if unseen is None else unseen,
        "params": {**({"batching": batching} if batching else {}), **(params or {})},
        "train_seconds": 100.0,
        "eval_seconds": 10.0,
        "command": f"mteb-hybrid train --batching {batching} --seed {seed} --out {cell}",
    }
    (folder / "cell.json").write_text(json.dumps(info))
    if values is not None:
        rev = folder / "results" / f"mteb-hybrid__{exp_dir.name}-{cell}" / f"rev{cell}"
        rev.mkdir(parents=True)
        _task_result(values).to_disk(rev / f"{TASK}.json")
        (rev / "model_meta.json").write_text(
            json.dumps({"name": f"mteb-hybrid/{exp_dir.name}-{cell}", "revision": f"rev{cell}"})
        )
    if log is not None:
        (folder / "train").mkdir()
        lines = [r if isinstance(r, str) else json.dumps(r) for r in log]
        (folder / "train" / "train_log.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _eval(step: int, wall: float, ndcg: float) -> dict[str, Any]:
    return {
        "step": step,
        "epoch": step / 30,
        "wall_time": wall,
        "eval_loss": 1.0,
        "eval_runtime": 0.5,
        "eval_benchmark_ndcg_at_10": ndcg,
    }


# xx-s1 reaches 0.78 >= target 0.95 * 0.80 = 0.76 at step 20 / 12.0 s; hybrid-s1 ends at 0.75 < 0.76: not reached.
XX_LOG = [
    {"step": 10, "epoch": 0.3, "wall_time": 5.0, "loss": 2.0, "learning_rate": 1e-5},
    _eval(10, 6.0, 0.20),
    _eval(20, 12.0, 0.78),
    _eval(30, 18.0, 0.80),
]
HY_LOG = [_eval(10, 4.0, 0.40), _eval(20, 9.0, 0.70), _eval(30, 14.0, 0.75), '{"step": 40, "wall_ti']


def make_tree(root: Path, flip: bool = False) -> Path:
    """results/ with experiments: batching (seeds, a pending seed, logs), languages (n_languages), running, broken."""
    exp = root / "experiments" / "batching"
    exp.mkdir(parents=True)
    cells = ["base", "xx-s1", "xx-s2", "xy-s1", "hybrid-s1", "hybrid-s2", "hybrid-s3"]
    (exp / "experiment.json").write_text(
        json.dumps(
            {"name": "batching", "description": "X-X vs X-Y vs hybrid", "config": {"steps": 200}, "cells": cells}
        )
    )
    write_cell(exp, "base", {"mono": (0.50, 0.40), "cross": (0.30, 0.20), "multi": (0.25, 0.15), "rd": 300.0})
    write_cell(
        exp,
        "xx-s1",
        {"mono": (0.60, 0.70), "cross": (0.40, 0.45), "multi": (0.30, 0.35), "rd": 200.0},
        group="xx",
        seed=1,
        batching="x-x",
        log=XX_LOG,
    )
    write_cell(
        exp,
        "xx-s2",
        {"mono": (0.70, 0.74), "cross": (0.50, 0.47), "multi": (0.40, 0.37), "rd": 220.0},
        group="xx",
        seed=2,
        batching="x-x",
    )
    write_cell(
        exp,
        "xy-s1",
        {"mono": (0.62, 0.68), "cross": (0.55, 0.52), "multi": (0.45, 0.44), "rd": 150.0, "el_drop": 0.30},
        group="xy",
        seed=1,
        batching="x-y",
    )
    if not flip:  # hybrid: mAP mono 0.74 >= X-X 0.72, cross 0.54 >= X-Y 0.52, multi 0.46 >= 0.44, RD 185 < 210
        h1 = {"mono": (0.70, 0.73), "cross": (0.50, 0.53), "multi": (0.40, 0.45), "rd": 180.0}
        h2 = {"mono": (0.70, 0.75), "cross": (0.50, 0.55), "multi": (0.40, 0.47), "rd": 190.0}
    else:  # every ordering reversed: 0.69 < 0.72, 0.50 < 0.52, 0.40 < 0.44, RD 230 > 210
        h1 = h2 = {"mono": (0.70, 0.69), "cross": (0.50, 0.50), "multi": (0.40, 0.40), "rd": 230.0}
    write_cell(exp, "hybrid-s1", h1, group="hybrid", seed=1, batching="hybrid", log=HY_LOG)
    write_cell(exp, "hybrid-s2", h2, group="hybrid", seed=2, batching="hybrid")
    # hybrid-s3: listed, never started

    lang = root / "experiments" / "languages"
    lang.mkdir()
    (lang / "experiment.json").write_text(
        json.dumps({"name": "languages", "description": "n languages", "config": {}, "cells": ["n2", "n3"]})
    )
    write_cell(
        lang,
        "n2",
        {"mono": (0.6, 0.6), "cross": (0.4, 0.4), "multi": (0.3, 0.3), "rd": 100.0, "el_drop": 0.2},
        seed=1,
        batching="hybrid",
        params={"n_languages": 2},
        unseen=["el"],
    )
    write_cell(
        lang,
        "n3",
        {"mono": (0.7, 0.7), "cross": (0.5, 0.5), "multi": (0.4, 0.4), "rd": 90.0},
        seed=1,
        batching="hybrid",
        params={"n_languages": 3},
        unseen=[],
    )

    running = root / "experiments" / "running"
    running.mkdir()
    (running / "experiment.json").write_text(
        json.dumps({"name": "running", "description": "still going", "config": {}, "cells": ["a", "b"]})
    )
    write_cell(running, "a", None, batching="x-x", seed=1, status="started")

    broken = root / "experiments" / "broken"  # no experiment.json yet; one cell with a corrupt result file
    cell = write_cell(broken, "c", None, batching="x-y", seed=1)
    bad = cell / "results" / "org__m" / "r"
    bad.mkdir(parents=True)
    (bad / f"{TASK}.json").write_text("{not json")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = make_tree(tmp_path_factory.mktemp("report") / "results")
    stale = root / "plots" / "batching" / "heatmap_old-cell.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(PNG_SIGNATURE)
    path = build_report(root)
    return root, path.read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start:] if end < 0 else text[start:end]


def _row(text: str, first: str) -> list[str]:
    """Cells of the first Markdown table row starting with `first`."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r}")


def test_table1_mean_std_over_seeds_and_pending_seed(built: tuple[Path, str]) -> None:
    root, text = built
    assert (root / "REPORT.md").is_file()
    exp = _section(text, "## Experiment `batching`")
    table = exp[
        exp.index("### XQuADRRetrieval: Table 1 layout") : exp.index("### XQuADRRetrieval: nDCG@10 degradation")
    ]
    header = _row(table, "cell / group")
    col = {h: i for i, h in enumerate(header)}
    xx = _row(table, "xx")
    # seeds 0.60 / 0.70: mean 0.650, sample std sqrt(((0.05)^2 * 2) / 1) = 0.0707
    assert xx[col["nDCG@10 mono"]] == "0.650 ± 0.071"
    assert xx[col["mAP mono"]] == "0.720 ± 0.028"  # 0.70 / 0.74
    assert xx[col["RD"]] == "210.0 ± 14.1"  # 200 / 220
    assert xx[col["seeds"]] == "2"
    assert xx[col["params"]] == "batching=x-x"
    hy = _row(table, "hybrid")
    assert hy[col["seeds"]] == "2 (+1 pending)"  # hybrid-s3 is listed but has no folder
    assert hy[col["mAP mono"]] == "0.740 ± 0.014"
    base = _row(table, "base")  # one cell, no seeds: no ± part
    assert base[col["mAP multi"]] == "0.150" and base[col["seeds"]] == "1"
    xy = _row(table, "xy")  # el's nDCG@10 is 0.30 lower: (0.62 + 0.62 + 0.32) / 3
    assert xy[col["nDCG@10 mono"]] == "0.520"


def test_degradation_and_seen_unseen(built: tuple[Path, str]) -> None:
    _, text = built
    exp = _section(text, "## Experiment `batching`")
    deg = exp[exp.index("nDCG@10 degradation") : exp.index("seen vs unseen")]
    header = _row(deg, "cell / group")
    col = {h: i for i, h in enumerate(header)}
    xx = _row(deg, "xx")
    assert xx[col["mono→cross"]] == "0.200 ± 0.000"  # 0.60-0.40 and 0.70-0.50
    # 0.2/0.6 = 33.33 %, 0.2/0.7 = 28.57 %: mean 30.95, std 3.37
    assert xx[col["mono→cross %"]] == "31.0% ± 3.4"
    assert _row(deg, "base")[col["mono→multi %"]] == "50.0%"  # (0.50 - 0.25) / 0.50
    split = exp[exp.index("seen vs unseen") : exp.index("### Convergence")]
    rows = [r for r in split.splitlines() if r.startswith("| xy |")]
    seen, unseen = ([c.strip() for c in r.strip("|").split("|")] for r in rows)
    assert seen[1:4] == ["seen", "de en", "0.620"] and unseen[1:4] == ["unseen", "el", "0.320"]
    # a cell trained on every evaluated language: all are seen, none unseen
    lang = _section(text, "## Experiment `languages`")
    assert _row(lang[lang.index("seen vs unseen") :], "n3")[1:4] == ["seen", "de el en", "0.700"]
    assert "| n3 | unseen | (none) |" in lang


def _welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """scipy's Welch interval of mean(a) - mean(b): the independent reference for the seeds-only fallback."""
    from scipy import stats

    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def test_paper_claims_carry_an_interval_and_a_verdict(built: tuple[Path, str], tmp_path: Path) -> None:
    _, text = built
    comp = _section(text, "## Comparison with the paper")
    assert "4-bit" in comp and "zero-shot on XQuAD-R" in comp and "Absolute numbers differ" in comp
    assert "| paper: XLM-R | Hybrid | - | 0.798 | 0.705 | 0.593 | 286.6 |" in comp
    assert "paper XQuAD-R: XLM-R 286.6 vs 410.2; LaBSE 221.1 vs 261.5" in comp
    assert "| ours: base | none (base model) |" in comp
    # mAP mono: hybrid seeds 0.73 / 0.75 vs X-X 0.70 / 0.74, no per-query records: Welch over seed means
    low, high = _welch([0.73, 0.75], [0.70, 0.74])
    assert low < 0 < high  # two seeds a side cannot separate +0.020 from noise
    assert (
        f"Hybrid ≥ X-X on monolingual mAP: **inconclusive** — ours: Hybrid 0.740 vs X-X 0.720, difference "
        f"+0.020, 95% interval [{low:+.3f}, {high:+.3f}] (Welch's t over 2 vs 2 seed means"
    ) in comp
    # X-Y has one seed and no records: no interval at all, never a verdict
    assert (
        "Hybrid ≥ X-Y on cross-lingual mAP: **inconclusive** — ours: Hybrid 0.540 vs X-Y 0.520, difference "
        "+0.020, 95% interval none (one seed a side"
    ) in comp
    # rank distance: hybrid 180 / 190 vs X-X 200 / 220
    low, high = _welch([180.0, 190.0], [200.0, 220.0])
    verdict = "holds" if high < 0 else "fails" if low > 0 else "inconclusive"
    assert (
        f"Hybrid rank distance < X-X: **{verdict}** — ours: Hybrid 185.0 vs X-X 210.0, difference -25.0, "
        f"95% interval [{low:+.1f}, {high:+.1f}]" in comp
    )
    assert "does not hold" not in comp

    flipped_root = make_tree(tmp_path / "results", flip=True)
    flipped = build_report(flipped_root, draw_plots=False).read_text(encoding="utf-8")
    assert not (flipped_root / "plots").exists()
    comp = _section(flipped, "## Comparison with the paper")
    low, high = _welch([0.69, 0.69], [0.70, 0.74])
    assert (
        f"Hybrid ≥ X-X on monolingual mAP: **inconclusive** — ours: Hybrid 0.690 vs X-X 0.720, difference "
        f"-0.030, 95% interval [{low:+.3f}, {high:+.3f}]"
    ) in comp
    assert "Hybrid ≥ X-Y on multilingual mAP: **inconclusive** — ours: Hybrid 0.400 vs X-Y 0.440" in comp


def _records(cell: Path, shift: float, seed: int, n_questions: int = 60) -> None:
    """Per-query records beside a cell's result file: mono mAP = 0.6 + shift + N(0, 0.05) per query."""
    import numpy as np
    import pandas as pd

    from mteb_hybrid.stats.records import records_path, write_records

    rng = np.random.default_rng(seed)
    rows = []
    for q in LANGS:
        for c in (*LANGS, "pool"):
            for i in range(n_questions):
                value = float(np.clip(0.6 + shift + rng.normal(0, 0.05), 0, 1))
                rows.append(
                    {
                        "split": "test",
                        "subset": f"{q}-{c}",
                        "query_id": f"{q}:{i}",
                        "parallel_id": str(i),
                        "map": value,
                        "ndcg_at_10": value,
                        "mrr_at_10": value,
                        "rank_distance": 100.0 - 50 * shift if c == "pool" else None,
                        "same_language_at_10": 0.5 if c == "pool" else None,
                    }
                )
    result = next(cell.rglob(f"{TASK}.json"))
    write_records(records_path(result), pd.DataFrame(rows), task=TASK, model=cell.name, revision="r")


def test_paper_claims_use_the_calibrated_interval_where_records_exist(tmp_path: Path) -> None:
    from mteb_hybrid.stats import query_scores, read_records
    from mteb_hybrid.stats.calibrated import cluster_totals, t_interval

    root = make_tree(tmp_path / "results")
    exp = root / "experiments" / "batching"
    for cell, shift, seed in (("hybrid-s1", 0.2, 1), ("hybrid-s2", 0.2, 2), ("xx-s1", 0.0, 3), ("xx-s2", 0.0, 4)):
        _records(exp / cell, shift, seed)
    comp = _section(build_report(root, draw_plots=False).read_text(encoding="utf-8"), "## Comparison with the paper")
    frames = {
        c: query_scores(read_records(next((exp / c).rglob("*.per_query.parquet"))), "mono")
        for c in ("hybrid-s1", "hybrid-s2", "xx-s1", "xx-s2")
    }
    # the reference, built here from the frames: per-question sums of each seed, then the t interval
    pid = frames["hybrid-s1"].sort_values("query_id")["parallel_id"]
    codes = pid.astype("category").cat.codes.to_numpy()
    sums = [
        cluster_totals(np.stack([frames[c].sort_values("query_id")["map"].to_numpy() for c in cells]), codes)
        for cells in (("hybrid-s1", "hybrid-s2"), ("xx-s1", "xx-s2"))
    ]
    ref = t_interval(sums[0][0], sums[1][0], sums[0][1])
    assert ref.low > 0  # a shift of 0.2 with 60 questions and 2 seeds a side
    line = next(text for text in comp.splitlines() if text.startswith("- Hybrid ≥ X-X on monolingual mAP"))
    assert "**holds**" in line
    assert f"[{ref.low:+.3f}, {ref.high:+.3f}] (t over 2 vs 2 seeds and 60 questions, Satterthwaite df;" in line
    # X-Y has no records: that claim falls back (one seed: no interval) and says so
    assert "Hybrid ≥ X-Y on cross-lingual mAP: **inconclusive**" in comp and "interval none" in comp


def test_time_to_target_from_logs(built: tuple[Path, str]) -> None:
    _, text = built
    conv = _section(text, "## Experiment `batching`")
    conv = conv[conv.index("### Convergence") : conv.index("### Plots")]
    assert "`eval_benchmark_ndcg_at_10`" in conv and "0.95 x 0.8 = 0.76" in conv
    assert _row(conv, "xx-s1")[1:] == ["xx", "3", "0.8000", "20", "12.0"]
    assert _row(conv, "hybrid-s1")[1:] == ["hybrid", "3", "0.7500", "not reached", "not reached"]  # half line skipped

    # lower-is-better metric: target = best final 0.95 / 0.95 = 1.0
    logs = {
        "a": [{"step": 1, "wall_time": 1.0, "loss": 2.0}, {"step": 2, "wall_time": 2.5, "loss": 1.0}],
        "b": [{"step": 1, "wall_time": 1.2, "loss": 0.99}, {"step": 2, "wall_time": 2.4, "loss": 0.95}],
    }
    ttt = time_to_target(logs)
    assert ttt is not None and ttt.metric == "loss" and not ttt.higher_is_better
    assert ttt.target == pytest.approx(1.0)
    assert [(r.cell, r.step, r.wall_time) for r in ttt.rows] == [("a", 2.0, 2.5), ("b", 1.0, 1.2)]
    assert time_to_target({"a": [{"step": 1, "learning_rate": 1e-5}]}) is None


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", path
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plots_written_linked_and_sized(built: tuple[Path, str]) -> None:
    root, text = built
    plots = root / "plots"
    expected = [plots / "batching" / f"heatmap_{TASK}_{g}.png" for g in ("base", "xx", "xy", "hybrid")]
    expected += [
        plots / "batching" / f"rank_distance_{TASK}.png",
        plots / "batching" / "convergence.png",
        plots / "languages" / f"degradation_{TASK}.png",
    ]
    for path in expected:
        width, height = _png_size(path)
        assert 500 <= width <= 2500 and 350 <= height <= 1800, (path.name, width, height)
        assert f"]({path.relative_to(root).as_posix()})" in text
    assert not (plots / "batching" / "heatmap_old-cell.png").exists()  # stale plot of a removed cell
    assert not list(plots.rglob("*.tmp"))  # atomic writes leave no temp files
    assert not (plots / "running").exists()


def test_pending_and_broken_pieces_do_not_crash(built: tuple[Path, str]) -> None:
    _, text = built
    running = _section(text, "## Experiment `running`")
    assert "(pending) no cell has results yet." in running
    assert re.search(r"\| a \| a \| \(pending\) status 'started' \|", running)
    assert re.search(r"\| b \| b \| \(pending\) not started \|", running)
    batching = _section(text, "## Experiment `batching`")
    assert re.search(r"\| hybrid-s3 \| hybrid \| \(pending\) not started \|", batching)
    broken = _section(text, "## Experiment `broken`")
    assert "(pending) no experiment.json yet" in broken
    assert "| c | c | error: results/org__m/r/XQuADRRetrieval.json: " in broken and "not valid JSON" in broken
    # commands come verbatim from cell.json; a cell without one says pending
    assert "# xx-s2\nmteb-hybrid train --batching x-x --seed 2 --out xx-s2" in batching
    assert "# hybrid-s3\n(pending)" in batching
    assert [e.name for e in load_experiments(_root(built))] == ["batching", "broken", "languages", "running"]


def _root(built: tuple[Path, str]) -> Path:
    return built[0]


def test_cli_hooks(tmp_path: Path) -> None:
    root = tmp_path / "results"
    (root / "experiments").mkdir(parents=True)
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    args = parser.parse_args([str(root), "--out", str(tmp_path / "docs" / "R.md")])
    assert run_report(args) == 0
    text = (tmp_path / "docs" / "R.md").read_text(encoding="utf-8")
    assert "(pending) no experiments under" in text and "(pending) No experiment has finished" in text
    assert parser.parse_args([]).results_root == "results"
    assert run_report(parser.parse_args([str(tmp_path / "missing")])) == 1


def test_seeds_of_one_recipe_are_pooled_across_experiments(tmp_path: Path) -> None:
    """`batching` ran X-X with seed 42, `batching-seeds` the same recipe with seeds 1 and 2: the report pools
    the three; a recipe that only one experiment ran (alpha 0.25) is not repeated there."""
    root = tmp_path / "results"
    one, more = root / "experiments" / "batching", root / "experiments" / "batching-seeds"
    more.mkdir(parents=True)
    one.mkdir()
    (one / "experiment.json").write_text(json.dumps({"name": "batching", "cells": ["base", "x-x"]}))
    (more / "experiment.json").write_text(json.dumps({"name": "batching-seeds", "cells": ["x-x-s1", "x-x-s2", "a"]}))
    write_cell(one, "base", {"mono": (0.50, 0.40), "cross": (0.30, 0.20), "multi": (0.25, 0.15), "rd": 300.0})
    write_cell(
        one,
        "x-x",
        {"mono": (0.60, 0.70), "cross": (0.40, 0.45), "multi": (0.30, 0.35), "rd": 200.0},
        seed=42,
        batching="x-x",
    )
    write_cell(
        more,
        "x-x-s1",
        {"mono": (0.60, 0.74), "cross": (0.40, 0.45), "multi": (0.30, 0.35), "rd": 220.0},
        group="x-x",
        seed=1,
        batching="x-x",
    )
    write_cell(
        more,
        "x-x-s2",
        {"mono": (0.60, 0.72), "cross": (0.40, 0.45), "multi": (0.30, 0.35), "rd": 240.0},
        group="x-x",
        seed=2,
        batching="x-x",
    )
    write_cell(
        more,
        "a",
        {"mono": (0.60, 0.10), "cross": (0.40, 0.45), "multi": (0.30, 0.35), "rd": 1.0},
        seed=1,
        batching="hybrid",
        params={"alpha": 0.25},
    )
    text = build_report(root, draw_plots=False).read_text(encoding="utf-8")
    pooled = _section(text, "## Experiment `seeds pooled: batching + batching-seeds`")
    table = pooled[pooled.index("Table 1 layout") : pooled.index("nDCG@10 degradation")]
    col = {h: i for i, h in enumerate(_row(table, "cell / group"))}
    xx = _row(table, "batching/x-x")
    assert xx[col["seeds"]] == "3"
    assert xx[col["mAP mono"]] == "0.720 ± 0.020"  # 0.70, 0.74, 0.72: mean 0.72, sample std 0.02
    assert xx[col["RD"]] == "220.0 ± 20.0"  # 200, 220, 240
    assert _row(table, "batching/base")[col["mAP mono"]] == "0.400"
    assert "batching-seeds/a" not in pooled and "0.100" not in table
    # the seed of a single-seed experiment comes from its train config
    assert _row(pooled[pooled.index("Cells and commands") :], "batching/x-x")[3] == "42"


def test_seen_and_unseen_follow_each_cells_training_languages(tmp_path: Path) -> None:
    """A 1-language cell has every other query language unseen, whatever the experiment's static list says."""
    exp = tmp_path / "results" / "experiments" / "scaling"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(json.dumps({"name": "scaling", "cells": ["n1", "n2"]}))
    # el's nDCG@10 is 0.30 lower (el_drop): seen/unseen means below are over the listed query languages
    write_cell(
        exp,
        "n1",
        {"mono": (0.6, 0.6), "cross": (0.4, 0.4), "multi": (0.3, 0.3), "rd": 1.0, "el_drop": 0.3},
        seed=1,
        batching="x-x",
        params={"n_languages": 1},
        unseen=["el"],
        trained=["en"],
    )
    write_cell(
        exp,
        "n2",
        {"mono": (0.6, 0.6), "cross": (0.4, 0.4), "multi": (0.3, 0.3), "rd": 1.0, "el_drop": 0.3},
        seed=1,
        batching="hybrid",
        params={"n_languages": 2},
        unseen=["el"],
        trained=["en", "de"],
    )
    text = build_report(tmp_path / "results", draw_plots=False).read_text(encoding="utf-8")
    split = text[text.index("seen vs unseen") : text.index("Cells and commands")]
    rows = {
        (r[0], r[1]): r
        for r in (
            [c.strip() for c in line.strip().strip("|").split("|")]
            for line in split.splitlines()
            if line.startswith("| n")
        )
    }
    assert rows[("n1", "seen")][2:4] == ["en", "0.600"]
    assert rows[("n1", "unseen")][2:4] == ["de el", "0.450"]  # (0.60 + 0.30) / 2
    assert rows[("n2", "seen")][2:4] == ["de en", "0.600"]
    assert rows[("n2", "unseen")][2:4] == ["el", "0.300"]
    # the same languages in every row: en (both cells trained on it) and el (neither did)
    fixed = text[text.index("the same query languages across cells") : text.index("Cells and commands")]
    en = [r for r in fixed.splitlines() if r.startswith("| n1 | en (seen by every cell)")]
    el = [r for r in fixed.splitlines() if r.startswith("| n2 | el (unseen by every cell)")]
    assert len(en) == len(el) == 1
    # en: mono 0.6, cross 0.4, multi 0.3 -> 50.0 % lost; el: 0.3, 0.1, 0.0 (el_drop 0.3) -> 100.0 %
    assert [c.strip() for c in en[0].strip("|").split("|")][2:6] == ["0.600", "0.400", "0.300", "50.0%"]
    assert [c.strip() for c in el[0].strip("|").split("|")][2:6] == ["0.300", "0.100", "0.000", "100.0%"]


def test_loss_curves_get_no_time_to_target(tmp_path: Path) -> None:
    """Validation loss is each cell's own: without a shared benchmark probe there is no convergence race."""
    exp = tmp_path / "results" / "experiments" / "plain"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(json.dumps({"name": "plain", "cells": ["a", "b"]}))
    values = {"mono": (0.6, 0.6), "cross": (0.4, 0.4), "multi": (0.3, 0.3), "rd": 1.0}
    log = [{"step": 10, "wall_time": 5.0, "eval_loss": 0.5}, {"step": 20, "wall_time": 9.0, "eval_loss": 0.2}]
    write_cell(exp, "a", values, seed=1, batching="x-x", log=log)
    write_cell(exp, "b", values, seed=1, batching="x-y", log=[{**r, "eval_loss": 2 * r["eval_loss"]} for r in log])
    text = build_report(tmp_path / "results", draw_plots=True).read_text(encoding="utf-8")
    assert "### Training curves" in text and "`eval_loss` is measured on each cell's own validation split" in text
    assert "### Convergence" not in text and "steps to target" not in text
    assert not (tmp_path / "results" / "plots" / "plain" / "convergence.png").exists()  # no race plotted either
    assert "convergence.png" not in text


@pytest.mark.parametrize(
    ("second", "race"), [({}, True), ({"languages": ["en"]}, False), ({"validation_batch_size": 32}, False)]
)
def test_validation_losses_race_when_every_cell_validates_on_the_same_batches(tmp_path: Path, second, race) -> None:
    """With one validation_batch_size and the same held-out split everywhere, eval_loss is one measurement: the
    report gives steps to target (best final 0.2 -> target 0.2 / 0.95 = 0.2105: a at step 20, b at step 30)."""
    exp = tmp_path / "results" / "experiments" / "conv"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(json.dumps({"name": "conv", "cells": ["a", "b"]}))
    values = {"mono": (0.6, 0.6), "cross": (0.4, 0.4), "multi": (0.3, 0.3), "rd": 1.0}
    log_a = [{"step": 10, "wall_time": 5.0, "eval_loss": 0.5}, {"step": 20, "wall_time": 9.0, "eval_loss": 0.2}]
    log_b = [{"step": s, "wall_time": float(s), "eval_loss": v} for s, v in ((10, 0.9), (20, 0.3), (30, 0.21))]
    for cell, log, extra in (("a", log_a, {}), ("b", log_b, second)):
        folder = write_cell(exp, cell, values, seed=1, batching="hybrid", log=log)
        info = json.loads((folder / "cell.json").read_text())
        info["train"].update({"validation_batch_size": 64, "validation_fraction": 0.05, **extra})
        (folder / "cell.json").write_text(json.dumps(info))
    assert shares_validation([c.train for c in load_experiments(tmp_path / "results")[0].cells]) is race
    text = build_report(tmp_path / "results", draw_plots=False).read_text(encoding="utf-8")
    assert ("### Convergence" in text) is race and ("own validation split" in text) is not race
    if race:
        section = text[text.index("### Convergence") :]
        race_rows = section[: section.index("\n### ", 4)].splitlines()
        steps = {r.split("|")[1].strip(): r.split("|")[5].strip() for r in race_rows if r.startswith(("| a ", "| b "))}
        assert steps == {"a": "20", "b": "30"}


def test_an_untrained_cell_is_the_base_model_whatever_its_batching_label() -> None:
    """The runner writes `params.batching: none` for the base model; it is still the comparison's base row."""
    from mteb_hybrid.reporting.loading import Cell

    def cell(info: dict[str, Any]) -> Cell:
        return Cell(experiment="e", cell_id="c", path=Path("c"), info=info)

    assert cell({"params": {"batching": "none"}, "train": None}).batching == "base"
    assert cell({"params": {}, "train": None}).batching == "base"
    assert cell({"params": {}, "train": {"batching": "x-y"}}).batching == "x-y"
    assert cell({}).batching is None  # no cell.json yet


def test_degradation_is_the_drop_in_percent_on_language_groups_fixed_across_cells(tmp_path: Path) -> None:
    from mteb_hybrid.reporting.aggregate import degradation_points

    exp = tmp_path / "experiments" / "nested"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(
        json.dumps({"name": "nested", "description": "", "config": {}, "cells": ["n1", "n2-s1", "n2-s2"]})
    )
    # en: trained by every cell; de: by n2 only (in neither group); el: by no cell.
    write_cell(
        exp,
        "n1",
        {"mono": (0.6, 0.6), "cross": (0.4, 0.4), "multi": (0.3, 0.3), "rd": 1.0, "el_drop": 0.2},
        seed=1,
        batching="hybrid",
        params={"n_languages": 1},
        trained=["en"],
    )
    write_cell(
        exp,
        "n2-s1",
        {"mono": (0.7, 0.7), "cross": (0.5, 0.5), "multi": (0.4, 0.4), "rd": 1.0},
        seed=1,
        batching="hybrid",
        params={"n_languages": 2},
        trained=["en", "de"],
    )
    write_cell(
        exp,
        "n2-s2",
        {"mono": (0.8, 0.8), "cross": (0.6, 0.6), "multi": (0.4, 0.4), "rd": 1.0},
        seed=2,
        batching="hybrid",
        params={"n_languages": 2},
        trained=["en", "de"],
    )
    (experiment,) = load_experiments(tmp_path)
    points = degradation_points(experiment, TASK).set_index(["langs", "n_languages", "setting"])
    assert set(points.index.get_level_values("langs")) == {"trained by every cell (en)", "trained by no cell (el)"}
    every, none = "trained by every cell (en)", "trained by no cell (el)"
    # n1, en: (0.6 - 0.4) / 0.6 = 33.33% to cross, (0.6 - 0.3) / 0.6 = 50% to the pool; one seed: no std.
    assert points.loc[(every, 1, "cross"), "mean"] == pytest.approx(100 / 3)
    assert points.loc[(every, 1, "multi"), "mean"] == pytest.approx(50.0)
    assert points.loc[(every, 1, "cross"), "n"] == 1
    # n2, en: seeds 0.2 / 0.7 = 28.571% and 0.2 / 0.8 = 25%: mean 26.786, sample std 3.571 / sqrt(2) = 2.525.
    assert points.loc[(every, 2, "cross"), "mean"] == pytest.approx((200 / 7 + 25) / 2)
    assert points.loc[(every, 2, "cross"), "std"] == pytest.approx((200 / 7 - 25) / 2**0.5)
    assert points.loc[(every, 2, "multi"), "mean"] == pytest.approx((300 / 7 + 50) / 2)
    # n1, el (every el subset 0.2 lower): (0.4 - 0.2) / 0.4 = 50%, (0.4 - 0.1) / 0.4 = 75%.
    assert points.loc[(none, 1, "cross"), "mean"] == pytest.approx(50.0)
    assert points.loc[(none, 1, "multi"), "mean"] == pytest.approx(75.0)
    assert "mono" not in set(points.index.get_level_values("setting"))


def _query_records(mono: float, cross: float, multi: tuple[float, float], rd: float) -> Any:
    """Per-query records of 4 questions in en and de; multi: (value for questions 0 and 2, for 1 and 3)."""
    import pandas as pd

    rows = []
    for q in range(4):
        for lang in ("en", "de"):
            for corpus in ("en", "de", "pool"):
                setting = "multi" if corpus == "pool" else "mono" if corpus == lang else "cross"
                value = {"mono": mono, "cross": cross, "multi": multi[q % 2]}[setting]
                rows.append(
                    {
                        "split": "test",
                        "subset": f"{lang}-{corpus}",
                        "query_id": f"{lang}:q{q}",
                        "parallel_id": f"q{q}",
                        "map": value,
                        "ndcg_at_10": value,
                        "mrr_at_10": value,
                        "rank_distance": rd if corpus == "pool" else None,
                        "same_language_at_10": 0.5 if corpus == "pool" else None,
                    }
                )
    return pd.DataFrame(rows)


def test_each_trained_group_is_compared_with_the_base_with_a_bootstrap_interval(tmp_path: Path) -> None:
    from mteb_hybrid.reporting.claims import versus_base_table
    from mteb_hybrid.reporting.loading import load_experiments as load
    from mteb_hybrid.stats.records import write_records

    exp = tmp_path / "experiments" / "vsbase"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(
        json.dumps({"name": "vsbase", "description": "", "config": {}, "cells": ["base", "tr-s1", "tr-s2", "norec-s1"]})
    )
    values = {"mono": (0.5, 0.5), "cross": (0.5, 0.5), "multi": (0.5, 0.5), "rd": 100.0}
    cells = {
        "base": _query_records(0.5, 0.5, (0.5, 0.5), 100.0),
        "tr-s1": _query_records(0.6, 0.45, (0.6, 0.4), 50.0),
        "tr-s2": _query_records(0.6, 0.45, (0.6, 0.4), 50.0),
    }
    for cell, rows in cells.items():
        kind = None if cell == "base" else "hybrid"
        folder = write_cell(
            exp,
            cell,
            values,
            group=None if kind is None else "tr",
            batching=kind,
            seed=None if kind is None else int(cell[-1]),
        )
        rev = next((folder / "results").glob("*/*"))
        write_records(rev / f"{TASK}.per_query.parquet", rows, task=TASK, model=cell, revision="r")
    write_cell(exp, "norec-s1", values, group="norec", batching="x-x", seed=1)  # no per-query records: no row
    (experiment,) = load(tmp_path)
    text = versus_base_table(experiment, TASK)
    assert text is not None
    rows = {line.split("|")[1].strip(): [x.strip() for x in line.split("|")[2:-1]] for line in text.splitlines()[2:]}
    assert set(rows) == {"tr"}
    seeds, mono, cross, multi, rd = rows["tr"]
    assert seeds == "2"
    # every question +0.1 in both seeds: no spread at all, so the interval is the point and detects anything
    assert mono == "+0.100 [+0.100, +0.100] better (detects 0.000)"
    assert cross == "-0.050 [-0.050, -0.050] worse (detects 0.000)"
    # half the questions +0.1, half -0.1: the mean is 0 and resamples of 4 questions reach both signs
    diff, interval = multi.split(" ", 1)[0], multi[multi.index("[") : multi.index("]") + 1]
    verdict = multi[multi.index("]") + 1 : multi.index("(")].strip()
    low, high = (float(x) for x in interval.strip("[]").split(","))
    assert float(diff) == 0.0 and low < 0 < high and verdict == "inconclusive"
    assert rd == "-50.0 [-50.0, -50.0] better (detects 0.0)"  # lower rank distance is better


def test_convergence_groups_differ_from_the_first_with_welch_intervals() -> None:
    from scipy import stats

    from mteb_hybrid.reporting.convergence import TargetRow, TimeToTarget
    from mteb_hybrid.reporting.tables import convergence_group_table

    rows = [
        TargetRow("a-s1", 0.8, 10, 1.0, 5),
        TargetRow("a-s2", 0.8, 20, 3.0, 5),
        TargetRow("b-s1", 0.8, 20, 2.0, 5),
        TargetRow("b-s2", 0.8, 30, 2.0, 5),
        TargetRow("b-s3", 0.8, 40, 5.0, 5),
        TargetRow("c-s1", 0.8, 15, 2.0, 5),
        TargetRow("c-s2", 0.8, 15, 2.0, 5),
        TargetRow("d-s1", 0.8, 15, 2.0, 5),
        TargetRow("d-s2", 0.8, None, None, 5),
    ]
    groups = {r.cell: r.cell.split("-")[0] for r in rows}
    text = convergence_group_table(TimeToTarget("eval_benchmark_probe_map", True, 0.95, 0.8, 0.76, rows), groups)
    assert "steps: group - a" in text
    # b - a on steps by hand: means 30 and 15, variances 100 and 50, Welch's standard error and degrees of freedom
    va, vb = 50 / 2, 100 / 3
    df = (va + vb) ** 2 / (va**2 / 1 + vb**2 / 2)
    half = stats.t.ppf(0.975, df) * (va + vb) ** 0.5
    assert _row(text, "b")[1] == "3 of 3" and _row(text, "b")[5] == f"+15.0 [{15 - half:+.1f}, {15 + half:+.1f}]"
    assert _row(text, "a")[5:] == ["-", "-"]  # the reference itself
    assert _row(text, "c")[5] == "+0.0 [" + _row(text, "c")[5].split("[")[1]  # a varies: an interval exists
    assert _row(text, "d")[1] == "1 of 2" and _row(text, "d")[5:] == ["-", "-"]  # one seed reached: no interval
    same = [
        TargetRow("x-s1", 0.8, 15, 1.0, 5),
        TargetRow("x-s2", 0.8, 15, 1.0, 5),
        TargetRow("y-s1", 0.8, 15, 2.0, 5),
        TargetRow("y-s2", 0.8, 15, 3.0, 5),
    ]
    text = convergence_group_table(TimeToTarget("m", True, 0.95, 0.8, 0.76, same), {r.cell: r.cell[0] for r in same})
    assert _row(text, "y")[5] == "+0.0 (no seed spread)"


def test_curves_compare_at_the_steps_every_cell_logged_with_welch_intervals() -> None:
    from scipy import stats

    from mteb_hybrid.reporting.convergence import values_by_step
    from mteb_hybrid.reporting.tables import curve_group_table

    def log(*points: tuple[int, float]) -> list[dict[str, float]]:
        return [{"step": s, "eval_loss": v, "loss": 9.0} for s, v in points] + [{"step": 99, "loss": 1.0}]

    logs = {
        "a-s1": log((0, 1.0), (5, 0.6), (10, 0.40)),
        "a-s2": log((0, 1.0), (5, 0.5), (10, 0.30)),
        "b-s1": log((0, 1.0), (5, 0.7), (10, 0.50), (15, 0.4)),  # step 15: not logged by every cell
        "b-s2": log((0, 1.0), (5, 0.8), (10, 0.45)),
        "b-s3": log((0, 1.0), (5, 0.9), (10, 0.55)),
        "c-s1": log((0, 1.0), (5, 0.5), (10, 0.35)),
    }
    steps, values = values_by_step(logs, "eval_loss")
    assert steps == [0.0, 5.0, 10.0] and values["b-s1"] == {0.0: 1.0, 5.0: 0.7, 10.0: 0.5}
    text = curve_group_table(steps, values, {c: c.split("-")[0] for c in logs})
    header = [c.strip() for c in text.splitlines()[0].strip("|").split("|")]
    assert header == ["step", "a (mean of 2)", "b - a (3 vs 2)", "c - a (1 vs 2)"]
    # b - a at step 5 by hand: means 0.8 and 0.55, variances 0.01 and 0.005, Welch's degrees of freedom
    va, vb = 0.005 / 2, 0.01 / 3
    df = (va + vb) ** 2 / (va**2 / 1 + vb**2 / 2)
    half = stats.t.ppf(0.975, df) * (va + vb) ** 0.5
    assert _row(text, "5") == ["5", "0.5500", f"+0.2500 [{0.25 - half:+.4f}, {0.25 + half:+.4f}]", "-"]
    assert _row(text, "0")[2] == "+0.0000 (no seed spread)"  # every cell starts from the same base
    one_seed_each = {c: v for c, v in values.items() if c.endswith("s1")}
    assert curve_group_table(steps, one_seed_each, {c: c[0] for c in one_seed_each}) is None


def test_each_trained_group_is_compared_with_the_first_and_unscored_settings_show_a_dash(tmp_path: Path) -> None:
    from mteb_hybrid.reporting.claims import versus_first_group_table
    from mteb_hybrid.reporting.loading import load_experiments as load
    from mteb_hybrid.stats.records import write_records

    exp = tmp_path / "experiments" / "vsfirst"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(
        json.dumps(
            {"name": "vsfirst", "description": "", "config": {}, "cells": ["a-s1", "a-s2", "b-s1", "b-s2", "c-s1"]}
        )
    )
    values = {"mono": (0.5, 0.5), "cross": (0.5, 0.5), "multi": (0.5, 0.5), "rd": 100.0}
    no_pools = lambda rows: rows[~rows["subset"].str.endswith("-pool")]  # noqa: E731  an evaluation without pools
    records = {
        "a-s1": _query_records(0.5, 0.5, (0.5, 0.5), 100.0),
        "a-s2": _query_records(0.5, 0.5, (0.5, 0.5), 100.0),
        "b-s1": _query_records(0.7, 0.4, (0.5, 0.5), 100.0),
        "b-s2": _query_records(0.7, 0.4, (0.5, 0.5), 100.0),
    }
    for cell, rows in records.items():
        folder = write_cell(exp, cell, values, group=cell[0], batching="hybrid", seed=int(cell[-1]))
        write_records(
            next((folder / "results").glob("*/*")) / f"{TASK}.per_query.parquet",
            no_pools(rows),
            task=TASK,
            model=cell,
            revision="r",
        )
    write_cell(exp, "c-s1", values, group="c", batching="x-x", seed=1)  # no per-query records: no row
    (experiment,) = load(tmp_path)
    first, text = versus_first_group_table(experiment, TASK)
    assert first == "a"
    rows = {line.split("|")[1].strip(): [x.strip() for x in line.split("|")[2:-1]] for line in text.splitlines()[2:]}
    assert set(rows) == {"b"}
    # every question of b: +0.2 mono, -0.1 cross against a, so every resample gives exactly that; no pools: "-"
    assert rows["b"] == [
        "2 vs 2",
        "+0.200 [+0.200, +0.200] better (detects 0.000)",
        "-0.100 [-0.100, -0.100] worse (detects 0.000)",
        "-",
        "-",
    ]
    # one group with records: nothing to compare
    experiment.cells = [c for c in experiment.cells if c.group == "a"]
    assert versus_first_group_table(experiment, TASK) is None


def test_cells_table_says_where_each_cell_ran_and_warns_when_machines_mix(tmp_path: Path) -> None:
    from mteb_hybrid.reporting.loading import load_experiments as load
    from mteb_hybrid.reporting.tables import commands_section

    exp = tmp_path / "experiments" / "machines"
    exp.mkdir(parents=True)
    (exp / "experiment.json").write_text(
        json.dumps({"name": "machines", "description": "", "config": {}, "cells": ["a-s1", "a-s2", "old-s1"]})
    )
    values = {"mono": (0.5, 0.5), "cross": (0.5, 0.5), "multi": (0.5, 0.5), "rd": 100.0}
    for cell, env in (
        ("a-s1", {"accelerator": "cpu", "torch": "2.13.0+cpu"}),
        ("a-s2", {"accelerator": "NVIDIA H200", "torch": "2.11.0"}),
        ("old-s1", None),
    ):
        folder = write_cell(exp, cell, values, group=cell.split("-")[0], batching="hybrid", seed=int(cell[-1]))
        info = json.loads((folder / "cell.json").read_text())
        if env:
            info["environment"] = env
        (folder / "cell.json").write_text(json.dumps(info))
    (experiment,) = load(tmp_path)
    text = commands_section(experiment)
    assert _row(text, "a-s1")[-1] == "cpu, torch 2.13.0+cpu"
    assert _row(text, "a-s2")[-1] == "NVIDIA H200, torch 2.11.0"
    assert _row(text, "old-s1")[-1] == "-"  # written before cell.json recorded it
    assert text.startswith(
        "Cells of this experiment ran on 2 machines (NVIDIA H200, torch 2.11.0; cpu, torch 2.13.0+cpu)"
    )
    experiment.cells = experiment.cells[:1] + experiment.cells[2:]  # one machine (and an unknown one): no warning
    assert not commands_section(experiment).startswith("Cells of this experiment ran on")
