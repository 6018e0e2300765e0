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
