"""The dataset card (README.md) of an exported folder: mteb's own card, plus the configs and the provenance.

Nothing in it depends on the time or the machine, so a second export writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mteb_hybrid import mteb_private

from . import layout
from .citation import bibtex_title

if TYPE_CHECKING:
    from mteb_hybrid.benchmark.subsets import Subset

_FORMS = {
    "sentence+context": "the answer sentence followed by a newline and its paragraph (LAReQA's candidate form)",
    "sentence": "the answer sentence alone",
}


def _provenance(definition: Any, form: str, subsets: Sequence[Subset], name: str, command: str | None = None) -> str:
    src = definition.source
    files = "\n".join(f"- `{lang}`: [{src.relative_path(lang)}]({src.url(lang)})" for lang in definition.langs)
    pools = sum(s.is_pool for s in subsets)
    return f"""
## How this dataset was built

Source: the LAReQA release, [{src.repository}](https://github.com/{src.repository}) at commit
`{src.commit}` (license {definition.license}), one SQuAD-format file per language:

{files}

Built by the mteb-hybrid package (`{command or f"mteb-hybrid export OUT --tasks {name}"}`) from these files, the same code the mteb-hybrid plugin task
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


def _fix_source_and_reference(text: str, metadata: Any, definition: Any, hub_path: str) -> str:
    """Two lines mteb's card gets wrong for these tasks: where the rows come from, and the reference's title.

    - `source_datasets` (header) and "Source datasets" (body) would name this dataset itself; the rows come from
      the LAReQA files on GitHub (at a pinned commit), not from any hub dataset.
    - mteb reads the title with the regex `title = {([^}]+)}`, which stops at the first '}', so `{{LAReQA}: ...}`
      became `[{LAReQA](...)`; the title here has its case-protecting braces removed.
    """
    src = definition.source
    folder = src.path_template.split("/")[0]
    origin = f"https://github.com/{src.repository}/tree/{src.commit}/{folder}"
    text = text.replace(f"source_datasets:\n- {hub_path}\n", f"source_datasets:\n- {origin}\n", 1)
    text = text.replace(
        f"Source datasets:\n- [{hub_path}](https://huggingface.co/datasets/{hub_path})\n",
        f"Source datasets:\n- [{src.repository} `{folder}/` at {src.commit[:8]}]({origin}) "
        "(LAReQA's release on GitHub; not on the Hugging Face hub)\n",
        1,
    )
    title = bibtex_title(definition.citation or "")
    broken = metadata._format_reference()
    if title and broken and metadata.reference:
        text = text.replace(f"| Reference     | {broken} |", f"| Reference     | [{title}]({metadata.reference}) |", 1)
    return text


local_stats_path = mteb_private.descriptive_stats_at  # the name export and the tests use


def dataset_card(
    metadata: Any,
    definition: Any,
    form: str,
    subsets: Sequence[Subset],
    hub_path: str,
    stats_file: Path | None,
    command: str | None = None,
    note: str = "",
) -> str:
    """README.md text: mteb's card for `metadata` (dataset at `hub_path`) with configs and provenance."""
    from huggingface_hub import DatasetCard, DatasetCardData

    # adapted_from stays in the task file (it decides zero-shot: a model trained on MLQARetrieval is not zero-shot
    # on MLQA-R), but mteb's card turns it into "source datasets", and these rows were not built from mteb's.
    meta = metadata.model_copy(update={"dataset": {"path": hub_path, "revision": "main"}, "adapted_from": None})
    header = DatasetCardData(configs=layout.configs(subsets, definition.langs)).to_yaml()
    existing = DatasetCard(f"---\n{header}\n---\n")
    target = stats_file if stats_file is not None else Path("/nonexistent/mteb-hybrid-stats.json")
    with local_stats_path(target):
        card = meta.generate_dataset_card(existing)
    text = _fix_source_and_reference(str(card), metadata, definition, hub_path)
    marker = "\n## How to evaluate on this task"
    section = _provenance(definition, form, subsets, metadata.name, command) + note
    text = text.replace(marker, section + marker, 1) if marker in text else text + section
    return text.rstrip("\n") + "\n"
