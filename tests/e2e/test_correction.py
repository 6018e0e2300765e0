"""After `failed`, the same voucher is sent again corrected and is recorded exactly once; at every
step the 409, the command's status, the levy and the public receipt agree (docs/integrators/commands.md, "After `failed`")."""

import time
import uuid

import pytest
import requests

from ledger.chain.node import Sender, connect, contract_at, signers_from_mnemonic
from devtools.sdk import ApiError
from ledger.core.settings import DEV_MNEMONIC
from tests.api.conftest import USCC_A
from tests.e2e.test_duplicates_on_chain import levy_for, payments_on_chain

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def wait_failed(client, command_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while (current := client.command(command_id))["status"] != "failed":
        assert current["status"] in ("accepted", "submitted") and time.monotonic() < deadline, current
        time.sleep(0.2)
    return current


def test_a_payment_refused_by_the_chain_is_corrected_under_the_same_voucher_and_recorded_once(stack):
    tax = stack.client("tax-bureau")
    levy = levy_for(stack)
    w3 = connect(stack.node.url)
    signers = signers_from_mnemonic(DEV_MNEMONIC)
    fee = contract_at(w3, "FeeLedger", stack.manifest.latest("FeeLedger").address)
    admin, pauser = Sender(w3, signers["DEFAULT_ADMIN_ROLE"]), Sender(w3, signers["PAUSER_ROLE"])
    tax_role = fee.functions.TAX_ROLE().call()
    voucher = f"FIX-{uuid.uuid4().hex[:12].upper()}"
    payment = {
        "levy_number": levy["levy_number"],
        "voucher_number": voucher,
        "amount_fen": levy["amount_fen"],
        "paid_at": stack.chain_time().isoformat(),
        "payer_uscc": USCC_A,
    }
    probes = iter(range(100))

    def agree(*, taken: bool, commands: dict[str, str | tuple], levy_status: str, confirmed: int, receipt: int):
        """At this moment the 409 (or its absence), the commands' status, the levy and the public receipt agree."""
        if taken:  # a probe under a new key: refused while the voucher is on chain or on its way
            with pytest.raises(ApiError) as refused:
                tax.post("/v1/tax/payments", payment, idempotency_key=f"probe-{voucher}-{next(probes)}")
            assert (refused.value.status, refused.value.problem["field"]) == (409, "voucher_number")
        for command_id, wanted in commands.items():
            assert tax.command(command_id)["status"] in ((wanted,) if isinstance(wanted, str) else wanted)
        current = next(item for item, _ in tax.levies() if item["levy_number"] == levy["levy_number"])
        assert (current["status"], current["confirmed_fen"]) == (levy_status, confirmed)
        answer = requests.get(f"{stack.api_url}/v1/public/receipts/{voucher}", timeout=10)
        assert answer.status_code == receipt
        if receipt == 200:
            assert (answer.json()["voucher_number"], answer.json()["amount_fen"]) == (voucher, levy["amount_fen"])

    # Failed: the chain refuses the command (an operator revoked the tax role meanwhile).
    admin.send(fee.functions.revokeRole(tax_role, signers["TAX_ROLE"].address))
    first = tax.post("/v1/tax/payments", payment, idempotency_key=f"pay-{voucher}")
    failed = wait_failed(tax, first["command_id"])
    assert failed["error"]["name"] == "AccessControlUnauthorizedAccount"
    agree(taken=False, commands={first["command_id"]: "failed"}, levy_status="open", confirmed=0, receipt=404)
    admin.send(fee.functions.grantRole(tax_role, signers["TAX_ROLE"].address))

    # Re-sent, corrected, under a new Idempotency-Key: no 409 (the voucher is free after `failed`). The
    # contract is paused meanwhile, so the correction is held in flight: taken, paid in the feed, no receipt.
    pauser.send(fee.functions.pause())
    corrected = tax.post("/v1/tax/payments", payment, idempotency_key=f"pay-{voucher}-2")
    assert corrected["command_id"] != first["command_id"] and corrected["reference"] == voucher
    agree(
        taken=True,
        commands={first["command_id"]: "failed", corrected["command_id"]: ("accepted", "submitted")},
        levy_status="paid",
        confirmed=levy["amount_fen"],
        receipt=404,
    )
    pauser.send(fee.functions.unpause())

    # Indexed: recorded exactly once; the failed attempt stays readable.
    tax.wait_for(corrected["command_id"], "indexed", timeout=120)
    agree(
        taken=True,
        commands={first["command_id"]: "failed", corrected["command_id"]: "indexed"},
        levy_status="paid",
        confirmed=levy["amount_fen"],
        receipt=200,
    )
    assert payments_on_chain(stack, voucher) == 1
