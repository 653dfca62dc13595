"""MakeLeaps's resources, typed: generated from ``_spec.py`` by
``python -m vendorkit.vendors._typegen`` (do not edit).

One ``TypedDict`` of filters per resource (the names its ``Endpoint`` declares, its
path's placeholders and the paginator's own parameters) and, for type checkers only,
each resource's class taking exactly those in ``list``/``list_raw``/``get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from vendorkit.core import ListOptions, Pager, QueryValue, ResumePoint

from . import models


class PartnersFilters(TypedDict, total=False):
    pass


class PartnersListArgs(ListOptions, PartnersFilters, total=False):
    """``list()``'s keywords: its options and PartnersFilters (for helpers that
    take them, such as a child list)."""


class PartnersGetFilters(TypedDict, total=False):
    pass


class CurrenciesFilters(TypedDict, total=False):
    pass


class CurrenciesListArgs(ListOptions, CurrenciesFilters, total=False):
    """``list()``'s keywords: its options and CurrenciesFilters (for helpers that
    take them, such as a child list)."""


class EmployeesFilters(TypedDict, total=False):
    partner_mid: QueryValue
    search: QueryValue


class EmployeesListArgs(ListOptions, EmployeesFilters, total=False):
    """``list()``'s keywords: its options and EmployeesFilters (for helpers that
    take them, such as a child list)."""


class EmployeesGetFilters(TypedDict, total=False):
    partner_mid: QueryValue


class DocumentsFilters(TypedDict, total=False):
    accepted: QueryValue
    cancelled: QueryValue
    client: QueryValue
    client_contact: QueryValue
    confirmed: QueryValue
    currency: QueryValue
    date: QueryValue
    date__gt: QueryValue
    date__gte: QueryValue
    date__lt: QueryValue
    date__lte: QueryValue
    date_accepted: QueryValue
    date_accepted__gt: QueryValue
    date_accepted__gte: QueryValue
    date_accepted__lt: QueryValue
    date_accepted__lte: QueryValue
    date_cancelled: QueryValue
    date_cancelled__gt: QueryValue
    date_cancelled__gte: QueryValue
    date_cancelled__lt: QueryValue
    date_cancelled__lte: QueryValue
    date_confirmed: QueryValue
    date_confirmed__gt: QueryValue
    date_confirmed__gte: QueryValue
    date_confirmed__lt: QueryValue
    date_confirmed__lte: QueryValue
    date_converted: QueryValue
    date_converted__gt: QueryValue
    date_converted__gte: QueryValue
    date_converted__lt: QueryValue
    date_converted__lte: QueryValue
    date_due: QueryValue
    date_due__gt: QueryValue
    date_due__gte: QueryValue
    date_due__lt: QueryValue
    date_due__lte: QueryValue
    date_paid: QueryValue
    date_paid__gt: QueryValue
    date_paid__gte: QueryValue
    date_paid__lt: QueryValue
    date_paid__lte: QueryValue
    date_removed: QueryValue
    date_removed__gt: QueryValue
    date_removed__gte: QueryValue
    date_removed__lt: QueryValue
    date_removed__lte: QueryValue
    date_sent: QueryValue
    date_sent__gt: QueryValue
    date_sent__gte: QueryValue
    date_sent__lt: QueryValue
    date_sent__lte: QueryValue
    date_shipped: QueryValue
    date_shipped__gt: QueryValue
    date_shipped__gte: QueryValue
    date_shipped__lt: QueryValue
    date_shipped__lte: QueryValue
    date_valid: QueryValue
    date_valid__gt: QueryValue
    date_valid__gte: QueryValue
    date_valid__lt: QueryValue
    date_valid__lte: QueryValue
    document_number: QueryValue
    document_template: QueryValue
    document_type: QueryValue
    expand: QueryValue
    external_id: QueryValue
    paid: QueryValue
    partner_mid: QueryValue
    search: QueryValue
    sent: QueryValue
    source_received_document: QueryValue
    tags: QueryValue
    viewed: QueryValue


class DocumentsListArgs(ListOptions, DocumentsFilters, total=False):
    """``list()``'s keywords: its options and DocumentsFilters (for helpers that
    take them, such as a child list)."""


class DocumentsGetFilters(TypedDict, total=False):
    expand: QueryValue
    partner_mid: QueryValue


class CatalogItemsFilters(TypedDict, total=False):
    partner_mid: QueryValue
    product_code: QueryValue
    product_code__contains: QueryValue


class CatalogItemsListArgs(ListOptions, CatalogItemsFilters, total=False):
    """``list()``'s keywords: its options and CatalogItemsFilters (for helpers that
    take them, such as a child list)."""


class CatalogItemsGetFilters(TypedDict, total=False):
    partner_mid: QueryValue


class ClientsFilters(TypedDict, total=False):
    archived: QueryValue
    client_external_id: QueryValue
    default_contact: QueryValue
    default_presets: QueryValue
    expand: QueryValue
    partner_mid: QueryValue
    search: QueryValue


class ClientsListArgs(ListOptions, ClientsFilters, total=False):
    """``list()``'s keywords: its options and ClientsFilters (for helpers that
    take them, such as a child list)."""


class ClientsGetFilters(TypedDict, total=False):
    expand: QueryValue
    partner_mid: QueryValue


class ContactsFilters(TypedDict, total=False):
    contact_type: QueryValue
    format: QueryValue
    owner_type: QueryValue
    partner_mid: QueryValue
    search: QueryValue


class ContactsListArgs(ListOptions, ContactsFilters, total=False):
    """``list()``'s keywords: its options and ContactsFilters (for helpers that
    take them, such as a child list)."""


class ContactsGetFilters(TypedDict, total=False):
    partner_mid: QueryValue


class SendingOrdersFilters(TypedDict, total=False):
    employee: QueryValue
    expand: QueryValue
    partner_mid: QueryValue
    recipient_organization: QueryValue
    securesend_selected: QueryValue
    securesend_status: QueryValue
    sendbypost_selected: QueryValue
    sendbypost_status: QueryValue


class SendingOrdersListArgs(ListOptions, SendingOrdersFilters, total=False):
    """``list()``'s keywords: its options and SendingOrdersFilters (for helpers that
    take them, such as a child list)."""


class SendingOrdersGetFilters(TypedDict, total=False):
    expand: QueryValue
    partner_mid: QueryValue


class HistoryFilters(TypedDict, total=False):
    action_flag: QueryValue
    action_time: QueryValue
    created_by: QueryValue
    date: QueryValue
    date_end: QueryValue
    date_start: QueryValue
    event_name: QueryValue
    partner_mid: QueryValue


class HistoryListArgs(ListOptions, HistoryFilters, total=False):
    """``list()``'s keywords: its options and HistoryFilters (for helpers that
    take them, such as a child list)."""


class HistoryGetFilters(TypedDict, total=False):
    partner_mid: QueryValue


class InboxFilters(TypedDict, total=False):
    is_unconverted: QueryValue
    issued_date_from: QueryValue
    issued_date_to: QueryValue
    partner_mid: QueryValue
    sender_name: QueryValue
    time_received: QueryValue
    total_from: QueryValue
    total_to: QueryValue
    type: QueryValue


class InboxListArgs(ListOptions, InboxFilters, total=False):
    """``list()``'s keywords: its options and InboxFilters (for helpers that
    take them, such as a child list)."""


class PickupLinksFilters(TypedDict, total=False):
    document_mid: QueryValue
    partner_mid: QueryValue


class PickupLinksListArgs(ListOptions, PickupLinksFilters, total=False):
    """``list()``'s keywords: its options and PickupLinksFilters (for helpers that
    take them, such as a child list)."""


class PickupLinksGetFilters(TypedDict, total=False):
    partner_mid: QueryValue


class TasksGetFilters(TypedDict, total=False):
    partner_mid: QueryValue


class TemplatesFilters(TypedDict, total=False):
    document_type: QueryValue
    hide_archived: QueryValue
    is_archived: QueryValue
    partner_mid: QueryValue


class TemplatesListArgs(ListOptions, TemplatesFilters, total=False):
    """``list()``'s keywords: its options and TemplatesFilters (for helpers that
    take them, such as a child list)."""


if TYPE_CHECKING:
    from . import CatalogItems as _CatalogItems
    from . import Clients as _Clients
    from . import Contacts as _Contacts
    from . import Currencies as _Currencies
    from . import Documents as _Documents
    from . import Employees as _Employees
    from . import History as _History
    from . import Inbox as _Inbox
    from . import Partners as _Partners
    from . import PickupLinks as _PickupLinks
    from . import SendingOrders as _SendingOrders
    from . import Tasks as _Tasks
    from . import Templates as _Templates

    class Partners(_Partners):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[PartnersFilters],
        ) -> Pager[models.Partner]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[PartnersFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[PartnersGetFilters],
        ) -> models.Partner: ...

    class Currencies(_Currencies):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CurrenciesFilters],
        ) -> Pager[models.Currency]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CurrenciesFilters],
        ) -> Pager[dict[str, Any]]: ...

    class Employees(_Employees):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[EmployeesFilters],
        ) -> Pager[models.Employee]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[EmployeesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[EmployeesGetFilters],
        ) -> models.Employee: ...

    class Documents(_Documents):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[DocumentsFilters],
        ) -> Pager[models.Document]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[DocumentsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[DocumentsGetFilters],
        ) -> models.Document: ...

    class CatalogItems(_CatalogItems):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CatalogItemsFilters],
        ) -> Pager[models.CatalogItem]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CatalogItemsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CatalogItemsGetFilters],
        ) -> models.CatalogItem: ...

    class Clients(_Clients):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ClientsFilters],
        ) -> Pager[models.Client]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ClientsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ClientsGetFilters],
        ) -> models.Client: ...

    class Contacts(_Contacts):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ContactsFilters],
        ) -> Pager[models.Contact]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ContactsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ContactsGetFilters],
        ) -> models.Contact: ...

    class SendingOrders(_SendingOrders):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[SendingOrdersFilters],
        ) -> Pager[models.SendingOrder]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[SendingOrdersFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[SendingOrdersGetFilters],
        ) -> models.SendingOrder: ...

    class History(_History):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[HistoryFilters],
        ) -> Pager[models.HistoryEntry]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[HistoryFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[HistoryGetFilters],
        ) -> models.HistoryEntry: ...

    class Inbox(_Inbox):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[InboxFilters],
        ) -> Pager[models.InboxEntry]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[InboxFilters],
        ) -> Pager[dict[str, Any]]: ...

    class PickupLinks(_PickupLinks):
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[PickupLinksGetFilters],
        ) -> models.PickupLink: ...

    class Tasks(_Tasks):
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[TasksGetFilters],
        ) -> models.Task: ...

    class Templates(_Templates):
        def list(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[TemplatesFilters],
        ) -> Pager[models.Template]: ...
        def list_raw(
            self,
            *,
            page_size: int | None = None,
            max_items: int | None = None,
            max_pages: int | None = None,
            concurrency: int = 1,
            resume: ResumePoint | None = None,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[TemplatesFilters],
        ) -> Pager[dict[str, Any]]: ...
