"""Emit a realistic mix of every contract event on a dev chain (benchmarks and tests)."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from eth_utils import keccak
from web3 import Web3

from ledger.chain.node import Sender, contract_at, gas_cap, items_per_transaction
from ledger.core.identifiers import enterprise_key, project_key, reason_code, reference_key
from ledger.chain.manifest import Manifest
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from ledger.core.roles import role_id
from ledger.core.settings import DEV_PEPPER

DAY = 86_400
GRACE = 7 * DAY  # the overdue grace period of a development deployment
PAYMENT_BATCH = 250
COMMITMENT_BATCH = 200
BATCH_BASE_GAS = 100_000  # a batch call's gas besides its items' (fixed limits skip estimation)


@dataclass
class Workload:
    """Senders and contracts for one deployment; every method emits events."""

    w3: Web3
    manifest: Manifest
    signers: dict
    seed: int = 7
    payment_batch: int = PAYMENT_BATCH

    def __post_init__(self):
        self.fee = contract_at(self.w3, "FeeLedger", self.manifest.latest("FeeLedger").address)
        self.registry = contract_at(self.w3, "CommitmentRegistry", self.manifest.latest("CommitmentRegistry").address)
        self.draws = contract_at(self.w3, "InspectionDraws", self.manifest.latest("InspectionDraws").address)
        self.send = {role: Sender(self.w3, account) for role, account in self.signers.items()}
        self.random = random.Random(self.seed)
        self._serial = 0

    def _next(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}-{self.seed}-{self._serial}"

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def travel(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])

    def _tx(self, role: str, call, gas: int = 500_000):
        # A fixed gas limit skips estimation: these calls are known to succeed.
        return self.send[role].send(call, gas=gas)

    @cached_property
    def gas_cap(self) -> int:
        return gas_cap(self.w3.eth.get_block("latest")["gasLimit"])

    def _batched(self, items: list, gas_per_item: int, most: int = 1_000) -> Iterator[tuple[list, int]]:
        """`items` in consecutive runs of at most `most` that each fit one transaction under the
        block gas cap, with the gas each run's transaction is given (nothing for no items)."""
        size = items_per_transaction(self.gas_cap, BATCH_BASE_GAS, gas_per_item, most)
        for start in range(0, len(items), size):
            run = items[start : start + size]
            yield run, BATCH_BASE_GAS + gas_per_item * len(run)

    def assess(self, count: int, district: str = "410105") -> list[bytes]:
        projects, due_at = [], self.now() + 30 * DAY
        for _ in range(count):
            project = project_key(f"2026-{district}-47-01-{self._next('P')}")
            payer = enterprise_key(f"uscc-{self.random.randrange(50)}", DEV_PEPPER)
            area = self.random.randrange(1_000, 200_000)
            self._tx(
                "ASSESSOR_ROLE",
                self.fee.functions.assess(
                    project,
                    payer,
                    int(district),
                    area,
                    SAMPLE_RATE_TABLE.version,
                    self.now(),
                    due_at,
                    reference_key("rates-v1"),
                ),
            )
            projects.append(project)
        return projects

    def relieve(self, projects: list[bytes], count: int) -> None:
        for project in self.random.sample(projects, min(count, len(projects))):
            self._tx(
                "ASSESSOR_ROLE",
                self.fee.functions.setRelief(project, reason_code("AFFORDABLE_HOUSING"), 5_000, reference_key("doc")),
            )

    def adjust(self, projects: list[bytes], count: int) -> None:
        for project in self.random.sample(projects, min(count, len(projects))):
            delta = self.random.choice([-1, 1]) * self.random.randrange(1, 1_000)
            self._tx(
                "ASSESSOR_ROLE",
                self.fee.functions.adjust(project, reason_code("SURVEY_DIFFERENCE"), delta, reference_key("doc")),
            )

    def pay(self, projects: list[bytes], count: int) -> None:
        now = self.now()
        payments = [
            (self.random.choice(projects), reference_key(self._next("V")), self.random.randrange(1, 5_000), now)
            for _ in range(count)
        ]
        for batch, gas in self._batched(payments, 40_000, self.payment_batch):
            if len(batch) == 1:
                self._tx("TAX_ROLE", self.fee.functions.recordPayment(*batch[0]))
            else:
                self._tx("TAX_ROLE", self.fee.functions.recordPayments(batch), gas=gas)

    def overpay(self, project: bytes) -> None:
        due = self.fee.functions.feeAccount(project).call()[8]  # dueFen
        self._tx(
            "TAX_ROLE",
            self.fee.functions.recordPayment(project, reference_key(self._next("V")), due + 1_000, self.now()),
        )

    def over_refund(self, project: bytes) -> None:
        """A refund of more than is refundable (v3 records it and flags the excess)."""
        paid = self.fee.functions.feeAccount(project).call()[9]  # paidFen
        self._tx(
            "TAX_ROLE",
            self.fee.functions.recordRefund(project, reference_key(self._next("R")), paid + 1, self.now(), b"\0" * 32),
        )

    def refund(self, projects: list[bytes], count: int) -> None:
        """One fen of the excess back to each of `projects[:count]` (overpaid before)."""
        for project in projects[:count]:
            self._tx(
                "TAX_ROLE",
                self.fee.functions.recordRefund(project, reference_key(self._next("R")), 1, self.now(), b"\0" * 32),
            )

    def record(self, projects: list[bytes], count: int, due_in: int = 30 * DAY) -> list[bytes]:
        records, signed = [], self.now()
        for _ in range(count):
            commitment = reference_key(self._next("C"))
            enterprise = enterprise_key(f"uscc-{self.random.randrange(50)}", DEV_PEPPER)
            records.append(
                (
                    commitment,
                    self.random.choice(projects),
                    enterprise,
                    self.random.randrange(4),
                    signed,
                    signed + due_in,
                    reference_key("terms"),
                )
            )
        for batch, gas in self._batched(records, 200_000, COMMITMENT_BATCH):
            self._tx("APPROVAL_ROLE", self.registry.functions.recordBatch(batch), gas=gas)
        return [commitment for commitment, *_ in records]

    def decide(self, name: str, commitments: list[bytes], *args, role: str = "VERIFIER_ROLE") -> None:
        """`name(commitment, *args)` for each; a None argument stands for the current time."""
        for commitment in commitments:
            values = [self.now() if a is None else a for a in args]
            self._tx(role, getattr(self.registry.functions, name)(commitment, *values))

    def mark_overdue(self, commitments: list[bytes]) -> None:
        for chunk, gas in self._batched(commitments, 60_000, COMMITMENT_BATCH):
            self._tx("VERIFIER_ROLE", self.registry.functions.markOverdueBatch(chunk), gas=gas)

    def inspect(self, commitments: list[bytes]) -> None:
        """Two random-inspection draws of `commitments`: one revealed and inspected (one outcome of
        each kind), one left unrevealed until it expires and then committed again."""
        pool = sorted(commitments)
        roster = sorted(reference_key(f"INSPECTOR-{n}") for n in range(4))
        inspected, expired = reference_key(self._next("DRAW")), reference_key(self._next("DRAW"))
        for draw in (inspected, expired):
            self._commit_draw(draw, pool, roster)
        self._mine(11)
        self._tx("VERIFIER_ROLE", self.draws.functions.reveal(inspected))
        for commitment, outcome in zip(pool, (1, 2, 3)):
            self._tx(
                "VERIFIER_ROLE",
                self.draws.functions.recordOutcome(inspected, commitment, outcome, reference_key("report")),
            )
        self._mine(257)
        self._tx("VERIFIER_ROLE", self.draws.functions.expire(expired))
        self._commit_draw(expired, pool, roster)

    def _commit_draw(self, draw: bytes, pool: list[bytes], roster: list[bytes]) -> None:
        pool_hash, roster_hash = keccak(b"".join(pool)), keccak(b"".join(roster))
        reveal_block = self.w3.eth.block_number + 11
        call = self.draws.functions.commitDraw(draw, pool_hash, len(pool), roster_hash, len(roster), 3, 2, reveal_block)
        self._tx("VERIFIER_ROLE", call)

    def _mine(self, blocks: int) -> None:
        for _ in range(blocks):
            self.w3.provider.make_request("evm_mine", [])

    def pause_and_resume(self) -> None:
        for contract in (self.fee, self.registry, self.draws):
            self._tx("PAUSER_ROLE", contract.functions.pause())
            self._tx("PAUSER_ROLE", contract.functions.unpause())

    def grant_and_revoke(self, role: str, account: str) -> None:
        """A role handed to `account` and taken back again (RoleGranted, RoleRevoked)."""
        for contract in (self.fee, self.registry, self.draws):
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.grantRole(role_id(role), account))
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.revokeRole(role_id(role), account))

    def governance(self) -> None:
        """Every governance event: settings, an admin transfer and a delay change begun and
        called off."""
        outsider = self.signers["PAUSER_ROLE"].address
        self._tx("DEFAULT_ADMIN_ROLE", self.registry.functions.setOverdueGracePeriod(GRACE))
        self._tx("DEFAULT_ADMIN_ROLE", self.fee.functions.setRefundReasonAllowed(reason_code("ANNULLED"), True))
        for contract in (self.fee, self.registry):
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.beginDefaultAdminTransfer(outsider))
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.cancelDefaultAdminTransfer())
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.changeDefaultAdminDelay(3_600))
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.rollbackDefaultAdminDelay())

    def migrate(self, count: int) -> list[bytes]:
        """Carry `count` accounts (each with a voucher and a refund) and commitments over from
        an earlier version, with their enterprises' counters, then seal the import."""
        now, projects, commitments, enterprises = self.now(), [], [], []
        for _ in range(count):
            project = project_key(f"2025-410105-47-01-{self._next('P')}")
            payer = enterprise_key(f"uscc-v1-{self._serial}", DEV_PEPPER)
            projects.append((project, payer))
            commitment = reference_key(self._next("C-v1"))
            commitments.append(
                (
                    commitment,
                    project,
                    payer,
                    0,
                    2,
                    False,
                    0,
                    now - 400 * DAY,
                    now - 100 * DAY,
                    reference_key("terms"),
                    now - 400 * DAY,
                    0,
                    0,
                    now - 150 * DAY,
                )
            )
            enterprises.append((payer, (1, 1, 0, 0, 0, 0)))  # recorded and fulfilled on v1
        accounts = [
            (p, payer, 410105, 1, 1, 0, 500_000, 0, 600_000, 1_000, now - 300 * DAY, now - 200 * DAY)
            for p, payer in projects
        ]
        vouchers = [(p, reference_key(self._next("V-v1")), 600_000, now - 250 * DAY) for p, _ in projects]
        refunds = [(p, reference_key(self._next("R-v1")), 1_000, now - 240 * DAY, b"\0" * 32) for p, _ in projects]
        imports = [
            (self.fee.functions.importAccounts, accounts, 300_000),
            (self.fee.functions.importVouchers, vouchers, 100_000),
            (self.fee.functions.importRefunds, refunds, 100_000),
            (self.registry.functions.importCommitments, commitments, 250_000),
            (self.registry.functions.importCounters, enterprises, 100_000),
        ]
        for function, items, gas_per_item in imports:
            for batch, gas in self._batched(items, gas_per_item):
                self._tx("DEFAULT_ADMIN_ROLE", function(batch), gas=gas)
        for contract in (self.fee, self.registry):
            self._tx("DEFAULT_ADMIN_ROLE", contract.functions.sealImport())
        return [c for c, *_ in commitments]

    def every_event(self, events: int) -> None:
        """About `events` events, mostly payments, with every event type present."""
        small = max(2, events // 500)
        # a deployment seals the import unless one is planned (DeployOptions.import_planned)
        imported = [] if self.fee.functions.importSealed().call() else self.migrate(small)
        self.governance()
        projects = self.assess(max(4, events // 100))
        self.relieve(projects[small:], small)
        self.adjust(projects, small)
        for project in projects[:small]:
            self.overpay(project)
        self.refund(projects, small)
        self.over_refund(projects[0])
        # enough that the overdue half lies past the commitments with evidence pending (never overdue)
        commitments = self.record(projects, max(8 * small, events // 10), due_in=DAY)
        quarter = len(commitments) // 4
        evidence = reference_key("evidence")
        self.decide(
            "submitEvidence", commitments[: 3 * small], evidence, None, role="APPROVAL_ROLE"
        )  # a third stays pending
        self.decide("fulfil", commitments[:small], evidence, None)
        self.decide("rejectEvidence", commitments[small : 2 * small], reference_key("reason"))
        self.decide("extend", commitments[quarter : quarter + small], self.now() + 60 * DAY, reference_key("doc"))
        self.travel(DAY + GRACE + 1)
        overdue = commitments[2 * quarter :]
        self.mark_overdue(overdue + imported[:1])  # the imported one is long decided: skipped
        self.decide("breach", overdue[:small], reference_key("reason"))
        self.decide("repair", overdue[: small // 2 or 1], evidence, None)
        self.decide("fulfil", overdue[small : 2 * small], evidence, None)
        shelters = [
            c
            for c in commitments[quarter + small : 2 * quarter]
            if self.registry.functions.commitmentOf(c).call()[2] == 0
        ][:small]
        self.decide("fulfilByAcceptance", shelters, reference_key("acceptance report"), None, role="APPROVAL_ROLE")
        self.inspect(commitments[:small] + overdue[small : 2 * small])
        self.pause_and_resume()
        self.grant_and_revoke("PAUSER_ROLE", self.signers["VERIFIER_ROLE"].address)
        emitted = self.count_events()
        if emitted < events:
            self.pay(projects[small:], events - emitted)  # the overpaid ones would flag every payment

    def count_events(self) -> int:
        addresses = [c.address for c in self.manifest.contracts]
        logs = self.w3.provider.make_request(
            "eth_getLogs", [{"address": addresses, "fromBlock": "0x0", "toBlock": "latest"}]
        )
        return len(logs["result"])
