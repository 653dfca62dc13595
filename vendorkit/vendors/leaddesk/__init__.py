"""LeadDesk (contact-centre dialer): ``LeadDesk(client_id=, client_secret=, username=,
password=)`` and the other OAuth2 grants."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Unpack, cast

from vendorkit.core import (
    BaseClient,
    ClientAPI,
    ClientOptions,
    CreateMixin,
    DeleteMixin,
    GetMixin,
    ListMixin,
    OAuth2,
    Pager,
    Record,
    UpdateMixin,
    checked_list_call,
    lenient_structure,
    path_segment,
    resource,
)
from vendorkit.errors import APIError, ConfigurationError

from . import models
from ._spec import ENDPOINTS, RELATIONS, SPEC, TOKEN_PATH, parse_error

if TYPE_CHECKING:
    from . import _typed

__all__ = [
    "Calls",
    "Campaigns",
    "ContactLists",
    "LeadDesk",
    "LeadDeskOptions",
    "LeadDeskResource",
    "Relation",
    "models",
]

log = logging.getLogger("vendorkit")


class LeadDeskOptions(ClientOptions, total=False):
    """``LeadDesk``'s keyword arguments, as ``from_env`` overrides and ``Sandbox.client`` options
    take them (each optional there): typed, so a misspelt one is a type error."""

    client_id: str
    client_secret: str
    username: str | None
    password: str | None
    leaddesk_client_id: int | str | None
    grant_type: str | None


T = TypeVar("T")

# ``None`` is accepted by the types (a model's ``id`` is optional) and refused at run time.
RelatedId = int | str | Record | Mapping[str, Any] | None

_NAME_BY_PATH = {endpoint.path: name for name, endpoint in ENDPOINTS.items()}


class Calls(ListMixin[models.Call], GetMixin[models.Call]):
    """The dialer's call log: list and get (read-only, assumed: the docs name no writes)."""


class LeadDeskResource(
    ListMixin[T],
    GetMixin[T],
    CreateMixin[T],
    UpdateMixin[T],
    DeleteMixin[T],
    Generic[T],
):
    """list, get, create, update (PATCH), delete.

    LeadDesk answers a create with ``200 {"id": N}`` (possibly with more values; the id is always
    there) and an update with ``204``: both are read back with a GET, so they return the record.
    """

    def _created_id(self, payload: Any) -> Any:
        if isinstance(payload, dict) and payload.get("id") is not None:
            return payload["id"]
        return None

    def _relation(self, parent_id: Any, name: str) -> Relation[Any]:
        parent = _NAME_BY_PATH[self._endpoint.path]
        related = RELATIONS[parent][name]
        model = ENDPOINTS[related].model
        parent_path = f"{self._endpoint.path}/{path_segment(parent_id)}"
        client = self._client
        assert isinstance(client, LeadDesk)
        return Relation(
            client,
            parent_path,
            name,
            model,
            f"{self.name}.{name}",
            client._relation_forms,
            filters=ENDPOINTS[related].filters,
        )


_IdObjects = list[dict[str, Any]]

#: Statuses meaning "this server does not take that form of the request" (no such route, or not
#: that method on it): the other documented form is tried.
_OTHER_FORM = frozenset({404, 405})


