"""The office's random inspections (双随机、一公开) in the browser, on the same service as
/v1/office/draws (ledger.domain.draw_office): the list of its draws with a form to commit a new one,
a reveal button on each committed draw (and one to commit it again once nobody revealed it in its
window: its expiry goes on chain first, then the same pools with a new reveal block), and on a
revealed draw its selected commitments, each with an outcome form and the inspection report's upload.
Every write lands on the office's command page; a refusal re-renders the form naming the field and
the rule in Chinese, with nothing queued."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ledger.core.identifiers import Reference
from ledger.domain import chain_time, draw_office
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import DomainError
from ledger.domain.schemas.inspections import DrawCreate, OfficeDrawPublic
from portal.evidence_pages import upload_words
from portal.forms import posted_form
from portal.inspection_pages import OUTCOME
from portal.office_words import refusal_words
from portal.pages import COMMITMENT_KIND, PageError, render
from portal.people import OfficePage
from portal.uploads import TYPE_LIST, megabytes, posted_upload
from web.kit.deps import SessionDep, settings_for

router = APIRouter(prefix="/office/draws", include_in_schema=False)

DRAW_STATUS = {
    "pending": "抽查承诺待上链",
    "committed": "已承诺，待揭示",
    "revealed": "已揭示",
    "expired": "已过期未揭示",
    "failed": "链上拒绝了抽查承诺",
}
# The form's fields (DrawCreate) in a clerk's words: the label, and the rule a value must keep.
FIELDS = {
    "draw_number": ("抽查编号", "1–64 位字母、数字及 . _ / -，例如 DRAW-2026-Q1-410105"),
    "title": ("抽查名称", "请填写，最长 200 字"),
    "period_start": ("检查期间起", "请填写日期，格式为 YYYY-MM-DD"),
    "period_end": ("检查期间止", "请填写日期，格式为 YYYY-MM-DD"),
    "commitment_kind": ("承诺类型", "请从列表中选择"),
    "district": ("行政区划", "6 位数字的行政区划代码，例如 410105；不限区划请留空"),
    "inspectors": ("检查人员", "每行一个检查人员代码（最长 64 位），至少一位"),
    "commitments_to_pick": ("抽取承诺数", "1 至 10000 的整数"),
    "inspectors_to_pick": ("抽取检查人员数", "1 至 1000 的整数"),
    "reveal_in_blocks": ("揭示延迟区块数", "20 至 100000 的整数"),
}
REVEAL_DEFAULT = 20


def draw_words(error: DomainError, *, reveal_block: int | None = None) -> str:
    """The draw service's refusals in a clerk's words, naming the field and the rule."""
    block = f"区块 {reveal_block} " if reveal_block is not None else "揭示区块"
    accepted_blocks = draw_office.REVEAL_WINDOW - draw_office.REVEAL_WINDOW_MARGIN
    last_words = f"（至区块 {reveal_block + accepted_blocks} 止）" if reveal_block is not None else ""
    words = {
        "unique_forever": "抽查编号（draw_number）已经使用过，编号永久唯一，请换一个编号。",
        "period_order": "检查期间止（period_end）：不能早于检查期间起（period_start）。",
        "distinct": "检查人员（inspectors）：同一位检查人员列了两次，每人只列一次。",
        "reveal_delay": f"揭示延迟区块数（reveal_in_blocks）：须为 {FIELDS['reveal_in_blocks'][1]}。",
        "non_empty_pool": "检查期间起（period_start）：该期间内（该承诺类型、该区划）没有已履约的承诺，无可抽取。",
        "at_most_pool_size": "抽取承诺数（commitments_to_pick）：超过了候选承诺的数量。",
        "at_most_roster_size": "抽取检查人员数（inspectors_to_pick）：超过了检查人员名单的人数。",
        "after_reveal_block": f"须待{block}产生之后才能揭示（draw_number）：该区块尚未产生，请稍后再揭示。",
        "reveal_once": "该抽查已揭示（或揭示正在上链），无需重复揭示（draw_number）。",
        "not_expired": "该抽查已过期未揭示，不能再揭示（draw_number）。",
        "reveal_window": f"揭示只在{block}之后 {accepted_blocks} 个区块内受理{last_words}"
        f"（链上须在其后 {draw_office.REVEAL_WINDOW} 个区块内入块，"
        f"留出 {draw_office.REVEAL_WINDOW_MARGIN} 个区块上链），"
        "已超出此范围，该抽查只能待过期后重新提交（draw_number）。",
        "reveal_window_passed": f"该抽查在{block}之后 {draw_office.REVEAL_WINDOW} 个区块内仍可揭示，"
        "请揭示；过了这一范围仍未揭示，才能重新提交（draw_number）。",
        "settled_draw": "该抽查的上一步操作正在上链，入账后再重新提交（draw_number）。",
        "unrevealed_draw": "该抽查已揭示，抽中结果不可更改，不能重新提交（draw_number）。",
        "committed_draw": "抽查承诺尚未上链入账（或被链上拒绝），入账后才能揭示或登记结果（draw_number）。",
        "office_draw": "没有这次抽查（draw_number）。",
        "revealed_draw": "该抽查尚未揭示，揭示后才能登记检查结果（draw_number）。",
        "verified_draw": "该抽查的抽中结果无法复算，请联系系统管理员（draw_number）。",
        "selected_commitment": "该抽查没有抽中这项承诺，只能登记抽中承诺的检查结果（commitment_number）。",
        "outcome_once": "这项承诺的检查结果已经登记，不能重复登记（commitment_number）。",
        "known_outcome": "检查结果（outcome）：请选择符合承诺、存在轻微问题或不实承诺。",
    }
    return words.get(error.rule or "", refusal_words(error))


def form_words(error: ValidationError) -> str:
    """The first field DrawCreate refused, with its label and rule."""
    field = str(error.errors()[0]["loc"][0])
    label, rule = FIELDS.get(field, (field, "格式不正确"))
    return f"{label}（{field}）：{rule}"


def draw_of_form(form: dict[str, str]) -> DrawCreate:
    """The commit form as the API's DrawCreate: empty kind or district mean any; inspectors one a line."""
    return DrawCreate.model_validate(
        {
            **{k: form.get(k, "").strip() for k in ("draw_number", "title", "period_start", "period_end")},
            "commitment_kind": form.get("commitment_kind", "").strip() or None,
            "district": form.get("district", "").strip() or None,
            "inspectors": [line.strip() for line in form.get("inspectors", "").splitlines() if line.strip()],
            "commitments_to_pick": form.get("commitments_to_pick", "").strip(),
            "inspectors_to_pick": form.get("inspectors_to_pick", "").strip(),
            "reveal_in_blocks": form.get("reveal_in_blocks", "").strip() or REVEAL_DEFAULT,
        }
    )


