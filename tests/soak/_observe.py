"""How the soak watches: sockets, sends, log lines, exceptions and secrets, emulator routes."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import stat
from collections.abc import Iterator
from typing import Any

from yarl import URL

from vendorkit.core import BaseClient, RequestInfo
from vendorkit.sandbox import Emulator, Sandbox


def open_sockets() -> dict[int, str]:
    """The process's open socket descriptors (``fd -> description``)."""
    found: dict[int, str] = {}
    fds: Iterator[int]
    if os.path.isdir("/proc/self/fd"):
        fds = (int(n) for n in os.listdir("/proc/self/fd"))
    else:  # no /proc: try every plausible descriptor
        fds = iter(range(4096))
    for fd in fds:
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISSOCK(mode):
            try:
                found[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                found[fd] = "socket"
    return found


# -- emulator routes ----------------------------------------------------------------------------


def is_auth_path(emu: Emulator, path: str) -> bool:
    """Whether ``path`` (as the emulator sees it) is one of its token endpoints."""
    return path.startswith(emu.base_path) and path[len(emu.base_path) :] in emu.auth_paths


def api_requests(emu: Emulator) -> int:
    """Requests the emulator received on its API routes (token endpoints left out)."""
    return sum(
        n for route, n in emu.counters.requests.items() if not is_auth_path(emu, route.split()[1])
    )


def api_faults(emu: Emulator) -> int:
    return sum(
        n for key, n in emu.counters.fault_routes.items() if not is_auth_path(emu, key.split()[2])
    )


def norm(path: str) -> str:
    """A route template with its placeholders' names dropped: ``/a/{}/b/``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def job_routes(client: BaseClient, resource: str) -> set[str]:
    """The emulator routes (``"GET /v1/resources/{}/sessions/"``) an export of ``resource``
    walks: its own list, and its parents' for a child collection."""
    endpoint = getattr(client, resource).endpoint
    base = URL(client.base_url).path.rstrip("/")
    routes = {f"GET {norm(base + endpoint.path)}"}
    if endpoint.partition is not None:
        routes |= job_routes(client, endpoint.partition[0])
    return routes


class Sends:
    """What one client itself sent (its ``on_request`` hook), API and token endpoint apart."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.api = 0
        self.auth = 0

    def __call__(self, info: RequestInfo) -> None:
        if is_auth_path(self.emu, URL(info.url).path):
            self.auth += 1
        else:
            self.api += 1


# -- secrets ------------------------------------------------------------------------------------


def find_secret(text: str, secrets: set[str]) -> str | None:
    """Where a secret occurs in ``text``, shown with the secret itself masked."""
    for secret in secrets:
        if secret and secret in text:
            i = text.index(secret)
            j = i + len(secret)
            head = text[: min(i, 70)]
            return f"{head}...{text[max(len(head), i - 60) : i]}<SECRET>{text[j : j + 30]}..."
    return None


def exception_texts(exc: BaseException) -> Iterator[str]:
    """Everything a caller could print of ``exc``: str, repr, args, chained causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield str(e)
        yield repr(e)
        yield from (repr(a) for a in e.args)
        todo += [e.__cause__, e.__context__]


def static_secrets(sb: Sandbox) -> set[str]:
    """The sandbox's credentials, as they could appear: raw and in HTTP Basic form."""
    found: set[str] = set()
    for vendor in sb.vendors:
        creds = sb.credentials(vendor)
        for key in ("client_secret", "password", "api_key", "token"):
            value = creds.get(key)
            if isinstance(value, str) and len(value) >= 8:
                found.add(value)
        if creds.get("client_id") and creds.get("client_secret"):
            pair = f"{creds['client_id']}:{creds['client_secret']}".encode()
            found.add(base64.b64encode(pair).decode())
        with contextlib.suppress(ValueError):
            password = sb.login(vendor).get("password", "")
            if len(password) >= 8:
                found.add(password)
    return found


def record_issued_tokens(emu: Emulator, secrets: set[str]) -> None:
    """Add every token the emulator issues from now on to ``secrets`` (wraps ``issue``)."""
    issue = emu.tokens.issue

    def issue_and_remember(*args: Any, **kwargs: Any) -> str:
        token = issue(*args, **kwargs)
        if len(token) >= 8:
            secrets.add(token)
        return token

    emu.tokens.issue = issue_and_remember  # type: ignore[method-assign]


class LogWatch(logging.Handler):
    """Every record of a logger as it is emitted: ``leaks`` (secrets in it), ``errors`` (ERROR
    and above)."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__(logging.DEBUG)
        self.secrets = secrets
        self.leaks: list[str] = []
        self.errors: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # a log call whose arguments do not format is a bug too
            text = f"unformattable log record {record.msg!r}: {exc!r}"
            self.errors.append(text)
        leak = find_secret(text, self.secrets)
        if leak:
            self.leaks.append(f"log line: {leak}")
        if record.levelno >= logging.ERROR:
            self.errors.append(text[:2000])


@contextlib.contextmanager
def watching(name: str, secrets: set[str], level: int | None = None) -> Iterator[LogWatch]:
    """Watch the ``name`` logger (at ``level``, if given) for the duration of the block."""
    logger = logging.getLogger(name)
    watch = LogWatch(secrets)
    old = logger.level
    logger.addHandler(watch)
    if level is not None:
        logger.setLevel(level)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(old)
