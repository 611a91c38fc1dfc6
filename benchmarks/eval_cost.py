"""Cost of evaluating the full 11-language XQuAD-R task (121 pairs + 11 pools) on a tiny model.

Side by side in one run:
  ours     this package's tasks: each distinct text encoded once per model, full-matrix search;
  baseline the same task and subsets through mteb's plain per-subset path (SearchEncoderWrapper),
           which re-encodes every subset's corpus and queries;
  floor    encoding the distinct texts once, nothing else.
Floor and ours run before and after the baseline and are averaged. Prints wall time, time inside
encode() and inside mteb's scoring, encoded-text counts, and the ratios. Targets: >= 10x fewer texts and >= 8x
less time than the baseline; within 1.2x of the floor.

    python benchmarks/eval_cost.py [--data-dir ../shared/data] [--languages en de ...]
    python benchmarks/eval_cost.py --hidden 256 --layers 4   # a costlier encoder: the fixed cost weighs less

mteb's per-subset scoring and this package's own bookkeeping cost about the same on any model, so
the ratios depend on what one encode costs: --hidden/--layers size the tiny model to show that.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import mteb  # noqa: E402
from datasets import Dataset  # noqa: E402
from mteb._create_dataloaders import create_dataloader  # noqa: E402
from mteb.abstasks.retrieval import AbsTaskRetrieval  # noqa: E402
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper  # noqa: E402
from mteb.types import PromptType  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from mteb_hybrid.benchmark import TASK_CLASSES  # noqa: E402
from mteb_hybrid.data import get_definition, load_dataset  # noqa: E402

ENCODE = {"batch_size": 128, "show_progress_bar": False}


class CountingEncoder(SentenceTransformerEncoderWrapper):
    def __init__(self, path: Path) -> None:
        super().__init__(SentenceTransformer(str(path)))
        self.count = 0
        self.seconds = 0.0  # time spent inside encode(), to split a run into encoding and everything else

    def encode(self, inputs, **kwargs):  # noqa: ANN001, ANN201
        self.count += len(inputs.dataset)
        start = time.perf_counter()
        try:
            return super().encode(inputs, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


Ours = TASK_CLASSES["XQuADRRetrieval"]


class PlainMteb(Ours):
    """The same data and subsets, evaluated the way mteb evaluates any retrieval task."""

    def evaluate(self, model, split="test", subsets_to_run=None, *, encode_kwargs, **kwargs):  # noqa: ANN001, ANN201
        self._active = None
        return AbsTaskRetrieval.evaluate(self, model, split, subsets_to_run, encode_kwargs=encode_kwargs, **kwargs)


def run(task: AbsTaskRetrieval, model_path: Path) -> tuple[float, int, dict, float, float]:
    """Wall time, texts encoded, scores per subset, seconds in encode(), seconds in mteb's scoring."""
    model = CountingEncoder(model_path)
    start = time.perf_counter()
    result = mteb.evaluate(model, [task], cache=None, encode_kwargs=ENCODE, show_progress_bar=False)
    elapsed = time.perf_counter() - start
    scores = {s["hf_subset"]: s for s in result.task_results[0].scores["test"]}
    # mteb times its own phases; "Scoring" is its per-subset metric computation (pytrec_eval, MRR, nAUC)
    phases = result.task_results[0].evaluation_phases or []
    scoring = sum(p["end"] - p["start"] for p in phases if p["name"] == "Scoring")
    return elapsed, model.count, scores, model.seconds, scoring


def floor(model_path: Path, data_dir: Path, langs: list[str]) -> tuple[float, int]:
    """Load the data and encode each distinct candidate and question once."""
    model = CountingEncoder(model_path)
    meta = Ours().metadata
    start = time.perf_counter()
    ds = load_dataset(get_definition("xquad-r"), data_dir)
    docs = sorted({c.text("sentence+context").strip() for d in ds.languages.values() for c in d.candidates})
    queries = sorted({q.text for lang in langs for q in ds.languages[lang].questions})
    for texts, kind in ((docs, PromptType.document), (queries, PromptType.query)):
        data = Dataset.from_dict({"id": [str(i) for i in range(len(texts))], "text": texts})
        loader = create_dataloader(data, task_metadata=meta, prompt_type=kind, batch_size=ENCODE["batch_size"])
        model.encode(loader, task_metadata=meta, hf_split="test", hf_subset="all", prompt_type=kind, **ENCODE)
    return time.perf_counter() - start, model.count