class Relation(Generic[T]):
    """The records related to one parent, e.g. ``campaigns/<id>/users``.

    ```python
    users = await ld.campaigns.users(7).list().all()   # the related records (paged)
    await ld.campaigns.users(7).add([3, 4])     # POST campaigns/7 {"users": [{"id": 3}, {"id": 4}]}
    await ld.campaigns.users(7).replace([3])    # PATCH campaigns/7/users [{"id": 3}]
    await ld.campaigns.users(7).remove([4])     # DELETE campaigns/7/users/4, one per id
    ```

    Ids may be given as ints, records or ``{"id": ..}`` dicts, one or many.

    The writes are the requests LeadDesk documents. Adding is ``POST <parent> {"<relation>":
    [{"id": ..}]}`` (the docs' only example of a POST on a relation); replacing is ``PATCH
    <parent>/<relation> [{"id": ..}]``, which the docs call identical to ``PATCH <parent>
    {"<relation>": [..]}``. A server that answers 404 or 405 to one form gets the other one
    (``POST <parent>/<relation> [..]``, the contract's "POST on a relation adds"; ``PATCH <parent>
    {..}``), and the form that worked goes first from then on. PATCH goes to the sub-resource
    first because a server that does not take relation keys on the parent could store
    ``{"users": ..}`` as a plain field and answer 204 with the relation unchanged.
    """

    def __init__(
        self,
        client: ClientAPI,
        parent_path: str,
        key: str,
        model: type[Any] | None,
        name: str,
        forms: dict[str, str] | None = None,
        *,
        filters: frozenset[str] = frozenset(),
    ) -> None:
        self._client = client
        # The related resource's filters (LeadDesk filters a list by any property).
        self._filters = filters
        # The form each write took on this server (kept per client, see ``LeadDesk``).
        self._forms: dict[str, str] = {} if forms is None else forms
        self.parent_path = parent_path
        self.key = key
        self.path = f"{parent_path}/{key}"
        self._model = model
        self.name = name

    def __repr__(self) -> str:
        return f"<{self._client.spec.name}.{self.name} {self.path}>"

    def _record(self, data: Any) -> T:
        if self._model is None:
            return data  # type: ignore[no-any-return]
        return lenient_structure(self._client.converter, data, self._model)  # type: ignore[no-any-return]

    def list(self, **params: Any) -> Pager[T]:
        """The related records, across all pages: the options and filters of the related
        resource's ``list()`` (anything else is a ``ConfigurationError``)."""
        query, pager_args, headers = checked_list_call(
            f"{self._client.spec.name} {self.name}.list()",
            params,
            filters=self._filters,
            paginator=self._client.spec.paginator,
        )
        return self._client.walk(
            self.path, query, transform=self._record, headers=headers, **pager_args
        )

    async def _write(self, method: str, items: _IdObjects) -> None:
        forms: list[tuple[str, str, Any]] = [
            ("parent", self.parent_path, {self.key: items}),
            ("sub", self.path, items),
        ]
        if method != "POST":
            forms.reverse()
        # The form this server took before (kept per client) is the only one tried: a 404 on it
        # is a real "not found".
        learned = self._forms
        slot = f"{method} {self.parent_path.rpartition('/')[0]}/{self.key}"
        if slot in learned:
            forms = [f for f in forms if f[0] == learned[slot]]
        first: APIError | None = None
        for form, path, body in forms:
            try:
                await self._client.send_json(method, self._client.url_for(path), json=body)
            except APIError as exc:
                if exc.status not in _OTHER_FORM:
                    raise
                if first is None:
                    log.debug(
                        "vendorkit: leaddesk %s %s answered %s; trying the other documented form",
                        method,
                        path,
                        exc.status,
                    )
                    first = exc
                    continue
                # Neither form was taken: a 404 (no such parent) says more than a 405.
                raise (first if first.status == 404 or exc.status != 404 else exc) from None
            learned[slot] = form
            return
        if first is not None:
            raise first

    async def add(self, ids: RelatedId | Iterable[RelatedId]) -> None:
        """Relate these records too (POST): those already related are left as they are."""
        body = _id_objects(ids)
        if not body:
            return
        await self._write("POST", body)

    async def replace(self, ids: RelatedId | Iterable[RelatedId]) -> None:
        """Relate exactly these records (PATCH): every other relation is removed. ``[]`` clears."""
        await self._write("PATCH", _id_objects(ids))

    async def remove(self, ids: RelatedId | Iterable[RelatedId]) -> None:
        """Remove these relations: one ``DELETE <relation>/<id>`` each, in order (the docs:
        "the URI itself will describe what should be removed"). A record that is not related
        raises ``NotFoundError``."""
        for item in _id_objects(ids):
            url = self._client.url_for(f"{self.path}/{path_segment(item['id'])}")
            await self._client.send_json("DELETE", url)


def _id_of(value: RelatedId) -> Any:
    if isinstance(value, Record):
        ident = getattr(value, "id", None)
        if ident is None:
            ident = value.raw.get("id")
    elif isinstance(value, Mapping):
        ident = value.get("id")
    else:
        ident = value
    if ident is None or isinstance(ident, bool) or not isinstance(ident, int | str):
        raise ConfigurationError(f"not an id: a {type(ident).__name__}")
    if isinstance(ident, str) and ident.isascii() and ident.isdigit():
        return int(ident)
    return ident


def _id_objects(ids: RelatedId | Iterable[RelatedId]) -> list[dict[str, Any]]:
    """``[{"id": 1}, {"id": 2}]``: the body LeadDesk's relation endpoints take."""
    if ids is None or isinstance(ids, int | str | Record | Mapping):
        items: list[RelatedId] = [ids]
    elif isinstance(ids, Iterable):
        items = list(ids)
    else:
        raise ConfigurationError(
            f"expected an id, a record or an iterable of them, not a {type(ids).__name__}"
        )
    return [{"id": _id_of(i)} for i in items]


