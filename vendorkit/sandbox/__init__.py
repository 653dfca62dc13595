"""The embedded sandbox: local emulators of MakeLeaps, Leady, LeadDesk and LeanLaw.

```python
from vendorkit.sandbox import Sandbox

async with Sandbox(vendors=["leanlaw"], records=50, seed=0) as sb:
    async with sb.client("leanlaw") as ll:
        ...
```

Each emulator is an ``aiohttp.web`` application with in-memory, deterministically seeded state,
the vendor's auth, envelopes, pagination, error bodies and throttle, plus fault injection
(``FaultProfile``) and counters a test can assert on.
"""

from ._emulator import Counters, Emulator, Tokens
from ._faults import FAULT_KINDS, FaultProfile
from ._sandbox import VENDORS, Sandbox

__all__ = ["FAULT_KINDS", "VENDORS", "Counters", "Emulator", "FaultProfile", "Sandbox", "Tokens"]
