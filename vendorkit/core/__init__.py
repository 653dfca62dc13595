"""The vendor-neutral engine. Adapters build on these names; nothing here knows a vendor.

Pure decisions (no I/O): ``Envelope``, the paginators, ``retry_decision``/``parse_retry_after``,
``error_from_response``, the converter, the attempt rules (``_attempt_rules``, ``_redirects``).
I/O: ``BaseClient`` over its layers (``_call`` > ``_retryloop`` > ``_attempt`` > ``_transport``, the
one module that awaits aiohttp), ``Pager``, ``RateLimiter``, the auth strategies' ``authorize``.
``ClientAPI`` is the protected API adapters and resources use.

Also for the first users of the API above the core (the export engine, the CLI): the argument
checks ``checked_seconds``/``checked_whole``/``checked_header_value`` (a ``ConfigurationError``
naming the argument) and ``unknown_option`` (the error for a misspelt keyword, suggesting the
closest known one), and
``redact_text``/``describe_exception`` (text and foreign exceptions made safe to show, known
secrets and credential-shaped values removed).
"""

from ._api import ClientAPI
from ._auth import Auth, HeaderAuth, MemoryTokenStore, NoAuth, OAuth2, Token, TokenStore
from ._client import DEFAULT, BaseClient, ClientOptions, Hooks, RequestInfo
from ._config import SETTING_FIELDS, env_options, env_variables
from ._convert import (
    Record,
    always_sent,
    always_sent_fields,
    changed_fields,
    make_converter,
    structure,
    to_camel,
    to_wire,
)
from ._envelope import Envelope, RawPage, select
from ._errors import (
    ErrorInfo,
    ErrorParser,
    as_messages,
    default_error_parser,
    error_from_response,
    field_error_parser,
)
from ._links import LinkModels, is_url, link_of, template_regex
from ._listing import ChainOver, MethodFallback
from ._multipart import Multipart, check_file_part, multipart_file
from ._options import header_value as checked_header_value
from ._options import seconds as checked_seconds
from ._options import unknown_option
from ._options import whole as checked_whole
from ._pagination import (
    Chained,
    NextLink,
    OffsetLimit,
    Page,
    PageNumber,
    Pager,
    PageRequest,
    Paginator,
    ResumePoint,
)
from ._polling import PollSchedule, poll
from ._query import NoFilters, QueryValue, record_fields, with_ranges
from ._ratelimit import Quota, QuotaExhausted, QuotaSlot, RateLimiter, parse_quotas
from ._redact import describe_exception, redact_text
from ._resource import (
    CreateMixin,
    CrudResource,
    DeleteMixin,
    GetMixin,
    ListMixin,
    ListResource,
    ReadOnlyResource,
    Resource,
    UpdateMixin,
    resource,
    split_pager_args,
)
from ._retry import (
    FailureKind,
    RetryDecision,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    retry_decision,
)
from ._spec import Endpoint, VendorSpec
from ._structuring import (
    BareValueAs,
    ConverterRule,
    NoneUnless,
    SendAsRead,
    lenient_structure,
)
from ._urls import check_path, path_segment
from ._walks import ListOptions, checked_list_call
from ._wire import WireRequest, WireResponse, redact_url, same_origin

__all__ = [
    "DEFAULT",
    "SETTING_FIELDS",
    "Auth",
    "BareValueAs",
    "BaseClient",
    "ChainOver",
    "Chained",
    "ClientAPI",
    "ClientOptions",
    "ConverterRule",
    "CreateMixin",
    "CrudResource",
    "DeleteMixin",
    "Endpoint",
    "Envelope",
    "ErrorInfo",
    "ErrorParser",
    "FailureKind",
    "GetMixin",
    "HeaderAuth",
    "Hooks",
    "LinkModels",
    "ListMixin",
    "ListOptions",
    "ListResource",
    "MemoryTokenStore",
    "MethodFallback",
    "Multipart",
    "NextLink",
    "NoAuth",
    "NoFilters",
    "NoneUnless",
    "OAuth2",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "PageRequest",
    "Pager",
    "Paginator",
    "PollSchedule",
    "QueryValue",
    "Quota",
    "QuotaExhausted",
    "QuotaSlot",
    "RateLimiter",
    "RawPage",
    "ReadOnlyResource",
    "Record",
    "RequestInfo",
    "Resource",
    "ResumePoint",
    "RetryDecision",
    "RetryPolicy",
    "SendAsRead",
    "Token",
    "TokenStore",
    "UpdateMixin",
    "VendorSpec",
    "WireRequest",
    "WireResponse",
    "always_sent",
    "always_sent_fields",
    "as_messages",
    "backoff_delay",
    "changed_fields",
    "check_file_part",
    "check_path",
    "checked_header_value",
    "checked_list_call",
    "checked_seconds",
    "checked_whole",
    "default_error_parser",
    "describe_exception",
    "env_options",
    "env_variables",
    "error_from_response",
    "field_error_parser",
    "is_url",
    "lenient_structure",
    "link_of",
    "make_converter",
    "multipart_file",
    "parse_quotas",
    "parse_retry_after",
    "path_segment",
    "poll",
    "record_fields",
    "redact_text",
    "redact_url",
    "resource",
    "retry_decision",
    "same_origin",
    "select",
    "split_pager_args",
    "structure",
    "template_regex",
    "to_camel",
    "to_wire",
    "unknown_option",
    "with_ranges",
]
