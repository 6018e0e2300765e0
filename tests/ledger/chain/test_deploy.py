import pytest

from ledger.chain.node import Sender, account_at, connect, contract_at, signers_from_mnemonic
from ledger.chain.deploy import DeployOptions, deploy, is_live
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from ledger.core.roles import ROLE_CONTRACTS
from ledger.core.settings import DEV_MNEMONIC

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def test_deploying_again_to_the_same_chain_reuses_the_live_contracts(deployed_chain):
    w3 = connect(deployed_chain.node.url)
    manifest, deployed_now = deploy(w3, signers_from_mnemonic(DEV_MNEMONIC), existing=deployed_chain.manifest)
    assert deployed_now is False
    assert manifest == deployed_chain.manifest


def test_the_manifest_names_the_chain_and_every_role_holder(deployed_chain):
    manifest = deployed_chain.manifest
    assert manifest.chain_id == 31337
    assert manifest.genesis_hash == deployed_chain.w3.eth.get_block(0)["hash"].to_0x_hex()
    assert is_live(deployed_chain.w3, manifest)
    for role, contracts in ROLE_CONTRACTS.items():
        for name in contracts:
            assert manifest.roles[name][role] == [deployed_chain.signers[role].address]


def test_a_manifest_from_another_chain_is_not_live(deployed_chain):
    other = deployed_chain.manifest.model_copy(update={"genesis_hash": "0x" + "00" * 32})
    assert not is_live(deployed_chain.w3, other)


def test_the_development_deployment_publishes_the_labelled_sample_rate_table(deployed_chain):
    table = SAMPLE_RATE_TABLE
    for district, rate in table.rates.items():
        assert deployed_chain.fee.functions.rateOf(table.version, int(district)).call() == [rate, table.effective_from]
    assert deployed_chain.registry.functions.overdueGracePeriod().call() == DeployOptions().overdue_grace_period


def test_a_deployment_hands_the_admin_role_to_the_configured_account_in_two_steps(chain):
    target = account_at(DEV_MNEMONIC, 8)
    options = DeployOptions(admin=target.address, admin_delay=60, overdue_grace_period=86_400, rate_tables=())
    manifest, deployed_now = deploy(chain.w3, chain.signers, options=options)
    assert deployed_now and manifest.pending_admin == target.address
    accept_after = chain.now() + 61
    chain.rpc("evm_setNextBlockTimestamp", [accept_after])
    for deployment in manifest.contracts:
        contract = contract_at(chain.w3, deployment.name, deployment.address)
        assert contract.functions.pendingDefaultAdmin().call()[0] == target.address
        assert contract.functions.defaultAdminDelay().call() == 60
        Sender(chain.w3, target).send(contract.functions.acceptDefaultAdminTransfer(), gas=200_000)
        assert contract.functions.defaultAdmin().call() == target.address
        assert not contract.functions.hasRole(b"\0" * 32, chain.signers["DEFAULT_ADMIN_ROLE"].address).call()
    registry = contract_at(chain.w3, "CommitmentRegistry", manifest.latest("CommitmentRegistry").address)
    assert registry.functions.overdueGracePeriod().call() == 86_400


def test_the_deploy_settings_become_the_deploy_options(monkeypatch):
    from ledger.chain.deploy import deploy_options
    from ledger.core.settings import Settings

    admin = account_at(DEV_MNEMONIC, 8).address
    monkeypatch.setenv("LEDGER_ADMIN_ADDRESS", admin)
    monkeypatch.setenv("LEDGER_ADMIN_DELAY_SECONDS", "3600")
    monkeypatch.setenv("LEDGER_OVERDUE_GRACE_SECONDS", "86400")
    assert deploy_options(Settings()) == DeployOptions(admin=admin, admin_delay=3600, overdue_grace_period=86_400)
