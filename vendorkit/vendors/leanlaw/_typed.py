"""LeanLaw's resources, typed: generated from ``_spec.py`` by
``python -m vendorkit.vendors._typegen`` (do not edit).

One ``TypedDict`` of filters per resource (the names its ``Endpoint`` declares, its
path's placeholders and the paginator's own parameters) and, for type checkers only,
each resource's class taking exactly those in ``list``/``list_raw``/``get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from vendorkit.core import CrudResource, ListOptions, Pager, QueryValue, ResumePoint

from . import models


class ClientsFilters(TypedDict, total=False):
    limit: QueryValue
    offset: QueryValue
    select: QueryValue


class ClientsListArgs(ListOptions, ClientsFilters, total=False):
    """``list()``'s keywords: its options and ClientsFilters (for helpers that
    take them, such as a child list)."""


class ClientsGetFilters(TypedDict, total=False):
    select: QueryValue


class MattersFilters(TypedDict, total=False):
    clientId: QueryValue
    limit: QueryValue
    offset: QueryValue
    practiceAreaId: QueryValue
    select: QueryValue


class MattersListArgs(ListOptions, MattersFilters, total=False):
    """``list()``'s keywords: its options and MattersFilters (for helpers that
    take them, such as a child list)."""


class MattersGetFilters(TypedDict, total=False):
    select: QueryValue


class TimeEntriesFilters(TypedDict, total=False):
    limit: QueryValue
    matterId: QueryValue
    offset: QueryValue
    select: QueryValue
    userId: QueryValue


class TimeEntriesListArgs(ListOptions, TimeEntriesFilters, total=False):
    """``list()``'s keywords: its options and TimeEntriesFilters (for helpers that
    take them, such as a child list)."""


class TimeEntriesGetFilters(TypedDict, total=False):
    select: QueryValue


class ExpensesFilters(TypedDict, total=False):
    limit: QueryValue
    matterId: QueryValue
    offset: QueryValue
    select: QueryValue


class ExpensesListArgs(ListOptions, ExpensesFilters, total=False):
    """``list()``'s keywords: its options and ExpensesFilters (for helpers that
    take them, such as a child list)."""


class ExpensesGetFilters(TypedDict, total=False):
    select: QueryValue


class FixedFeesFilters(TypedDict, total=False):
    limit: QueryValue
    matterId: QueryValue
    offset: QueryValue
    select: QueryValue


class FixedFeesListArgs(ListOptions, FixedFeesFilters, total=False):
    """``list()``'s keywords: its options and FixedFeesFilters (for helpers that
    take them, such as a child list)."""


class FixedFeesGetFilters(TypedDict, total=False):
    select: QueryValue


class InvoicesFilters(TypedDict, total=False):
    clientId: QueryValue
    limit: QueryValue
    matterId: QueryValue
    offset: QueryValue
    select: QueryValue


class InvoicesListArgs(ListOptions, InvoicesFilters, total=False):
    """``list()``'s keywords: its options and InvoicesFilters (for helpers that
    take them, such as a child list)."""


class InvoicesGetFilters(TypedDict, total=False):
    select: QueryValue


class UsersFilters(TypedDict, total=False):
    limit: QueryValue
    offset: QueryValue
    select: QueryValue


class UsersListArgs(ListOptions, UsersFilters, total=False):
    """``list()``'s keywords: its options and UsersFilters (for helpers that
    take them, such as a child list)."""


class UsersGetFilters(TypedDict, total=False):
    select: QueryValue


class PracticeAreasFilters(TypedDict, total=False):
    limit: QueryValue
    offset: QueryValue
    select: QueryValue


class PracticeAreasListArgs(ListOptions, PracticeAreasFilters, total=False):
    """``list()``'s keywords: its options and PracticeAreasFilters (for helpers that
    take them, such as a child list)."""


class PracticeAreasGetFilters(TypedDict, total=False):
    select: QueryValue


if TYPE_CHECKING:
    from . import Clients as _Clients

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

    class Matters(CrudResource[models.Matter]):
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
            **filters: Unpack[MattersFilters],
        ) -> Pager[models.Matter]: ...
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
            **filters: Unpack[MattersFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[MattersGetFilters],
        ) -> models.Matter: ...

    class TimeEntries(CrudResource[models.TimeEntry]):
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
            **filters: Unpack[TimeEntriesFilters],
        ) -> Pager[models.TimeEntry]: ...
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
            **filters: Unpack[TimeEntriesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[TimeEntriesGetFilters],
        ) -> models.TimeEntry: ...

    class Expenses(CrudResource[models.Expense]):
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
            **filters: Unpack[ExpensesFilters],
        ) -> Pager[models.Expense]: ...
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
            **filters: Unpack[ExpensesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ExpensesGetFilters],
        ) -> models.Expense: ...

    class FixedFees(CrudResource[models.FixedFee]):
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
            **filters: Unpack[FixedFeesFilters],
        ) -> Pager[models.FixedFee]: ...
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
            **filters: Unpack[FixedFeesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[FixedFeesGetFilters],
        ) -> models.FixedFee: ...

    class Invoices(CrudResource[models.Invoice]):
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
            **filters: Unpack[InvoicesFilters],
        ) -> Pager[models.Invoice]: ...
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
            **filters: Unpack[InvoicesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[InvoicesGetFilters],
        ) -> models.Invoice: ...

    class Users(CrudResource[models.User]):
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

    class PracticeAreas(CrudResource[models.PracticeArea]):
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
            **filters: Unpack[PracticeAreasFilters],
        ) -> Pager[models.PracticeArea]: ...
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
            **filters: Unpack[PracticeAreasFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[PracticeAreasGetFilters],
        ) -> models.PracticeArea: ...
