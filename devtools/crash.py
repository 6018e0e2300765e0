"""Crash harness: a mixed workload against the whole running system while SIGKILL hits its parts.

The system is devtools.bench.stack's (anvil, PostgreSQL, Redis, two API processes under uvicorn, the
Celery worker with the writer and beat) plus the indexer as a process of its own (`ledger index
--follow`, with a fixed LEDGER_INDEXER_ID so a restarted one resumes at once; the worker's indexer
task stands by). Each iteration sends a seeded mix — payments single and batched, refunds,
commitments single and batched, office decisions, acceptances, public reads — from a few threads, and
at a seeded moment SIGKILLs one part (an API process, the worker, the indexer or the node) and starts
it again. The node is anvil with its chain kept in a state file: mining stops, the chain is dumped and
the node SIGKILLed (its pool is lost, as in a real crash; devtools.dev_node.LocalNode.crash). A node
that came back with a fresh chain is the genesis check's case (tests/e2e/test_restarts.py).

Afterwards (`check`): a request that got no answer either wholly exists once (each business key it
carried has one command) or not at all; sent again under its key it is replayed if it existed; every
acknowledged write's command is `indexed` and its business key is on chain exactly once; every command
ended `indexed` or `failed` with a reason; the read model equals a fresh re-index and passes the audit.
`python -m devtools crash --iterations N --seed S` prints the counts as JSON.
The soak run (devtools/bench/soak.py) drives the same system and workload (`running_system`,
`settle_and_check`) at a fixed rate for minutes, with PostgreSQL and Redis restarts among its faults.
"""

import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import func, select

from devtools.bench.stack import Process, Stack, wait_http
from devtools.scratch_db import scratch_database
from devtools.sdk import LedgerClient, path_of
from devtools.sim.systems import OfficeDesk
from devtools.sim.world import World
from ledger.audit.compare import compare
from ledger.audit.verify import verify
from ledger.chain.node import connect
from ledger.chain.rpc import JsonRpc
from ledger.core.errors import LedgerError
from ledger.db.engine import make_engine
from ledger.db.read_model import ChainState, CommitmentEvent, FeeAssessment, Payment, Refund
from ledger.db.schema import upgrade_schema
from ledger.db.write_model import OutboxCommand
from ledger.indexer.loop import Indexer, IndexerConfig

TARGETS = ("api", "worker", "indexer", "node")
OPERATIONS = ("pay", "pay_batch", "refund", "commit", "commit_batch", "decide", "accept", "read")
IN_FLIGHT = ("accepted", "submitted", "mined")
ENV = {
    "LEDGER_INDEX_POLL_SECONDS": "0.2",
    "LEDGER_WRITER_RETRY_MAX_SECONDS": "1",
    "LEDGER_WRITER_LEASE_SECONDS": "3",  # a killed worker's writer is replaced within seconds
    "LEDGER_INDEXER_LEASE_SECONDS": "3",
    "LEDGER_RPC_TIMEOUT_SECONDS": "2",  # (a lease must outlast one request)
    "LEDGER_WRITER_RPC_TIMEOUT_SECONDS": "2",
    "LEDGER_API_IDEMPOTENCY_LOCK_SECONDS": "3",  # a claim a killed API process held expires soon
}


@dataclass
class Sent:
    """One write as the client sent it, and what it saw."""

    op: str
    path: str
    body: dict
    keys: list[tuple[str, str]]  # (command kind, business key) of each command it asks for
    idempotency_key: str | None  # None: an office person's request (no Idempotency-Key)
    outcome: str = "unsent"  # acked | refused | unanswered
    first_outcome: str = "unsent"  # before the unanswered were sent again
    status: int | None = None
    answer: dict | None = None


