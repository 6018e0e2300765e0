"""The office's supporting documents (ledger.domain.office_documents) without a node, on SQLite and
PostgreSQL: a kept file is stored once by its digest and recorded for the enterprise whose matter it
supports (the builder for an adjustment, the commitment's enterprise for a decision), which alone of the
enterprises may read it; the pages find it by the digest the chain holds and by the write's command. The
whole path through the office's forms is tests/portal/test_office_pages.py."""

import hashlib
import time

import pytest
from sqlalchemy.orm import Session

from ledger.core.crypto_profile import PROFILES
from ledger.db.write_model import AdjustmentRequest, CommitmentDocument
from ledger.domain import commitments, office_documents, projects
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import NotFound
from tests.support.documents import pdf, png
from tests.support.samples import commitment, make_uscc, project, project_code


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents", max_bytes=4096, profile=PROFILES["standard"])


@pytest.fixture
def registered(session: Session) -> Session:
    """Project 1 (builder 1) and project 2 (builder 3) whose commitment C-2 is enterprise 2's."""
    projects.register_project(session, project=project(1), client="approval")
    projects.register_project(session, project=project(2, builder=3), client="approval")
    commitments.record_commitments(session, commitments=[commitment(2, "C-2")], client="approval")
    session.commit()
    return session


def test_an_adjustments_document_is_stored_once_and_readable_by_the_builder_the_office_and_the_regulator(
    registered, store
):
    kept = office_documents.keep(
        registered,
        store=store,
        content=pdf(1),
        file_name="C:\\scans\\联合测绘报告.pdf",
        uploaded_by="office-clerk",
        project_code=project_code(1),
    )
    again = office_documents.keep(
        registered, store=store, content=pdf(1), file_name="", uploaded_by="office-clerk", project_code=project_code(1)
    )
    registered.commit()
    digest = hashlib.sha256(pdf(1)).hexdigest()
    assert (kept.digest, kept.purpose, kept.enterprise_uscc, kept.file_name) == (
        digest,
        "adjustment",
        make_uscc(1),
        "联合测绘报告.pdf",  # the last part of the name only
    )
    assert again.file_name == "（未命名）"
    assert [p.name for p in store.directory.rglob("*") if p.is_file()] == [digest]  # the same bytes, kept once
    assert store.read(digest)[0] == pdf(1)
    may = office_documents.may_read_document
    assert may(registered, digest=digest, role="enterprise", uscc=make_uscc(1))
    assert may(registered, digest=digest, role="office", uscc=None)
    assert may(registered, digest=digest, role="regulator", uscc=None)
    assert not may(registered, digest=digest, role="enterprise", uscc=make_uscc(2))
    assert not may(registered, digest=digest, role="tax", uscc=None)
    assert not may(registered, digest="0" * 64, role="office", uscc=None)


def test_a_decisions_document_belongs_to_the_commitments_enterprise_not_the_projects_builder(registered, store):
    kept = office_documents.keep(
        registered, store=store, content=png(2), file_name="延期批复.png", uploaded_by="o", commitment_number="C-2"
    )
    assert (kept.purpose, kept.project_code, kept.commitment_number) == ("decision", project_code(2), "C-2")
    may = office_documents.may_read_document
    assert may(registered, digest=kept.digest, role="enterprise", uscc=make_uscc(2))
    assert not may(registered, digest=kept.digest, role="enterprise", uscc=make_uscc(3))


def test_a_document_for_a_project_or_commitment_the_ledger_does_not_know_is_not_kept(registered, store):
    with pytest.raises(NotFound):
        office_documents.keep(
            registered, store=store, content=pdf(3), file_name="a.pdf", uploaded_by="o", project_code=project_code(9)
        )
    with pytest.raises(NotFound):
        office_documents.keep(
            registered, store=store, content=pdf(3), file_name="a.pdf", uploaded_by="o", commitment_number="C-9"
        )
    assert not store.directory.exists()


def test_the_pages_find_a_document_by_the_chains_digest_and_by_its_writes_command(registered, store):
    kept = office_documents.keep(
        registered, store=store, content=pdf(4), file_name="a.pdf", uploaded_by="o", project_code=project_code(1)
    )
    registered.add_all(
        [
            AdjustmentRequest(
                id="a1",
                project_code=project_code(1),
                reason_code="SURVEY_REDUCTION",
                kind="adjustment",
                delta_fen=-100,
                document_sha256=kept.digest,
                actor="o",
                command_id="cmd-adjust",
                created_at=time.time(),
            ),
            CommitmentDocument(
                id="d1",
                commitment_number="C-2",
                action="breach",
                document_sha256="ab" * 32,  # typed through the API: no file was uploaded
                actor="o",
                command_id="cmd-breach",
                created_at=time.time(),
            ),
        ]
    )
    registered.commit()
    found = office_documents.by_digest(registered, ["0x" + kept.digest.upper(), None, "0x" + "ab" * 32])
    assert list(found) == [kept.digest]
    assert office_documents.by_digest(registered, [kept.digest], uscc=make_uscc(2)) == {}  # not enterprise 2's
    assert office_documents.of_command(registered, command_id="cmd-adjust").id == kept.id
    assert office_documents.of_command(registered, command_id="cmd-breach") is None
    assert office_documents.of_command(registered, command_id="no-such-command") is None
