"""Helpers shared by the domain and the portal (ledger.domain.common): money as people read it."""

import pytest

from ledger.domain import fee_matter
from ledger.domain.common import yuan
from portal import pages


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (50, "¥0.50"),
        (123_456, "¥1,234.56"),
        (100_000_000_01, "¥100,000,000.01"),
        (-5, "−¥0.05"),
        (-123_456, "−¥1,234.56"),
    ],
)
def test_fen_are_shown_as_yuan_with_two_decimals_thousands_separators_and_a_kept_minus_sign(fen, shown):
    assert yuan(fen) == shown


def test_the_portal_and_the_fee_matter_show_money_with_the_one_shared_formatter():
    assert pages.yuan(-123_456) == yuan(-123_456) and pages.yuan(None) == "—"
    assert fee_matter.yuan is yuan and not hasattr(fee_matter, "_yuan")
