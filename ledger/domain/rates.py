"""The versioned rate table and the reduction policy: data files, not code (both shipped as SAMPLES).

`fee = round_half_up(shortfall_area × rate / 100)` fen, with the area in 0.01 m² and the rate in
fen per m². The chain records the rate, the table version and `basis_hash` — the SHA-256 of the
version's canonical JSON — so anyone holding the table can recompute every fee.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
RATES_FILE = DATA / "rates.sample.json"
REDUCTIONS_FILE = DATA / "reductions.sample.json"
SURVEY_SUPPLEMENT = "SURVEY_SUPPLEMENT"  # 补缴 after the surveyed area
SURVEY_REDUCTION = "SURVEY_REDUCTION"  # 核减 after the surveyed area


@dataclass(frozen=True)
class Rate:
    version: int
    rate_fen_per_m2: int
    basis: str
    basis_hash: str  # 0x-hex SHA-256 of the version's canonical JSON
    sample: bool


def fee_fen(shortfall_area: int, rate_fen_per_m2: int) -> int:
    """round_half_up(shortfall_area × rate / 100) in integers (area in 0.01 m²)."""
    return (shortfall_area * rate_fen_per_m2 + 50) // 100


def shortfall(required_shelter_area: int, built_shelter_area: int) -> int:
    return max(0, required_shelter_area - built_shelter_area)


@cache
def _rate_table() -> dict:
    return json.loads(RATES_FILE.read_text())


@cache
def reduction_policy() -> dict:
    return json.loads(REDUCTIONS_FILE.read_text())


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def rate_for(district: str, on: date) -> Rate | None:
    """The rate in force in `district` on `on`, or None before the first version."""
    table = _rate_table()
    current = None
    for entry in sorted(table["versions"], key=lambda e: e["effective_from"]):
        if date.fromisoformat(entry["effective_from"]) <= on:
            current = entry
    if current is None:
        return None
    rate = current["rates"].get(district, current["default_rate_fen_per_m2"])
    return Rate(version=current["version"], rate_fen_per_m2=rate, basis=current["basis"],
                basis_hash="0x" + hashlib.sha256(_canonical(current)).hexdigest(), sample=bool(table.get("sample")))


def reduction_percent(reason_code: str) -> int | None:
    """The policy's reduction for a reason code (50 = halved, 100 = exempt), None if not a policy reason."""
    reason = reduction_policy()["reasons"].get(reason_code)
    return None if reason is None else int(reason["percent"])


def known_reason(reason_code: str) -> bool:
    policy = reduction_policy()
    return reason_code in policy["reasons"] or reason_code in policy["survey"]
