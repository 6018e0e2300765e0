"""Issue 16 item 8 and its width rule for the pages built after the first walk (test_browser_defects,
test_accessibility): the office workspace, the ticket pages (submission, the thread read by number and
code, the rating, the FAQ, the office's desk, the regulator's summary), the declaration guide and credit
repair (the enterprise's commitment page with its application, the office's application page with an
objection and an approval refused before the notice period ends, the public notice, the objection form). Each
is visited in Debian's chromium at 390 and 1280 px — as the clerk, the second officer or the regulator
where it needs one, and through its form where it is the answer to a post — and must be no wider than
the viewport, carry no serious or critical axe-core violation, and is saved as a screenshot in
var/screenshots/. The server runs on the office world (a chain of its own: it writes)."""

import json
import os
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ledger.access.users import add_user
from ledger.core.crypto_profile import current_profile
from ledger.core.field_encryption import field_cipher
from ledger.core.settings import get_settings
from ledger.domain import approvals, chain_time, repairs, tickets
from ledger.domain.documents import DocumentStore
from ledger.domain.schemas.office import AdjustmentCreate
from tests.api.conftest import ApiProcess
from tests.portal.browser import AXE_RUN, FAILING, SCREENSHOTS, VIEWPORTS, log_in, width_of
from tests.portal.conftest import PASSWORD
from tests.portal.office_world import ASSESSED, office_world  # noqa: F401
from tests.portal.test_browser_defects import shot_name
from tests.support.documents import HTML, pdf
from tests.support.repairs import NodeClock, breach_on_chain
from tests.support.samples import make_uscc

REGULATOR = "walk-regulator"
THRESHOLD_FEN = 10_000_000  # the default four-eyes threshold
GUIDE = "/guide?district=410105&land_use=RESIDENTIAL&building_type=HIGH_RISE&above_area=50000&below_area=1000"
Step = str | Callable[[Page, str], str]  # a path, or what a person does to reach the page (its name)


REPAIRED = "CN-WALK-REPAIR"


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return tmp_path_factory.mktemp("walk-documents")


@pytest.fixture(scope="module")
def repair_application(office_world, documents) -> str:  # noqa: F811
    """A breached commitment whose repair application is published (in its notice period), objected to."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chain_time, "chain_clock", lambda: NodeClock(office_world.path.chain))
        breach_on_chain(office_world, number=REPAIRED, project=ASSESSED)
        settings = office_world.settings(documents={"directory": documents})
        store = DocumentStore(documents, max_bytes=4096, profile=current_profile(get_settings()))
        with office_world.path.session() as s:
            application = repairs.apply_for_repair(
                s,
                store=store,
                uscc=make_uscc(ASSESSED),
                username=f"builder-{ASSESSED}",
                commitment_number=REPAIRED,
                statement="已补建防空地下室，并于本月通过人防工程竣工验收，验收意见附后。",
                files=[(pdf(61), "竣工验收意见.pdf")],
            )
            repairs.publish(s, application_id=application.id, actor="office-clerk", notice_days=7)
            tickets.submit(
                s,
                kind="complaint",
                topic="repair_notice",
                title="整改并未完成",
                body="地下室出入口至今未完工，请核实后再作决定。",
                contact="13800138000",
                cipher=field_cipher(settings),
                settings=settings.tickets,
                repair_application_id=application.id,
            )
            s.commit()
    return application.id


@pytest.fixture(scope="module")
def walk_url(office_world, tmp_path_factory, documents):  # noqa: F811
    add_user(office_world.engine, username=REGULATOR, password=PASSWORD, role="regulator")
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": office_world.path.url,
        "LEDGER_RPC_URL": office_world.path.chain.node.url,
        "LEDGER_MANIFEST_PATH": str(office_world.manifest_path),
        "LEDGER_API_PUBLIC_BURST": "1000",
        "LEDGER_TICKETS_SUBMISSIONS_PER_HOUR": "1000",
        "LEDGER_DOCUMENTS_DIRECTORY": str(documents),
    }
    server = ApiProcess(env, tmp_path_factory.mktemp("walk-portal") / "api.log")
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def office_pages(office_world):  # noqa: F811
    """A reduction awaiting a second officer, one approved (with its command), for the office's pages."""
    held_code, approved_code = office_world.assessed_project(851), office_world.assessed_project(852)

    def request(s: Session, code: str) -> str:
        adjustment = AdjustmentCreate(
            project_code=code, reason_code="SURVEY_REDUCTION", delta_fen=-15_000_000, document_sha256="d" * 64
        )
        held = approvals.request_adjustment(s, adjustment=adjustment, actor="office-clerk", threshold_fen=THRESHOLD_FEN)
        return held.approval_id  # type: ignore[union-attr]

    with office_world.path.session() as s:
        held, approved = request(s, held_code), request(s, approved_code)
        command_id = approvals.approve(s, approval_id=approved, approver="office-second").command_id
        s.commit()
    return {"held": held, "approved": approved, "command_id": command_id}


