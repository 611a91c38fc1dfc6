"""Bad inputs to `mteb-hybrid export` and to `submit --upstream` (the export's consumer)."""

from __future__ import annotations

from bad_inputs import BadInput

CASES = [
    BadInput(
        id="export-unknown-task",
        argv=lambda root: ["export", str(root / "out"), "-t", "XQuADRetrieval"],  # mteb's own task, not a LAReQA one
        message=r"--tasks: unknown task 'XQuADRetrieval'; choose from XQuADRRetrieval",
    ),
    BadInput(
        id="export-language-not-in-task",
        argv=lambda root: ["export", str(root / "out"), "-t", "MLQARSentenceRetrieval", "-l", "tha"],
        message=r"MLQARSentenceRetrieval: no subset matches languages \['tha'\]; available: ar \(ara-Arab\)",
    ),
    BadInput(
        id="submit-upstream-not-an-export",
        argv=lambda root: ["submit", str(root), "--repo", str(root), "--upstream", str(root / "nope")],
        message=r"nope/mteb/tasks/retrieval/multilingual: no generated task files \(run `mteb-hybrid export",
        exit_code=1,
    ),
]
