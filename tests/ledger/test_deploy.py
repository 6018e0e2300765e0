from ledger.chain import connect, signers_from_mnemonic
from ledger.deploy import deploy, is_live
from ledger.roles import ROLE_CONTRACTS
from ledger.settings import DEV_MNEMONIC


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
