"""LeadDesk's resources, typed: generated from ``_spec.py`` by
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


class UsersFilters(TypedDict, total=False):
    active: QueryValue
    created_at: QueryValue
    email: QueryValue
    first_name: QueryValue
    id: QueryValue
    language: QueryValue
    last_name: QueryValue
    page: QueryValue
    per_page: QueryValue
    phone: QueryValue
    role: QueryValue
    updated_at: QueryValue
    username: QueryValue


class UsersListArgs(ListOptions, UsersFilters, total=False):
    """``list()``'s keywords: its options and UsersFilters (for helpers that
    take them, such as a child list)."""


class UsersGetFilters(TypedDict, total=False):
    pass


class CampaignsFilters(TypedDict, total=False):
    active: QueryValue
    created_at: QueryValue
    description: QueryValue
    id: QueryValue
    name: QueryValue
    page: QueryValue
    per_page: QueryValue
    type: QueryValue
    updated_at: QueryValue


class CampaignsListArgs(ListOptions, CampaignsFilters, total=False):
    """``list()``'s keywords: its options and CampaignsFilters (for helpers that
    take them, such as a child list)."""


class CampaignsGetFilters(TypedDict, total=False):
    pass


class ContactListsFilters(TypedDict, total=False):
    active: QueryValue
    created_at: QueryValue
    description: QueryValue
    id: QueryValue
    name: QueryValue
    page: QueryValue
    per_page: QueryValue
    updated_at: QueryValue


class ContactListsListArgs(ListOptions, ContactListsFilters, total=False):
    """``list()``'s keywords: its options and ContactListsFilters (for helpers that
    take them, such as a child list)."""


class ContactListsGetFilters(TypedDict, total=False):
    pass


class ContactsFilters(TypedDict, total=False):
    city: QueryValue
    company: QueryValue
    country: QueryValue
    created_at: QueryValue
    email: QueryValue
    first_name: QueryValue
    id: QueryValue
    last_name: QueryValue
    mobile: QueryValue
    page: QueryValue
    per_page: QueryValue
    phone: QueryValue
    postal_code: QueryValue
    street_address: QueryValue
    updated_at: QueryValue


class ContactsListArgs(ListOptions, ContactsFilters, total=False):
    """``list()``'s keywords: its options and ContactsFilters (for helpers that
    take them, such as a child list)."""


class ContactsGetFilters(TypedDict, total=False):
    pass


class ProductsFilters(TypedDict, total=False):
    active: QueryValue
    code: QueryValue
    created_at: QueryValue
    currency: QueryValue
    id: QueryValue
    name: QueryValue
    page: QueryValue
    per_page: QueryValue
    price: QueryValue
    updated_at: QueryValue
    vat_percent: QueryValue


class ProductsListArgs(ListOptions, ProductsFilters, total=False):
    """``list()``'s keywords: its options and ProductsFilters (for helpers that
    take them, such as a child list)."""


class ProductsGetFilters(TypedDict, total=False):
    pass


class CallsFilters(TypedDict, total=False):
    campaign_id: QueryValue
    contact_id: QueryValue
    contact_list_id: QueryValue
    direction: QueryValue
    duration: QueryValue
    ended_at: QueryValue
    id: QueryValue
    number: QueryValue
    page: QueryValue
    per_page: QueryValue
    result: QueryValue
    started_at: QueryValue
    talk_time: QueryValue
    user_id: QueryValue


class CallsListArgs(ListOptions, CallsFilters, total=False):
    """``list()``'s keywords: its options and CallsFilters (for helpers that
    take them, such as a child list)."""


class CallsGetFilters(TypedDict, total=False):
    pass


if TYPE_CHECKING:
    from . import Calls as _Calls
    from . import Campaigns as _Campaigns
    from . import ContactLists as _ContactLists
    from . import LeadDeskResource as _LeadDeskResource

    class Users(_LeadDeskResource[models.User]):
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
            **filters: Unpack[UsersFilters],
        ) -> Pager[models.User]: ...
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
            **filters: Unpack[UsersFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[UsersGetFilters],
        ) -> models.User: ...

    class Campaigns(_Campaigns):
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
            **filters: Unpack[CampaignsFilters],
        ) -> Pager[models.Campaign]: ...
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
            **filters: Unpack[CampaignsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CampaignsGetFilters],
        ) -> models.Campaign: ...

    class ContactLists(_ContactLists):
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
            **filters: Unpack[ContactListsFilters],
        ) -> Pager[models.ContactList]: ...
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
            **filters: Unpack[ContactListsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ContactListsGetFilters],
        ) -> models.ContactList: ...

    class Contacts(_LeadDeskResource[models.Contact]):
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

    class Products(_LeadDeskResource[models.Product]):
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
            **filters: Unpack[ProductsFilters],
        ) -> Pager[models.Product]: ...
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
            **filters: Unpack[ProductsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ProductsGetFilters],
        ) -> models.Product: ...

    class Calls(_Calls):
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
            **filters: Unpack[CallsFilters],
        ) -> Pager[models.Call]: ...
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
            **filters: Unpack[CallsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CallsGetFilters],
        ) -> models.Call: ...
