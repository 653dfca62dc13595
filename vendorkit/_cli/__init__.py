"""The ``vendorkit`` command: a thin layer over the public API (click parses, rich renders).

This package defines the ``cli`` group and ``main`` (the console script and ``python -m
vendorkit``) and adds one command per module. Each module calls only the ones below it:

- ``_text``: what may be shown (``visible``, ``visible_json``) and the secrets scrubber;
- ``_output``: ``--json``/``--quiet``/``--verbose``, logging, ``_run``, failing and exit statuses;
- ``_progress`` and ``_summary``: an export's progress on stderr and its summary on stdout;
- ``_partial``: what an interrupted export had done, kept from its progress events;
- ``_resources``: a vendor's client class and the completion of its resource names;
- ``_sandbox``, ``_export``, ``_get``, ``_demo``: the commands (``demo`` runs ``export``'s jobs).
"""

from __future__ import annotations

import click

from vendorkit._version import __version__

from ._demo import demo
from ._export import export_cmd
from ._get import get_cmd
from ._output import _set_output
from ._sandbox import sandbox

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vendorkit")
def cli() -> None:
    """vendorkit: async clients, local emulators and bulk exports for MakeLeaps, Leady,
    LeadDesk and LeanLaw.

    \b
    Examples:
      vendorkit demo
      vendorkit export leanlaw --out ./export
      vendorkit export makeleaps documents clients --out ./export --format csv --resume
      vendorkit get leanlaw clients 6f1c...
      vendorkit sandbox serve --vendor leanlaw --port 8080
    """
    # One command per process, but a test runner may call several in one: each starts afresh.
    _set_output(False, False, False)


cli.add_command(demo)
cli.add_command(export_cmd)
cli.add_command(get_cmd)
cli.add_command(sandbox)


def main() -> None:
    cli(prog_name="vendorkit")
