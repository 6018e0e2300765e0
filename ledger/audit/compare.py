"""Compare two read models of one chain, table by table and row by row (by primary key).

Values are compared in one form whatever the database (booleans as 0/1, blobs as bytes), so a
PostgreSQL read model can be checked against a SQLite rebuild. Rows are streamed in key order
from both sides and merged, so memory stays flat however long the chain.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ledger.db.read_model import AGGREGATE_TABLES, EVENT_TABLES

AUDITED_TABLES = [*EVENT_TABLES, *AGGREGATE_TABLES]
EXAMPLES = 5  # differing rows named per table


@dataclass
class TableDiff:
    table: str
    rows: int = 0  # rows on the rebuilt side
    missing: int = 0  # on chain, not in the read model
    extra: int = 0  # in the read model, not on chain
    changed: int = 0  # both, with other values
    examples: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    def note(self, text: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(text)


def _value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _rows(conn: Connection, model, chain_id: int, to_block: int | None) -> Iterator[tuple[tuple, dict]]:
    table = model.__table__
    keys = list(table.primary_key.columns)
    query = select(table).where(table.c.chain_id == chain_id).order_by(*keys)
    if to_block is not None and "block_number" in table.c and model in EVENT_TABLES:
        query = query.where(table.c.block_number <= to_block)
    for row in conn.execution_options(yield_per=5_000).execute(query).mappings():
        values = {name: _value(value) for name, value in row.items()}
        yield tuple(values[c.name] for c in keys), values


def compare_table(live: Connection, rebuilt: Connection, model, chain_id: int, to_block: int | None) -> TableDiff:
    diff = TableDiff(model.__tablename__)
    ours, theirs = _rows(live, model, chain_id, to_block), _rows(rebuilt, model, chain_id, to_block)
    left, right = next(ours, None), next(theirs, None)
    while left is not None or right is not None:
        if right is not None and (left is None or right[0] < left[0]):
            diff.rows += 1
            diff.missing += 1
            diff.note(f"{right[0]}: on chain, missing from the read model")
            right = next(theirs, None)
        elif left is not None and (right is None or left[0] < right[0]):
            diff.extra += 1
            diff.note(f"{left[0]}: in the read model, not on chain")
            left = next(ours, None)
        else:
            assert left is not None and right is not None  # the same key on both sides
            diff.rows += 1
            if left[1] != right[1]:
                diff.changed += 1
                columns = [c for c in right[1] if left[1].get(c) != right[1][c]]
                diff.note(
                    f"{right[0]}: "
                    + "; ".join(
                        f"{c} is {left[1].get(c)!r} in the read model, {right[1][c]!r} on chain" for c in columns
                    )
                )
            left, right = next(ours, None), next(theirs, None)
    return diff


def compare(live: Connection, rebuilt: Connection, chain_id: int, to_block: int | None) -> list[TableDiff]:
    return [compare_table(live, rebuilt, model, chain_id, to_block) for model in AUDITED_TABLES]
