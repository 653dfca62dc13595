"""Leady's resources, typed: generated from ``_spec.py`` by
``python -m vendorkit.vendors._typegen`` (do not edit).

One ``TypedDict`` of filters per resource (the names its ``Endpoint`` declares, its
path's placeholders and the paginator's own parameters) and, for type checkers only,
each resource's class taking exactly those in ``list``/``list_raw``/``get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from vendorkit.core import (
    CrudResource,
    ListOptions,
    ListResource,
    Pager,
    QueryValue,
    ReadOnlyResource,
    ResumePoint,
)

from . import models


class ResourcesFilters(TypedDict, total=False):
    cursor: QueryValue


class ResourcesListArgs(ListOptions, ResourcesFilters, total=False):
    """``list()``'s keywords: its options and ResourcesFilters (for helpers that
    take them, such as a child list)."""


class ResourcesGetFilters(TypedDict, total=False):
    pass


class SessionsFilters(TypedDict, total=False):
    cursor: QueryValue
    period_end: QueryValue
    period_start: QueryValue
    resource: QueryValue


class SessionsListArgs(ListOptions, SessionsFilters, total=False):
    """``list()``'s keywords: its options and SessionsFilters (for helpers that
    take them, such as a child list)."""


class ActionsFilters(TypedDict, total=False):
    cursor: QueryValue
    session: QueryValue


class ActionsListArgs(ListOptions, ActionsFilters, total=False):
    """``list()``'s keywords: its options and ActionsFilters (for helpers that
    take them, such as a child list)."""


class CompaniesFilters(TypedDict, total=False):
    cursor: QueryValue


class CompaniesListArgs(ListOptions, CompaniesFilters, total=False):
    """``list()``'s keywords: its options and CompaniesFilters (for helpers that
    take them, such as a child list)."""


class CompaniesGetFilters(TypedDict, total=False):
    pass


class PersonsFilters(TypedDict, total=False):
    cursor: QueryValue


class PersonsListArgs(ListOptions, PersonsFilters, total=False):
    """``list()``'s keywords: its options and PersonsFilters (for helpers that
    take them, such as a child list)."""


class PersonsGetFilters(TypedDict, total=False):
    pass


class SavedFiltersFilters(TypedDict, total=False):
    cursor: QueryValue


class SavedFiltersListArgs(ListOptions, SavedFiltersFilters, total=False):
    """``list()``'s keywords: its options and SavedFiltersFilters (for helpers that
    take them, such as a child list)."""


class SavedFiltersGetFilters(TypedDict, total=False):
    pass


class BlacklistFilters(TypedDict, total=False):
    cursor: QueryValue


class BlacklistListArgs(ListOptions, BlacklistFilters, total=False):
    """``list()``'s keywords: its options and BlacklistFilters (for helpers that
    take them, such as a child list)."""


class TurnoversFilters(TypedDict, total=False):
    cursor: QueryValue


class TurnoversListArgs(ListOptions, TurnoversFilters, total=False):
    """``list()``'s keywords: its options and TurnoversFilters (for helpers that
    take them, such as a child list)."""


class MagnitudesFilters(TypedDict, total=False):
    cursor: QueryValue


class MagnitudesListArgs(ListOptions, MagnitudesFilters, total=False):
    """``list()``'s keywords: its options and MagnitudesFilters (for helpers that
    take them, such as a child list)."""


if TYPE_CHECKING:
    from . import Blacklist as _Blacklist
    from . import Sessions as _Sessions

    class Resources(ReadOnlyResource[models.Resource]):
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
            **filters: Unpack[ResourcesFilters],
        ) -> Pager[models.Resource]: ...
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
            **filters: Unpack[ResourcesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[ResourcesGetFilters],
        ) -> models.Resource: ...

    class Sessions(_Sessions):
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
            **filters: Unpack[SessionsFilters],
        ) -> Pager[dict[str, Any]]: ...

    class Actions(ListResource[models.Action]):
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
            **filters: Unpack[ActionsFilters],
        ) -> Pager[models.Action]: ...
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
            **filters: Unpack[ActionsFilters],
        ) -> Pager[dict[str, Any]]: ...

    class Companies(ReadOnlyResource[models.Company]):
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
            **filters: Unpack[CompaniesFilters],
        ) -> Pager[models.Company]: ...
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
            **filters: Unpack[CompaniesFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[CompaniesGetFilters],
        ) -> models.Company: ...

    class Persons(ReadOnlyResource[models.Person]):
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
            **filters: Unpack[PersonsFilters],
        ) -> Pager[models.Person]: ...
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
            **filters: Unpack[PersonsFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[PersonsGetFilters],
        ) -> models.Person: ...

    class SavedFilters(CrudResource[models.SavedFilter]):
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
            **filters: Unpack[SavedFiltersFilters],
        ) -> Pager[models.SavedFilter]: ...
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
            **filters: Unpack[SavedFiltersFilters],
        ) -> Pager[dict[str, Any]]: ...
        async def get(
            self,
            id: Any,
            *,
            headers: Mapping[str, str] | None = None,
            params: Mapping[str, Any] | None = None,
            **filters: Unpack[SavedFiltersGetFilters],
        ) -> models.SavedFilter: ...

    class Blacklist(_Blacklist):
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
            **filters: Unpack[BlacklistFilters],
        ) -> Pager[models.BlacklistEntry]: ...
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
            **filters: Unpack[BlacklistFilters],
        ) -> Pager[dict[str, Any]]: ...

    class Turnovers(ListResource[models.Turnover]):
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
            **filters: Unpack[TurnoversFilters],
        ) -> Pager[models.Turnover]: ...
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
            **filters: Unpack[TurnoversFilters],
        ) -> Pager[dict[str, Any]]: ...

    class Magnitudes(ListResource[models.Magnitude]):
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
            **filters: Unpack[MagnitudesFilters],
        ) -> Pager[models.Magnitude]: ...
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
            **filters: Unpack[MagnitudesFilters],
        ) -> Pager[dict[str, Any]]: ...
