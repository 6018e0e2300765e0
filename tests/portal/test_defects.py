"""Issue 16, item 7 (TestClient): each defect users hit in the portal, fixed — a voucher number with
"/" verifies; a mistyped portal address is an HTML page (the API's stay problem+json); zh-CN pages say
nothing in English; a project code is read like a voucher number; the header knows who is logged in on
error pages; an empty filter names that filter; the regulator sees enterprise names, a count per grade
and the block time of overdue and breach events, and picks as_of to the second; the estimator's
amounts keep their sign."""

import csv
import io
import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ledger.core.identifiers import compact
from ledger.domain import credit_records
from ledger.domain.schemas.regulator import CommitmentAlertPage
from ledger.outbox.kinds import KINDS
from portal import regulator_pages
from portal.pages import COMMAND_KIND
from tests.support.samples import make_uscc

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
HEADER = re.compile(r'<header class="site">.*?</header>', re.S)


def header_of(html: str) -> str:
    return HEADER.search(html).group(0)


def test_a_voucher_number_with_a_slash_verifies_from_the_form_and_from_its_qr_address(people, public_world):
    public = people["portal-other"]
    voucher = public_world.slashed_voucher
    found = public.get("/verify", params={"voucher_number": " " + voucher.lower() + " "})  # as typed: case, spaces
    assert found.status_code == 303 and found.headers["location"].endswith(f"/receipts/{voucher}")
    page = public.get(found.headers["location"])
    assert page.status_code == 200 and "凭证有效" in page.text and "¥5,000.00" in page.text
    assert f"http://testserver/receipts/{voucher}" in page.text  # the QR code's address, re-checked below
    assert public.get(f"/receipts/{quote(voucher, safe='')}").status_code == 200  # %2F spelt too
    checked = public.get(f"/receipts/{voucher}", params={"check": "chain"})
    assert "复核一致" in checked.text


def test_a_mistyped_portal_address_is_an_html_page_while_api_paths_keep_problem_json(app):
    with TestClient(app) as anonymous:
        for path in ("/no-such-page", "/regulator/no-such-page", "/projects"):
            missing = anonymous.get(path)
            assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html"), path
            assert (
                '<html lang="zh-CN">' in missing.text
                and "页面不存在" in missing.text
                and 'name="viewport"' in missing.text
            )
        wrong_method = anonymous.post("/estimate")
        assert wrong_method.status_code == 405 and "不支持的访问方式" in wrong_method.text
        for path in ("/v1/no-such-route", "/v1/public/nothing", "/problems/no-such-type"):
            api = anonymous.get(path)
            assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json", path


def test_a_bad_query_on_a_people_page_is_an_html_page_naming_the_parameter(people):
    response = people["portal-reg"].get("/regulator", params={"grade": "Z"})
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "参数（grade）" in response.text and "退出（" in header_of(response.text)


def test_the_header_knows_who_is_logged_in_on_403_and_404_pages(app, people):
    for status, path in (
        (403, "/office"),
        (404, "/no-such-page"),
        (404, "/workspace/projects/2026-410105-47-01-999999"),
    ):
        page = people["portal-ent"].get(path)
        assert page.status_code == status, path
        header = header_of(page.text)
        assert "退出（" in header and "登录" not in header and "工作台" in header, path
    with TestClient(app) as anonymous:
        assert ">登录<" in header_of(anonymous.get("/no-such-page").text)


def test_the_regulator_pages_say_nothing_in_english(people, public_world):
    reg = people["portal-reg"]
    english = re.compile(r"\b(neither|must|not a valid|division|SAMPLE|accepted|rule set)\b")
    cases = {
        "/regulator/enterprises/not-a-uscc": 422,
        "/regulator/enterprises/91410100MA0000801X": 422,  # a USCC with a wrong check character
        "/regulator/projects/2026-41/money-trail": 422,
        "/regulator/projects/2026-110105-47-01-000001/money-trail": 422,  # not a Zhengzhou division
        f"/regulator/enterprises/{make_uscc(801)}": 200,
        "/regulator": 200,
    }
    for path, status in cases.items():
        page = reg.get(path)
        main = page.text.split("<main", 1)[1]
        assert page.status_code == status and not english.search(main), (path, english.search(main))
    refused = reg.get("/regulator/enterprises/not-a-uscc").text
    assert "统一社会信用代码" in refused and "enterprise" in refused  # the field and the rule, in Chinese
    assert "样例评分规则" in reg.get(f"/regulator/enterprises/{make_uscc(801)}").text
    form = reg.get("/regulator/money-trail", params={"project_code": "2026-41"})
    assert (
        form.status_code == 422
        and "项目代码（project_code）：格式不正确" in form.text
        and 'aria-invalid="true"' in form.text
    )


