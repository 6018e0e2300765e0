"""Rate tables of the fee, as published on chain by `FeeLedger.publishRateTable`.

The real rates are set by the city's price bureau; SAMPLE_RATE_TABLE is a clearly labelled
*sample* for development and tests, not the city's figures (`ledger deploy` publishes it on the
development chain). A table is known for the sample by the legal basis it cites (`is_sample_basis`),
so the services label its figures without depending on the sample's rates.
"""

from dataclasses import dataclass

from ledger.core.identifiers import DISTRICTS, document_hash


@dataclass(frozen=True)
class RateTable:
    version: int
    effective_from: int  # unix seconds
    basis_hash: bytes  # digest of the legal basis document (SHA-256, or SM3 under the gm profile)
    rates: dict[str, int]  # district code -> fen per m²

    def district_rates(self) -> list[tuple[int, int]]:
        """The rates as `DistrictRate[]` for the contract call."""
        return [(int(district), rate) for district, rate in sorted(self.rates.items())]


# The legal basis the sample cites in place of the price bureau's document. A fixed marker (SHA-256 under
# every profile), so a chain deployed under one profile is still known for the sample under the other.
SAMPLE_BASIS_HASH = document_hash(b"SAMPLE rate table v1 - not the price bureau's figures")


def is_sample_basis(basis_hash: str) -> bool:
    """Whether a published table's basis hash (0x-hex, as the read model keeps it) is the sample's."""
    return basis_hash == "0x" + SAMPLE_BASIS_HASH.hex()


_URBAN = {"410102", "410103", "410104", "410105", "410106", "410108", "410171", "410172", "410173"}

SAMPLE_RATE_TABLE = RateTable(
    version=1,
    effective_from=1_735_660_800,  # 2025-01-01 00:00 Asia/Shanghai
    basis_hash=SAMPLE_BASIS_HASH,
    rates={district: 200_000 if district in _URBAN else 150_000 for district in DISTRICTS},  # 2,000 / 1,500 yuan per m²
)
