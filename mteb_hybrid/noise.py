"""Known noise from the libraries underneath, hidden by default; `-v` (or mteb's `--verbosity 3`) shows it.

Each filter names one message we cannot fix here (library deprecations, torch's `pin_memory` notice without
an accelerator, the tokenizers fork notice, progress bars, mteb's per-subset INFO lines); ours are never
filtered. Applied before the libraries are imported where it can be (they read the environment at import).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator

from mteb_hybrid.userconfig import hub_is_offline

# (category, message regex, module regex): warnings.filterwarnings' own terms
KNOWN_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    (FutureWarning, "", r"(mteb|sentence_transformers|transformers)(\.|$)"),
    (DeprecationWarning, "", r"(mteb|sentence_transformers|transformers|datasets)(\.|$)"),
    (FutureWarning, r"The `get_sentence_embedding_dimension` method has been renamed", ""),
    (UserWarning, r".*'pin_memory' argument is set as true but", ""),
)

# what the plugin's own calls into the libraries cause (mteb reading a sentence-transformers model's dimension
# through a renamed method): hidden within those calls under any entry point, Python included
PLUGIN_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    (FutureWarning, r"The `get_sentence_embedding_dimension` method has been renamed", ""),
)

# environment variables the libraries read at import: only set when the user has not
QUIET_ENV = {
    "TOKENIZERS_PARALLELISM": "false",  # the "current process just got forked" notice of huggingface/tokenizers
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # "Standardizing text corpus format" and other .map bars
}
# weight-loading bars of transformers; hub download bars follow the same switch, so only when offline
QUIET_ENV_OFFLINE = {"HF_HUB_DISABLE_PROGRESS_BARS": "1"}

# (logger, message start) of library log records the plugin's own calls cause: transformers' Trainer aligns an
# encoder's PAD/BOS/EOS ids with its tokenizer (generation settings, which a sentence encoder never uses)
KNOWN_LOG_MESSAGES: tuple[tuple[str, str], ...] = (
    ("transformers.trainer_utils", "The tokenizer has new PAD/BOS/EOS tokens"),
)

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
    for name, start in KNOWN_LOG_MESSAGES:
        logging.getLogger(name).addFilter(_DropMessage(start))
    env = {**QUIET_ENV, **(QUIET_ENV_OFFLINE if hub_is_offline() else {})}
    for key, value in env.items():
        os.environ.setdefault(key, value)
    _quiet_imported_libraries(offline=hub_is_offline())


class _DropMessage(logging.Filter):
    """Drops the records of one logger whose message starts with `start`."""

    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.start)


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


@contextlib.contextmanager
def plugin_noise_off() -> Iterator[None]:
    """Inside the plugin's own loading and encoding (any entry point, Python included): no `datasets` progress
    bar per encoded batch (mteb maps each batch with a bar) and no warning we know the plugin's calls cause;
    the user's own settings are restored on exit."""
    from datasets import utils as ds_utils
    from transformers.utils import logging as hf_logging

    datasets_bars, weight_bars = not ds_utils.are_progress_bars_disabled(), hf_logging.is_progress_bar_enabled()
    ds_utils.disable_progress_bars()
    if hub_is_offline():  # transformers' weight-loading bars (hub download bars follow the same switch)
        hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            for category, message, module in PLUGIN_WARNINGS:
                warnings.filterwarnings("ignore", message=message, category=category, module=module)
            yield
    finally:
        if datasets_bars:
            ds_utils.enable_progress_bars()
        if weight_bars:
            hf_logging.enable_progress_bar()
