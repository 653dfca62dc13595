"""Developer tasks: `nox -s tests`, `nox -s lint`, `nox -s docs`, `nox -s bench`.

Each session builds its own virtualenv from the project's own files, so a fresh machine needs only
Python 3.11+ and nox.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite. The scale-out tests use the Redis server at 127.0.0.1:6379."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, mypy --strict on vendorkit/."""
    session.install("-e", ".[lint,test]")
    # docs/examples: the toy vendor that docs/adding-a-vendor.md shows is code like any other.
    paths = ("vendorkit", "tests", "bench", "docs/examples", "examples", "noxfile.py")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy", "vendorkit")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation (Material theme, API reference from the docstrings, mermaid
    diagrams) into site/, with warnings as errors."""
    session.install("-e", ".[docs]")
    # Material's banner about MkDocs 2.0 is advice, not a warning about these docs.
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"}
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, never part of the tests' pass/fail: vendorkit against a hand-written aiohttp
    loop, hand-written export loops and dlt's RESTClient, as ratios measured in the same run;
    also engine cost, quota use, memory, the sandbox. Writes bench/results.json,
    docs/performance.md and docs/performance.png. ``nox -s bench -- --quick`` for a smoke run,
    ``-- --only quota`` for one section. The quota section uses Redis database 14 at
    127.0.0.1:6379 (and empties it); the scale-out section (``-- --only scaleout``, about 2
    minutes) database 10, and starts Celery workers of its own."""
    # The bench extra: orjson (the baseline's decoder, the data server), dlt (a peer client),
    # matplotlib (the chart), redis for the shared-quota section, celery[redis] for the
    # scale-out section's workers.
    session.install("-e", ".[bench]")
    session.run("python", "-m", "bench", *session.posargs)
