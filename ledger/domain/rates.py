"""Rates from the tables published on chain, and the reduction policy (package data, shipped as a SAMPLE).

`base = round_half_up(shortfall_area × rate / 100)` fen, area in 0.01 m², rate in fen per m²;
relief takes `round_half_up(base × relief_bps / 10,000)` off. FeeLedger v2 looks the rate up
itself from the table version and district the assessment names; the services read the same
tables from the read model (RateTablePublished / RatePublished), so what they show is what
the chain charges. The sample table is published by `ledger deploy` on the development chain
(ledger.chain.rate_tables.SAMPLE_RATE_TABLE); the services never read it, they only recognise it.

The reduction policy (减免: which reason codes halve or waive the fee) has no other source than the
data file the package ships: it is the policy in force everywhere, a clearly labelled sample (its
`sample` flag, notice and labels say so) until the city's policy replaces the file.
"""

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session

from ledger.db.read_model import read_sql
from ledger.domain.common import day_bounds

SHIPPED_REDUCTION_POLICY = Path(__file__).resolve().parent / "data" / "reductions.sample.json"
SURVEY_SUPPLEMENT = "SURVEY_SUPPLEMENT"  # 补缴 after the surveyed area
SURVEY_REDUCTION = "SURVEY_REDUCTION"  # 核减 after the surveyed area
FULL_RELIEF_BPS = 10_000


@dataclass(frozen=True)
class Rate:
    version: int
    rate_fen_per_m2: int
    effective_from: int  # unix seconds
    basis_hash: str  # 0x-hex SHA-256 of the table's legal basis, as published


def fee_fen(shortfall_area: int, rate_fen_per_m2: int) -> int:
    """round_half_up(shortfall_area × rate / 100) in integers (area in 0.01 m²)."""
    return (shortfall_area * rate_fen_per_m2 + 50) // 100


def relief_fen(base_fen: int, relief_bps: int) -> int:
    """round_half_up(base × relief_bps / 10,000), as FeeLedger v2 computes it."""
    return (base_fen * relief_bps + 5_000) // 10_000


def shortfall(required_shelter_area: int, built_shelter_area: int) -> int:
    return max(0, required_shelter_area - built_shelter_area)


def rate_for(session: Session, district: str, on: date) -> Rate | None:
    """The newest published table in effect by the end of `on` (Asia/Shanghai) with a rate for `district`."""
    _, end = day_bounds(on)
    return rate_at(session, district, end - 1)


def rate_at(session: Session, district: str, moment: int) -> Rate | None:
    """The table in effect at `moment` (unix seconds) with a rate for `district`: the one that took
    effect last by then (FeeLedger v3: a later table listing the district supersedes it)."""
    row = session.execute(
        read_sql("""
        SELECT t.version, r.rate_fen_per_m2, t.effective_from, t.basis_hash
        FROM rate_tables t JOIN rates r ON r.chain_id = t.chain_id AND r.version = t.version
        WHERE r.district = :district AND t.effective_from <= :moment
          AND t.chain_id = (SELECT chain_id FROM chain_state ORDER BY updated_at DESC LIMIT 1)
        ORDER BY t.effective_from DESC, t.version DESC LIMIT 1"""),
        {"district": int(district), "moment": moment},
    ).first()
    return Rate(*row) if row else None


@cache
def reduction_policy() -> dict:
    return json.loads(SHIPPED_REDUCTION_POLICY.read_text())


def reduction_percent(reason_code: str) -> int | None:
    """The policy's relief for a reason code (50 = halved, 100 = exempt), None if not a policy reason."""
    reason = reduction_policy()["reasons"].get(reason_code)
    return None if reason is None else int(reason["percent"])


def reason_labels() -> dict[str, str]:
    """Each reason code of the policy (reliefs and survey adjustments) in the words the policy gives it."""
    policy = reduction_policy()
    return {code: reason["label"] for section in ("reasons", "survey") for code, reason in policy[section].items()}


def known_reason(reason_code: str) -> bool:
    policy = reduction_policy()
    return reason_code in policy["reasons"] or reason_code in policy["survey"]
