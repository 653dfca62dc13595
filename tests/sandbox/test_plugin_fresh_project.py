"""The pytest plugin as a user meets it: each example of ``docs/sandbox/pytest.md`` run by
``python -m pytest`` in a new project directory holding only that file (no conftest, an empty
``pytest.ini`` so no outer configuration applies), with the settings the page gives for it
(``<!-- pytest-run: ARGS -->`` before the block). The plugin is found through its ``pytest11``
entry point, as in any project that installed vendorkit; pytest-asyncio and anyio are both
installed, as the ``test`` extra has them, so the anyio example also shows the two coexisting.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import vendorkit

SOURCE_ROOT = Path(vendorkit.__file__).resolve().parent.parent
PAGE = SOURCE_ROOT / "docs" / "sandbox" / "pytest.md"
RUN = re.compile(r"<!-- pytest-run:(.*?)-->\s*\n```python\n(.*?)```", re.S)


def examples() -> list[Any]:
    text = PAGE.read_text(encoding="utf-8")
    params = []
    for i, match in enumerate(RUN.finditer(text)):
        args, code = shlex.split(match.group(1)), match.group(2)
        params.append(pytest.param(args, code, id=f"example-{i}-{' '.join(args) or 'defaults'}"))
    return params


def test_the_page_covers_strict_auto_anyio_and_the_session_fixture() -> None:
    found = examples()
    codes = [p.values[1] for p in found]
    assert any("asyncio_mode=strict" in p.values[0] for p in found)
    assert any("asyncio_mode=auto" in p.values[0] for p in found)
    assert any("@pytest.mark.anyio" in code for code in codes)
    assert any("vendorkit_sandbox_session" in code for code in codes)


def _pytest_in_a_fresh_project(
    tmp_path: Path, code: str, args: list[str]
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_example.py").write_text(code, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    }
    # This checkout's vendorkit, whichever copy the environment installed.
    env["PYTHONPATH"] = os.pathsep.join([str(SOURCE_ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(("args", "code"), examples())
def test_example_passes_in_a_fresh_project(args: list[str], code: str, tmp_path: Path) -> None:
    expected = len(re.findall(r"^(?:async )?def test_", code, re.M))
    run = _pytest_in_a_fresh_project(tmp_path, code, args)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert re.search(rf"\b{expected} passed\b", output), output
    assert not re.search(r"\b\d+ (skipped|xfailed|errors?)\b", output), output


def test_anyio_under_pytest_asyncio_auto_mode_is_a_clear_error_not_a_hang(
    tmp_path: Path,
) -> None:
    code = next(p.values[1] for p in examples() if "@pytest.mark.anyio" in p.values[1])
    run = _pytest_in_a_fresh_project(tmp_path, code, ["-o", "asyncio_mode=auto"])
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "cannot use vendorkit_sandbox while pytest-asyncio is in auto mode" in output, output
