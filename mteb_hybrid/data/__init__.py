"""Files -> typed records: reading LAReQA-style data."""

from .definitions import TaskDefinition, get_definition, load_definitions
from .errors import DataFormatError, MissingDataError
from .lareqa import load_dataset, read_language_file
from .records import Candidate, LanguageData, ParallelDataset, Question

__all__ = [
    "Candidate", "DataFormatError", "LanguageData", "MissingDataError", "ParallelDataset", "Question",
    "TaskDefinition", "get_definition", "load_dataset", "load_definitions", "read_language_file",
]
