"""Documents kept off chain by their digest (内容寻址存储): an enterprise's fulfilment evidence, whose
digest alone goes on chain.

A file is named by the digest of its bytes under the crypto profile (SHA-256, or SM3 under the gm
profile: ledger.core.crypto_profile), so the same file is kept once and a stored file that no longer
matches its name is noticed when it is read. It is written to a temporary file beside its final place
and renamed there (atomic on POSIX): a reader never sees half a file, a crash leaves only a `.part-`.

What is accepted is decided from the content, never from the client's file name or Content-Type:
the `filetype` library reads the signature bytes (PDF, PNG, JPEG only), so an HTML page named
`report.pdf` is refused. What is served back is served as an attachment of that detected type
(portal.evidence_pages), never inline.
"""

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import filetype

from ledger.core.crypto_profile import CryptoProfile, current_profile
from ledger.core.errors import LedgerError
from ledger.core.settings import Settings
from ledger.domain.errors import NotFound, ValidationFailed

# The types evidence may be, by the media type the content shows, with the name people know them by.
ALLOWED_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}  # a download's file name
MAX_FILE_NAME_CHARS = 200  # the name a file was uploaded under, as kept for display


@dataclass(frozen=True)
class StoredDocument:
    digest: str  # lower-case hex of the profile's digest of the bytes: the name on disk and on chain
    algorithm: str  # "sha256" or "sm3"
    media_type: str  # one of ALLOWED_TYPES, detected from the content
    size: int


class DocumentTampered(LedgerError):
    """A stored file whose bytes no longer match its digest: served to no one."""


def shown_name(file_name: str | None) -> str:
    """The client's file name, for display only: its last path part, printable, not too long."""
    base = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(c for c in base if c.isprintable()).strip()
    return printable[:MAX_FILE_NAME_CHARS] or "（未命名）"


def detected_type(content: bytes) -> str | None:
    """The media type the content's signature bytes show, or None when it shows none known."""
    kind = filetype.guess(content)
    return kind.mime if kind is not None else None


class DocumentStore:
    """Files under `directory`/<algorithm>/<first two hex digits>/<digest>, one per distinct content."""

    def __init__(self, directory: Path, *, max_bytes: int, profile: CryptoProfile):
        self.directory, self.max_bytes, self.profile = Path(directory), max_bytes, profile

    @classmethod
    def of(cls, settings: Settings) -> "DocumentStore":
        return cls(
            settings.documents.directory, max_bytes=settings.documents.max_bytes, profile=current_profile(settings)
        )

    def checked(self, content: bytes) -> StoredDocument:
        """What `put` would store, or the rule the content breaks (field `file`): nothing is written."""
        if not content:
            raise ValidationFailed("the file is empty", field="file", rule="not_empty")
        if len(content) > self.max_bytes:
            raise ValidationFailed(
                f"the file is {len(content)} bytes; at most {self.max_bytes} are accepted",
                field="file",
                rule="max_bytes",
            )
        media_type = detected_type(content)
        if media_type not in ALLOWED_TYPES:
            shown = media_type or "unrecognised content"
            raise ValidationFailed(
                f"the file is {shown}; only {', '.join(ALLOWED_TYPES.values())} are accepted",
                field="file",
                rule="allowed_type",
            )
        return StoredDocument(self.profile.digest(content).hex(), self.profile.digest_name, media_type, len(content))

    def put(self, content: bytes) -> StoredDocument:
        """Keep the content (once: the same bytes again write nothing) and say under what digest."""
        document = self.checked(content)
        path = self.path_of(document.digest)
        if path.exists():
            return document
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return document

    def read(self, digest: str) -> tuple[bytes, StoredDocument]:
        """The stored bytes and what they are; NotFound when none are kept under `digest`."""
        path = self.path_of(digest)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no document {digest}", field="digest", rule="stored_document") from None
        if self.profile.digest(content).hex() != digest:
            raise DocumentTampered(f"{path}: its content no longer matches its {self.profile.digest_name} digest")
        media_type = detected_type(content) or "application/octet-stream"
        return content, StoredDocument(digest, self.profile.digest_name, media_type, len(content))

    def path_of(self, digest: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise NotFound(f"no document {digest}", field="digest", rule="stored_document")  # never a path outside
        return self.directory / self.profile.digest_name / digest[:2] / digest
