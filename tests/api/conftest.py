"""API fixtures: real uvicorn processes on a scratch PostgreSQL database, real signed clients,
real users. One server pair per test module; tests use their own business keys. The servers and
the clients' keys follow `api_crypto_profile` (standard; a module overrides it to run under both)."""

import itertools
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel
from stdnum.cn import uscc as stdnum_uscc

from ledger.access.registry import add_client
from ledger.access.signing import public_key_pem
from ledger.access.users import add_user
from ledger.core.crypto_profile import STANDARD, CryptoProfile
from devtools.sdk import LedgerClient
from ledger.db.engine import make_engine
from devtools.dev_node import free_port
from devtools import REPO_ROOT
from tests.support.rates import mirror_sample_rate_table

POSTGRES_SERVER = "postgresql://127.0.0.1/test"
PASSWORD = "correct horse battery staple"
_serials = itertools.count(1)


def make_uscc(body: str) -> str:
    """A valid USCC from its first 17 characters."""
    return body + stdnum_uscc.calc_check_digit(body)


USCC_A = make_uscc("91410105MA44ABCD1")
USCC_B = make_uscc("91410102MA40XYT01")


def project_code(district: str = "410105") -> str:
    return f"2026-{district}-70-01-{next(_serials) + os.getpid() % 1000 * 1000:06d}"


def project_body(code: str, uscc: str = USCC_A, **changes) -> dict:
    return {
        "project_code": code,
        "name": "金水区商务中心",
        "builder_uscc": uscc,
        "builder_name": "郑州某置业有限公司",
        "contact_person": "王工",
        "contact_phone": "0371-65550123",
        "district": code.split("-")[1],
        "required_shelter_area": 520000,
        "built_shelter_area": 380000,
        "stage": "approval",
        **changes,
    }


class ApiProcess:
    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "web.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.url + "/problems", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API at {self.url} did not start (see its log)")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@dataclass
class Api:
    urls: list[str]
    engine: Engine
    database_url: str
    keys: dict[str, Any] = field(default_factory=dict)  # Ed25519 or SM2 private keys, as the profile is
    profile: CryptoProfile = STANDARD

    @property
    def url(self) -> str:
        return self.urls[0]

    def client(self, name: str = "tax-bureau", *, key: Any = None, server: int = 0) -> LedgerClient:
        return LedgerClient(self.urls[server], name, key or self.keys[name])

    def login(self, username: str, password: str = PASSWORD) -> requests.Session:
        """A browser-like session: cookie jar plus the CSRF header."""
        http = requests.Session()
        response = http.post(self.url + "/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return http

    def counts(self) -> dict[str, int]:
        """Rows in every table but login_sessions (the tests' own logins write there): what 'nothing
        written' is checked against."""
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables
                if t.name != "login_sessions"
            }


@pytest.fixture(scope="module")
def api_crypto_profile() -> CryptoProfile:
    """The crypto profile of a module's servers; a module runs under both by overriding this with
    `params=PROFILE_NAMES`."""
    return STANDARD


@pytest.fixture(scope="module")
def api(tmp_path_factory, api_crypto_profile, migrated_templates):
    """Two API processes on one scratch PostgreSQL database (a copy of one migrated once per session),
    with a tax and an approval client and office, regulator and two enterprise users."""
    profile = api_crypto_profile
    url, drop = migrated_templates.postgresql("ledger_api_test")
    engine = make_engine(url)
    mirror_sample_rate_table(engine)  # as the indexer would after `ledger deploy` published it
    keys = {"tax-bureau": profile.signatures.generate(), "approval-bureau": profile.signatures.generate()}
    for name, role in (("tax-bureau", "tax"), ("approval-bureau", "approval")):
        add_client(
            engine, name=name, role=role, public_key_text=public_key_pem(keys[name].public_key()), profile=profile
        )
    add_user(engine, username="office1", password=PASSWORD, role="office")
    add_user(engine, username="auditor1", password=PASSWORD, role="regulator")
    add_user(engine, username="ent-a", password=PASSWORD, role="enterprise", uscc=USCC_A)
    add_user(engine, username="ent-b", password=PASSWORD, role="enterprise", uscc=USCC_B)
    logs = tmp_path_factory.mktemp("api-logs")
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": url,
        "LEDGER_RPC_URL": f"http://127.0.0.1:{free_port()}",
        "LEDGER_MANIFEST_PATH": str(logs / "deployment.json"),
        "LEDGER_CRYPTO_PROFILE": profile.name,
    }
    processes = [ApiProcess(env, logs / f"api-{i}.log") for i in range(2)]
    try:
        for p in processes:
            p.wait_ready()
        yield Api(urls=[p.url for p in processes], engine=engine, database_url=url, keys=keys, profile=profile)
    finally:
        for p in processes:
            p.stop()
        engine.dispose()
        drop()


def open_levy(api: Api, uscc: str = USCC_A, district: str = "410105") -> dict:
    """Register a project (approval client), assess it (office user), return its levy from the tax feed."""
    code = project_code(district)
    api.client("approval-bureau").post("/v1/approval/projects", project_body(code, uscc))
    office = api.login("office1")
    response = office.post(api.url + "/v1/office/assessments", json={"project_code": code})
    assert response.status_code == 202, response.text
    levies = [levy for levy, _ in api.client("tax-bureau").levies(limit=500) if levy["project_code"] == code]
    assert len(levies) == 1, levies
    return levies[0]


_vouchers = itertools.count(1)


def payment_for(levy: dict, **changes) -> dict:
    voucher = f"33{time.time_ns() % 10**12:012d}{next(_vouchers):04d}"
    return {
        "levy_number": levy["levy_number"],
        "voucher_number": voucher,
        "amount_fen": levy["amount_fen"],
        "paid_at": levy["created_at"],
        "payer_uscc": levy["payer_uscc"],
        **changes,
    }  # paid once issued
