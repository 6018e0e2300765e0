"""`python -m devtools sim`: seed a living system through the API, then keep it going at a gentle rate.

Seed: 24 projects across the districts are registered with two commitments each; the office
assesses them; the tax system pays most levies at its checkout — some in full, some in two
parts, one overpaid and refunded, a batch confirmed out of order, duplicates re-sent; joint
acceptances report surveyed areas that differ (补缴 / 核减); one builder let a fee commitment
lapse long ago: once the overdue sweep has marked it overdue on chain, the office records the breach;
the office then runs a random inspection of the accepted shelters (devtools.sim.inspections).
Then one action every few seconds, until stopped."""

import logging
import random
import threading
import time
from dataclasses import dataclass

from devtools.sdk import ApiError, LedgerClient
from ledger.core.errors import LedgerError
from devtools.sim.checkout import Checkout
from devtools.sim.inspections import run_draw
from devtools.sim.materials import MaterialsOnFile
from ledger.core.settings import get_settings
from devtools.sim.systems import ApprovalSystem, Clock, OfficeDesk, TaxSystem
from devtools.sim.world import World

log = logging.getLogger("devtools.sim")


@dataclass
class SimConfig:
    api_url: str
    tax: LedgerClient
    approval: LedgerClient
    office_user: str
    office_password: str
    projects: int = 24
    seed: int = 2026
    steady_seconds: float = 5.0  # one action this often after seeding; 0 stops after seeding
    checkout_port: int | None = 8100  # None: no checkout page
    materials_port: int | None = None  # the approval system's materials on file; None: not served
    wait_seconds: float = 120.0  # how long to wait for assessments / commitments to be on chain
    overdue_wait_seconds: float = 240.0  # how long to wait for the overdue sweep before the breach
    rpc_url: str | None = None  # the chain, for its clock (payment times); None: the wall clock


