"""Every ```python example on the vendor pages runs against the sandbox.

Blocks use a running ``Sandbox`` named ``sb`` and top-level ``await``. A block marked
``<!-- no-run -->`` on the line before it is documentation only (it needs real credentials).
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


def examples() -> list[Any]:
    params = []
    for page in sorted((DOCS / "vendors").glob("*.md")):
        vendor = page.stem
        for i, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8"))):
            if match.group(1) or "sb." not in match.group(2):
                continue
            params.append(pytest.param(vendor, match.group(2), id=f"{vendor}-{i}"))
    return params


@pytest.mark.parametrize(("vendor", "code"), examples())
async def test_example_runs(vendor: str, code: str) -> None:
    compiled = compile(
        code, f"docs/vendors/{vendor}.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    async with Sandbox(vendors=[vendor], records=40, seed=0, quotas={vendor: None}) as sb:
        namespace: dict[str, Any] = {"sb": sb}
        result = eval(compiled, namespace)
        if result is not None:
            await result


def test_every_vendor_page_has_runnable_examples() -> None:
    vendors = {p.values[0] for p in examples()}
    assert vendors == {"makeleaps", "leady", "leaddesk", "leanlaw"}
