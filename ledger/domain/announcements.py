"""Announcements (信息发布): policy documents and notices the public reads, newest first.

Two sources, both reviewable: the office's own announcements (reduction policy, policy documents,
repair notices) are a versioned data file the package ships (data/announcements.json, validated here;
a change to it is a reviewed commit, so no table and no editor are needed), and what the chain
records is announced from the read model the moment the indexer sees it: one announcement per rate
table published on chain, saying what the chain charges, and one per random inspection's results
(检查结果: a revealed draw once an outcome of a commitment it selected is on chain, dated by that
outcome's block, ledger.domain.inspections). A repair notice (信用修复公示) is shown only in its
notice period: the data file's by their dates, and one live notice per repair application the office
published (ledger.domain.repairs), while its period runs on the chain's clock.
"""

from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.chain.rate_tables import is_sample_basis
from ledger.core.identifiers import DISTRICTS
from ledger.db.read_model import BlockTime, read_sql
from ledger.domain import chain_time, inspections, repairs
from ledger.domain.common import SHANGHAI
from ledger.domain.errors import NotFound
from ledger.domain.repair_gate import ends_text

SHIPPED_ANNOUNCEMENTS = Path(__file__).resolve().parent / "data" / "announcements.json"
Category = Literal["rate_table", "reduction_policy", "inspection", "repair_notice", "policy"]
INSPECTION_OUTCOME = {"conforms": "符合承诺", "minor_findings": "存在轻微问题", "false_commitment": "不实承诺"}


class DistrictRate(BaseModel):
    district: str  # the district's name
    rate_fen_per_m2: int


class Announcement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,79}$")  # also its URL
    category: Category
    title: str = Field(min_length=1, max_length=120)
    published_on: date
    notice_until: date | None = None  # a notice's last day: not shown after it
    body: list[str] = Field(min_length=1)
    rates: list[DistrictRate] = []  # a rate table's rates, by district
    updated: datetime | None = None  # when it last changed (a rate table: its block's time)
    repair_application_id: str | None = None  # a live repair notice's application: objections name it
    inspection_draw: str | None = None  # an inspection's results: its draw on chain, on the public page

    @property
    def updated_at(self) -> datetime:
        return self.updated or datetime.combine(self.published_on, time(0), SHANGHAI)

    def shown_on(self, day: date) -> bool:
        return self.published_on <= day and (self.notice_until is None or day <= self.notice_until)


class AnnouncementFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample: bool
    notice: str
    announcements: list[Announcement]


@cache
def shipped_announcements() -> tuple[Announcement, ...]:
    """The office's announcements from the data file; a malformed file fails here, naming the field."""
    return tuple(AnnouncementFile.model_validate_json(SHIPPED_ANNOUNCEMENTS.read_text()).announcements)


def rate_table_announcements(session: Session) -> list[Announcement]:
    """One announcement per rate table the chain the read model mirrors has published."""
    rows = session.execute(
        read_sql("""
        SELECT t.version, t.effective_from, t.basis_hash, t.transaction_hash, b.timestamp
        FROM rate_tables t
        LEFT JOIN block_times b ON b.chain_id = t.chain_id AND b.block_number = t.block_number
        WHERE t.chain_id = (SELECT chain_id FROM chain_state ORDER BY updated_at DESC LIMIT 1)
        ORDER BY t.version""")
    ).all()
    rates = session.execute(
        read_sql("""
        SELECT version, district, rate_fen_per_m2 FROM rates
        WHERE chain_id = (SELECT chain_id FROM chain_state ORDER BY updated_at DESC LIMIT 1)
        ORDER BY version, district""")
    ).all()
    by_version: dict[int, list[DistrictRate]] = {}
    for version, district, fen in rates:
        name = DISTRICTS.get(str(district), str(district))
        by_version.setdefault(version, []).append(DistrictRate(district=name, rate_fen_per_m2=fen))
    announcements = []
    for version, effective_from, basis_hash, transaction_hash, published_at in rows:
        effective = datetime.fromtimestamp(effective_from, UTC).astimezone(SHANGHAI)
        published = datetime.fromtimestamp(published_at or effective_from, UTC).astimezone(SHANGHAI)
        sample = "（样例）" if is_sample_basis(basis_hash) else ""
        announcements.append(
            Announcement(
                id=f"rate-table-v{version}",
                category="rate_table",
                title=f"人防易地建设费费率表第 {version} 版{sample}，自 {effective:%Y-%m-%d} 起施行",
                published_on=published.date(),
                updated=published,
                body=[
                    f"费率表第 {version} 版已在区块链账本上发布，自 {effective:%Y年%m月%d日 %H:%M}（北京时间）起施行，"
                    "此后核定的易地建设费按下表费率计算。",
                    f"依据文件摘要 {basis_hash}；发布交易 {transaction_hash}。",
                ]
                + (["本费率表为开发与测试用样例，不是物价部门的正式费率。"] if sample else []),
                rates=by_version.get(version, []),
            )
        )
    return announcements


