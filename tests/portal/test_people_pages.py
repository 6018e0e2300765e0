"""The people's pages (TestClient) on the shared public world: log in with the form and its CSRF
token, the enterprise workspace (only its own), the regulator's dashboard and CSV exports, the
office workspace, and every refusal: anonymous → login page, wrong role → 403 page."""

import csv
import io
import re

from fastapi.testclient import TestClient

from tests.portal.conftest import PASSWORD, csrf_of, log_in
from tests.support.samples import make_uscc


def test_logging_in_goes_to_the_home_of_the_role_and_bad_credentials_say_nothing_more(app):
    with TestClient(app, follow_redirects=False) as client:
        page = client.get("/login").text
        assert '<html lang="zh-CN">' in page and '<label for="username">' in page and '<label for="password">' in page
        assert 'action="http://testserver/login"' in page  # not the API's route of the same name
        wrong = log_in(client, "portal-reg", "not the password")
        unknown = log_in(client, "nobody-at-all")
        assert wrong.status_code == unknown.status_code == 401
        assert "用户名或密码不正确" in wrong.text and wrong.text.count("不正确") == unknown.text.count("不正确")
        assert "ledger_session" not in client.cookies
        forged = client.post("/login", data={"username": "portal-reg", "password": PASSWORD, "csrf_token": "0" * 64})
        assert forged.status_code == 403 and "csrf_token" in forged.text and "ledger_session" not in client.cookies
        done = log_in(client, "portal-reg")
        assert done.status_code == 303 and done.headers["location"] == "/regulator"
        assert "httponly" in done.headers["set-cookie"].lower()
        home = client.get("/regulator").text
        assert client.post("/logout", data={"csrf_token": "0" * 64}).status_code == 403  # CSRF checked
        out = client.post("/logout", data={"csrf_token": csrf_of(home)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert client.get("/regulator").status_code == 303


def test_a_csrf_token_that_is_not_ascii_is_refused_like_any_wrong_one(app):
    # compare_digest raises on a str that is not ASCII: such a token answered 500 before tokens_match.
    with TestClient(app, follow_redirects=False) as client:
        client.get("/login")
        login = client.post("/login", data={"username": "portal-reg", "password": PASSWORD, "csrf_token": "é" * 64})
        assert login.status_code == 403 and "ledger_session" not in client.cookies
        assert log_in(client, "portal-reg").status_code == 303
        assert client.post("/logout", data={"csrf_token": "令牌"}).status_code == 403


def test_anonymous_people_are_sent_to_log_in_and_come_back_after(app):
    with TestClient(app, follow_redirects=False) as client:
        for path in ("/workspace", "/workspace/credit", "/regulator", "/regulator/enterprises.csv", "/office"):
            response = client.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
        assert log_in(client, "portal-ent", next_path="/workspace/credit").headers["location"] == "/workspace/credit"
        assert log_in(client, "portal-ent", next_path="//evil.example/").headers["location"] == "/workspace"


def test_each_role_is_refused_the_others_pages_with_a_403_page(people):
    refused = {
        "portal-ent": ["/regulator", "/regulator/commitments", "/regulator/enterprises.csv", "/office"],
        "portal-office": ["/regulator", "/regulator/commitments.csv", "/workspace"],
        "portal-reg": ["/workspace", "/workspace/credit", "/office"],
    }
    for username, paths in refused.items():
        for path in paths:
            response = people[username].get(path)
            assert response.status_code == 403 and "无权访问" in response.text, (username, path)
            assert '<html lang="zh-CN">' in response.text


def test_an_enterprise_sees_its_projects_fees_payments_pay_link_commitments_and_credit(people, public_world):
    html = people["portal-ent"].get("/workspace").text
    code = public_world.assessed_code
    assert code in html and "部分缴纳" in html
    due = public_world.due_fen
    assert f"¥{due // 100:,}.{due % 100:02d}" in html and "¥35,000.00" in html  # due, and paid 10,000 + 25,000
    assert f'href="http://127.0.0.1:8100/checkout/{code}-A1"' in html and "在线缴纳" in html
    assert all(f"/receipts/{v}" in html for v in public_world.vouchers)
    assert all(n in html for n in public_world.commitments) and "履约中" in html
    assert (
        "信用分" in html and '<h2 id="credit-heading">' in html and 'href="http://testserver/workspace/credit"' in html
    )
    assert 'action="http://testserver/logout"' in html
    project = people["portal-ent"].get(f"/workspace/projects/{code}").text
    assert project.count('<details class="proof">') == 6  # account, assessment, two payments, two commitments
    assert all(v in project for v in public_world.vouchers)
    credit = people["portal-ent"].get("/workspace/credit").text
    assert "我的信用记录" in credit and make_uscc(801) in credit


def test_an_enterprise_never_sees_another_enterprises_project(people, public_world):
    other = people["portal-other"]
    assert public_world.assessed_code not in other.get("/workspace").text
    refused = other.get(f"/workspace/projects/{public_world.assessed_code}")
    assert refused.status_code == 404 and "不是贵单位的项目" in refused.text and "样例项目 801" not in refused.text


def test_the_regulator_sees_grades_the_chart_data_a_record_as_of_a_moment_and_a_money_trail(people, public_world):
    reg = people["portal-reg"]
    html = reg.get("/regulator").text
    assert make_uscc(801) in html and 'id="collection-chart"' in html and "/static/vendor/echarts.min.js" in html
    assert '"amount_fen":3500000' in html.replace(" ", "")  # both payments, in the chart's data
    assert reg.get("/static/vendor/echarts.min.js").status_code == 200
    assert make_uscc(801) not in reg.get("/regulator", params={"grade": "D"}).text
    record = reg.get(f"/regulator/enterprises/{make_uscc(801)}").text
    assert "信用分" in record and 'name="as_of"' in record
    past = reg.get(f"/regulator/enterprises/{make_uscc(801)}", params={"as_of": "2020-01-01T00:00"})
    assert past.status_code == 200 and "2020-01-01 00:00" in past.text and "暂无信用事件" in past.text
    assert reg.get("/regulator/enterprises/not-a-uscc").status_code == 422
    trail = reg.get(f"/regulator/projects/{public_world.assessed_code}/money-trail").text
    assert trail.count('<details class="proof">') == 4 and "缴款" in trail and "核定" in trail
    assert reg.get("/regulator/commitments").status_code == 200


def test_the_csv_exports_open_in_excel_and_hold_the_lists(people):
    reg = people["portal-reg"]
    response = reg.get("/regulator/enterprises.csv")
    assert response.headers["content-type"].startswith("text/csv") and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["统一社会信用代码", "链上企业标识", "信用分", "信用等级"]
    assert any(row[0] == make_uscc(801) and row[3] in "ABCD" for row in rows[1:])
    alerts = list(csv.reader(io.StringIO(reg.get("/regulator/commitments.csv").content.decode("utf-8-sig"))))
    assert alerts[0][:5] == ["承诺编号", "项目代码", "统一社会信用代码", "承诺事项", "状态"]


def test_the_office_sees_projects_with_fee_status_and_its_latest_commands(people, public_world):
    html = people["portal-office"].get("/office").text
    assert public_world.assessed_code in html and public_world.unassessed_code in html and "部分缴纳" in html
    assert "record_payment" in html and "已上链" in html and re.search(r"0x[0-9a-f]{64}", html)


def test_the_regulator_lists_overdue_and_breached_commitments_and_exports_them(people, public_world):
    reg = people["portal-reg"]
    html = reg.get("/regulator/commitments").text
    assert public_world.overdue in html and public_world.breached in html and "已逾期" in html and "违约" in html
    only_breached = reg.get("/regulator/commitments", params={"status": "breached"}).text
    assert public_world.breached in only_breached and public_world.overdue not in only_breached
    rows = list(csv.reader(io.StringIO(reg.get("/regulator/commitments.csv").content.decode("utf-8-sig"))))
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number[public_world.overdue][2] == make_uscc(803) and by_number[public_world.overdue][4] == "已逾期"
    assert by_number[public_world.breached][4] == "违约" and re.match(
        r"^0x[0-9a-f]{64}$", by_number[public_world.breached][6]
    )
    lapsed = reg.get("/regulator", params={"grade": "A"}).text
    assert make_uscc(801) in lapsed and make_uscc(803) not in lapsed  # breached: not grade A


def test_the_money_trail_form_goes_to_the_project_and_names_a_bad_code(people, public_world):
    reg = people["portal-reg"]
    found = reg.get("/regulator/money-trail", params={"project_code": public_world.assessed_code})
    assert found.status_code == 303 and found.headers["location"].endswith(
        f"/projects/{public_world.assessed_code}/money-trail"
    )
    bad = reg.get("/regulator/projects/2026-41/money-trail")
    assert bad.status_code == 422 and "project_code" in bad.text
    unknown = reg.get("/regulator/projects/2026-410105-47-01-999999/money-trail")
    assert unknown.status_code == 404 and "project_code" in unknown.text


def test_every_people_page_is_zh_cn_with_one_h1_and_labelled_fields(app, people, public_world):
    pages = {
        "portal-ent": ["/workspace", "/workspace/credit", f"/workspace/projects/{public_world.assessed_code}"],
        "portal-reg": [
            "/regulator",
            "/regulator/commitments",
            "/regulator/money-trail",
            f"/regulator/enterprises/{make_uscc(801)}",
        ],
        "portal-office": ["/office"],
    }
    with TestClient(app) as anonymous:
        pages["anonymous"] = ["/login"]
        people = {**people, "anonymous": anonymous}
        for username, paths in pages.items():
            for path in paths:
                html = people[username].get(path).text
                assert '<html lang="zh-CN">' in html and 'name="viewport"' in html and html.count("<h1") == 1, path
                for field in re.findall(r'<(?:input|select) id="([a-z_]+)"', html):
                    assert f'<label for="{field}">' in html, (path, field)
