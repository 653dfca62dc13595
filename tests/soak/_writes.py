"""The soak's writes: what it creates, updates and deletes per vendor, and how a finished write
is judged against the emulator's store (``judge``, a pure function of what was observed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from vendorkit import errors


@attrs.frozen
class WriteSpec:
    """How the soak writes one resource of one vendor, and where the store keeps it."""

    collection: str
    resource: str  # the client's resource for it
    field: str  # the field that carries the soak's marker
    methods: dict[str, str]  # op -> the HTTP method the client sends
    create: Callable[[Any, str], Awaitable[Any]]
    update: Callable[[Any, Any, str], Awaitable[Any]]
    delete: Callable[[Any, Any], Awaitable[Any]]
    id_of: Callable[[Any], Any] = attrs.field(default=lambda record: record.id)


WRITES: dict[str, WriteSpec] = {
    "leanlaw": WriteSpec(  # POST 201 with the object; sparse PUT; DELETE 200
        collection="clients",
        resource="clients",
        field="name",
        methods={"create": "POST", "update": "PUT", "delete": "DELETE"},
        create=lambda c, m: c.clients.create({"name": m, "billingRate": "410.00"}),
        update=lambda c, i, m: c.clients.update(i, {"name": m}),
        delete=lambda c, i: c.clients.delete(i),
    ),
    "leaddesk": WriteSpec(  # POST {"id": N} then a read-back GET; PATCH 204 then a GET
        collection="contacts",
        resource="contacts",
        field="first_name",
        methods={"create": "POST", "update": "PATCH", "delete": "DELETE"},
        create=lambda c, m: c.contacts.create({"phone": "+358401112223", "first_name": m}),
        update=lambda c, i, m: c.contacts.update(i, {"first_name": m}),
        delete=lambda c, i: c.contacts.delete(i),
    ),
    "leady": WriteSpec(
        collection="saved_filters",
        resource="saved_filters",
        field="name",
        methods={"create": "POST", "update": "PATCH", "delete": "DELETE"},
        create=lambda c, m: c.saved_filters.create({"name": m, "filter": {}}),
        update=lambda c, i, m: c.saved_filters.update(i, {"name": m}),
        delete=lambda c, i: c.saved_filters.delete(i),
    ),
    "makeleaps": WriteSpec(
        collection="contacts",
        resource="contacts",
        field="name",
        methods={"create": "POST", "update": "PATCH", "delete": "DELETE"},
        create=lambda c, m: c.contacts.create(
            {"contact_type": "organization", "name": m, "addresses": []}
        ),
        update=lambda c, i, m: c.contacts.update(i, {"name": m}),
        delete=lambda c, i: c.contacts.delete(i),
        id_of=lambda record: record.mid,
    ),
}


@attrs.frozen(kw_only=True)
class WriteSeen:
    """One finished write, as the soak observed it on both sides."""

    op: str  # create | update | delete
    method: str  # the HTTP method the client sends for it
    error: BaseException | None  # what the call raised, None if it returned
    applied: int  # writes the emulator counted during the call
    holders: tuple[Any, ...]  # ids of the records that carry the call's marker afterwards
    answer_id: Any = None  # create: the id of the record the call returned
    answer_stored: bool = False  # create: that id is in the store, with the marker
    marker: str = ""  # create/update: the value the call wrote
    before: Any = None  # update: the field's value before the call
    after: Any = None  # update: the field's value after the call
    present_after: bool = False  # update/delete: the record still exists
    create_answered: bool = False  # create: no fault hit the create request itself


def carries(error: BaseException, ident: Any) -> bool:
    """Whether ``error`` holds ``ident`` as an attribute (``error.id``, ``error.created_id``,
    a record with that id, ...), not merely inside its message."""
    for value in vars(error).values():
        if value == ident or (isinstance(value, str) and value == str(ident)):
            return True
        if getattr(value, "id", None) == ident or getattr(value, "mid", None) == ident:
            return True
    return False


def judge(seen: WriteSeen, *, max_retries: int) -> list[str]:
    """The promises ``seen`` breaks (empty: none).

    - A POST or PATCH is applied at most once, whatever it met; a PUT or DELETE at most once per
      attempt the retry budget allows.
    - What the client reported as done is in the store; what it reported as failed is there
      once or not at all (a create) or holds the old or the new value (an update), never twice.
    - A create whose own answer arrived (only a follow-up read failed) gives the caller the id.
    - A DELETE that took effect has succeeded, even when its retry then met 404.
    - Every exception is a ``VendorkitError``.
    """
    problems: list[str] = []
    error = seen.error
    if seen.method in ("POST", "PATCH") and seen.applied > 1:
        problems.append(f"a {seen.method} applied {seen.applied} times")
    if seen.applied > 1 + max_retries:
        problems.append(f"applied {seen.applied} times with max_retries={max_retries}")
    if error is not None and not isinstance(error, errors.VendorkitError):
        problems.append(f"raised {type(error).__module__}.{type(error).__qualname__}")
    if seen.op == "create":
        if len(seen.holders) > 1:
            problems.append(f"{len(seen.holders)} records were created")
        if error is None and not seen.answer_stored:
            problems.append(f"reported created as {seen.answer_id!r}, which is not in the store")
        if error is not None and seen.holders and seen.create_answered:
            if not carries(error, seen.holders[0]):
                problems.append(
                    f"created {seen.holders[0]!r} and its answer arrived, but the error does not "
                    "carry the new id: a caller that retries creates a second record"
                )
    elif seen.op == "update":
        if error is None and seen.after != seen.marker:
            problems.append(f"reported updated, but the store has {seen.after!r}")
        if error is not None and seen.after not in (seen.before, seen.marker):
            problems.append(f"failed, and the store has neither value: {seen.after!r}")
    elif seen.op == "delete":
        if error is None and seen.present_after:
            problems.append("reported deleted, but still in the store")
        if isinstance(error, errors.NotFoundError) and not seen.present_after:
            problems.append(
                "the delete took effect (its retry then met 404) but was reported as "
                "NotFoundError: a DELETE that took effect has succeeded"
            )
    else:
        raise ValueError(f"unknown write {seen.op!r}")
    return problems
