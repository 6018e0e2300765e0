"""The simulated systems. Each speaks the API exactly as the real one would: the approval and tax
systems sign every request with their own Ed25519 key and send an Idempotency-Key with every POST
(and re-send on timeouts with the same key); the office desk logs in like a person."""

import logging
import random
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import requests

from devtools.sdk import ApiError, LedgerClient, path_of
from ledger.core.errors import LedgerError
from devtools.sim.world import SimProject, World

log = logging.getLogger("devtools.sim")
SHANGHAI = timezone(timedelta(hours=8))


class Clock:
    """When things happen in the simulated world: the wall clock, or the dev chain's when it runs
    ahead (a block per transaction, each at least a second after the last). FeeLedger v3 judges a
    payment against the levy's issue time (the wall clock), so either is accepted; the later of
    the two keeps the simulated times in step with the chain's blocks."""

    def __init__(self, rpc_url: str | None = None):
        self.w3 = None
        if rpc_url:
            from ledger.chain.node import connect

            self.w3 = connect(rpc_url)

    def now(self) -> datetime:
        chain = self.w3.eth.get_block("latest")["timestamp"] if self.w3 is not None else 0
        return datetime.fromtimestamp(max(chain, time.time()), SHANGHAI).replace(microsecond=0)

    def pass_time_on_dev_chain(self, seconds: int) -> bool:
        """Move the development chain's clock `seconds` ahead (a simulated week goes by); False on any
        other chain, or without one."""
        from devtools.dev_node import CHAIN_ID

        if self.w3 is None or self.w3.eth.chain_id != CHAIN_ID:
            return False
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])
        return True

    def mine_on_dev_chain(self, blocks: int) -> bool:
        """Mine `blocks` empty blocks on the development chain (a draw's reveal block comes sooner);
        False on any other chain, or without one."""
        from devtools.dev_node import CHAIN_ID

        if self.w3 is None or self.w3.eth.chain_id != CHAIN_ID:
            return False
        for _ in range(blocks):
            self.w3.provider.make_request("evm_mine", [])
        return True


def send(client: LedgerClient, path: str, payload, *, key: str | None = None, retries: int = 3):
    """POST with one Idempotency-Key for all attempts: a retry after a lost answer is safe."""
    key = key or str(uuid.uuid4())
    for attempt in range(retries):
        try:
            return client.post(path, payload, idempotency_key=key)
        except ApiError as exc:
            if exc.status == 409 and exc.problem.get("type", "").endswith("idempotency-key-in-flight"):
                time.sleep(0.5 * (attempt + 1))
                continue
            raise
        except requests.ConnectionError:
            time.sleep(0.5 * (attempt + 1))
    return client.post(path, payload, idempotency_key=key)


class ApprovalSystem:
    def __init__(self, client: LedgerClient, world: World):
        self.client, self.world = client, world
        self.commitments: dict[str, list[dict]] = {}  # project code → its commitments

    def register(self, project: SimProject, stage: str = "construction") -> dict:
        return send(
            self.client, "/v1/approval/projects", project.registration(stage), key=f"register-{project.code}-{stage}"
        )

    def record_commitments(self, projects: list[SimProject]) -> list[dict]:
        items = []
        for p in projects:
            mine = [
                {
                    "commitment_number": f"CN-{p.code}-S",
                    "project_code": p.code,
                    "enterprise_uscc": p.builder.uscc,
                    "kind": "shelter_build",
                    "due_date": str(date.today() + timedelta(days=365)),
                    "terms_sha256": self.world.sha(p.code, "shelter_build"),
                },
                {
                    "commitment_number": f"CN-{p.code}-F",
                    "project_code": p.code,
                    "enterprise_uscc": p.builder.uscc,
                    "kind": "fee_payment",
                    "due_date": str(date.today() + timedelta(days=30)),
                    "terms_sha256": self.world.sha(p.code, "fee_payment"),
                },
            ]
            self.commitments[p.code] = mine
            items += mine
        accepted = []
        for start in range(0, len(items), 500):
            accepted += send(self.client, "/v1/approval/commitments/batch", {"items": items[start : start + 500]})
        log.info("approval: recorded %d commitments", len(accepted))
        return accepted

    def record_lapsed_commitment(self, project: SimProject) -> list[dict]:
        """A fee-payment commitment the builder signed 40 days ago and let lapse (due 38 days ago, past
        the registry's grace period: 7 days as `ledger deploy` sets it): the overdue sweep marks it
        overdue on chain, and only then may the office record a breach."""
        signed = datetime.now(SHANGHAI) - timedelta(days=40)
        commitment = {
            "commitment_number": f"CN-{project.code}-L",
            "project_code": project.code,
            "enterprise_uscc": project.builder.uscc,
            "kind": "fee_payment",
            "due_date": str((signed + timedelta(days=2)).date()),
            "signed_at": signed.isoformat(timespec="seconds"),
            "terms_sha256": self.world.sha(project.code, "lapsed"),
        }
        self.commitments.setdefault(project.code, []).append(commitment)
        return send(
            self.client, "/v1/approval/commitments", commitment, key=f"commitment-{commitment['commitment_number']}"
        )

    def report_acceptance(self, project: SimProject, surveyed_delta: int) -> dict:
        """Joint acceptance passed; the surveyed shelter area differs from the approved built area by
        `surveyed_delta` (0.01 m²): smaller → 补缴 (more shortfall), larger → 核减."""
        report = {
            "project_code": project.code,
            "passed": True,
            "surveyed_shelter_area": project.built_area + surveyed_delta,
            "report_sha256": self.world.sha(project.code, "acceptance"),
        }
        result = send(self.client, "/v1/approval/acceptance", report, key=f"acceptance-{project.code}")
        log.info(
            "approval: acceptance of %s, surveyed %+d (0.01 m²) → adjustment %+d fen",
            project.code,
            surveyed_delta,
            result["delta_fen"],
        )
        return result

    def clearance(self, project: SimProject) -> dict:
        return self.client.get(path_of("v1", "approval", "projects", project.code, "clearance"))


