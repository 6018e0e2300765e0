"""信息发布: the announcements (rate-table changes, reduction policy, inspection results, repair
notices in their notice period) as dated pages, and the same list as an Atom feed (RFC 4287, made
with feedgen) that readers and other sites can follow. Public; data from ledger.domain.announcements."""

from fastapi import APIRouter, Depends, Path, Request
from feedgen.feed import FeedGenerator
from starlette.responses import Response

from ledger.domain.announcements import Announcement, get_announcement, list_announcements
from ledger.domain.common import today
from ledger.domain.errors import NotFound
from portal.pages import PageError, page_rate_limit, render
from web.kit.deps import SessionDep, settings_for

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limit)])
CATEGORY = {
    "rate_table": "费率调整",
    "reduction_policy": "减免政策",
    "inspection": "检查结果",
    "repair_notice": "信用修复公示",
    "policy": "政策文件",
}
FEED_TITLE = "人防易地建设费 · 信息发布"
UNCONFIGURED_ID = "tag:fee-ledger.invalid,2025:"


@router.get("/announcements")
def announcements_page(request: Request, session: SessionDep):
    items = list_announcements(session, on=today())
    return render(request, "announcements.html", announcements=items, category=CATEGORY)


@router.get("/announcements.atom")
def announcements_feed(request: Request, session: SessionDep):
    items = list_announcements(session, on=today())
    feed = FeedGenerator()
    feed.id(feed_id(request, "announcements_page"))
    feed.title(FEED_TITLE)
    feed.language("zh-CN")
    feed.link(href=public_url(request, "announcements_feed"), rel="self")
    feed.link(href=public_url(request, "announcements_page"), rel="alternate")
    feed.author(name="人防办")
    if items:  # with none, feedgen says "now"
        feed.updated(max(a.updated_at for a in items))
    for announcement in reversed(items):  # feedgen puts the last one added first
        entry = feed.add_entry()
        url = public_url(request, "announcement_page", announcement_id=announcement.id)
        entry.id(feed_id(request, "announcement_page", announcement_id=announcement.id))
        entry.title(announcement.title)
        entry.link(href=url, rel="alternate")
        entry.published(announcement.updated_at)
        entry.updated(announcement.updated_at)
        entry.category(term=announcement.category, label=CATEGORY[announcement.category])
        entry.summary(summary_of(announcement))
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml; charset=utf-8")


@router.get("/announcements/{announcement_id}")
def announcement_page(request: Request, session: SessionDep, announcement_id: str = Path(max_length=80)):
    try:
        announcement = get_announcement(session, announcement_id, on=today())
    except NotFound:
        raise PageError(404, "未找到公告", "该公告不存在或已过公示期。请从信息发布列表查看。") from None
    return render(request, "announcement.html", announcement=announcement, category=CATEGORY)


def summary_of(announcement: Announcement) -> str:
    return "\n".join(announcement.body)


def public_url(request: Request, name: str, **params: str) -> str:
    """A link in the feed: under the configured public base URL; without one, the bare path, which a
    reader resolves against the address it fetched the feed from (RFC 3986 §5.1.3). Never the
    request's Host header: anyone can send one, and a cached feed would carry their links."""
    path = request.url_for(name, **params).path
    return (settings_for(request).portal.public_base_url or "") + path


def feed_id(request: Request, name: str, **params: str) -> str:
    """An Atom id must be an absolute IRI: the public address, or without one a tag URI (RFC 4151)
    on a name reserved never to resolve (.invalid, RFC 2606) that no Host header can change."""
    if settings_for(request).portal.public_base_url:
        return public_url(request, name, **params)
    return UNCONFIGURED_ID + request.url_for(name, **params).path
