"""Which of the office's draws still ask something of it (the work queue's draws)."""

from datetime import date

import pytest

from ledger.domain.schemas.inspections import OfficeDrawPublic


def draw(status: str, outcomes_recorded: int = 0) -> OfficeDrawPublic:
    return OfficeDrawPublic(
        draw_number="DRAW-2026-Q4-1",
        draw="0x" + "ab" * 32,
        title="2026 年第四季度",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        commitment_kind=None,
        district=None,
        commitments_to_pick=2,
        inspectors_to_pick=1,
        reveal_block=100,
        status=status,
        command_id="cmd",
        outcomes_recorded=outcomes_recorded,
    )


@pytest.mark.parametrize(
    ("status", "outcomes", "open_"),
    [
        ("pending", 0, True),  # on its way to the chain
        ("committed", 0, True),  # to reveal
        ("expired", 0, True),  # nobody revealed it in time: to commit again
        ("revealed", 1, True),  # one selected commitment still to inspect
        ("revealed", 2, False),  # every selected commitment inspected
        ("failed", 0, False),  # the commit failed: nothing on chain to act on
    ],
)
def test_a_draw_is_open_while_the_office_has_something_left_to_do_with_it(status, outcomes, open_):
    assert draw(status, outcomes).open is open_
