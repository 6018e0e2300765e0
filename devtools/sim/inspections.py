"""The office's random inspection in the development scenario (双随机、一公开): once joint acceptances
have fulfilled some shelter commitments on chain, the office commits a draw of them through the API
(its pool built by the ledger from the read model), the development chain mines past the reveal
block, the office reveals it and records an outcome for each selected commitment with a report. The
public page (/inspections) then shows the period, the pools, the selection, the outcomes and how to
re-check the draw."""

import logging
import time
from datetime import timedelta

from devtools.sdk import ApiError, path_of
from devtools.sim.systems import Clock, OfficeDesk
from ledger.core.errors import LedgerError

log = logging.getLogger("devtools.sim")

REVEAL_IN_BLOCKS = 20
OUTCOMES = ("conforms", "minor_findings", "false_commitment")


def report_pdf(number: str, outcome: str) -> bytes:
    """A one-page inspection report (a minimal PDF: the document store accepts it by its content)."""
    text = f"Inspection report {number}: {outcome}".encode()
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + text + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def run_draw(office: OfficeDesk, clock: Clock, *, run_tag: int, wait_seconds: float = 120.0) -> dict | None:
    """Commit, reveal and record one draw; None (with a warning) when there was nothing to draw from."""
    today = clock.now().date()
    draw_number = f"DRAW-DEV-{run_tag}"
    request = {
        "draw_number": draw_number,
        "title": f"{today:%Y}年 人防工程建设承诺 履约抽查（开发环境示例）",
        "period_start": (today - timedelta(days=90)).isoformat(),
        "period_end": (today + timedelta(days=30)).isoformat(),
        "commitment_kind": "shelter_build",
        "inspectors": ["INSP-001", "INSP-002", "INSP-003", "INSP-004"],
        "commitments_to_pick": 2,
        "inspectors_to_pick": 2,
        "reveal_in_blocks": REVEAL_IN_BLOCKS,
    }
    deadline = time.monotonic() + wait_seconds
    while True:  # the acceptances' fulfilments may still be on their way to the read model
        try:
            committed = office.post("/v1/office/draws", request)
            break
        except ApiError as exc:
            if exc.problem.get("rule") not in ("non_empty_pool", "at_most_pool_size") or time.monotonic() > deadline:
                log.warning("office: draw %s refused: %s", draw_number, exc)
                return None
            time.sleep(2)
    try:
        office.wait_for(committed["command_id"], timeout=wait_seconds)
        log.info(
            "office: draw %s committed (pool %d, reveal block %d)",
            draw_number,
            committed["pool_size"],
            committed["reveal_block"],
        )
        clock.mine_on_dev_chain(REVEAL_IN_BLOCKS + 1)  # elsewhere the reveal block comes in its own time
        revealed = _until_accepted(office, path_of("v1", "office", "draws", draw_number, "reveal"), deadline)
        office.wait_for(revealed["command_id"], timeout=wait_seconds)
        draw = office.http.get(f"{office.base_url}/v1/public/inspections/{committed['draw']}", timeout=30).json()
        for key, outcome in zip(draw["selected_commitments"], OUTCOMES[::2]):
            number = draw["commitment_numbers"][key]
            response = office.http.post(
                office.base_url + path_of("v1", "office", "draws", draw_number, "outcomes"),
                data={"commitment_number": number, "outcome": outcome},
                files={"file": ("report.pdf", report_pdf(number, outcome), "application/pdf")},
                timeout=30,
            )
            if response.status_code >= 400:
                raise ApiError(response.status_code, response.json())
            office.wait_for(response.json()["command_id"], timeout=wait_seconds)
            log.info("office: inspection of %s in draw %s: %s, on chain", number, draw_number, outcome)
    except (ApiError, LedgerError, KeyError) as exc:
        log.warning("office: draw %s stopped: %s", draw_number, exc)
        return None
    return {"draw": draw_number, "selected": len(draw["selected_commitments"])}


def _until_accepted(office: OfficeDesk, path: str, deadline: float) -> dict:
    """POST until accepted: the reveal is refused until the reveal block is mined (it may lag the indexer)."""
    while True:
        try:
            return office.post(path, {})
        except ApiError as exc:
            if exc.problem.get("rule") not in ("after_reveal_block", "committed_draw") or time.monotonic() > deadline:
                raise
            time.sleep(2)
