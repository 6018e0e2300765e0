"""The sample rate table as the indexer mirrors it after `ledger deploy` published it, for
domain tests that run without a chain (tests with a chain index the real events instead)."""

import time

from sqlalchemy import Engine, insert, text

from ledger.db.read_model import Rate, RateTable
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE

CHAIN_ID = 31337


def mirror_sample_rate_table(engine: Engine) -> None:
    proof = {
        "chain_id": CHAIN_ID,
        "block_number": 1,
        "block_hash": "0x" + "11" * 32,
        "transaction_hash": "0x" + "22" * 32,
    }
    table = SAMPLE_RATE_TABLE
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO chain_state (chain_id, genesis_hash, block_number, block_hash, updated_at) "
                "VALUES (:c, :g, 1, :h, :t)"
            ),
            {"c": CHAIN_ID, "g": "0x" + "00" * 32, "h": proof["block_hash"], "t": time.time()},
        )
        conn.execute(
            insert(RateTable),
            {
                **proof,
                "log_index": 0,
                "version": table.version,
                "effective_from": table.effective_from,
                "district_count": len(table.rates),
                "basis_hash": "0x" + table.basis_hash.hex(),
            },
        )
        conn.execute(
            insert(Rate),
            [
                {**proof, "log_index": i + 1, "version": table.version, "district": district, "rate_fen_per_m2": rate}
                for i, (district, rate) in enumerate(table.district_rates())
            ],
        )