if TYPE_CHECKING:
    # For type checkers only: each relation's ``list()`` takes the related resource's options
    # and filters (at run time ``Relation.list`` checks the same names).

    class UsersRelation(Relation[models.User]):
        def list(self, **params: Unpack[_typed.UsersListArgs]) -> Pager[models.User]: ...  # type: ignore[override]

    class ProductsRelation(Relation[models.Product]):
        def list(self, **params: Unpack[_typed.ProductsListArgs]) -> Pager[models.Product]: ...  # type: ignore[override]

    class ContactListsRelation(Relation[models.ContactList]):
        def list(  # type: ignore[override]
            self, **params: Unpack[_typed.ContactListsListArgs]
        ) -> Pager[models.ContactList]: ...

    class ContactsRelation(Relation[models.Contact]):
        def list(self, **params: Unpack[_typed.ContactsListArgs]) -> Pager[models.Contact]: ...  # type: ignore[override]


class Campaigns(LeadDeskResource[models.Campaign]):
    """Campaigns, and their users, products and contact lists."""

    def users(self, campaign_id: int | str) -> UsersRelation:
        """The agents assigned to a campaign: ``campaigns/<id>/users``."""
        return cast("UsersRelation", self._relation(campaign_id, "users"))

    def products(self, campaign_id: int | str) -> ProductsRelation:
        """The products sold in a campaign: ``campaigns/<id>/products``."""
        return cast("ProductsRelation", self._relation(campaign_id, "products"))

    def contact_lists(self, campaign_id: int | str) -> ContactListsRelation:
        """The contact lists a campaign calls: ``campaigns/<id>/contact_lists``."""
        return cast("ContactListsRelation", self._relation(campaign_id, "contact_lists"))


class ContactLists(LeadDeskResource[models.ContactList]):
    """Contact lists, and the contacts in each."""

    def contacts(self, contact_list_id: int | str) -> ContactsRelation:
        """The contacts of a list: ``contact_lists/<id>/contacts``."""
        return cast("ContactsRelation", self._relation(contact_list_id, "contacts"))


#: Each initial grant and the fields it sends (besides client_id and client_secret).
GRANTS: dict[str, tuple[str, ...]] = {
    "password": ("username", "password"),
    "leaddesk_client_id": ("leaddesk_client_id",),
    "client_user": ("username", "leaddesk_client_id"),
}


def _grant(
    username: str | None,
    password: str | None,
    leaddesk_client_id: int | str | None,
    grant_type: str | None = None,
) -> dict[str, Any]:
    """The initial grant: ``grant_type`` if given, else the one the credentials select
    (username and password: ``password``; username and leaddesk_client_id: ``client_user``;
    leaddesk_client_id alone: ``leaddesk_client_id``)."""
    ld_client: int | str | None = leaddesk_client_id
    if isinstance(ld_client, bool) or not isinstance(ld_client, int | str | None):
        raise ConfigurationError(f"leaddesk_client_id must be an integer, not {ld_client!r}")
    if isinstance(ld_client, str):
        ld_client = ld_client.strip()
        if any(c.isdigit() and not c.isascii() for c in ld_client):
            # "١٢" or "²": digits of another script are not the integer the docs show; sending
            # them as text or reading them as 12 would both be a guess.
            raise ConfigurationError(f"leaddesk_client_id {ld_client!r} is not an integer")
        digits = ld_client.isascii() and ld_client.isdigit()
        ld_client = int(ld_client) if digits else (ld_client or None)
    for name, text in (("username", username), ("password", password)):
        # sent as JSON as given: a number (a config file's 1234) would go out as one, and a
        # non-text password would escape the scrubbing of known secrets
        if text is not None and not isinstance(text, str):
            raise ConfigurationError(
                f"LeadDesk {name}= must be a string, not a {type(text).__name__}"
            )
    values: dict[str, Any] = {
        "username": username or None,
        "password": password or None,
        "leaddesk_client_id": ld_client,
    }
    if not grant_type:
        if username and password:
            grant_type = "password"
        elif ld_client is not None and username:
            grant_type = "client_user"
        elif ld_client is not None:
            grant_type = "leaddesk_client_id"
        else:
            raise ConfigurationError(
                "LeadDesk needs one of: username= and password= (password grant); "
                "leaddesk_client_id= (leaddesk_client_id grant); username= and "
                "leaddesk_client_id= (client_user grant)"
            )
    if grant_type not in GRANTS:
        raise ConfigurationError(
            f"unknown LeadDesk grant_type {grant_type!r}; known: {', '.join(GRANTS)}"
        )
    missing = [f"{f}=" for f in GRANTS[grant_type] if values[f] is None]
    if missing:
        raise ConfigurationError(f"the LeadDesk {grant_type} grant needs {' and '.join(missing)}")
    return {"grant_type": grant_type, **{f: values[f] for f in GRANTS[grant_type]}}


