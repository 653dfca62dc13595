"""The typed surface as a user meets it: small programs checked by ``mypy --strict``.

``good.py`` uses a sandbox client, lists with documented filters and options, gets one record
and reads typed attributes (ids without ``None``), and annotates a test with the pytest plugin's
fixtures: no error. ``bad.py`` misspells an option (``max_item=5``), a filter
(``selekt=``) and a client attribute (``sb.client("leanlaw").clientz``): exactly those three
errors. ``good.py`` is run against the sandbox too, so what type-checks also works. The typed
classes are generated from the declarations (``vendors/_typegen``): checked up to date here.

mypy comes with the ``test`` extra; ``VENDORKIT_TEST_MYPY`` may name another mypy command (a
development setup whose test environment has none).
"""

from __future__ import annotations

import asyncio
import os
import re
import runpy
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import vendorkit
from vendorkit._registry import REGISTRY
from vendorkit.vendors import _typegen

SOURCE_ROOT = Path(vendorkit.__file__).parent.parent

GOOD = """
from datetime import date
from decimal import Decimal
from typing import Any, assert_type

from vendorkit import LeanLaw, MakeLeaps
from vendorkit.sandbox import Sandbox
from vendorkit.sandbox.pytest_plugin import SandboxFactory
from vendorkit.vendors.leanlaw.models import Client, Matter
from vendorkit.vendors.makeleaps.models import Document


async def main() -> None:
    async with Sandbox(vendors=["leanlaw", "makeleaps"], records=12) as sb:
        ll = sb.client("leanlaw")
        assert_type(ll, LeanLaw)
        async with ll:
            clients = await ll.clients.list(select="contact", max_items=3, page_size=2).all()
            assert_type(clients, list[Client])
            name: str | None = clients[0].name
            pager = ll.matters.list(clientId=clients[0].id, select=["meta"], concurrency=2)
            ids = [m.id async for m in pager]
            first = (await ll.matters.list(max_items=1).all())[0]
            assert_type(first, Matter)
            assert_type(first.id, str | int)  # always sent: no None (kept as sent)
            one = await ll.matters.get(str(first.id), select="meta", params={"x": "1"})
            assert_type(one, Matter)
            raw = await ll.time_entries.list_raw(max_items=1, params={"undocumented": 1}).all()
            as_asked = bool(raw)  # raw= as a plain bool, decided at run time
            either = await ll.request("GET", "/v2/clients", params={"limit": 1}, raw=as_asked)
            assert either is not None
            assert_type(raw, list[dict[str, Any]])
            print(name, len(ids), one.raw is not None, len(raw))
        async with sb.client("makeleaps", timeout=5.0) as ml:
            assert_type(ml, MakeLeaps)
            docs = await ml.documents.list(
                document_type="invoice", date__gte=date(2020, 1, 1), max_items=2
            ).all()
            assert_type(docs, list[Document])
            mids: list[str] = [d.mid for d in docs]
            total: Decimal | None = docs[0].total if docs else None
            print(total, len(mids) == len(docs))


# The plugin's fixtures, as a test annotates them (not run here).
async def test_with_fixtures(
    vendorkit_sandbox: Sandbox, vendorkit_sandbox_factory: SandboxFactory
) -> None:
    other = await vendorkit_sandbox_factory(vendors=["leady"])
    assert_type(other, Sandbox)
    async with vendorkit_sandbox.client("leaddesk") as ld:
        contact = await ld.contacts.get(1)
        assert_type(contact.id, int)
"""

BAD = """
from vendorkit.sandbox import Sandbox


async def main() -> None:
    async with Sandbox(vendors=["leanlaw"]) as sb:
        async with sb.client("leanlaw") as ll:
            await ll.clients.list(max_item=5).all()
            await ll.matters.list(selekt="meta").all()
            await sb.client("leanlaw").clientz.list().all()
"""

# The adapters' own list methods (a child list, a relation, a list taking its parent
# positionally) take the same typed options and filters.
HELPERS_GOOD = """
from typing import assert_type

from vendorkit.sandbox import Sandbox
from vendorkit.vendors.leaddesk.models import User
from vendorkit.vendors.leady.models import Action, Session
from vendorkit.vendors.leanlaw.models import Matter
from vendorkit.vendors.makeleaps.models import Contact, PickupLink


async def main() -> None:
    async with Sandbox() as sb:
        async with sb.client("leady") as ld:
            site = (await ld.resources.list(max_items=1).all())[0]
            sessions = await ld.sessions.list(site, period_start="2024-01-01", max_items=2).all()
            assert_type(sessions, list[Session])
            raw = await ld.sessions.list_raw(resource=site.domain, max_items=1).all()
            by_name = await ld.sessions.list(domain=site.domain, max_items=1).all()
            if sessions:
                actions = await ld.sessions.actions(sessions[0], max_items=2).all()
                assert_type(actions, list[Action])
            print(len(raw), len(by_name))
        async with sb.client("makeleaps") as ml:
            client = (await ml.clients.list(max_items=1).all())[0]
            contacts = await ml.clients.contacts(client, search="a", page_size=5).all()
            assert_type(contacts, list[Contact])
            doc = (await ml.documents.list(max_items=1).all())[0]
            links = await ml.pickup_links.list(document=doc, max_items=1).all()
            assert_type(links, list[PickupLink])
        async with sb.client("leanlaw") as ll:
            owner = (await ll.clients.list(max_items=1).all())[0]
            matters = await ll.clients.matters(owner.id, select="meta", max_items=2).all()
            assert_type(matters, list[Matter])
        async with sb.client("leaddesk") as lk:
            campaign = (await lk.campaigns.list(max_items=1).all())[0]
            users = await lk.campaigns.users(campaign.id).list(active=True, max_items=2).all()
            assert_type(users, list[User])
"""

