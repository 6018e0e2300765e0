"""`python -m devtools sim` against the whole system: 20+ projects across districts, payments (duplicates and
out of order among them) each recorded exactly once on chain, acceptances with surveyed-area
differences, one breach, and its checkout page paying a levy."""

import json
import os
import re
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import func, select, text

from devtools.bench.stack import OFFICE_PASSWORD, OFFICE_USER, Stack
from ledger.db.read_model import Commitment, Payment
from ledger.db.write_model import OutboxCommand, PaymentConfirmation
from devtools.dev_node import free_port
from ledger.core.identifiers import reference_key
from devtools import REPO_ROOT

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


@pytest.fixture(scope="module")
def stack(tmp_path_factory, node_kind):
    # The breach waits for the overdue sweep: every 2 s here, not every minute.
    with Stack(
        tmp_path_factory.mktemp("stack"), node_kind=node_kind, extra_env={"LEDGER_OVERDUE_SWEEP_SECONDS": "2"}
    ) as running:
        yield running


def test_the_simulators_seed_a_living_system_through_the_signed_api(stack):
    env = {**os.environ, "LEDGER_SIM_OFFICE_PASSWORD": OFFICE_PASSWORD}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtools",
            "sim",
            "--api-url",
            stack.api_url,
            "--tax-key",
            str(stack.work_dir / "tax-bureau.key"),
            "--approval-key",
            str(stack.work_dir / "approval-bureau.key"),
            "--office-user",
            OFFICE_USER,
            "--steady-seconds",
            "0",
            "--checkout-port",
            "0",
            "--rpc-url",
            stack.node.url,
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["projects"] >= 20 and summary["payments"] >= 15 and len(summary["breached"]) == 1
    log = run.stderr
    assert (
        "(replayed)" in log
        and "with its key → 409" not in log
        and "under a new key → 409 voucher_number" in log
        and "out of order" in log
    )
    with stack.engine.connect() as conn:
        districts = conn.execute(text("SELECT count(DISTINCT district) FROM projects")).scalar_one()
        adjustments = conn.execute(text("SELECT count(*) FROM adjustment_requests")).scalar_one()
        confirmations = conn.execute(select(func.count()).select_from(PaymentConfirmation)).scalar_one()
        failed = conn.execute(
            select(func.count()).select_from(OutboxCommand).where(OutboxCommand.status == "failed")
        ).scalar_one()
    assert districts >= 10 and adjustments >= 2 and failed == 0
    # the breach went through overdue, on chain (the registry allows it only from Overdue)
    with stack.engine.connect() as conn:
        breached = conn.execute(
            select(Commitment.status).where(Commitment.commitment == "0x" + reference_key(summary["breached"][0]).hex())
        ).scalar_one()
        overdue_marked = conn.execute(
            select(func.count())
            .select_from(OutboxCommand)
            .where(OutboxCommand.kind == "mark_overdue", OutboxCommand.reference == summary["breached"][0])
        ).scalar_one()
    assert breached == "breached" and overdue_marked == 1
    # every accepted confirmation reaches the chain exactly once
    deadline = time.monotonic() + 120
    while True:
        with stack.engine.connect() as conn:
            on_chain = conn.execute(select(func.count()).select_from(Payment)).scalar_one()
        if on_chain == confirmations or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert on_chain == confirmations


def test_a_payer_pays_a_levy_on_the_checkout_page(stack):
    import random
    import threading

    from devtools.sim.checkout import Checkout
    from devtools.sim.systems import ApprovalSystem, Clock, OfficeDesk, TaxSystem
    from devtools.sim.world import World

    # Half an hour away from the scenario's tag (the minute, mod 100) on the same stack: no project code in common.
    world = World(seed=7, run_tag=(int(time.time()) // 60 + 50) % 100)
    project = world.new_project()
    ApprovalSystem(stack.client("approval-bureau"), world).register(project)
    office = OfficeDesk(stack.api_url, OFFICE_USER, OFFICE_PASSWORD)
    office.wait_for(office.assess(project)["command_id"])
    tax = TaxSystem(stack.client("tax-bureau"), random.Random(1), Clock(stack.node.url))
    checkout = Checkout(tax, threading.Lock(), port=free_port(), portal_url=stack.api_url).start()
    try:
        tax.sync_levies()
        levy = next(lv for lv in tax.levies.values() if lv["project_code"] == project.code)
        page = requests.get(f"{checkout.url}/checkout/{levy['levy_number']}", timeout=30)
        assert page.status_code == 200 and project.code in page.text and "支付" in page.text
        paid = requests.post(
            f"{checkout.url}/checkout/{levy['levy_number']}", data={"amount_fen": str(levy["amount_fen"])}, timeout=30
        )
        assert paid.status_code == 200 and "支付成功" in paid.text and "accepted" not in paid.text
        back = re.search(r"href='([^']*/receipts/[^']+)'", paid.text).group(1)  # back to the portal with the reference
        assert back.startswith(stack.api_url) and f"/workspace/projects/{project.code}" in paid.text
    finally:
        checkout.stop()
    with stack.engine.connect() as conn:
        paid_fen, command_id = conn.execute(
            select(func.sum(PaymentConfirmation.amount_fen), func.max(PaymentConfirmation.command_id)).where(
                PaymentConfirmation.levy_number == levy["levy_number"]
            )
        ).one()
    assert paid_fen == levy["amount_fen"]
    # and the payment is on chain: stamped with the chain's clock, after the assessment's block
    assert stack.client("tax-bureau").wait_for(command_id, "indexed", timeout=120)["error"] is None
