"""The public's pages (TestClient): HTML in zh-CN with labelled forms, a project with its proofs,
a receipt with its QR code and chain re-check, the fee estimator, and bad input named."""

import re

import pytest
import segno
from fastapi.testclient import TestClient

from ledger.core.settings import get_settings
from web.app import create_app


@pytest.fixture(scope="module")
def pages(public_world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1000}, portal={"public_base_url": "https://rf.example.gov.cn"}
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_every_page_is_zh_cn_mobile_first_with_labelled_fields(pages):
    for path in ("/", "/inquiry", "/verify", "/estimate"):
        html = pages.get(path).text
        assert '<html lang="zh-CN">' in html and 'name="viewport"' in html and "/static/portal.css" in html
        for field in re.findall(r'<(?:input|select) id="([a-z_]+)"', html):
            assert f'<label for="{field}">' in html, (path, field)
    assert "@media (min-width" in pages.get("/static/portal.css").text


def test_an_inquiry_goes_to_the_project_page_with_status_amounts_commitments_and_proofs(pages, public_world):
    found = pages.get("/inquiry", params={"project_code": public_world.assessed_code})
    assert found.status_code == 303 and found.headers["location"].endswith(f"/projects/{public_world.assessed_code}")
    html = pages.get(found.headers["location"]).text
    assert "部分缴纳" in html and "样例****有限公司" in html and "样例建设单位" not in html
    due = public_world.due_fen
    assert f"¥{due // 100:,}.{due % 100:02d}" in html
    assert all(number in html for number in public_world.commitments) and "履约中" in html
    assert (
        html.count('<details class="proof">') == 2 + 2 + 2
    )  # the fee and its assessment, two payments, two commitments
    assert "交易哈希" in html and re.search(r"0x[0-9a-f]{64}", html)


def test_a_receipt_page_shows_the_proof_a_qr_code_of_its_address_and_rechecks_on_chain(pages, public_world):
    voucher = public_world.vouchers[0]
    html = pages.get(f"/receipts/{voucher}").text
    assert "凭证有效" in html and "¥10,000.00" in html and public_world.assessed_code in html
    assert "<svg" in html and f"https://rf.example.gov.cn/receipts/{voucher}" in html
    checked = pages.get(f"/receipts/{voucher}", params={"check": "chain"}).text
    assert "复核一致" in checked and "PaymentRecorded" in checked and "¥10,000.00" in checked


def qr_modules(text: str) -> str:
    """The drawn modules (the SVG path) of a QR code: equal paths, equal contents."""
    return re.search(r'<path[^>]* d="([^"]+)"', text).group(1)


@pytest.mark.parametrize("base", [None, "https://rf.example.gov.cn"])
def test_a_spoofed_host_never_reaches_the_receipt_s_qr_code(public_world, base):
    """A Host the site does not serve is refused before the page is built; one it serves (another
    name of the site) is in neither address the QR code may carry: unconfigured, a bare path (development
    only), configured, the public address (a printed receipt would send its readers there)."""
    app = create_app(
        public_world.settings(
            api={"public_burst": 1000, "allowed_hosts": "testserver,other-name.example"},
            portal={"public_base_url": base},
        )
    )
    voucher = public_world.vouchers[0]
    with TestClient(app, follow_redirects=False) as client:
        refused = client.get(f"/receipts/{voucher}", headers={"Host": "evil.example"})
        response = client.get(f"/receipts/{voucher}", headers={"Host": "other-name.example"})
    assert refused.status_code == 400 and "<svg" not in refused.text
    assert response.status_code == 200
    qr = re.search(r"<svg.*?</svg>", response.text, re.S).group(0)
    assert "other-name.example" not in qr
    expected = (base or "") + f"/receipts/{voucher}"
    assert qr_modules(qr) == qr_modules(segno.make(expected, error="m").svg_inline(scale=4))


def test_production_refuses_to_start_without_the_portal_s_public_address(public_world, tmp_path):
    production = dict(
        environment="production",
        secrets={
            "mnemonic": "abandon " * 11 + "about",
            "enterprise_pepper": "a-real-pepper",
            "field_keys": "k1:" + "A" * 43 + "=",
            "keystore_dir": tmp_path,
        },
        platform={"signing_key": "B" * 43 + "="},
    )
    api = {"session_secret": "s" * 40, "throttle_storage_url": "redis://r:6379/0"}
    with pytest.raises(SystemExit, match="LEDGER_PORTAL_PUBLIC_BASE_URL is unset"):
        create_app(public_world.settings(**production, api=api))
    create_app(public_world.settings(**production, api=api, portal={"public_base_url": "https://rf.example.gov.cn"}))


def test_an_unknown_voucher_or_project_says_so_naming_the_field(pages):
    missing = pages.get("/receipts/332026999999999999")
    assert missing.status_code == 404 and "未查到该凭证" in missing.text and "voucher_number" in missing.text
    unknown = pages.get("/projects/2026-410105-47-01-999999")
    assert unknown.status_code == 404 and "项目代码（project_code）" in unknown.text


def test_bad_input_re_renders_the_form_with_a_message_naming_the_field(pages):
    bad_code = pages.get("/inquiry", params={"project_code": "2026-41"})
    assert bad_code.status_code == 422
    assert "项目代码（project_code）：格式不正确" in bad_code.text and 'aria-invalid="true"' in bad_code.text
    assert 'value="2026-41"' in bad_code.text
    not_zhengzhou = pages.get("/inquiry", params={"project_code": "2026-110105-47-01-000001"})
    assert "行政区划 110105 不是郑州市的区划代码" in not_zhengzhou.text
    bad_voucher = pages.get("/verify", params={"voucher_number": "<script>"})
    assert bad_voucher.status_code == 422 and "缴款凭证号（voucher_number）" in bad_voucher.text
    assert "<script>" not in bad_voucher.text  # escaped
    empty = pages.get("/verify", params={"voucher_number": ""})
    assert empty.status_code == 422 and "请填写缴款凭证号" in empty.text


def test_the_estimator_uses_the_published_rate_and_the_reduction_policy(pages):
    # 金水区 (410105): 2,000 yuan/m² in the sample table published on chain; 1,000.5 − 400.25 = 600.25 m²
    html = pages.get(
        "/estimate",
        params={
            "district": "410105",
            "required_area": "1000.5",
            "built_area": "400.25",
            "reason": "AFFORDABLE_HOUSING",
        },
    ).text
    assert "600.25 m²" in html and "¥2,000.00/m²" in html
    assert "¥1,200,500.00" in html and "−¥600,250.00" in html and "¥600,250.00" in html
    assert "样例数据" in html  # the sample table says it is one


def test_the_estimator_names_every_bad_field(pages):
    response = pages.get("/estimate", params={"district": "110105", "required_area": "12.345", "built_area": "-1"})
    assert response.status_code == 422
    for named in ("所在区县（district）", "应建防空地下室面积（required_area）", "实建防空地下室面积（built_area）"):
        assert named in response.text


def test_pages_over_the_rate_limit_say_so_with_retry_after(public_world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1, "public_rate_per_second": 0.01}
    )
    with TestClient(app) as client:
        assert client.get("/estimate").status_code == 200
        refused = client.get("/estimate")
    assert refused.status_code == 429 and "请求过于频繁" in refused.text and int(refused.headers["Retry-After"]) >= 1
