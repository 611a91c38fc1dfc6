"""Known noise from the libraries underneath, hidden by default; `-v` (or mteb's `--verbosity 3`) shows it.

Each filter names one message we cannot fix here (library deprecations, torch's `pin_memory` notice without
an accelerator, the tokenizers fork notice, progress bars, mteb's per-subset INFO lines); ours are never
filtered. Applied before the libraries are imported where it can be (they read the environment at import).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

from mteb_hybrid.models.hub import hub_is_offline

# (category, message regex, module regex): warnings.filterwarnings' own terms
KNOWN_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    (FutureWarning, "", r"(mteb|sentence_transformers|transformers)(\.|$)"),
    (DeprecationWarning, "", r"(mteb|sentence_transformers|transformers|datasets)(\.|$)"),
    (FutureWarning, r"The `get_sentence_embedding_dimension` method has been renamed", ""),
    (UserWarning, r".*'pin_memory' argument is set as true but", ""))

# environment variables the libraries read at import: only set when the user has not
QUIET_ENV = {
    "TOKENIZERS_PARALLELISM": "false",  # the "current process just got forked" notice of huggingface/tokenizers
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # "Standardizing text corpus format" and other .map bars
}
# weight-loading bars of transformers; hub download bars follow the same switch, so only when offline
QUIET_ENV_OFFLINE = {"HF_HUB_DISABLE_PROGRESS_BARS": "1"}

# loggers whose INFO lines are per-subset bookkeeping (mteb run logs about 600 of them per task)
NOISY_LOGGERS = ("mteb", "datasets", "sentence_transformers")

_applied = False


def quiet_known_noise(verbose: bool = False) -> None:
    """Hide the known library noise (idempotent); with `verbose`, leave everything as the libraries set it."""
    global _applied
    if verbose or _applied:
        return
    _applied = True
    for category, message, module in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
    env = {**QUIET_ENV, **(QUIET_ENV_OFFLINE if hub_is_offline() else {})}
    for key, value in env.items():
        os.environ.setdefault(key, value)
    _quiet_imported_libraries(offline=hub_is_offline())


def _quiet_imported_libraries(offline: bool) -> None:
    """The same switches for libraries already imported (they read the environment only at import)."""
    if "datasets" in sys.modules and os.environ.get("HF_DATASETS_DISABLE_PROGRESS_BARS") == "1":
        from datasets.utils import disable_progress_bars

        disable_progress_bars()
    if offline and "huggingface_hub" in sys.modules and os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS") == "1":
        from huggingface_hub.utils import disable_progress_bars as disable_hub_bars

        disable_hub_bars()  # transformers asks huggingface_hub whether its weight-loading bars are off
    if offline and "transformers" in sys.modules and os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS") == "1":
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


def quiet_library_loggers(level: int = logging.WARNING) -> None:
    """Pin the library loggers' children at `level`, so that a later setLevel(INFO) on the parent (mteb
    run's default verbosity) does not let their per-subset INFO lines through."""
    for name in list(logging.Logger.manager.loggerDict):
        if name.split(".", 1)[0] in NOISY_LOGGERS and "." in name:
            logging.getLogger(name).setLevel(level)
