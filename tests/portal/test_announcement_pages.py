"""信息发布 (TestClient): the dated list, one announcement's page (a rate table's and an inspection's
results generated from the chain), and the Atom feed, parsed back with feedparser and checked against
the list."""

import re

import feedparser
import pytest
from fastapi.testclient import TestClient

from ledger.core.settings import get_settings
from ledger.domain.announcements import shipped_announcements
from tests.portal.test_inspection_pages import DRAW, inspected  # noqa: F401 (a revealed draw on a real node)
from tests.support.databases import make_database  # noqa: F401 (the fixture `inspected` takes)
from web.app import create_app

BASE = "https://rf.example.gov.cn"


@pytest.fixture(scope="module")
def pages(public_world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1000}, portal={"public_base_url": BASE}
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def listed_ids(html: str) -> list[str]:
    return re.findall(r'href="[^"]*/announcements/([a-z0-9-]+)"', html)


def test_the_list_shows_the_office_announcements_and_each_published_rate_table_with_dates(pages):
    response = pages.get("/announcements")
    assert response.status_code == 200
    html = response.text
    ids = listed_ids(html)
    assert "rate-table-v1" in ids and "2025-reduction-policy-v1" in ids
    assert "2025-repair-notice-001" not in ids  # its notice period ended on 2025-05-20
    assert '<time datetime="2025-01-01">2025-01-01</time>' in html and "减免政策" in html
    assert '<link rel="alternate" type="application/atom+xml"' in html and "信息发布</a>" in html


def test_a_rate_table_announcement_shows_the_rates_the_chain_published(pages):
    html = pages.get("/announcements/rate-table-v1").text
    assert "费率表第 1 版（样例），自 2025-01-01 起施行" in html
    assert "<td>中原区</td><td>¥2,000.00</td>" in html and "不是物价部门的正式费率" in html
    assert re.search(r"发布交易 0x[0-9a-f]{64}", html)


def test_an_unknown_or_expired_announcement_is_a_404_page_in_chinese(pages):
    for announcement_id in ("no-such-thing", "2025-repair-notice-001"):
        response = pages.get(f"/announcements/{announcement_id}")
        assert response.status_code == 404 and "未找到公告" in response.text


def test_the_atom_feed_parses_with_an_entry_per_listed_announcement_each_with_id_updated_and_link(pages):
    response = pages.get("/announcements.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.id == f"{BASE}/announcements"
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": f"{BASE}/announcements.atom",
        "alternate": f"{BASE}/announcements",
    }
    listed = listed_ids(pages.get("/announcements").text)
    assert [entry.id for entry in feed.entries] == [f"{BASE}/announcements/{i}" for i in listed]
    for entry in feed.entries:
        assert entry.link == entry.id and entry.updated_parsed and entry.title and entry.summary
    policy = next(e for e in feed.entries if e.id.endswith("/2025-reduction-policy-v1"))
    assert policy.updated == "2025-01-01T00:00:00+08:00"
    assert feed.feed.updated_parsed == max(entry.updated_parsed for entry in feed.entries)


def test_the_shipped_file_is_a_labelled_sample():
    assert all("样例" in a.title for a in shipped_announcements())


def test_without_a_public_base_url_a_spoofed_host_writes_nothing_into_the_feed(public_world):
    """The feed is public and cacheable: its links follow the configuration, never the Host header.
    Unconfigured, links are bare paths (the reader resolves them against the feed's own address) and
    ids are tag URIs on a reserved name."""
    app = create_app(public_world.settings(api={"public_burst": 1000, "allowed_hosts": "testserver,evil.example"}))
    with TestClient(app, follow_redirects=False) as client:  # (a Host the site serves: others get 400)
        response = client.get("/announcements.atom", headers={"Host": "evil.example"})
    assert response.status_code == 200 and "evil.example" not in response.text
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": "/announcements.atom",
        "alternate": "/announcements",
    }
    assert feed.feed.id == "tag:fee-ledger.invalid,2025:/announcements"
    assert all(entry.link.startswith("/announcements/") for entry in feed.entries) and feed.entries
    assert all(entry.id == "tag:fee-ledger.invalid,2025:" + entry.link for entry in feed.entries)


def test_an_inspection_s_results_are_announced_in_the_list_on_a_page_of_their_own_and_in_the_feed(
    inspected,  # noqa: F811
):
    client, _ = inspected
    announcement_id = f"inspection-{DRAW.hex()}"
    listed = client.get("/announcements").text
    assert announcement_id in listed_ids(listed) and "双随机抽查结果：2026年第一季度 金水区" in listed
    assert "检查结果" in listed
    page = client.get(f"/announcements/{announcement_id}").text
    assert "不实承诺 1 项" in page and "尚待检查 1 项" in page
    assert f"/inspections#draw-0x{DRAW.hex()}" in page
    assert f'id="draw-0x{DRAW.hex()}"' in client.get("/inspections").text  # where the link lands
    feed = feedparser.parse(client.get("/announcements.atom").content)
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = [e for e in feed.entries if e.link.endswith(f"/announcements/{announcement_id}")]
    assert entry.tags[0].term == "inspection" and "不实承诺 1 项" in entry.summary and entry.updated_parsed