def main() -> None:
    from tiny_models import build_tiny_bert

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--languages", nargs="+", help="query languages (default: all 11)")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=32, help="hidden size of the tiny BERT (default 32)")
    parser.add_argument("--layers", type=int, default=2, help="layers of the tiny BERT (default 2)")
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="measure ours against the floor only (the baseline takes ~17x as long as ours)",
    )
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    langs = args.languages or get_definition("xquad-r").langs

    with tempfile.TemporaryDirectory() as tmp:
        ds = load_dataset(get_definition("xquad-r"), data_dir, ["en", "de", "zh", "ar", "th"])
        corpus = [c.context for d in ds.languages.values() for c in d.candidates[:300]]
        model_path = build_tiny_bert(
            Path(tmp) / "tiny", corpus, max_seq_length=args.max_seq_length, hidden=args.hidden, layers=args.layers
        )

        def task(cls: type) -> AbsTaskRetrieval:
            t = cls(data_dir=data_dir, embedding_cache=False)
            return t.filter_languages(langs) if args.languages else t

        n_subsets = len(task(Ours).hf_subsets or task(Ours).metadata.eval_langs)
        print(
            f"XQuAD-R, {n_subsets} subsets, tiny BERT (hidden {args.hidden}, {args.layers} layers, "
            f"max_seq_length {args.max_seq_length})"
        )
        # floor and ours run before and after the baseline (A-B-A) and are averaged, so that a change in
        # the machine's load during the long baseline weighs on both sides alike
        floors = [floor(model_path, data_dir, langs)]
        ours = [run(task(Ours), model_path)]
        base = None if args.skip_baseline else run(task(PlainMteb), model_path)
        ours.append(run(task(Ours), model_path))
        floors.append(floor(model_path, data_dir, langs))

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    t_floor, n_floor = mean([f[0] for f in floors]), floors[0][1]
    t_ours, n_ours, s_ours = mean([o[0] for o in ours]), ours[0][1], ours[0][2]
    enc_ours, score_ours = mean([o[3] for o in ours]), mean([o[4] for o in ours])
    print(
        f"floor runs: {', '.join(f'{f[0]:.1f} s' for f in floors)}; ours runs: {', '.join(f'{o[0]:.1f} s' for o in ours)}"
    )

    rows = []  # (name, wall s, texts encoded, s in encode(), s in mteb's scoring)
    if base:
        t_base, n_base, s_base, enc_base, score_base = base
        rows.append(("baseline: plain mteb", t_base, n_base, enc_base, score_base))
    rows.append(("ours: one encode per text", t_ours, n_ours, enc_ours, score_ours))
    print(f"{'':28}{'wall s':>10}{'in encode s':>13}{'mteb scoring s':>16}{'texts encoded':>16}")
    for name, wall, count, enc, scoring in rows:
        print(f"{name:28}{wall:10.1f}{enc:13.1f}{scoring:16.1f}{count:16,}")
    print(f"{'floor: distinct texts once':28}{t_floor:10.1f}{'':>13}{'':>16}{n_floor:16,}")
    print(
        f"time:  ours / floor    = {t_ours / t_floor:.2f}x (target <= 1.2x); ours outside encode(): "
        f"{t_ours - enc_ours:.1f} s over {n_subsets} subsets, of which mteb's own scoring {score_ours:.1f} s"
    )
    print(
        f"time:  (ours - mteb's scoring) / floor = {(t_ours - score_ours) / t_floor:.2f}x; mteb's scoring "
        f"(pytrec_eval, MRR, nAUC) runs per subset on both paths and lies outside this plugin"
    )
    if base:
        same = all(abs(s_ours[k]["ndcg_at_10"] - s_base[k]["ndcg_at_10"]) < 1e-3 for k in s_ours)
        print(f"texts: baseline / ours = {n_base / n_ours:.1f}x fewer (target >= 10x)")
        print(f"time:  baseline / ours = {t_base / t_ours:.1f}x faster (target >= 8x)")
        print(f"same nDCG@10 on every subset as the baseline: {same}")


if __name__ == "__main__":
    main()
