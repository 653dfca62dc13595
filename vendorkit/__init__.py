"""vendorkit: async clients for MakeLeaps, Leady, LeadDesk and LeanLaw.

```python
from vendorkit import MakeLeaps, Leady, LeadDesk, LeanLaw, Response, errors
```

Each client is imported when it is first named (PEP 562), so a program that talks to one vendor
does not load the other three (their models are most of the package's import-time memory).
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from vendorkit import errors
from vendorkit._logging import configure_from_env as _configure_logging
from vendorkit._version import __version__

_configure_logging()  # VENDORKIT_LOG=debug|info|warning: vendorkit's log on stderr

if _typing.TYPE_CHECKING:
    from vendorkit.core._response import Response
    from vendorkit.vendors.leaddesk import LeadDesk
    from vendorkit.vendors.leady import Leady
    from vendorkit.vendors.leanlaw import LeanLaw
    from vendorkit.vendors.makeleaps import MakeLeaps

__all__ = ["LeadDesk", "Leady", "LeanLaw", "MakeLeaps", "Response", "__version__", "errors"]

_CLIENTS = {
    "LeadDesk": "vendorkit.vendors.leaddesk",
    "Leady": "vendorkit.vendors.leady",
    "LeanLaw": "vendorkit.vendors.leanlaw",
    "MakeLeaps": "vendorkit.vendors.makeleaps",
    "Response": "vendorkit.core._response",  # what request(..., raw=True) returns
}


# Subpackages reached as attributes (``vendorkit.core.Hooks``) without importing them first.
_SUBPACKAGES = frozenset({"core", "export", "sandbox", "vendors", "web"})


def __getattr__(name: str) -> _typing.Any:
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"vendorkit.{name}")  # sets the attribute itself
    module = _CLIENTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vendorkit' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_CLIENTS, *_SUBPACKAGES})
