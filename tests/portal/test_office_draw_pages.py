"""The office runs a random inspection from the browser (portal.draw_pages) on the office world's node:
it commits a draw from the form, reveals it once its block is mined (refused in Chinese before, nothing
queued), and records a selected commitment's outcome with the inspection report until it is indexed."""

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger.db.write_model import CommitmentRecord, OutboxCommand
from tests.portal.conftest import csrf_of, log_in
from tests.portal.office_world import office_world  # noqa: F401
from tests.support.documents import pdf
from tests.support.samples import project
from web.app import create_app

DRAWN = 840  # a project of this module's own, its commitments fulfilled for the draw's pool
NUMBERS = [f"CN-PAGE-DRAWN-{n}" for n in range(3)]


@pytest.fixture(scope="module")
def clients(office_world, tmp_path_factory):  # noqa: F811
    documents = tmp_path_factory.mktemp("draw-documents")
    app = create_app(office_world.settings(api={"public_burst": 1000}, documents={"directory": documents}))
    logged_in = {}
    for username in ("office-clerk", "builder-821"):
        client = TestClient(app, follow_redirects=False)
        assert log_in(client, username).status_code == 303
        logged_in[username] = client
    yield logged_in
    for client in logged_in.values():
        client.close()


@pytest.fixture
def node_time(office_world, monkeypatch):  # noqa: F811
    """The services ask the office world's node for its time and its latest block."""
    from ledger.domain import chain_time

    node = office_world.path.chain
    clock = chain_time.ChainClock(node.node.url)
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    monkeypatch.setattr(chain_time, "head_block", lambda: node.w3.eth.block_number)
    return node


def queued(world) -> int:
    with world.path.session() as s:
        return s.execute(select(func.count()).select_from(OutboxCommand)).scalar_one()


def command_id_of(response) -> str:
    assert response.status_code == 303, response.text
    return re.fullmatch(r"/office/commands/([0-9a-f]{32})", response.headers["location"]).group(1)


def draw_form(csrf: str, **fields) -> dict:
    today = date.today()
    return {
        "csrf_token": csrf,
        "draw_number": "DRAW-PAGE-1",
        "title": "本年度 人防物资承诺 抽查",
        "period_start": f"{today.year}-01-01",
        "period_end": f"{today.year}-12-31",
        "commitment_kind": "materials",
        "district": project(DRAWN).district,
        "inspectors": "INSP-1\nINSP-2\n",
        "commitments_to_pick": "1",
        "inspectors_to_pick": "1",
        "reveal_in_blocks": "20",
    } | fields


def test_a_form_with_its_period_ending_before_it_starts_is_refused_in_chinese_naming_the_field_and_queues_nothing(
    clients,
    office_world,  # noqa: F811
):
    clerk = clients["office-clerk"]
    csrf = csrf_of(clerk.get("/office/draws").text)
    before = queued(office_world)
    backwards = clerk.post("/office/draws", data=draw_form(csrf, period_start="2026-03-31", period_end="2026-01-01"))
    assert backwards.status_code == 422
    assert "检查期间止（period_end）：不能早于检查期间起（period_start）" in backwards.text
    assert 'value="本年度 人防物资承诺 抽查"' in backwards.text  # the form keeps what was typed
    not_a_number = clerk.post("/office/draws", data=draw_form(csrf, commitments_to_pick="三"))
    assert not_a_number.status_code == 422 and "抽取承诺数（commitments_to_pick）" in not_a_number.text
    assert queued(office_world) == before


def test_a_clerk_commits_reveals_after_the_reveal_block_and_records_an_outcome_with_its_report(
    clients,
    office_world,  # noqa: F811
    node_time,
):
    clerk = clients["office-clerk"]
    office_world.fulfilled_commitments(DRAWN, NUMBERS)
    csrf = csrf_of(clerk.get("/office/draws").text)
    command_id_of(clerk.post("/office/draws", data=draw_form(csrf)))
    office_world.settle()
    listed = clerk.get("/office/draws").text
    reveal_block = int(re.search(r"区块 (\d+) 产生后可揭示", listed).group(1))
    assert "DRAW-PAGE-1" in listed and "已承诺，待揭示" in listed
    queue = clerk.get("/office/queue").text.split('id="draws-heading"')[1].split("</section>")[0]
    assert "/office/draws#draw-DRAW-PAGE-1" in queue and "POST /v1" not in queue

    before = queued(office_world)
    early = clerk.post("/office/draws/DRAW-PAGE-1/reveal", data={"csrf_token": csrf})
    assert early.status_code == 422
    assert f"须待区块 {reveal_block} 产生之后才能揭示（draw_number）" in early.text
    assert queued(office_world) == before

    node_time.mine(reveal_block - node_time.w3.eth.block_number + 1)
    command_id_of(clerk.post("/office/draws/DRAW-PAGE-1/reveal", data={"csrf_token": csrf}))
    office_world.settle()
    page = clerk.get("/office/draws/DRAW-PAGE-1").text
    with office_world.path.session() as s:
        numbers = {r.commitment_key: r.commitment_number for r in s.execute(select(CommitmentRecord)).scalars()}
    shown = [n for n in NUMBERS if f'id="selected-{n}"' in page]
    assert len(shown) == 1 and "抽中的承诺（1）" in page and "登记检查结果" in page
    assert set(shown) <= set(numbers.values())

    recorded = command_id_of(
        clerk.post(
            "/office/draws/DRAW-PAGE-1/outcomes",
            data={"csrf_token": csrf, "commitment_number": shown[0], "outcome": "minor_findings"},
            files={"file": ("report.pdf", pdf(41), "application/pdf")},
        )
    )
    office_world.settle()
    assert clerk.get(f"/office/commands/{recorded}/status").json()["status"] == "indexed"
    after = clerk.get("/office/draws/DRAW-PAGE-1").text
    assert "检查结果：<strong" in after and "存在轻微问题" in after
    assert 'name="outcome"' not in after  # recorded: shown instead of a form