HELPERS_BAD = """
from vendorkit.sandbox import Sandbox


async def main() -> None:
    async with Sandbox() as sb:
        ld, ml = sb.client("leady"), sb.client("makeleaps")
        ll, lk = sb.client("leanlaw"), sb.client("leaddesk")
        ld.sessions.list("a.example", perod_start="2024-01-01")
        ld.sessions.actions(1, max_item=2)
        ml.clients.contacts("c", serch="a")
        ml.sending_orders.items("o", max_item=3)
        ml.pickup_links.list(documnt="d")
        ll.clients.matters(1, selec="meta")
        lk.campaigns.users(1).list(activ=True)
"""

EXPECTED_BAD = [
    'bad.py:8: error: Unexpected keyword argument "max_item" for "list" of "Clients"; '
    'did you mean "max_items"?  [call-arg]',
    'bad.py:9: error: Unexpected keyword argument "selekt" for "list" of "Matters"; '
    'did you mean "select"?  [call-arg]',
    'bad.py:10: error: "LeanLaw" has no attribute "clientz"; maybe "clients"?  [attr-defined]',
]


EXPECTED_HELPERS_BAD = [
    ("perod_start", "list", "Sessions", "period_start"),
    ("max_item", "actions", "Sessions", "max_items"),
    ("serch", "contacts", "Clients", "search"),
    ("max_item", "items", "SendingOrders", "max_items"),
    ("documnt", "list", "PickupLinks", "document"),
    ("selec", "matters", "Clients", "select"),
    ("activ", "list", "UsersRelation", "active"),
]


# Review 11: the options of ``Sandbox.client`` and ``from_env`` are the constructor's, typed as
# its keyword arguments are: each vendor's credentials and options, nothing misspelt; the
# sandbox factory fixture takes ``Sandbox``'s.
CONSTRUCTORS_GOOD = """
from typing import assert_type

from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
from vendorkit.core import BaseClient
from vendorkit.sandbox import FaultProfile, Sandbox
from vendorkit.sandbox.pytest_plugin import SandboxFactory


def build(sb: Sandbox, vendor: str) -> None:
    ml = sb.client("makeleaps", accept_language="ja", partner_mid="1", timeout=5.0)
    assert_type(ml, MakeLeaps)
    assert_type(sb.client("leanlaw", max_retries=0, rate_limit=None), LeanLaw)
    assert_type(sb.client("leady", token="t", max_quota_wait=None), Leady)
    assert_type(sb.client("leaddesk", leaddesk_client_id=7, user_agent="me"), LeadDesk)
    assert_type(sb.client(vendor, timeout=5.0), BaseClient)
    assert_type(MakeLeaps.from_env(accept_language="ja", max_retry_wait=2.0), MakeLeaps)
    assert_type(LeanLaw.from_env(api_key="k", timeout=5.0), LeanLaw)
    assert_type(Leady.from_env(token="t"), Leady)
    assert_type(LeadDesk.from_env(username="u", password="p", grant_type="password"), LeadDesk)


async def more(factory: SandboxFactory) -> None:
    faults = {"leady": FaultProfile(rate=0.1)}
    assert_type(await factory(vendors=["leady"], records=5, seed=1, faults=faults), Sandbox)
"""

CONSTRUCTORS_BAD = """
from vendorkit import LeadDesk, Leady, LeanLaw, MakeLeaps
from vendorkit.sandbox import Sandbox
from vendorkit.sandbox.pytest_plugin import SandboxFactory


def build(sb: Sandbox, vendor: str) -> None:
    sb.client("leanlaw", timout=5.0)
    sb.client("makeleaps", accept_languag="ja")
    sb.client(vendor, max_retrys=1)
    LeanLaw.from_env(timout=5.0)
    MakeLeaps.from_env(partner_mdi="1")
    Leady.from_env(max_retries="3")
    LeadDesk.from_env(usrname="u")


async def more(factory: SandboxFactory) -> None:
    await factory(vendor=["leady"])
"""

PROGRAMS = (
    "good.py",
    "bad.py",
    "helpers_good.py",
    "helpers_bad.py",
    "constructors_good.py",
    "constructors_bad.py",
)


