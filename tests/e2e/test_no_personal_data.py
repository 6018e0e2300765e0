"""No personal data on chain, and none (nor any secret) in the logs, /health, /metrics or an error body.

A scenario touches every personal field with realistic values — the builder's USCC and name, a
contact person, a mobile phone, and an ID-card number and a home address (the API has no field of
their own: they reach the system the way an approval system would send them, inside the free-text
contact field) — registers, updates, assesses, pays and records a commitment until all of it is
indexed, and provokes errors (bad signature, bad input, unknown resources, a duplicate, a failed
login). Then every block's transactions' input and every log's topics and data, from block 0 to
the tip, are searched for each value in every form it could take: UTF-8, GBK, their lowercase hex,
JSON and Python escapes, percent-encoding, and keccak-256 and SHA-256 of the plain value (raw and as
hex). The services' log files, /health, /metrics and the error bodies get the same search, and one
for the secrets the running system holds.
"""

import base64
import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from eth_utils import keccak
from sqlalchemy.engine import make_url
from stdnum.cn import ric, uscc

from devtools.bench.stack import OFFICE_PASSWORD, OFFICE_USER
from devtools.sdk import ApiError, LedgerClient, path_of
from ledger.chain.node import connect, signers_from_mnemonic
from ledger.core.identifiers import enterprise_key, project_key, reference_key
from ledger.core.settings import get_settings
from tests.api.conftest import USCC_A, USCC_B, project_body, project_code
from tests.e2e.test_payment_flow import assess_and_wait_until_indexed

# Realistic values, valid where the identifier carries a check character (python-stdnum).
BUILDER_USCC = "91410105MA9GKB8Q1" + uscc.calc_check_digit("91410105MA9GKB8Q1")
BUILDER_NAME = "郑州豫安人防置业有限公司"
CONTACT_NAME = "李秀英"
ID_CARD = "41010519880315452" + ric.calc_check_digit("41010519880315452")
HOME_ADDRESS = "郑州市金水区花园路88号3号楼2单元501室"
MOBILE = "13903712468"
LANDLINE = "0371-65550123"  # also the fixtures' (tests/api/conftest.py)
FIXTURE_VALUES = [USCC_A, USCC_B, "郑州某置业有限公司", "王工"]  # what the other end-to-end modules send
PERSONAL = [BUILDER_USCC, BUILDER_NAME, CONTACT_NAME, ID_CARD, HOME_ADDRESS, MOBILE, LANDLINE, *FIXTURE_VALUES]


@dataclass(frozen=True)
class Needle:
    what: str  # the value's label and the form searched, for the failure message
    form: bytes
    any_case: bool = False  # hex digits: matched in either case


def forms_of(value: str) -> list[Needle]:
    """Every form a value could take in a transaction, a log line or a JSON body."""
    plain = value.encode()
    encodings = {"utf-8": plain}
    with contextlib.suppress(UnicodeEncodeError):  # a value GBK cannot spell cannot leak in GBK
        encodings["gbk"] = value.encode("gbk")
    needles = []
    for name, raw in encodings.items():
        needles += [Needle(f"{value!r} in {name}", raw), Needle(f"{value!r} as {name} hex", raw.hex().encode(), True)]
    if not value.isascii():
        needles += [
            Needle(f"{value!r} JSON-escaped", json.dumps(value)[1:-1].encode(), True),
            Needle(f"{value!r} as Python bytes", repr(plain)[2:-1].encode(), True),
            Needle(f"{value!r} percent-encoded", quote(value).encode(), True),
        ]
    for name, digest in (("keccak-256", keccak(plain)), ("SHA-256", hashlib.sha256(plain).digest())):
        needles += [
            Needle(f"{name} of {value!r}", digest),
            Needle(f"{name} of {value!r} as hex", digest.hex().encode(), True),
        ]
    return needles


def secret_forms(name: str, secret: str | bytes) -> list[Needle]:
    """A secret as text and, for key material, its raw bytes, hex and base64."""
    raw = secret.encode() if isinstance(secret, str) else secret
    forms = {raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"=")}
    return [Needle(f"secret {name}", form, form == raw.hex().encode()) for form in forms]


def leaks(haystack: bytes, needles: list[Needle]) -> list[str]:
    lowered = haystack.lower()
    return [n.what for n in needles if n.form in haystack or (n.any_case and n.form.lower() in lowered)]


def search(sources: dict[str, bytes], needles: list[Needle]) -> list[str]:
    """'<where>: <what>' for every needle found in any source."""
    return [f"{where}: {what}" for where, blob in sources.items() for what in leaks(blob, needles)]


