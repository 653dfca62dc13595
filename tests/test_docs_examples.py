"""Every ```python example on the vendor pages runs against the sandbox.

Blocks use a running ``Sandbox`` named ``sb`` and top-level ``await``. A block marked
``<!-- no-run -->`` on the line before it is documentation only (it needs real credentials).
On the other pages (``docs/*.md``), a block marked ``<!-- run: VENDOR -->`` runs against that
vendor's sandbox the same way; their other blocks are documentation only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from vendorkit.sandbox import Sandbox

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"(<!-- no-run -->\s*\n)?```python\n(.*?)```", re.S)
RUN_BLOCK = re.compile(r"<!-- run: (\w+) -->\s*\n```python\n(.*?)```", re.S)


def examples() -> list[Any]:
    params = []
    for page in sorted((DOCS / "vendors").glob("*.md")):
        vendor = page.stem
        for i, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8"))):
            if match.group(1) or "sb." not in match.group(2):
                continue
            where = f"docs/vendors/{page.name}"
            params.append(pytest.param(vendor, match.group(2), where, id=f"{vendor}-{i}"))
    for page in sorted(DOCS.glob("*.md")):
        for i, match in enumerate(RUN_BLOCK.finditer(page.read_text(encoding="utf-8"))):
            vendor, code = match.group(1), match.group(2)
            where = f"docs/{page.name}"
            params.append(pytest.param(vendor, code, where, id=f"{page.stem}-{vendor}-{i}"))
    return params


@pytest.mark.parametrize(("vendor", "code", "where"), examples())
async def test_example_runs(vendor: str, code: str, where: str) -> None:
    compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    async with Sandbox(vendors=[vendor], records=40, seed=0, quotas={vendor: None}) as sb:
        namespace: dict[str, Any] = {"sb": sb}
        result = eval(compiled, namespace)
        if result is not None:
            await result


def test_every_vendor_page_has_runnable_examples() -> None:
    vendors = {p.values[0] for p in examples() if str(p.values[2]).startswith("docs/vendors/")}
    assert vendors == {"makeleaps", "leady", "leaddesk", "leanlaw"}


def test_the_client_guide_has_runnable_examples() -> None:
    assert any(p.values[2] == "docs/clients.md" for p in examples())
