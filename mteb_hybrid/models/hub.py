"""One paragraph, not a traceback, when something needs the Hugging Face hub and the hub is out of reach.

It says what needed the network, what runs offline instead, and "did you mean" for a name one letter from
one of ours (mteb's `XQuADRetrieval` vs our `XQuADRRetrieval`). Import-light: no mteb.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mteb_hybrid.data.definitions import data_folders, task_names
from mteb_hybrid.userconfig import hub_is_offline

OFFLINE_TASKS = task_names()  # ours, by name
OFFLINE_TRAIN_BASE = "me5-small"

_HUB_ERROR_TYPES = {  # huggingface_hub's (first line), then those of requests / httpx / urllib3 underneath it
    "OfflineModeIsEnabled",
    "LocalEntryNotFoundError",
    "HfHubHTTPError",
    "RepositoryNotFoundError",
    "ConnectionError",
    "ConnectTimeout",
    "ConnectError",
    "ReadTimeout",
    "MaxRetryError",
    "NewConnectionError",
}
_HUB_ERROR_TEXT = (
    "huggingface.co",
    "offline mode",
    "hf_hub_offline",
    "couldn't connect",
    "local_files_only",
    "outgoing traffic has been disabled",
    "cannot find the requested files in the disk cache",
)


class HubUnavailableError(LookupError):
    """Something needed the Hugging Face hub, which cannot be reached; the message says what runs offline."""


def is_hub_error(exc: BaseException | None) -> bool:
    """Whether `exc`, or an error it was raised from, is the hub being out of reach (not, e.g., a bad config)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ in _HUB_ERROR_TYPES or (
            isinstance(exc, (OSError, ValueError)) and any(t in str(exc).lower() for t in _HUB_ERROR_TEXT)
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def one_edit_apart(a: str, b: str) -> bool:
    """True when `a` and `b` differ by one inserted, deleted or replaced letter (case-insensitive)."""
    a, b = sorted((a.lower(), b.lower()), key=len)
    if a == b or len(b) - len(a) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))  # the first difference
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def did_you_mean(name: str, ours: Sequence[str]) -> str | None:
    """The one name of `ours` a letter away from `name`, if exactly one is."""
    close = [o for o in ours if one_edit_apart(name, o)]
    return close[0] if len(close) == 1 else None


def _reason(error: BaseException | None) -> str:
    reason = "the hub is switched off here (HF_HUB_OFFLINE=1)" if hub_is_offline() else "the hub could not be reached"
    return reason + (f" ({type(error).__name__})" if error is not None else "")


def _and(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    *head, last = items
    return f"{', '.join(head)} and {last}" if head else last


def hub_task_message(tasks: Sequence[str], error: BaseException | None = None) -> str:
    """Why mteb's hub tasks `tasks` cannot run here, what runs offline, and "did you mean" for near names."""
    hints = " ".join(
        f"did you mean {m} (this package's, one letter away)?" for t in tasks if (m := did_you_mean(t, OFFLINE_TASKS))
    )
    return (
        f"task {', '.join(tasks)} is mteb's own and downloads its data from the Hugging Face hub, "
        f"but {_reason(error)}. "
        + (hints[:1].upper() + hints[1:] + " " if hints else "")
        + f"Offline, this package's tasks run from local files: {', '.join(OFFLINE_TASKS)} "
        "(set their folder once, for every entry point: `mteb-hybrid config data-dir PATH`, PATH holding "
        f"{_and(f'{folder}/' for folder in data_folders())})."
    )


def hub_model_message(model: str, needed_for: str, error: BaseException | None = None) -> str:
    """Why model `model` cannot be loaded here (it comes from the hub) and what runs offline instead."""
    return (
        f"{needed_for} needs {model} from the Hugging Face hub, but {_reason(error)}. Offline, use the "
        f"offline model: evaluate offline-me5-small, or train from it with `mteb-hybrid train --base "
        f"{OFFLINE_TRAIN_BASE} --data mlqa-r --data-dir DIR --max-steps 100` (DIR holding mlqa-r/); or pass a "
        "local sentence-transformers folder. With network, unset HF_HUB_OFFLINE and run the same command again. "
        "`mteb-hybrid models` lists every model and what it needs."
    )


def near_miss_note(tasks: Sequence[str], message: str = "") -> str:
    """For task names one letter from ours: which is mteb's hub task and which is ours."""
    near = [(task, did_you_mean(task, OFFLINE_TASKS)) for task in tasks if task not in OFFLINE_TASKS]
    return " ".join(
        f"Note: {task} is mteb's own task (data from the Hugging Face hub); did you mean {ours}, "
        "this package's LAReQA task (local files)?"
        for task, ours in near
        if ours and ours not in message
    )
