"""Bad inputs at the command line itself (files that are not there)."""

from __future__ import annotations

from bad_inputs import BadInput

CASES = [
    BadInput(
        id="experiment-config-missing",
        argv=lambda root: ["experiment", str(root / "nope.yaml"), "--check"],
        message=r"nope\.yaml",
    ),
]
