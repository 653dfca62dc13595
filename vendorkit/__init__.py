"""vendorkit: async clients for MakeLeaps, Leady, LeadDesk and LeanLaw.

```python
from vendorkit import MakeLeaps, Leady, LeadDesk, LeanLaw, errors
```
"""

from vendorkit import errors
from vendorkit._version import __version__
from vendorkit.vendors.leaddesk import LeadDesk
from vendorkit.vendors.leady import Leady
from vendorkit.vendors.leanlaw import LeanLaw
from vendorkit.vendors.makeleaps import MakeLeaps

__all__ = ["LeadDesk", "Leady", "LeanLaw", "MakeLeaps", "__version__", "errors"]

for _cls in (LeadDesk, Leady, LeanLaw, MakeLeaps):
    _cls.__module__ = "vendorkit"
