"""MakeLeaps records, field for field from ``makeleaps.txt``.

``mid`` and ``url`` are typed ``str`` (no ``None``) on every object served from an endpoint of its
own whose field table in the docs lists them as Read-Only: MakeLeaps assigns them ("Top-level
objects in MakeLeaps are given special unique id's", Identifiers) and sends them with the
object, so a record read without one is a ``DecodeError`` naming it. Objects only seen embedded
in another (an inbox entry's ``accepted_order`` and ``received_doc``, a task's ``uilongtask``)
keep them optional. A model built by hand for ``create`` has ``""`` there
until MakeLeaps assigns them; an empty ``mid`` or ``url`` is never sent. Every other field is
optional (a record missing one is still read) and everything MakeLeaps sends is kept in
``record.raw``, unknown fields included (``docs/vendors/makeleaps.md`` lists every field); nested
records (line items, addresses, money) keep their own ``raw`` too. Money and decimal numbers are
``Decimal`` (strings on the wire), timestamps timezone-aware ``datetime`` (MakeLeaps sends UTC),
dates ``date``.

References to other objects are URLs (HATEOAS). Fields the docs call *Expandable* are a URL, or
the whole object (a dict) when the list or get asked for ``expand=``; they are typed ``Any``.
``ml.follow(url)`` fetches the record behind a URL. Fields the docs give as "Read-Only String"
while they are flags (``is_organization``, ``has_seat``, ...) accept a boolean or a string.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
from yarl import URL

from vendorkit.core import Record, always_sent

__all__ = [
    "AcceptedOrder",
    "Address",
    "CatalogItem",
    "Client",
    "ClientSettings",
    "Contact",
    "Currency",
    "Document",
    "Email",
    "Employee",
    "HistoryEntry",
    "InboxEntry",
    "LineItem",
    "Money",
    "Partner",
    "PickupLink",
    "PostalAddress",
    "ReceivedDocument",
    "SendingOrder",
    "SendingOrderItem",
    "Task",
    "TaskProgress",
    "TaxRateTotal",
    "Template",
    "mid_from_url",
]

Flag = bool | str | None
"""A flag the docs type as "Read-Only String": a boolean, or the string MakeLeaps sends."""


def mid_from_url(url: object) -> str | None:
    """The MakeLeaps ID at the end of an object URL (``.../client/<mid>/`` -> ``<mid>``); None
    for anything that is not a readable URL (the value may come from the server)."""
    if not url or not isinstance(url, str):
        return None
    try:
        path = URL(url).path
    except (ValueError, TypeError, UnicodeError):
        return None
    parts = [p for p in path.split("/") if p]
    return parts[-1] if parts else None


def _url_of(value: Any) -> str | None:
    """The URL of a reference: the URL itself, or the ``url`` of an expanded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("url"), str):
        return str(value["url"])
    return None


# -- small value objects --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Money(Record):
    """``{"amount": "10000", "currency": "JPY"}``."""

    amount: Decimal | None = None
    currency: str | None = None


@attrs.frozen(kw_only=True)
class TaxRateTotal(Record):
    """One tax rate's entry in ``mixed_tax_rate_totals``: its subtotal and tax."""

    subtotal: Money | None = None
    tax: Money | None = None


@attrs.frozen(kw_only=True)
class Email(Record):
    """A contact's e-mail: ``{"address": "test@example.com"}``."""

    address: str | None = None


@attrs.frozen(kw_only=True)
class Address(Record):
    """A contact address. ``format`` says how it is printed (``jp_default``, ...), ``region`` is
    a prefecture in lower-case romaji for JP addresses (``tokyo``)."""

    format: str | None = None
    country_name: str | None = None
    postal_code: str | None = None
    region: str | None = None
    locality: str | None = None
    street_address: str | None = None
    extended_address: str | None = None


@attrs.frozen(kw_only=True)
class PostalAddress(Record):
    """A sender or recipient address on a Sending Order (Japan Post)."""

    address_format: str | None = None
    country: str | None = None
    postal_code: str | None = None
    region: str | None = None
    locality: str | None = None
    street_address: str | None = None
    extended_address: str | None = None


# -- company, employees, currencies ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Partner(Record):
    """Your company. The partner's mid is the last segment of its ``url``."""

    url: str = always_sent("")
    mid: str | None = None
    name: str | None = None
    account_name: str | None = None
    clients: str | None = None
    contacts: str | None = None
    documents: str | None = None
    line_item_catalog: str | None = None
    tags: str | None = None
    sending_orders: str | None = None
    history: str | None = None
    integrations: dict[str, Any] | None = None

    @property
    def partner_mid(self) -> str | None:
        """The partner's mid: ``mid`` where sent, else the last segment of ``url``."""
        return self.mid or mid_from_url(self.url)


