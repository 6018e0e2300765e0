"""Small files for the evidence tests: each starts with its format's signature bytes (what
ledger.domain.documents decides the type from), and a page of HTML that must never pass as one."""

import zlib

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def png(seed: int = 0) -> bytes:
    """A 1x1 grey PNG whose pixel is `seed` (different seeds: different files)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, seed % 256])))
        + chunk(b"IEND", b"")
    )


def pdf(seed: int = 0) -> bytes:
    """A PDF that differs by `seed`."""
    return PDF + f"% {seed}\n".encode()
