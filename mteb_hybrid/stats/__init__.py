"""Per-query records and paired comparisons: differences with intervals, not means of three seeds."""

from mteb_hybrid.formats.per_query import query_scores, read_records, records_path, write_records

from .bootstrap import Comparison, Verdict, paired_bootstrap, seeds_only, verdict

__all__ = [
    "Comparison",
    "Verdict",
    "paired_bootstrap",
    "query_scores",
    "read_records",
    "records_path",
    "seeds_only",
    "verdict",
    "write_records",
]
