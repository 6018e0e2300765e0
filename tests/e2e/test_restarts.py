"""Real components restarted under the whole stack: the Redis broker killed and started again, the node
stopped and started on its saved chain, and last a chain reset (a fresh node at the same URL). The stack runs
on a PostgreSQL server and a Redis of this module's own, and on anvil (the node that keeps its chain across
a restart), so stopping them touches no other test."""

import time
import uuid

import pytest
import requests
from sqlalchemy import select

from devtools.bench.stack import Stack
from devtools.dev_node import LocalNode
from devtools.postgres_server import PostgresServer
from devtools.redis_server import RedisServer
from ledger.chain.rpc import JsonRpc
from ledger.core.identifiers import reference_key
from ledger.db.read_model import Payment
from tests.api.conftest import USCC_A, project_body, project_code
from tests.e2e.test_payment_flow import assess_and_wait_until_indexed

PAYMENTS = "/v1/tax/payments"


@pytest.fixture(scope="module")
def servers():
    with PostgresServer() as postgres, RedisServer() as broker:
        yield postgres, broker


@pytest.fixture(scope="module")
def stack(servers, tmp_path_factory):
    """On anvil, the development node that keeps its chain across a restart (`--state`)."""
    postgres, broker = servers
    work_dir = tmp_path_factory.mktemp("restarts")
    with Stack(
        work_dir,
        postgres_server=postgres.url,
        redis_url=broker.url,
        node_kind="anvil",
        node_state=work_dir / "anvil-state.json",
        extra_env={
            "LEDGER_INDEX_POLL_SECONDS": "0.2",
            "LEDGER_WRITER_RETRY_MAX_SECONDS": "1",
        },
    ) as running:
        yield running


def levy_for(stack) -> dict:
    code = project_code()
    stack.client("approval-bureau").post("/v1/approval/projects", project_body(code, USCC_A))
    assess_and_wait_until_indexed(stack, code)
    return next(levy for levy, _ in stack.client("tax-bureau").levies() if levy["project_code"] == code)


def payment_for(stack, levy: dict) -> dict:
    """One fen on the levy: a levy takes any number of payments, each under its own voucher."""
    return {
        "levy_number": levy["levy_number"],
        "voucher_number": f"RST-{uuid.uuid4().hex[:12]}",
        "amount_fen": 1,
        "paid_at": stack.chain_time().isoformat(),
        "payer_uscc": USCC_A,
    }


def vouchers_on_chain(stack, vouchers: list[str]) -> dict[str, int]:
    keys = {"0x" + reference_key(v).hex(): v for v in vouchers}
    with stack.engine.connect() as conn:
        found = conn.execute(select(Payment.voucher).where(Payment.voucher.in_(keys))).scalars().all()
    return {v: sum(1 for key in found if keys[key] == v) for v in vouchers}


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def test_the_outbox_drains_once_the_redis_broker_is_back(stack, servers):
    _, broker = servers
    levy = levy_for(stack)
    client = stack.client("tax-bureau")
    broker.stop()
    accepted = []
    for payment in [payment_for(stack, levy) for _ in range(5)]:
        answer = client.request("POST", PAYMENTS, json=payment, idempotency_key=f"pay-{payment['voucher_number']}")
        assert answer.status_code == 202, answer.text  # the API does not need the broker
        accepted.append((payment["voucher_number"], answer.json()["command_id"]))
    broker.start()
    for _, command_id in accepted:
        assert client.wait_for(command_id, "indexed", timeout=60)["status"] == "indexed"
    vouchers = [voucher for voucher, _ in accepted]
    assert vouchers_on_chain(stack, vouchers) == {v: 1 for v in vouchers}


def checkpoint_on_chain(stack) -> tuple[int, str, str]:
    """The block the read model is checkpointed at, its hash on the node, and the node's genesis."""
    rpc = JsonRpc(stack.node.url)
    checkpoint = requests.get(stack.api_url + "/health", timeout=30).json()["indexer"]["head_block"]
    return checkpoint, rpc.existing_block(checkpoint)["hash"], rpc.existing_block(0)["hash"]


def test_a_restarted_node_serves_the_same_chain_and_what_was_accepted_meanwhile_lands_once(stack):
    levy = levy_for(stack)
    client = stack.client("tax-bureau")
    checkpoint, checkpoint_hash, genesis = checkpoint_on_chain(stack)
    payments = [payment_for(stack, levy) for _ in range(5)]  # paid_at by the chain's clock, read while it runs
    stack.node.stop()  # anvil saves its chain on the way down
    accepted = []
    for payment in payments:
        answer = client.request("POST", PAYMENTS, json=payment, idempotency_key=f"pay-{payment['voucher_number']}")
        assert answer.status_code == 202, answer.text  # the API does not need the node to accept
        accepted.append((payment["voucher_number"], answer.json()["command_id"]))
    health = requests.get(stack.api_url + "/health", timeout=30)
    assert health.status_code == 503 and any(p.startswith("chain:") for p in health.json()["problems"])
    stack.node.start()
    rpc = JsonRpc(stack.node.url)
    assert rpc.existing_block(0)["hash"] == genesis and rpc.existing_block(checkpoint)["hash"] == checkpoint_hash
    for _, command_id in accepted:
        assert client.wait_for(command_id, "indexed", timeout=60)["status"] == "indexed"
    vouchers = [voucher for voucher, _ in accepted]
    assert vouchers_on_chain(stack, vouchers) == {v: 1 for v in vouchers}
    assert requests.get(stack.api_url + "/health", timeout=30).status_code == 200


def test_a_chain_reset_under_the_same_url_is_caught_by_the_genesis_check_and_shown_by_health(stack):
    """Last in the module: the stack's chain is gone afterwards."""
    assert requests.get(stack.api_url + "/health", timeout=30).status_code == 200
    port, kind = stack.node.port, stack.node.kind
    stack.node.stop()
    stack.node = LocalNode(port, kind=kind, log_path=stack.work_dir / "reset-node.log").start()  # no state: new chain

    def health_problems():
        answer = requests.get(stack.api_url + "/health", timeout=30)
        return answer.status_code == 503 and answer.json()["problems"]

    problems = wait_until(health_problems, 60, "/health to report the reset")
    assert any("genesis" in problem for problem in problems), problems
