"""The enterprise's notices (提醒与通知): reminders before its commitments' due dates and the outcomes the
chain recorded, newest first, bound to the session's USCC like the rest of the workspace."""

from fastapi import APIRouter, Request

from ledger.domain.notices import notices_of_enterprise
from portal.pages import render
from portal.people import EnterprisePage
from web.kit.deps import SessionDep

router = APIRouter(prefix="/workspace", include_in_schema=False)
# The outcome kinds (ledger.domain.notices.OUTCOMES, inspection_<outcome>); a reminder reads "due in n days".
NOTICE_KIND = {
    "overdue": "承诺已逾期（链上已标记）",
    "breached": "承诺被认定违约",
    "repaired": "信用修复已通过",
    "inspection_conforms": "双随机抽查结果：符合承诺",
    "inspection_minor_findings": "双随机抽查结果：存在轻微问题",
    "inspection_false_commitment": "双随机抽查结果：不实承诺（计入信用记录）",
    # the steps of a repair application (ledger.domain.repair_notices)
    "repair_published": "信用修复申请已公示",
    "repair_rejected": "信用修复申请未通过",
    "repair_approved": "信用修复申请已批准，待上链",
}
# what a notice's date means: a reminder's and an outcome's is the commitment's due date
DATE_LABEL = {"repair_published": "公示期至", "repair_rejected": "决定日期", "repair_approved": "决定日期"}


@router.get("/notices")
def workspace_notices(request: Request, session: SessionDep, who: EnterprisePage):
    notices = notices_of_enterprise(session, uscc=who.person.enterprise_uscc)
    return render(
        request, "workspace/notices.html", who=who, notices=notices, NOTICE_KIND=NOTICE_KIND, DATE_LABEL=DATE_LABEL
    )
