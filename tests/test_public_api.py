"""The public surface is what the contract names, and nothing leaks from private modules."""

from __future__ import annotations

import vendorkit
import vendorkit.errors


def public_names(module: object) -> list[str]:
    return sorted(
        (
            n
            for n in dir(module)
            if n.isidentifier() and not n.startswith("_") and n != "annotations"
        ),
        key=str.casefold,
    )


def test_all_is_sorted_and_complete() -> None:
    assert len(set(vendorkit.__all__)) == len(vendorkit.__all__)
    packages = {"core", "vendors", "export", "sandbox", "web"}
    expected = (set(public_names(vendorkit)) - packages) | {"__version__"}
    assert set(vendorkit.__all__) == expected
    for name in ("MakeLeaps", "Leady", "LeadDesk", "LeanLaw", "errors", "__version__"):
        assert name in vendorkit.__all__, name
        assert getattr(vendorkit, name) is not None


def test_the_clients_are_imported_when_first_named() -> None:
    """``import vendorkit`` loads no vendor; naming one loads that one only (a fresh process)."""
    import subprocess
    import sys

    probe = (
        "import sys, vendorkit\n"
        "loaded = lambda: sorted(m.split('.')[2] for m in sys.modules"
        " if m.startswith('vendorkit.vendors.') and m.count('.') == 2)\n"
        "print(loaded())\n"
        "vendorkit.LeanLaw\n"
        "print(loaded())\n"
        "from vendorkit import MakeLeaps\n"
        "print(loaded(), 'LeadDesk' in dir(vendorkit))\n"
        "try:\n"
        "    vendorkit.LeanLow\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [
        "[]",
        "['leanlaw']",
        "['leanlaw', 'makeleaps'] True",
        "module 'vendorkit' has no attribute 'LeanLow'",
    ]


def test_clients_are_presented_as_vendorkit_names() -> None:
    for name in ("MakeLeaps", "Leady", "LeadDesk", "LeanLaw"):
        assert getattr(vendorkit, name).__module__ == "vendorkit"


def test_errors_module_exports_the_contract_tree() -> None:
    e = vendorkit.errors
    expected = {
        "VendorkitError",
        "TransportError",
        "PaginationError",
        "APIError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "ServerError",
    }
    assert expected <= set(e.__all__)
    assert set(e.__all__) == {n for n in public_names(e) if n not in {"Any", "Mapping"}}
    for name in e.__all__:
        obj = getattr(e, name)
        if isinstance(obj, type):
            assert issubclass(obj, e.VendorkitError)
    statuses = {
        e.BadRequestError: 400,
        e.AuthenticationError: 401,
        e.PermissionDeniedError: 403,
        e.NotFoundError: 404,
        e.ConflictError: 409,
        e.UnprocessableEntityError: 422,
        e.RateLimitError: 429,
        e.ServerError: 503,
    }
    for cls, status in statuses.items():
        assert issubclass(cls, e.APIError)
        assert e.error_class_for_status(status) is cls


def test_sandbox_exports_sandbox() -> None:
    from vendorkit.sandbox import Sandbox

    assert Sandbox.__name__ == "Sandbox"


def test_core_names_no_vendor() -> None:
    import pathlib
    import re

    core = pathlib.Path(vendorkit.__file__).parent / "core"
    pattern = re.compile(r"makeleaps|leady|leaddesk|leanlaw", re.I)
    offenders = [p.name for p in core.glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_version_and_py_typed() -> None:
    import pathlib

    assert vendorkit.__version__.count(".") >= 2
    assert (pathlib.Path(vendorkit.__file__).parent / "py.typed").exists()
