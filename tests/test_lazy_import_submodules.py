"""Issue 10, change 3 (PEP 562 ``vendorkit.__getattr__``): after ``import vendorkit``, the
subpackages ``vendorkit.core`` and ``vendorkit.vendors`` were attributes of the package (the
clients' imports loaded them). Now ``__getattr__`` answers every name that is not a client with
``AttributeError``, so a program written the way the docs name things breaks:
docs/clients.md: "``hooks=vendorkit.core.Hooks(...)``", "``[Quota(120, 60)]``
(``vendorkit.core.Quota``)", "``vendorkit.core._pagination.resolve_link(base, value)``".

Run in a fresh interpreter: in this process other tests have long imported ``vendorkit.core``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd="/", timeout=60
    )


@pytest.mark.parametrize(
    "expression",
    [
        "vendorkit.core.Hooks",
        "vendorkit.core.Quota(120, 60)",
        "vendorkit.core._pagination.resolve_link",
        "vendorkit.vendors.leanlaw.models.Client",
    ],
)
def test_dotted_names_after_import_vendorkit(expression: str) -> None:
    done = run(f"import vendorkit\nprint({expression})")
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1]


def test_a_client_named_first_then_core_still_works() -> None:
    """The same program works only by accident of order: naming a client first imports core."""
    done = run("import vendorkit\nvendorkit.LeanLaw\nprint(vendorkit.core.Hooks)")
    assert done.returncode == 0, done.stderr