class Simulation:
    def __init__(self, config: SimConfig):
        self.config = config
        self.rng = random.Random(config.seed)
        self.world = World(config.seed, run_tag=int(time.time()) // 60)
        self.approval = ApprovalSystem(config.approval, self.world)
        self.tax = TaxSystem(config.tax, self.rng, Clock(config.rpc_url))
        self.office = OfficeDesk(config.api_url, config.office_user, config.office_password)
        self.lock = threading.Lock()
        self.checkout = (
            # the portal is served by the API's app: the payer returns there
            Checkout(self.tax, self.lock, port=config.checkout_port, portal_url=config.api_url)
            if config.checkout_port is not None
            else None
        )
        self.materials = (
            MaterialsOnFile(self.world, port=config.materials_port) if config.materials_port is not None else None
        )
        self.breached: set[str] = set()

    def seed(self) -> dict:
        projects = [self.world.new_project() for _ in range(self.config.projects)]
        for project in projects:
            self.approval.register(project)
        log.info("approval: registered %d projects in %d districts", len(projects), len({p.district for p in projects}))
        commitment_commands = self.approval.record_commitments(projects)
        lapsed = projects[-1]  # its builder let a fee commitment lapse and does not pay: the one breach
        commitment_commands += self.approval.record_lapsed_commitment(lapsed)
        assessments = [self.office.assess(project) for project in projects]
        log.info("office: assessed %d projects", len(projects))
        self._wait_for_assessments(assessments)  # the payers pay once their levies are on chain
        with self.lock:
            levies = [lv for lv in self.tax.sync_levies() if lv["project_code"] != lapsed.code]
            self.rng.shuffle(levies)
            full, parts, batch, rest = levies[:10], levies[10:13], levies[13:18], levies[18:]
            for levy in full:
                self.tax.pay(levy)
            for levy in parts:  # two instalments; the second confirmation sent before the first (out of order)
                first = self.tax.confirmation(levy, levy["amount_fen"] // 3)
                second = self.tax.confirmation(levy, levy["amount_fen"] - levy["amount_fen"] // 3)
                self.tax.confirm(second)
                self.tax.confirm(first)
            self.tax.pay_in_a_batch_out_of_order(batch)
            if rest:  # overpaid by 500 yuan, then refunded
                over = rest[0]
                self.tax.pay(over, over["amount_fen"] + 50_000)
                self.tax.refund(over, 50_000)
            for _ in range(3):
                self.tax.redeliver()
        self._wait_for(commitment_commands)
        by_code = {p.code: p for p in projects}
        for project, delta in zip(projects[:3], (-2_000, 1_500, 0)):  # surveyed 20 m² less, 15 m² more, the same
            try:
                self.approval.report_acceptance(by_code[project.code], delta)
            except ApiError as exc:
                log.warning("approval: acceptance of %s refused: %s", project.code, exc)
        self._breach(lapsed, f"CN-{lapsed.code}-L")
        inspection = run_draw(self.office, self.tax.clock, run_tag=self.world.run_tag)  # 双随机抽查 of the accepted
        with self.lock:
            self.tax.sync_levies()
            reconciliation = self.tax.reconcile_today()
        return {
            "projects": len(projects),
            "levies": len(self.tax.levies),
            "payments": len(self.tax.sent),
            "breached": sorted(self.breached),
            "reconciliation_clean": reconciliation["clean"],
            "inspection": inspection,
        }

    def _wait_for_assessments(self, assessments: list[dict]) -> None:
        deadline = time.monotonic() + self.config.wait_seconds
        for accepted in assessments:
            try:
                self.office.wait_for(accepted["command_id"], timeout=max(deadline - time.monotonic(), 0.1))
            except LedgerError as exc:
                log.warning("office: %s", exc)
                return
        log.info("office: all %d assessments are on chain and indexed", len(assessments))

    def _breach(self, project, number: str) -> None:
        """Breach is allowed only from overdue on chain: wait for the overdue sweep (a worker task, every
        LEDGER_OVERDUE_SWEEP_SECONDS) to mark the lapsed commitment overdue, then the office records the breach.
        CommitmentRegistry v3 counts the grace period from when the commitment became known on chain, so
        on the development chain the simulated grace period goes by: its clock moves past it."""
        grace = get_settings().deployment.overdue_grace_seconds
        if self.tax.clock.pass_time_on_dev_chain(grace + 60):
            log.info("chain: the development chain's clock moved %d s ahead (the grace period goes by)", grace + 60)
        deadline = time.monotonic() + self.config.overdue_wait_seconds
        while not any(
            r["code"] == "commitment_overdue" and r["reference"] == number
            for r in self.approval.clearance(project)["reasons"]
        ):
            if time.monotonic() > deadline:
                log.warning(
                    "office: %s was not marked overdue within %.0f s; no breach",
                    number,
                    self.config.overdue_wait_seconds,
                )
                return
            time.sleep(2)
        log.info("verifier: commitment %s is overdue on chain", number)
        try:
            accepted = self.office.decide(number, "breach", self.world.sha(number, "breach"))
            self.office.wait_for(accepted["command_id"], timeout=self.config.wait_seconds)
        except (ApiError, LedgerError) as exc:
            log.warning("office: breach of %s refused: %s", number, exc)
            return
        self.breached.add(number)
        log.info("office: commitment %s breached (fee not paid), on chain", number)

    def _wait_for(self, commands: list[dict]) -> None:
        deadline = time.monotonic() + self.config.wait_seconds
        for command in commands:
            try:
                self.config.approval.wait_for(
                    command["command_id"], "indexed", timeout=max(deadline - time.monotonic(), 0.1)
                )
            except LedgerError as exc:
                log.warning("approval: %s", exc)
                return
        log.info("approval: all %d commitments are on chain and indexed", len(commands))

    def step(self) -> None:
        """One gentle action: a new project (registered, committed, assessed), a payment, a duplicate,
        or a clearance check."""
        action = self.rng.choice(["project", "pay", "pay", "duplicate", "clearance"])
        if action == "project":
            project = self.world.new_project()
            self.approval.register(project)
            self.approval.record_commitments([project])
            self.office.wait_for(self.office.assess(project)["command_id"])  # payable once on chain
            log.info("steady: new project %s (%s)", project.code, project.name)
            return
        with self.lock:
            self.tax.sync_levies()
            open_levies = [
                lv
                for n, lv in self.tax.levies.items()
                if lv["status"] == "open" and self.tax.paid.get(n, 0) < lv["amount_fen"]
            ]
            if action == "pay" and open_levies:
                self.tax.pay(self.rng.choice(open_levies))
            elif action == "duplicate":
                self.tax.redeliver()
        if action == "clearance" and self.world.projects:
            project = self.rng.choice(self.world.projects)
            answer = self.approval.clearance(project)
            log.info(
                "steady: clearance of %s: %s",
                project.code,
                "clear" if answer["clear"] else ", ".join(r["code"] for r in answer["reasons"]),
            )

    def run(self, stop: threading.Event) -> dict:
        if self.checkout:
            self.checkout.start()
            log.info("tax: checkout page at %s/", self.checkout.url)
        if self.materials:
            self.materials.start()
            log.info("approval: materials on file at %s", self.materials.url_template)
        try:
            summary = self.seed()
            log.info("seeded: %s", summary)
            while self.config.steady_seconds > 0 and not stop.wait(self.config.steady_seconds):
                try:
                    self.step()
                except (ApiError, LedgerError, OSError) as exc:
                    log.warning("steady: %s", exc)
            return summary
        finally:
            if self.checkout:
                self.checkout.stop()
            if self.materials:
                self.materials.stop()