def inspection_announcements(session: Session) -> list[Announcement]:
    """One announcement of results per revealed draw once an outcome of a commitment it selected is on
    chain: published on the day of the first such outcome's block, updated at the latest's. An outcome
    for a commitment the draw did not select (only the contract's direct callers can record one) is not
    a result of the draw: it is left out here, and the public page flags it."""
    draws = [
        d
        for d in inspections.public_draws(session).items
        if d.selected_commitments and any(o.commitment in d.selected_commitments for o in d.outcomes)
    ]
    if not draws:
        return []
    blocks = {o.proof.block_number for d in draws for o in d.outcomes}
    times = dict(
        session.execute(
            select(col(BlockTime.block_number), col(BlockTime.timestamp)).where(
                col(BlockTime.chain_id) == draws[0].committed.chain_id, col(BlockTime.block_number).in_(blocks)
            )
        )
        .tuples()
        .all()
    )
    announcements = []
    for draw in draws:
        selected = draw.selected_commitments or []
        results = [o for o in draw.outcomes if o.commitment in selected and o.proof.block_number in times]
        if not results:
            continue
        first, latest = (
            datetime.fromtimestamp(times[o.proof.block_number], UTC).astimezone(SHANGHAI)
            for o in (results[0], results[-1])
        )
        name = draw.draw_number or draw.draw
        counts = {kind: sum(o.outcome == kind for o in results) for kind in INSPECTION_OUTCOME}
        scope = f"检查期间 {draw.period_start} 至 {draw.period_end} 已履约的承诺" if draw.period_start else "候选承诺"
        district = f"（{DISTRICTS.get(draw.district, draw.district)}）" if draw.district else ""
        announcements.append(
            Announcement(
                id=f"inspection-{draw.draw[2:]}",
                category="inspection",
                title=f"双随机抽查结果：{draw.title or name}"[:120],
                published_on=first.date(),
                updated=latest,
                body=[
                    f"抽查编号 {name}。{scope}{district}共 {draw.pool_size} 项，按链上揭示的随机种子抽取 "
                    f"{draw.commitments_to_pick} 项承诺、{draw.inspectors_to_pick} 名检查人员。",
                    "检查结果："
                    + "，".join(f"{label} {counts[kind]} 项" for kind, label in INSPECTION_OUTCOME.items())
                    + f"；尚待检查 {len(selected) - len(results)} 项。",
                    *(
                        f"承诺 {draw.commitment_numbers.get(o.commitment, o.commitment)}："
                        f"{INSPECTION_OUTCOME[o.outcome]}；检查报告摘要 {o.document_hash}；"
                        f"上链交易 {o.proof.transaction_hash}。"
                        for o in results
                    ),
                    "不实承诺作为信用事件计入企业的链上信用记录。抽中名单可由公布的抽取池与链上随机种子自行复算，"
                    "详见双随机抽查公示页。",
                ],
                inspection_draw=draw.draw,
            )
        )
    return announcements


def repair_notice_announcements(session: Session) -> list[Announcement]:
    """One notice per repair application in its notice period now, on the chain's clock."""
    now = chain_time.chain_clock().now()
    notices = []
    for application in repairs.published_notices(session):
        if not application.in_notice(now):
            continue
        published, ends = application.published_at, application.notice_ends_at
        assert published is not None and ends is not None
        algorithm = "SM3" if application.digest_algorithm == "sm3" else "SHA-256"
        project = f"（项目 {application.project_code}）" if application.project_code else ""
        notices.append(
            Announcement(
                id=f"repair-notice-{application.id}",
                category="repair_notice",
                title=f"信用修复公示：承诺 {application.commitment_number}"[:120],
                published_on=published.astimezone(SHANGHAI).date(),
                notice_until=ends.astimezone(SHANGHAI).date(),
                updated=published.astimezone(SHANGHAI),
                body=[
                    f"统一社会信用代码为 {application.enterprise_uscc} 的企业，就承诺 {application.commitment_number}"
                    f"{project}被认定违约一事申请信用修复。人防办已受理，现予公示。",
                    f"公示期：{ends_text(published)} 至 {ends_text(ends)}（北京时间）。公示期内，任何单位和个人"
                    "均可通过咨询投诉渠道对本公示提出异议；公示期满，人防办结合异议作出是否修复的决定。",
                    f"企业的整改说明：{application.statement}",
                    f"整改材料共 {len(application.files)} 份，申请摘要（{algorithm}）{application.evidence_digest}；"
                    "批准后，该摘要随信用修复写入区块链账本。",
                ],
                repair_application_id=application.id,
            )
        )
    return notices


def list_announcements(session: Session, *, on: date) -> list[Announcement]:
    """The announcements shown on `on` (Shanghai date), newest first; live repair notices while their
    notice period runs on the chain's clock."""
    every = [*shipped_announcements(), *rate_table_announcements(session), *inspection_announcements(session)]
    shown = [a for a in every if a.shown_on(on)] + repair_notice_announcements(session)
    return sorted(shown, key=lambda a: (a.published_on, a.updated_at, a.id), reverse=True)


def get_announcement(session: Session, announcement_id: str, *, on: date) -> Announcement:
    for announcement in list_announcements(session, on=on):
        if announcement.id == announcement_id:
            return announcement
    raise NotFound(f"no announcement {announcement_id} is published", field="announcement", rule="published")