def running_secrets(stack) -> list[Needle]:
    """The secrets the stack's processes hold: the settings' key material (the stack runs on the
    development values), the role keys, the clients' private keys, the office password and the
    database password."""
    settings = get_settings()
    secrets = settings.secrets
    needles = secret_forms("mnemonic", secrets.mnemonic.get_secret_value())
    needles += secret_forms("enterprise pepper", secrets.enterprise_pepper.get_secret_value())
    for part in secrets.field_keys.get_secret_value().split(","):
        needles += secret_forms("field key", base64.b64decode(part.partition(":")[2]))
        needles += secret_forms("field key setting", part.partition(":")[2])
    needles += secret_forms("platform signing key", base64.b64decode(settings.platform.signing_key.get_secret_value()))
    needles += secret_forms("session secret", settings.api.session_secret.get_secret_value())
    needles += secret_forms("office password", OFFICE_PASSWORD)
    for role, signer in signers_from_mnemonic(secrets.mnemonic.get_secret_value()).items():
        needles += secret_forms(f"{role} private key", bytes(signer.key))
    for client, key in stack.keys.items():
        needles += secret_forms(
            f"{client} private key", key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        )
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
        needles += secret_forms(f"{client} private key PEM", "".join(pem.splitlines()[1:-1]))
    password = make_url(stack.database_url).password
    assert password, "the end-to-end stack's database URL carries a password, so that its absence is checked"
    needles += secret_forms("database password", password)
    return needles


