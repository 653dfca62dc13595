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

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import string
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NoReturn
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict

from .._emulator import Emulator
from . import _makeleaps_data as D

__all__ = ["MakeLeapsEmulator"]

Record = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Origin URLs are stored with; rewritten to the request's origin on the way out.
ORIGIN = "https://api.makeleaps.com"
#: The browsable web app (``web_url``, pickup links): never rewritten.
APP_ORIGIN = "https://app.makeleaps.com"
#: Seed data is laid out backwards from this instant, so it does not depend on the clock.
ANCHOR = datetime(2024, 6, 28, 9, 0, tzinfo=UTC)

DOC_TYPES: tuple[str, ...] = tuple(D.DOCUMENT_TYPES)
LINE_KINDS = ("normal", "simple", "text", "subtotal")
STAMP_TYPES = (
    "invoice",
    "quote",
    "deliveryslip",
    "orderslip",
    "orderconfirmation",
    "acceptance",
    "receipt",
    "nostamp",
    "many_documents",
)
SECURESEND_STATES = ("draft", "not_selected", "cancelled", "viewed", "not_viewed")
SENDBYPOST_STATES = (
    "draft",
    "not_selected",
    "cancelled",
    "can_cancel",
    "preparing",
    "mailed",
    "info_not_available",
)
MARKING_FIELDS = ("date_paid", "date_sent", "date_cancelled", "date_accepted", "date_confirmed")
DEFAULT_TAX_RATE = Decimal("10")
ALTERNATE_TAX_RATE = Decimal("8")
_ALNUM = string.ascii_letters + string.digits

# -- messages (English, Japanese) -----------------------------------------------------------------

_MSG: dict[str, tuple[str, str]] = {
    "required": ("This field is required.", "このフィールドは必須です"),
    "null": ("This field may not be null.", "この項目はnullにできません。"),
    "blank": ("This field may not be blank.", "この項目は空にできません。"),
    "string": ("Not a valid string.", "有効な文字列ではありません。"),
    "boolean": ("Must be a valid boolean.", "有効な真偽値を入力してください。"),
    "integer": ("A valid integer is required.", "有効な整数を入力してください。"),
    "decimal": ("A valid number is required.", "有効な数値を入力してください。"),
    "decimal_string": (
        "Decimal values must be submitted as quoted strings.",
        "数値は文字列（引用符付き）で送信してください。",
    ),
    "choice": ('"{value}" is not a valid choice.', '"{value}"は有効な選択肢ではありません。'),
    "date": (
        "Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]].",
        "日付の形式が違います。以下のどれかの形式にしてください: YYYY[-MM[-DD]]。",
    ),
    "datetime": (
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        "日時の形式が違います。以下のどれかの形式にしてください: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]。",
    ),
    "list": (
        'Expected a list of items but got type "{type}".',
        '"{type}"型ではなくリストを入力してください。',
    ),
    "dict": ("Expected a dictionary of items.", "辞書型を入力してください。"),
    "email": ("Enter a valid email address.", "有効なメールアドレスを入力してください。"),
    "url_type": (
        "Incorrect type. Expected URL string, received {type}.",
        "不正な型です。URL文字列を期待しましたが{type}型を受け取りました。",
    ),
    "url_no_match": (
        "Invalid hyperlink - No URL match.",
        "ハイパーリンクが不正です - URLが一致しません。",
    ),
    "url_wrong": (
        "Invalid hyperlink - Incorrect URL match.",
        "ハイパーリンクが不正です - URLの種類が違います。",
    ),
    "url_missing": (
        "Invalid hyperlink - Object does not exist.",
        "ハイパーリンクが不正です - 対応するオブジェクトは存在しません。",
    ),
    "duplicate_document": (
        "A document with type '{type}' and number '{number}' already exists.",
        "書類番号{number}の{type}がすでにあります。別の書類番号をお選びください。",
    ),
    "marking": (
        "This date is not supported for document type '{type}'.",
        "書類タイプ「{type}」ではこの日付は使用できません。",
    ),
    "autocalc_remove": (
        "Remove this field when autocalculate is true; it is calculated.",
        "autocalculateがtrueの場合、この項目は自動計算されるため指定できません。",
    ),
    "mixed_tax": (
        "Each tax rate needs a dictionary with subtotal and/or tax as money "
        '({"amount": "...", "currency": "..."}).',
        "税率ごとに、金額形式（amount、currency）のsubtotalまたはtaxを含む辞書を指定してください。",
    ),
    "template": (
        '"{value}" is not a template available for {type}.',
        "「{value}」は{type}で使用できるテンプレートではありません。",
    ),
    "contact_not_of_client": (
        "This contact does not belong to the client.",
        "この連絡先はこの取引先のものではありません。",
    ),
    "custom_tax_rate": (
        "A tax_rate is required when tax_category is custom.",
        "tax_categoryがcustomの場合、tax_rateは必須です。",
    ),
    "one_address": (
        "Only one address per contact is allowed.",
        "連絡先ごとに登録できる住所は1件のみです。",
    ),
    "client_contacts_empty": (
        "A client needs at least one contact.",
        "取引先には少なくとも1件の連絡先が必要です。",
    ),
    "client_two_orgs": (
        "A client cannot have more than one organization contact.",
        "取引先に組織タイプの連絡先を2件以上登録することはできません。",
    ),
    "client_persons_no_org": (
        "A client with several person contacts needs an organization contact.",
        "複数の個人連絡先を持つ取引先には組織タイプの連絡先が必要です。",
    ),
    "default_not_in_contacts": (
        "The default contact must be included in contacts.",
        "デフォルトの連絡先はcontactsに含まれている必要があります。",
    ),
    "contact_owned": (
        "Contact {mid} already belongs to another client.",
        "連絡先{mid}はすでに別の取引先に属しています。",
    ),
    "contact_in_use": (
        "Contact {mid} is used in documents and cannot be deleted.",
        "連絡先{mid}は書類で使用されているため削除できません。",
    ),
    "client_in_use": (
        "This client is referenced by documents and cannot be deleted.",
        "この取引先は書類で使用されているため削除できません。",
    ),
    "contact_referenced": (
        "This contact is referenced by another object and cannot be deleted.",
        "この連絡先は他のオブジェクトから参照されているため削除できません。",
    ),
    "use_document_contact": (
        "Do not include secure_send_contacts when use_document_contact is true.",
        "use_document_contactがtrueの場合、secure_send_contactsは指定しないでください。",
    ),
    "not_client_contact": (
        "Contact {mid} is not a contact of this client.",
        "連絡先{mid}はこの取引先の連絡先ではありません。",
    ),
    "item_document_or_file": (
        "Specify either a document or a filename.",
        "documentまたはfilenameのどちらか一方を指定してください。",
    ),
    "no_file": ("No file was submitted.", "ファイルが送信されていません。"),
    "not_file_item": (
        "Only items with a filename accept an upload.",
        "filenameを指定した項目にのみアップロードできます。",
    ),
    "order_sent": (
        "This sending order has already been sent and cannot be changed.",
        "この送付依頼はすでに送付済みのため変更できません。",
    ),
    "order_not_sent": (
        "This sending order has not been sent yet.",
        "この送付依頼はまだ送付されていません。",
    ),
    "order_validating": (
        "This sending order is still being validated. Try again shortly.",
        "この送付依頼は検証中です。しばらくしてから再度お試しください。",
    ),
    "order_not_ready": (
        "This sending order is not ready to be sent.",
        "この送付依頼は送付できる状態ではありません。",
    ),
    "v_no_items": (
        "Add at least one document or file.",
        "書類またはファイルを1件以上追加してください。",
    ),
    "v_no_method": (
        "Select at least one sending method.",
        "送付方法を1つ以上選択してください。",
    ),
    "v_no_recipients": (
        "Secure Send needs at least one email address or contact.",
        "セキュア送信には送付先のメールアドレスまたは連絡先が必要です。",
    ),
    "v_no_address": (
        "Send by Post needs a recipient address and recipient name.",
        "郵送には送付先の住所と宛名が必要です。",
    ),
    "v_no_stamp": ("Send by Post needs a stamp_type.", "郵送にはstamp_typeが必要です。"),
    "v_not_uploaded": (
        'The file "{name}" has not been uploaded yet.',
        "ファイル「{name}」はまだアップロードされていません。",
    ),
    "v_missing_document": (
        "A document of this order no longer exists.",
        "この送付依頼の書類が存在しません。",
    ),
    "cannot_cancel_securesend": (
        "Secure Send can no longer be cancelled.",
        "セキュア送信はもう取り消せません。",
    ),
    "cannot_cancel_sendbypost": (
        "Send by Post can no longer be cancelled (more than 30 minutes have passed).",
        "郵送は取り消せません（30分以上経過しています）。",
    ),
    "task_unfinished": ("The task has not finished yet.", "タスクはまだ完了していません。"),
    "filter_choice": (
        "Select a valid choice. {value} is not one of the available choices.",
        "正しく選択してください。{value}は選択肢にありません。",
    ),
    "filter_date": ("Enter a valid date.", "日付を正しく入力してください。"),
    "filter_datetime": ("Enter a valid date/time.", "日時を正しく入力してください。"),
    "filter_number": ("Enter a number.", "数値を入力してください。"),
    "not_found": ("Not found.", "見つかりませんでした。"),
    "invalid_page": ("Invalid page.", "不正なページです。"),
    "no_credentials": (
        "Authentication credentials were not provided.",
        "認証情報が含まれていません。",
    ),
    "bad_token": ("Invalid or expired token.", "トークンが無効か期限切れです。"),
    "method": ('Method "{method}" not allowed.', "メソッド「{method}」は許可されていません。"),
    "json": ("JSON parse error - {detail}", "JSONの解析エラー - {detail}"),
    "not_object": (
        "Invalid data. Expected a dictionary, but got {type}.",
        "不正なデータです。辞書型を期待しましたが{type}型を受け取りました。",
    ),
    "media_type": (
        'Unsupported media type "{type}" in request.',
        "リクエストのメディアタイプ「{type}」はサポートされていません。",
    ),
    "throttled": (
        "Request was throttled. Expected available in {wait} seconds.",
        "リクエストが制限されています。{wait}秒後に再度お試しください。",
    ),
    "server_error": ("A server error occurred.", "サーバーエラーが発生しました。"),
    "unavailable": (
        "Service temporarily unavailable.",
        "サービスは一時的に利用できません。",
    ),
    "bad_gateway": ("Bad gateway.", "ゲートウェイエラーが発生しました。"),
    "gateway_timeout": ("Gateway timeout.", "ゲートウェイがタイムアウトしました。"),
    "too_many": ("Too many requests.", "リクエストが多すぎます。"),
}

# The shared middleware's fixed messages, mapped to catalogue keys for translation.
_BASE_MESSAGES = {
    "Too many requests.": "too_many",
    "A server error occurred.": "server_error",
    "Bad gateway.": "bad_gateway",
    "Service temporarily unavailable.": "unavailable",
    "Gateway timeout.": "gateway_timeout",
    "Not Found": "not_found",
    "Server error": "server_error",
}
_THROTTLED_RE = re.compile(r"Expected available in (\d+) seconds")

Msg = tuple[str, dict[str, Any]]


def _tr(lang: str, key: str, kw: Mapping[str, Any] | None = None) -> str:
    en, ja = _MSG[key]
    text = ja if lang == "ja" else en
    return text.format(**kw) if kw else text


