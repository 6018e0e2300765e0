"""The office runs a random inspection (双随机、一公开) through the ledger, on a real node through the
outbox and the writer: the pool is built from the read model's fulfilled commitments, the draw is
committed and its pools published, revealed after its block, and each selected commitment's outcome
recorded with its report in the document store. What the contract would refuse is refused before
anything is queued; an outcome forced on chain for a commitment the draw did not select is not scored,
not noticed and not on the timeline, and the public draw flags it."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from ledger.core.crypto_profile import STANDARD
from ledger.db.engine import make_engine
from ledger.db.inspection_model import InspectionPool
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.webhook_model import WebhookDelivery
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain import draw_office, inspections
from ledger.domain.commitments import decide_commitment, record_commitments
from ledger.domain.common import reference_key_hex
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_records import credit_record
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import Conflict, InvalidState, ValidationFailed
from ledger.domain.fee_matter import fee_matter, read_fee_matter
from ledger.domain.notices import scan_notices
from ledger.domain.office_queue import work_queue
from ledger.domain.schemas.inspections import DrawCreate
from ledger.domain.schemas.office import CommitmentDecision
from ledger.webhooks.delivery import add_endpoint, emit_indexed_events
from ledger.webhooks.schemas import WebhookEndpointCreate
from tests.contracts.helpers import send_at
from tests.ledger.writer.test_writer import setup_projects
from tests.support.chain import chain, module_chain  # noqa: F401  (a node per module)
from tests.support.documents import pdf
from tests.support.ledger_env import WritePath
from tests.support.samples import commitment, make_uscc, project, project_code, sha

NUMBERS = [f"C-INSPECT-{n}" for n in range(5)]


@pytest.fixture(autouse=True)
def published_rates():
    """The real indexer fills this read model (the package's planted rate table, overridden)."""


@pytest.fixture
def write_path(chain, database_url, monkeypatch):  # noqa: F811
    from ledger.domain import chain_time

    clock = chain_time.ChainClock(chain.node.url)  # the services judge fact times by this node's clock
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    engine = make_engine(database_url)
    yield WritePath(chain=chain, url=database_url, engine=engine)
    engine.dispose()


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents", max_bytes=1 << 20, profile=STANDARD)


def index(path) -> None:
    path.drain()
    indexer = path.indexer()
    indexer.catch_up()
    indexer.release()
    path.writer().mark_indexed()


def queued(path) -> int:
    with path.session() as s:
        return s.execute(select(func.count()).select_from(OutboxCommand)).scalar_one()


def head(path) -> int:
    return path.chain.w3.eth.block_number


def fulfilled_commitments(path) -> None:
    """Five materials commitments of project 1, fulfilled today on chain."""
    setup_projects(path, 1)
    with path.session() as s:
        record_commitments(s, commitments=[commitment(1, n, "materials", days=30) for n in NUMBERS], client="approval")
        s.commit()
    index(path)
    with path.session() as s:
        for number in NUMBERS:
            decide_commitment(
                s,
                commitment_number=number,
                decision=CommitmentDecision(action="fulfil", document_sha256=sha(number)),
                actor="office",
            )
        s.commit()
    index(path)


def draw_request(**changes) -> DrawCreate:
    today = date.today()
    values = {
        "draw_number": "DRAW-2026-Q4-1",
        "title": "2026年第四季度 履约承诺（人防物资）",
        "period_start": date(today.year, 1, 1),
        "period_end": date(today.year, 12, 31),
        "commitment_kind": "materials",
        "district": project(1).district,
        "inspectors": ["INSPECTOR-A", "INSPECTOR-B", "INSPECTOR-C"],
        "commitments_to_pick": 3,
        "inspectors_to_pick": 2,
        "reveal_in_blocks": 20,
    }
    return DrawCreate(**(values | changes))


def test_the_office_commits_reveals_and_records_outcomes_end_to_end_and_refuses_what_the_chain_would(write_path, store):
    path = write_path
    fulfilled_commitments(path)
    with path.session() as s:
        add_endpoint(
            s,
            endpoint=WebhookEndpointCreate(
                subscriber="approval", url="http://127.0.0.1:9/notices", events=["commitment.inspected"]
            ),
        )
        other_kind = draw_office.candidate_pool(s, draw=draw_request(commitment_kind="shelter_build"))
        accepted = draw_office.commit_draw(s, draw=draw_request(), head_block=lambda: head(path), actor="office")
        s.commit()
    assert other_kind == []
    assert (accepted.pool_size, accepted.roster_size) == (5, 3)
    with path.session() as s:
        assert s.get(InspectionPool, accepted.draw).title == draw_request().title  # published with the commitment
        with pytest.raises(Conflict):
            draw_office.commit_draw(s, draw=draw_request(), head_block=lambda: head(path), actor="office")
    index(path)
    with path.session() as s:  # the pools match what the chain holds
        assert inspections.public_draw(s, draw=accepted.draw).problems == []

    before = queued(path)
    with path.session() as s, pytest.raises(InvalidState) as early:
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
    assert early.value.rule == "after_reveal_block" and queued(path) == before  # refused before queueing

    path.chain.mine(accepted.reveal_block - head(path) + 1)
    with path.session() as s:
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
        s.commit()
    with path.session() as s, pytest.raises(Conflict):  # the reveal on its way: not again
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
    index(path)
    with path.session() as s, pytest.raises(Conflict):  # revealed: not again
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")

    with path.session() as s:
        drawn = inspections.public_draw(s, draw=accepted.draw)
        numbers = {r.commitment_key: r.commitment_number for r in s.execute(select(CommitmentRecord)).scalars()}
    assert drawn.status == "revealed" and drawn.problems == [] and len(drawn.selected_commitments) == 3
    selected = [numbers[k] for k in drawn.selected_commitments]
    (unselected, *_) = [n for n in NUMBERS if n not in selected]

    before = queued(path)
    with path.session() as s, pytest.raises(InvalidState) as outside:
        draw_office.record_outcome(
            s,
            draw_number="DRAW-2026-Q4-1",
            commitment_number=unselected,
            outcome="false_commitment",
            document=pdf(1),
            store=store,
            actor="office",
        )
    assert outside.value.rule == "selected_commitment" and queued(path) == before

    with path.session() as s:
        for number, outcome, n in ((selected[0], "false_commitment", 2), (selected[1], "conforms", 3)):
            draw_office.record_outcome(
                s,
                draw_number="DRAW-2026-Q4-1",
                commitment_number=number,
                outcome=outcome,
                document=pdf(n),
                store=store,
                actor="office",
            )
        s.commit()
    with path.session() as s, pytest.raises(Conflict):  # on its way: not twice
        draw_office.record_outcome(
            s,
            draw_number="DRAW-2026-Q4-1",
            commitment_number=selected[0],
            outcome="conforms",
            document=pdf(4),
            store=store,
            actor="office",
        )
    index(path)
    with path.session() as s:
        assert {c.status for c in s.execute(select(OutboxCommand)).scalars()} == {"indexed"}
        drawn = inspections.public_draw(s, draw=accepted.draw)
        assert {(numbers[o.commitment], o.outcome) for o in drawn.outcomes} == {
            (selected[0], "false_commitment"),
            (selected[1], "conforms"),
        }
        assert store.read(drawn.outcomes[0].document_hash[2:])[0] in (pdf(2), pdf(3))
        assert [(d.status, d.outcomes_recorded) for d in draw_office.office_draws(s)] == [("revealed", 2)]
        assert [d.draw_number for d in work_queue(s).draws_open] == ["DRAW-2026-Q4-1"]  # one pick still to inspect

    # Forced on chain directly (the contract cannot check selection): flagged, not scored, not noticed.
    send_at(
        path.chain,
        "VERIFIER_ROLE",
        path.chain.draws.functions.recordOutcome(
            bytes.fromhex(accepted.draw[2:]), bytes.fromhex(reference_key_hex(unselected)[2:]), 3, b"\x01" * 32
        ),
    )
    index(path)
    with path.session() as s:
        assert scan_notices(s, now=path.chain.now(), reminder_days=[7, 1]) == 2
        s.commit()
        assert scan_notices(s, now=path.chain.now(), reminder_days=[7, 1]) == 0
        kinds = dict(s.execute(select(EnterpriseNotice.commitment_number, EnterpriseNotice.kind)).tuples().all())
        drawn = inspections.public_draw(s, draw=accepted.draw)
        record = credit_record(s, enterprise=make_uscc(1), rules=load_rule_set("sample-v3"))
        matter = fee_matter(read_fee_matter(s, project_code=project_code(1), uscc=make_uscc(1)))
    assert kinds == {selected[0]: "inspection_false_commitment", selected[1]: "inspection_conforms"}
    assert any("did not select" in p for p in drawn.problems)
    falsified = [e for e in record.events if e.kind == "false_commitment"]
    assert [numbers[e.commitment_key] for e in falsified] == [selected[0]]
    assert {(s.reference, s.status) for s in matter.steps if s.kind == "inspection"} == {
        (selected[0], "false_commitment"),
        (selected[1], "conforms"),
    }

    assert emit_indexed_events(path.engine) == 2  # each recorded outcome reaches the approval system once
    assert emit_indexed_events(path.engine) == 0
    with path.session() as s:
        assert s.execute(select(WebhookDelivery.event)).scalars().all() == ["commitment.inspected"] * 2


def commands_of(path, kind: str) -> list[OutboxCommand]:
    with path.session() as s:
        return list(s.execute(select(OutboxCommand).where(OutboxCommand.kind == kind)).scalars())


def test_a_draw_left_unrevealed_is_committed_again_after_its_window_its_expiry_on_record_first(write_path):
    """The contract lets an unrevealed draw be committed again only after its expiry is on record, with
    the same pools and picks: the office's re-commit queues exactly that, and refuses (queueing nothing)
    while the draw can still be revealed, while a step of it is on its way, and once it is revealed."""
    path = write_path
    fulfilled_commitments(path)
    number = "DRAW-2026-Q4-1"
    with path.session() as s:
        accepted = draw_office.commit_draw(s, draw=draw_request(), head_block=lambda: head(path), actor="office")
        s.commit()
    index(path)

    def recommit(**kw):
        with path.session() as s:
            answer = draw_office.recommit_draw(
                s, draw_number=number, reveal_in_blocks=kw.get("blocks", 20), head_block=lambda: head(path), actor="o"
            )
            s.commit()
            return answer

    last = accepted.reveal_block + draw_office.REVEAL_WINDOW
    path.chain.mine(last - 1 - head(path))  # the chain at last - 1: a reveal would still land in block `last`
    before = queued(path)
    with pytest.raises(InvalidState) as early:
        recommit()
    assert early.value.rule == "reveal_window_passed" and f"until block {last}" in str(early.value)
    with path.session() as s, pytest.raises(InvalidState) as in_margin:  # too late for the writer to mine it
        draw_office.reveal_draw(s, draw_number=number, head_block=lambda: head(path), actor="office")
    assert in_margin.value.rule == "reveal_window"
    assert f"until the chain is at block {last - draw_office.REVEAL_WINDOW_MARGIN}" in str(in_margin.value)
    with pytest.raises(ValidationFailed) as too_soon:
        recommit(blocks=5)
    assert (too_soon.value.field, too_soon.value.rule) == ("reveal_in_blocks", "reveal_delay")
    assert queued(path) == before

    path.chain.mine(1)  # the chain at `last`: a reveal would land after the window; the draw can expire
    with path.session() as s, pytest.raises(InvalidState) as lapsed:
        draw_office.reveal_draw(s, draw_number=number, head_block=lambda: head(path), actor="office")
    assert lapsed.value.rule == "reveal_window"
    again = recommit()
    assert (again.kind, again.reveal_block, again.pool_size, again.roster_size) == ("commit_draw", last + 20, 5, 3)
    assert [json.loads(c.args) for c in commands_of(path, "expire_draw")] == [{"draw": accepted.draw}]
    with pytest.raises(Conflict) as twice:
        recommit()
    assert twice.value.rule == "settled_draw" and queued(path) == before + 2

    index(path)
    with path.session() as s:
        drawn = inspections.public_draw(s, draw=accepted.draw)
        (listed,) = draw_office.office_draws(s)
    assert (drawn.status, drawn.attempt, drawn.expired_attempts, drawn.problems) == ("committed", 2, 1, [])
    # The writer counted 20 blocks from the head when it sent the commitment (after the expiry was mined).
    assert drawn.reveal_block >= again.reveal_block == last + 20
    assert (listed.status, listed.reveal_block) == ("committed", drawn.reveal_block)
    assert {c.status for c in commands_of(path, "expire_draw") + commands_of(path, "commit_draw")} == {"indexed"}

    # Expired by anyone else first: the re-commit queues only the commitment.
    path.chain.mine(drawn.reveal_block + draw_office.REVEAL_WINDOW - head(path))
    send_at(path.chain, "OUTSIDER", path.chain.draws.functions.expire(bytes.fromhex(accepted.draw[2:])))
    index(path)
    third = recommit(blocks=30)
    assert len(commands_of(path, "expire_draw")) == 1 and third.reveal_block == head(path) + 30
    index(path)
    path.chain.mine(third.reveal_block - head(path) + 1)
    with path.session() as s:
        draw_office.reveal_draw(s, draw_number=number, head_block=lambda: head(path), actor="office")
        s.commit()
    index(path)
    with path.session() as s:
        drawn = inspections.public_draw(s, draw=accepted.draw)
    assert (drawn.status, drawn.attempt, drawn.expired_attempts, drawn.problems) == ("revealed", 3, 2, [])
    assert len(drawn.selected_commitments or []) == 3
    with pytest.raises(Conflict) as revealed:
        recommit()
    assert revealed.value.rule == "unrevealed_draw" and {c.status for c in commands_of(path, "commit_draw")} == {
        "indexed"
    }


def test_a_draw_commitment_held_in_the_outbox_longer_than_its_reveal_delay_still_lands_indexed(write_path):
    """The 202 is kept however long the commitment waits (the writer stopped, or a pause): the writer
    counts the reveal block from the chain's head when it sends, so the chain never finds it too close."""
    path = write_path
    fulfilled_commitments(path)
    with path.session() as s:
        accepted = draw_office.commit_draw(s, draw=draw_request(), head_block=lambda: head(path), actor="office")
        s.commit()
    assert (accepted.reveal_block, accepted.reveal_in_blocks) == (head(path) + 20, 20)
    held = 20 - draw_office.MIN_REVEAL_DELAY + 30  # more than a reveal block fixed at acceptance could bear
    path.chain.mine(held)
    sent_at = head(path)
    index(path)
    (command,) = commands_of(path, "commit_draw")
    assert (command.status, command.error_name) == ("indexed", None)
    with path.session() as s:
        drawn = inspections.public_draw(s, draw=accepted.draw)
        (listed,) = draw_office.office_draws(s)
    assert drawn.reveal_block == sent_at + 20 > accepted.reveal_block  # the final one, from DrawCommitted
    assert (listed.status, listed.reveal_block, drawn.problems) == ("committed", drawn.reveal_block, [])
    with path.session() as s, pytest.raises(InvalidState) as early:  # judged by the final reveal block
        path.chain.mine(accepted.reveal_block + 1 - head(path))
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
    assert early.value.rule == "after_reveal_block" and f"after block {drawn.reveal_block}" in str(early.value)
    path.chain.mine(drawn.reveal_block + 1 - head(path))
    with path.session() as s:
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
        s.commit()
    index(path)
    with path.session() as s:
        assert inspections.public_draw(s, draw=accepted.draw).status == "revealed"


def test_a_reveal_asked_in_the_last_blocks_of_its_window_is_refused_naming_the_last_block_it_is_accepted_at(
    write_path,
):
    """The writer needs blocks to mine a reveal: once fewer than REVEAL_WINDOW_MARGIN remain before the
    reveal block's hash is out of reach, the reveal is refused (queueing nothing), not failed later."""
    path = write_path
    fulfilled_commitments(path)
    with path.session() as s:
        accepted = draw_office.commit_draw(s, draw=draw_request(), head_block=lambda: head(path), actor="office")
        s.commit()
    index(path)
    with path.session() as s:
        reveal_block = inspections.public_draw(s, draw=accepted.draw).reveal_block
    last = reveal_block + draw_office.REVEAL_WINDOW - draw_office.REVEAL_WINDOW_MARGIN
    path.chain.mine(last - head(path))
    with path.session() as s:  # at the last block: accepted (rolled back unqueued)
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
    path.chain.mine(1)
    before = queued(path)
    with path.session() as s, pytest.raises(InvalidState) as late:
        draw_office.reveal_draw(s, draw_number="DRAW-2026-Q4-1", head_block=lambda: head(path), actor="office")
    assert (late.value.field, late.value.rule) == ("draw_number", "reveal_window")
    assert f"accepted until the chain is at block {last}" in str(late.value) and queued(path) == before