@dataclass
class Harness:
    stack: Stack
    seed: int
    rng: random.Random = field(init=False)
    indexer: Process | None = None
    sent: list[Sent] = field(default_factory=list)
    levies: list[dict] = field(default_factory=list)
    open_commitments: list[str] = field(default_factory=list)  # acknowledged, not yet decided
    kills: Counter = field(default_factory=Counter)
    restart_seconds: dict = field(default_factory=dict)  # target → seconds from the restart to serving, summed
    reads: Counter = field(default_factory=Counter)
    timings: list = field(default_factory=list)  # per iteration: (until restarted, then until the writes answered)
    # Told of each workload request as it ends: its answer ("202", "503", "unanswered") and when it was sent.
    observe: Callable[[str, float], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: int = 0

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.world = World(seed=self.seed, run_tag=self.seed)

    # --- the system ---------------------------------------------------------------------------------

    def start_indexer(self) -> None:
        env = {**self.stack.env(), "LEDGER_INDEXER_ID": f"crash-indexer-{self.seed}"}
        command = [sys.executable, "-m", "ledger", "index", "--follow"]
        self.indexer = Process("indexer", command, env, self.stack.work_dir)
        self.stack.processes.append(self.indexer)

    def apis(self) -> list[Process]:
        return [p for p in self.stack.processes if p.name.startswith("api-")]

    def worker(self) -> Process:
        return next(p for p in self.stack.processes if p.name.startswith("worker-"))

    def kill_and_restart(self, target: str, down_for: float) -> None:
        """SIGKILL `target`, leave it down for `down_for` s and start it again. A restarted API process is
        not waited for (the clients meet its closed port meanwhile) until it is to be killed again."""
        self.kills[target] += 1
        started = time.monotonic()
        if target == "node":
            self.stack.node.crash()
            time.sleep(down_for)
            started = time.monotonic()
            self.stack.node.start()
        else:
            if target == "api":
                process = self.rng.choice(self.apis())
                self.wait_until_serving(process)
            else:
                process = self.worker() if target == "worker" else self.indexer
            process.kill()
            time.sleep(down_for)
            started = time.monotonic()
            process.restart()
        self.restart_seconds[target] = self.restart_seconds.get(target, 0) + time.monotonic() - started

    def wait_until_serving(self, process: Process) -> None:
        started = time.monotonic()
        wait_http(self.stack.api_urls[self.apis().index(process)] + "/problems", process, timeout=180)
        self.restart_seconds["api (until serving)"] = self.restart_seconds.get("api (until serving)", 0) + (
            time.monotonic() - started
        )

    # --- the clients --------------------------------------------------------------------------------

    def client(self, name: str) -> LedgerClient:
        return LedgerClient(self.rng.choice(self.stack.api_urls), name, self.stack.keys[name], timeout=20)

    def serial(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            return f"{prefix}-{self.seed}-{self._serial}"

    def paid_at(self) -> str:
        """The tax system's clock: the wall clock (anvil's blocks may share a second, so the chain is not
        ahead of it), or the chain's if that is later — read while the node answers, not needed when it is down."""
        try:
            return self.stack.chain_time().isoformat()
        except Exception:  # the node is being killed or started again: the wall clock, as the tax system's own
            return datetime.now(UTC).isoformat()

    def observed(self, answer: str, sent_at: float) -> None:
        if self.observe is not None:
            self.observe(answer, sent_at)

    def send(self, write: Sent, client_name: str | None = "tax-bureau", desk: OfficeDesk | None = None) -> Sent:
        with self._lock:
            self.sent.append(write)
        sent_at = time.monotonic()
        try:
            if desk is not None:
                answer = desk.http.post(desk.base_url + write.path, json=write.body, timeout=20)
            else:
                answer = self.client(client_name).request(
                    "POST", write.path, json=write.body, idempotency_key=write.idempotency_key
                )
        except requests.RequestException:
            write.outcome = write.first_outcome = "unanswered"
            self.observed("unanswered", sent_at)
            return write
        self.observed(str(answer.status_code), sent_at)
        write.status = answer.status_code
        if answer.status_code >= 500:  # 503 while PostgreSQL is away (not in this harness), or a defect
            write.outcome = "unanswered"
        else:
            write.outcome = "acked" if answer.status_code < 300 else "refused"
            write.answer = answer.json()
        write.first_outcome = write.outcome
        return write

    # --- setup --------------------------------------------------------------------------------------

    def set_up(self, projects: int = 4) -> None:
        approval = LedgerClient(self.stack.api_url, "approval-bureau", self.stack.keys["approval-bureau"])
        desk = self.desk()
        codes = []
        for _ in range(projects):
            project = self.world.new_project()
            approval.post(
                "/v1/approval/projects", project.registration("construction"), idempotency_key=f"r-{project.code}"
            )
            desk.assess(project)
            codes.append(project.code)
        tax = LedgerClient(self.stack.api_url, "tax-bureau", self.stack.keys["tax-bureau"])
        deadline = time.monotonic() + 120
        while len(self.levies) < projects:
            self.levies = [levy for levy, _ in tax.levies(limit=500) if levy["project_code"] in codes]
            if time.monotonic() > deadline:
                raise LedgerError(f"the levies of {codes} did not appear; see {self.stack.work_dir}")
            time.sleep(0.5)

    def desk(self) -> OfficeDesk:
        from devtools.bench.stack import OFFICE_PASSWORD, OFFICE_USER

        return OfficeDesk(self.rng.choice(self.stack.api_urls), OFFICE_USER, OFFICE_PASSWORD)

    # --- the workload -------------------------------------------------------------------------------

    def payment(self) -> dict:
        levy = self.rng.choice(self.levies)
        voucher = self.serial("V")
        return {
            "levy_number": levy["levy_number"],
            "voucher_number": voucher,
            "amount_fen": 1,
            "paid_at": self.paid_at(),
            "payer_uscc": levy["payer_uscc"],
        }

    def commitment(self, project_code: str, uscc: str, kind: str = "fee_payment") -> dict:
        number = self.serial("CN")
        return {
            "commitment_number": number,
            "project_code": project_code,
            "enterprise_uscc": uscc,
            "kind": kind,
            "due_date": str(date.today() + timedelta(days=60)),
            "terms_sha256": self.world.sha(number, "terms"),
        }

    def operation(self, op: str) -> None:
        if op == "pay":
            p = self.payment()
            self.send(
                Sent(op, "/v1/tax/payments", p, [("record_payment", p["voucher_number"])], f"pay-{p['voucher_number']}")
            )
        elif op == "pay_batch":
            items = [self.payment() for _ in range(3)]
            keys = [("record_payment", p["voucher_number"]) for p in items]
            self.send(Sent(op, "/v1/tax/payments/batch", {"items": items}, keys, self.serial("batch")))
        elif op == "refund":
            levy = self.rng.choice(self.levies)
            ref = self.serial("RF")
            body = {
                "refund_reference": ref,
                "levy_number": levy["levy_number"],
                "amount_fen": 1,
                "refunded_at": self.paid_at(),
            }
            self.send(Sent(op, "/v1/tax/refunds", body, [("record_refund", ref)], f"refund-{ref}"))
        elif op in ("commit", "commit_batch"):
            levy = self.rng.choice(self.levies)
            items = [
                self.commitment(levy["project_code"], levy["payer_uscc"]) for _ in range(1 if op == "commit" else 2)
            ]
            keys = [("record_commitment", c["commitment_number"]) for c in items]
            if op == "commit":
                write = Sent(op, "/v1/approval/commitments", items[0], keys, f"c-{items[0]['commitment_number']}")
            else:
                write = Sent(op, "/v1/approval/commitments/batch", {"items": items}, keys, self.serial("cbatch"))
            if self.send(write, "approval-bureau").outcome == "acked":
                with self._lock:
                    self.open_commitments += [c["commitment_number"] for c in items]
        elif op == "decide":
            with self._lock:
                if not self.open_commitments:
                    return
                number = self.open_commitments.pop(self.rng.randrange(len(self.open_commitments)))
            path = path_of("v1", "office", "commitments", number, "decisions")
            body = {"action": "fulfil", "document_sha256": self.world.sha(number, "fulfil")}
            try:
                desk = self.desk()
            except (requests.RequestException, LedgerError, ValueError):
                return  # the login itself found the API process down: nothing was sent
            self.send(Sent(op, path, body, [("fulfil_commitment", number)], None), desk=desk)
        elif op == "accept":
            self.accept()
        elif op == "read":
            self.read()

    def accept(self) -> None:
        """A new project, its shelter_build commitment, then its joint acceptance (fulfilByAcceptance)."""
        project = self.world.new_project()
        register = Sent(
            "register", "/v1/approval/projects", project.registration("construction"), [], f"r-{project.code}"
        )
        if self.send(register, "approval-bureau").outcome != "acked":
            return
        shelter = self.commitment(project.code, project.builder.uscc, kind="shelter_build")
        number = shelter["commitment_number"]
        recorded = Sent("commit", "/v1/approval/commitments", shelter, [("record_commitment", number)], f"c-{number}")
        if self.send(recorded, "approval-bureau").outcome != "acked":
            return
        report = {
            "project_code": project.code,
            "passed": True,
            "surveyed_shelter_area": project.built_area,  # as approved: no fee adjustment
            "report_sha256": self.world.sha(project.code, "acceptance"),
        }
        keys = [("fulfil_by_acceptance", number)]
        self.send(
            Sent("accept", "/v1/approval/acceptance", report, keys, f"acceptance-{project.code}"), "approval-bureau"
        )

    def read(self) -> None:
        levy = self.rng.choice(self.levies)
        base = self.rng.choice(self.stack.api_urls)
        paths = [
            path_of("v1", "public", "projects", levy["project_code"]),
            path_of("v1", "public", "projects", levy["project_code"], "payments"),
            path_of("v1", "public", "projects", levy["project_code"], "commitments"),
        ]
        for path in paths:
            sent_at = time.monotonic()
            try:
                status = requests.get(base + path, timeout=20).status_code
                self.reads["5xx" if status >= 500 else str(status)] += 1
                self.observed(str(status), sent_at)
            except requests.RequestException:
                self.reads["unanswered"] += 1
                self.observed("unanswered", sent_at)

    def iteration(self, pool: ThreadPoolExecutor, operations: int = 6) -> tuple[list[str], str]:
        ops = [self.rng.choice(OPERATIONS) for _ in range(operations)]
        target = self.rng.choice(TARGETS)
        kill_after, down_for = self.rng.uniform(0.0, 0.8), self.rng.uniform(0.1, 1.0)
        started = time.monotonic()
        futures = [pool.submit(self.operation, op) for op in ops]
        time.sleep(kill_after)
        self.kill_and_restart(target, down_for)
        restarted = time.monotonic()
        for future in futures:
            future.result()
        self.timings.append((round(restarted - started, 1), round(time.monotonic() - restarted, 1)))
        return ops, target

    # --- afterwards ---------------------------------------------------------------------------------

    def commands_of(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
        """Each (kind, business key) → the (status, error) of every command the outbox holds for it."""
        with self.stack.engine.connect() as conn:
            rows = conn.execute(
                select(
                    OutboxCommand.kind, OutboxCommand.reference, OutboxCommand.status, OutboxCommand.error_name
                ).where(OutboxCommand.reference.in_({ref for _, ref in keys}))
            ).all()
        found: dict = {key: [] for key in keys}
        for kind, ref, status, error in rows:
            if (kind, ref) in found:
                found[(kind, ref)].append((status, error))
        return found

    def retry_unanswered(self, violations: list[str]) -> Counter:
        """Each unanswered write: wholly there once or wholly absent; then sent again under its key."""
        outcomes: Counter = Counter()
        for write in [w for w in self.sent if w.outcome == "unanswered"]:
            found = self.commands_of(write.keys)
            present = [key for key, commands in found.items() if [c for c in commands if c[0] != "failed"]]
            if present and len(present) != len(write.keys):
                violations.append(f"half there: {write.op} {write.path} has {present} of {write.keys}")
            for key, commands in found.items():
                if len([c for c in commands if c[0] != "failed"]) > 1:
                    violations.append(f"twice in the outbox: {key}: {commands}")
            if write.idempotency_key is None:
                outcomes["office, not re-sent"] += 1
                continue
            again = self.retry(write)
            replayed = again is not None and again.headers.get("Idempotent-Replayed") == "true"
            if again is None or again.status_code >= 300:
                # A write whose writes were never committed may meet a key another write took meanwhile.
                outcomes[f"retried: {again.status_code if again is not None else 'no answer'}"] += 1
                if present:
                    violations.append(
                        f"{write.op} {write.keys} exists but its retry was not replayed: {again and again.text}"
                    )
                continue
            if present and not replayed:
                violations.append(f"{write.op} {write.keys} existed but its key's retry ran it again")
            outcomes["retried: replayed" if replayed else "retried: ran"] += 1
            write.outcome, write.status, write.answer = "acked", again.status_code, again.json()
        return outcomes

    def retry(self, write: Sent, timeout: float = 60) -> requests.Response | None:
        name = "tax-bureau" if write.path.startswith("/v1/tax") else "approval-bureau"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                answer = self.client(name).request(
                    "POST", write.path, json=write.body, idempotency_key=write.idempotency_key
                )
            except requests.RequestException:
                time.sleep(0.5)
                continue
            in_flight = answer.status_code == 409 and answer.json().get("rule") == "not_in_flight"
            if answer.status_code != 503 and not in_flight:
                return answer
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        return None

    def wait_until_settled(self, timeout: float = 180) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while True:
            with self.stack.engine.connect() as conn:
                statuses = dict(
                    conn.execute(select(OutboxCommand.status, func.count()).group_by(OutboxCommand.status)).all()
                )
            if not any(statuses.get(s) for s in IN_FLIGHT) or time.monotonic() > deadline:
                return statuses
            time.sleep(0.5)

    def on_chain(self, conn, kind: str, args: dict) -> int | None:
        """How many times the read model holds the event of a command of `kind` with `args` (None: not counted)."""
        queries = {
            "record_payment": select(func.count()).select_from(Payment).where(Payment.voucher == args.get("voucher")),
            "record_refund": select(func.count())
            .select_from(Refund)
            .where(Refund.refund_ref == args.get("refund_ref")),
            "assess_fee": select(func.count())
            .select_from(FeeAssessment)
            .where(FeeAssessment.project == args.get("project")),
        }
        if kind == "record_commitment":
            event = "recorded"
        elif kind in ("fulfil_commitment", "fulfil_by_acceptance"):
            event = "fulfilled"
        elif kind in queries:
            return conn.execute(queries[kind]).scalar_one()
        else:
            return None
        return conn.execute(
            select(func.count())
            .select_from(CommitmentEvent)
            .where(CommitmentEvent.commitment == args.get("commitment"), CommitmentEvent.event == event)
        ).scalar_one()

    def check(self, violations: list[str], settle_seconds: float = 180) -> dict:
        statuses = self.wait_until_settled(settle_seconds)
        for status in IN_FLIGHT:
            if statuses.get(status):
                violations.append(f"{statuses[status]} commands left {status}")
        with self.stack.engine.connect() as conn:
            commands = conn.execute(
                select(
                    OutboxCommand.kind,
                    OutboxCommand.reference,
                    OutboxCommand.status,
                    OutboxCommand.error_name,
                    OutboxCommand.args,
                )
            ).all()
            per_key: dict[tuple[str, str], list] = {}
            for kind, ref, status, error, args in commands:
                per_key.setdefault((kind, ref), []).append((status, error, json.loads(args)))
                if status == "failed" and not error:
                    violations.append(f"{kind} {ref} failed without a reason")
            on_chain: Counter = Counter()
            counts: dict[tuple[str, str], int | None] = {}
            for key, rows in per_key.items():
                indexed = [r for r in rows if r[0] == "indexed"]
                if len(indexed) > 1:
                    violations.append(f"{key} indexed {len(indexed)} times")
                count = counts[key] = self.on_chain(conn, key[0], rows[0][2])
                if count is None:
                    on_chain["not counted"] += 1
                elif count != (1 if indexed else count):
                    violations.append(f"{key} is on chain {count} times")
                else:
                    on_chain[f"{key[0]} x{count}"] += 1
        acknowledged: set[tuple[str, str]] = set()
        for write in self.sent:
            if write.outcome != "acked" or write.op == "register":
                continue
            acknowledged.update(write.keys)
            for key, found in self.commands_of(write.keys).items():
                if [c[0] for c in found if c[0] != "failed"] != ["indexed"]:
                    violations.append(f"acknowledged {write.op} {key}: commands {found}")
        return {
            "commands": statuses,
            "keys_on_chain": dict(on_chain),
            # an acknowledged write's business key the chain does not hold (no command: not held either)
            "lost": sum(1 for key in acknowledged if counts.get(key, 0) == 0),
            # a business key the chain holds more than once, acknowledged or not
            "duplicated": sum(1 for count in counts.values() if count is not None and count > 1),
        }

    def read_model_equals_a_fresh_reindex(self, violations: list[str]) -> dict:
        rpc = JsonRpc(self.stack.node.url)
        head = int(rpc.call("eth_blockNumber"), 16)
        deadline = time.monotonic() + 120
        while True:
            with self.stack.engine.connect() as conn:
                checkpoint = conn.execute(select(ChainState.block_number)).scalar_one_or_none() or 0
            if checkpoint >= head or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        url, drop = scratch_database(self.stack.postgres_server, prefix="ledger_crash_reindex")
        fresh = make_engine(url)
        try:
            upgrade_schema(fresh)
            indexer = Indexer(
                engine=fresh,
                rpc=rpc,
                manifest=self.stack.manifest,
                config=IndexerConfig(),
                owner=f"crash-fresh-{uuid.uuid4().hex[:6]}",
            )
            indexer.catch_up()
            indexer.release()
            with self.stack.engine.connect() as live, fresh.connect() as rebuilt:
                diffs = [t for t in compare(live, rebuilt, self.stack.manifest.chain_id, checkpoint) if not t.equal]
        finally:
            fresh.dispose()
            drop()
        for diff in diffs:
            violations.append(f"read model differs from a fresh reindex in {diff.table}")
        report = verify(connect(self.stack.node.url), self.stack.manifest, self.stack.engine)
        if not report.equal:
            violations.append("ledger audit verify: " + "; ".join(report.lines()))
        return {"checkpoint": checkpoint, "head": head, "audit_events": report.events}


@contextmanager
def running_system(
    work_dir: Path,
    seed: int,
    *,
    postgres_server: str = "postgresql://127.0.0.1/test",
    redis_url: str = "redis://127.0.0.1:6379/0",
) -> Iterator[Harness]:
    """The whole system (the stack on anvil with its chain in a state file, the standalone indexer) with
    a few assessed projects to pay on: a harness ready for the workload; everything stopped afterwards."""
    with Stack(
        work_dir,
        postgres_server=postgres_server,
        redis_url=redis_url,
        api_processes=2,
        node_kind="anvil",
        node_state=work_dir / "anvil-state.json",
        extra_env=ENV,
    ) as stack:
        harness = Harness(stack, seed)
        harness.start_indexer()
        harness.set_up()
        yield harness


def settle_and_check(harness: Harness) -> dict:
    """After the workload: every API process serving, each unanswered write sent again under its key, the
    commands settled and checked, the read model compared with a fresh re-index and audited."""
    for api in harness.apis():
        harness.wait_until_serving(api)
    violations: list[str] = []
    retried = harness.retry_unanswered(violations)
    checked = harness.check(violations)
    reindexed = harness.read_model_equals_a_fresh_reindex(violations)
    return {
        "writes": dict(Counter(f"{w.op}: {w.first_outcome}" for w in harness.sent)),
        "refused": [f"{w.op} {w.status} {w.answer}" for w in harness.sent if w.outcome == "refused"],
        "unanswered_retried": dict(retried),
        "reads": dict(harness.reads),
        **checked,
        **reindexed,
        "violations": violations,
    }


def run_crash(
    iterations: int,
    seed: int,
    work_dir: Path,
    *,
    postgres_server: str = "postgresql://127.0.0.1/test",
    redis_url: str = "redis://127.0.0.1:6379/0",
    log=print,
) -> dict:
    """Start the system, run `iterations` seeded iterations with a kill each, check, stop; the counts."""
    log(f"crash harness: seed {seed}, {iterations} iterations (replay: --seed {seed})")
    started = time.monotonic()
    with running_system(work_dir, seed, postgres_server=postgres_server, redis_url=redis_url) as harness:
        ready = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            for i in range(iterations):
                ops, target = harness.iteration(pool)
                log(f"iteration {i + 1}/{iterations}: {', '.join(ops)}; killed {target} {harness.timings[-1]}")
        ran = time.monotonic()
        checked = settle_and_check(harness)
        finished = time.monotonic()
    return {
        "seed": seed,
        "iterations": iterations,
        "node": "anvil (state file; SIGKILL after anvil_dumpState)",
        "kills": dict(harness.kills),
        **checked,
        "seconds": {
            "setup": round(ready - started, 1),
            "iterations": round(ran - ready, 1),
            "per_iteration": round((ran - ready) / max(iterations, 1), 2),
            "checks": round(finished - ran, 1),
            "restarts": {target: round(seconds, 1) for target, seconds in harness.restart_seconds.items()},
        },
    }


def main_run(iterations: int, seed: int | None, work_dir: Path | None) -> dict:
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 10**6)
    if work_dir is None:
        import tempfile

        work_dir = Path(tempfile.mkdtemp(prefix=f"ledger-crash-{seed}-"))
    return run_crash(iterations, seed, work_dir, log=lambda line: print(line, file=sys.stderr, flush=True))
