"""Reporting: LAReQA result files -> Table 1 layout summaries, the experiment report and plots, submission."""

from .convergence import TimeToTarget, time_to_target
from .loading import Cell, Experiment, load_experiments
from .model_card import write_model_card
from .report import REPORT_HELP, add_report_arguments, build_report, run_report
from .submit import SUBMIT_HELP, SubmissionError, add_submit_arguments, prepare_submission, run_submit
from .submit_checks import SUBMISSION_NOTES, leaderboard_warnings, validate_model_meta
from .submit_plan import CopiedFile, SkippedFile, SubmissionReport
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
    "REPORT_HELP",
    "Cell",
    "Experiment",
    "TimeToTarget",
    "add_report_arguments",
    "build_report",
    "load_experiments",
    "run_report",
    "time_to_target",
    "SUBMISSION_NOTES",
    "SUBMIT_HELP",
    "CopiedFile",
    "SkippedFile",
    "SubmissionError",
    "SubmissionReport",
    "add_submit_arguments",
    "leaderboard_warnings",
    "prepare_submission",
    "run_submit",
    "validate_model_meta",
    "write_model_card",
]
