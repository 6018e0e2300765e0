"""Every value an event can carry is stored exactly (issue 14 item 3): the projector and the store
given decoded logs whose every field holds its largest value, on SQLite and PostgreSQL.

The logs are encoded from the ABIs the indexer decodes with, so an event added or changed by a
new contract version is covered without editing this file."""

import pytest
from alembic import command
from eth_abi import encode
from eth_utils import event_abi_to_log_topic
from sqlalchemy import select, text

from ledger.chain.artifacts import CONTRACT_NAMES, load_artifact
from ledger.db.engine import make_engine
from ledger.db.schema import alembic_config, upgrade_schema
from ledger.db.read_model import AGGREGATE_TABLES, EVENT_TABLES, from_db, to_sqlite
from ledger.chain.events import V2_ABIS, decode_log
from ledger.indexer import aggregates, store
from ledger.indexer.projector import COLUMNS, Batch, reason_text
from ledger.indexer.store import Header

CHAIN_ID = 31337
NOT_UTF8 = b"\xff" * 32
# uint8 arguments that are enums on chain: their largest value is the enum's last member
ENUM_MAX = {"kind": 3, "status": 6, "outcome": 3}  # outcome: InspectionDraws.Outcome
U64_MAX = 2**64 - 1


def largest(name: str, abi_type: str):
    if name in ENUM_MAX:
        return ENUM_MAX[name]
    if abi_type.startswith("uint"):
        return 2 ** int(abi_type[4:] or 256) - 1
    if abi_type.startswith("int"):
        return 2 ** (int(abi_type[3:] or 256) - 1) - 1
    if abi_type == "bool":
        return True
    if abi_type == "address":
        return "0x" + "ff" * 20
    return b"\xff" * int(abi_type[5:])  # bytesN: not UTF-8


def event_abis(layouts: str) -> dict[str, tuple[str, dict]]:
    """Every event by name; with layouts "v2", the v2 layouts of the events v3 changed (a v2 deployment)."""
    found = {}
    for contract in CONTRACT_NAMES:
        for item in load_artifact(contract)["abi"]:
            if item["type"] == "event":
                found.setdefault(item["name"], (contract, item))
    if layouts == "v2":
        found |= {item["name"]: (contract, item) for contract, items in V2_ABIS.items() for item in items}
        del found["OverRefundFlagged"]
    return found


def raw_log(item: dict, values: dict, block: int, index: int) -> dict:
    indexed = [x for x in item["inputs"] if x["indexed"]]
    data = [x for x in item["inputs"] if not x["indexed"]]
    topics = ["0x" + event_abi_to_log_topic(item).hex()]
    topics += ["0x" + encode([x["type"]], [values[x["name"]]]).hex() for x in indexed]
    return {
        "topics": topics,
        "data": "0x" + encode([x["type"] for x in data], [values[x["name"]] for x in data]).hex(),
        "blockNumber": hex(block),
        "logIndex": hex(index),
        "blockHash": "0x" + f"{block:064x}",
        "transactionHash": "0x" + f"{index:064x}",
        "address": "0x" + "11" * 20,
    }


def word(n: int) -> bytes:
    """A distinct bytes32 key near the top of the range (the largest key is taken by one subject)."""
    return b"\xff" * 31 + bytes([n])


def largest_logs(block: int, layouts: str) -> list[tuple[str, dict]]:
    """Every event with every field at its largest; events that change an account or a commitment
    come after the event that makes it, each on a subject of its own (so no sum exceeds a uint64)."""
    abis, logs = event_abis(layouts), []

    def emit(name: str, **override) -> None:
        contract, item = abis[name]
        values = {x["name"]: largest(x["name"], x["type"]) for x in item["inputs"]} | override
        logs.append((contract, raw_log(item, values, block, len(logs))))

    for n, name in enumerate(sorted(abis)):
        inputs = {x["name"] for x in abis[name][1]["inputs"]}
        subject = {key: word(n) for key in {"project", "commitment", "voucher", "refundRef"} & inputs}
        if "project" in subject and name not in ("FeeAssessed", "AccountImported"):
            emit("FeeAssessed", project=subject["project"])
        if "commitment" in subject and name not in ("CommitmentRecorded", "CommitmentImported"):
            emit("CommitmentRecorded", commitment=subject["commitment"])
        emit(name, **subject)
    return logs


def index_largest(url: str, layouts: str) -> tuple[object, Batch, list]:
    engine = make_engine(url)
    upgrade_schema(engine)
    logs = largest_logs(2, layouts)
    batch = Batch(CHAIN_ID)
    decoded = [(contract, decode_log(raw)) for contract, raw in logs]
    for contract, log in decoded:
        batch.add(contract, log, {})
    batch.rows["block_times"].append((CHAIN_ID, 2, "0x" + f"{2:064x}", 1_700_000_000))
    genesis, first = Header(1, "0x" + "01" * 32, "0x" + "00" * 32), Header(2, "0x" + f"{2:064x}", "0x" + "01" * 32)
    with engine.begin() as conn:
        store.start(conn, CHAIN_ID, "0x" + "00" * 32, genesis, {"0x" + "11" * 20})
        store.write_batch(conn, batch, [first], genesis, first, keep_blocks=64)
    return engine, batch, decoded


