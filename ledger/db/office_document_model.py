"""The office's supporting documents (依据文件) uploaded from its pages: the file behind a relief, an
adjustment or a decision on a commitment. The bytes are in the document store under their digest
(ledger.domain.documents), which is what goes on chain; this row says who uploaded the file, under what
name, and whose matter it supports: that enterprise may download it, besides office staff and the
regulator. Times are unix seconds."""

from sqlmodel import Field, SQLModel


class OfficeDocument(SQLModel, table=True):
    __tablename__ = "office_documents"
    id: str = Field(primary_key=True)
    digest: str = Field(max_length=64, index=True)  # hex, of the profile's digest algorithm
    digest_algorithm: str = Field(max_length=8)  # sha256 | sm3
    media_type: str = Field(max_length=40)  # detected from the content
    size: int
    file_name: str = Field(max_length=200)  # as the clerk named it: shown, never trusted
    purpose: str = Field(max_length=16)  # adjustment (a relief, 补缴 or 核减) | decision (on a commitment)
    project_code: str = Field(index=True)
    commitment_number: str | None = None  # a decision's commitment
    enterprise_uscc: str = Field(max_length=18, index=True)  # whose matter: the builder, or the commitment's enterprise
    uploaded_by: str = Field(max_length=64)
    uploaded_at: float