def chain_sources(stack) -> dict[str, bytes]:
    """Every transaction's input and every log's topics and data, from block 0 to the tip."""
    w3 = connect(stack.node.url)
    tip = w3.eth.block_number
    sources = {}
    for number in range(tip + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            sources[f"block {number} tx {tx['hash'].hex()} input"] = bytes(tx["input"])
    for log in w3.eth.get_logs({"fromBlock": 0, "toBlock": tip}):
        where = f"block {log['blockNumber']} log {log['logIndex']}"
        sources[where] = b"".join(bytes(topic) for topic in log["topics"]) + bytes(log["data"])
    assert len(sources) > tip, "the scan saw the chain's transactions"
    return sources


def refused(call) -> ApiError:
    with pytest.raises(ApiError) as error:
        call()
    return error.value


@dataclass
class Scenario:
    project_code: str
    voucher: str
    errors: list[tuple[int, str]]  # each provoked error's status and body


def run_scenario(stack) -> Scenario:
    """Register, update, assess, pay and commit with the personal values until indexed; then
    provoke errors."""
    approval, tax = stack.client("approval-bureau"), stack.client("tax-bureau")
    code = project_code()
    registration = project_body(
        code,
        BUILDER_USCC,
        builder_name=BUILDER_NAME,
        contact_person=f"{CONTACT_NAME}（身份证 {ID_CARD}，住 {HOME_ADDRESS}）",
        contact_phone=MOBILE,
    )
    approval.post("/v1/approval/projects", registration)
    approval.post("/v1/approval/projects", registration | {"contact_phone": LANDLINE})  # an update
    assess_and_wait_until_indexed(stack, code)
    levy = next(levy for levy, _ in tax.levies(limit=500) if levy["project_code"] == code)
    assert levy["payer_uscc"] == BUILDER_USCC
    payment = {
        "levy_number": levy["levy_number"],
        "voucher_number": f"PII-{uuid.uuid4().hex[:12].upper()}",
        "amount_fen": levy["amount_fen"],
        "paid_at": stack.chain_time().isoformat(),
        "payer_uscc": BUILDER_USCC,
    }
    paid = tax.post("/v1/tax/payments", payment)
    commitment = {
        "commitment_number": f"CN-PII-{uuid.uuid4().hex[:8].upper()}",
        "project_code": code,
        "enterprise_uscc": BUILDER_USCC,
        "kind": "shelter_build",
        "due_date": (date.today() + timedelta(days=400)).isoformat(),
        "terms_sha256": hashlib.sha256(f"承诺书 {BUILDER_NAME} {CONTACT_NAME}".encode()).hexdigest(),
    }
    (committed,) = approval.post("/v1/approval/commitments", commitment)
    tax.wait_for(paid["command_id"], "indexed", timeout=120)
    approval.wait_for(committed["command_id"], "indexed", timeout=120)

    errors = []
    forged = LedgerClient(stack.api_url, "approval-bureau", Ed25519PrivateKey.generate())
    bad_uscc = BUILDER_USCC[:-1] + ("0" if BUILDER_USCC[-1] != "0" else "1")
    for expected, call in (
        (401, lambda: forged.post("/v1/approval/projects", registration)),  # bad signature
        (422, lambda: approval.post("/v1/approval/projects", registration | {"contact_phone": ID_CARD[:-1] + "X"})),
        (422, lambda: approval.post("/v1/approval/projects", registration | {"builder_uscc": bad_uscc})),
        (422, lambda: tax.post("/v1/tax/payments", payment | {"payer_uscc": bad_uscc, "voucher_number": "PII-2"})),
        (409, lambda: tax.post("/v1/tax/payments", payment)),  # the same voucher under a new key
        (404, lambda: approval.get(path_of("v1", "approval", "projects", project_code()))),
        (404, lambda: tax.get(path_of("v1", "commands", uuid.uuid4().hex))),
    ):
        error = refused(call)
        assert error.status == expected, error
        errors.append((error.status, json.dumps(error.problem, ensure_ascii=False)))
    for body in (
        {"username": OFFICE_USER, "password": f"{OFFICE_PASSWORD}!"},  # wrong password
        {"username": MOBILE, "password": ID_CARD},  # an enterprise's staff guessing
    ):
        answer = requests.post(stack.api_url + "/v1/auth/login", json=body, timeout=30)
        assert answer.status_code == 401, answer.text
        errors.append((answer.status_code, answer.text))
    answer = requests.post(
        stack.api_url + "/v1/auth/login", data=f'{{"username": "{CONTACT_NAME}",'.encode("gbk"), timeout=30
    )
    assert answer.status_code in (400, 422), answer.text
    errors.append((answer.status_code, answer.text))
    return Scenario(code, payment["voucher_number"], errors)


def test_after_the_scenario_no_personal_data_is_on_chain_and_none_nor_any_secret_is_in_logs_health_metrics_or_errors(
    stack,
):
    scenario = run_scenario(stack)
    personal = [needle for value in PERSONAL for needle in forms_of(value)]
    secrets = running_secrets(stack)

    chain = chain_sources(stack)
    # What the chain holds instead — the keys of the project, the enterprise and the voucher — is
    # found: the scan reads the bytes the identifiers would be in.
    pepper = get_settings().secrets.enterprise_pepper.get_secret_value()
    keys = {
        "project key": project_key(scenario.project_code),
        "enterprise key": enterprise_key(BUILDER_USCC, pepper),
        "voucher key": reference_key(scenario.voucher),
    }
    assert {name for name, key in keys.items() if any(key in blob for blob in chain.values())} == set(keys)
    assert search(chain, personal + secrets) == []

    answers = {
        f"{name} of {url}": requests.get(url + name, timeout=30).content
        for url in stack.api_urls
        for name in ("/health", "/metrics")
    }
    assert all(b"ledger_chain_up 1.0" in answer for name, answer in answers.items() if "/metrics" in name)
    answers |= {f"error {i} ({status})": body.encode() for i, (status, body) in enumerate(scenario.errors)}
    logs = {path.name: path.read_bytes() for path in sorted(stack.work_dir.glob("*.log"))}
    assert b"Task ledger.writer.drain" in b"".join(text for name, text in logs.items() if name.startswith("worker"))
    assert b"POST /v1/tax/payments" in b"".join(text for name, text in logs.items() if name.startswith("api"))
    assert search(answers | logs, personal) == []
    # The development node's own log lists its well-known accounts' keys (the role keys): not our services'.
    node_log = f"{stack.node_kind}.log"
    assert search(answers | {name: text for name, text in logs.items() if name != node_log}, secrets) == []


def test_the_scan_finds_a_value_planted_in_any_of_its_forms():
    """The scan would fail the test on a leak: each form of a value and a secret, planted in noise, is found."""
    noise = bytes(range(256)) * 4
    for value in (ID_CARD, HOME_ADDRESS):
        for needle in forms_of(value):
            planted = noise + needle.form + noise
            assert needle.what in leaks(planted, forms_of(value)), needle.what
            if needle.any_case:
                assert needle.what in leaks(noise + needle.form.upper() + noise, forms_of(value))
    assert leaks(noise, forms_of(ID_CARD)) == []
    key = hashlib.sha256(b"a key").digest()
    for form in (key, key.hex().upper().encode(), base64.b64encode(key)):
        assert "secret a key" in leaks(noise + form, secret_forms("a key", key))
    assert leaks(noise, secret_forms("a key", key)) == []
    assert search({"worker.log": f"registered {HOME_ADDRESS}".encode("gbk")}, forms_of(HOME_ADDRESS)) == [
        f"worker.log: {HOME_ADDRESS!r} in gbk"
    ]
