"""``multipart/form-data`` bodies for uploads (RFC 7578). Pure: bytes in, bytes out, no I/O.

A vendor that takes a file as a form upload gets it from here instead of writing its own
encoder: a random boundary per body, and a file name that cannot break out of its header
(quotes and backslashes escaped, line breaks dropped).
"""

from __future__ import annotations

import secrets

import attrs

from vendorkit.errors import ConfigurationError

__all__ = ["Multipart", "check_file_part", "multipart_file"]


@attrs.frozen
class Multipart:
    """An encoded body and the ``Content-Type`` (with its boundary) to send it under."""

    body: bytes = attrs.field(repr=False)
    content_type: str


def _quoted(value: str) -> str:
    """``value`` safe inside a quoted header parameter: no line break can end the header early
    and no quote can end the parameter."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


def check_file_part(filename: object, content: object, content_type: object) -> None:
    """Refuse, before anything is sent, what cannot be a file part: content that is not bytes,
    a file name or content type that is not text a header can carry (UTF-8 encodable)."""
    if not isinstance(content, bytes | bytearray | memoryview):
        raise ConfigurationError(
            f"the file content must be bytes, not {type(content).__name__} (encode text first)"
        )
    for what, value in (("filename", filename), ("content_type", content_type)):
        if value is None and what == "filename":
            continue
        if not isinstance(value, str):
            raise ConfigurationError(f"{what} must be text, not {type(value).__name__}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigurationError(f"{what} has characters UTF-8 cannot carry") from None


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
    check_file_part(filename, content, content_type)
    boundary = boundary or "vendorkit-" + secrets.token_hex(16)
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{_quoted(field)}"; '
        f'filename="{_quoted(filename)}"\r\n'
        f"Content-Type: {_quoted(content_type)}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return Multipart(head + bytes(content) + tail, f"multipart/form-data; boundary={boundary}")