def stored(engine) -> dict[str, list[tuple]]:
    """Every event and aggregate row, read through the models (so through their column types)."""
    with engine.connect() as conn:
        return {
            m.__tablename__: sorted(tuple(r) for r in conn.execute(select(m.__table__)))
            for m in [*EVENT_TABLES, *AGGREGATE_TABLES]
        }


@pytest.mark.parametrize("layouts", ["v3", "v2"])
def test_every_event_with_every_field_at_its_largest_is_stored_exactly_and_checkpointed(database_url, layouts):
    engine, batch, decoded = index_largest(database_url, layouts)
    tables = stored(engine)
    for table, rows in batch.rows.items():
        columns = COLUMNS[table]
        expected = sorted(tuple(bool(v) if isinstance(v, bool) else v for v in row) for row in rows)
        assert [r[: len(columns)] for r in tables[table]] == expected or table == "raw_events", table
    assert len(tables["raw_events"]) == len(decoded) and all(log.event for _, log in decoded)
    imported = next(log.args for _, log in decoded if log.event == "AccountImported")
    assert imported["dueFen"] == (None if layouts == "v2" else U64_MAX)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT block_number FROM chain_state")).scalar() == 2
        assert (
            conn.execute(text("SELECT rate_fen_per_m2 FROM rates")).scalar() == U64_MAX
            or engine.dialect.name == "sqlite"
        )
        amounts = [from_db(v) for v in conn.execute(text("SELECT amount_fen FROM payments")).scalars()]
        reasons = set(
            conn.execute(
                text("SELECT reason FROM fee_reliefs UNION SELECT reason FROM refunds WHERE NOT imported")
            ).scalars()
        )
        due = [from_db(v) for v in conn.execute(text("SELECT due_at FROM commitments")).scalars()]
    assert amounts == [U64_MAX, U64_MAX]  # recorded and imported
    assert reasons == {"0x" + NOT_UTF8.hex()}
    assert due and set(due) == {U64_MAX}
    engine.dispose()


@pytest.mark.parametrize("layouts", ["v3", "v2"])
def test_the_largest_values_recount_to_the_same_aggregates_as_the_incremental_folds(database_url, layouts):
    engine, batch, _ = index_largest(database_url, layouts)
    before = stored(engine)
    with engine.begin() as conn:
        store._refresh_aggregates(
            conn, CHAIN_ID, {change[0] for change in batch.fee_changes}, batch.commitments, set(batch.summary_changes)
        )
    after = stored(engine)
    assert after == before
    accounts = {row[1]: row for row in after["fee_accounts"]}
    assert max(row[aggregates.FEE_ACCOUNT_COLUMNS.index("paid_fen")] for row in accounts.values()) == U64_MAX
    engine.dispose()


def test_a_reason_code_is_decoded_as_text_and_any_other_word_stays_its_hex():
    assert reason_text("0x" + b"ANNULLED".ljust(32, b"\0").hex()) == "ANNULLED"
    for other in (NOT_UTF8, b"AB\0C".ljust(32, b"\0"), "减免".encode().ljust(32, b"\0"), b"A B".ljust(32, b"\0")):
        assert reason_text("0x" + other.hex()) == "0x" + other.hex()


def test_an_existing_read_model_migrated_to_lossless_keeps_its_rows_and_then_takes_the_largest_values(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:  # the schema before 0006_lossless
        command.upgrade(alembic_config(conn), "0006")
    proof = (CHAIN_ID, 1, 0, "0x" + "01" * 32, "0x" + "02" * 32)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rates (chain_id, block_number, log_index, block_hash, transaction_hash, version, "
                "district, rate_fen_per_m2) VALUES (:c, :b, :i, :h, :t, 1, 2, :r)"
            ),
            dict(zip("cbiht", proof), r=2**63 - 1),
        )
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006_lossless")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rates (chain_id, block_number, log_index, block_hash, transaction_hash, version, "
                "district, rate_fen_per_m2) VALUES (:c, 2, 0, :h, :t, 9, 2, :r)"
            ),
            dict(zip("cbiht", proof), r=to_sqlite(U64_MAX) if engine.dialect.name == "sqlite" else U64_MAX),
        )
        rates = [
            tuple(map(from_db, row))
            for row in conn.execute(text("SELECT version, rate_fen_per_m2 FROM rates ORDER BY rate_fen_per_m2"))
        ]
    assert rates == [(1, 2**63 - 1), (9, U64_MAX)]  # ordered by value on both databases
    engine.dispose()