def test_an_outcome_for_a_commitment_the_draw_did_not_select_is_refused_in_chinese_and_queues_nothing(
    clients,
    office_world,  # noqa: F811
):
    clerk = clients["office-clerk"]
    page = clerk.get("/office/draws/DRAW-PAGE-1").text
    passed_over = next(n for n in NUMBERS if f'id="selected-{n}"' not in page)
    before = queued(office_world)
    refused = clerk.post(
        "/office/draws/DRAW-PAGE-1/outcomes",
        data={"csrf_token": csrf_of(page), "commitment_number": passed_over, "outcome": "conforms"},
        files={"file": ("report.pdf", pdf(42), "application/pdf")},
    )
    assert refused.status_code == 422, refused.text
    assert "该抽查没有抽中这项承诺，只能登记抽中承诺的检查结果（commitment_number）" in refused.text
    assert queued(office_world) == before


def test_someone_other_than_office_staff_is_refused_every_draw_page(clients):
    builder = clients["builder-821"]
    csrf = csrf_of(builder.get("/workspace").text)
    for method, path in [
        ("GET", "/office/draws"),
        ("POST", "/office/draws"),
        ("GET", "/office/draws/DRAW-PAGE-1"),
        ("POST", "/office/draws/DRAW-PAGE-1/reveal"),
        ("POST", "/office/draws/DRAW-PAGE-1/recommit"),
        ("POST", "/office/draws/DRAW-PAGE-1/outcomes"),
    ]:
        answer = builder.request(method, path, data={"csrf_token": csrf} if method == "POST" else None)
        assert answer.status_code == 403, (method, path, answer.status_code)


LAPSED = 841  # a project of this module's own, for a draw nobody reveals in time


def test_a_draw_nobody_revealed_in_its_window_is_committed_again_from_its_button_refused_in_chinese_before(
    clients,
    office_world,  # noqa: F811
    node_time,
):
    clerk = clients["office-clerk"]
    office_world.fulfilled_commitments(LAPSED, [f"CN-PAGE-LAPSED-{n}" for n in range(2)])
    csrf = csrf_of(clerk.get("/office/draws").text)
    form = draw_form(csrf, draw_number="DRAW-PAGE-2", district=project(LAPSED).district)
    command_id_of(clerk.post("/office/draws", data=form))
    office_world.settle()
    listed = clerk.get("/office/draws").text
    item = re.search(r'id="draw-DRAW-PAGE-2">.*?</li>', listed, re.S).group(0)
    reveal_block, last = map(int, re.search(r"区块 (\d+) 产生后可揭示，至区块 (\d+) 止", item).groups())
    assert last == reveal_block + 256 and "/office/draws/DRAW-PAGE-2/recommit" in item and "重新提交" in item
    before = queued(office_world)
    early = clerk.post("/office/draws/DRAW-PAGE-2/recommit", data={"csrf_token": csrf})
    assert early.status_code == 422
    assert f"该抽查在区块 {reveal_block} 之后 256 个区块内仍可揭示，请揭示" in early.text
    assert queued(office_world) == before

    node_time.mine(last - node_time.w3.eth.block_number)
    command_id = command_id_of(clerk.post("/office/draws/DRAW-PAGE-2/recommit", data={"csrf_token": csrf}))
    assert queued(office_world) == before + 2  # the expiry, then the commitment again
    office_world.settle()
    assert "已入账" in clerk.get(f"/office/commands/{command_id}").text
    again = re.search(r'id="draw-DRAW-PAGE-2">.*?区块 (\d+) 产生后可揭示', clerk.get("/office/draws").text, re.S)
    assert again is not None and int(again.group(1)) > last
