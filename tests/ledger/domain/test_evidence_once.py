"""Two evidence uploads for one commitment at the same instant: one is kept, the other is refused as
awaiting review (on PostgreSQL, where two uploads run truly at once). The chain's side is stubbed: what
is tested is the check and the write (tests/portal/test_evidence_pages.py runs the whole path)."""

import threading
import time

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from ledger.core.crypto_profile import current_profile
from ledger.core.settings import Settings
from ledger.db.evidence_model import EvidenceSubmission
from ledger.domain import commitments, evidence, projects
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import InvalidState
from ledger.domain.schemas.common import CommandAccepted
from tests.support.samples import commitment, project

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_uploads_at_the_same_instant_keep_one_awaiting_review(engine, tmp_path, monkeypatch):
    with Session(engine) as s:
        projects.register_project(s, project=project(1), client="approval")
        commitments.record_commitments(s, commitments=[commitment(1, "C-1")], client="approval")
        s.commit()
    store = DocumentStore(tmp_path, max_bytes=1 << 20, profile=current_profile(Settings()))
    monkeypatch.setattr(evidence, "enterprise_commitment", lambda session, **_: None)
    inside, go = threading.Event(), threading.Event()
    decided = []

    def decide(session, **_):  # the first upload holds here, past its check, until the test lets it go
        decided.append(True)
        if len(decided) == 1:
            inside.set()
            assert go.wait(30)
        return CommandAccepted(command_id=f"cmd-{len(decided)}", kind="submit_evidence", reference="C-1")

    monkeypatch.setattr(evidence, "decide_commitment", decide)
    outcomes: list[str] = []

    def upload(content: bytes) -> None:
        with Session(engine) as s:
            try:
                evidence.submit_evidence(
                    s, store=store, uscc="U", username="u", commitment_number="C-1", content=content, file_name="a.pdf"
                )
                s.commit()
                outcomes.append("kept")
            except InvalidState as exc:
                outcomes.append(exc.rule)

    first = threading.Thread(target=upload, args=(PDF,))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=upload, args=(PDF + b"%2\n",))
    second.start()
    deadline = time.monotonic() + 30  # until the second waits for the first's lock (or, the defect, got past it)
    with Session(engine) as s:
        while second.is_alive() and len(decided) < 2 and time.monotonic() < deadline:
            waiting = s.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
            s.rollback()
            if waiting:
                break
            time.sleep(0.01)
    go.set()
    first.join(30)
    second.join(30)
    assert sorted(outcomes) == ["awaiting_review", "kept"]
    with Session(engine) as s:
        assert len(s.execute(select(EvidenceSubmission)).scalars().all()) == 1