def filed_tickets(world) -> dict[str, tuple[str, str]]:
    """Per walk: an unanswered complaint, and an answered consultation published as an FAQ (rated once)."""
    settings = world.settings()
    with world.path.session() as s:

        def file(kind: str, title: str) -> tuple[str, str]:
            filed = tickets.submit(
                s,
                kind=kind,
                topic="service",
                title=title,
                body="周五下午三点窗口无人办理，等了一个小时，希望安排值守。",
                contact="13800138000",
                cipher=field_cipher(settings),
                settings=settings.tickets,
            )
            return filed.ticket.number, filed.code

        open_one, answered = file("complaint", "窗口下午无人"), file("consultation", "易地建设费如何缴纳")
        tickets.answer(
            s, number=answered[0], text="请凭缴款通知书到代理银行缴纳，或通过网上银行缴纳。", by="office-clerk"
        )
        tickets.publish_as_faq(s, number=answered[0])
        s.commit()
    return {"open": open_one, "answered": answered}


def submit_a_ticket(page: Page, base: str) -> str:
    page.goto(base + "/tickets/new")
    page.get_by_label("投诉", exact=True).check()
    page.get_by_label("标题").fill("办事指南不清楚")
    page.get_by_label("内容").fill("网上的办事指南没有写明需要哪些材料。")
    page.get_by_label("联系方式").fill("13800138000")
    a, b = map(int, re.search(r"验证题：(\d+) \+ (\d+) = \?", page.content()).groups())
    page.get_by_label(re.compile("^验证题")).fill(str(a + b))
    page.get_by_role("button", name="提交").click()
    return "tickets-created"


def follow(number: str, code: str, name: str) -> Callable[[Page, str], str]:
    def step(page: Page, base: str) -> str:
        page.goto(base + "/tickets/follow")
        page.get_by_label("受理编号").fill(number)
        page.get_by_label("查询码").fill(code)
        page.get_by_role("button", name="查看").click()
        return name

    return step


def rate(number: str, code: str, rating: str, name: str) -> Callable[[Page, str], str]:
    def step(page: Page, base: str) -> str:
        follow(number, code, name)(page, base)
        page.get_by_label(rating, exact=True).check()
        page.get_by_role("button", name="提交评价").click()
        return name

    return step


def adjust_with_a_bad_file(page: Page, base: str) -> str:
    """A page of HTML named like a PDF: refused by its content, the form shown again saying so."""
    page.goto(base + "/office/adjust")
    page.get_by_label("项目代码").fill("2026-410105-70-01-000123")
    page.get_by_label("理由").select_option("SURVEY_REDUCTION")
    page.get_by_label("补缴或核减金额").fill("1000")
    page.get_by_label("依据文件").set_input_files(
        {"name": "测绘报告.pdf", "mimeType": "application/pdf", "buffer": HTML}
    )
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_contain_text("依据文件（document）：只接受 PDF、PNG、JPEG 文件")
    return "office-adjust-refused"


def visit(path: str, name: str) -> Callable[[Page, str], str]:
    """A page whose address would make a long or changing screenshot name, under a name of its own."""

    def step(page: Page, base: str) -> str:
        page.goto(base + path)
        return name

    return step


