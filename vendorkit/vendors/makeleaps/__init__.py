"""MakeLeaps (Japanese invoicing and document sending): ``MakeLeaps(client_id=, client_secret=)``.

What is MakeLeaps-specific lives here: the partner id discovered from ``/api/partner/``, the
``Accept-Language`` switch, HATEOAS ``follow()``, background tasks (``wait_for_task``), sending
orders (items, file upload, validation, send, cancel), pickup links, per-type templates.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from vendorkit.core import (
    BaseClient,
    ClientOptions,
    CreateMixin,
    CrudResource,
    GetMixin,
    LinkModels,
    ListMixin,
    ListOptions,
    ListResource,
    OAuth2,
    Pager,
    PollSchedule,
    Resource,
    UpdateMixin,
    check_file_part,
    checked_header_value,
    checked_list_call,
    is_url,
    link_of,
    multipart_file,
    poll,
    redact_url,
    resource,
)
from vendorkit.errors import (
    ConfigurationError,
    DecodeError,
    TaskTimeoutError,
)

from . import models
from ._spec import DOCUMENT_TYPES, ENDPOINTS, EXTRA_ITEMS, PARTNER, SPEC

if TYPE_CHECKING:
    from . import _typed

    class _PickupLinksListArgs(_typed.PickupLinksListArgs, total=False):
        document: Any  # the document (a mid, URL or record): its ``document_mid``


__all__ = ["DOCUMENT_TYPES", "MakeLeaps", "MakeLeapsOptions", "models"]


class MakeLeapsOptions(ClientOptions, total=False):
    """``MakeLeaps``' keyword arguments, as ``from_env`` overrides and ``Sandbox.client`` options
    take them (each optional there): typed, so a misspelt one is a type error."""

    client_id: str
    client_secret: str
    partner_mid: str | None
    accept_language: str | None


T = TypeVar("T")

TOKEN_PATH = "/user/oauth2/token/"
REVOKE_PATH = "/user/oauth2/revoke-token/"

OnProgress = Callable[[models.Task], Any]


def _ref(value: Any) -> Any:
    """A reference as given by the caller: a record or dict (its ``url``, else its ``mid``), a
    URL, or a mid."""
    return link_of(value, "mid")


def _mid(value: Any) -> str:
    """The mid of a reference (a record, dict, URL or mid)."""
    ref = _ref(value)
    if is_url(ref):
        mid = models.mid_from_url(ref)
        if mid:
            return mid
        raise ConfigurationError(f"not a MakeLeaps object URL: {redact_url(str(ref))}")
    if ref is None or ref == "" or isinstance(ref, bool) or not isinstance(ref, str | int):
        # Anything else (a float, a list, an object) would be sent as its str(): refused.
        raise ConfigurationError(
            f"expected a MakeLeaps mid, URL or record, got a {type(value).__name__}"
        )
    return str(ref)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no", "none", "null")
    return bool(value)


def _task_done(state: Mapping[str, Any]) -> bool:
    """A task is done when ``finished`` is set, its progress record says finished, or
    ``completion`` reached 100."""
    if _truthy(state.get("finished")):
        return True
    progress = state.get("uilongtask")
    if isinstance(progress, Mapping) and _truthy(progress.get("finished")):
        return True
    try:
        return float(state.get("completion") or 0) >= 100
    except (TypeError, ValueError):
        return False


# -- resources ------------------------------------------------------------------------------------


class _Resource(Resource[T]):
    """A MakeLeaps resource (its ``id`` may also be a record, a dict, or an object URL:
    ``SPEC.link_ids``), with its client typed as ``MakeLeaps``."""

    @property
    def _ml(self) -> MakeLeaps:
        client = self._client
        assert isinstance(client, MakeLeaps)
        return client


class Partners(_Resource[models.Partner], ListMixin[models.Partner], GetMixin[models.Partner]):
    """Your company (an API key sees one partner)."""


class Employees(_Resource[models.Employee], ListMixin[models.Employee], GetMixin[models.Employee]):
    """Your team; ``me()`` is the employee the API key acts as."""

    async def me(self, *, headers: Mapping[str, str] | None = None) -> models.Employee:
        """The authenticated employee (``employee/me/``)."""
        return await self._fetch_one("me", {}, headers)


class Documents(_Resource[models.Document], CrudResource[models.Document]):
    """Invoices, quotes, order slips, ... ``list`` passes filters through: ``document_type=``,
    ``client=``, ``paid=True``, range filters (``date__gte=``, ``date__lt=``, ``__lte``,
    ``__gt``), ``search=``, ``tags=[..]``; ``list`` and ``get`` take ``expand=["client"]``.
    ``update`` is a PATCH (a model instance sends only the fields you changed; ``None``
    unmarks a ``date_paid``/``date_sent``/... mark)."""


class CatalogItems(
    _Resource[models.CatalogItem],
    ListMixin[models.CatalogItem],
    GetMixin[models.CatalogItem],
    CreateMixin[models.CatalogItem],
    UpdateMixin[models.CatalogItem],
):
    """The Line Item Catalog (no delete in the API). Filters: ``product_code=``,
    ``product_code__contains=``."""


class Clients(_Resource[models.Client], CrudResource[models.Client]):
    """Client organisations, their contacts and their document settings."""

    def contacts(
        self, client: Any, **params: Unpack[_typed.ContactsListArgs]
    ) -> Pager[models.Contact]:
        """The contacts of one client (``client/<mid>/contact/``), with ``list()``'s options.
        The docs list no filters for this list; we assume it filters as the contact list does
        (``search=``, ``owner_type=``, ...), the same objects behind the same API (anything
        else: ``params={...}``)."""
        return self._ml.list_of(
            f"{PARTNER}/client/{{client_mid}}/contact/",
            models.Contact,
            {**params, "client_mid": _mid(client)},
            filters=ENDPOINTS["contacts"].filters,
            name="clients.contacts",
        )

    def _settings_path(self, client: Any) -> tuple[str, dict[str, Any]]:
        url = getattr(client, "settings", None) if isinstance(client, models.Client) else None
        if is_url(url):
            return str(url), {}
        return f"{PARTNER}/client/{{client_mid}}/settings/", {"client_mid": _mid(client)}

    async def settings(
        self, client: Any, *, headers: Mapping[str, str] | None = None
    ) -> models.ClientSettings:
        """A client's default sending methods and Secure Send options."""
        path, values = self._settings_path(client)
        return await self._ml.call_record(
            "GET", path, values, models.ClientSettings, headers=headers
        )

    async def update_settings(
        self, client: Any, data: Any, *, headers: Mapping[str, str] | None = None
    ) -> models.ClientSettings:
        """PATCH a client's settings: a dict is sent as given; a ``ClientSettings`` read before
        sends only the fields you changed."""
        path, values = self._settings_path(client)
        return await self._ml.call_record(
            "PATCH",
            path,
            values,
            models.ClientSettings,
            json=self._wire(data, changes_only=True),
            headers=headers,
        )


