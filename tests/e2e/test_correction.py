"""After `failed`, the same voucher is sent again corrected and is recorded exactly once; at every
step the 409, the command's status, the levy and the public receipt agree (README "After `failed`")."""

import time
import uuid

import pytest
import requests

from ledger.chain import Sender, connect, contract_at, signers_from_mnemonic
from ledger.client import ApiError
from ledger.settings import DEV_MNEMONIC
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
    admin = Sender(w3, signers["DEFAULT_ADMIN_ROLE"])
    tax_role = fee.functions.TAX_ROLE().call()
    voucher = f"FIX-{uuid.uuid4().hex[:12].upper()}"
    payment = {"levy_number": levy["levy_number"], "voucher_number": voucher, "amount_fen": levy["amount_fen"],
               "paid_at": stack.chain_time().isoformat(), "payer_uscc": USCC_A}

    def receipt_status() -> int:
        return requests.get(f"{stack.api_url}/v1/public/receipts/{voucher}", timeout=10).status_code

    def levy_confirmed() -> int:
        return next(item for item, _ in tax.levies() if item["levy_number"] == levy["levy_number"])["confirmed_fen"]

    # The chain refuses the command (an operator revoked the tax role meanwhile): `failed`.
    admin.send(fee.functions.revokeRole(tax_role, signers["TAX_ROLE"].address))
    first = tax.post("/v1/tax/payments", payment, idempotency_key=f"pay-{voucher}")
    failed = wait_failed(tax, first["command_id"])
    assert failed["error"]["name"] == "AccessControlUnauthorizedAccount"
    assert receipt_status() == 404 and levy_confirmed() == 0  # nothing recorded, and everyone says so
    admin.send(fee.functions.grantRole(tax_role, signers["TAX_ROLE"].address))

    # The same voucher again, corrected, under a new Idempotency-Key: accepted once.
    corrected = tax.post("/v1/tax/payments", payment, idempotency_key=f"pay-{voucher}-2")
    assert corrected["command_id"] != first["command_id"] and corrected["reference"] == voucher
    assert levy_confirmed() == levy["amount_fen"]
    with pytest.raises(ApiError) as taken:  # on its way: already recorded
        tax.post("/v1/tax/payments", payment, idempotency_key=f"pay-{voucher}-3")
    assert (taken.value.status, taken.value.problem["field"]) == (409, "voucher_number")
    tax.wait_for(corrected["command_id"], "indexed", timeout=120)
    assert receipt_status() == 200 and payments_on_chain(stack, voucher) == 1
    assert tax.command(first["command_id"])["status"] == "failed"  # the failed attempt stays readable