def approve_too_early(application_id: str) -> Callable[[Page, str], str]:
    def step(page: Page, base: str) -> str:
        page.goto(f"{base}/office/repairs/{application_id}")
        page.get_by_role("button", name="批准信用修复").click()
        expect(page.get_by_role("alert")).to_contain_text("公示期满后方可批准")
        return "office-repair-approval-refused"

    return step


def pages_of(world, office: dict, filed: dict, repair: str) -> dict[str | None, list[Step]]:
    (open_number, open_code), (answered_number, answered_code) = filed["open"], filed["answered"]
    return {
        None: [
            "/tickets/new",
            submit_a_ticket,
            "/tickets/follow",
            follow(open_number, open_code, "tickets-thread-unanswered"),
            follow(open_number, "WRONGCODE", "tickets-thread-wrong-code"),
            follow(answered_number, answered_code, "tickets-thread-answered"),
            rate(answered_number, answered_code, "不满意", "tickets-rating-refused"),
            rate(answered_number, answered_code, "满意", "tickets-rated"),
            "/faq",
            "/faq?q=" + "缴纳",
            "/guide",
            visit(GUIDE + "&phase=PLANNING", "guide-outcome"),
            visit(GUIDE + f"&phase=PLANNING&project_code={world.assessed}", "guide-outcome-with-project"),
            visit(
                "/guide?district=999999&land_use=&building_type=&above_area=abc&below_area=-1&phase=", "guide-refused"
            ),
            visit(f"/announcements/repair-notice-{repair}", "announcement-repair-notice"),
            visit(f"/tickets/new?repair={repair}", "tickets-objection-to-repair-notice"),
        ],
        f"builder-{ASSESSED}": [
            visit(f"/workspace/commitments/{REPAIRED}/evidence", "workspace-commitment-repair"),
            visit(f"/workspace/projects/{world.assessed}", "workspace-project-with-repair"),
        ],
        "office-clerk": [
            "/office",
            "/office/queue",
            "/office/assess",
            f"/office/assess?project_code={world.to_assess}",
            "/office/assess?project_code=2026-41",
            "/office/adjust",
            adjust_with_a_bad_file,
            visit(f"/office/approvals/{office['held']}", "office-approval-awaiting-as-requester"),
            visit(f"/office/approvals/{office['approved']}", "office-approval-approved"),
            f"/office/commitments/{world.due_soon}/decide",
            visit(f"/office/commands/{office['command_id']}", "office-command"),
            "/office/tickets",
            visit(f"/office/tickets/{open_number}", "office-ticket-to-answer"),
            visit(f"/office/tickets/{answered_number}", "office-ticket-answered"),
            visit(f"/office/repairs/{repair}", "office-repair-application"),
            "/office/draws",
            approve_too_early(repair),
        ],
        "office-second": [visit(f"/office/approvals/{office['held']}", "office-approval-awaiting")],
        REGULATOR: ["/regulator/tickets"],
    }


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_every_later_page_fits_the_viewport_has_no_serious_axe_violation_and_is_saved(
    chromium,
    walk_url,
    office_world,  # noqa: F811
    office_pages,
    repair_application,
    axe_source,  # noqa: F811
    viewport,
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide, violations, visited = {}, {}, 0
    for who, steps in pages_of(office_world, office_pages, filed_tickets(office_world), repair_application).items():
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        context.add_init_script(script=axe_source)
        try:
            page = context.new_page()
            if who:
                log_in(page, walk_url, who)
            for step in steps:
                if isinstance(step, str):
                    page.goto(walk_url + step)
                    name = step
                else:
                    name = step(page, walk_url)
                page.wait_for_load_state("load")
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                page.screenshot(path=SCREENSHOTS / shot_name(who, name, viewport["width"]), full_page=True)
                visited += 1
                if width_of(page) > viewport["width"]:
                    too_wide[f"{who} {name}"] = width_of(page)
                if found := [v for v in page.evaluate(AXE_RUN) if v["impact"] in FAILING]:
                    violations[f"{who} {name}"] = found
        finally:
            context.close()
    assert visited == 37
    assert too_wide == {}
    assert violations == {}, json.dumps(violations, ensure_ascii=False, indent=1)