# --- the list, and a new draw ----------------------------------------------------------------------


@router.get("")
def draws_page(request: Request, session: SessionDep, who: OfficePage):
    return _draws_page(request, session, who)


@router.post("")
async def draw_commit(request: Request, session: SessionDep, who: OfficePage):
    form = await posted_form(request)
    try:
        draw = draw_of_form(form)
    except ValidationError as error:
        return await run_in_threadpool(_draws_page, request, session, who, 422, form=form, error=form_words(error))
    try:
        accepted = await run_in_threadpool(
            draw_office.commit_draw,
            session,
            draw=draw,
            head_block=chain_time.head_block,
            actor=who.person.username,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        return await run_in_threadpool(_draws_page, request, session, who, 422, form=form, error=draw_words(error))
    return _to_command(request, accepted.command_id)


@router.post("/{draw_number}/reveal")
async def draw_reveal(
    request: Request, session: SessionDep, who: OfficePage, draw_number: Annotated[Reference, Path()]
):
    try:
        accepted = await run_in_threadpool(
            draw_office.reveal_draw,
            session,
            draw_number=draw_number,
            head_block=chain_time.head_block,
            actor=who.person.username,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        if error.rule == "office_draw":
            raise _no_draw(draw_number) from None
        draw = await run_in_threadpool(_find_draw, session, draw_number)
        words = draw_words(error, reveal_block=draw.reveal_block)
        return await run_in_threadpool(_draws_page, request, session, who, 422, reveal_error=(draw_number, words))
    return _to_command(request, accepted.command_id)


@router.post("/{draw_number}/recommit")
async def draw_recommit(
    request: Request, session: SessionDep, who: OfficePage, draw_number: Annotated[Reference, Path()]
):
    try:
        accepted = await run_in_threadpool(
            draw_office.recommit_draw,
            session,
            draw_number=draw_number,
            reveal_in_blocks=REVEAL_DEFAULT,
            head_block=chain_time.head_block,
            actor=who.person.username,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        if error.rule == "office_draw":
            raise _no_draw(draw_number) from None
        draw = await run_in_threadpool(_find_draw, session, draw_number)
        words = draw_words(error, reveal_block=draw.reveal_block)
        return await run_in_threadpool(_draws_page, request, session, who, 422, reveal_error=(draw_number, words))
    return _to_command(request, accepted.command_id)


def _draws_page(request, session, who, status_code=200, form=None, error=None, reveal_error=None):
    return render(
        request,
        "office/draws.html",
        status_code,
        who=who,
        draws=draw_office.office_draws(session),
        form=form or {"reveal_in_blocks": str(REVEAL_DEFAULT)},
        error=error,
        reveal_error=reveal_error,
        DRAW_STATUS=DRAW_STATUS,
        kinds=COMMITMENT_KIND,
        window=draw_office.REVEAL_WINDOW,
    )


# --- a revealed draw: its selected commitments and their outcomes ----------------------------------


@router.get("/{draw_number}")
def draw_page(request: Request, session: SessionDep, who: OfficePage, draw_number: Annotated[Reference, Path()]):
    return _draw_page(request, session, who, draw_number)


@router.post("/{draw_number}/outcomes")
async def draw_outcome(
    request: Request, session: SessionDep, who: OfficePage, draw_number: Annotated[Reference, Path()]
):
    store = DocumentStore.of(settings_for(request))
    # (the store refuses an empty, oversized or unrecognised file, naming the rule)
    form, content, _ = await posted_upload(request, store, "file")
    commitment_number, outcome = form.get("commitment_number", ""), form.get("outcome", "")
    try:
        accepted = await run_in_threadpool(
            draw_office.record_outcome,
            session,
            draw_number=draw_number,
            commitment_number=commitment_number,
            outcome=outcome,
            document=content,
            store=store,
            actor=who.person.username,
        )
    except DomainError as error:
        await run_in_threadpool(session.rollback)
        if error.rule == "office_draw":
            raise _no_draw(draw_number) from None
        words = upload_words(error, store.max_bytes) if error.field == "file" else draw_words(error)
        status = 413 if error.rule == "max_bytes" else 422
        return await run_in_threadpool(
            _draw_page, request, session, who, draw_number, status, (commitment_number, words)
        )
    return _to_command(request, accepted.command_id)


def _draw_page(request, session, who, draw_number: str, status_code=200, outcome_error=None):
    draw = _find_draw(session, draw_number)
    selected = draw_office.selected_commitments(session, draw_number=draw_number)
    # A refusal is shown at its commitment's form; one naming a commitment not listed, above the list.
    listed = outcome_error is not None and any(s.commitment_number == outcome_error[0] for s in selected)
    return render(
        request,
        "office/draw.html",
        status_code,
        who=who,
        draw=draw,
        selected=selected,
        outcome_error=outcome_error if listed else None,
        page_error=outcome_error[1] if outcome_error is not None and not listed else None,
        OUTCOME=OUTCOME,
        DRAW_STATUS=DRAW_STATUS,
        kinds=COMMITMENT_KIND,
        type_list=TYPE_LIST,
        limit_text=megabytes(settings_for(request).documents.max_bytes),
    )


def _find_draw(session, draw_number: str) -> OfficeDrawPublic:
    found = next((d for d in draw_office.office_draws(session) if d.draw_number == draw_number), None)
    if found is None:
        raise _no_draw(draw_number)
    return found


def _no_draw(draw_number: str) -> PageError:
    return PageError(404, "未找到抽查", f"没有编号为 {draw_number} 的抽查（draw_number）。")


def _to_command(request: Request, command_id: str) -> RedirectResponse:
    return RedirectResponse(request.url_for("command_page", command_id=command_id).path, status_code=303)
