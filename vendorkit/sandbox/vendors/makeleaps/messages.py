"""MakeLeaps' message catalogue, English and Japanese (``Accept-Language: ja``), and the
field-error collector whose entries are translated late, when the answer's language is known."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from ..._problem import Problem

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

#: The shared middleware's fixed messages (the catalogue's English texts, and two of aiohttp's
#: and the framework's spellings), mapped to catalogue keys for translation.
_BASE_MESSAGES = {en: key for key, (en, _ja) in _MSG.items()} | {
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
        """A 400 ``Problem`` carrying the entries, if any were added."""
        if self.fields:
            raise Problem(400, fields=self.fields)


def render_fields(fields: Mapping[str, list[Any]], lang: str) -> dict[str, list[str]]:
    """``_Errors`` entries as DRF's field messages in ``lang``."""
    return {
        field: [
            f"{path}: {_tr(lang, key, kw)}" if path else _tr(lang, key, kw)
            for path, key, kw in items
        ]
        for field, items in fields.items()
    }


def _failure(status: int, key: str, **kw: Any) -> Problem:
    """Any other error answer: ``status`` and a catalogue message under ``response.detail``."""
    return Problem(status, key=key, kw=kw)


def _invalid(field: str, key: str, **kw: Any) -> NoReturn:
    """A 400 with one field error (what ``_Errors.check`` raises for one entry)."""
    raise Problem(400, fields={field: [("", key, kw)]})


def _not_found() -> NoReturn:
    raise _failure(404, "not_found")
