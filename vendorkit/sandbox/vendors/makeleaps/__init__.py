"""The MakeLeaps emulator: the REST API of ``makeleaps.txt`` as an ``aiohttp.web`` application.

OAuth2 client credentials (HTTP Basic to ``/user/oauth2/token/``, Bearer afterwards), the
``{"meta", "response"}`` envelope, page-number pagination through absolute ``meta.next`` links,
DRF-style error bodies (``{"meta": {"status_code"}, "response": {field: [..]}}``), English or
Japanese (``Accept-Language: ja``) messages and bilingual names, HATEOAS references (a
document's ``client`` is the client's URL), money as strings, and every resource of the docs:
partners, currencies, employees (``me``), documents (filters, ranges, ``search``, ``expand``),
templates, catalog items, clients (contacts, settings), contacts, sending orders (items, file
upload, validation, send, cancel), history, the secure inbox, pickup links (a 202 Task that
completes over a few polls) and tasks.

Where the docs are silent the emulator makes an assumption, listed in ``docs/sandbox/makeleaps.md``
and marked "Assumption" below. URLs are stored with the production origin
(``https://api.makeleaps.com``) and rewritten to the request's own origin when a body is sent, so
the records a test reads from ``store`` look like production data. The module does no I/O besides
answering requests, and it does not import ``vendorkit.core``.
"""

from .routes import MakeLeapsEmulator

__all__ = ["MakeLeapsEmulator"]
