"""The dataset card (README.md) of an exported folder: mteb's own card, plus the configs and the provenance.

Nothing in it depends on the time or the machine, so a second export writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import layout

if TYPE_CHECKING:
    from mteb_hybrid.benchmark.subsets import Subset

_FORMS = {"sentence+context": "the answer sentence followed by a newline and its paragraph (LAReQA's candidate form)",
          "sentence": "the answer sentence alone"}


def _provenance(definition: Any, form: str, subsets: Sequence[Subset], name: str) -> str:
    src = definition.source
    files = "\n".join(f"- `{lang}`: [{src.relative_path(lang)}]({src.url(lang)})" for lang in definition.langs)
    pools = sum(s.is_pool for s in subsets)
    return f"""
## How this dataset was built

Source: the LAReQA release, [{src.repository}](https://github.com/{src.repository}) at commit
`{src.commit}` (license {definition.license}), one SQuAD-format file per language:

{files}

Built by the mteb-hybrid package (`mteb-hybrid export OUT --tasks {name}`) from these files, the same code the mteb-hybrid plugin task
evaluates on:

- a candidate (corpus row, id `<lang>:<n>`) is one sentence of a paragraph; its text is {_FORMS[form]};
- a question (query row, id `<lang>:<question id>`) is relevant to its answer sentence in each corpus
  language that has the question;
- subsets: {len(subsets) - pools} language pairs `<query lang>-<corpus lang>` and {pools} pools
  `<query lang>-pool`, whose corpus is the candidates of all {len(definition.langs)} languages.

### Files

Configs are mteb's (`<subset>-corpus`, `<subset>-queries`, `<subset>-qrels`, split `test`), read by
mteb's `RetrievalDatasetLoader`. Each language's candidates are stored once (`data/corpus/<lang>/`) and
listed by every config that uses them (the pair corpora of that language and every pool), each
language's questions once (`data/queries/<lang>/`; the loader keeps the questions that have qrels in the
subset); qrels are per subset (`<subset>-qrels/`).
"""


def dataset_card(metadata: Any, definition: Any, form: str, subsets: Sequence[Subset], hub_path: str,
                 stats_file: Path | None) -> str:
    """README.md text: mteb's card for `metadata` (dataset at `hub_path`) with configs and provenance."""
    from huggingface_hub import DatasetCard, DatasetCardData

    from .export import local_stats_path

    meta = metadata.model_copy(update={"dataset": {"path": hub_path, "revision": "main"}})
    header = DatasetCardData(configs=layout.configs(subsets, definition.langs)).to_yaml()
    existing = DatasetCard(f"---\n{header}\n---\n")
    target = stats_file if stats_file is not None else Path("/nonexistent/mteb-hybrid-stats.json")
    with local_stats_path(target):
        card = meta.generate_dataset_card(existing)
    text = str(card)
    marker = "\n## How to evaluate on this task"
    section = _provenance(definition, form, subsets, metadata.name)
    text = text.replace(marker, section + marker, 1) if marker in text else text + section
    return text.rstrip("\n") + "\n"
