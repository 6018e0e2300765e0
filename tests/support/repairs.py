"""A credit repair the way the domain allows one (ledger.domain.repairs): the enterprise applies for its
breached commitment, the office publishes the application, the chain's clock passes the notice period."""

from pathlib import Path

from ledger.core.crypto_profile import current_profile
from ledger.core.settings import get_settings
from ledger.domain import repairs
from ledger.domain.documents import DocumentStore
from tests.support.documents import pdf

NOTICE_DAYS = 7


def repair_after_notice(path, *, number: str, uscc: str, documents: Path) -> str:
    """Apply and publish on the write path `path` (its commitment `number` breached and indexed), then move
    its chain past the notice period; returns the digest the repair decision goes on chain with."""
    store = DocumentStore(documents, max_bytes=4096, profile=current_profile(get_settings()))
    with path.session() as s:
        application = repairs.apply_for_repair(
            s,
            store=store,
            uscc=uscc,
            username="builder",
            commitment_number=number,
            statement="已按要求整改完毕。",
            files=[(pdf(1), "整改报告.pdf")],
        )
        repairs.publish(s, application_id=application.id, actor="office", notice_days=NOTICE_DAYS)
        s.commit()
    path.chain.travel(NOTICE_DAYS * 86_400 + 1)
    return application.evidence_digest


class NodeClock:
    """The services' chain clock read from a test node at every call (its latest block): after the
    chain's time is moved, the very next decision is judged by it."""

    def __init__(self, chain):
        self.chain = chain

    def now(self) -> int:
        return self.chain.now()

    def latest_allowed(self) -> int:
        from ledger.domain.chain_time import CLOCK_SKEW_SECONDS

        return self.now() + CLOCK_SKEW_SECONDS


def breach_on_chain(world, *, number: str, project: int, days: int = 2) -> None:
    """On an office world (tests/portal/office_world.py) whose services read its node's clock: record
    commitment `number` of project `project`, move the chain past its due date and the registry's grace,
    mark it overdue and breach it, each step indexed."""
    from ledger.db.write_model import CommitmentRecord
    from ledger.domain import commitments
    from ledger.domain.schemas.office import CommitmentDecision
    from tests.support.samples import commitment, sha

    chain = world.path.chain
    with world.path.session() as s:
        commitments.record_commitments(s, commitments=[commitment(project, number, days=days)], client="approval")
        s.commit()
    world.settle()
    with world.path.session() as s:
        due_at = s.get(CommitmentRecord, number).due_at
    chain.travel(due_at + 8 * 86_400 - chain.now())  # past the registry's grace period
    with world.path.session() as s:
        commitments.sweep_overdue(s, now=chain.now())
        s.commit()
    world.settle()
    with world.path.session() as s:
        breach = CommitmentDecision(action="breach", document_sha256=sha("breach"))
        commitments.decide_commitment(s, commitment_number=number, decision=breach, actor="office")
        s.commit()
    world.settle()