class Contacts(_Resource[models.Contact], CrudResource[models.Contact]):
    """Contacts (persons and organisations). ``search=`` filters the list."""


class SendingOrders(_Resource[models.SendingOrder], CrudResource[models.SendingOrder]):
    """Sending documents by Secure Send and/or Japan Post.

    The flow: ``create`` an order, ``add_item`` (a document) or ``add_file`` (a PDF), ``validate``
    (wait for MakeLeaps to check it), ``send``; afterwards ``cancel`` where still possible.
    """

    async def _order(
        self, order: Any, headers: Mapping[str, str] | None = None
    ) -> models.SendingOrder:
        if isinstance(order, models.SendingOrder) and order.items_url and order.send_url:
            return order
        return await self.get(order, headers=headers)

    def items(self, order: Any, **params: Unpack[ListOptions]) -> Pager[models.SendingOrderItem]:
        """The order's items, read from its ``items_url``, with ``list()``'s options (the docs
        list no filters for it: ``params={...}`` sends any)."""
        query, pager_args, headers = checked_list_call(
            "makeleaps sending_orders.items()", params, paginator=SPEC.paginator
        )
        holder: dict[str, str] = {}

        async def url() -> str:
            if "url" not in holder:
                holder["url"] = _required(
                    (await self._order(order, headers)).items_url, "items_url"
                )
            return holder["url"]

        client = self._ml
        return client.walk(
            url,
            transform=lambda d: client.record(d, models.SendingOrderItem),
            params=query,
            headers=headers,
            **pager_args,
        )

    async def add_item(
        self,
        order: Any,
        *,
        document: Any = None,
        position: int | None = None,
        filename: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> models.SendingOrderItem:
        """Add an in-app ``document`` (a URL, mid or record), or announce a custom file by
        ``filename`` (then ``upload_file`` it). POSTs to the order's ``items_url``."""
        target = await self._order(order, headers)
        body: dict[str, Any] = dict(fields)
        if position is not None:
            body["position"] = position
        if document is not None:
            body["document"] = await self._ml._document_url(document)
        if filename is not None:
            body["filename"] = filename
        return await self._ml.call_record(
            "POST",
            _required(target.items_url, "items_url"),
            {},
            models.SendingOrderItem,
            json=body,
            headers=headers,
        )

    async def upload_file(
        self,
        item: Any,
        content: bytes,
        *,
        filename: str | None = None,
        content_type: str = "application/pdf",
        headers: Mapping[str, str] | None = None,
    ) -> models.SendingOrderItem:
        """PUT the file's bytes to the item's ``upload_url`` as ``multipart/form-data`` (field
        ``content_file``). Returns the item (read back when the upload answers no record)."""
        check_file_part(filename, content, content_type)  # before the item is even read
        if not isinstance(item, models.SendingOrderItem):
            item = await self._ml.call_record(
                "GET", _required(_ref(item), "item url"), {}, models.SendingOrderItem
            )
        upload_url = _required(item.upload_url, "upload_url")
        name = filename or item.filename or "file.pdf"
        upload = multipart_file("content_file", name, content, content_type)
        _, payload = await self._ml.call(
            "PUT",
            upload_url,
            headers={**(headers or {}), "Content-Type": upload.content_type},
            content=upload.body,
        )
        if isinstance(payload, dict) and payload:
            return self._ml.record(payload, models.SendingOrderItem)
        return await self._ml.call_record(
            "GET", _required(item.url, "item url"), {}, models.SendingOrderItem, headers=headers
        )

    async def add_file(
        self,
        order: Any,
        filename: str,
        content: bytes,
        *,
        position: int | None = None,
        content_type: str = "application/pdf",
        headers: Mapping[str, str] | None = None,
    ) -> models.SendingOrderItem:
        """Add a custom file to the order: the item, then its upload."""
        item = await self.add_item(order, filename=filename, position=position, headers=headers)
        return await self.upload_file(
            item, content, filename=filename, content_type=content_type, headers=headers
        )

    async def delete_item(self, item: Any, *, headers: Mapping[str, str] | None = None) -> None:
        """Remove an item from its order (DELETE the item's URL)."""
        url = _required(_ref(item), "item url")
        await self._ml.call("DELETE", url, headers=headers)

    async def validate(
        self,
        order: Any,
        *,
        timeout: float = 60.0,  # noqa: ASYNC109
        poll_interval: float = 1.0,
        headers: Mapping[str, str] | None = None,
    ) -> models.SendingOrder:
        """Wait for MakeLeaps to validate the order: polls it until ``ready_to_order`` is true
        or ``validation_errors`` lists problems, and returns it (check ``order.is_ready`` and
        ``order.validation_errors``). MakeLeaps validates by itself; there is no validate call.
        Raises ``TaskTimeoutError`` after ``timeout`` seconds."""
        schedule = PollSchedule(timeout=timeout, poll_interval=poll_interval)

        async def read() -> models.SendingOrder:
            # Always read it afresh: a record in hand predates the last change to the order.
            return await self.get(order, headers=headers)

        def timed_out(current: models.SendingOrder) -> TaskTimeoutError:
            return TaskTimeoutError(
                f"makeleaps sending order {current.mid or current.url} was not validated "
                f"within {schedule.timeout:g}s"
            )

        return await poll(
            read, lambda o: bool(o.is_ready or o.validation_errors), schedule, timed_out=timed_out
        )

    async def send(
        self, order: Any, *, headers: Mapping[str, str] | None = None
    ) -> models.SendingOrder | models.Task | dict[str, Any]:
        """Execute the order (POST ``{}`` to its ``send_url``). Returns what MakeLeaps answers:
        the order, a ``Task`` (a 202, see ``ml.wait_for_task``), or a dict."""
        target = await self._order(order, headers)
        _, payload = await self._ml.call(
            "POST", _required(target.send_url, "send_url"), json={}, headers=headers
        )
        reply: models.SendingOrder | models.Task | dict[str, Any] = self._ml._reply(
            payload, models.SendingOrder
        )
        return reply

    async def cancel(
        self,
        order: Any,
        *,
        securesend: bool = True,
        sendbypost: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Cancel a sent order, all methods or one (POST to ``status.url``). Returns the
        answer (the status object)."""
        target = order if isinstance(order, models.SendingOrder) and order.status_url else None
        if target is None:
            target = await self.get(order, headers=headers)
        url = _required(target.status_url, "status.url")
        body = {"securesend_cancelled": securesend, "sendbypost_cancelled": sendbypost}
        _, payload = await self._ml.call("POST", url, json=body, headers=headers)
        return payload


class History(
    _Resource[models.HistoryEntry],
    ListMixin[models.HistoryEntry],
    GetMixin[models.HistoryEntry],
    CreateMixin[models.HistoryEntry],
):
    """History entries. Filter by ``date=`` or by ``date_start=``/``date_end=`` (datetimes as
    ``yyyy-mm-ddThh:mm:ss.00Z``; a ``datetime`` is sent as ISO 8601)."""


class Inbox(_Resource[models.InboxEntry], ListMixin[models.InboxEntry]):
    """The Secure Inbox, most recent first. Filters: ``total_from``, ``total_to``,
    ``issued_date_from``, ``issued_date_to``, ``sender_name``, ``is_unconverted``."""


class PickupLinks(
    _Resource[models.PickupLink], ListMixin[models.PickupLink], GetMixin[models.PickupLink]
):
    """Shareable links to a document: ``list(document=doc)`` (or ``document_mid=``), ``get``,
    ``create(doc)`` (a background ``Task``), ``create_and_wait(doc)``, ``cancel``,
    ``uncancel``."""

    @staticmethod
    def _args(params: dict[str, Any]) -> dict[str, Any]:
        if "document" in params:
            params["document_mid"] = _mid(params.pop("document"))
        return params

    def list(self, **params: Unpack[_PickupLinksListArgs]) -> Pager[models.PickupLink]:
        """The document's links: ``document=`` (a mid, URL or record) or ``document_mid=``."""
        return super().list(**self._args(dict(params)))

    def list_raw(self, **params: Unpack[_PickupLinksListArgs]) -> Pager[dict[str, Any]]:
        return super().list_raw(**self._args(dict(params)))

    @staticmethod
    def _document_of(document: Any, document_mid: Any) -> str:
        """The document's mid from ``document`` (a mid, URL, record, or a dict naming its
        ``document``/``document_mid``) or ``document_mid``."""
        if isinstance(document, Mapping) and not (document.get("url") or document.get("mid")):
            document = document.get("document") or document.get("document_mid")
        if document is None:
            document = document_mid
        if document is None:
            raise ConfigurationError("makeleaps pickup links: which document? pass document=")
        return _mid(document)

    async def create(
        self,
        document: Any = None,
        *,
        document_mid: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> models.Task:
        """Ask MakeLeaps to create a pickup link for ``document`` (a mid, URL or record; or
        ``document_mid=``): POST without a body. The answer is a ``Task``; its result
        (``wait_for_task``) is the new link."""
        mid = self._document_of(document, document_mid)
        _, payload = await self._ml.call(
            "POST", self.endpoint.path, {"document_mid": mid}, headers=headers
        )
        return self._ml.record(payload, models.Task)

    async def create_and_wait(
        self,
        document: Any = None,
        *,
        document_mid: Any = None,
        timeout: float = 60.0,  # noqa: ASYNC109
        poll_interval: float = 1.0,
        headers: Mapping[str, str] | None = None,
    ) -> builtins.list[models.PickupLink]:
        """``create`` and wait for its task; returns the new pickup link(s)."""
        mid = self._document_of(document, document_mid)
        _, payload = await self._ml.call(
            "POST", self.endpoint.path, {"document_mid": mid}, headers=headers
        )
        result: Any = payload
        if isinstance(payload, dict) and ("result_url" in payload or "completion" in payload):
            result = await self._ml.wait_for_task(
                payload, timeout=timeout, poll_interval=poll_interval, headers=headers
            )
        rows = result if isinstance(result, list) else [result]
        return [self._ml.record(r, models.PickupLink) for r in rows if isinstance(r, dict)]

    async def _toggle(self, link: Any, action: str, headers: Mapping[str, str] | None) -> Any:
        url = getattr(link, f"{action}_url", None) if isinstance(link, models.PickupLink) else None
        if isinstance(link, Mapping):
            url = link.get(f"{action}_url")
        values: dict[str, Any] = {}
        if not is_url(url):
            ref = _ref(link)
            if is_url(ref):
                url = str(ref).rstrip("/") + f"/{action}/"
            else:
                url = f"{PARTNER}/secureinbox/pickup-link/{{link_mid}}/{action}/"
                values["link_mid"] = _mid(link)
        _, payload = await self._ml.call("POST", str(url), values, headers=headers)
        return self._ml._reply(payload, models.PickupLink)

    async def cancel(self, link: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        """Cancel a pickup link (POST without a body). Returns MakeLeaps' answer."""
        return await self._toggle(link, "cancel", headers)

    async def uncancel(self, link: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        """Re-enable a cancelled or expired pickup link."""
        return await self._toggle(link, "uncancel", headers)


class Tasks(_Resource[models.Task], GetMixin[models.Task]):
    """Background tasks: ``get`` one, read its ``results``, or ``wait`` for it."""

    async def results(self, task: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        """The task's result (GET its ``result_url``): usually a list of dicts."""
        return await self._ml.read_all(await self._ml._result_url(task), headers)

    async def wait(self, task: Any, **options: Any) -> Any:
        """Same as ``ml.wait_for_task(task, ...)``."""
        return await self._ml.wait_for_task(task, **options)


class Templates(ListResource[models.Template]):
    """Document templates per document type: ``list(document_type="invoice")``; without
    ``document_type``, the templates of every type in ``DOCUMENT_TYPES``, one type after the
    other (``page.total`` is then None; a type the company does not have, answered with 404 or
    400, is skipped). Filters such as ``is_archived=False`` pass through."""


class Currencies(ListResource[models.Currency]):
    """Supported currencies. A currency sent as a bare string (``"JPY"``) is read as
    ``Currency(code="JPY")`` (``list_raw``: ``{"code": "JPY"}``). Read with ``GET``, or with
    ``OPTIONS`` where ``GET`` is refused with 405 (the docs list only ``OPTIONS``)."""


# -- the client -----------------------------------------------------------------------------------


class MakeLeaps(BaseClient):
    """MakeLeaps' REST API.

    ``partner_mid=None`` discovers the partner on first use from ``/api/partner/`` (the first
    partner: an API key sees only its own company). ``accept_language="ja"`` asks for Japanese
    names and error messages on every call; ``headers={"Accept-Language": "ja"}`` does it for
    one call. Quota: 120 requests/minute and 5000/day, client-side by default.
    """

    spec = SPEC
    env_fields = (
        ("client_id", True),
        ("client_secret", True),
        ("partner_mid", False),
        ("accept_language", False),
    )

    partners: _typed.Partners = resource(ENDPOINTS["partners"], Partners)
    currencies: _typed.Currencies = resource(ENDPOINTS["currencies"], Currencies)
    employees: _typed.Employees = resource(ENDPOINTS["employees"], Employees)
    documents: _typed.Documents = resource(ENDPOINTS["documents"], Documents)
    catalog_items: _typed.CatalogItems = resource(ENDPOINTS["catalog_items"], CatalogItems)
    clients: _typed.Clients = resource(ENDPOINTS["clients"], Clients)
    contacts: _typed.Contacts = resource(ENDPOINTS["contacts"], Contacts)
    sending_orders: _typed.SendingOrders = resource(ENDPOINTS["sending_orders"], SendingOrders)
    history: _typed.History = resource(ENDPOINTS["history"], History)
    inbox: _typed.Inbox = resource(ENDPOINTS["inbox"], Inbox)
    pickup_links: _typed.PickupLinks = resource(ENDPOINTS["pickup_links"], PickupLinks)
    tasks: _typed.Tasks = resource(ENDPOINTS["tasks"], Tasks)
    templates: _typed.Templates = resource(ENDPOINTS["templates"], Templates)

    # ``follow`` reads an object or list URL as the model of the endpoint it belongs to.
    link_models = LinkModels.build(ENDPOINTS.values(), EXTRA_ITEMS)

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        partner_mid: str | None = None,
        accept_language: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError("MakeLeaps needs client_id= and client_secret=")
        if accept_language:  # a header on every call: a number or a line break is refused here,
            # not as "cannot be sent" at the first call (nor smuggling in a header of its own)
            accept_language = checked_header_value("accept_language", accept_language)
        auth = OAuth2(
            token_path=TOKEN_PATH,
            client_id=client_id,
            client_secret=client_secret,
            grant={"grant_type": "client_credentials"},
            client_auth="basic",
            encoding="form",
        )
        super().__init__(auth=auth, **options)
        self._partner_mid: str | None = partner_mid or None
        self._partner_lock = asyncio.Lock()
        if accept_language:
            self.default_headers["Accept-Language"] = accept_language

    @property
    def accept_language(self) -> str | None:
        """The language asked for on every call (``None``: the vendor's default)."""
        return self.default_headers.get("Accept-Language")

    def __repr__(self) -> str:
        return f"<MakeLeaps {self.base_url} partner={self._partner_mid or '(not yet known)'}>"

    @classmethod
    def from_env(cls, **overrides: Unpack[MakeLeapsOptions]) -> MakeLeaps:
        """From ``VENDORKIT_MAKELEAPS_CLIENT_ID`` and ``_CLIENT_SECRET`` (optional:
        ``_PARTNER_MID``, ``_ACCEPT_LANGUAGE``, ``_BASE_URL``)."""
        return cls(**cls.options_from_env(**overrides))

    # -- partner ------------------------------------------------------------------------------

    @property
    def partner_mid(self) -> str | None:
        """The partner mid, once given or discovered (None before the first call)."""
        return self._partner_mid

    async def get_partner_mid(self) -> str:
        """The partner mid, discovering it from ``/api/partner/`` (the first partner) if it was
        not given. One discovery request however many tasks ask at once."""
        if self._partner_mid is None:
            async with self._partner_lock:
                if self._partner_mid is None:
                    self._partner_mid = await self._discover_partner()
        return self._partner_mid

    async def _discover_partner(self) -> str:
        payload = await self.request("GET", "/api/partner/")
        rows = payload if isinstance(payload, list) else [payload]
        for row in rows:
            if isinstance(row, dict):
                mid = row.get("mid") or models.mid_from_url(row.get("url"))
                if mid:
                    return str(mid)
        raise ConfigurationError(
            "makeleaps: /api/partner/ lists no partner for these credentials; pass partner_mid="
        )

    async def path_vars(self) -> Mapping[str, str]:
        return {**await super().path_vars(), "partner_mid": await self.get_partner_mid()}

    def language(self, code: str) -> contextlib.AbstractContextManager[None]:
        """Ask for ``code`` (``"ja"``, ``"en"``) on every call inside the block, whatever the
        client's ``accept_language``: ``with ml.language("ja"): await ml.documents.get(mid)``."""
        return self.scoped_headers({"Accept-Language": code})

    # -- wire ---------------------------------------------------------------------------------

    def _reply(self, payload: Any, model: type[Any]) -> Any:
        """A write's answer: a ``Task`` for a 202 task, the ``model`` for an object, else as is."""
        if isinstance(payload, Mapping):
            if "result_url" in payload and ("completion" in payload or "uilongtask" in payload):
                return self.record(payload, models.Task)
            return self.record(payload, model)
        return payload

    async def _document_url(self, document: Any) -> str:
        ref = _ref(document)
        if is_url(ref):
            return str(ref)
        values: dict[str, Any] = {"id": _mid(document)}
        path = await self.fill_path(ENDPOINTS["documents"].item, values)
        return str(self.url_for(path))

    # -- HATEOAS ------------------------------------------------------------------------------

    async def follow(
        self, ref: Any, *, headers: Mapping[str, str] | None = None, **params: Any
    ) -> Any:
        """Fetch what a reference points to: ``await ml.follow(doc.client)``.

        ``ref`` is a URL (absolute on MakeLeaps' origin, or a path), an expanded object or a
        record (its ``url``). Returns the record for an object URL MakeLeaps documents (a
        ``Client`` for ``.../client/<mid>/``), a list of records for a list URL (every page),
        and plain dicts for anything else. ``params`` go into the query (``expand=...``).
        A URL on another origin raises ``ConfigurationError`` before anything is sent.
        """
        return await self.follow_link(ref, headers=headers, params=params)

    # -- tasks --------------------------------------------------------------------------------

    async def _result_url(self, task: Any) -> str:
        result = None
        if isinstance(task, models.Task):
            result = task.result_url
        elif isinstance(task, Mapping):
            result = task.get("result_url")
        if is_url(result):
            return str(result)
        return (await self._task_url(task)).rstrip("/") + "/results/"

    async def _task_url(self, task: Any) -> str:
        ref = _ref(task)
        if is_url(ref) or (isinstance(ref, str) and ref.startswith("/")):
            return str(ref)
        values: dict[str, Any] = {"id": _mid(task)}
        return await self.fill_path(ENDPOINTS["tasks"].item, values)

    async def wait_for_task(
        self,
        task: Any,
        *,
        timeout: float = 300.0,  # noqa: ASYNC109
        poll_interval: float = 1.0,
        on_progress: OnProgress | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Wait for a background task and return its result (GET ``result_url``; usually a list
        of dicts, every page).

        ``task`` is a ``Task``, the task dict a 202 answered, the task's URL, or its mid. It is
        polled every ``poll_interval`` seconds until ``completion`` reaches 100 (or ``finished``
        is set); ``on_progress(task)`` (a function or coroutine function) sees each polled
        ``Task``. After ``timeout`` seconds ``vendorkit.errors.TaskTimeoutError`` is raised. A
        task that finished with errors (``task.errors``, ``failed_chunks``) still returns its
        result: MakeLeaps reports partial success that way.
        """
        schedule = PollSchedule(timeout=timeout, poll_interval=poll_interval)
        url = await self._task_url(task)
        state: Mapping[str, Any] | None = None
        if isinstance(task, models.Task):
            state = task.raw
        elif isinstance(task, Mapping):
            state = task
        if state is not None and state.get("result_url") is None:
            state = None

        async def read() -> Mapping[str, Any]:
            _, payload = await self.call("GET", url, headers=headers)
            if not isinstance(payload, Mapping):
                raise DecodeError(f"makeleaps task {url}: expected a task object")
            return payload

        def timed_out(last: Mapping[str, Any]) -> TaskTimeoutError:
            return TaskTimeoutError(
                f"makeleaps task {models.mid_from_url(url) or url} did not finish "
                f"within {schedule.timeout:g}s (completion {last.get('completion')})"
            )

        def progress(payload: Mapping[str, Any]) -> Any:
            assert on_progress is not None
            return on_progress(self.record(payload, models.Task))

        state = await poll(
            read,
            _task_done,
            schedule,
            timed_out=timed_out,
            first=state,
            on_each=None if on_progress is None else progress,
        )
        return await self.read_all(await self._result_url(state), headers)

    # -- tokens -------------------------------------------------------------------------------

    async def revoke_token(self) -> None:
        """Revoke the current access token at MakeLeaps (``/user/oauth2/revoke-token/``, Basic
        auth, form ``token=``) and forget it; the next call obtains a new one. A revocation that
        failed raises and keeps the token (calling again tries again); a client whose
        credentials did not obtain the stored token neither revokes nor drops it."""
        assert isinstance(self.auth, OAuth2)
        await self.auth.revoke(self.send_unauthenticated, REVOKE_PATH)


# -- helpers --------------------------------------------------------------------------------------


def _required(value: Any, what: str) -> str:
    if not value:
        raise DecodeError(f"makeleaps: the record has no {what}")
    return str(value)


# Presented as ``vendorkit.MakeLeaps``, where users meet it (the package imports it lazily).
MakeLeaps.__module__ = "vendorkit"