class TaxSystem:
    """Follows the levy feed by cursor and confirms payments made at its checkout."""

    def __init__(self, client: LedgerClient, rng: random.Random, clock: Clock | None = None):
        self.client, self.rng, self.clock = client, rng, clock or Clock()
        self.cursor: str | None = None
        self.levies: dict[str, dict] = {}  # levy number → levy
        self.paid: dict[str, int] = {}  # levy number → fen confirmed
        self.sent: list[dict] = []  # every confirmation accepted (for the reconciliation)
        self.resendable: list[tuple[str, dict]] = []  # (idempotency key, confirmation) sent one by one
        self._serial = 0

    def sync_levies(self) -> list[dict]:
        new = []
        for levy, cursor in self.client.levies(self.cursor, limit=200):
            if levy["levy_number"] not in self.levies:
                new.append(levy)
            self.levies[levy["levy_number"]] = levy
            self.cursor = cursor
        if new:
            log.info("tax: %d new levies in the feed", len(new))
        return new

    def voucher(self) -> str:
        self._serial += 1
        return f"3341{int(time.time()) % 10**8:08d}{self._serial:06d}"

    def confirmation(self, levy: dict, amount: int) -> dict:
        return {
            "levy_number": levy["levy_number"],
            "voucher_number": self.voucher(),
            "amount_fen": amount,
            "paid_at": self.clock.now().isoformat(),
            "payer_uscc": levy["payer_uscc"],
        }

    def confirm(self, confirmation: dict, key: str | None = None) -> dict | None:
        key = key or f"pay-{confirmation['voucher_number']}"
        try:
            accepted = send(self.client, "/v1/tax/payments", confirmation, key=key)
        except ApiError as exc:
            log.warning("tax: confirmation %s refused: %s", confirmation["voucher_number"], exc)
            return None
        self.sent.append(confirmation)
        self.resendable.append((key, confirmation))
        self.paid[confirmation["levy_number"]] = (
            self.paid.get(confirmation["levy_number"], 0) + confirmation["amount_fen"]
        )
        return accepted

    def pay(self, levy: dict, amount: int | None = None) -> dict | None:
        """What the checkout does when the payer presses 支付: the bank answers, the tax system confirms."""
        confirmation = self.confirmation(levy, amount or levy["amount_fen"] - self.paid.get(levy["levy_number"], 0))
        if confirmation["amount_fen"] <= 0:
            return None
        accepted = self.confirm(confirmation)
        log.info(
            "tax: checkout paid %s: %d fen (voucher %s)",
            levy["levy_number"],
            confirmation["amount_fen"],
            confirmation["voucher_number"],
        )
        return accepted

    def redeliver(self) -> None:
        """Duplicates as a real gateway sends them: the same request again (same key: replayed) and the
        same voucher under a new key (refused, naming the voucher — the tax system treats it as done)."""
        if not self.resendable:
            return
        key, confirmation = self.rng.choice(self.resendable)
        replay = self.client.request("POST", "/v1/tax/payments", json=confirmation, idempotency_key=key)
        log.info(
            "tax: re-sent voucher %s with its key → %s%s",
            confirmation["voucher_number"],
            replay.status_code,
            " (replayed)" if replay.headers.get("Idempotent-Replayed") else "",
        )
        again = self.client.request("POST", "/v1/tax/payments", json=confirmation)
        log.info(
            "tax: re-sent voucher %s under a new key → %s %s",
            confirmation["voucher_number"],
            again.status_code,
            again.json().get("field", ""),
        )

    def pay_in_a_batch_out_of_order(self, levies: list[dict]) -> dict:
        """Several payments confirmed in one batch, in an order other than they were paid."""
        items = [self.confirmation(levy, levy["amount_fen"] - self.paid.get(levy["levy_number"], 0)) for levy in levies]
        items = [i for i in items if i["amount_fen"] > 0]
        if not items:
            return {"accepted": 0, "rejected": 0, "items": []}
        self.rng.shuffle(items)
        result = send(self.client, "/v1/tax/payments/batch", {"items": items})
        for item, outcome in zip(items, result["items"]):
            if outcome["accepted"]:
                self.sent.append(item)
                self.paid[item["levy_number"]] = self.paid.get(item["levy_number"], 0) + item["amount_fen"]
        log.info(
            "tax: batch of %d out of order: %d accepted, %d refused", len(items), result["accepted"], result["rejected"]
        )
        return result

    def refund(self, levy: dict, amount: int) -> dict | None:
        refund = {
            "refund_reference": f"RF-{self.voucher()}",
            "levy_number": levy["levy_number"],
            "amount_fen": amount,
            "refunded_at": self.clock.now().isoformat(),
        }
        try:
            return send(self.client, "/v1/tax/refunds", refund, key=f"refund-{refund['refund_reference']}")
        except ApiError as exc:
            log.warning("tax: refund refused: %s", exc)
            return None

    def reconcile_today(self) -> dict:
        today = datetime.now(SHANGHAI).date()
        ours = self.client.get(f"/v1/tax/statements/{today}")
        theirs = {
            "day": str(today),
            "items": [
                {k: c[k] for k in ("voucher_number", "levy_number", "amount_fen", "paid_at")}
                for c in self.sent
                if datetime.fromisoformat(c["paid_at"]).date() == today
            ],
        }
        result = send(self.client, "/v1/tax/reconciliations", theirs)
        log.info(
            "tax: reconciliation of %s: %d matched, clean=%s (our statement: %d payments)",
            today,
            result["matched"],
            result["clean"],
            ours["count"],
        )
        return result


