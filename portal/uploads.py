"""A file posted with a form (multipart/form-data), read the one way on every page that takes one: the
enterprise's evidence and repair application, the office's inspection report and its supporting
documents. The document store (ledger.domain.documents) decides what is accepted; here its refusals are
said in Chinese, naming the field and the rule."""

from fastapi import Request
from starlette.datastructures import UploadFile

from ledger.domain.documents import ALLOWED_TYPES, DocumentStore, StoredDocument
from ledger.domain.errors import DomainError
from portal.forms import FieldError

TYPE_LIST = "、".join(ALLOWED_TYPES.values())


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 104_858 else f"{max(size // 1024, 1)} KB"


def file_rule(rule: str | None, max_bytes: int) -> str | None:
    """The rule a file the store refused breaks, in Chinese; None for a rule that is not about the file."""
    return {
        "not_empty": "请选择要上传的文件，所选文件不能为空。",
        "max_bytes": f"文件过大，单个文件不能超过 {megabytes(max_bytes)}。",
        "allowed_type": f"只接受 {TYPE_LIST} 文件（按文件内容识别，与文件名无关）。",
    }.get(rule or "")


class FileRefused(FieldError):
    """A file the store would not keep: `status` 413 when it is too large, else 422."""

    def __init__(self, field: str, label: str, message: str, *, status: int):
        super().__init__(field, label, message)
        self.status = status


def checked_file(store: DocumentStore, content: bytes, *, field: str, label: str) -> StoredDocument:
    """What the store would keep (its digest computed from the bytes), or FileRefused: nothing is written."""
    try:
        return store.checked(content)
    except DomainError as error:
        message = file_rule(error.rule, store.max_bytes) or error.detail
        raise FileRefused(field, label, message, status=413 if error.rule == "max_bytes" else 422) from None


async def posted_upload(request: Request, store: DocumentStore, field: str) -> tuple[dict[str, str], bytes, str]:
    """A multipart form's text fields (the first value of each) and the file posted as `field`: its bytes
    and the name it was given (b"" and "" when none was chosen). Starlette spools the file to disk; at
    most one byte past the store's limit is read into memory — enough for the store to refuse it."""
    form = await request.form()
    fields = {key: value for key, value in form.multi_items()[::-1] if isinstance(value, str)}  # the first wins
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        return fields, b"", ""
    return fields, await upload.read(store.max_bytes + 1), upload.filename or ""
