"""Every test the docs cite exists. ``docs/guarantees.md`` backs each promise with test paths
(``tests/client/test_paths.py``), tests in them (``tests/client/test_retries.py::test_x``, then
``::test_y`` for another test of the same file) and sometimes a bare file name
(``test_safety.py``). When tests move to better-named files, a citation that still names the old
place sends a reader nowhere while looking like evidence; this test fails on every such citation.

Rules:

- ``tests/<...>.py`` must be a file of this repository;
- a bare ``test_<name>.py`` must name exactly one file under ``tests/``;
- ``::name`` (directly after a path, or on its own) must be a function or class defined in the
  last file named before it in the same paragraph or table (a table row may cite only
  ``::name``, meaning the file of the rows above; ``[param]`` ids are allowed).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# A path or a bare test file, not inside a longer name or path; or a ``::name`` reference.
TOKEN = re.compile(
    r"(?P<path>(?<![\w/.])tests/[\w/.-]*?\w\.py)"
    r"|(?P<bare>(?<![\w/.])test_\w*\.py)"
    r"|::(?P<name>[A-Za-z_]\w*)(?:\[[^\]]*\])?"
)


@cache
def defined_names(path: Path) -> frozenset[str]:
    """Functions and classes a file defines, at module level or one class deep."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(
                n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(names)


def files_under_tests(root: Path) -> dict[str, list[Path]]:
    """Every ``*.py`` under ``tests/``, by file name."""
    found: dict[str, list[Path]] = {}
    for path in sorted((root / "tests").rglob("*.py")):
        found.setdefault(path.name, []).append(path)
    return found


def broken_citations(text: str, root: Path, where: str = "") -> Iterator[str]:
    """Each citation in ``text`` that names no real file or test, described for the failure."""
    by_name = files_under_tests(root)
    current: Path | None = None
    named_a_file = False  # a broken file is reported once, not again for its tests
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():  # a new paragraph or table: ``::name`` needs a file in it
            current, named_a_file = None, False
        for match in TOKEN.finditer(line):
            at = f"{where}:{number}: {match.group(0)}"
            if match["path"] or match["bare"]:
                named_a_file = True
                current = None
            if match["path"]:
                if (root / match["path"]).is_file():
                    current = root / match["path"]
                else:
                    yield f"{at}: no such file"
            elif match["bare"]:
                candidates = by_name.get(match["bare"], [])
                if len(candidates) == 1:
                    current = candidates[0]
                else:
                    yield f"{at}: names {len(candidates)} files under tests/, not one"
            elif current is None:
                if not named_a_file:
                    yield f"{at}: a test name with no file before it"
            elif match["name"] not in defined_names(current):
                yield f"{at}: {current.relative_to(root)} defines no {match['name']}"


def cited_docs() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def test_the_docs_cite_tests() -> None:
    """The check below has something to check: the docs cite tests by path and by name."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in cited_docs())
    kinds = {k for m in TOKEN.finditer(text) for k in ("path", "name") if m[k]}
    assert kinds == {"path", "name"}


@pytest.mark.parametrize("doc", cited_docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_test_path_and_name_exists(doc: Path) -> None:
    broken = list(broken_citations(doc.read_text(encoding="utf-8"), ROOT, str(doc.name)))
    assert broken == []


def test_a_moved_or_misspelt_citation_is_reported() -> None:
    """The checker itself: each kind of broken citation is found, good ones pass."""
    good = (
        "`tests/test_docs_cite_real_tests.py::test_a_moved_or_misspelt_citation_is_reported`, "
        "`::broken_citations`, `test_docs_cite_real_tests.py::defined_names`, "
        "`tests/client/conftest.py`"
    )
    assert list(broken_citations(good, ROOT)) == []
    bad = [
        "`tests/client/test_no_such_file.py`",
        "`tests/test_docs_cite_real_tests.py::test_that_was_renamed`",
        "`tests/test_docs_cite_real_tests.py::defined_names`, `::no_such_test`",
        "`test_no_such_file_anywhere.py`",
        "`__init__.py` is not a test file, but `test_x.py` is one nobody wrote",
    ]
    for line in bad:
        assert len(list(broken_citations(line, ROOT))) == 1, line
