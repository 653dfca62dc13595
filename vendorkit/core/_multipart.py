"""``multipart/form-data`` bodies for uploads (RFC 7578). Pure: bytes in, bytes out, no I/O.

A vendor that takes a file as a form upload gets it from here instead of writing its own
encoder: a random boundary per body, and a file name that cannot break out of its header
(quotes and backslashes escaped, line breaks dropped).
"""

from __future__ import annotations

import secrets

import attrs

__all__ = ["Multipart", "multipart_file"]


@attrs.frozen
class Multipart:
    """An encoded body and the ``Content-Type`` (with its boundary) to send it under."""

    body: bytes = attrs.field(repr=False)
    content_type: str


def _quoted(value: str) -> str:
    """``value`` safe inside a quoted header parameter: no line break can end the header early
    and no quote can end the parameter."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


def multipart_file(
    field: str,
    filename: str,
    content: bytes,
    content_type: str = "application/octet-stream",
    *,
    boundary: str | None = None,
) -> Multipart:
    """A body holding one file part: form field ``field``, named ``filename``. ``boundary``
    (for tests) defaults to a fresh random one, which no file content can guess."""
    boundary = boundary or "vendorkit-" + secrets.token_hex(16)
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{_quoted(field)}"; '
        f'filename="{_quoted(filename)}"\r\n'
        f"Content-Type: {_quoted(content_type)}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return Multipart(head + content + tail, f"multipart/form-data; boundary={boundary}")
