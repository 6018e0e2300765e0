"""deploy/ holds together: the compose file names every part the runbook runs, the genesis is a QBFT one
with 2 s blocks whose extraData names four validators, each of them a node the permissioning lets in,
and the Besu limits the ledger relies on are the ones configured."""

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import rlp
import yaml
from eth_keys import keys
from eth_utils import is_checksum_address

from ledger.core.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VALIDATORS = ("validator1", "validator2", "validator3", "validator4")
BESU_NODES = (*VALIDATORS, "rpcnode")
OPERATOR_MADE = ("./keys/", "./secrets/")  # gitignored: each city makes its own (runbook, "Start")
# The Compose Specification's JSON schema, schema/compose-spec.json of github.com/compose-spec/compose-spec
# (Apache-2.0) at commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6.
COMPOSE_SCHEMA = Path(__file__).parent / "fixtures" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def genesis() -> dict:
    return json.loads((DEPLOY / "genesis.json").read_text())


@pytest.fixture(scope="module")
def permissions() -> dict:
    return tomllib.loads((DEPLOY / "permissions_config.toml").read_text())


def enodes(permissions: dict) -> dict[str, str]:
    """host:port -> the node's 64-byte public key (hex), from the nodes allowlist."""
    nodes = {}
    for url in permissions["nodes-allowlist"]:
        public_key, address = url.removeprefix("enode://").split("@")
        nodes[address] = public_key
    return nodes


def test_the_compose_file_is_valid_under_the_compose_specification(compose):
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    problems = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(compose)
    ]
    assert problems == []


def test_the_compose_file_runs_every_part_of_the_ledger_with_replicas_and_standbys(compose):
    services = compose["services"]
    assert set(services) >= {
        *BESU_NODES,
        "postgres",
        "postgres-replica",
        "redis",
        "api",
        "proxy",
        "worker",
        "beat",
        "indexer",
        "indexer-standby",
    }
    assert all(services[name]["image"].startswith("hyperledger/besu:") for name in BESU_NODES)
    assert "deploy" not in services["beat"]  # exactly one beat, never scaled
    for scaled in ("api", "worker"):
        default = re.fullmatch(r"\$\{[A-Z_]+:-(\d+)\}", services[scaled]["deploy"]["replicas"])  # ${API_REPLICAS:-3}
        assert default and int(default.group(1)) >= 2, f"{scaled}: several processes by default"
    ids = {services[name]["environment"]["LEDGER_INDEXER_ID"] for name in ("indexer", "indexer-standby")}
    assert len(ids) == 2  # the lease tells the active indexer from its standby by id


def test_every_file_the_compose_file_mounts_is_in_deploy_or_made_by_the_operator(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and not source.startswith(OPERATOR_MADE):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which deploy/ lacks"
    assert (DEPLOY / compose["x-ledger"]["build"]["dockerfile"].removeprefix("deploy/")).exists()


def test_the_genesis_is_qbft_with_two_second_blocks_on_a_chain_other_than_the_development_one(genesis):
    config = genesis["config"]
    assert config["qbft"]["blockperiodseconds"] == 2
    assert config["qbft"]["requesttimeoutseconds"] >= 2 * config["qbft"]["blockperiodseconds"]
    assert config["chainId"] != 31337  # the development chain (the sample rate table is published only there)
    assert config["cancunTime"] == 0  # the contracts are compiled for cancun (hardhat-local/hardhat.config.js)


def test_the_genesis_extra_data_names_four_validators_each_an_allowlisted_node(genesis, permissions, compose):
    vanity, validators, vote, round_number, seals = rlp.decode(bytes.fromhex(genesis["extraData"][2:]))
    assert vanity == bytes(32) and vote == [] and round_number == b"" and seals == []
    assert len(validators) == 4 and validators == sorted(validators)
    node_address = {
        host_port: keys.PublicKey(bytes.fromhex(public_key)).to_canonical_address()
        for host_port, public_key in enodes(permissions).items()
    }
    validator_hosts = {compose["services"][name]["networks"]["chain"]["ipv4_address"] + ":30303" for name in VALIDATORS}
    assert {node_address[host] for host in validator_hosts} == set(validators)
    rpcnode = compose["services"]["rpcnode"]["networks"]["chain"]["ipv4_address"] + ":30303"
    assert rpcnode in node_address and node_address[rpcnode] not in validators  # allowed in, never sealing


def test_the_bootnode_is_allowlisted_and_only_the_ledgers_role_accounts_may_send(permissions):
    config = tomllib.loads((DEPLOY / "besu" / "config.toml").read_text())
    assert set(config["bootnodes"]) <= set(permissions["nodes-allowlist"])  # Besu will not start otherwise
    accounts = permissions["accounts-allowlist"]
    assert len(accounts) == len(set(accounts)) == 6 and all(is_checksum_address(a) for a in accounts)


def test_besus_json_rpc_limits_are_above_what_the_ledger_asks(monkeypatch):
    for name in ("LEDGER_RPC_BATCH_SIZE", "LEDGER_INDEX_RANGE_MAX"):
        monkeypatch.delenv(name, raising=False)
    config = tomllib.loads((DEPLOY / "besu" / "config.toml").read_text())
    settings = Settings()
    assert settings.rpc.batch_size <= config["rpc-http-max-batch-size"]
    assert settings.indexer.index_range_max <= config["rpc-max-logs-range"]
