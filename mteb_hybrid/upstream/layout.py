"""A Hugging Face dataset folder with the configs `AbsTaskRetrieval.push_dataset_to_hub` makes, files shared.

mteb pushes each subset as three configs, `{subset}-corpus`, `{subset}-queries` and `{subset}-qrels`, each a
parquet file per split, and its stock loader (`RetrievalDatasetLoader`) opens them with
`load_dataset(path, "{subset}-corpus", split=...)`. That call follows the `configs:` block of the folder's
README.md, where a config is a list of data files. So a config need not own its files: here

- `data/corpus/{lang}/test-00000-of-00001.parquet` is one language's candidates, and the corpus config of
  every pair `{q}-{c}` points at language c's file, the corpus of a pool `{q}-pool` at every language's file;
- `data/queries/{lang}/...` is one language's questions, the queries config of every subset `{q}-*` points
  at it (the stock loader keeps only the questions that have qrels, as the plugin does);
- `{subset}-qrels/test-00000-of-00001.parquet` is the subset's own qrels (they differ per subset).

With push_dataset_to_hub's one-copy-per-config layout each language's candidates would be stored
2 x n_languages times (its n pair corpora, its place in n pools); here once.
Parquet bytes come from `datasets.Dataset.to_parquet` (what push_to_hub writes, features in the schema
metadata) and hold no timestamp, so the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mteb_hybrid.files import write_atomic

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


@dataclass(frozen=True)
class Subset:
    """One hf_subset of the export: its name and the languages whose corpus / queries files it reads."""

    name: str
    query_lang: str
    corpus_langs: tuple[str, ...]


def configs(subsets: Iterable[Subset]) -> list[dict]:
    """The README `configs:` entries: three per subset, in push_dataset_to_hub's order (queries, corpus, qrels)."""
    out: list[dict] = []
    for s in subsets:
        corpus = [corpus_file(lang) for lang in s.corpus_langs]
        for name, paths in ((f"{s.name}-queries", [queries_file(s.query_lang)]),
                            (f"{s.name}-corpus", corpus),
                            (f"{s.name}-qrels", [qrels_file(s.name)])):
            out.append({"config_name": name,
                        "data_files": [{"split": SPLIT, "path": paths[0] if len(paths) == 1 else paths}]})
    return out


def write_file(root: Path, rel: str, data: bytes) -> Path:
    """Write one file of the dataset folder atomically (readers never see half a parquet file)."""
    return write_atomic(root / rel, data)


def folder_digest(root: Path) -> str:
    """A 40-hex digest of every file's path and bytes: the export's identity until the hub gives a commit."""
    h = hashlib.sha1()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def folder_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