class OfficeDesk:
    """An office clerk's browser: a session cookie and the CSRF token."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        response = self.http.post(
            self.base_url + "/v1/auth/login", json={"username": username, "password": password}, timeout=30
        )
        if response.status_code != 200:
            raise ApiError(response.status_code, response.json())
        self.http.headers["X-CSRF-Token"] = response.json()["csrf_token"]

    def post(self, path: str, payload: dict) -> dict:
        response = self.http.post(self.base_url + path, json=payload, timeout=30)
        if response.status_code >= 400:
            raise ApiError(response.status_code, response.json())
        return response.json()

    def assess(self, project: SimProject, wait_for_rates: float = 120) -> dict:
        """Assess at the rate table published on chain; right after `ledger deploy` the indexer may not
        have mirrored it yet (422 rate_table_in_force): wait for it rather than give up."""
        deadline = time.monotonic() + wait_for_rates
        while True:
            try:
                return self.post("/v1/office/assessments", {"project_code": project.code})
            except ApiError as exc:
                if exc.problem.get("rule") != "rate_table_in_force" or time.monotonic() > deadline:
                    raise
                log.info("office: no rate table in force yet (waiting for the indexer to mirror it)")
                time.sleep(2)

    def decide(self, commitment_number: str, action: str, document: str) -> dict:
        return self.post(
            path_of("v1", "office", "commitments", commitment_number, "decisions"),
            {"action": action, "document_sha256": document},
        )

    def wait_for(self, command_id: str, timeout: float = 120) -> dict:
        """Poll a command until it is indexed; LedgerError when it failed or the time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(f"{self.base_url}/v1/office/commands/{command_id}", timeout=30)
            if response.status_code >= 400:
                raise ApiError(response.status_code, response.json())
            command = response.json()
            if command["status"] == "indexed":
                return command
            if command["status"] == "failed":
                raise LedgerError(
                    f"command {command_id} ({command['kind']} {command['reference']}) failed: {command.get('error')}"
                )
            if time.monotonic() > deadline:
                raise LedgerError(f"command {command_id} is {command['status']} after {timeout} s")
            time.sleep(0.5)
