"""Every ```python example in ``docs/`` runs under a test, or says on the line before it why not.

How a block is run is said by the HTML comment on the line before it:

- ``<!-- run: VENDOR [VENDOR ...] -->``: in this process, with top-level ``await``, against a
  running ``Sandbox`` of those vendors named ``sb``; ``VENDORKIT_<VENDOR>_<FIELD>`` variables
  point ``from_env()`` at it, and the working directory is a fresh temporary one.
- ``<!-- run -->``: in this process with top-level ``await``, no sandbox (imports, values).
- ``<!-- run: script [VENDOR ...] -->``: as a program, ``python -c`` in a fresh interpreter
  (``asyncio.run`` included), with the variables of a sandbox of those vendors if any: what a
  reader who saved the block to a file would see.
- ``<!-- pytest-run: ARGS -->``: ``docs/sandbox/pytest.md``'s tests, run by
  ``tests/sandbox/test_plugin_fresh_project.py`` in a fresh project.
- ``<!-- no-run: WHY -->``: documentation only, and the reason (real credentials, a fragment of
  a file shown whole elsewhere, a process-wide setting).
- No comment, on a vendor page (``docs/vendors/*.md``): a block that uses ``sb.`` runs against
  that vendor's sandbox as with ``run: VENDOR``.

Any other block fails ``test_every_block_is_run_or_says_why_not``: a new example cannot be added
without a test running it, or an explicit reason.
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from vendorkit.sandbox import VENDORS, Sandbox

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# A fenced python block, with the HTML comment on the line before it if there is one.
BLOCK = re.compile(r"(?:<!--(?P<marker>[^\n]*?)-->[ \t]*\n)?```python\n(?P<code>.*?)```", re.S)


class Block(NamedTuple):
    where: str  # docs/<page>.md:<line>
    marker: str | None  # the comment's text, stripped; None without one
    code: str


def blocks(text: str, page: str) -> list[Block]:
    found = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code"))
        marker = match["marker"].strip() if match["marker"] is not None else None
        found.append(Block(f"{page}:{line}", marker, match["code"]))
    return found


def all_blocks() -> list[Block]:
    found = []
    for path in sorted(DOCS.rglob("*.md")):
        found += blocks(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return found


def how(block: Block) -> tuple[str, list[str]] | None:
    """How ``block`` runs: ``("inline" | "script" | "pytest" | "none", vendors)``; None when
    it neither runs nor says why not."""
    marker = block.marker
    if marker is None:
        page = block.where.split(":")[0]
        if page.startswith("docs/vendors/") and "sb." in block.code:
            return "inline", [Path(page).stem]
        return None
    if marker == "run":
        return "inline", []
    if marker.startswith("run:"):
        words = marker[len("run:") :].split()
        if words[:1] == ["script"]:
            return "script", words[1:]
        return ("inline", words) if words else None
    if marker.startswith("pytest-run:"):
        return "pytest", []
    if marker.startswith("no-run:") and marker[len("no-run:") :].strip():
        return "none", []
    return None


def runnable(kind: str) -> list[Any]:
    params = []
    for block in all_blocks():
        found = how(block)
        if found is not None and found[0] == kind:
            params.append(pytest.param(found[1], block.code, block.where, id=block.where))
    return params


def sandbox_environment(sb: Sandbox, vendors: list[str]) -> dict[str, str]:
    """What ``from_env()`` reads, for each vendor's sandbox: ``VENDORKIT_<VENDOR>_<FIELD>``."""
    env = {}
    for vendor in vendors:
        for field, value in sb.credentials(vendor).items():
            env[f"VENDORKIT_{vendor.upper()}_{field.upper()}"] = str(value)
    return env


def sandbox(vendors: list[str]) -> Sandbox:
    return Sandbox(vendors=vendors, records=40, seed=0, quotas={v: None for v in vendors})


@pytest.mark.parametrize(("vendors", "code", "where"), runnable("inline"))
async def test_example_runs(
    vendors: list[str],
    code: str,
    where: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    if not vendors:
        result = eval(compiled, namespace)
        if result is not None:
            await result
        return
    async with sandbox(vendors) as sb:
        for name, value in sandbox_environment(sb, vendors).items():
            monkeypatch.setenv(name, value)
        namespace["sb"] = sb
        result = eval(compiled, namespace)
        if result is not None:
            await result


@pytest.mark.parametrize(("vendors", "code", "where"), runnable("script"))
async def test_script_runs(vendors: list[str], code: str, where: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORKIT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])

    async def run() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, output.decode(errors="replace")

    if vendors:
        async with sandbox(vendors) as sb:  # serves on this loop while the program runs
            env.update(sandbox_environment(sb, vendors))
            status, output = await run()
    else:
        status, output = await run()
    assert status == 0, f"{where}:\n{output}"


def test_every_block_is_run_or_says_why_not() -> None:
    silent = [b.where for b in all_blocks() if how(b) is None]
    assert silent == []


def test_every_vendor_named_to_run_on_is_one() -> None:
    named = {v for b in all_blocks() for v in (how(b) or ("", []))[1]}
    assert named <= set(VENDORS), named - set(VENDORS)


def test_the_markers_are_read_as_documented() -> None:
    """The reader itself: each kind of marker, and blocks that say nothing."""
    page = (
        "<!-- run: leanlaw makeleaps -->\n```python\nawait sb.client('leanlaw')\n```\n"
        "<!-- run -->\n```python\nimport vendorkit\n```\n"
        "<!-- run: script leady -->\n```python\nprint(1)\n```\n"
        "<!-- no-run: needs a real account -->\n```python\nx\n```\n"
        "<!-- no-run -->\n```python\nx\n```\n"
        "```python\nsb.url('leanlaw')\n```\n"
    )
    found = [how(b) for b in blocks(page, "docs/clients.md")]
    assert found == [
        ("inline", ["leanlaw", "makeleaps"]),
        ("inline", []),
        ("script", ["leady"]),
        ("none", []),
        None,  # a no-run needs its reason
        None,  # outside the vendor pages, sb. alone does not make a block run
    ]
    assert how(blocks("```python\nsb.url('leady')\n```\n", "docs/vendors/leady.md")[0]) == (
        "inline",
        ["leady"],
    )
    assert blocks(page, "docs/clients.md")[2].where == "docs/clients.md:10"  # its ``` line


def test_every_vendor_page_has_runnable_examples() -> None:
    pages = {p.values[2].split(":")[0] for p in runnable("inline")}
    assert {f"docs/vendors/{v}.md" for v in VENDORS} <= pages


def test_the_client_guide_and_getting_started_have_runnable_examples() -> None:
    assert any(p.values[2].startswith("docs/clients.md:") for p in runnable("inline"))
    scripts = {(p.values[2].split(":")[0], tuple(p.values[0])) for p in runnable("script")}
    # The page's promise: on the sandbox, then the same code with from_env().
    assert {("docs/getting-started.md", ()), ("docs/getting-started.md", ("leanlaw",))} <= scripts