def test_a_project_code_is_read_like_a_voucher_number_full_width_and_spaced(people, public_world):
    code = public_world.assessed_code
    typed = " " + code.translate(FULL_WIDTH).replace("－", " － ") + "\u3000"  # full-width, spaced, as on paper
    assert compact(typed) == code
    found = people["portal-other"].get("/inquiry", params={"project_code": typed})
    assert found.status_code == 303 and found.headers["location"].endswith(f"/projects/{code}")
    trail = people["portal-reg"].get("/regulator/money-trail", params={"project_code": typed})
    assert trail.status_code == 303 and trail.headers["location"].endswith(f"/projects/{code}/money-trail")
    mine = people["portal-ent"].get(f"/workspace/projects/{quote(code.translate(FULL_WIDTH))}")
    assert mine.status_code == 200 and "样例项目 801" in mine.text


def test_an_empty_filter_names_exactly_that_filter(people, monkeypatch):
    monkeypatch.setattr(
        regulator_pages.oversight,
        "commitments_in_trouble",
        lambda session, **filters: CommitmentAlertPage(items=[], next_cursor=None),
    )
    reg = people["portal-reg"]
    assert "当前没有已逾期的承诺。" in reg.get("/regulator/commitments", params={"status": "overdue"}).text
    assert "当前没有违约的承诺。" in reg.get("/regulator/commitments", params={"status": "breached"}).text
    assert "当前没有逾期或违约的承诺。" in reg.get("/regulator/commitments").text


def test_the_regulator_sees_enterprise_names_and_how_many_enterprises_have_each_grade(people, public_world):
    reg = people["portal-reg"]
    home = reg.get("/regulator").text
    assert "样例建设单位 801 有限公司" in home and "样例建设单位 803 有限公司" in home
    with Session(public_world.engine) as session:
        graded = [e.grade for e in credit_records.list_enterprises(session, limit=1000).items]
        counted = credit_records.enterprises_by_grade(session)
    assert counted == {grade: graded.count(grade) for grade in "ABCD"} and sum(counted.values()) == 2
    row = re.search(r'<table class="data" id="grade-counts">.*?<tbody><tr>(.*?)</tr>', home, re.S).group(1)
    assert re.findall(r"<td>(\d+) 家</td>", row) == [str(counted[g]) for g in "ABCD"]
    alerts = reg.get("/regulator/commitments").text
    assert "样例建设单位 803 有限公司" in alerts
    record = reg.get(f"/regulator/enterprises/{make_uscc(803)}").text
    assert '<p class="name">样例建设单位 803 有限公司</p>' in record
    for export in ("/regulator/enterprises.csv", "/regulator/commitments.csv"):
        rows = list(csv.reader(io.StringIO(reg.get(export).content.decode("utf-8-sig"))))
        assert rows[0][-1] == "企业名称" and "样例建设单位 803 有限公司" in [row[-1] for row in rows[1:]], export


def test_overdue_and_breach_events_show_the_block_time(people):
    record = people["portal-reg"].get(f"/regulator/enterprises/{make_uscc(803)}").text
    events = re.findall(r"<li>\s*<p><strong>(承诺逾期|违约)</strong>.*?</p>\s*<p>(.*?)</p>", record, re.S)
    assert sorted(kind for kind, _ in events) == ["承诺逾期", "承诺逾期", "违约"]
    for _, when in events:
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}（上链时间）$", when) and "—" not in when, when


def test_the_as_of_picker_takes_seconds(people):
    reg = people["portal-reg"]
    page = reg.get(f"/regulator/enterprises/{make_uscc(801)}", params={"as_of": "2020-01-01T00:00:30"})
    assert page.status_code == 200 and "2020-01-01 00:00" in page.text
    assert re.search(
        r'<input id="as_of" name="as_of" type="datetime-local" step="1" value="2020-01-01T00:00:30">', page.text
    )
    bad = reg.get(f"/regulator/enterprises/{make_uscc(801)}", params={"as_of": "yesterday"})
    assert bad.status_code == 422 and "YYYY-MM-DDTHH:MM:SS" in bad.text


def test_the_estimators_reduction_keeps_its_sign_with_the_amount(people):
    html = (
        people["portal-other"]
        .get(
            "/estimate",
            params={
                "district": "410105",
                "required_area": "1000.5",
                "built_area": "400.25",
                "reason": "SCHOOL",
            },
        )
        .text
    )
    assert '<span class="amount">−¥1,200,500.00</span>' in html and "中小学校舍" in html


def test_a_bad_payments_cursor_on_a_project_page_is_refused_in_chinese(people, public_world):
    page = people["portal-other"].get(f"/projects/{public_world.assessed_code}", params={"payments_after": "garbage"})
    alert = re.search(r'<div class="notice bad" role="alert"><p>(.*?)</p>', page.text).group(1)
    assert page.status_code == 422 and alert == "翻页标记（payments_after）无效，请从项目页重新查看。"


def test_the_office_reads_each_command_kind_in_chinese_with_its_name(people):
    assert set(COMMAND_KIND) == set(KINDS)  # every kind the outbox knows has its Chinese name
    html = people["portal-office"].get("/office").text
    assert "记录缴款" in html and '<span class="code" lang="en">record_payment</span>' in html and "标记逾期" in html