def _mypy() -> list[str]:
    configured = os.environ.get("VENDORKIT_TEST_MYPY")
    return shlex.split(configured) if configured else [sys.executable, "-m", "mypy"]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Both programs checked in one mypy run: each file's error lines."""
    where = tmp_path_factory.mktemp("typing")
    (where / "good.py").write_text(textwrap.dedent(GOOD), encoding="utf-8")
    (where / "bad.py").write_text(textwrap.dedent(BAD), encoding="utf-8")
    (where / "helpers_good.py").write_text(textwrap.dedent(HELPERS_GOOD), encoding="utf-8")
    (where / "helpers_bad.py").write_text(textwrap.dedent(HELPERS_BAD), encoding="utf-8")
    (where / "constructors_good.py").write_text(CONSTRUCTORS_GOOD, encoding="utf-8")
    (where / "constructors_bad.py").write_text(CONSTRUCTORS_BAD, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(SOURCE_ROOT)}
    run = subprocess.run(
        [
            *_mypy(),
            "--strict",
            "--show-error-codes",
            "--config-file",
            os.devnull,
            "--cache-dir",
            str(where / ".mypy_cache"),
            *PROGRAMS,
        ],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # mypy's own summary line, so a mypy that did not run (not installed) cannot pass
    summary = re.search(r"^(Found \d+ errors? in \d+ files?|Success:)", run.stdout, re.M)
    assert run.returncode in (0, 1) and summary, run.stdout + run.stderr
    errors: dict[str, list[str]] = {name: [] for name in PROGRAMS}
    for line in run.stdout.splitlines():
        match = re.match(r"(\w+\.py):\d+: error: ", line)
        if match:
            errors.setdefault(match.group(1), []).append(line)
    return errors


def test_a_typed_program_passes_mypy_strict(checked: dict[str, list[str]]) -> None:
    assert checked["good.py"] == []


def test_a_misspelt_option_filter_and_attribute_are_exactly_three_errors(
    checked: dict[str, list[str]],
) -> None:
    assert checked["bad.py"] == EXPECTED_BAD


def test_the_adapters_own_list_methods_are_typed_too(checked: dict[str, list[str]]) -> None:
    assert checked["helpers_good.py"] == []
    expected = [
        f'helpers_bad.py:{line}: error: Unexpected keyword argument "{wrong}" for "{method}" of '
        f'"{cls}"; did you mean "{right}"?  [call-arg]'
        for line, (wrong, method, cls, right) in enumerate(EXPECTED_HELPERS_BAD, start=9)
    ]
    assert checked["helpers_bad.py"] == expected


def test_sandbox_client_and_from_env_options_are_typed_as_the_constructors(
    checked: dict[str, list[str]],
) -> None:
    assert checked["constructors_good.py"] == []
    # Every bad line is an error naming the misspelt keyword (an overloaded ``Sandbox.client``
    # adds that no variant matches) or the wrong type; nothing else is.
    by_line: dict[int, str] = {}
    for line in checked["constructors_bad.py"]:
        number = int(line.split(":")[1])
        by_line[number] = by_line.get(number, "") + line
    assert sorted(by_line) == [*range(8, 15), 18], checked["constructors_bad.py"]
    expected = {
        8: '"timout" for overloaded function "client" of "Sandbox"; did you mean "timeout"?',
        9: '"accept_languag" for overloaded function "client" of "Sandbox"; did you mean '
        '"accept_language"?',
        10: '"max_retrys" for overloaded function "client" of "Sandbox"; did you mean '
        '"max_retries"?',
        11: '"timout" for "from_env" of "LeanLaw"; did you mean "timeout"?',
        12: '"partner_mdi" for "from_env" of "MakeLeaps"; did you mean "partner_mid"?',
        13: 'Argument "max_retries" to "from_env" of "Leady" has incompatible type "str"',
        14: '"usrname" for "from_env" of "LeadDesk"; did you mean "username"?',
        18: '"vendor" for "__call__" of "SandboxFactory"; did you mean "vendors"?',
    }
    for number, text in expected.items():
        assert text in by_line[number], by_line[number]


def test_the_typed_helpers_program_runs_against_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "helpers_good.py"
    path.write_text(textwrap.dedent(HELPERS_GOOD), encoding="utf-8")
    asyncio.run(runpy.run_path(str(path))["main"]())
    assert capsys.readouterr().out.count("\n") == 1


def test_the_typed_program_runs_against_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "good.py"
    path.write_text(textwrap.dedent(GOOD), encoding="utf-8")
    main = runpy.run_path(str(path))["main"]
    asyncio.run(main())
    assert capsys.readouterr().out.count("\n") == 2


@pytest.mark.parametrize("vendor", sorted(REGISTRY))
def test_the_typed_classes_are_generated_from_the_declarations(vendor: str) -> None:
    typed = Path(_typegen.__file__).parent / vendor / "_typed.py"
    assert typed.read_text(encoding="utf-8") == _typegen.render_typed(vendor), (
        "run python -m vendorkit.vendors._typegen"
    )


@pytest.mark.parametrize("vendor", sorted(REGISTRY))
def test_the_vendor_page_lists_the_declared_filters(vendor: str) -> None:
    page = SOURCE_ROOT / "docs" / "vendors" / f"{vendor}.md"
    text = page.read_text(encoding="utf-8")
    assert _typegen.docs_with_table(vendor, text) == text, (
        "run python -m vendorkit.vendors._typegen"
    )
