"""`ledger sim`: seed a living system through the API, then keep it going at a gentle rate.

Seed: 24 projects across the districts are registered with two commitments each; the office
assesses them; the tax system pays most levies at its checkout — some in full, some in two
parts, one overpaid and refunded, a batch confirmed out of order, duplicates re-sent; joint
acceptances report surveyed areas that differ (补缴 / 核减); the office records one breach.
Then one action every few seconds, until stopped."""

import logging
import random
import threading
import time
from dataclasses import dataclass

from ledger.client import ApiError, LedgerClient
from ledger.errors import LedgerError
from ledger.sim.checkout import Checkout
from ledger.sim.systems import ApprovalSystem, OfficeDesk, TaxSystem
from ledger.sim.world import World

log = logging.getLogger("ledger.sim")


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
    wait_seconds: float = 120.0  # how long to wait for commitments to be on chain before acceptance


class Simulation:
    def __init__(self, config: SimConfig):
        self.config = config
        self.rng = random.Random(config.seed)
        self.world = World(config.seed, run_tag=int(time.time()) // 60)
        self.approval = ApprovalSystem(config.approval, self.world)
        self.tax = TaxSystem(config.tax, self.rng)
        self.office = OfficeDesk(config.api_url, config.office_user, config.office_password)
        self.lock = threading.Lock()
        self.checkout = Checkout(self.tax, self.lock, port=config.checkout_port) if config.checkout_port is not None else None
        self.breached: set[str] = set()

    def seed(self) -> dict:
        projects = [self.world.new_project() for _ in range(self.config.projects)]
        for project in projects:
            self.approval.register(project)
        log.info("approval: registered %d projects in %d districts", len(projects), len({p.district for p in projects}))
        commitment_commands = self.approval.record_commitments(projects)
        for project in projects:
            self.office.assess(project)
        log.info("office: assessed %d projects", len(projects))
        with self.lock:
            levies = self.tax.sync_levies()
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
        unpaid = [p for p in projects if not self.tax.paid.get(self._levy_of(p.code) or "", 0)]
        if unpaid:
            self._breach(unpaid[-1])
        with self.lock:
            self.tax.sync_levies()
            reconciliation = self.tax.reconcile_today()
        return {"projects": len(projects), "levies": len(self.tax.levies), "payments": len(self.tax.sent),
                "breached": sorted(self.breached), "reconciliation_clean": reconciliation["clean"]}

    def _levy_of(self, code: str) -> str | None:
        return next((n for n, lv in self.tax.levies.items() if lv["project_code"] == code), None)

    def _breach(self, project) -> None:
        number = f"CN-{project.code}-F"
        try:
            self.office.decide(number, "breach", self.world.sha(number, "breach"))
            self.breached.add(number)
            log.info("office: commitment %s breached (fee not paid)", number)
        except ApiError as exc:
            log.warning("office: breach of %s refused: %s", number, exc)

    def _wait_for(self, commands: list[dict]) -> None:
        deadline = time.monotonic() + self.config.wait_seconds
        for command in commands:
            try:
                self.config.approval.wait_for(command["command_id"], "indexed",
                                              timeout=max(deadline - time.monotonic(), 0.1))
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
            self.office.assess(project)
            log.info("steady: new project %s (%s)", project.code, project.name)
            return
        with self.lock:
            self.tax.sync_levies()
            open_levies = [lv for n, lv in self.tax.levies.items()
                           if lv["status"] == "open" and self.tax.paid.get(n, 0) < lv["amount_fen"]]
            if action == "pay" and open_levies:
                self.tax.pay(self.rng.choice(open_levies))
            elif action == "duplicate":
                self.tax.redeliver()
        if action == "clearance" and self.world.projects:
            project = self.rng.choice(self.world.projects)
            answer = self.approval.clearance(project)
            log.info("steady: clearance of %s: %s", project.code, "clear" if answer["clear"] else
                     ", ".join(r["code"] for r in answer["reasons"]))

    def run(self, stop: threading.Event) -> dict:
        if self.checkout:
            self.checkout.start()
            log.info("tax: checkout page at %s/", self.checkout.url)
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
