"""Through HTTP, against a node whose clock runs 10 minutes ahead of or behind the wall clock: a payment
dated two seconds after the levy's issue (issue 14's case) gets a real 202 and is recorded on chain."""

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from devtools.bench.stack import Stack
from ledger.chain.node import connect
from tests.api.conftest import USCC_A, project_body, project_code
from tests.e2e.test_payment_flow import assess_and_wait_until_indexed

# Hardhat starts at a given date (LEDGER_HARDHAT_INITIAL_DATE) and keeps that offset; anvil's skew is
# covered below the API by tests/ledger/writer/test_clock_skew.py.
pytestmark = pytest.mark.only_node("hardhat")

SKEW = 600


@pytest.fixture(scope="module", params=[SKEW, -SKEW], ids=["node-ahead", "node-behind"])
def skewed_stack(request, tmp_path_factory, node_kind):
    start = datetime.fromtimestamp(time.time() + request.param, timezone.utc).isoformat()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEDGER_HARDHAT_INITIAL_DATE", start)
        running = Stack(tmp_path_factory.mktemp("skewed"), node_kind=node_kind).start()
    try:
        yield running
    finally:
        running.stop()


def test_a_payment_two_seconds_after_the_levy_s_issue_is_accepted_and_recorded_by_a_skewed_node(skewed_stack, request):
    stack = skewed_stack
    node_now = connect(stack.node.url).eth.get_block("latest")["timestamp"]
    assert abs(node_now - time.time() - request.node.callspec.params["skewed_stack"]) < 60
    code = project_code()
    stack.client("approval-bureau").post("/v1/approval/projects", project_body(code, USCC_A))
    assess_and_wait_until_indexed(stack, code)
    tax = stack.client("tax-bureau")
    levy = next(levy for levy, _ in tax.levies() if levy["project_code"] == code)
    issued = datetime.fromisoformat(levy["created_at"])
    voucher = f"SKEW-{uuid.uuid4().hex[:12].upper()}"
    accepted = tax.post(
        "/v1/tax/payments",
        {
            "levy_number": levy["levy_number"],
            "voucher_number": voucher,
            "amount_fen": levy["amount_fen"],
            "paid_at": (issued + timedelta(seconds=2)).isoformat(),
            "payer_uscc": USCC_A,
        },
        idempotency_key=f"pay-{voucher}",
    )
    assert tax.wait_for(accepted["command_id"], "indexed", timeout=120)["status"] == "indexed"