class LeadDesk(BaseClient):
    """LeadDesk's REST API (``stable``), OAuth2 with the grant the credentials select:

    - ``LeadDesk(client_id=, client_secret=, username=, password=)``: password grant;
    - ``LeadDesk(client_id=, client_secret=, leaddesk_client_id=)``: leaddesk_client_id grant;
    - ``LeadDesk(client_id=, client_secret=, username=, leaddesk_client_id=)``: client_user grant.

    ``grant_type=`` picks one explicitly where more credentials are given than one grant needs
    (by default username and password mean the password grant).

    Tokens are obtained on first use (one request however many tasks start at once), renewed
    with the ``refresh_token`` grant when they expire (LeadDesk rotates: the new refresh token
    replaces the old one, which dies with its access token), and obtained afresh with the
    original grant if a refresh is refused.
    """

    spec = SPEC
    env_fields = (
        ("client_id", True),
        ("client_secret", True),
        ("username", False),
        ("password", False),
        ("leaddesk_client_id", False),
        ("grant_type", False),
    )

    users: _typed.Users = resource(ENDPOINTS["users"], LeadDeskResource)
    campaigns: _typed.Campaigns = resource(ENDPOINTS["campaigns"], Campaigns)
    contact_lists: _typed.ContactLists = resource(ENDPOINTS["contact_lists"], ContactLists)
    contacts: _typed.Contacts = resource(ENDPOINTS["contacts"], LeadDeskResource)
    products: _typed.Products = resource(ENDPOINTS["products"], LeadDeskResource)
    calls: _typed.Calls = resource(ENDPOINTS["calls"], Calls)

    # Which documented form of each relation write this server took (``Relation``): "POST
    # campaigns/users" -> "parent" or "sub". Learnt on the first write, used alone afterwards.
    _relation_forms: dict[str, str]

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        username: str | None = None,
        password: str | None = None,
        leaddesk_client_id: int | str | None = None,
        grant_type: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError("LeadDesk needs client_id= and client_secret=")
        grant = _grant(username, password, leaddesk_client_id, grant_type)
        identity = f"{grant['grant_type']}|{grant.get('username', '')}|"
        identity += str(grant.get("leaddesk_client_id", ""))
        self._oauth = OAuth2(
            token_path=TOKEN_PATH,
            client_id=client_id,
            client_secret=client_secret,
            grant=grant,
            client_auth="body",
            encoding="json",
            identity=identity,
            error_parser=parse_error,
        )
        super().__init__(auth=self._oauth, **options)
        self._relation_forms = {}

    @property
    def grant_type(self) -> str:
        """The initial grant in use: ``password``, ``leaddesk_client_id`` or ``client_user``."""
        return self._oauth.grant_type

    @classmethod
    def from_env(cls, **overrides: Unpack[LeadDeskOptions]) -> LeadDesk:
        """From ``VENDORKIT_LEADDESK_CLIENT_ID`` and ``VENDORKIT_LEADDESK_CLIENT_SECRET``, plus
        ``VENDORKIT_LEADDESK_USERNAME`` and ``VENDORKIT_LEADDESK_PASSWORD`` (password grant),
        or ``VENDORKIT_LEADDESK_LEADDESK_CLIENT_ID`` (with or without ``..._USERNAME``);
        optional ``VENDORKIT_LEADDESK_GRANT_TYPE`` and ``VENDORKIT_LEADDESK_BASE_URL``."""
        kwargs = cls.options_from_env(**overrides)
        if not kwargs.get("leaddesk_client_id") and not (
            kwargs.get("username") and kwargs.get("password")
        ):
            missing = [
                f"VENDORKIT_LEADDESK_{f.upper()}"
                for f in ("username", "password")
                if not kwargs.get(f)
            ]
            raise ConfigurationError(
                f"environment variable {' and '.join(missing)} is not set "
                "(or set VENDORKIT_LEADDESK_LEADDESK_CLIENT_ID for the leaddesk_client_id grant)"
            )
        return cls(**kwargs)


# Presented as ``vendorkit.LeadDesk``, where users meet it (the package imports it lazily).
LeadDesk.__module__ = "vendorkit"
