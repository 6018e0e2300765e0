"""双随机抽查 (TestClient): the public page and /v1/public/inspections show a draw indexed from a real
node, with the selection recomputed from its published pools and the outcome in Chinese."""

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlmodel import Session

from ledger.core.identifiers import reference_key
from ledger.core.settings import Settings, get_settings
from ledger.db.engine import make_engine
from ledger.domain.inspection_draws import DrawTerms, PublishedDrawFile, pool_hash, seed_of, select
from ledger.domain.inspections import publish_pools
from tests.contracts.helpers import DOC, send_at
from tests.ledger.indexer.conftest import make_indexer
from tests.support.databases import make_database  # noqa: F401 (fixture)
from web.app import create_app

DRAW = reference_key("DRAW-2026-Q1-410105")
POOL = sorted(reference_key(f"C-{n}") for n in range(6))
ROSTER = sorted(keccak(text=f"INSPECTOR-{n}") for n in range(3))


@pytest.fixture
def inspected(chain, make_database, tmp_path):  # noqa: F811 (the imported fixture)
    """A revealed draw with one false commitment, indexed, its pools published; the app on it."""
    url = make_database("postgresql")
    reveal_block = chain.w3.eth.block_number + 11
    commit = chain.draws.functions.commitDraw(DRAW, pool_hash(POOL), 6, pool_hash(ROSTER), 3, 2, 1, reveal_block)
    send_at(chain, "VERIFIER_ROLE", commit)
    chain.mine(11)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    terms = DrawTerms(DRAW, 1, pool_hash(POOL), 6, pool_hash(ROSTER), 3, 2, 1, reveal_block)
    seed = seed_of(bytes(chain.w3.eth.get_block(reveal_block)["hash"]), terms.commitment())
    selection = select(seed, POOL, ROSTER, terms)
    send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, selection.commitments[0], 3, DOC))
    make_indexer(chain, url).catch_up()
    engine = make_engine(url)
    with Session(engine) as session:
        pools = PublishedDrawFile(
            draw="0x" + DRAW.hex(),
            candidates=["0x" + c.hex() for c in POOL],
            inspectors=["0x" + i.hex() for i in ROSTER],
        )
        publish_pools(session, pools=pools, title="2026年第一季度 金水区")
        session.commit()
    engine.dispose()
    chain.manifest.save(tmp_path / "deployment.json")
    settings = Settings(
        database={"url": url},
        rpc={"url": chain.node.url},
        deployment={"manifest_path": tmp_path / "deployment.json"},
        api={"public_burst": 1000},
    )
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app, follow_redirects=False) as client:
        yield client, selection


def test_the_page_shows_the_draw_its_selection_and_the_false_commitment(inspected):
    client, selection = inspected
    response = client.get("/inspections")
    assert response.status_code == 200
    html = response.text
    assert "2026年第一季度 金水区" in html and "已揭示" in html
    assert f'<span class="hash">0x{selection.commitments[0].hex()}</span> — 不实承诺' in html
    assert f'<span class="hash">0x{selection.commitments[1].hex()}</span> — 待检查' in html
    assert f"/v1/public/inspections/0x{DRAW.hex()}/pools" in html and "ledger draw verify" in html


def test_the_api_lists_the_draw_and_serves_its_pools_for_verification(inspected):
    client, selection = inspected
    (draw,) = client.get("/v1/public/inspections").json()["items"]
    assert draw["selected_commitments"] == ["0x" + c.hex() for c in selection.commitments]
    assert draw["outcomes"][0]["outcome"] == "false_commitment" and draw["problems"] == []
    pools = client.get(f"/v1/public/inspections/0x{DRAW.hex()}/pools").json()
    assert pools["selection"]["commitments"] == draw["selected_commitments"]
    assert client.get("/v1/public/inspections/0x" + "ab" * 32).status_code == 404
    assert client.get("/v1/public/inspections/DRAW-1").status_code == 422