class _Errors:
    """Field errors collected while validating one request; messages are translated late."""

    def __init__(self) -> None:
        self.fields: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}

    def add(self, field: str, key: str, *, path: str = "", **kw: Any) -> None:
        self.fields.setdefault(field, []).append((path, key, kw))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def check(self) -> None:
        if self.fields:
            raise _Invalid(self)

    def render(self, lang: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for field, items in self.fields.items():
            out[field] = [
                f"{path}: {_tr(lang, key, kw)}" if path else _tr(lang, key, kw)
                for path, key, kw in items
            ]
        return out


class _Invalid(Exception):
    """400 with field (or ``non_field_errors``) messages."""

    def __init__(self, errors: _Errors) -> None:
        super().__init__("invalid")
        self.errors = errors


class _Failure(Exception):
    """Any other error answer: ``status`` and a catalogue message under ``response.detail``."""

    def __init__(self, status: int, key: str, **kw: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.kw = kw


def _invalid(field: str, key: str, **kw: Any) -> NoReturn:
    errs = _Errors()
    errs.add(field, key, **kw)
    raise _Invalid(errs)


def _not_found() -> NoReturn:
    raise _Failure(404, "not_found")


# -- small value helpers --------------------------------------------------------------------------


def _ts(dt: datetime) -> str:
    """A timestamp as MakeLeaps returns it: UTC, microseconds, ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> datetime:
    return datetime.now(UTC)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: str) -> date | None:
    if not _DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_datetime(value: str) -> datetime | None:
    """An ISO 8601 date and time (seconds and zone optional; naive means UTC)."""
    if len(value) < 16 or value[10] not in "T ":
        return None
    try:
        dt = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _decimal(value: str) -> Decimal | None:
    try:
        d = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d if d.is_finite() else None


def _places(currency: str) -> int:
    info = D.CURRENCIES.get(currency)
    return info[3] if info else 2


def _money(value: Decimal, places: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _rate_key(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _jstype(value: Any) -> str:
    if value is None:
        return "NoneType"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(
        type(value), type(value).__name__
    )


def _bool_param(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("true", "1", "yes", "y", "on"):
        return True
    if v in ("false", "0", "no", "n", "off"):
        return False
    return None


def _mid_of(value: str) -> str:
    """The mid in a filter value that may be a bare mid or a resource URL."""
    value = value.strip()
    if "/" in value:
        return urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1]
    return value


def _slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    for suffix in ("-co-ltd", "-inc", "-llc", "-ltd", "-corporation", "-pte", "-gmbh"):
        out = out.replace(suffix, "")
    return out.strip("-") or "example"


def _minimal_pdf(title: str) -> bytes:
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = "%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += f"{i} 0 obj\n{obj}\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    body += "".join(f"{o:010d} 00000 n \n" for o in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return body.encode()


class _Col:
    """One collection: ``items`` (mid -> record, insertion order) plus a cached list order."""

    __slots__ = ("_order", "items", "newest_first")

    def __init__(self, newest_first: bool = False) -> None:
        self.items: dict[str, Record] = {}
        self.newest_first = newest_first
        self._order: list[str] | None = None

    def ordered(self) -> list[str]:
        order = self._order
        if order is None or len(order) != len(self.items):
            order = list(self.items)
            if self.newest_first:
                order.reverse()
            self._order = order
        return order

    def add(self, mid: str, record: Record) -> None:
        self.items[mid] = record
        self._order = None

    def remove(self, mid: str) -> None:
        self.items.pop(mid, None)
        self._order = None


# (collection, newest first); the rest of the code refers to them by these names.
_COLLECTIONS = (
    ("partners", False),
    ("currencies", False),
    ("employees", False),
    ("templates", False),
    ("tags", False),
    ("catalog_items", False),
    ("clients", False),
    ("client_settings", False),
    ("contacts", False),
    ("documents", False),
    ("pickup_links", False),
    ("tasks", False),
    ("sending_orders", False),
    ("sending_order_items", False),
    ("history", True),
    ("inbox", True),
    ("received_documents", False),
    ("accepted_orders", False),
)

# URL segment (after /api/partner/<pmid>/) -> collection, for references sent by clients.
_REF_SEGMENTS = {
    "client": "clients",
    "contact": "contacts",
    "document": "documents",
    "item": "catalog_items",
    "employee": "employees",
    "secureinbox/received-document": "received_documents",
}
_REF_RE = re.compile(
    r"^/api/partner/([^/]+)/(client|contact|document|item|employee|"
    r"secureinbox/received-document)/([^/]+)/?$"
)

# Field kinds understood by ``_clean``: name -> (kind, argument).
Spec = dict[str, tuple[str, Any]]

_LINEITEM_SPEC: Spec = {
    "kind": ("choice", LINE_KINDS),
    "description": ("str", None),
    "unit_cost": ("decimal", None),
    "quantity": ("decimal", None),
    "quantity_unit": ("str", None),
    "price": ("decimal", None),
    "is_taxable": ("bool", None),
    "is_tax_inclusive": ("bool", None),
    "has_jp_withholding_tax": ("bool", None),
    "currency": ("currency", None),
    "tax_rate": ("decimal", None),
    "extended_data": ("any", None),
    "vendor_cost": ("decimal", None),
    "source_catalog_item": ("ref", "catalog_items"),
    "position": ("int", None),
}

_DOC_STRINGS = (
    "title",
    "project_name",
    "bank_details_header",
    "bank_details",
    "message",
    "proviso",
    "note",
    "sender_name",
    "sender_contact_department",
    "sender_contact_title",
    "sender_contact_name",
    "sender_address_format",
    "sender_country",
    "sender_postal_code",
    "sender_region",
    "sender_locality",
    "sender_street_address",
    "sender_extended_address",
    "sender_phone_number",
    "sender_fax_number",
    "recipient_name",
    "recipient_contact_department",
    "recipient_contact_title",
    "recipient_contact_name",
    "recipient_honorific",
    "recipient_address_format",
    "recipient_country",
    "recipient_postal_code",
    "recipient_region",
    "recipient_locality",
    "recipient_street_address",
    "recipient_extended_address",
    "recipient_phone_number",
    "recipient_fax_number",
    "partner_tax_registration_number",
)
_DOC_BOOLS = (
    "group_lineitem_by_tax_rate",
    "has_hanko",
    "has_prices",
    "has_totals",
    "has_currency_code",
    "has_lineitem_tax_state",
    "signature",
    "display_tax_rate",
    "hide_tax_description",
    "has_tax_stamp",
    "round_tax_down",
    "autocalculate",
    "use_virtual_account",
    "use_external_pdf",
)
_DOC_MONEY = (
    "subtotal",
    "tax",
    "jp_withholding_tax",
    "subtotal_sales_tax",
    "subtotal_withholding_tax",
    "total",
)
_DOC_SPEC: Spec = {
    "document_number": ("str", None),
    "document_type": ("choice", DOC_TYPES),
    "document_template": ("str", None),
    "currency": ("currency", None),
    "tax_rate": ("decimal", None),
    "mixed_tax_rate_totals": ("any", None),
    "extended_data": ("any", None),
    "external_id": ("str", None),
    "tags": ("strlist", None),
    "client": ("ref", "clients"),
    "client_contact": ("ref", "contacts"),
    "date": ("date", None),
    "date_due": ("date", None),
    "date_valid": ("date", None),
    "date_shipped": ("date", None),
    "lineitems": ("skip", None),  # validated by _clean_lineitems
    "purchase_order_ids": ("strlist", None),
    "source_received_document": ("ref", "received_documents"),
    **{f: ("str", None) for f in _DOC_STRINGS},
    **{f: ("bool", None) for f in _DOC_BOOLS},
    **{f: ("decimal", None) for f in _DOC_MONEY},
    **{f: ("datetime", None) for f in MARKING_FIELDS},
}
_DOC_REQUIRED = ("document_type", "document_number", "client", "currency")
_DOC_DATE_FIELDS = frozenset({"date", "date_due", "date_valid", "date_shipped"})
_DOC_TS_FIELDS = frozenset({*MARKING_FIELDS, "date_removed", "date_converted"})
_DOC_EXACT = ("document_number", "document_type", "document_template", "external_id", "currency")
_DOC_FLAGS = {
    "accepted": "date_accepted",
    "confirmed": "date_confirmed",
    "sent": "date_sent",
    "paid": "date_paid",
    "cancelled": "date_cancelled",
}

_ITEM_SPEC: Spec = {
    **{k: v for k, v in _LINEITEM_SPEC.items() if k not in ("source_catalog_item", "position")},
    "product_code": ("str", None),
    "interval": ("choice", ("monthly", "bimonthly", "quarterly", "yearly")),
    "metered": ("bool", None),
    "tax_category": ("choice", ("default", "alternate", "custom")),
}
_ITEM_REQUIRED = ("description",)

_ADDRESS_SPEC: Spec = {
    "format": ("str", None),
    "country_name": ("str", None),
    "street_address": ("str", None),
    "extended_address": ("str", None),
    "locality": ("str", None),
    "region": ("str", None),
    "postal_code": ("str", None),
}
_CONTACT_SPEC: Spec = {
    "contact_type": ("choice", ("organization", "person")),
    "name": ("str", None),
    "family_name": ("str", None),
    "given_name": ("str", None),
    "title": ("str", None),
    "department": ("str", None),
    "phone_number": ("str", None),
    "fax_number": ("str", None),
    "email": ("email", None),
    "addresses": ("addresses", None),
}
_CLIENT_SPEC: Spec = {
    "client_external_id": ("str", None),
    "contacts": ("client_contacts", None),
    "default_contact": ("ref", "contacts"),
    "lang_code": ("str", None),
    "date_cutoff": ("int", None),
}
_SETTINGS_SPEC: Spec = {
    "securesend_subject": ("str", None),
    "securesend_message": ("str", None),
    "send_by_secure_send": ("bool", None),
    "send_by_post": ("bool", None),
    "enable_cc_payments": ("bool", None),
    "use_document_contact": ("bool", None),
    "secure_send_contacts": ("refs", "contacts"),
}
_ORDER_ADDRESS_KEYS = (
    "address_format",
    "country",
    "street_address",
    "extended_address",
    "locality",
    "region",
    "postal_code",
)
_ORDER_SPEC: Spec = {
    "recipient_organization": ("ref", "clients"),
    "securesend_selected": ("bool", None),
    "to_emails": ("emails", None),
    "send_to_contacts": ("refs", "contacts"),
    "subject": ("str", None),
    "message": ("str", None),
    "enable_cc_payments": ("bool", None),
    "sendbypost_selected": ("bool", None),
    "stamp_type": ("choice", STAMP_TYPES),
    "recipient_contact_organization_name": ("str", None),
    "recipient_contact_department": ("str", None),
    "recipient_contact_title": ("str", None),
    "recipient_contact_name": ("str", None),
    "recipient_honorific": ("str", None),
    "recipient_address": ("order_address", None),
    "sender_contact_organization_name": ("str", None),
    "sender_contact_phone_number": ("str", None),
    "sender_address": ("order_address", None),
    "external_id": ("str", None),
}
_ORDER_REQUIRED = ("recipient_organization",)
_ORDER_ITEM_SPEC: Spec = {
    "position": ("int", None),
    "document": ("ref", "documents"),
    "filename": ("str", None),
}
_HISTORY_SPEC: Spec = {
    "event_name": ("str", None),
    "action_flag": ("int", None),
    "object_repr": ("str", None),
}

# Fields of "Visible Document Data" (a document as a recipient sees it).
_VISIBLE_FIELDS = (
    "document_number",
    "document_type",
    "title",
    "project_name",
    "bank_details_header",
    "bank_details",
    "message",
    "proviso",
    "group_lineitem_by_tax_rate",
    "has_hanko",
    "has_prices",
    "has_totals",
    "has_currency_code",
    "has_lineitem_tax_state",
    "signature",
    "display_tax_rate",
    "hide_tax_description",
    "has_tax_stamp",
    "jp_withholding_tax_type",
    "currency",
    "subtotal",
    "tax",
    "jp_withholding_tax",
    "tax_rate",
    "subtotal_sales_tax",
    "subtotal_withholding_tax",
    "total",
    "mixed_tax_rate_totals",
    "extended_data",
    "date",
    "date_due",
    "date_valid",
    "date_shipped",
    *(f for f in _DOC_STRINGS if f.startswith(("sender_", "recipient_"))),
    "lineitems",
    "purchase_order_ids",
    "partner_tax_registration_number",
)


class MakeLeapsEmulator(Emulator):
    """MakeLeaps as documented in ``makeleaps.txt``; see ``docs/sandbox/makeleaps.md``.

    Knobs (class attributes, or set on the instance from ``sb.emulator("makeleaps")``):
    ``page_size`` (records per list page, 20), ``task_polls`` (GETs of a task before it reaches
    100, 2), ``validation_polls`` (GETs of a changed sending order before its validation result
    shows, 1), ``post_cancel_window`` (seconds a Send by Post order stays cancellable, 1800).
    """

    name = "makeleaps"
    base_path = ""
    default_quota = "120/minute;5000/day"
    default_token_ttl = 36000.0
    auth_paths = frozenset({"/user/oauth2/token/", "/user/oauth2/revoke-token/"})
    #: "120 requests per minute" is the API's (/api/) throttle; the OAuth2 endpoints under
    #: /user/oauth2/ are not API requests and neither count nor meet it.
    throttle_auth_paths = False

    page_size: int = 20
    task_polls: int = 2
    validation_polls: int = 1
    post_cancel_window: float = 1800.0

    client_id: str
    client_secret: str
    partner_mid: str

    # == seed data =============================================================================

    def seed_data(self) -> None:
        rng = self.rng
        self._mids: set[str] = set()
        self.client_id = "".join(rng.choices(_ALNUM, k=40))
        self.client_secret = "".join(rng.choices(_ALNUM, k=64))
        self.partner_mid = self._new_mid()
        self._p = f"{ORIGIN}/api/partner/{self.partner_mid}"
        self._cols: dict[str, _Col] = {}
        for name, newest_first in _COLLECTIONS:
            col = _Col(newest_first)
            self._cols[name] = col
            self.store[name] = col.items
        self._json_cache: dict[str, tuple[Record, str]] = {}
        self._filter_cache: dict[str, tuple[list[str], list[str]]] = {}
        self._viewed: set[str] = set()
        self._doc_links: dict[str, list[str]] = {}
        self._order_items: dict[str, list[str]] = {}
        self._order_state: dict[str, dict[str, Any]] = {}
        self._item_files: dict[str, dict[str, Any]] = {}
        self._tasks: dict[str, dict[str, Any]] = {}
        self._progress: dict[str, str] = {}
        self._archived_templates: set[str] = set()
        self._doc_numbers: dict[tuple[str, str], str] = {}
        self._client_currency: dict[str, str] = {}
        self._client_lang: dict[str, str] = {}
        self._contact_address: dict[str, Record] = {}

        self._seed_partner()
        self._seed_currencies()
        self._seed_templates()
        self._seed_employees()
        self._seed_catalog()
        self._seed_clients(self.records)
        self._seed_documents(self.records)
        self._seed_pickup_links()
        self._seed_sending_orders(self.records // 5)
        self._seed_inbox(min(self.records, max(3, self.records // 10)))
        self._seed_history()
        self._seed_tags()
        del self._client_currency, self._client_lang

    def _new_mid(self) -> str:
        while True:
            mid = str(self.rng.randrange(10**18, 10**19))
            if mid not in self._mids:
                self._mids.add(mid)
                return mid

    def _url(self, segment: str, mid: str) -> str:
        return f"{self._p}/{segment}/{mid}/"

    def _seed_partner(self) -> None:
        p = self._p
        region, locality, postal, street, ext = D.PARTNER_ADDRESS
        self._cols["partners"].add(
            self.partner_mid,
            {
                "url": f"{p}/",
                "mid": self.partner_mid,
                "name": D.PARTNER_NAME_EN,
                "clients": f"{p}/client/",
                "contacts": f"{p}/contact/",
                "documents": f"{p}/document/",
                "line_item_catalog": f"{p}/item/",
                "tags": f"{p}/tag/",
                "sending_orders": f"{p}/sending/order/",
                "history": f"{p}/history/",
                "integrations": {},
                "account_name": D.PARTNER_ACCOUNT,
            },
        )
        self._sender = {
            "sender_name": D.PARTNER_NAME_JA,
            "sender_contact_department": "経理部",
            "sender_contact_title": "",
            "sender_contact_name": "",
            "sender_address_format": "jp_default",
            "sender_country": "JP",
            "sender_postal_code": postal,
            "sender_region": region,
            "sender_locality": locality,
            "sender_street_address": street,
            "sender_extended_address": ext,
            "sender_phone_number": D.PARTNER_PHONE,
            "sender_fax_number": "",
        }

    def _seed_currencies(self) -> None:
        for code, (name, _ja, symbol, places) in D.CURRENCIES.items():
            self._cols["currencies"].add(
                code, {"code": code, "name": name, "symbol": symbol, "decimal_places": places}
            )

    def _seed_templates(self) -> None:
        for doc_type in DOC_TYPES:
            for code, name, _ja, lang, archived in D.TEMPLATES:
                key = f"{doc_type}:{code}"
                self._cols["templates"].add(
                    key,
                    {
                        "template_code": code,
                        "document_type": doc_type,
                        "display_name": name,
                        "language_code": lang,
                    },
                )
                if archived:
                    self._archived_templates.add(key)

    def _seed_employees(self) -> None:
        rng = self.rng
        for i, (name, local, owner, admin, left) in enumerate(D.EMPLOYEES):
            mid = self._new_mid()
            start = ANCHOR - timedelta(days=1500 - 150 * i, seconds=rng.randrange(86400))
            end = ANCHOR - timedelta(days=rng.randrange(30, 200)) if left else None
            self._cols["employees"].add(
                mid,
                {
                    "url": self._url("employee", mid),
                    "mid": mid,
                    "name": name,
                    "email": f"{local}@{D.PARTNER_DOMAIN}",
                    "start_date": _ts(start),
                    "end_date": _ts(end) if end else None,
                    "integrations": {},
                    "has_seat": not left,
                    "is_owner": owner,
                    "is_admin": admin,
                },
            )
        self._me = next(iter(self._cols["employees"].items))
        self._active_employees = [
            m for m, e in self._cols["employees"].items.items() if e["end_date"] is None
        ]

    def _seed_catalog(self) -> None:
        rng = self.rng
        for code, desc, cost, unit, category, interval, metered in D.CATALOG_ITEMS:
            mid = self._new_mid()
            vendor_cost = _money(Decimal(cost) * Decimal(rng.randrange(40, 80)) / 100, 0)
            self._cols["catalog_items"].add(
                mid,
                {
                    "kind": "normal",
                    "description": desc,
                    "unit_cost": cost,
                    "quantity": "1",
                    "quantity_unit": unit,
                    "price": cost,
                    "is_taxable": True,
                    "is_tax_inclusive": False,
                    "has_jp_withholding_tax": code == "WRITE-JP",
                    "currency": "JPY",
                    "tax_rate": "10.00" if category == "custom" else None,
                    "extended_data": None,
                    "vendor_cost": vendor_cost,
                    "source_catalog_item": None,
                    "mid": mid,
                    "url": self._url("item", mid),
                    "product_code": code,
                    "interval": interval,
                    "metered": metered,
                    "tax_category": category,
                },
            )

    # -- clients and contacts ------------------------------------------------------------------

    def _address_jp(self) -> Record:
        rng = self.rng
        region, locality, postal = rng.choice(D.JP_ADDRESSES)
        street = f"{rng.randint(1, 5)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}"
        return {
            "format": "jp_default",
            "country_name": "JP",
            "street_address": street,
            "extended_address": rng.choice(D.JP_BUILDINGS),
            "locality": locality,
            "region": region,
            "postal_code": postal,
        }

    def _address_overseas(self) -> Record:
        country, region, locality, postal, street = self.rng.choice(D.OVERSEAS_ADDRESSES)
        return {
            "format": "default",
            "country_name": country,
            "street_address": street,
            "extended_address": self.rng.choice(("", "Suite 200", "Floor 12", "Unit 5")),
            "locality": locality,
            "region": region,
            "postal_code": postal,
        }

    @staticmethod
    def _address_html(address: Record | None) -> str | None:
        if not address:
            return None
        if address.get("country_name", "JP") == "JP":
            pref = D.PREFECTURES.get(address.get("region") or "", address.get("region") or "")
            line = f"{pref}{address.get('locality') or ''}{address.get('street_address') or ''}"
            parts = [f"〒{address.get('postal_code') or ''}", line]
        else:
            parts = [
                address.get("street_address") or "",
                f"{address.get('locality') or ''}, {address.get('region') or ''} "
                f"{address.get('postal_code') or ''}".strip(),
                address.get("country_name") or "",
            ]
        if address.get("extended_address"):
            parts.insert(2, address["extended_address"])
        return "<br>".join(p for p in parts if p)

    def _phone(self, jp: bool) -> str:
        rng = self.rng
        if jp:
            area = rng.choice((3, 6, 45, 52, 92, 11))
            return f"0{area}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        return f"+1 {rng.randint(200, 999)}-555-{rng.randint(1000, 9999)}"

    @staticmethod
    def _contact_display(c: Record) -> str:
        if c["contact_type"] == "organization":
            return str(c.get("name") or "")
        family, given = c.get("family_name") or "", c.get("given_name") or ""
        if c.get("format") == "jp":
            return f"{family} {given}".strip()
        return f"{given} {family}".strip()

    @staticmethod
    def _contact_format(c: Record) -> str:
        text = "".join(str(c.get(k) or "") for k in ("name", "family_name", "given_name"))
        return "jp" if any(ord(ch) > 0x2E7F for ch in text) else "default"

    def _make_contact(self, fields: Record, owner_mid: str | None, is_default: bool) -> Record:
        mid = self._new_mid()
        contact: Record = {
            "url": self._url("contact", mid),
            "mid": mid,
            "owner": self._url("client", owner_mid) if owner_mid else None,
            "owner_type": "client" if owner_mid else None,
            "contact_type": fields.get("contact_type", "organization"),
            "name": fields.get("name", ""),
            "family_name": fields.get("family_name", ""),
            "given_name": fields.get("given_name", ""),
            "display_name": "",
            "title": fields.get("title", ""),
            "department": fields.get("department", ""),
            "format": "default",
            "phone_number": fields.get("phone_number", ""),
            "fax_number": fields.get("fax_number", ""),
            "is_default": is_default,
            "email": fields.get("email"),
            "addresses": fields.get("addresses", []),
            "default_address": None,
            "integrations": {},
        }
        self._refresh_contact(contact)
        self._cols["contacts"].add(mid, contact)
        return contact

    def _refresh_contact(self, contact: Record) -> None:
        contact["format"] = self._contact_format(contact)
        contact["display_name"] = self._contact_display(contact)
        addresses = contact.get("addresses") or []
        contact["default_address"] = self._address_html(addresses[0] if addresses else None)

    def _seed_clients(self, count: int) -> None:
        rng = self.rng
        for i in range(count):
            mid = self._new_mid()
            roll = rng.random()
            contacts: list[Record] = []
            if roll < 0.72:  # Japanese company
                ja, en = rng.choice(D.JP_COMPANIES)
                branch = rng.choice(D.BRANCHES_JA)
                name = f"{ja} {branch}".strip()
                domain = f"{_slug(en)}.example.jp"
                address = self._address_jp()
                org = {
                    "contact_type": "organization",
                    "name": name,
                    "phone_number": self._phone(True),
                    "fax_number": self._phone(True) if rng.random() < 0.3 else "",
                    "email": {"address": f"keiri@{domain}"},
                    "addresses": [address],
                }
                contacts.append(org)
                for _ in range(rng.choice((0, 1, 1, 2))):
                    fam, fam_r = rng.choice(D.JP_FAMILY_NAMES)
                    giv, giv_r = rng.choice(D.JP_GIVEN_NAMES)
                    contacts.append(
                        {
                            "contact_type": "person",
                            "family_name": fam,
                            "given_name": giv,
                            "title": rng.choice(D.JP_TITLES),
                            "department": rng.choice(D.JP_DEPARTMENTS),
                            "phone_number": self._phone(True),
                            "email": {"address": f"{giv_r}.{fam_r}@{domain}".lower()},
                            "addresses": [dict(address)],
                        }
                    )
                currency, lang = "JPY", "ja"
            elif roll < 0.84:  # a Japanese sole proprietor (one person contact)
                fam, fam_r = rng.choice(D.JP_FAMILY_NAMES)
                giv, giv_r = rng.choice(D.JP_GIVEN_NAMES)
                contacts.append(
                    {
                        "contact_type": "person",
                        "family_name": fam,
                        "given_name": giv,
                        "phone_number": self._phone(True),
                        "email": {"address": f"{giv_r}.{fam_r}@example.jp".lower()},
                        "addresses": [self._address_jp()],
                    }
                )
                currency, lang = "JPY", "ja"
            else:  # an overseas company
                base = rng.choice(D.EN_COMPANIES)
                branch = rng.choice(D.BRANCHES_OVERSEAS)
                name = f"{base} {branch}".strip() if branch else base
                domain = f"{_slug(base)}.example.com"
                address = self._address_overseas()
                contacts.append(
                    {
                        "contact_type": "organization",
                        "name": name,
                        "phone_number": self._phone(False),
                        "email": {"address": f"ap@{domain}"},
                        "addresses": [address],
                    }
                )
                if rng.random() < 0.6:
                    giv = rng.choice(D.EN_GIVEN_NAMES)
                    fam = rng.choice(D.EN_FAMILY_NAMES)
                    contacts.append(
                        {
                            "contact_type": "person",
                            "family_name": fam,
                            "given_name": giv,
                            "title": rng.choice(D.EN_TITLES),
                            "department": rng.choice(D.EN_DEPARTMENTS),
                            "phone_number": self._phone(False),
                            "email": {"address": f"{giv}.{fam}@{domain}".lower()},
                            "addresses": [dict(address)],
                        }
                    )
                country = address["country_name"]
                currency = {"GB": "GBP", "DE": "EUR", "SG": "SGD", "AU": "AUD"}.get(country, "USD")
                lang = "en"
            created = [self._make_contact(c, mid, j == 0) for j, c in enumerate(contacts)]
            archived = (
                _ts(ANCHOR - timedelta(days=rng.randrange(1, 300))) if rng.random() < 0.07 else None
            )
            client: Record = {
                "url": self._url("client", mid),
                "mid": mid,
                "display_name": "",
                "organization_type": "",
                "is_organization": False,
                "date_archived": archived,
                "client_external_id": f"C-{i + 1:05d}" if rng.random() < 0.5 else "",
                "contacts": [c["url"] for c in created],
                "default_contact": created[0]["url"],
                "managing_teams": [],
                "default_presets": [],
                "integrations": {},
                "lang_code": lang,
                "settings": f"{self._url('client', mid)}settings/",
                "date_cutoff": rng.choice((None, 20, 25, 31)) if lang == "ja" else None,
            }
            self._refresh_client(client)
            self._cols["clients"].add(mid, client)
            self._cols["client_settings"].add(mid, self._default_settings(mid, lang))
            self._client_currency[mid] = currency
            self._client_lang[mid] = lang

    def _default_settings(self, client_mid: str, lang: str) -> Record:
        return {
            "url": f"{self._url('client', client_mid)}settings/",
            "securesend_subject": "@(document_number)",
            "securesend_message": (
                "いつもお世話になっております。書類を送付いたしますので、ご確認をお願いいたします。"
                if lang == "ja"
                else "Please find the attached document. Thank you for your business."
            ),
            "send_by_secure_send": True,
            "send_by_post": False,
            "enable_cc_payments": False,
            "use_document_contact": True,
            "secure_send_contacts": [],
        }

    def _refresh_client(self, client: Record) -> None:
        contacts = [self._contact_by_url(u) for u in client["contacts"]]
        present = [c for c in contacts if c is not None]
        orgs = [c for c in present if c["contact_type"] == "organization"]
        main = orgs[0] if orgs else (present[0] if present else None)
        client["display_name"] = main["display_name"] if main else ""
        client["is_organization"] = bool(orgs)
        client["organization_type"] = "organization" if orgs else "person"
        for c in present:
            c["is_default"] = c["url"] == client["default_contact"]

    def _contact_by_url(self, url: str | None) -> Record | None:
        if not url:
            return None
        return self._cols["contacts"].items.get(url.rstrip("/").rsplit("/", 1)[-1])

    # -- documents -----------------------------------------------------------------------------

    def _seed_documents(self, count: int) -> None:
        rng = self.rng
        if not count:
            return
        types, weights = zip(
            *(
                ("invoice", 45),
                ("quote", 15),
                ("receipt", 8),
                ("deliveryslip", 8),
                ("orderslip", 5),
                ("order", 5),
                ("orderconfirmation", 5),
                ("acceptance", 5),
                ("timesheet", 4),
            ),
            strict=True,
        )
        client_mids = list(self._cols["clients"].items)
        active = [m for m in client_mids if self._cols["clients"].items[m]["date_archived"] is None]
        offsets = sorted(rng.randrange(0, 730 * 24) for _ in range(count))
        seq: dict[str, int] = {}
        catalog = list(self._cols["catalog_items"].items.values())
        for hours in offsets:
            created = ANCHOR - timedelta(hours=730 * 24 - hours)
            doc_type = rng.choices(types, weights)[0]
            seq[doc_type] = seq.get(doc_type, 0) + 1
            client_mid = rng.choice(active or client_mids)
            self._seed_document(doc_type, f"{seq[doc_type]:04d}", client_mid, created, catalog)

    def _seed_lineitems(self, catalog: list[Record], currency: str) -> list[Record]:
        rng = self.rng
        places = _places(currency)
        rate_jpy = Decimal(1) if currency == "JPY" else Decimal(rng.choice((140, 150, 160)))
        items: list[Record] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            roll = rng.random()
            if roll < 0.82:
                cat = rng.choice(catalog)
                qty = rng.randint(1, 10) * (500 if cat["product_code"] == "PRINT-A4" else 1)
                unit = _money(Decimal(cat["unit_cost"]) / rate_jpy, places)
                category = cat["tax_category"]
                tax_rate = {
                    "default": "10.00",
                    "alternate": "8.00",
                    "custom": cat["tax_rate"] or "10.00",
                }.get(category or "", "10.00")
                items.append(
                    self._lineitem(
                        "normal",
                        cat["description"],
                        unit,
                        str(qty),
                        cat["quantity_unit"],
                        currency,
                        tax_rate,
                        source=cat["url"],
                        withholding=cat["has_jp_withholding_tax"] and currency == "JPY",
                    )
                )
            elif roll < 0.92:
                fee = _money(Decimal(rng.choice((800, 1200, 1500, 3000))) / rate_jpy, places)
                desc = "送料" if currency == "JPY" else "Shipping"
                items.append(self._lineitem("simple", desc, None, None, "", currency, "10.00"))
                items[-1]["price"] = fee
            else:
                desc = "※ 詳細は別紙をご参照ください。" if currency == "JPY" else "See attached."
                items.append(self._lineitem("text", desc, None, None, "", currency, None))
        return items

    @staticmethod
    def _lineitem(
        kind: str,
        description: str,
        unit_cost: str | None,
        quantity: str | None,
        unit: str,
        currency: str,
        tax_rate: str | None,
        *,
        source: str | None = None,
        withholding: bool = False,
    ) -> Record:
        return {
            "kind": kind,
            "description": description,
            "unit_cost": unit_cost,
            "quantity": quantity,
            "quantity_unit": unit,
            "price": None,
            "is_taxable": kind != "text",
            "is_tax_inclusive": False,
            "has_jp_withholding_tax": withholding,
            "currency": currency,
            "tax_rate": tax_rate,
            "extended_data": None,
            "vendor_cost": None,
            "source_catalog_item": source,
        }

    def _seed_document(
        self,
        doc_type: str,
        number: str,
        client_mid: str,
        created: datetime,
        catalog: list[Record],
    ) -> None:
        rng = self.rng
        mid = self._new_mid()
        client = self._cols["clients"].items[client_mid]
        currency = self._client_currency[client_mid]
        ja = self._client_lang[client_mid] == "ja"
        day = created.date()
        month = day.month
        title = (rng.choice(D.TITLES_JA) if ja else rng.choice(D.TITLES_EN)).format(
            month=month, month_name=D.MONTH_NAMES[month - 1]
        )
        lineitems = self._seed_lineitems(catalog, currency)
        doc: Record = {
            "document_number": number,
            "document_type": doc_type,
            "title": title,
            "project_name": rng.choice(D.PROJECTS),
            "bank_details_header": ("お振込先" if ja else "Bank details")
            if doc_type == "invoice"
            else "",
            "bank_details": D.BANK_DETAILS if doc_type == "invoice" and currency == "JPY" else "",
            "message": (
                {
                    "invoice": "下記の通りご請求申し上げます。",
                    "quote": "下記の通りお見積り申し上げます。",
                }.get(doc_type, "下記の通りご確認ください。")
                if ja
                else "Thank you for your business."
            ),
            "proviso": ("お品代として" if ja else "For goods") if doc_type == "receipt" else "",
            "group_lineitem_by_tax_rate": False,
            "has_hanko": ja,
            "has_prices": doc_type != "timesheet",
            "has_totals": doc_type != "timesheet",
            "has_currency_code": currency != "JPY",
            "has_lineitem_tax_state": False,
            "signature": False,
            "display_tax_rate": True,
            "hide_tax_description": False,
            "has_tax_stamp": False,
            "currency": currency,
            "subtotal": "0",
            "tax": "0",
            "jp_withholding_tax": "0",
            "tax_rate": "10.00",
            "subtotal_sales_tax": "0",
            "subtotal_withholding_tax": "0",
            "total": "0",
            "mixed_tax_rate_totals": {},
            "extended_data": None,
            "mid": mid,
            "document_template": rng.choice(("ja_JP_pro_3", "ja_JP_v4_1"))
            if ja
            else rng.choice(("en_US_pro_3", "en_US_v4_1")),
            "display_name": "",
            "note": rng.choice(D.NOTES),
            "external_id": f"ERP-{rng.randrange(100000, 999999)}" if rng.random() < 0.3 else "",
            "round_tax_down": True,
            "tags": rng.sample(D.TAGS, rng.choice((0, 0, 0, 1, 1, 2))),
            "url": self._url("document", mid),
            "pickup_links": f"{self._url('document', mid)}pickup-link/",
            "pdf_content_url": f"{self._url('document', mid)}pdf/",
            "pdf_upload_url": f"{self._url('document', mid)}upload-pdf/",
            "client": client["url"],
            "client_contact": client["default_contact"],
            "date_paid": None,
            "date_sent": None,
            "date_cancelled": None,
            "date_removed": None,
            "date_accepted": None,
            "date_confirmed": None,
            "date_converted": None,
            "is_accepted": False,
            "is_confirmed": False,
            "is_converted": False,
            "approval_status": None,
            "integrations": {},
            "autocalculate": True,
            "use_virtual_account": False,
            "date": day.isoformat(),
            "date_due": None,
            "date_valid": None,
            "date_shipped": None,
            **self._sender,
            **self._recipient(client, self._contact_by_url(client["default_contact"])),
            "lineitems": lineitems,
            "purchase_order_ids": [f"PO-{rng.randrange(10000, 99999)}"]
            if rng.random() < 0.2
            else [],
            "source_received_document": None,
            "partner_tax_registration_number": D.PARTNER_TAX_NUMBER,
            "use_external_pdf": False,
        }
        self._autocalculate(doc)
        if doc_type == "receipt" and currency == "JPY" and Decimal(doc["total"]) >= 50000:
            doc["has_tax_stamp"] = True
        if doc_type == "invoice":
            nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            doc["date_due"] = (
                (nxt + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            ).isoformat()
        elif doc_type == "quote":
            doc["date_valid"] = (day + timedelta(days=30)).isoformat()
        elif doc_type == "deliveryslip":
            doc["date_shipped"] = day.isoformat()
        age = (ANCHOR - created).days
        if age > 2 and rng.random() < 0.85:
            sent = created + timedelta(hours=rng.randint(1, 48)) + self._jitter()
            doc["date_sent"] = _ts(sent)
            doc["approval_status"] = "approved"
            if rng.random() < 0.6:
                self._viewed.add(mid)
            supported = D.MARKING_DATES[doc_type]
            later = sent + timedelta(days=rng.randint(3, 40)) + self._jitter(86400)
            if later < ANCHOR:
                if "date_paid" in supported and doc_type == "invoice" and rng.random() < 0.8:
                    doc["date_paid"] = _ts(later)
                if "date_accepted" in supported and rng.random() < 0.5:
                    doc["date_accepted"] = _ts(later)
                    doc["is_accepted"] = True
                    if rng.random() < 0.5:
                        doc["date_converted"] = _ts(later + timedelta(days=1))
                        doc["is_converted"] = True
                if "date_confirmed" in supported and rng.random() < 0.6:
                    doc["date_confirmed"] = _ts(later)
                    doc["is_confirmed"] = True
        if rng.random() < 0.03:
            doc["date_cancelled"] = _ts(
                created + timedelta(days=rng.randint(1, 10)) + self._jitter()
            )
        self._set_display(doc)
        self._cols["documents"].add(mid, doc)
        self._doc_numbers[(doc_type, number)] = mid

    def _recipient(self, client: Record, contact: Record | None) -> Record:
        """The ``recipient_*`` fields of a document for this client (and chosen contact)."""
        contact = contact or {}
        contacts = [c for u in client["contacts"] if (c := self._contact_by_url(u))]
        org = next((c for c in contacts if c["contact_type"] == "organization"), None)
        person = contact if contact.get("contact_type") == "person" else None
        if org is not None and person is None and len(contacts) > 1:
            person = next((c for c in contacts if c["contact_type"] == "person"), None)
        address = (contact.get("addresses") or (org or {}).get("addresses") or [{}])[0]
        ja = client.get("lang_code") == "ja"
        return {
            "recipient_name": org["display_name"] if org else contact.get("display_name", ""),
            "recipient_contact_department": (person or {}).get("department", ""),
            "recipient_contact_title": (person or {}).get("title", ""),
            "recipient_contact_name": (person or {}).get("display_name", ""),
            "recipient_honorific": ("御中" if person is None else "様") if ja else "",
            "recipient_address_format": address.get("format", ""),
            "recipient_country": address.get("country_name", ""),
            "recipient_postal_code": address.get("postal_code", ""),
            "recipient_region": address.get("region", ""),
            "recipient_locality": address.get("locality", ""),
            "recipient_street_address": address.get("street_address", ""),
            "recipient_extended_address": address.get("extended_address", ""),
            "recipient_phone_number": contact.get("phone_number", ""),
            "recipient_fax_number": contact.get("fax_number", ""),
        }

    def _jitter(self, seconds: int = 3600) -> timedelta:
        """Some seconds and microseconds, so seeded timestamps look like recorded ones."""
        return timedelta(
            seconds=self.rng.randrange(seconds), microseconds=self.rng.randrange(10**6)
        )

    @staticmethod
    def _set_display(doc: Record) -> None:
        en, _ja = D.DOCUMENT_TYPES[doc["document_type"]]
        doc["display_name"] = f"{en} #{doc['document_number']}"

    @staticmethod
    def _display_ja(doc_type: str, number: str) -> str:
        return f"{D.DOCUMENT_TYPES.get(doc_type, ('', doc_type))[1]}番号{number}"

    def _seed_pickup_links(self) -> None:
        rng = self.rng
        employees = self._cols["employees"].items
        for mid, doc in self._cols["documents"].items.items():
            if doc["date_sent"] is None or rng.random() >= 0.25:
                continue
            created = datetime.fromisoformat(doc["date_sent"])
            clicked = None
            if mid in self._viewed:
                clicked = created + timedelta(hours=rng.randint(1, 72)) + self._jitter()
            by = employees[rng.choice(self._active_employees)]["name"]
            source = rng.choice(("Secure Send", "Shareable Link Panel"))
            self._make_pickup_link(mid, created, by, source, clicked)

    def _make_pickup_link(
        self,
        doc_mid: str,
        created: datetime,
        created_by: str,
        source: str,
        clicked: datetime | None = None,
    ) -> Record:
        mid = self._new_mid()
        url = f"{self._p}/secureinbox/pickup-link/{mid}/"
        doc = self._cols["documents"].items.get(doc_mid, {})
        email = ""
        if source == "Secure Send":
            contact = self._contact_by_url(doc.get("client_contact"))
            email = ((contact or {}).get("email") or {}).get("address", "")
        link: Record = {
            "mid": mid,
            "url": url,
            "cancel_url": f"{url}cancel/",
            "uncancel_url": f"{url}uncancel/",
            "created": _ts(created),
            "link": f"{APP_ORIGIN}/secureinbox/p/{self.rng.getrandbits(192):048x}/",
            "email": email,
            "date_clicked": _ts(clicked) if clicked else None,
            "source": source,
            "expiration_date": (created + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S"),
            "is_cancelled": False,
            "created_by": created_by,
            "supersend": None,
        }
        self._cols["pickup_links"].add(mid, link)
        self._doc_links.setdefault(doc_mid, []).append(mid)
        return link

    # -- sending orders, inbox, history, tags --------------------------------------------------

    def _seed_sending_orders(self, count: int) -> None:
        rng = self.rng
        sent_docs = [d for d in self._cols["documents"].items.values() if d["date_sent"]]
        for _ in range(min(count, len(sent_docs))):
            doc = rng.choice(sent_docs)
            client = self._cols["clients"].items.get(doc["client"].rstrip("/").rsplit("/", 1)[-1])
            if client is None:
                continue
            contact = self._contact_by_url(client["default_contact"]) or {}
            email = (contact.get("email") or {}).get("address")
            by_post = rng.random() < 0.3
            draft = rng.random() < 0.15
            order = self._new_order(
                {
                    "recipient_organization": client["url"],
                    "securesend_selected": True,
                    "to_emails": [email] if email else [],
                    "subject": doc["display_name"],
                    "message": "書類を送付いたします。ご確認ください。",
                    "sendbypost_selected": by_post,
                    "stamp_type": doc["document_type"] if by_post else "nostamp",
                    **(self._post_fields(doc) if by_post else {}),
                },
                employee=rng.choice(self._active_employees),
            )
            omid = order["mid"]
            self._add_order_item(omid, {"position": 0, "document": doc["url"], "filename": ""})
            state = self._order_state[omid]
            state["validating"] = 0
            if not draft:
                order["status"]["securesend"] = (
                    "viewed" if doc["mid"] in self._viewed else "not_viewed"
                )
                if by_post:
                    order["status"]["sendbypost"] = rng.choice(
                        ("mailed", "mailed", "info_not_available")
                    )
                state["sent"] = True

    def _post_fields(self, doc: Record) -> Record:
        return {
            "recipient_contact_organization_name": doc["recipient_name"],
            "recipient_contact_department": doc["recipient_contact_department"],
            "recipient_contact_title": doc["recipient_contact_title"],
            "recipient_contact_name": doc["recipient_contact_name"],
            "recipient_honorific": doc["recipient_honorific"],
            "recipient_address": {
                "address_format": doc["recipient_address_format"],
                "country": doc["recipient_country"],
                "street_address": doc["recipient_street_address"],
                "extended_address": doc["recipient_extended_address"],
                "locality": doc["recipient_locality"],
                "region": doc["recipient_region"],
                "postal_code": doc["recipient_postal_code"],
            },
            "sender_contact_organization_name": D.PARTNER_NAME_JA,
            "sender_contact_phone_number": D.PARTNER_PHONE,
            "sender_address": {
                "address_format": "jp_default",
                "country": "JP",
                "street_address": D.PARTNER_ADDRESS[3],
                "extended_address": D.PARTNER_ADDRESS[4],
                "locality": D.PARTNER_ADDRESS[1],
                "region": D.PARTNER_ADDRESS[0],
                "postal_code": D.PARTNER_ADDRESS[2],
            },
        }

    def _new_order(self, fields: Record, *, employee: str) -> Record:
        mid = self._new_mid()
        url = f"{self._p}/sending/order/{mid}/"
        order: Record = {
            "url": url,
            "mid": mid,
            "send_url": f"{url}send/",
            "recipient_organization": None,
            "employee": self._url("employee", employee),
            "securesend_selected": False,
            "to_emails": [],
            "send_to_contacts": [],
            "subject": "",
            "message": "",
            "enable_cc_payments": False,
            "sendbypost_selected": False,
            "stamp_type": "nostamp",
            "ready_to_order": False,
            "pdf_content_url": f"{url}pdf/",
            "recipient_contact_organization_name": "",
            "recipient_contact_department": "",
            "recipient_contact_title": "",
            "recipient_contact_name": "",
            "recipient_honorific": "",
            "recipient_address": None,
            "sender_contact_organization_name": "",
            "sender_contact_phone_number": "",
            "sender_address": None,
            "validation_errors": [],
            "items": [],
            "items_url": f"{url}items/",
            "status": {
                "url": f"{url}status/",
                "securesend": "draft",
                "sendbypost": "draft",
                "securesend_cancelled": False,
                "sendbypost_cancelled": False,
            },
            "external_id": "",
        }
        order.update(fields)
        self._cols["sending_orders"].add(mid, order)
        self._order_items[mid] = []
        self._order_state[mid] = {
            "validating": self.validation_polls,
            "sent": False,
            "sent_at": None,
        }
        return order

    def _add_order_item(self, order_mid: str, fields: Record) -> Record:
        mid = self._new_mid()
        order_url = f"{self._p}/sending/order/{order_mid}/"
        url = f"{order_url}items/{mid}/"
        item: Record = {
            "url": url,
            "sending_order": order_url,
            "position": fields.get("position", len(self._order_items[order_mid])),
            "document": fields.get("document"),
            "filename": fields.get("filename") or "",
            "upload_url": f"{url}upload/" if fields.get("filename") else None,
        }
        self._cols["sending_order_items"].add(mid, item)
        self._order_items[order_mid].append(mid)
        return item

    def _visible_data(self, doc: Record) -> Record:
        data = {k: doc.get(k) for k in _VISIBLE_FIELDS}
        data["jp_withholding_tax_type"] = "original_reconstruction_tax"
        data["lineitems"] = [
            {k: v for k, v in li.items() if k != "source_catalog_item"}
            for li in doc.get("lineitems") or []
        ]
        return data

    def _seed_inbox(self, count: int) -> None:
        rng = self.rng
        docs = self._cols["documents"].items
        acceptable = [d for d in docs.values() if d["date_accepted"] or d["date_confirmed"]]
        times = sorted(rng.randrange(0, 365 * 24 * 60) for _ in range(count))
        catalog = list(self._cols["catalog_items"].items.values())
        for minutes in times:
            received = ANCHOR - timedelta(minutes=365 * 24 * 60 - minutes)
            mid = self._new_mid()
            url = f"{self._p}/inbox/inbox/{mid}/"
            read = (
                _ts(received + timedelta(hours=rng.randint(1, 96))) if rng.random() < 0.6 else None
            )
            entry: Record = {
                "mid": mid,
                "url": url,
                "type": "received_doc",
                "accepted_order": None,
                "received_doc": None,
                "time_received": _ts(received),
                "time_read": read,
            }
            if acceptable and rng.random() < 0.3:
                doc = rng.choice(acceptable)
                amid = self._new_mid()
                client = self._cols["clients"].items.get(
                    doc["client"].rstrip("/").rsplit("/", 1)[-1]
                )
                entry["type"] = "accepted_order" if doc["date_accepted"] else "confirmed_doc"
                accepted: Record = {
                    "mid": amid,
                    "url": f"{self._p}/secureinbox/accepted-order/{amid}/",
                    "time_accepted": doc["date_accepted"] or doc["date_confirmed"],
                    "client": dict(client) if client else None,
                    "document": doc["url"],
                    "document_data": self._visible_data(doc),
                    "is_paid": doc["date_paid"] is not None,
                    "signatory": doc["recipient_contact_name"] or doc["recipient_name"],
                    "note": "",
                    "generated_document_set": [],
                    "display_name": doc["display_name"],
                    "document_was_edited": False,
                    "pickup_authorization_mid": self._new_mid(),
                    "date": (doc["date_accepted"] or doc["date_confirmed"])[:10],
                }
                self._cols["accepted_orders"].add(amid, accepted)
                entry["accepted_order"] = accepted
            else:
                entry["received_doc"] = self._make_received(received, catalog)
            self._cols["inbox"].add(mid, entry)

    def _make_received(self, received: datetime, catalog: list[Record]) -> Record:
        rng = self.rng
        rmid = self._new_mid()
        ja_name, en_name = rng.choice(D.JP_COMPANIES)
        number = f"{rng.randrange(1, 9999):04d}"
        region, locality, postal = rng.choice(D.JP_ADDRESSES)
        fake: Record = {k: "" for k in _VISIBLE_FIELDS}
        fake.update(
            {
                "document_number": number,
                "document_type": "invoice",
                "title": f"{received.month}月分ご請求",
                "currency": "JPY",
                "tax_rate": "10.00",
                "mixed_tax_rate_totals": {},
                "extended_data": None,
                "date": (received.date() - timedelta(days=rng.randint(0, 5))).isoformat(),
                "date_due": (received.date() + timedelta(days=30)).isoformat(),
                "date_valid": None,
                "date_shipped": None,
                "sender_name": ja_name,
                "sender_country": "JP",
                "sender_region": region,
                "sender_locality": locality,
                "sender_postal_code": postal,
                "recipient_name": D.PARTNER_NAME_JA,
                "recipient_honorific": "御中",
                "purchase_order_ids": [],
                "lineitems": self._seed_lineitems(catalog, "JPY"),
                "partner_tax_registration_number": f"T{rng.randrange(10**12, 10**13)}",
                "round_tax_down": True,
            }
        )
        for flag in (
            "group_lineitem_by_tax_rate",
            "has_lineitem_tax_state",
            "signature",
            "hide_tax_description",
            "has_tax_stamp",
            "has_currency_code",
        ):
            fake[flag] = False
        for flag in ("has_hanko", "has_prices", "has_totals", "display_tax_rate"):
            fake[flag] = True
        self._autocalculate(fake)
        data = self._visible_data(fake)
        url = f"{self._p}/secureinbox/received-document/{rmid}/"
        doc: Record = {
            "mid": rmid,
            "url": url,
            "document_data": data,
            "vendor_name": f"{ja_name}（{en_name}）",
            "display_name": f"Invoice #{number}",
            "pdf_content_url": f"{url}pdf/",
            "generated_document_set": [],
            "received_by": self._url("employee", rng.choice(self._active_employees)),
        }
        self._cols["received_documents"].add(rmid, doc)
        return doc

    def _seed_history(self) -> None:
        rng = self.rng
        events: list[tuple[str, str, int, str, Record]] = []
        for client in self._cols["clients"].items.values():
            when = ANCHOR - timedelta(days=735, minutes=rng.randrange(0, 60 * 24 * 30))
            events.append(
                (_ts(when), "client_created", 1, client["display_name"], self._meta_client(client))
            )
        for doc in self._cols["documents"].items.values():
            created = datetime.fromisoformat(doc["date"]).replace(tzinfo=UTC) + self._jitter(
                9 * 3600
            )
            meta = self._meta_doc(doc)
            events.append((_ts(created), "document_created", 1, doc["display_name"], meta))
            if doc["date_sent"]:
                events.append((doc["date_sent"], "document_sent", 2, doc["display_name"], meta))
            if doc["date_paid"]:
                events.append((doc["date_paid"], "document_paid", 2, doc["display_name"], meta))
        events.sort(key=lambda e: e[0])
        for stamp, event, flag, repr_, meta in events:
            self._add_history(
                event, flag, repr_, meta, when=stamp, employee=rng.choice(self._active_employees)
            )

    def _meta_doc(self, doc: Record) -> Record:
        return {
            "document": doc["url"],
            "document_type": doc["document_type"],
            "document_number": doc["document_number"],
        }

    @staticmethod
    def _meta_client(client: Record) -> Record:
        return {"client": client["url"], "client_external_id": client["client_external_id"]}

    def _add_history(
        self,
        event: str,
        flag: int,
        object_repr: str,
        metadata: Record,
        *,
        when: str | None = None,
        employee: str | None = None,
    ) -> Record:
        mid = self._new_mid()
        emp = self._cols["employees"].items[employee or self._me]
        target = metadata.get("document") or metadata.get("client") or ""
        path = urlsplit(target).path.replace("/api/partner/", "/app/partner/") if target else ""
        entry: Record = {
            "mid": mid,
            "web_url": f"{APP_ORIGIN}{path}" if path else f"{APP_ORIGIN}/app/history/{mid}/",
            "action_time": when or _ts(_now()),
            "created_by": dict(emp),
            "event_name": event,
            "metadata": metadata,
            "action_flag": flag,
            "object_repr": object_repr,
        }
        self._cols["history"].add(mid, entry)
        return entry

    def _seed_tags(self) -> None:
        for tag in D.TAGS:
            mid = self._new_mid()
            self._cols["tags"].add(mid, {"mid": mid, "url": self._url("tag", mid), "name": tag})

    # == money ===============================================================================

    def _autocalculate(self, doc: Record) -> None:
        """Totals, line prices and ``mixed_tax_rate_totals`` as the docs' autocalculation does."""
        currency = doc.get("currency") or "JPY"
        places = _places(currency)
        doc_rate = _decimal(str(doc.get("tax_rate") or DEFAULT_TAX_RATE)) or DEFAULT_TAX_RATE
        round_down = doc.get("round_tax_down", True)
        subtotal = Decimal(0)
        running = Decimal(0)
        sales_base = Decimal(0)
        withholding_base = Decimal(0)
        per_rate: dict[Decimal, Decimal] = {}
        for li in doc.get("lineitems") or []:
            kind = li.get("kind") or "normal"
            if kind == "text":
                continue
            if kind == "subtotal":
                li["price"] = _money(running, places)
                running = Decimal(0)
                continue
            if kind == "normal":
                cost = _decimal(str(li.get("unit_cost") or "0")) or Decimal(0)
                qty = _decimal(str(li.get("quantity") or "1")) or Decimal(0)
                price = cost * qty
                li["price"] = _money(price, places)
            else:
                price = _decimal(str(li.get("price") or "0")) or Decimal(0)
            price = Decimal(_money(price, places))
            subtotal += price
            running += price
            if li.get("is_taxable", True):
                rate_text = li.get("tax_rate")
                rate = _decimal(str(rate_text)) if rate_text is not None else doc_rate
                rate = doc_rate if rate is None else rate
                sales_base += price
                if not li.get("is_tax_inclusive"):
                    per_rate[rate] = per_rate.get(rate, Decimal(0)) + price
                else:
                    per_rate.setdefault(rate, Decimal(0))
            if li.get("has_jp_withholding_tax"):
                withholding_base += price
        quant = Decimal(1).scaleb(-places)
        mode = ROUND_DOWN if round_down else ROUND_HALF_UP
        tax = Decimal(0)
        mixed: Record = {}
        for rate, base in sorted(per_rate.items()):
            t = (base * rate / 100).quantize(quant, mode)
            tax += t
            mixed[_rate_key(rate)] = {
                "subtotal": {"amount": _money(base, places), "currency": currency},
                "tax": {"amount": _money(t, places), "currency": currency},
            }
        if withholding_base <= 1_000_000:
            withholding = withholding_base * Decimal("0.1021")
        else:
            withholding = Decimal(102100) + (withholding_base - 1_000_000) * Decimal("0.2042")
        withholding = withholding.quantize(quant, ROUND_DOWN)
        doc["subtotal"] = _money(subtotal, places)
        doc["tax"] = _money(tax, places)
        doc["jp_withholding_tax"] = _money(withholding, places)
        doc["subtotal_sales_tax"] = _money(sales_base, places)
        doc["subtotal_withholding_tax"] = _money(withholding_base, places)
        doc["total"] = _money(subtotal + tax - withholding, places)
        doc["mixed_tax_rate_totals"] = mixed

    # == the HTTP surface ======================================================================

    def credentials(self, base_url: str) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "base_url": base_url,
        }

    def error_response(
        self,
        request: web.Request,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        lang = _lang(request)
        if status == 405:
            message = _tr(lang, "method", {"method": request.method})
        elif (m := _THROTTLED_RE.search(message)) is not None:
            message = _tr(lang, "throttled", {"wait": m.group(1)})
        elif message in _BASE_MESSAGES:
            message = _tr(lang, _BASE_MESSAGES[message])
        if status == 401:
            body: Record = {"status_code": 401, "detail": message}
        else:
            body = {"meta": {"status_code": status}, "response": {"detail": message}}
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(),
            status=status,
            content_type="application/json",
            headers=headers,
        )

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(_append_slash)
        r = app.router
        r.add_post("/user/oauth2/token/", self._token)
        r.add_post("/user/oauth2/revoke-token/", self._revoke)
        api = self._api
        r.add_get("/api/", api(self._root))
        r.add_get("/api/currency/", api(self._currencies))
        # The docs list only OPTIONS for the currency endpoint: it answers the same list.
        r.add_route("OPTIONS", "/api/currency/", api(self._currencies))
        r.add_get("/api/partner/", api(self._partners))
        r.add_get("/api/taskprogress/{mid}/", api(self._task_progress))
        p = "/api/partner/{pmid}"
        r.add_get(p + "/", api(self._partner))
        r.add_get(p + "/tag/", api(self._tags))
        r.add_get(p + "/employee/", api(self._employees))
        r.add_get(p + "/employee/{mid}/", api(self._employee))
        r.add_get(p + "/template/{document_type}/", api(self._templates))
        # documents
        r.add_get(p + "/document/", api(self._documents))
        r.add_post(p + "/document/", api(self._document_create))
        r.add_get(p + "/document/{mid}/", api(self._document))
        r.add_put(p + "/document/{mid}/", api(self._document_update))
        r.add_patch(p + "/document/{mid}/", api(self._document_update))
        r.add_delete(p + "/document/{mid}/", api(self._document_delete))
        r.add_get(p + "/document/{mid}/pdf/", api(self._document_pdf))
        r.add_put(p + "/document/{mid}/upload-pdf/", api(self._document_upload))
        r.add_get(p + "/document/{mid}/pickup-link/", api(self._pickup_links))
        r.add_post(p + "/document/{mid}/pickup-link/", api(self._pickup_link_create))
        # catalog
        r.add_get(p + "/item/", api(self._items))
        r.add_post(p + "/item/", api(self._item_create))
        r.add_get(p + "/item/{mid}/", api(self._item))
        r.add_put(p + "/item/{mid}/", api(self._item_update))
        r.add_patch(p + "/item/{mid}/", api(self._item_update))
        # clients
        r.add_get(p + "/client/", api(self._clients))
        r.add_post(p + "/client/", api(self._client_create))
        r.add_get(p + "/client/{mid}/", api(self._client))
        r.add_put(p + "/client/{mid}/", api(self._client_update))
        r.add_patch(p + "/client/{mid}/", api(self._client_update))
        r.add_delete(p + "/client/{mid}/", api(self._client_delete))
        r.add_get(p + "/client/{mid}/contact/", api(self._client_contacts))
        r.add_get(p + "/client/{mid}/settings/", api(self._settings))
        r.add_put(p + "/client/{mid}/settings/", api(self._settings_update))
        r.add_patch(p + "/client/{mid}/settings/", api(self._settings_update))
        # contacts
        r.add_get(p + "/contact/", api(self._contacts))
        r.add_post(p + "/contact/", api(self._contact_create))
        r.add_get(p + "/contact/{mid}/", api(self._contact))
        r.add_put(p + "/contact/{mid}/", api(self._contact_update))
        r.add_patch(p + "/contact/{mid}/", api(self._contact_update))
        r.add_delete(p + "/contact/{mid}/", api(self._contact_delete))
        # sending orders
        o = p + "/sending/order"
        r.add_get(o + "/", api(self._orders))
        r.add_post(o + "/", api(self._order_create))
        r.add_get(o + "/{mid}/", api(self._order))
        r.add_put(o + "/{mid}/", api(self._order_update))
        r.add_patch(o + "/{mid}/", api(self._order_update))
        r.add_delete(o + "/{mid}/", api(self._order_delete))
        r.add_post(o + "/{mid}/send/", api(self._order_send))
        r.add_get(o + "/{mid}/status/", api(self._order_status))
        r.add_post(o + "/{mid}/status/", api(self._order_cancel))
        r.add_get(o + "/{mid}/pdf/", api(self._order_pdf))
        r.add_get(o + "/{mid}/items/", api(self._order_items_list))
        r.add_post(o + "/{mid}/items/", api(self._order_item_create))
        r.add_get(o + "/{mid}/items/{item}/", api(self._order_item))
        r.add_delete(o + "/{mid}/items/{item}/", api(self._order_item_delete))
        r.add_put(o + "/{mid}/items/{item}/upload/", api(self._order_item_upload))
        # history, inbox, pickup links, tasks
        r.add_get(p + "/history/", api(self._history))
        r.add_post(p + "/history/", api(self._history_create))
        r.add_get(p + "/history/{mid}/", api(self._history_entry))
        r.add_get(p + "/inbox/inbox/", api(self._inbox))
        r.add_get(p + "/inbox/inbox/{mid}/", api(self._inbox_entry))
        r.add_get(p + "/secureinbox/received-document/{mid}/", api(self._received))
        r.add_get(p + "/secureinbox/received-document/{mid}/pdf/", api(self._received_pdf))
        r.add_get(p + "/secureinbox/accepted-order/{mid}/", api(self._accepted))
        r.add_get(p + "/secureinbox/pickup-link/{mid}/", api(self._pickup_link))
        r.add_post(p + "/secureinbox/pickup-link/{mid}/cancel/", api(self._pickup_link_cancel))
        r.add_post(p + "/secureinbox/pickup-link/{mid}/uncancel/", api(self._pickup_link_uncancel))
        r.add_get(p + "/task/{mid}/", api(self._task))
        r.add_get(p + "/task/{mid}/results/", api(self._task_results))
        # Every endpoint of the docs lists OPTIONS: DRF's metadata, with an Allow header.
        for resource in list(r.resources()):
            path = resource.canonical
            methods = {route.method for route in resource}
            if (
                isinstance(resource, web.Resource)
                and path.startswith("/api/")
                and "OPTIONS" not in methods
            ):
                allowed = sorted(methods - {"HEAD"} | {"OPTIONS"})
                resource.add_route("OPTIONS", api(self._options_handler(path, allowed)))

    # -- plumbing ------------------------------------------------------------------------------

    def _options_handler(self, path: str, allowed: list[str]) -> Handler:
        """``OPTIONS``: the view's name and what it renders, parses and allows (DRF's
        ``SimpleMetadata``, in the envelope), and an ``Allow`` header."""
        parts = [seg for seg in path.strip("/").split("/") if seg]
        words = [seg for seg in parts if not seg.startswith("{")]
        noun = words[-1].replace("-", " ").title()
        kind = "Instance" if parts[-1].startswith("{") else "List"
        meta = {
            "name": f"{noun} {kind}" if len(words) > 1 else "Api Root",
            "description": "",
            "renders": ["application/json"],
            "parses": ["application/json"],
            "allowed_methods": allowed,
        }

        async def handler(request: web.Request) -> web.StreamResponse:
            response = self._ok(request, meta)
            response.headers["Allow"] = ", ".join(allowed)
            return response

        return handler

    def _api(self, handler: Handler) -> Handler:
        """Bearer auth, the partner check and the error bodies around one API handler."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            lang = _lang(request)
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.rstrip(":").lower() != "bearer" or not token.strip():
                return self._unauthorized(lang, "no_credentials")
            if self.tokens.lookup(token.strip()) is None:
                return self._unauthorized(lang, "bad_token")
            pmid = request.match_info.get("pmid")
            try:
                if pmid is not None and pmid != self.partner_mid:
                    _not_found()
                return await handler(request)
            except _Invalid as exc:
                return self._send(
                    request,
                    {"meta": {"status_code": 400}, "response": exc.errors.render(lang)},
                    400,
                )
            except _Failure as exc:
                body = {
                    "meta": {"status_code": exc.status},
                    "response": {"detail": _tr(lang, exc.key, exc.kw)},
                }
                return self._send(request, body, exc.status)

        return wrapped

    @staticmethod
    def _unauthorized(lang: str, key: str) -> web.Response:
        body = {"status_code": 401, "detail": _tr(lang, key)}
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(),
            status=401,
            content_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    @staticmethod
    def _send(request: web.Request, payload: Any, status: int = 200) -> web.Response:
        text = json.dumps(payload, ensure_ascii=False)
        origin = f"{request.scheme}://{request.host}"
        if origin != ORIGIN:
            text = text.replace(ORIGIN, origin)
        return web.Response(body=text.encode(), status=status, content_type="application/json")

    def _ok(self, request: web.Request, obj: Any, status: int = 200) -> web.Response:
        return self._send(
            request, {"meta": {"status": status, "status_code": status}, "response": obj}, status
        )

    def _page(
        self,
        request: web.Request,
        ids: Sequence[str],
        items: Mapping[str, Record],
        render: Callable[[Record], Any] | None = None,
    ) -> web.Response:
        """One page of ``ids`` in the list envelope.

        Without ``render`` the records go out as stored, and each one's JSON text is cached
        (until the next write), so a page costs a join rather than an encoding.
        """
        raw = request.query.get("page", "1")
        total = len(ids)
        size = self.page_size
        pages = max(1, math.ceil(total / size))
        if raw == "last":
            page = pages
        else:
            try:
                page = int(raw)
            except ValueError:
                raise _Failure(404, "invalid_page") from None
        if page < 1 or page > pages:
            raise _Failure(404, "invalid_page")
        start = (page - 1) * size
        chunk = ids[start : start + size]
        if render is None:
            cache = self._json_cache
            parts = []
            for mid in chunk:
                record = items[mid]
                hit = cache.get(mid)
                if hit is None or hit[0] is not record:
                    hit = (record, json.dumps(record, ensure_ascii=False))
                    cache[mid] = hit
                parts.append(hit[1])
            listing = "[" + ", ".join(parts) + "]"
        else:
            listing = json.dumps([render(items[m]) for m in chunk], ensure_ascii=False)
        meta = {
            "status": 200,
            "status_code": 200,
            "next": _page_url(request, page + 1) if page < pages else None,
            "prev": _page_url(request, page - 1) if page > 1 else None,
            "page": page,
            "count": total,
        }
        text = '{"meta": ' + json.dumps(meta) + ', "response": ' + listing + "}"
        origin = f"{request.scheme}://{request.host}"
        if origin != ORIGIN:
            text = text.replace(ORIGIN, origin)
        return web.Response(body=text.encode(), content_type="application/json")

    def count_write(self, request: web.Request) -> None:
        """Count the write and forget cached JSON (records may have changed in place)."""
        super().count_write(request)
        self.invalidate()

    def invalidate(self) -> None:
        """Forget cached JSON and filter results: call after editing ``store`` in place."""
        self._json_cache.clear()
        self._filter_cache.clear()

    def _get(self, collection: str, mid: str) -> Record:
        record = self._cols[collection].items.get(mid)
        if record is None:
            _not_found()
        return record

    async def _body(self, request: web.Request) -> Record:
        raw = await request.read()
        if not raw.strip():
            return {}
        ctype = request.content_type
        if ctype not in ("application/json", "text/json") and not ctype.endswith("+json"):
            raise _Failure(415, "media_type", type=request.headers.get("Content-Type", ""))
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise _Failure(400, "json", detail=str(exc)) from None
        if not isinstance(data, dict):
            _invalid("non_field_errors", "not_object", type=_jstype(data))
        return data

    # -- field validation ----------------------------------------------------------------------

    def _resolve(
        self, value: Any, collection: str, errs: _Errors, field: str, path: str
    ) -> str | None:
        """A reference URL -> the canonical stored URL (errors added when it does not resolve)."""
        if not isinstance(value, str):
            errs.add(field, "url_type", path=path, type=_jstype(value))
            return None
        m = _REF_RE.match(urlsplit(value).path)
        if m is None:
            errs.add(field, "url_no_match", path=path)
            return None
        pmid, segment, mid = m.groups()
        if pmid != self.partner_mid or _REF_SEGMENTS[segment] != collection:
            errs.add(field, "url_wrong", path=path)
            return None
        if mid not in self._cols[collection].items:
            errs.add(field, "url_missing", path=path)
            return None
        return f"{self._p}/{segment}/{mid}/"

    def _clean(
        self,
        data: Mapping[str, Any],
        spec: Spec,
        errs: _Errors,
        *,
        required: Iterable[str] = (),
        field: str | None = None,
        path: str = "",
    ) -> Record:
        """The writable fields of ``data`` that ``spec`` knows, coerced; errors go to ``errs``.

        Unknown and read-only fields are ignored, as Django REST Framework does. ``field`` and
        ``path`` report nested errors under a top-level field with a path prefix.
        """
        out: Record = {}
        for name in required:
            if name not in data or data[name] is None or data[name] == "":
                errs.add(field or name, "required", path=f"{path}{name}" if field else "")
        for name, value in data.items():
            kind_arg = spec.get(name)
            if kind_arg is None:
                continue
            kind, arg = kind_arg
            if kind == "skip":
                continue
            key = field or name
            where = f"{path}{name}" if field else ""
            ok, cleaned = self._coerce(kind, arg, value, errs, key, where)
            if ok:
                out[name] = cleaned
        return out

    def _coerce(
        self, kind: str, arg: Any, value: Any, errs: _Errors, field: str, path: str
    ) -> tuple[bool, Any]:
        before = sum(len(v) for v in errs.fields.values())

        def fail(key: str, **kw: Any) -> tuple[bool, Any]:
            errs.add(field, key, path=path, **kw)
            return False, None

        if kind == "any":
            return True, value
        if value is None:
            if kind in ("str", "strlist", "emails"):
                return True, "" if kind == "str" else []
            if kind in ("bool", "choice", "currency"):
                return fail("null")
            return True, None  # nullable: decimals, ints, dates, refs, email, addresses
        if kind == "str":
            if not isinstance(value, str):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return True, str(value)
                return fail("string")
            return True, value
        if kind == "bool":
            if isinstance(value, bool):
                return True, value
            if isinstance(value, str) and _bool_param(value) is not None:
                return True, _bool_param(value)
            if value in (0, 1):
                return True, bool(value)
            return fail("boolean")
        if kind == "int":
            if isinstance(value, bool):
                return fail("integer")
            if isinstance(value, int):
                return True, value
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                return True, int(value)
            return fail("integer")
        if kind == "decimal":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return fail("decimal_string")
            if not isinstance(value, str) or _decimal(value) is None:
                return fail("decimal")
            return True, value.strip()
        if kind == "choice":
            if not isinstance(value, str) or value not in arg:
                return fail("choice", value=value)
            return True, value
        if kind == "currency":
            if not isinstance(value, str) or value not in D.CURRENCIES:
                return fail("choice", value=value)
            return True, value
        if kind == "date":
            if not isinstance(value, str) or _parse_date(value) is None:
                dt = _parse_datetime(value) if isinstance(value, str) else None
                if dt is None:
                    return fail("date")
                return True, dt.date().isoformat()
            return True, value
        if kind == "datetime":
            dt = _parse_datetime(value) if isinstance(value, str) else None
            if dt is None:
                return fail("datetime")
            return True, _ts(dt)
        if kind == "strlist":
            if not isinstance(value, list):
                return fail("list", type=_jstype(value))
            if not all(isinstance(v, str) for v in value):
                return fail("string")
            return True, list(value)
        if kind == "emails":
            if not isinstance(value, list):
                return fail("list", type=_jstype(value))
            if not all(isinstance(v, str) and "@" in v for v in value):
                return fail("email")
            return True, list(value)
        if kind == "email":
            if not isinstance(value, dict):
                return fail("dict")
            address = value.get("address")
            if not isinstance(address, str) or "@" not in address:
                errs.add(field, "email", path=f"{path}.address" if path else "address")
                return False, None
            return True, {"address": address}
        if kind == "ref":
            url = self._resolve(value, arg, errs, field, path)
            return url is not None, url
        if kind == "refs":
            if not isinstance(value, list):
                return fail("list", type=_jstype(value))
            urls = [self._resolve(v, arg, errs, field, f"{path}[{i}]") for i, v in enumerate(value)]
            return all(urls), urls
        if kind == "addresses":
            if not isinstance(value, list):
                return fail("list", type=_jstype(value))
            if len(value) > 1:
                return fail("one_address")
            out = []
            for i, a in enumerate(value):
                if not isinstance(a, dict):
                    errs.add(field, "dict", path=f"{path or field}[{i}]")
                    continue
                prefix = f"{path or field}[{i}]."
                cleaned = self._clean(
                    a, _ADDRESS_SPEC, errs, required=("country_name",), field=field, path=prefix
                )
                address = {k: cleaned.get(k, "") for k in _ADDRESS_SPEC}
                if not address["format"]:
                    jp = address["country_name"] == "JP"
                    address["format"] = "jp_default" if jp else "default"
                out.append(address)
            return sum(len(v) for v in errs.fields.values()) == before, out
        if kind == "order_address":
            if not isinstance(value, dict):
                return fail("dict")
            return True, {k: str(value.get(k) or "") for k in _ORDER_ADDRESS_KEYS}
        raise AssertionError(kind)  # pragma: no cover - a spec typo

    # == auth =================================================================================

    def _basic_ok(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.rstrip(":").lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        cid, sep, secret = decoded.partition(":")
        return bool(sep) and cid == self.client_id and secret == self.client_secret

    @staticmethod
    def _oauth_error(error: str, status: int) -> web.Response:
        return web.Response(
            body=json.dumps({"error": error}).encode(),
            status=status,
            content_type="application/json",
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.counters.token_requests["client_credentials"] += 1
        form = await request.post()
        if not self._basic_ok(request):
            return self._oauth_error("invalid_client", 401)
        grant = form.get("grant_type")
        if grant != "client_credentials":
            return self._oauth_error("unsupported_grant_type", 400)
        ttl = self.tokens.ttl
        token = self.tokens.issue(client_id=self.client_id)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(ttl) if ttl is not None else 36000,
            "scope": "read write",
        }
        return web.Response(
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def _revoke(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not self._basic_ok(request):
            return self._oauth_error("invalid_client", 401)
        token = form.get("token")
        if not isinstance(token, str) or not token:
            return self._oauth_error("invalid_request", 400)
        self.tokens.revoke(token)
        return web.Response(status=200)  # RFC 7009: 200 whether or not the token existed

    # == read-only resources ==================================================================

    async def _root(self, request: web.Request) -> web.StreamResponse:
        partner = self._cols["partners"].items[self.partner_mid]
        name = D.PARTNER_NAME_JA if _lang(request) == "ja" else partner["name"]
        return self._ok(
            request,
            {
                "partners": [{"url": partner["url"], "name": name}],
                "currencies": f"{ORIGIN}/api/currency/",
            },
        )

    async def _currencies(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["currencies"].items
        ja = _lang(request) == "ja"

        def render(c: Record) -> Any:
            return {**c, "name": D.CURRENCIES[c["code"]][1]}

        return self._page(request, self._cols["currencies"].ordered(), col, render if ja else None)

    def _render_partner(self, request: web.Request) -> Record:
        partner = self._cols["partners"].items[self.partner_mid]
        if _lang(request) == "ja":
            return {**partner, "name": D.PARTNER_NAME_JA}
        return partner

    async def _partners(self, request: web.Request) -> web.StreamResponse:
        partner = self._render_partner(request)
        return self._page(request, [self.partner_mid], {self.partner_mid: partner})

    async def _partner(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._render_partner(request))

    async def _tags(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["tags"]
        return self._page(request, col.ordered(), col.items)

    async def _employees(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["employees"]
        ids = col.ordered()
        search = request.query.get("search")
        if search:
            needle = search.lower()
            ids = [
                m
                for m in ids
                if needle in f"{col.items[m]['name']} {col.items[m]['email']}".lower()
            ]
        return self._page(request, ids, col.items)

    async def _employee(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        return self._ok(request, self._get("employees", self._me if mid == "me" else mid))

    async def _templates(self, request: web.Request) -> web.StreamResponse:
        doc_type = request.match_info["document_type"]
        if doc_type not in D.DOCUMENT_TYPES:
            _not_found()
        col = self._cols["templates"]
        q = request.query
        archived_filter: bool | None = None
        if "is_archived" in q:
            archived_filter = _bool_param(q["is_archived"])
            if archived_filter is None:
                _invalid("is_archived", "filter_choice", value=q["is_archived"])
        hide = _bool_param(q.get("hide_archived", "")) is True
        ids = []
        for key in col.ordered():
            if not key.startswith(doc_type + ":"):
                continue
            archived = key in self._archived_templates
            if (hide and archived) or (archived_filter is not None and archived != archived_filter):
                continue
            ids.append(key)
        ja = _lang(request) == "ja"
        names_ja = {t[0]: t[2] for t in D.TEMPLATES}

        def render(t: Record) -> Any:
            return {**t, "display_name": names_ja.get(t["template_code"], t["display_name"])}

        return self._page(request, ids, col.items, render if ja else None)

    # == documents ============================================================================

    def _doc_renderer(
        self, request: web.Request, expand: frozenset[str]
    ) -> Callable[[Record], Record] | None:
        """How documents go out for this request; ``None`` when exactly as stored."""
        ja = _lang(request) == "ja"
        if not ja and not expand & {"client", "client_contact"}:
            return None
        clients = self._cols["clients"].items
        contacts = self._cols["contacts"].items

        def render(doc: Record) -> Record:
            out = dict(doc)
            if ja:
                out["display_name"] = self._display_ja(doc["document_type"], doc["document_number"])
            if "client" in expand and doc.get("client"):
                out["client"] = clients.get(_last(doc["client"]), doc["client"])
            if "client_contact" in expand and doc.get("client_contact"):
                contact = doc["client_contact"]
                out["client_contact"] = contacts.get(_last(contact), contact)
            return out

        return render

    def _render_doc(self, request: web.Request, doc: Record) -> Record:
        render = self._doc_renderer(request, _expand(request))
        return render(doc) if render else doc

    async def _documents(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["documents"]
        ids = col.ordered()
        key = "&".join(sorted(f"{k}={v}" for k, v in request.query.items() if k != "page"))
        if key:
            cached = self._filter_cache.get(key)
            if cached is not None and cached[0] is ids:
                ids = cached[1]
            else:
                pred = self._document_filter(request)
                if pred is not None:
                    items = col.items
                    filtered = [m for m in ids if pred(items[m])]
                    if len(self._filter_cache) > 256:
                        self._filter_cache.clear()
                    self._filter_cache[key] = (ids, filtered)
                    ids = filtered
        return self._page(request, ids, col.items, self._doc_renderer(request, _expand(request)))

    def _document_filter(self, request: web.Request) -> Callable[[Record], bool] | None:
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        errs = _Errors()
        for name in _DOC_EXACT:
            if name in q:
                value = q[name]
                if name == "document_type" and value not in D.DOCUMENT_TYPES:
                    errs.add(name, "filter_choice", value=value)
                checks.append(_eq(name, value))
        for name, segment in (("client", "client"), ("client_contact", "contact")):
            if name in q:
                url = self._url(segment, _mid_of(q[name]))
                checks.append(_eq(name, url))
        if "tags" in q:
            wanted = {t.strip() for t in q["tags"].split(",") if t.strip()}
            checks.append(lambda d: bool(wanted.intersection(d.get("tags") or ())))
        for flag, field in _DOC_FLAGS.items():
            if flag in q:
                b = _bool_param(q[flag])
                if b is None:
                    errs.add(flag, "filter_choice", value=q[flag])
                checks.append(_is_set(field, b))
        if "viewed" in q:
            vb = _bool_param(q["viewed"])
            if vb is None:
                errs.add("viewed", "filter_choice", value=q["viewed"])
            checks.append(lambda d: (d["mid"] in self._viewed) == vb)
        for key, value in q.items():
            field, _, op = key.partition("__")
            if field not in _DOC_DATE_FIELDS and field not in _DOC_TS_FIELDS:
                continue
            if op not in ("", "lt", "lte", "gt", "gte"):
                continue
            if field in _DOC_DATE_FIELDS:
                parsed = _parse_date(value)
                bound = parsed.isoformat() if parsed else None
                if bound is None:
                    errs.add(key, "filter_date")
                    continue
            else:
                dt = _parse_datetime(value)
                if dt is None:
                    errs.add(key, "filter_datetime")
                    continue
                bound = _ts(dt)
            checks.append(_range_check(field, op, bound))
        search = q.get("search")
        if search:
            needle = search.lower()
            clients = self._cols["clients"].items

            def searched(d: Record) -> bool:
                client = clients.get(_last(d.get("client") or ""), {})
                text = " ".join(
                    str(d.get(k) or "")
                    for k in (
                        "document_number",
                        "title",
                        "project_name",
                        "note",
                        "display_name",
                        "recipient_name",
                        "external_id",
                    )
                )
                return needle in f"{text} {client.get('display_name', '')}".lower()

            checks.append(searched)
        errs.check()
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda d: all(c(d) for c in checks)

    async def _document(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("documents", request.match_info["mid"])
        return self._ok(request, self._render_doc(request, doc))

    def _validate_document(self, data: Record, current: Record | None, partial: bool) -> Record:
        errs = _Errors()
        required = () if partial else _DOC_REQUIRED
        cleaned = self._clean(data, _DOC_SPEC, errs, required=required)
        merged = {**(current or {}), **cleaned}
        doc_type = merged.get("document_type")
        currency = merged.get("currency") or "JPY"
        # document number unique per type
        if doc_type and merged.get("document_number"):
            owner = self._doc_numbers.get((doc_type, merged["document_number"]))
            if owner is not None and (current is None or owner != current["mid"]):
                errs.add(
                    "non_field_errors",
                    "duplicate_document",
                    type=doc_type,
                    number=merged["document_number"],
                )
        if "document_template" in cleaned and doc_type:
            codes = {t[0] for t in D.TEMPLATES}
            if cleaned["document_template"] not in codes:
                errs.add(
                    "document_template",
                    "template",
                    value=cleaned["document_template"],
                    type=doc_type,
                )
        if doc_type in D.MARKING_DATES:
            for f in MARKING_FIELDS:
                if cleaned.get(f) is not None and f not in D.MARKING_DATES[doc_type]:
                    errs.add(f, "marking", type=doc_type)
        # the contact must belong to the client
        client_url = merged.get("client")
        if "client_contact" in cleaned and cleaned["client_contact"] and client_url:
            client = self._cols["clients"].items.get(_last(client_url))
            if client and cleaned["client_contact"] not in client["contacts"]:
                errs.add("client_contact", "contact_not_of_client")
        autocalc = bool(merged.get("autocalculate"))
        if cleaned.get("autocalculate"):
            for f in ("total", "subtotal", "tax", "jp_withholding_tax"):
                if f in data:
                    errs.add(f, "autocalc_remove")
        if "mixed_tax_rate_totals" in cleaned and not autocalc:
            if not _valid_mixed(cleaned["mixed_tax_rate_totals"]):
                errs.add("mixed_tax_rate_totals", "mixed_tax")
        if "lineitems" in data:
            cleaned["lineitems"] = self._clean_lineitems(
                data["lineitems"], errs, currency, autocalc and bool(cleaned.get("autocalculate"))
            )
        errs.check()
        return cleaned

    def _clean_lineitems(
        self, value: Any, errs: _Errors, currency: str, forbid_price: bool
    ) -> list[Record]:
        if not isinstance(value, list):
            errs.add("lineitems", "list", type=_jstype(value))
            return []
        out: list[Record] = []
        catalog = self._cols["catalog_items"].items
        for i, raw in enumerate(value):
            path = f"lineitems[{i}]."
            if not isinstance(raw, dict):
                errs.add("lineitems", "dict", path=f"lineitems[{i}]")
                continue
            li = self._clean(raw, _LINEITEM_SPEC, errs, field="lineitems", path=path)
            kind = li.get("kind", "normal")
            if forbid_price and "price" in raw and kind == "normal":
                errs.add("lineitems", "autocalc_remove", path=f"{path}price")
            item = self._lineitem(
                kind,
                li.get("description", ""),
                None,
                None,
                li.get("quantity_unit", ""),
                currency,
                None,
            )
            source = li.get("source_catalog_item")
            if source:
                cat = catalog.get(_last(source))
                only_refs = set(raw) <= {"kind", "source_catalog_item", "position"}
                if cat is not None and kind in ("normal", "simple"):
                    if only_refs:
                        for k in (
                            "description",
                            "unit_cost",
                            "quantity",
                            "quantity_unit",
                            "price",
                            "is_taxable",
                            "is_tax_inclusive",
                            "has_jp_withholding_tax",
                            "currency",
                            "extended_data",
                            "vendor_cost",
                        ):
                            item[k] = cat[k]
                    if "tax_rate" not in raw:
                        category = cat["tax_category"]
                        item["tax_rate"] = {
                            "default": str(DEFAULT_TAX_RATE),
                            "alternate": str(ALTERNATE_TAX_RATE),
                            "custom": cat["tax_rate"],
                        }.get(category or "")
            item.update({k: v for k, v in li.items() if k != "position"})
            item["_pos"] = li.get("position", i)
            out.append(item)
        out.sort(key=lambda x: x["_pos"])
        for item in out:
            del item["_pos"]
        return out

    async def _document_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        cleaned = self._validate_document(data, None, partial=False)
        mid = self._new_mid()
        client = self._cols["clients"].items[_last(cleaned["client"])]
        doc_type = cleaned["document_type"]
        templates = [t[0] for t in D.TEMPLATES if not t[4]]
        lang = client.get("lang_code") or "ja"
        default_template = next((c for c in templates if c.startswith(lang)), templates[0])
        doc: Record = {
            **{f: "" for f in _DOC_STRINGS},
            **{f: False for f in _DOC_BOOLS},
            **dict.fromkeys(_DOC_MONEY, "0"),
            **self._sender,
            "has_prices": True,
            "has_totals": True,
            "display_tax_rate": True,
            "round_tax_down": True,
            "document_number": "",
            "document_type": doc_type,
            "currency": "JPY",
            "tax_rate": str(DEFAULT_TAX_RATE),
            "mixed_tax_rate_totals": {},
            "extended_data": None,
            "mid": mid,
            "document_template": default_template,
            "display_name": "",
            "external_id": "",
            "tags": [],
            "url": self._url("document", mid),
            "pickup_links": f"{self._url('document', mid)}pickup-link/",
            "pdf_content_url": f"{self._url('document', mid)}pdf/",
            "pdf_upload_url": f"{self._url('document', mid)}upload-pdf/",
            "client": None,
            "client_contact": client["default_contact"],
            **dict.fromkeys(MARKING_FIELDS, None),
            "date_removed": None,
            "date_converted": None,
            "is_accepted": False,
            "is_confirmed": False,
            "is_converted": False,
            "approval_status": None,
            "integrations": {},
            "date": _now().date().isoformat(),
            "date_due": None,
            "date_valid": None,
            "date_shipped": None,
            "lineitems": [],
            "purchase_order_ids": [],
            "source_received_document": None,
            "partner_tax_registration_number": D.PARTNER_TAX_NUMBER,
        }
        contact = self._contact_by_url(cleaned.get("client_contact", client["default_contact"]))
        doc.update(self._recipient(client, contact))
        doc.update(cleaned)
        self._apply_doc_derived(doc)
        self._cols["documents"].add(mid, doc)
        self._doc_numbers[(doc["document_type"], doc["document_number"])] = mid
        self._add_history("document_created", 1, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return self._ok(request, self._render_doc(request, doc), 201)

    def _apply_doc_derived(self, doc: Record) -> None:
        for li in doc["lineitems"]:
            if not li.get("currency"):
                li["currency"] = doc["currency"]
        if doc.get("autocalculate"):
            self._autocalculate(doc)
        doc["is_accepted"] = doc.get("date_accepted") is not None
        doc["is_confirmed"] = doc.get("date_confirmed") is not None
        self._set_display(doc)

    async def _document_update(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        doc = self._get("documents", mid)
        data = await self._body(request)
        cleaned = self._validate_document(data, doc, partial=request.method == "PATCH")
        old_key = (doc["document_type"], doc["document_number"])
        if cleaned.get("client") and "client_contact" not in cleaned:
            new_client = self._cols["clients"].items[_last(cleaned["client"])]
            if doc["client_contact"] not in new_client["contacts"]:
                cleaned["client_contact"] = new_client["default_contact"]
        doc.update(cleaned)
        self._apply_doc_derived(doc)
        new_key = (doc["document_type"], doc["document_number"])
        if new_key != old_key:
            self._doc_numbers.pop(old_key, None)
            self._doc_numbers[new_key] = mid
        self._add_history("document_updated", 2, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return self._ok(request, self._render_doc(request, doc))

    async def _document_delete(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        doc = self._get("documents", mid)
        self._cols["documents"].remove(mid)
        self._doc_numbers.pop((doc["document_type"], doc["document_number"]), None)
        self._viewed.discard(mid)
        self._add_history("document_deleted", 3, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return web.Response(status=204)

    async def _document_pdf(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("documents", request.match_info["mid"])
        return _pdf_response(
            doc["display_name"], f"{doc['document_type']}_{doc['document_number']}.pdf"
        )

    async def _document_upload(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("documents", request.match_info["mid"])
        await _read_upload(request)
        doc["use_external_pdf"] = True
        self.count_write(request)
        return self._ok(request, self._render_doc(request, doc))

    # -- pickup links and tasks ----------------------------------------------------------------

    async def _pickup_links(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        self._get("documents", mid)
        links = self._cols["pickup_links"].items
        ids = [m for m in self._doc_links.get(mid, []) if m in links]
        return self._page(request, ids, links)

    async def _pickup_link_create(self, request: web.Request) -> web.StreamResponse:
        doc_mid = request.match_info["mid"]
        self._get("documents", doc_mid)
        await request.read()
        tmid = self._new_mid()
        pmid = self._new_mid()
        url = self._url("task", tmid)
        task: Record = {
            "mid": tmid,
            "uilongtask": {
                "url": f"{ORIGIN}/api/taskprogress/{pmid}/",
                "mid": pmid,
                "current_progress": 0,
                "max_progress": 100,
                "time_done": None,
                "finished": False,
                "errors": [],
            },
            "employee": self._url("employee", self._me),
            "url": url,
            "result_url": f"{url}results/",
            "completion": 0,
            "failed_chunks": [],
            "finished": None,
        }
        self._cols["tasks"].add(tmid, task)
        self._tasks[tmid] = {"polls": 0, "document": doc_mid, "results": [], "done": False}
        self._progress[pmid] = tmid
        if self.task_polls <= 0:
            self._finish_task(tmid)
        self.count_write(request)
        return self._ok(request, task, 202)

    def _advance_task(self, tmid: str) -> None:
        state = self._tasks.get(tmid)
        if state is None or state["done"]:
            return
        state["polls"] += 1
        if state["polls"] >= self.task_polls:
            self._finish_task(tmid)
            return
        completion = min(99, state["polls"] * 100 // max(1, self.task_polls))
        task = self._cols["tasks"].items[tmid]
        task["completion"] = completion
        task["uilongtask"]["current_progress"] = completion

    def _finish_task(self, tmid: str) -> None:
        state = self._tasks[tmid]
        task = self._cols["tasks"].items[tmid]
        now = _now()
        doc_mid = state["document"]
        if doc_mid in self._cols["documents"].items:
            me = self._cols["employees"].items[self._me]["name"]
            link = self._make_pickup_link(doc_mid, now, me, "Shareable Link Panel")
            state["results"].append(link["mid"])
        else:
            task["failed_chunks"] = [doc_mid]
            task["uilongtask"]["errors"] = ["The document no longer exists."]
        state["done"] = True
        task["completion"] = 100
        task["finished"] = _ts(now)
        task["uilongtask"].update(current_progress=100, time_done=_ts(now), finished=True)

    async def _task(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        task = self._get("tasks", mid)
        self._advance_task(mid)
        return self._ok(request, task)

    async def _task_progress(self, request: web.Request) -> web.StreamResponse:
        tmid = self._progress.get(request.match_info["mid"])
        if tmid is None:
            _not_found()
        self._advance_task(tmid)
        return self._ok(request, self._cols["tasks"].items[tmid]["uilongtask"])

    async def _task_results(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        self._get("tasks", mid)
        state = self._tasks[mid]
        if not state["done"]:
            _invalid("non_field_errors", "task_unfinished")
        links = self._cols["pickup_links"].items
        ids = [m for m in state["results"] if m in links]
        return self._page(request, ids, links)

    async def _pickup_link(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._get("pickup_links", request.match_info["mid"]))

    async def _pickup_link_cancel(self, request: web.Request) -> web.StreamResponse:
        link = self._get("pickup_links", request.match_info["mid"])
        link["is_cancelled"] = True
        self.count_write(request)
        return self._ok(request, link)

    async def _pickup_link_uncancel(self, request: web.Request) -> web.StreamResponse:
        link = self._get("pickup_links", request.match_info["mid"])
        link["is_cancelled"] = False
        now = _now()
        expires = datetime.fromisoformat(link["expiration_date"]).replace(tzinfo=UTC)
        if expires <= now:
            link["expiration_date"] = (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S")
        self.count_write(request)
        return self._ok(request, link)

    # == catalog ==============================================================================

    async def _items(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["catalog_items"]
        ids = col.ordered()
        q = request.query
        if "product_code" in q:
            code = q["product_code"]
            ids = [m for m in ids if col.items[m]["product_code"] == code]
        if "product_code__contains" in q:
            part = q["product_code__contains"]
            ids = [m for m in ids if part in (col.items[m]["product_code"] or "")]
        return self._page(request, ids, col.items)

    async def _item(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._get("catalog_items", request.match_info["mid"]))

    def _validate_item(self, data: Record, current: Record | None, partial: bool) -> Record:
        errs = _Errors()
        cleaned = self._clean(data, _ITEM_SPEC, errs, required=() if partial else _ITEM_REQUIRED)
        merged = {**(current or {}), **cleaned}
        if merged.get("tax_category") == "custom" and merged.get("tax_rate") in (None, ""):
            errs.add("tax_rate", "custom_tax_rate")
        errs.check()
        return cleaned

    async def _item_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_item(await self._body(request), None, partial=False)
        mid = self._new_mid()
        item: Record = {
            "kind": "normal",
            "description": "",
            "unit_cost": "0",
            "quantity": "1",
            "quantity_unit": "",
            "price": None,
            "is_taxable": True,
            "is_tax_inclusive": False,
            "has_jp_withholding_tax": False,
            "currency": "JPY",
            "tax_rate": None,
            "extended_data": None,
            "vendor_cost": None,
            "source_catalog_item": None,
            "mid": mid,
            "url": self._url("item", mid),
            "product_code": "",
            "interval": None,
            "metered": False,
            "tax_category": None,
        }
        item.update(cleaned)
        if item["price"] is None and item["kind"] == "normal":
            cost = _decimal(item["unit_cost"]) or Decimal(0)
            qty = _decimal(item["quantity"]) or Decimal(0)
            item["price"] = _money(cost * qty, _places(item["currency"]))
        self._cols["catalog_items"].add(mid, item)
        self.count_write(request)
        return self._ok(request, item, 201)

    async def _item_update(self, request: web.Request) -> web.StreamResponse:
        item = self._get("catalog_items", request.match_info["mid"])
        cleaned = self._validate_item(
            await self._body(request), item, partial=request.method == "PATCH"
        )
        item.update(cleaned)
        self.count_write(request)
        return self._ok(request, item)

    # == clients and contacts =================================================================

    async def _clients(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["clients"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        if "archived" in q:
            b = _bool_param(q["archived"])
            if b is None:
                _invalid("archived", "filter_choice", value=q["archived"])
            checks.append(lambda c: (c["date_archived"] is not None) == b)
        if "client_external_id" in q:
            ext = q["client_external_id"]
            checks.append(lambda c: c["client_external_id"] == ext)
        if q.get("search"):
            needle = q["search"].lower()
            contacts = self._cols["contacts"].items

            def searched(c: Record) -> bool:
                parts = [c["display_name"], c["client_external_id"]]
                for url in c["contacts"]:
                    ct = contacts.get(_last(url))
                    if ct:
                        parts += [ct["display_name"], (ct.get("email") or {}).get("address", "")]
                return needle in " ".join(parts).lower()

            checks.append(searched)
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items)

    async def _client(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._get("clients", request.match_info["mid"]))

    def _validate_client_contacts(
        self, value: Any, errs: _Errors, client_mid: str | None
    ) -> list[Record | str] | None:
        """``contacts`` of a client: nested contact data (to create) or contact URLs."""
        if not isinstance(value, list):
            errs.add("contacts", "list", type=_jstype(value))
            return None
        if not value:
            errs.add("contacts", "client_contacts_empty")
            return None
        out: list[Record | str] = []
        own_url = self._url("client", client_mid) if client_mid else None
        for i, entry in enumerate(value):
            path = f"contacts[{i}]"
            if isinstance(entry, dict):
                out.append(
                    self._validate_contact_data(
                        entry, None, errs, field="contacts", path=path + "."
                    )
                )
            else:
                url = self._resolve(entry, "contacts", errs, "contacts", path)
                if url is None:
                    continue
                contact = self._cols["contacts"].items[_last(url)]
                if contact["owner"] and contact["owner"] != own_url:
                    errs.add("contacts", "contact_owned", mid=contact["mid"])
                out.append(url)
        types = [
            c.get("contact_type")
            if isinstance(c, dict)
            else self._cols["contacts"].items[_last(c)]["contact_type"]
            for c in out
        ]
        if types.count("organization") > 1:
            errs.add("non_field_errors", "client_two_orgs")
        elif types.count("person") > 1 and "organization" not in types:
            errs.add("non_field_errors", "client_persons_no_org")
        return out

    def _validate_contact_data(
        self,
        data: Mapping[str, Any],
        current: Record | None,
        errs: _Errors,
        *,
        field: str | None = None,
        path: str = "",
        partial: bool = False,
    ) -> Record:
        required: tuple[str, ...] = () if partial else ("contact_type",)
        cleaned = self._clean(data, _CONTACT_SPEC, errs, required=required, field=field, path=path)
        merged = {**(current or {}), **cleaned}
        ctype = merged.get("contact_type")
        need = "name" if ctype == "organization" else "family_name" if ctype == "person" else None
        if need and not merged.get(need):
            errs.add(field or need, "required", path=f"{path}{need}" if field else "")
        return cleaned

    def _apply_client_contacts(
        self, client: Record, entries: list[Record | str], default_url: str | None
    ) -> None:
        urls: list[str] = []
        for entry in entries:
            if isinstance(entry, dict):
                urls.append(self._make_contact(entry, client["mid"], False)["url"])
            else:
                contact = self._cols["contacts"].items[_last(entry)]
                contact["owner"] = client["url"]
                contact["owner_type"] = "client"
                urls.append(entry)
        for old in client.get("contacts") or []:
            if old not in urls:
                self._cols["contacts"].remove(_last(old))
        client["contacts"] = urls
        if default_url not in urls:
            orgs = [
                u
                for u in urls
                if self._cols["contacts"].items[_last(u)]["contact_type"] == "organization"
            ]
            default_url = orgs[0] if orgs else urls[0]
        client["default_contact"] = default_url
        self._refresh_client(client)

    def _validate_client(self, data: Record, current: Record | None, partial: bool) -> Record:
        errs = _Errors()
        spec = {k: v for k, v in _CLIENT_SPEC.items() if k != "contacts"}
        cleaned = self._clean(data, spec, errs)
        if "contacts" in data:
            entries = self._validate_client_contacts(
                data["contacts"], errs, current["mid"] if current else None
            )
            if entries is not None:
                cleaned["contacts"] = entries
                if current is not None:
                    kept = {e for e in entries if isinstance(e, str)}
                    docs = self._cols["documents"].items.values()
                    for old in current["contacts"]:
                        if old not in kept and any(d.get("client_contact") == old for d in docs):
                            errs.add("contacts", "contact_in_use", mid=_last(old))
        elif not partial:
            errs.add("contacts", "required")
        default = cleaned.get("default_contact")
        if default and "contacts" in cleaned:
            if default not in [e for e in cleaned["contacts"] if isinstance(e, str)]:
                errs.add("default_contact", "default_not_in_contacts")
        elif default and current is not None and default not in current["contacts"]:
            errs.add("default_contact", "default_not_in_contacts")
        errs.check()
        return cleaned

    async def _client_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_client(await self._body(request), None, partial=False)
        mid = self._new_mid()
        client: Record = {
            "url": self._url("client", mid),
            "mid": mid,
            "display_name": "",
            "organization_type": "",
            "is_organization": False,
            "date_archived": None,
            "client_external_id": cleaned.get("client_external_id", ""),
            "contacts": [],
            "default_contact": None,
            "managing_teams": [],
            "default_presets": [],
            "integrations": {},
            "lang_code": cleaned.get("lang_code") or "ja",
            "settings": f"{self._url('client', mid)}settings/",
            "date_cutoff": cleaned.get("date_cutoff"),
        }
        self._apply_client_contacts(client, cleaned["contacts"], cleaned.get("default_contact"))
        self._cols["clients"].add(mid, client)
        self._cols["client_settings"].add(mid, self._default_settings(mid, client["lang_code"]))
        self._add_history("client_created", 1, client["display_name"], self._meta_client(client))
        self.count_write(request)
        return self._ok(request, client, 201)

    async def _client_update(self, request: web.Request) -> web.StreamResponse:
        client = self._get("clients", request.match_info["mid"])
        cleaned = self._validate_client(
            await self._body(request), client, partial=request.method == "PATCH"
        )
        for key in ("client_external_id", "lang_code", "date_cutoff"):
            if key in cleaned:
                client[key] = cleaned[key]
        if "contacts" in cleaned:
            self._apply_client_contacts(client, cleaned["contacts"], cleaned.get("default_contact"))
        elif "default_contact" in cleaned:
            client["default_contact"] = cleaned["default_contact"]
            self._refresh_client(client)
        self._add_history("client_updated", 2, client["display_name"], self._meta_client(client))
        self.count_write(request)
        return self._ok(request, client)

    async def _client_delete(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        client = self._get("clients", mid)
        url = client["url"]
        if any(d.get("client") == url for d in self._cols["documents"].items.values()):
            _invalid("non_field_errors", "client_in_use")
        for contact_url in client["contacts"]:
            self._cols["contacts"].remove(_last(contact_url))
        self._cols["clients"].remove(mid)
        self._cols["client_settings"].remove(mid)
        self._add_history("client_deleted", 3, client["display_name"], self._meta_client(client))
        self.count_write(request)
        return web.Response(status=204)

    async def _client_contacts(self, request: web.Request) -> web.StreamResponse:
        client = self._get("clients", request.match_info["mid"])
        contacts = self._cols["contacts"].items
        ids = [m for m in (_last(u) for u in client["contacts"]) if m in contacts]
        return self._page(request, ids, contacts)

    async def _settings(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        self._get("clients", mid)
        return self._ok(request, self._get("client_settings", mid))

    async def _settings_update(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        client = self._get("clients", mid)
        settings = self._get("client_settings", mid)
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _SETTINGS_SPEC, errs)
        use_doc = cleaned.get("use_document_contact", settings["use_document_contact"])
        if use_doc and cleaned.get("secure_send_contacts"):
            errs.add("secure_send_contacts", "use_document_contact")
        for url in cleaned.get("secure_send_contacts") or []:
            if url not in client["contacts"]:
                errs.add("secure_send_contacts", "not_client_contact", mid=_last(url))
        errs.check()
        settings.update(cleaned)
        if use_doc:
            settings["secure_send_contacts"] = []
        self.count_write(request)
        return self._ok(request, settings)

    async def _contacts(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["contacts"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        for name in ("contact_type", "owner_type", "format"):
            if name in q:
                checks.append(_eq_blank(name, q[name]))
        if q.get("search"):
            needle = q["search"].lower()
            checks.append(
                lambda c: (
                    needle
                    in " ".join(
                        str(x or "")
                        for x in (
                            c["display_name"],
                            c["name"],
                            c["department"],
                            c["phone_number"],
                            (c.get("email") or {}).get("address"),
                        )
                    ).lower()
                )
            )
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items)

    async def _contact(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._get("contacts", request.match_info["mid"]))

    async def _contact_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._validate_contact_data(data, None, errs)
        errs.check()
        contact = self._make_contact(cleaned, None, False)
        self.count_write(request)
        return self._ok(request, contact, 201)

    async def _contact_update(self, request: web.Request) -> web.StreamResponse:
        contact = self._get("contacts", request.match_info["mid"])
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._validate_contact_data(
            data, contact, errs, partial=request.method == "PATCH"
        )
        errs.check()
        contact.update(cleaned)
        self._refresh_contact(contact)
        owner = self._cols["clients"].items.get(_last(contact["owner"] or ""))
        if owner is not None:
            self._refresh_client(owner)
        self.count_write(request)
        return self._ok(request, contact)

    async def _contact_delete(self, request: web.Request) -> web.StreamResponse:
        mid = request.match_info["mid"]
        contact = self._get("contacts", mid)
        url = contact["url"]
        in_docs = any(
            d.get("client_contact") == url for d in self._cols["documents"].items.values()
        )
        if contact["owner"] or in_docs:
            _invalid("non_field_errors", "contact_referenced")
        self._cols["contacts"].remove(mid)
        self.count_write(request)
        return web.Response(status=204)

    # == sending orders =======================================================================

    def _order_status_now(self, mid: str, order: Record) -> Record:
        status: Record = order["status"]
        state = self._order_state.get(mid, {})
        sent_at = state.get("sent_at")
        if sent_at is not None and status["sendbypost"] == "can_cancel":
            elapsed = time.time() - sent_at
            if elapsed >= 2 * self.post_cancel_window:
                status["sendbypost"] = "mailed"
            elif elapsed >= self.post_cancel_window:
                status["sendbypost"] = "preparing"
        return status

    def _order_problems(self, mid: str, order: Record) -> list[Msg]:
        problems: list[Msg] = []
        item_mids = self._order_items.get(mid, [])
        if not item_mids:
            problems.append(("v_no_items", {}))
        for item_mid in item_mids:
            item = self._cols["sending_order_items"].items[item_mid]
            if item["document"] and _last(item["document"]) not in self._cols["documents"].items:
                problems.append(("v_missing_document", {}))
            if item["filename"] and item_mid not in self._item_files:
                problems.append(("v_not_uploaded", {"name": item["filename"]}))
        if not order["securesend_selected"] and not order["sendbypost_selected"]:
            problems.append(("v_no_method", {}))
        if order["securesend_selected"] and not (order["to_emails"] or order["send_to_contacts"]):
            problems.append(("v_no_recipients", {}))
        if order["sendbypost_selected"]:
            if not order["recipient_address"] or not (
                order["recipient_contact_name"] or order["recipient_contact_organization_name"]
            ):
                problems.append(("v_no_address", {}))
            if order["stamp_type"] in (None, ""):
                problems.append(("v_no_stamp", {}))
        return problems

    def _render_order(
        self, request: web.Request, expand: frozenset[str] = frozenset()
    ) -> Callable[[Record], Record]:
        lang = _lang(request)
        items = self._cols["sending_order_items"].items
        clients = self._cols["clients"].items

        def render(order: Record) -> Record:
            mid = order["mid"]
            state = self._order_state[mid]
            out = dict(order)
            out.pop("mid", None)
            out["items"] = sorted(
                (items[i] for i in self._order_items.get(mid, []) if i in items),
                key=lambda it: it["position"],
            )
            out["status"] = dict(self._order_status_now(mid, order))
            if state["sent"]:
                out["ready_to_order"] = False
                out["validation_errors"] = []
            elif state["validating"] > 0:
                out["ready_to_order"] = False
                out["validation_errors"] = []
            else:
                problems = self._order_problems(mid, order)
                out["ready_to_order"] = not problems
                out["validation_errors"] = [_tr(lang, k, kw) for k, kw in problems]
            if "recipient_organization" in expand and order["recipient_organization"]:
                ro = order["recipient_organization"]
                out["recipient_organization"] = clients.get(_last(ro), ro)
            return out

        return render

    async def _orders(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["sending_orders"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        for name, states in (
            ("securesend_status", SECURESEND_STATES),
            ("sendbypost_status", SENDBYPOST_STATES),
        ):
            if name in q:
                value = q[name]
                if value not in states:
                    _invalid(name, "filter_choice", value=value)
                key = name.split("_")[0]
                checks.append(self._status_is(key, value))
        for name in ("securesend_selected", "sendbypost_selected"):
            if name in q:
                b = _bool_param(q[name])
                if b is None:
                    _invalid(name, "filter_choice", value=q[name])
                checks.append(_eq(name, b))
        for name, segment in (("recipient_organization", "client"), ("employee", "employee")):
            if name in q:
                url = self._url(segment, _mid_of(q[name]))
                checks.append(_eq(name, url))
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items, self._render_order(request, _expand(request)))

    def _status_is(self, key: str, value: str) -> Callable[[Record], bool]:
        return lambda o: self._order_status_now(o["mid"], o)[key] == value

    def _get_order(self, request: web.Request) -> tuple[str, Record]:
        mid = request.match_info["mid"]
        return mid, self._get("sending_orders", mid)

    async def _order(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        body = self._render_order(request, _expand(request))(order)
        state = self._order_state[mid]
        if state["validating"] > 0:
            state["validating"] -= 1  # the "background" validation makes progress per look
        return self._ok(request, body)

    def _validate_order(self, data: Record, partial: bool) -> Record:
        errs = _Errors()
        cleaned = self._clean(data, _ORDER_SPEC, errs, required=() if partial else _ORDER_REQUIRED)
        errs.check()
        return cleaned

    def _touch_order(self, mid: str) -> None:
        self._order_state[mid]["validating"] = self.validation_polls

    def _ensure_draft(self, mid: str) -> None:
        if self._order_state[mid]["sent"]:
            _invalid("non_field_errors", "order_sent")

    async def _order_create(self, request: web.Request) -> web.StreamResponse:
        cleaned = self._validate_order(await self._body(request), partial=False)
        order = self._new_order(cleaned, employee=self._me)
        self.count_write(request)
        return self._ok(request, self._render_order(request)(order), 201)

    async def _order_update(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        data = await self._body(request)
        self._ensure_draft(mid)
        order.update(self._validate_order(data, partial=request.method == "PATCH"))
        self._touch_order(mid)
        self.count_write(request)
        return self._ok(request, self._render_order(request)(order))

    async def _order_delete(self, request: web.Request) -> web.StreamResponse:
        mid, _order = self._get_order(request)
        self._ensure_draft(mid)
        for item_mid in self._order_items.pop(mid, []):
            self._cols["sending_order_items"].remove(item_mid)
            self._item_files.pop(item_mid, None)
        self._cols["sending_orders"].remove(mid)
        self._order_state.pop(mid, None)
        self.count_write(request)
        return web.Response(status=204)

    async def _order_send(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        await self._body(request)
        state = self._order_state[mid]
        self._ensure_draft(mid)
        if state["validating"] > 0:
            _invalid("non_field_errors", "order_validating")
        problems = self._order_problems(mid, order)
        if problems:
            errs = _Errors()
            for key, kw in problems:
                errs.add("non_field_errors", key, **kw)
            raise _Invalid(errs)
        state["sent"] = True
        state["sent_at"] = time.time()
        status = order["status"]
        status["securesend"] = "not_viewed" if order["securesend_selected"] else "not_selected"
        status["sendbypost"] = "can_cancel" if order["sendbypost_selected"] else "not_selected"
        now = _ts(_now())
        docs = self._cols["documents"].items
        for item_mid in self._order_items[mid]:
            item = self._cols["sending_order_items"].items[item_mid]
            doc = docs.get(_last(item["document"] or ""))
            if doc is not None:
                if doc["date_sent"] is None:
                    doc["date_sent"] = now
                self._add_history("document_sent", 2, doc["display_name"], self._meta_doc(doc))
        self.count_write(request)
        return self._ok(request, self._render_order(request)(order))

    async def _order_status(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        return self._ok(request, self._order_status_now(mid, order))

    async def _order_cancel(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(
            data,
            {"securesend_cancelled": ("bool", None), "sendbypost_cancelled": ("bool", None)},
            errs,
        )
        errs.check()
        if not self._order_state[mid]["sent"]:
            _invalid("non_field_errors", "order_not_sent")
        status = self._order_status_now(mid, order)
        if cleaned.get("securesend_cancelled") and not status["securesend_cancelled"]:
            if status["securesend"] != "not_viewed":
                errs.add("securesend_cancelled", "cannot_cancel_securesend")
        if cleaned.get("sendbypost_cancelled") and not status["sendbypost_cancelled"]:
            if status["sendbypost"] != "can_cancel":
                errs.add("sendbypost_cancelled", "cannot_cancel_sendbypost")
        errs.check()
        if cleaned.get("securesend_cancelled") and not status["securesend_cancelled"]:
            status["securesend"] = "cancelled"
            status["securesend_cancelled"] = True
        if cleaned.get("sendbypost_cancelled") and not status["sendbypost_cancelled"]:
            status["sendbypost"] = "cancelled"
            status["sendbypost_cancelled"] = True
        self.count_write(request)
        return self._ok(request, status)

    async def _order_pdf(self, request: web.Request) -> web.StreamResponse:
        mid, order = self._get_order(request)
        return _pdf_response(order["subject"] or f"Sending order {mid}", f"sending_order_{mid}.pdf")

    async def _order_items_list(self, request: web.Request) -> web.StreamResponse:
        mid, _order = self._get_order(request)
        items = self._cols["sending_order_items"].items
        ids = sorted(
            (i for i in self._order_items.get(mid, []) if i in items),
            key=lambda i: items[i]["position"],
        )
        return self._page(request, ids, items)

    async def _order_item_create(self, request: web.Request) -> web.StreamResponse:
        mid, _order = self._get_order(request)
        data = await self._body(request)
        self._ensure_draft(mid)
        errs = _Errors()
        cleaned = self._clean(data, _ORDER_ITEM_SPEC, errs)
        if bool(cleaned.get("document")) == bool(cleaned.get("filename")):
            errs.add("non_field_errors", "item_document_or_file")
        errs.check()
        item = self._add_order_item(mid, cleaned)
        self._touch_order(mid)
        self.count_write(request)
        return self._ok(request, item, 201)

    def _get_item(self, request: web.Request) -> tuple[str, str, Record]:
        mid, _order = self._get_order(request)
        item_mid = request.match_info["item"]
        if item_mid not in self._order_items.get(mid, []):
            _not_found()
        return mid, item_mid, self._get("sending_order_items", item_mid)

    async def _order_item(self, request: web.Request) -> web.StreamResponse:
        _mid, _item_mid, item = self._get_item(request)
        return self._ok(request, item)

    async def _order_item_delete(self, request: web.Request) -> web.StreamResponse:
        mid, item_mid, _item = self._get_item(request)
        self._ensure_draft(mid)
        self._order_items[mid].remove(item_mid)
        self._cols["sending_order_items"].remove(item_mid)
        self._item_files.pop(item_mid, None)
        self._touch_order(mid)
        self.count_write(request)
        return web.Response(status=204)

    async def _order_item_upload(self, request: web.Request) -> web.StreamResponse:
        mid, item_mid, item = self._get_item(request)
        upload = await _read_upload(request)
        self._ensure_draft(mid)
        if not item["filename"]:
            _invalid("non_field_errors", "not_file_item")
        self._item_files[item_mid] = upload
        self._touch_order(mid)
        self.count_write(request)
        return self._ok(request, item)

    # == history and the secure inbox =========================================================

    async def _history(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["history"]
        ids = col.ordered()
        q = request.query
        checks: list[Callable[[Record], bool]] = []
        errs = _Errors()
        if "date" in q:
            parsed = _parse_datetime(q["date"]) or _day(q["date"])
            if parsed is None:
                errs.add("date", "filter_datetime")
            else:
                day = parsed.date().isoformat()
                checks.append(lambda h: h["action_time"][:10] == day)
        if "date_start" in q:
            start = _parse_datetime(q["date_start"]) or _day(q["date_start"])
            if start is None:
                errs.add("date_start", "filter_datetime")
            else:
                lo = _ts(start)
                checks.append(lambda h: h["action_time"] >= lo)
        if "date_end" in q:
            end = _parse_datetime(q["date_end"])
            day_end = _day(q["date_end"])
            if end is None and day_end is None:
                errs.add("date_end", "filter_datetime")
            elif end is not None:
                hi = _ts(end)
                checks.append(lambda h: h["action_time"] <= hi)
            elif day_end is not None:
                hi_excl = _ts(day_end + timedelta(days=1))
                checks.append(lambda h: h["action_time"] < hi_excl)
        if "event_name" in q:
            checks.append(_eq("event_name", q["event_name"]))
        if "action_flag" in q:
            try:
                flag = int(q["action_flag"])
            except ValueError:
                errs.add("action_flag", "filter_number")
            else:
                checks.append(lambda h: h["action_flag"] == flag)
        errs.check()
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items)

    async def _history_entry(self, request: web.Request) -> web.StreamResponse:
        return self._ok(request, self._get("history", request.match_info["mid"]))

    async def _history_create(self, request: web.Request) -> web.StreamResponse:
        data = await self._body(request)
        errs = _Errors()
        cleaned = self._clean(data, _HISTORY_SPEC, errs, required=("event_name",))
        errs.check()
        entry = self._add_history(
            cleaned["event_name"],
            cleaned.get("action_flag") or 1,
            cleaned.get("object_repr", ""),
            {},
        )
        self.count_write(request)
        return self._ok(request, entry, 201)

    def _inbox_renderer(self, request: web.Request) -> Callable[[Record], Record] | None:
        if _lang(request) != "ja":
            return None

        def render(entry: Record) -> Record:
            out = dict(entry)
            for key in ("accepted_order", "received_doc"):
                nested = entry.get(key)
                if nested:
                    data = nested["document_data"]
                    display = self._display_ja(data["document_type"], data["document_number"])
                    out[key] = {**nested, "display_name": display}
            return out

        return render

    async def _inbox(self, request: web.Request) -> web.StreamResponse:
        col = self._cols["inbox"]
        ids = col.ordered()
        q = request.query
        errs = _Errors()
        checks: list[Callable[[Record], bool]] = []
        if "type" in q:
            if q["type"] not in ("received_doc", "accepted_order", "confirmed_doc"):
                errs.add("type", "filter_choice", value=q["type"])
            checks.append(_eq("type", q["type"]))
        for name, op in (("total_from", "ge"), ("total_to", "le")):
            if name in q:
                bound = _decimal(q[name])
                if bound is None:
                    errs.add(name, "filter_number")
                    continue
                checks.append(_inbox_total(op, bound))
        for name, op in (("issued_date_from", "ge"), ("issued_date_to", "le")):
            if name in q:
                parsed = _parse_date(q[name])
                if parsed is None:
                    errs.add(name, "filter_date")
                    continue
                iso = parsed.isoformat()
                checks.append(_inbox_issued(op, iso))
        if q.get("sender_name"):
            needle = q["sender_name"].lower()
            checks.append(lambda e: needle in str(_inbox_data(e).get("sender_name") or "").lower())
        if "is_unconverted" in q:
            b = _bool_param(q["is_unconverted"])
            if b is None:
                errs.add("is_unconverted", "filter_choice", value=q["is_unconverted"])
            checks.append(lambda e: _unconverted(e) == b)
        errs.check()
        if checks:
            ids = [m for m in ids if all(chk(col.items[m]) for chk in checks)]
        return self._page(request, ids, col.items, self._inbox_renderer(request))

    async def _inbox_entry(self, request: web.Request) -> web.StreamResponse:
        entry = self._get("inbox", request.match_info["mid"])
        render = self._inbox_renderer(request)
        return self._ok(request, render(entry) if render else entry)

    async def _received(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("received_documents", request.match_info["mid"])
        if _lang(request) == "ja":
            data = doc["document_data"]
            doc = {
                **doc,
                "display_name": self._display_ja(data["document_type"], data["document_number"]),
            }
        return self._ok(request, doc)

    async def _received_pdf(self, request: web.Request) -> web.StreamResponse:
        doc = self._get("received_documents", request.match_info["mid"])
        return _pdf_response(doc["display_name"], f"received_{doc['mid']}.pdf")

    async def _accepted(self, request: web.Request) -> web.StreamResponse:
        order = self._get("accepted_orders", request.match_info["mid"])
        if _lang(request) == "ja":
            data = order["document_data"]
            order = {
                **order,
                "display_name": self._display_ja(data["document_type"], data["document_number"]),
            }
        return self._ok(request, order)


# -- module helpers that need no emulator state ---------------------------------------------------


def _lang(request: web.Request) -> str:
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].strip().lower()
    return "ja" if first.startswith("ja") else "en"


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _expand(request: web.Request) -> frozenset[str]:
    value = request.query.get("expand")
    if not value:
        return frozenset()
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _day(value: str) -> datetime | None:
    parsed = _parse_date(value)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC) if parsed else None


def _eq(field: str, value: Any) -> Callable[[Record], bool]:
    return lambda r: r.get(field) == value


def _eq_blank(field: str, value: str) -> Callable[[Record], bool]:
    return lambda r: (r.get(field) or "") == value


def _is_set(field: str, expected: bool | None) -> Callable[[Record], bool]:
    return lambda r: (r.get(field) is not None) == expected


def _inbox_data(entry: Record) -> Record:
    nested = entry.get("received_doc") or entry.get("accepted_order") or {}
    data: Record = nested.get("document_data") or {}
    return data


def _unconverted(entry: Record) -> bool:
    nested = entry.get("received_doc") or entry.get("accepted_order") or {}
    return not nested.get("generated_document_set")


def _inbox_total(op: str, bound: Decimal) -> Callable[[Record], bool]:
    def check(entry: Record) -> bool:
        total = _decimal(str(_inbox_data(entry).get("total") or "0")) or Decimal(0)
        return total >= bound if op == "ge" else total <= bound

    return check


def _inbox_issued(op: str, bound: str) -> Callable[[Record], bool]:
    def check(entry: Record) -> bool:
        issued = _inbox_data(entry).get("date")
        if not issued:
            return False
        return bool(issued >= bound) if op == "ge" else bool(issued <= bound)

    return check


def _range_check(field: str, op: str, bound: str) -> Callable[[Record], bool]:
    if op == "":
        return lambda d: d.get(field) == bound
    if op == "lt":
        return lambda d: d.get(field) is not None and d[field] < bound
    if op == "lte":
        return lambda d: d.get(field) is not None and d[field] <= bound
    if op == "gt":
        return lambda d: d.get(field) is not None and d[field] > bound
    return lambda d: d.get(field) is not None and d[field] >= bound


def _valid_mixed(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for rate, totals in value.items():
        if _decimal(str(rate)) is None or not isinstance(totals, dict) or not totals:
            return False
        for key, money in totals.items():
            if key not in ("subtotal", "tax") or not isinstance(money, dict):
                return False
            amount = money.get("amount")
            if not isinstance(amount, str) or _decimal(amount) is None:
                return False
            if not isinstance(money.get("currency"), str):
                return False
    return True


def _page_url(request: web.Request, page: int) -> str:
    query: MultiDict[str] = MultiDict(request.query)
    query.popall("page", None)
    if page > 1:
        query["page"] = str(page)
    return str(request.url.with_query(query))


def _pdf_response(title: str, filename: str) -> web.Response:
    return web.Response(
        body=_minimal_pdf(title),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


async def _read_upload(request: web.Request) -> dict[str, Any]:
    """The ``content_file`` of a multipart upload: name, type and size."""
    if not request.content_type.startswith("multipart/"):
        _invalid("content_file", "no_file")
    form = await request.post()
    upload = form.get("content_file")
    if not isinstance(upload, web.FileField):
        _invalid("content_file", "no_file")
    size = len(upload.file.read())
    return {"filename": upload.filename, "content_type": upload.content_type, "size": size}


@web.middleware
async def _append_slash(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Django's ``APPEND_SLASH``: a GET for ``/api/x`` is redirected to ``/api/x/`` (301)."""
    if (
        request.match_info.http_exception is not None
        and request.method in ("GET", "HEAD")
        and not request.path.endswith("/")
    ):
        clone = request.clone(rel_url=request.path + "/")
        match = await request.app.router.resolve(clone)
        if match.http_exception is None:
            location = request.path + "/"
            if request.query_string:
                location += "?" + request.query_string
            raise web.HTTPMovedPermanently(location=location)
    return await handler(request)
