"""Reporting: LAReQA result files -> Table 1 layout, degradation and language-bias summaries."""

from .summary import (
    SUMMARIZE_HELP,
    Summary,
    add_summarize_arguments,
    format_markdown,
    format_summary,
    load_scores,
    run_summarize,
    summarize,
    write_summary,
)

__all__ = [
    "SUMMARIZE_HELP",
    "Summary",
    "add_summarize_arguments",
    "format_markdown",
    "format_summary",
    "load_scores",
    "run_summarize",
    "summarize",
    "write_summary",
]
