"""The API's and the worker's wall clock jumping forward two hours, back past where it was, and a day
and an hour forward (past the idempotency retention), under the whole stack
(tests/e2e/clock_shift/sitecustomize.py shifts time.time in the services; the database's clock is left
alone): a signed request is refused when replayed at every step, idempotency records made before, during
and after the jumps are replayed (neither lost nor expired: they are kept by the database's clock), and
every payment still ends `indexed`, on chain once. The client signs by the true time: the signature
window is judged by the database's clock too, so the API host's jump does not move it."""

import os
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests

from devtools.bench.stack import Stack
from devtools.sdk import encode_body
from ledger.access.signing import sign_request
from tests.e2e.test_restarts import PAYMENTS, levy_for, payment_for, vouchers_on_chain, wait_until

JUMP = 2 * 3600  # far past the signature window (300 s) and three windows (how long nonces must be kept)
PAST_RETENTION = 25 * 3600  # past LEDGER_API_IDEMPOTENCY_RETENTION_HOURS (24)
SHIFT = Path(__file__).parent / "clock_shift"


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clock") / "offset"
    path.write_text("0")
    return path


@pytest.fixture(scope="module")
def stack(clock_file, node_kind, tmp_path_factory):
    with Stack(
        tmp_path_factory.mktemp("clock-jumps"),
        node_kind=node_kind,
        extra_env={
            "PYTHONPATH": os.pathsep.join([str(SHIFT), os.environ.get("PYTHONPATH", "")]),
            "LEDGER_TEST_CLOCK_OFFSET_FILE": str(clock_file),
            "LEDGER_INDEX_POLL_SECONDS": "0.2",
        },
    ) as running:
        yield running


class Clock:
    """The services' host clock offset; the client signs by the true time (the database's clock)."""

    def __init__(self, stack, path: Path):
        self.stack, self.path, self.offset = stack, path, 0

    def move_to(self, offset: int) -> None:
        self.path.write_text(str(offset))
        self.offset = offset

        def server_follows():
            answer = requests.get(self.stack.api_url + "/health", timeout=30).json()
            server_time = datetime.fromisoformat(answer["chain"]["server_time"]).timestamp()
            return abs(server_time - time.time() - offset) < 5

        wait_until(server_follows, 10, f"the API's clock to read {offset:+d} s")

    def now(self) -> int:
        return int(time.time())


def signed(stack, clock: Clock, payment: dict, key: str) -> tuple[bytes, dict]:
    """A signed POST of `payment` under Idempotency-Key `key`, as bytes and headers (to send again verbatim)."""
    body = encode_body(payment)
    headers = sign_request(
        stack.keys["tax-bureau"],
        client_id="tax-bureau",
        method="POST",
        target=PAYMENTS,
        body=body,
        timestamp=clock.now(),
    ).as_dict()
    return body, {**headers, "Content-Type": "application/json", "Idempotency-Key": key}


def send(stack, request: tuple[bytes, dict]) -> requests.Response:
    body, headers = request
    return requests.post(stack.api_url + PAYMENTS, data=body, headers=headers, timeout=30)


def test_a_server_clock_jumping_forward_and_back_keeps_nonces_refused_idempotency_records_and_commands(
    stack, clock_file
):
    clock = Clock(stack, clock_file)
    levy = levy_for(stack)
    payments = {step: payment_for(stack, levy) for step in ("before", "ahead", "behind")}
    key = {step: f"clock-{step}-{uuid.uuid4().hex[:8]}" for step in payments}
    requests_sent, first_answers = {}, {}

    def accept(step: str) -> None:
        requests_sent[step] = signed(stack, clock, payments[step], key[step])
        answer = send(stack, requests_sent[step])
        assert answer.status_code == 202, answer.text
        first_answers[step] = answer

    def replays_under_every_key() -> None:
        """Each key so far, with a fresh signature (a client retrying): the first answer, replayed."""
        for step, first in first_answers.items():
            again = send(stack, signed(stack, clock, payments[step], key[step]))
            assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true", (step, again.text)
            assert again.content == first.content

    def every_replay_refused(rule_now: dict[str, str]) -> None:
        """Each request sent so far, byte for byte again: refused, for its nonce or its timestamp."""
        for step, request in requests_sent.items():
            refused = send(stack, request)
            assert refused.status_code == 401, (step, refused.status_code, refused.text)
            assert refused.json()["rule"] == rule_now[step], (step, refused.text)

    def every() -> dict[str, str]:
        """Each request sent so far: refused for its nonce (by the database's clock every timestamp is recent)."""
        return {step: "unused" for step in requests_sent}

    accept("before")
    every_replay_refused(every())

    clock.move_to(+JUMP)
    accept("ahead")
    replays_under_every_key()  # the record made two hours "earlier" is not expired
    every_replay_refused(every())

    clock.move_to(-JUMP)  # back, and two hours past where it started
    accept("behind")
    replays_under_every_key()  # the record made "in the future" too
    every_replay_refused(every())

    clock.move_to(+PAST_RETENTION)  # the host's clock past the retention: no key is freed by it
    replays_under_every_key()
    every_replay_refused(every())

    clock.move_to(0)
    every_replay_refused(every())
    replays_under_every_key()

    client = stack.client("tax-bureau")
    for answer in first_answers.values():
        assert client.wait_for(answer.json()["command_id"], "indexed", timeout=60)["status"] == "indexed"
    vouchers = [p["voucher_number"] for p in payments.values()]
    assert vouchers_on_chain(stack, vouchers) == {v: 1 for v in vouchers}
