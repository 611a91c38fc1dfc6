"""A Hugging Face dataset folder with the configs `AbsTaskRetrieval.push_dataset_to_hub` makes, files shared.

mteb's loader opens each subset's three configs (`{subset}-corpus`, `-queries`, `-qrels`) through the README's
`configs:` block, where a config lists data files, so configs can share files: `data/corpus/{lang}/` (listed by
every pair `{q}-{lang}` and every pool), `data/queries/{lang}/`, and `{subset}-qrels/`. push_dataset_to_hub
would store each language's candidates 2 x n_languages times; here once. Same input, same parquet bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mteb_hybrid.benchmark.subsets import Subset

SPLIT = "test"
SHARD = f"{SPLIT}-00000-of-00001.parquet"


def corpus_file(lang: str) -> str:
    return f"data/corpus/{lang}/{SHARD}"


def queries_file(lang: str) -> str:
    return f"data/queries/{lang}/{SHARD}"


def qrels_file(subset: str) -> str:
    return f"{subset}-qrels/{SHARD}"


def parquet_bytes(columns: Mapping[str, Sequence]) -> bytes:
    """One parquet file as `datasets` writes it for push_to_hub (string columns, HF features in metadata)."""
    from datasets import Dataset

    buf = io.BytesIO()
    Dataset.from_dict(dict(columns)).to_parquet(buf)
    return buf.getvalue()


def configs(subsets: Iterable[Subset], langs: list[str]) -> list[dict]:
    """The README `configs:` entries: three per subset, in push_dataset_to_hub's order (queries, corpus, qrels)."""
    out: list[dict] = []
    for s in subsets:
        corpus = [corpus_file(lang) for lang in s.corpus_langs(langs)]
        for name, paths in (
            (f"{s.name}-queries", [queries_file(s.query_lang)]),
            (f"{s.name}-corpus", corpus),
            (f"{s.name}-qrels", [qrels_file(s.name)]),
        ):
            out.append(
                {"config_name": name, "data_files": [{"split": SPLIT, "path": paths[0] if len(paths) == 1 else paths}]}
            )
    return out


def folder_digest(root: Path) -> str:
    """A 40-hex digest of every file's path and bytes: the export's identity until the hub gives a commit."""
    h = hashlib.sha1()
    for path in sorted(
        (p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.relative_to(root).parts,
    ):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()