@attrs.frozen(kw_only=True)
class Currency(Record):
    """A supported currency. The docs list no fields: ``code`` (``JPY``) and ``name`` are read
    where sent; a currency sent as a bare string becomes ``Currency(code=...)``."""

    code: str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Employee(Record):
    """A user of your company's MakeLeaps account. The flags (``has_seat``, ``is_owner``,
    ``is_admin``) are a boolean or the string MakeLeaps sends."""

    url: str = always_sent("")
    mid: str = always_sent("")
    name: str | None = None
    email: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    integrations: dict[str, Any] | None = None
    has_seat: Flag = None
    is_owner: Flag = None
    is_admin: Flag = None


# -- documents ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LineItem(Record):
    """A document line. ``kind``: ``normal``, ``simple``, ``text`` or ``subtotal``; ``position``
    orders the lines. Fields left None are not sent when the item is new."""

    kind: str | None = None
    position: int | None = None
    description: str | None = None
    unit_cost: Decimal | None = None
    quantity: Decimal | None = None
    quantity_unit: str | None = None
    price: Decimal | None = None
    is_taxable: bool | None = None
    is_tax_inclusive: bool | None = None
    has_jp_withholding_tax: bool | None = None
    currency: str | None = None
    tax_rate: Decimal | None = None
    extended_data: Any = None
    vendor_cost: Decimal | None = None
    source_catalog_item: str | None = None


@attrs.frozen(kw_only=True)
class Document(Record):
    """A document (invoice, quote, order slip, ...). ``mixed_tax_rate_totals`` maps a tax rate
    (``"8"``, ``"10"``) to its subtotal and tax. ``client`` is a URL, or the client object with
    ``expand=client``."""

    url: str = always_sent("")
    mid: str = always_sent("")
    document_number: str | None = None
    document_type: str | None = None
    display_name: str | None = None
    title: str | None = None
    project_name: str | None = None
    document_template: Any = None
    client: Any = None
    client_contact: Any = None
    currency: str | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    jp_withholding_tax: Decimal | None = None
    tax_rate: Decimal | None = None
    subtotal_sales_tax: Decimal | None = None
    subtotal_withholding_tax: Decimal | None = None
    total: Decimal | None = None
    mixed_tax_rate_totals: dict[str, TaxRateTotal] | None = None
    lineitems: list[LineItem] | None = None
    autocalculate: bool | None = None
    round_tax_down: bool | None = None
    date: dt.date | None = None
    date_due: dt.date | None = None
    date_valid: dt.date | None = None
    date_shipped: dt.date | None = None
    date_paid: datetime | None = None
    date_sent: datetime | None = None
    date_cancelled: datetime | None = None
    date_removed: datetime | None = None
    date_accepted: datetime | None = None
    date_confirmed: datetime | None = None
    date_converted: datetime | None = None
    is_accepted: Flag = None
    is_confirmed: Flag = None
    is_converted: Flag = None
    approval_status: str | None = None
    note: str | None = None
    external_id: str | None = None
    tags: list[Any] | None = None
    purchase_order_ids: list[str] | None = None
    bank_details_header: str | None = None
    bank_details: str | None = None
    message: str | None = None
    proviso: str | None = None
    group_lineitem_by_tax_rate: bool | None = None
    has_hanko: bool | None = None
    has_prices: bool | None = None
    has_totals: bool | None = None
    has_currency_code: bool | None = None
    has_lineitem_tax_state: bool | None = None
    signature: bool | None = None
    display_tax_rate: bool | None = None
    hide_tax_description: bool | None = None
    has_tax_stamp: bool | None = None
    use_virtual_account: bool | None = None
    use_external_pdf: bool | None = None
    extended_data: Any = None
    integrations: dict[str, Any] | None = None
    pickup_links: str | None = None
    pdf_content_url: str | None = None
    pdf_upload_url: str | None = None
    source_received_document: str | None = None
    partner_tax_registration_number: str | None = None
    sender_name: str | None = None
    sender_contact_department: str | None = None
    sender_contact_title: str | None = None
    sender_contact_name: str | None = None
    sender_address_format: str | None = None
    sender_country: str | None = None
    sender_postal_code: str | None = None
    sender_region: str | None = None
    sender_locality: str | None = None
    sender_street_address: str | None = None
    sender_extended_address: str | None = None
    sender_phone_number: str | None = None
    sender_fax_number: str | None = None
    recipient_name: str | None = None
    recipient_contact_department: str | None = None
    recipient_contact_title: str | None = None
    recipient_contact_name: str | None = None
    recipient_honorific: str | None = None
    recipient_address_format: str | None = None
    recipient_country: str | None = None
    recipient_postal_code: str | None = None
    recipient_region: str | None = None
    recipient_locality: str | None = None
    recipient_street_address: str | None = None
    recipient_extended_address: str | None = None
    recipient_phone_number: str | None = None
    recipient_fax_number: str | None = None

    @property
    def client_url(self) -> str | None:
        """The client's URL whether or not ``client`` was expanded."""
        return _url_of(self.client)


