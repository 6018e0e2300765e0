"""A write path wired to a development node (Hardhat or anvil): database, writer, indexer, service helpers."""

import itertools
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ledger.db.engine import make_engine
from ledger.db.write_model import OutboxCommand
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc
from ledger.writer.writer import OutboxWriter, WriterConfig

_owners = itertools.count()
PAID_FEN = 9  # IFeeLedger.FeeAccount.paidFen (v2 struct order)


def chain_time(chain):
    """Now, as a datetime: the chain's clock, or the wall clock if later. Hardhat runs ahead of the
    wall clock (a block per transaction, each at least a second after the last; anvil lets blocks
    share a second); FeeLedger v3 judges a payment against the levy's issue time (wall clock)."""
    import time
    from datetime import datetime, timezone

    return datetime.fromtimestamp(max(chain.now(), int(time.time())), timezone.utc)


def paid_on_chain(chain, project_code: str) -> int:
    """What the FeeLedger has recorded as paid for a project (the contract's own view)."""
    from ledger.core.identifiers import project_key

    return chain.fee.functions.feeAccount(project_key(project_code)).call()[PAID_FEN]


@dataclass
class WritePath:
    """The database (write + read model), an in-process writer and indexer on the chain fixture."""

    chain: object
    url: str
    engine: Engine

    def session(self) -> Session:
        return Session(self.engine)

    def writer(self, cls=OutboxWriter, owner: str = "writer-under-test", **config) -> OutboxWriter:
        return cls(
            engine=self.engine,
            rpc=JsonRpc(self.chain.node.url, timeout=10),
            manifest=self.chain.manifest,
            signers=self.chain.signers,
            owner=owner,
            config=WriterConfig(**config),
        )

    def indexer(self) -> Indexer:
        return Indexer(
            engine=make_engine(self.url),
            rpc=JsonRpc(self.chain.node.url),
            manifest=self.chain.manifest,
            config=IndexerConfig(),
            owner=f"indexer-{next(_owners)}",
        )

    def statuses(self) -> dict[str, int]:
        with self.session() as s:
            return dict(s.execute(select(OutboxCommand.status, func.count()).group_by(OutboxCommand.status)).all())

    def drain(self, writer: OutboxWriter | None = None, rounds: int = 50) -> OutboxWriter:
        """Writer rounds until nothing is accepted or submitted."""
        writer = writer or self.writer()
        for _ in range(rounds):
            writer.run_once()
            statuses = self.statuses()
            if not statuses.get("accepted") and not statuses.get("submitted"):
                return writer
        raise AssertionError(f"the outbox did not drain: {self.statuses()}")
