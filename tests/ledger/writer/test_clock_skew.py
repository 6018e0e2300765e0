"""A node whose clock runs 10 minutes ahead of or behind the wall clock: whatever the services accept
(the API's 202) the chain records; what the chain would refuse for its time is refused first, naming
the rule. Payments against the levy's issue time, refunds beyond what was paid, fact times near the
chain's clock + CLOCK_SKEW."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from ledger.db.read_model import Payment, Refund
from ledger.db.write_model import Levy
from devtools.dev_node import LocalNode
from ledger.domain import chain_time, commitments, payments
from ledger.domain.chain_time import ChainClock
from ledger.domain.errors import ValidationFailed
from ledger.domain.schemas.approval import AcceptanceReport
from ledger.domain.schemas.office import CommitmentDecision
from ledger.domain.schemas.tax import RefundCreate
from ledger.core.identifiers import reason_code
from ledger.writer.writer import ChainHolds
from tests.conftest import deploy_chain
from tests.ledger.writer.test_writer import confirm, setup_projects
from tests.support.samples import commitment, payment, project_code, sha

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

SKEW = 600


@pytest.fixture(scope="module", params=[SKEW, -SKEW], ids=["node-ahead", "node-behind"])
def module_chain(request, node_kind):
    """A node of its own whose clock is `param` seconds off the wall clock, before anything is deployed."""
    skew = request.param
    env = {}
    if node_kind == "hardhat" and skew < 0:  # Hardhat's clock cannot go back: start it behind
        env["LEDGER_HARDHAT_INITIAL_DATE"] = datetime.fromtimestamp(time.time() + skew, timezone.utc).isoformat()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        node = LocalNode(kind=node_kind).start()
    try:
        chain = deploy_chain_with_skew(node, skew)
        yield chain
    finally:
        node.stop()


def deploy_chain_with_skew(node: LocalNode, skew: int):
    import requests

    def rpc(method, params):
        return requests.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()

    if node.kind == "anvil":
        rpc("evm_setTime", [int(time.time()) + skew])
    elif skew > 0:
        rpc("evm_increaseTime", [skew])
    rpc("evm_mine", [])
    return deploy_chain(node)


@pytest.fixture
def real_chain_clock(monkeypatch, module_chain):
    """The services read this node's clock, as the API does LEDGER_RPC_URL's."""
    clock = ChainClock(module_chain.node.url)
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    return clock


def skew_of(chain) -> float:
    return chain.now() - time.time()


def test_the_node_runs_off_the_wall_clock_as_set(module_chain, request):
    wanted = request.node.callspec.params["module_chain"]
    assert abs(skew_of(module_chain) - wanted) < 60


def test_no_accepted_payment_or_refund_is_refused_by_a_skewed_chain_and_the_rest_is_refused_first(
    module_chain, write_path, real_chain_clock
):
    chain = module_chain
    due = setup_projects(write_path, 1)[1]  # assessed and mined: the levy's issue time is on chain
    with write_path.session() as s:
        issued = int(s.execute(select(Levy.created_at).where(Levy.project_code == project_code(1))).scalar_one())
    wall_now = datetime.now(timezone.utc).replace(microsecond=0)
    chain_now = real_chain_clock.now()
    at = lambda seconds: datetime.fromtimestamp(seconds, timezone.utc)  # noqa: E731
    accepted = [
        payment(1, "V-ISSUE", 100, paid_at=at(issued + 2)),  # two seconds after the notice (issue 14's case)
        payment(1, "V-WALL", 100, paid_at=wall_now),  # the tax system's own clock
        payment(1, "V-EDGE", 100, paid_at=at(chain_now + 899)),  # just within the chain's skew
    ]
    ids = confirm(write_path, accepted)
    assert len(ids) == 3
    # A minute beyond the skew, read afresh: a busy machine may take seconds between here and the check.
    refused = {"V-BEFORE": at(issued - 1), "V-AHEAD": at(real_chain_clock.now() + 960)}
    for voucher, paid_at in refused.items():
        with write_path.session() as s, pytest.raises(ValidationFailed) as refusal:
            payments.confirm_payment(s, confirmation=payment(1, voucher, 100, paid_at=paid_at), client="tax")
        assert refusal.value.field == "paid_at", voucher
    if skew_of(chain) < 0:  # behind: the wall clock + 5 minutes is past the chain's time + 15 minutes
        with write_path.session() as s, pytest.raises(ValidationFailed) as refusal:
            payments.confirm_payment(
                s, confirmation=payment(1, "V-LATER", 100, paid_at=wall_now + timedelta(minutes=6)), client="tax"
            )
        assert refusal.value.rule == "not_after_chain_time"
    levy = f"{project_code(1)}-A1"
    chain.senders["DEFAULT_ADMIN_ROLE"].send(chain.fee.functions.setRefundReasonAllowed(reason_code("ANNULLED"), True))
    with write_path.session() as s:  # beyond what was paid: recorded and flagged by the chain (v3)
        payments.record_refund(
            s,
            refund=RefundCreate(
                refund_reference="RF-OVER", levy_number=levy, amount_fen=due + 1_000, refunded_at=wall_now
            ),
            client="tax",
        )
        # Beyond the refund owed under a reason code governance allowed (issue 14's repro): recorded, not flagged.
        payments.record_refund(
            s,
            refund=RefundCreate(
                refund_reference="RF-ANNUL",
                levy_number=levy,
                amount_fen=500,
                refunded_at=wall_now,
                reason_code="ANNULLED",
            ),
            client="tax",
        )
        with pytest.raises(ValidationFailed) as refusal:
            payments.record_refund(
                s,
                refund=RefundCreate(
                    refund_reference="RF-AHEAD",
                    levy_number=levy,
                    amount_fen=1,
                    refunded_at=at(real_chain_clock.now() + 960),
                ),
                client="tax",
            )
        assert (refusal.value.field, refusal.value.rule) == ("refunded_at", "not_after_chain_time")
        s.commit()

    write_path.drain()
    assert write_path.statuses() == {"mined": 6}  # assessment, three payments, two refunds: none failed
    write_path.indexer().catch_up()
    with write_path.session() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 3
        assert sorted(s.execute(select(Refund.amount_fen)).scalars().all()) == [500, due + 1_000]


def test_commitments_recorded_decided_and_accepted_at_once_are_recorded_by_a_skewed_chain(
    module_chain, write_path, real_chain_clock
):
    """Fulfilments and acceptance within minutes of recording, their times omitted (the chain's now, never
    before the signing) or given at the edge of the skew; signing times omitted (the chain's clock)."""
    setup_projects(write_path, 2)
    at = lambda seconds: datetime.fromtimestamp(seconds, timezone.utc)  # noqa: E731
    edge = real_chain_clock.now() + 890
    with write_path.session() as s:
        commitments.record_commitments(
            s,
            client="approval",
            commitments=[
                commitment(1, "C-OMITTED", kind="materials"),
                commitment(1, "C-EDGE", kind="materials").model_copy(update={"signed_at": at(edge)}),
                commitment(1, "C-WALL", kind="materials").model_copy(
                    update={"signed_at": datetime.now(timezone.utc).replace(microsecond=0)}
                ),
                commitment(2, "C-BUILD"),
            ],
        )  # fulfilled by the joint acceptance
        s.commit()
    write_path.drain()
    mirror = write_path.indexer()  # one indexer (it holds the chain's lease) for the test
    mirror.catch_up()
    with write_path.session() as s:  # at once, well within the 10 minutes of skew
        commitments.decide_commitment(
            s,
            commitment_number="C-OMITTED",
            actor="office",
            decision=CommitmentDecision(action="fulfil", document_sha256=sha("f1")),
        )
        commitments.decide_commitment(
            s,
            commitment_number="C-EDGE",
            actor="office",
            decision=CommitmentDecision(action="fulfil", document_sha256=sha("f2")),
        )
        commitments.decide_commitment(
            s,
            commitment_number="C-WALL",
            actor="office",
            decision=CommitmentDecision(
                action="submit_evidence", document_sha256=sha("e3"), decided_at=at(real_chain_clock.latest_allowed())
            ),
        )
        commitments.report_acceptance(
            s,
            client="approval",
            report=AcceptanceReport(
                project_code=project_code(2), passed=True, surveyed_shelter_area=40_000, report_sha256=sha("acc")
            ),
        )
        with pytest.raises(ValidationFailed) as refused:  # before its signing: refused first, naming the rule
            commitments.decide_commitment(
                s,
                commitment_number="C-EDGE",
                actor="office",
                decision=CommitmentDecision(
                    action="submit_evidence", document_sha256=sha("e2"), decided_at=at(edge - 1)
                ),
            )
        assert (refused.value.field, refused.value.rule) == ("decided_at", "not_before_signing")
        s.commit()
    write_path.drain()
    sent = write_path.statuses()  # 2 assessments, 4 records, 2 fulfils, evidence, acceptance: none failed
    assert set(sent) <= {"mined", "indexed"} and sum(sent.values()) == 10, sent
    mirror.catch_up()
    mirror.release()
    from ledger.db.read_model import Commitment as CommitmentView

    with write_path.session() as s:
        statuses = dict(s.execute(select(CommitmentView.status, func.count()).group_by(CommitmentView.status)).all())
    assert statuses == {"fulfilled": 3, "recorded": 1}


def test_a_payment_the_chain_refused_is_corrected_and_one_held_by_a_pause_lands_once(
    module_chain, write_path, real_chain_clock, monkeypatch
):
    from ledger.domain.commands import command_status
    from ledger.domain.errors import Conflict

    chain = module_chain
    due = setup_projects(write_path, 1)[1]
    # A bad time the chain refuses: the write path read a clock far ahead of the node's (e.g. a stale
    # reading of another node), so its bound let a payment an hour ahead through.
    wrong_clock = ChainClock(chain.node.url)
    monkeypatch.setattr(wrong_clock, "now", lambda: real_chain_clock.now() + 3600)
    monkeypatch.setattr(chain_time, "chain_clock", lambda: wrong_clock)
    far = datetime.fromtimestamp(real_chain_clock.now() + 3000, timezone.utc)
    (refused,) = confirm(write_path, [payment(1, "V-FIX", due // 2, paid_at=far)])
    monkeypatch.setattr(chain_time, "chain_clock", lambda: real_chain_clock)
    write_path.drain()
    with write_path.session() as s:
        status = command_status(s, command_id=refused)
        assert (status.status, status.error.name) == ("failed", "FeeLedgerInvalidTime")
    corrected_at = datetime.now(timezone.utc).replace(microsecond=0)
    (corrected,) = confirm(write_path, [payment(1, "V-FIX", due // 2, paid_at=corrected_at)])  # same voucher
    with write_path.session() as s, pytest.raises(Conflict):  # now on its way: already recorded
        payments.confirm_payment(s, confirmation=payment(1, "V-FIX", due // 2, paid_at=corrected_at), client="tax")

    # Paused: the payment waits (not failed), its voucher stays taken, and it lands after the pause.
    chain.senders["PAUSER_ROLE"].send(chain.fee.functions.pause())
    (held,) = confirm(write_path, [payment(1, "V-PAUSE", due - due // 2, paid_at=corrected_at)])
    writer = write_path.writer()
    holds = []
    for _ in range(3):
        try:
            writer.run_once()
        except ChainHolds as refusal:  # the paused contract's refusal: the writer holds its commands
            holds.append(refusal)
    assert holds and all("EnforcedPause" in str(refusal) for refusal in holds)
    with write_path.session() as s:
        assert command_status(s, command_id=held).status in ("accepted", "submitted")
        with pytest.raises(Conflict):
            payments.confirm_payment(s, confirmation=payment(1, "V-PAUSE", 1, paid_at=corrected_at), client="tax")
    chain.senders["PAUSER_ROLE"].send(chain.fee.functions.unpause())
    write_path.drain()
    write_path.indexer().catch_up()
    with write_path.session() as s:
        assert [command_status(s, command_id=i).status for i in (refused, corrected, held)] == [
            "failed",
            "mined",
            "mined",
        ]
        recorded = s.execute(select(Payment.paid_at)).scalars().all()
    assert sorted(recorded) == [int(corrected_at.timestamp())] * 2  # each voucher once, the corrected time