@attrs.frozen(kw_only=True)
class Template(Record):
    """A document template (the PDF style) for one document type."""

    template_code: str | None = None
    document_type: str | None = None
    display_name: str | None = None
    language_code: str | None = None


@attrs.frozen(kw_only=True)
class CatalogItem(Record):
    """A Line Item Catalog entry: a line item plus ``product_code``, ``interval``, ``metered``
    and ``tax_category`` (``default``, ``alternate`` or ``custom``)."""

    url: str = always_sent("")
    mid: str = always_sent("")
    product_code: str | None = None
    kind: str | None = None
    description: str | None = None
    unit_cost: Decimal | None = None
    quantity: Decimal | None = None
    quantity_unit: str | None = None
    price: Decimal | None = None
    is_taxable: bool | None = None
    is_tax_inclusive: bool | None = None
    has_jp_withholding_tax: bool | None = None
    currency: str | None = None
    tax_rate: Decimal | None = None
    tax_category: str | None = None
    interval: str | None = None
    metered: bool | None = None
    extended_data: Any = None
    vendor_cost: Decimal | None = None


# -- clients and contacts -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Client(Record):
    """A client organisation: a group of contacts. ``contacts`` holds contact URLs (or, in a
    create, contact objects); ``settings`` is the URL of its document settings."""

    url: str = always_sent("")
    mid: str = always_sent("")
    display_name: str | None = None
    organization_type: str | None = None
    is_organization: Flag = None
    date_archived: datetime | None = None
    client_external_id: str | None = None
    contacts: list[Any] | None = None
    default_contact: Any = None
    managing_teams: list[Any] | None = None
    default_presets: list[Any] | None = None
    integrations: dict[str, Any] | None = None
    lang_code: str | None = None
    settings: Any = None
    date_cutoff: int | None = None


@attrs.frozen(kw_only=True)
class ClientSettings(Record):
    """A client's default sending methods and Secure Send options."""

    url: str | None = None
    securesend_subject: str | None = None
    securesend_message: str | None = None
    send_by_secure_send: bool | None = None
    send_by_post: bool | None = None
    enable_cc_payments: bool | None = None
    use_document_contact: bool | None = None
    secure_send_contacts: list[str] | None = None


@attrs.frozen(kw_only=True)
class Contact(Record):
    """A person (``family_name``, ``given_name``) or an organization (``name``)."""

    url: str = always_sent("")
    mid: str = always_sent("")
    owner: str | None = None
    owner_type: str | None = None
    contact_type: str | None = None
    name: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    display_name: str | None = None
    title: str | None = None
    department: str | None = None
    format: str | None = None
    phone_number: str | None = None
    fax_number: str | None = None
    is_default: Flag = None
    email: Email | None = None
    addresses: list[Address] | None = None
    default_address: Any = None
    integrations: dict[str, Any] | None = None


# -- sending --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SendingOrderItem(Record):
    """A document (``document`` URL) or a custom file (``filename``, uploaded to
    ``upload_url``) in a Sending Order."""

    url: str = always_sent("")
    sending_order: str | None = None
    position: int | None = None
    document: Any = None
    filename: str | None = None
    upload_url: str | None = None


