"""``multipart_file``: one file part, parsed back by the standard library's MIME parser."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

from vendorkit.core import multipart_file


def _parse(body: bytes, content_type: str) -> list[tuple[str | None, str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(
            (part.get_param("name", header="content-disposition"), part.get_filename(), payload)
        )
    return parts


def test_one_file_part_reads_back_as_sent() -> None:
    content = b"%PDF-1.4\r\n--not-a-boundary\r\n\x00\xff"
    encoded = multipart_file("content_file", "invoice.pdf", content, "application/pdf")
    assert encoded.content_type.startswith("multipart/form-data; boundary=vendorkit-")
    assert _parse(encoded.body, encoded.content_type) == [("content_file", "invoice.pdf", content)]
    assert b"Content-Type: application/pdf\r\n\r\n" in encoded.body


def test_each_body_has_its_own_boundary() -> None:
    first = multipart_file("f", "a.pdf", b"x")
    second = multipart_file("f", "a.pdf", b"x")
    assert first.content_type != second.content_type


def test_a_given_boundary_gives_the_exact_bytes() -> None:
    encoded = multipart_file("f", "a.txt", b"hi", "text/plain", boundary="B")
    assert encoded.body == (
        b"--B\r\n"
        b'Content-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
        b"hi\r\n--B--\r\n"
    )
    assert encoded.content_type == "multipart/form-data; boundary=B"


def test_a_hostile_file_name_stays_inside_its_parameter() -> None:
    encoded = multipart_file("f", 'x"; name="evil\r\nX-Injected: 1\\', b"", boundary="B")
    head = encoded.body.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    assert len(lines) == 3  # boundary, disposition, type: no header smuggled in
    assert lines[1] == (
        b'Content-Disposition: form-data; name="f"; filename="x\\"; name=\\"evilX-Injected: 1\\\\"'
    )
