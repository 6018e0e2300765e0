"""`ledger audit verify`: rebuild along the independent path into a scratch database, then
compare with the live read model up to its checkpoint."""

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from ledger.audit.compare import TableDiff, compare
from ledger.audit.rebuild import DecoderKind, rebuild
from ledger.chain.manifest import Manifest
from ledger.core.errors import LedgerError
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema

if TYPE_CHECKING:  # the audit is handed a connected Web3; only ledger.chain imports web3
    from web3 import Web3


class AuditError(LedgerError):
    """The audit cannot run: no read model, or it was built on another chain or fork."""


@dataclass
class AuditReport:
    chain_id: int
    checkpoint: int  # the live read model's checkpoint: the audit covers every block up to it
    events: int
    tables: list[TableDiff]
    rebuild_seconds: float
    compare_seconds: float

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)

    def lines(self) -> list[str]:
        out = [
            f"chain {self.chain_id}, blocks up to {self.checkpoint}: {self.events} events rebuilt from the chain "
            f"in {self.rebuild_seconds:.1f} s, compared in {self.compare_seconds:.1f} s"
        ]
        for t in self.tables:
            if t.equal:
                out.append(f"  {t.table:<32} equal ({t.rows} rows)")
            else:
                out.append(
                    f"  {t.table:<32} DIFFERS: {t.changed} changed, {t.missing} missing from the read model, "
                    f"{t.extra} not on chain (of {t.rows} rows)"
                )
                out.extend(f"      {example}" for example in t.examples)
        differing = [t.table for t in self.tables if not t.equal]
        out.append(
            "read model EQUALS the chain"
            if not differing
            else f"read model DIFFERS from the chain in {len(differing)} table(s): {', '.join(differing)}"
        )
        return out


def _checkpoint(live: Engine, chain_id: int) -> tuple[int, str]:
    with live.connect() as conn:
        row = conn.execute(
            text("SELECT block_number, block_hash FROM chain_state WHERE chain_id = :c"), {"c": chain_id}
        ).first()
    if row is None:
        raise AuditError(f"the read model has no checkpoint for chain {chain_id}: nothing indexed to audit")
    return row[0], row[1]


def verify(
    w3: "Web3",
    manifest: Manifest,
    live: Engine,
    *,
    scratch_url: str | None = None,
    decoder: DecoderKind = "codec",
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Rebuild the read model up to the live checkpoint (into `scratch_url`, or a temporary
    SQLite file) and compare it with the live one."""
    if (chain_id := w3.eth.chain_id) != manifest.chain_id:
        raise AuditError(f"the node serves chain {chain_id}, the manifest chain {manifest.chain_id}")
    checkpoint, checkpoint_hash = _checkpoint(live, manifest.chain_id)
    block = w3.eth.get_block(checkpoint)
    if "0x" + bytes(block["hash"]).hex() != checkpoint_hash:
        raise AuditError(
            f"the read model's checkpoint {checkpoint} ({checkpoint_hash}) is not on the node's chain "
            f"(its block {checkpoint} is 0x{bytes(block['hash']).hex()}): the read model follows another fork"
        )
    with tempfile.TemporaryDirectory(prefix="ledger-audit-") as tmp:
        scratch = make_engine(scratch_url or f"sqlite:///{Path(tmp) / 'rebuilt.db'}")
        try:
            upgrade_schema(scratch)  # the audit's own empty database
            started = time.perf_counter()
            events = rebuild(w3, manifest, scratch, to_block=checkpoint, decoder=decoder, progress=progress)
            rebuilt = time.perf_counter()
            # PostgreSQL: one snapshot of the live read model for the whole comparison
            snapshot = (
                live.execution_options(isolation_level="REPEATABLE READ") if live.dialect.name == "postgresql" else live
            )
            with snapshot.connect() as ours, scratch.connect() as theirs:
                tables = compare(ours, theirs, manifest.chain_id, checkpoint)
            compared = time.perf_counter()
        finally:
            scratch.dispose()
    return AuditReport(manifest.chain_id, checkpoint, events, tables, rebuilt - started, compared - rebuilt)


def live_audit(rpc_url: str, manifest_path: Path, live: Engine) -> Callable[[], list[TableDiff]]:
    """The audit of the live read model against the node at `rpc_url`, as a call to make later (the
    reconciliation runs it among its checks; it raises when the node or the manifest cannot be read)."""

    def audit() -> list[TableDiff]:
        from ledger.chain.manifest import load_manifest
        from ledger.chain.node import connect

        return verify(connect(rpc_url), load_manifest(manifest_path), live).tables

    return audit
