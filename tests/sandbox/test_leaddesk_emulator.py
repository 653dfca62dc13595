"""The LeadDesk emulator against ``leaddesk.txt``, with plain aiohttp (no vendorkit client).

Grants and rotation, the collection envelope and its paging, objects with ``_links``, the CRUD
status codes, the relation verbs, each error body, the throttle and determinism.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from vendorkit.sandbox import Sandbox
from vendorkit.sandbox.vendors.leaddesk import LeadDeskEmulator

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(vendors=["leaddesk"], records=60, seed=3) as sandbox:
        yield sandbox


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def emu(sb: Sandbox) -> LeadDeskEmulator:
    e = sb.emulator("leaddesk")
    assert isinstance(e, LeadDeskEmulator)
    return e


def client_fields(sb: Sandbox) -> dict[str, Any]:
    c = sb.credentials("leaddesk")
    return {"client_id": c["client_id"], "client_secret": c["client_secret"]}


async def token_call(
    http: aiohttp.ClientSession, sb: Sandbox, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with http.post(sb.url("leaddesk") + "/oauth/access-token", json=body) as r:
        assert r.content_type == "application/json"
        return r.status, await r.json()


async def password_token(http: aiohttp.ClientSession, sb: Sandbox) -> dict[str, Any]:
    body = {"grant_type": "password", **client_fields(sb), **sb.login("leaddesk")}
    status, data = await token_call(http, sb, body)
    assert status == 200, data
    return data


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


async def call(
    http: aiohttp.ClientSession,
    sb: Sandbox,
    token: dict[str, Any],
    method: str,
    path: str,
    **kwargs: Any,
) -> tuple[int, Any]:
    headers = {**bearer(token), **kwargs.pop("headers", {})}
    async with http.request(method, sb.url("leaddesk") + path, headers=headers, **kwargs) as r:
        text = await r.text()
        if r.status == 204:
            assert text == ""
            return 204, None
        assert r.content_type == "application/json", text
        return r.status, await r.json()


# -- grants ----------------------------------------------------------------------------------


def assert_token_shape(data: dict[str, Any]) -> None:
    assert set(data) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 3600
    assert data["access_token"] != data["refresh_token"]


async def test_password_grant(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    data = await password_token(http, sb)
    assert_token_shape(data)
    assert emu(sb).counters.token_requests["password"] == 1
    status, body = await call(http, sb, data, "GET", "/users")
    assert status == 200 and body["collection"]


async def test_leaddesk_client_id_grant(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    body = {"grant_type": "leaddesk_client_id", **client_fields(sb), "leaddesk_client_id": 1}
    status, data = await token_call(http, sb, body)
    assert status == 200, data
    assert_token_shape(data)
    assert emu(sb).counters.token_requests["leaddesk_client_id"] == 1
    assert (await call(http, sb, data, "GET", "/campaigns"))[0] == 200


async def test_client_user_grant(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    user = list(emu(sb).store["users"].values())[3]["username"]
    body = {
        "grant_type": "client_user",
        **client_fields(sb),
        "username": user,
        "leaddesk_client_id": 1,
    }
    status, data = await token_call(http, sb, body)
    assert status == 200, data
    assert_token_shape(data)
    assert emu(sb).counters.token_requests["client_user"] == 1
    assert (await call(http, sb, data, "GET", "/contacts"))[0] == 200


async def test_a_client_user_grant_with_a_username_that_is_not_text_is_refused(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    """An OAuth error, not a 500 (found in review: an unhashable username crashed the check)."""
    body = {
        "grant_type": "client_user",
        **client_fields(sb),
        "username": ["a", "b"],
        "leaddesk_client_id": 1,
    }
    status, data = await token_call(http, sb, body)
    assert (status, data["error"]) == (401, "invalid_credentials")


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"password": "wrong"}, 401, "invalid_credentials"),
        ({"password": None}, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
async def test_token_errors(
    sb: Sandbox, http: aiohttp.ClientSession, change: dict[str, Any], status: int, error: str
) -> None:
    body = {"grant_type": "password", **client_fields(sb), **sb.login("leaddesk"), **change}
    got, data = await token_call(http, sb, {k: v for k, v in body.items() if v is not None})
    assert (got, data["error"]) == (status, error)
    assert data["error_description"]


async def test_foreign_leaddesk_client_is_refused(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    body = {"grant_type": "leaddesk_client_id", **client_fields(sb), "leaddesk_client_id": 7}
    status, data = await token_call(http, sb, body)
    assert (status, data["error"]) == (403, "access_denied")


async def test_refresh_rotates_and_kills_the_old_pair(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    first = await password_token(http, sb)
    body = {"grant_type": "refresh_token", **client_fields(sb)}
    status, second = await token_call(http, sb, {**body, "refresh_token": first["refresh_token"]})
    assert status == 200, second
    assert_token_shape(second)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert emu(sb).counters.token_requests["refresh_token"] == 1
    # The old access token and the old refresh token are dead; the new ones work.
    status, err = await call(http, sb, first, "GET", "/users")
    assert (status, err["error"]) == (401, "access_denied")
    status, err = await token_call(http, sb, {**body, "refresh_token": first["refresh_token"]})
    assert (status, err["error"]) == (400, "invalid_request")
    assert (await call(http, sb, second, "GET", "/users"))[0] == 200
    status, third = await token_call(http, sb, {**body, "refresh_token": second["refresh_token"]})
    assert status == 200 and (await call(http, sb, third, "GET", "/users"))[0] == 200


async def test_expired_and_missing_tokens(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    emu(sb).tokens.expire_all()
    status, err = await call(http, sb, token, "GET", "/users")
    assert (status, err["error"]) == (401, "access_denied")
    async with http.get(sb.url("leaddesk") + "/users") as r:
        assert r.status == 401
        assert (await r.json())["error"] == "access_token_missing"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_token_endpoint_wants_json(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    url = sb.url("leaddesk") + "/oauth/access-token"
    async with http.post(url, data="{grant_type: password", headers=JSON) as r:
        assert r.status == 415
        assert (await r.json())["error"] == "malformed_json"


# -- envelopes and paging ----------------------------------------------------------------------


async def test_collection_envelope_and_paging_to_the_end(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await password_token(http, sb)
    store = emu(sb).store["contacts"]
    seen: list[int] = []
    url: str | None = sb.url("leaddesk") + "/contacts?per_page=7"
    pages = 0
    while url:
        async with http.get(url, headers=bearer(token)) as r:
            assert r.status == 200
            body = await r.json()
        assert set(body) == {"collection", "_links", "_meta"}
        assert body["_meta"] == {"total": len(store)}
        links = body["_links"]
        assert links["self"].startswith(sb.url("leaddesk") + "/contacts")
        assert ("prev" in links) == (pages > 0)
        seen.extend(c["id"] for c in body["collection"])
        assert len(body["collection"]) <= 7
        url = links.get("next")
        pages += 1
    assert seen == list(store)
    assert pages == -(-len(store) // 7)


async def test_default_and_maximum_page_size(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    status, body = await call(http, sb, token, "GET", "/contacts")
    assert status == 200 and len(body["collection"]) == 25
    status, body = await call(http, sb, token, "GET", "/contacts?per_page=500")
    assert status == 200 and len(body["collection"]) == 60 and "next" not in body["_links"]
    status, body = await call(http, sb, token, "GET", "/contacts?page=9")
    assert status == 200 and body["collection"] == [] and body["_meta"]["total"] == 60


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("per_page=0", "per_page", "The per page must be at least 1."),
        ("per_page=501", "per_page", "The per page may not be greater than 500."),
        ("page=x", "page", "The page must be an integer."),
    ],
)
async def test_paging_validation(
    sb: Sandbox, http: aiohttp.ClientSession, query: str, field: str, message: str
) -> None:
    token = await password_token(http, sb)
    status, body = await call(http, sb, token, "GET", f"/users?{query}")
    assert status == 422
    assert body == {
        "error": "validation_failed",
        "error_description": "Parameter validation failed",
        "error_validation": {field: [message]},
    }


async def test_object_at_the_root_with_links(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    campaign_id = next(iter(emu(sb).store["campaigns"]))
    status, body = await call(http, sb, token, "GET", f"/campaigns/{campaign_id}")
    assert status == 200
    assert body["id"] == campaign_id
    base = f"{sb.url('leaddesk')}/campaigns/{campaign_id}"
    assert body["_links"] == {
        "self": base,
        "users": base + "/users",
        "products": base + "/products",
        "contact_lists": base + "/contact_lists",
    }
    assert {k: v for k, v in body.items() if k != "_links"} == (
        emu(sb).store["campaigns"][campaign_id]
    )


async def test_filters_on_own_fields(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    campaign_id = next(iter(emu(sb).store["campaigns"]))
    status, body = await call(
        http, sb, token, "GET", f"/calls?campaign_id={campaign_id}&per_page=500"
    )
    expected = [c["id"] for c in emu(sb).store["calls"].values() if c["campaign_id"] == campaign_id]
    assert status == 200 and expected
    assert [c["id"] for c in body["collection"]] == expected
    assert body["_meta"]["total"] == len(expected)


# -- CRUD ----------------------------------------------------------------------------------------


async def test_create_get_update_delete(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    writes = emu(sb).counters.total_writes
    status, created = await call(
        http, sb, token, "POST", "/users", json={"username": "example", "first_name": "Ella"}
    )
    assert status == 200 and set(created) == {"id"}
    uid = created["id"]
    status, user = await call(http, sb, token, "GET", f"/users/{uid}")
    assert status == 200 and user["username"] == "example" and user["first_name"] == "Ella"
    status, none = await call(http, sb, token, "PATCH", f"/users/{uid}", json={"last_name": "Aho"})
    assert (status, none) == (204, None)
    status, user = await call(http, sb, token, "GET", f"/users/{uid}")
    assert (user["first_name"], user["last_name"]) == ("Ella", "Aho")
    assert (await call(http, sb, token, "DELETE", f"/users/{uid}"))[0] == 204
    status, err = await call(http, sb, token, "GET", f"/users/{uid}")
    assert (status, err["error"]) == (404, "user_not_found")
    status, err = await call(http, sb, token, "DELETE", f"/users/{uid}")
    assert (status, err["error"]) == (404, "user_not_found")
    assert emu(sb).counters.total_writes == writes + 3


async def test_validation_error_body(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    taken = next(iter(emu(sb).store["users"].values()))["username"]
    status, body = await call(http, sb, token, "POST", "/users", json={"email": "nope"})
    assert status == 422 and body["error"] == "validation_failed"
    assert body["error_validation"] == {
        "username": ["The username field is required."],
        "email": ["The email must be a valid email address."],
    }
    status, body = await call(http, sb, token, "POST", "/users", json={"username": taken})
    assert status == 422
    assert body["error_validation"] == {"username": ["The username has already been taken."]}
    status, body = await call(
        http, sb, token, "POST", "/products", json={"name": "X", "price": "a"}
    )
    assert body["error_validation"] == {"price": ["The price must be a number."]}


async def test_malformed_and_foreign_bodies_are_415(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await password_token(http, sb)
    status, body = await call(
        http, sb, token, "POST", "/users", data='{"username": "x",', headers=JSON
    )
    assert (status, body["error"]) == (415, "malformed_json")
    assert body["error_description"]
    status, body = await call(
        http, sb, token, "POST", "/users", data="username=x", headers={"Content-Type": "text/plain"}
    )
    assert (status, body["error"]) == (415, "unsupported_media_type")


async def test_unsupported_method_and_unknown_path(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    token = await password_token(http, sb)
    call_id = next(iter(emu(sb).store["calls"]))
    status, body = await call(http, sb, token, "DELETE", f"/calls/{call_id}")
    assert (status, body["error"]) == (405, "method_not_allowed")
    status, body = await call(http, sb, token, "PUT", "/users/1001", json={"username": "x"})
    assert status == 405 and "error_description" in body
    status, body = await call(http, sb, token, "GET", "/nothing-here")
    assert (status, body["error"]) == (404, "not_found")


# -- relations -----------------------------------------------------------------------------------


async def relation_ids(
    http: aiohttp.ClientSession, sb: Sandbox, token: dict[str, Any], path: str
) -> list[int]:
    status, body = await call(http, sb, token, "GET", f"{path}?per_page=500")
    assert status == 200
    return [r["id"] for r in body["collection"]]


async def test_campaign_users_add_replace_remove(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    e = emu(sb)
    cid = next(iter(e.store["campaigns"]))
    path = f"/campaigns/{cid}/users"
    before = await relation_ids(http, sb, token, path)
    assert before == list(e.relations["campaigns.users"][cid])
    others = [u for u in e.store["users"] if u not in before][:2]
    # POST adds, keeping what is there; adding an existing one does nothing.
    body = [{"id": before[0]}, *({"id": u} for u in others)]
    assert await call(http, sb, token, "POST", path, json=body) == (204, None)
    assert await relation_ids(http, sb, token, path) == [*before, *others]
    # PATCH replaces.
    assert await call(http, sb, token, "PATCH", path, json=[{"id": others[1]}]) == (204, None)
    assert await relation_ids(http, sb, token, path) == [others[1]]
    # DELETE removes one; a second time it is not there.
    assert await call(http, sb, token, "DELETE", f"{path}/{others[1]}") == (204, None)
    assert await relation_ids(http, sb, token, path) == []
    status, err = await call(http, sb, token, "DELETE", f"{path}/{others[1]}")
    assert (status, err["error"]) == (404, "user_not_found")
    # DELETE on the relation itself takes the same array body.
    assert await call(http, sb, token, "POST", path, json=[{"id": u} for u in others]) == (
        204,
        None,
    )
    assert await call(http, sb, token, "DELETE", path, json=[{"id": others[0]}]) == (204, None)
    assert await relation_ids(http, sb, token, path) == [others[1]]
    status, err = await call(http, sb, token, "DELETE", path)
    assert (status, err["error"]) == (422, "validation_failed")
    assert await relation_ids(http, sb, token, path) == [others[1]]


async def test_relation_validation(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    cid = next(iter(emu(sb).store["campaigns"]))
    path = f"/campaigns/{cid}/products"
    before = await relation_ids(http, sb, token, path)
    status, body = await call(http, sb, token, "PATCH", path, json=[{"id": 999999}, {"x": 1}])
    assert status == 422
    assert body["error_validation"] == {
        "0.id": ["The selected 0.id is invalid."],
        "1.id": ["The 1.id field is required."],
    }
    assert await relation_ids(http, sb, token, path) == before
    status, body = await call(http, sb, token, "GET", "/campaigns/1/products")
    assert (status, body["error"]) == (404, "campaign_not_found")


async def test_relations_through_the_parent(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    e = emu(sb)
    cid = next(iter(e.store["campaigns"]))
    products = list(e.store["products"])
    body = {"products": [{"id": products[0]}, {"id": products[1]}]}
    assert await call(http, sb, token, "PATCH", f"/campaigns/{cid}", json=body) == (204, None)
    path = f"/campaigns/{cid}/products"
    assert await relation_ids(http, sb, token, path) == products[:2]
    body = {"products": [{"id": products[2]}]}
    assert await call(http, sb, token, "POST", f"/campaigns/{cid}", json=body) == (204, None)
    assert await relation_ids(http, sb, token, path) == products[:3]


async def test_contact_list_contacts(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    token = await password_token(http, sb)
    e = emu(sb)
    lid = next(iter(e.store["contact_lists"]))
    path = f"/contact_lists/{lid}/contacts"
    members = await relation_ids(http, sb, token, path)
    assert members == list(e.relations["contact_lists.contacts"].get(lid, {}))
    status, created = await call(
        http, sb, token, "POST", "/contacts", json={"phone": "+358401234567"}
    )
    assert status == 200
    assert await call(http, sb, token, "POST", path, json=[{"id": created["id"]}]) == (204, None)
    assert await relation_ids(http, sb, token, path) == [*members, created["id"]]
    status, one = await call(http, sb, token, "GET", f"{path}/{created['id']}")
    assert status == 200 and one["phone"] == "+358401234567"
    # Deleting the contact removes it from the list too.
    assert (await call(http, sb, token, "DELETE", f"/contacts/{created['id']}"))[0] == 204
    assert await relation_ids(http, sb, token, path) == members


# -- throttle and determinism ------------------------------------------------------------------


async def test_throttle_answers_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    async with Sandbox(vendors=["leaddesk"], records=10, quotas={"leaddesk": "3/second"}) as sb:
        token = await password_token(http, sb)  # the first of three
        statuses = []
        for _ in range(3):
            async with http.get(sb.url("leaddesk") + "/users", headers=bearer(token)) as r:
                statuses.append(r.status)
                if r.status == 429:
                    assert float(r.headers["Retry-After"]) >= 1
                    body = await r.json()
                    assert body["error"] == "too_many_requests" and body["error_description"]
        assert statuses == [200, 200, 429]
        assert sb.emulator("leaddesk").counters.throttled == 1


def test_default_quota_is_none() -> None:
    assert LeadDeskEmulator.default_quota is None


async def test_same_seed_same_data() -> None:
    a = LeadDeskEmulator(records=40, seed=11)
    b = LeadDeskEmulator(records=40, seed=11)
    c = LeadDeskEmulator(records=40, seed=12)
    assert a.store == b.store and a.relations == b.relations
    assert a.credentials("http://x") == b.credentials("http://x")
    assert a.store != c.store
    a.store["users"].clear()
    a.reset()
    assert a.store == b.store
    assert all(
        u["created_at"].endswith("+00:00") for u in a.store["users"].values()
    ) and a.login() == {"username": a.username, "password": a.password}
