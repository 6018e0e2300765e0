"""The Sender names a failed transaction's custom error on any node, whatever gas was given.

Hardhat reports a revert as an error on submission carrying the revert data (−32603, an
object); anvil answers estimation with code 3 and a hex string, and a transaction sent with
explicit gas only as a status-0 receipt, which the Sender re-runs at its block."""

import pytest
from eth_utils import keccak

from ledger.chain.node import Sender
from ledger.core.errors import ContractRevert, GasTooHigh
from tests.contracts.helpers import BASIS, DISTRICT, PAYER, VERSION, assess, project, reverts
from tests.support.chain import block_gas_limit

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

ASSESSOR_ROLE = keccak(text="ASSESSOR_ROLE")


@pytest.mark.parametrize("gas", [None, 5_000_000], ids=["estimated", "explicit-gas"])
def test_a_failed_transaction_names_the_custom_error_and_its_arguments(chain, gas):
    outsider = chain.senders["OUTSIDER"]
    due = chain.now() + 30 * 86_400
    call = chain.fee.functions.assess(project(), PAYER, DISTRICT, 10_000, VERSION, chain.now(), due, BASIS)

    with reverts("AccessControlUnauthorizedAccount") as excinfo:
        outsider.send(call, gas=gas)
    assert excinfo.value.args_ == (outsider.account.address.lower(), ASSESSOR_ROLE)


@pytest.mark.parametrize("gas", [None, 5_000_000], ids=["estimated", "explicit-gas"])
def test_the_sender_goes_on_after_a_failed_transaction(chain, gas):
    p = project()
    assess(chain, p)
    tax = chain.senders["TAX_ROLE"]
    zero = chain.fee.functions.recordPayment(p, keccak(text="V-0"), 0, chain.now())
    with pytest.raises(ContractRevert) as excinfo:
        tax.send(zero, gas=gas)
    assert excinfo.value.name == "FeeLedgerZeroAmount"

    receipt = tax.send(chain.fee.functions.recordPayment(p, keccak(text="V-1"), 100, chain.now()), gas=gas)
    assert receipt["status"] == 1
    # With explicit gas both nodes mine the failed transaction (Hardhat then reports the error,
    # anvil only the status-0 receipt): it used a nonce. Estimation stops it before sending.
    assert chain.w3.eth.get_transaction_count(tax.account.address) == (1 if gas is None else 2)


def test_a_transaction_out_of_gas_is_reported_as_failed_not_as_a_custom_error(chain):
    p = project()
    assess(chain, p)
    call = chain.fee.functions.recordPayment(p, keccak(text="V-1"), 100, chain.now())
    with pytest.raises(ContractRevert) as excinfo:
        chain.senders["TAX_ROLE"].send(call, gas=30_000)
    # Hardhat refuses it on submission; anvil mines it with status 0 and the replay runs out of gas too
    assert excinfo.value.name == {"hardhat": "Rejected", "anvil": "TransactionFailed"}[chain.node.kind]


def test_the_gas_cap_is_95_percent_of_the_latest_blocks_gas_limit(chain):
    with block_gas_limit(chain, 3_000_000):
        assert Sender(chain.w3, chain.signers["TAX_ROLE"]).gas_cap == 2_850_000


def test_gas_above_the_cap_is_refused_before_signing_and_the_sender_goes_on(chain):
    p = project()
    assess(chain, p)
    with block_gas_limit(chain, 3_000_000):
        tax = Sender(chain.w3, chain.signers["TAX_ROLE"])
        nonce = chain.w3.eth.get_transaction_count(tax.account.address)
        payment = chain.fee.functions.recordPayment(p, keccak(text="V-1"), 100, chain.now())
        with pytest.raises(GasTooHigh, match="gas 2850001 exceeds 2850000, 95% of the block gas limit"):
            tax.send(payment, gas=2_850_001)
        assert chain.w3.eth.get_transaction_count(tax.account.address) == nonce  # nothing was sent

        assert tax.send(payment, gas=2_850_000)["status"] == 1
        assert tax.send(chain.fee.functions.recordPayment(p, keccak(text="V-2"), 100, chain.now()))["status"] == 1