@attrs.frozen(kw_only=True)
class SendingOrder(Record):
    """A request to send documents by Secure Send and/or Japan Post.

    ``status`` is ``{"url", "securesend", "sendbypost", "securesend_cancelled",
    "sendbypost_cancelled"}`` (the docs type it as a string and show that object; kept as sent).
    """

    url: str = always_sent("")
    mid: str | None = None
    send_url: str | None = None
    items_url: str | None = None
    items: list[SendingOrderItem] | None = None
    recipient_organization: Any = None
    employee: str | None = None
    securesend_selected: bool | None = None
    to_emails: list[str] | None = None
    send_to_contacts: list[str] | None = None
    subject: str | None = None
    message: str | None = None
    enable_cc_payments: bool | None = None
    sendbypost_selected: bool | None = None
    stamp_type: str | None = None
    ready_to_order: Flag = None
    validation_errors: Any = None
    pdf_content_url: str | None = None
    recipient_contact_organization_name: str | None = None
    recipient_contact_department: str | None = None
    recipient_contact_title: str | None = None
    recipient_contact_name: str | None = None
    recipient_honorific: str | None = None
    recipient_address: PostalAddress | None = None
    sender_contact_organization_name: str | None = None
    sender_contact_phone_number: str | None = None
    sender_address: PostalAddress | None = None
    status: Any = None
    external_id: str | None = None

    @property
    def is_ready(self) -> bool:
        """``ready_to_order`` as a boolean (MakeLeaps may send it as a string)."""
        value = self.ready_to_order
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    @property
    def status_url(self) -> str | None:
        """Where a cancellation is posted (``status.url``)."""
        return _url_of(self.status)


# -- history, inbox, pickup links, tasks ----------------------------------------------------------


@attrs.frozen(kw_only=True)
class HistoryEntry(Record):
    """One entry of the company's history: what was done (``event_name``) and when
    (``action_time``)."""

    mid: str = always_sent("")
    web_url: str | None = None
    action_time: datetime | None = None
    created_by: Any = None
    event_name: str | None = None
    metadata: Any = None
    action_flag: int | None = None
    object_repr: str | None = None


@attrs.frozen(kw_only=True)
class ReceivedDocument(Record):
    """A document another MakeLeaps user sent you. ``document_data`` is the visible document
    data (a dict with the document fields)."""

    mid: str | None = None
    url: str | None = None
    document_data: dict[str, Any] | None = None
    vendor_name: str | None = None
    display_name: str | None = None
    pdf_content_url: str | None = None
    generated_document_set: list[Any] | None = None
    received_by: str | None = None


@attrs.frozen(kw_only=True)
class AcceptedOrder(Record):
    """A quote or order slip your client signed off (or an acceptance they confirmed)."""

    mid: str | None = None
    url: str | None = None
    time_accepted: datetime | None = None
    client: Any = None
    document: Any = None
    document_data: Any = None
    is_paid: Flag = None
    signatory: str | None = None
    note: str | None = None
    generated_document_set: list[Any] | None = None
    display_name: str | None = None
    document_was_edited: Flag = None
    pickup_authorization_mid: str | None = None
    date: str | None = None


@attrs.frozen(kw_only=True)
class InboxEntry(Record):
    """A Secure Inbox entry: ``type`` is ``received_doc``, ``accepted_order`` or
    ``confirmed_doc``; the matching one of ``received_doc``/``accepted_order`` is set."""

    mid: str = always_sent("")
    url: str = always_sent("")
    type: str | None = None
    accepted_order: AcceptedOrder | None = None
    received_doc: ReceivedDocument | None = None
    time_received: datetime | None = None
    time_read: datetime | None = None


@attrs.frozen(kw_only=True)
class PickupLink(Record):
    """A shareable link to a document. ``link`` is what you send to the client."""

    mid: str = always_sent("")
    url: str = always_sent("")
    cancel_url: str | None = None
    uncancel_url: str | None = None
    created: datetime | None = None
    link: str | None = None
    email: str | None = None
    date_clicked: datetime | None = None
    source: str | None = None
    expiration_date: datetime | None = None
    is_cancelled: Flag = None
    created_by: Any = None
    supersend: Any = None


@attrs.frozen(kw_only=True)
class TaskProgress(Record):
    """The progress of a background task (``current_progress`` of ``max_progress``), with its
    ``errors``."""

    url: str | None = None
    mid: str | None = None
    current_progress: int | None = None
    max_progress: int | None = None
    time_done: datetime | None = None
    finished: Flag = None
    errors: Any = None


@attrs.frozen(kw_only=True)
class Task(Record):
    """A background task (202 answers). ``completion`` goes from 0 to 100; the result is read
    from ``result_url`` (``ml.wait_for_task(task)`` does both)."""

    mid: str = always_sent("")
    url: str = always_sent("")
    result_url: str | None = None
    employee: str | None = None
    completion: Decimal | None = None
    uilongtask: TaskProgress | None = None
    failed_chunks: Any = None
    finished: datetime | None = None

    @property
    def errors(self) -> list[Any]:
        """Errors reported by the task's progress record, if any."""
        errs = self.uilongtask.errors if self.uilongtask is not None else None
        return list(errs) if isinstance(errs, list) else ([errs] if errs else [])
