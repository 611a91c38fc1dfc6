"""Run a benchmark's measurement in a fresh Python process, so that runs do not share caches, threads or memory peaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_worker(
    script: str, args: dict, *, extra_argv: list[str] | None = None, extra_env: dict[str, str] | None = None
) -> dict:
    """`python SCRIPT [extra_argv] --worker-args JSON`, offline, with the repo importable.

    The worker prints its result as JSON on its last stdout line; a failed worker raises with its stderr tail.
    """
    cmd = [sys.executable, script, *(extra_argv or []), "--worker-args", json.dumps(args)]
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        **(extra_env or {}),
    }
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {Path(script).name} {extra_argv or ''} {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
