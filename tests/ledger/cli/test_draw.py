"""`ledger draw verify`: a draw re-checked from its published pools and the chain alone."""

import json
import os

from eth_utils import keccak

from ledger.core.identifiers import reference_key
from ledger.domain.inspection_draws import DrawTerms, pool_hash, select
from tests.contracts.helpers import DOC, send_at
from tests.support.ledger_cli import ledger

DRAW = reference_key("DRAW-2026-Q1-410105")
POOL = sorted(reference_key(f"C-{n}") for n in range(8))
ROSTER = sorted(keccak(text=f"INSPECTOR-{n}") for n in range(4))


def _revealed_draw(chain) -> DrawTerms:
    reveal_block = chain.w3.eth.block_number + 11
    commit = chain.draws.functions.commitDraw(DRAW, pool_hash(POOL), 8, pool_hash(ROSTER), 4, 3, 2, reveal_block)
    send_at(chain, "VERIFIER_ROLE", commit)
    chain.mine(11)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    return DrawTerms(DRAW, 1, pool_hash(POOL), 8, pool_hash(ROSTER), 4, 3, 2, reveal_block)


def _published(path, candidates=POOL, selection=None):
    body = {"draw": "0x" + DRAW.hex(), "candidates": ["0x" + c.hex() for c in candidates]}
    body["inspectors"] = ["0x" + i.hex() for i in ROSTER]
    if selection is not None:
        body["selection"] = {
            "commitments": ["0x" + c.hex() for c in selection.commitments],
            "inspectors": ["0x" + i.hex() for i in selection.inspectors],
        }
    path.write_text(json.dumps(body))
    return path


def _env(chain, tmp_path):
    chain.manifest.save(tmp_path / "deployment.json")
    return {**os.environ, "LEDGER_RPC_URL": chain.node.url, "LEDGER_MANIFEST_PATH": str(tmp_path / "deployment.json")}


def test_a_draw_verifies_from_its_published_pools_and_names_its_selection_and_outcomes(chain, tmp_path):
    terms = _revealed_draw(chain)
    seed = chain.draws.functions.drawOf(DRAW).call()[2]
    selection = select(seed, POOL, ROSTER, terms)
    send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, selection.commitments[0], 3, DOC))
    result = ledger(
        "draw",
        "verify",
        "--pools",
        str(_published(tmp_path / "pools.json", selection=selection)),
        env=_env(chain, tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert f"selected commitment 0x{selection.commitments[0].hex()}: false_commitment" in result.stdout
    assert f"selected commitment 0x{selection.commitments[1].hex()}: not inspected yet" in result.stdout
    assert "verified:" in result.stdout


def test_a_pool_changed_after_the_commitment_fails_verification(chain, tmp_path):
    _revealed_draw(chain)
    changed = sorted(POOL[1:] + [reference_key("C-slipped-in")])
    result = ledger(
        "draw", "verify", "--pools", str(_published(tmp_path / "pools.json", changed)), env=_env(chain, tmp_path)
    )
    assert result.returncode == 1
    assert "MISMATCH: the published candidate pool" in result.stderr and "changed after the commitment" in result.stderr


def test_a_pools_file_that_is_not_one_is_refused_naming_the_option(chain, tmp_path):
    (tmp_path / "pools.json").write_text('{"draw": "DRAW-1"}')
    result = ledger("draw", "verify", "--pools", str(tmp_path / "pools.json"), env=_env(chain, tmp_path))
    assert result.returncode == 2 and "--pools" in result.stderr
