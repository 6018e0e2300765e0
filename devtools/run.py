"""`python -m devtools run` (what `make run` runs): chain, deployment, indexer, Celery worker, API and the
tax/approval simulators on 127.0.0.1.

On the embedded defaults it starts a fresh Hardhat node and a fresh SQLite read model each
time (the local chain keeps nothing when it stops). Pointed at a persistent node and database
through the settings, it starts neither afresh and keeps their state.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from ledger.chain.node import connect
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.chain.deploy import deploy, deploy_options
from devtools.dev_node import LocalNode, rpc_ready
from ledger.core.errors import ChainUnavailable
from ledger.chain.keystore import load_signers
from ledger.chain.manifest import load_manifest
from devtools import REPO_ROOT
from ledger.core.settings import DatabaseSettings, RpcSettings, Settings, get_settings

VAR = REPO_ROOT / "var"
SIM = VAR / "sim"


def _say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def _fresh_local_state(settings: Settings) -> bool:
    """On the embedded database, `python -m devtools run` starts a node of its own: on the default RPC URL, or on
    another 127.0.0.1 port where nothing answers yet. A node that answers elsewhere is kept."""
    if settings.database.url != DatabaseSettings.model_fields["url"].get_default(call_default_factory=True):
        return False
    if settings.rpc.url == RpcSettings.model_fields["url"].get_default():
        return True
    return urlsplit(settings.rpc.url).hostname == "127.0.0.1" and not rpc_ready(settings.rpc.url)


def _register_simulators(settings: Settings) -> dict[str, str]:
    """Keys for the simulated tax and approval systems (var/sim/*.key, registered as clients), an office
    user for the simulated clerk, and demo logins for people. Reused when the database has them. The keys
    are of LEDGER_CRYPTO_PROFILE's algorithm (Ed25519, or SM2 under gm)."""
    from ledger.access import store
    from ledger.access.registry import add_client
    from ledger.access.signing import private_key_pem, public_key_pem
    from ledger.access.users import add_user
    from ledger.core.crypto_profile import current_profile
    from devtools.sim.world import World

    profile = current_profile(settings)

    engine = make_engine(settings.database.url)
    SIM.mkdir(parents=True, exist_ok=True)
    for name, role in (("tax-bureau", "tax"), ("approval-bureau", "approval")):
        key_file = SIM / f"{name}.key"
        with engine.connect() as conn:
            known = store.get_client(conn, name)
        if known and key_file.exists():
            continue
        if known:
            raise ChainUnavailable(
                f"client {name} exists but {key_file} is gone; retire its key or use a fresh database"
            )
        key = profile.signatures.generate()
        key_file.touch(mode=0o600)
        key_file.write_bytes(private_key_pem(key))
        add_client(engine, name=name, role=role, public_key_text=public_key_pem(key.public_key()), profile=profile)
    passwords_file = SIM / "passwords.txt"
    passwords = (
        dict(line.split(" ", 1) for line in passwords_file.read_text().splitlines()) if passwords_file.exists() else {}
    )
    demo = {
        "sim-office": ("office", None),
        "office": ("office", None),
        "regulator": ("regulator", None),
        "enterprise": ("enterprise", World(2026).builders[0].uscc),
    }
    for username, (role, uscc) in demo.items():
        passwords.setdefault(username, secrets.token_urlsafe(12))
        with engine.connect() as conn:
            exists = store.get_user(conn, username=username) is not None
        if not exists:  # an existing user keeps its password
            add_user(engine, username=username, password=passwords[username], role=role, uscc=uscc)
    passwords_file.touch(mode=0o600)
    passwords_file.write_text("".join(f"{u} {p}\n" for u, p in passwords.items()))
    engine.dispose()
    return passwords


def run_dev(simulate: bool = True) -> int:
    os.chdir(REPO_ROOT)  # the settings' local state (var/) and .env are the working directory's: the checkout's
    settings = get_settings()
    VAR.mkdir(exist_ok=True)
    node = None
    if _fresh_local_state(settings):
        if rpc_ready(settings.rpc.url):
            raise ChainUnavailable(f"something already answers at {settings.rpc.url}; stop it first")
        _say("fresh local chain and fresh local database: nothing from an earlier run is kept")
        for name in (
            "ledger.db",
            "ledger.db-wal",
            "ledger.db-shm",
            "deployment.json",
            "celery-broker.db",
            "beat-schedule",
        ):
            (VAR / name).unlink(missing_ok=True)
        log_name = f"{settings.dev.node}.log"
        node = LocalNode(
            port=int(settings.rpc.url.rsplit(":", 1)[1]), kind=settings.dev.node, log_path=VAR / log_name
        ).start()
        _say(f"{settings.dev.node} node on {node.url} (log: var/{log_name})")
    children: list[tuple[str, subprocess.Popen]] = []
    try:
        w3 = connect(settings.rpc.url)
        manifest_path = settings.deployment.manifest_path
        existing = load_manifest(manifest_path) if manifest_path.exists() else None
        manifest, deployed = deploy(w3, load_signers(settings), existing=existing, options=deploy_options(settings))
        manifest.save(settings.deployment.manifest_path)
        for c in manifest.contracts:
            _say(f"{'deployed' if deployed else 'reusing'} {c.name} at {c.address}")
        upgrade_schema(make_engine(settings.database.url))

        python, api_port = sys.executable, settings.dev.api_port
        commands = {
            "indexer": [python, "-m", "ledger", "index", "--follow"],
            # Concurrency 3: the outbox drain, the indexer and the webhooks run side by side.
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "ledger.worker",
                "worker",
                "-B",
                "-c",
                "3",
                "--loglevel=INFO",
                "--schedule",
                str(VAR / "beat-schedule"),
            ],
            "api": [
                python,
                "-m",
                "uvicorn",
                "--factory",
                "web.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
            ],
        }
        passwords = _register_simulators(settings) if simulate else {}
        env = dict(os.environ)
        # The worker reconciles within its first 15 s (no run yet), then every quarter hour rather than
        # daily, so the regulator's dashboard follows the living system.
        env.setdefault("LEDGER_NOTICE_SCAN_SECONDS", "15")
        env.setdefault("LEDGER_RECONCILIATION_HOURS", "0.25")
        if simulate:
            # The enterprise workspace's "pay online" links open the simulated tax system's checkout.
            env.setdefault(
                "LEDGER_PORTAL_TAX_CHECKOUT_URL", f"http://127.0.0.1:{settings.dev.checkout_port}/checkout/{{levy}}"
            )
            # The declaration guide reads the approval simulator's materials on file.
            env.setdefault(
                "LEDGER_PORTAL_APPROVAL_MATERIALS_URL",
                f"http://127.0.0.1:{settings.dev.materials_port}/projects/{{project}}/materials",
            )
            # The worker pushes every credit event to the simulated credit platform (in the sim process).
            env.setdefault(
                "LEDGER_CREDIT_SHARING_URL", f"http://127.0.0.1:{settings.dev.credit_platform_port}/credit-events"
            )
            commands["sim"] = [
                python,
                "-m",
                "devtools",
                "sim",
                "--api-url",
                f"http://127.0.0.1:{api_port}",
                "--tax-key",
                str(SIM / "tax-bureau.key"),
                "--approval-key",
                str(SIM / "approval-bureau.key"),
                "--office-user",
                "sim-office",
                "--checkout-port",
                str(settings.dev.checkout_port),
                "--materials-port",
                str(settings.dev.materials_port),
                "--credit-platform-port",
                str(settings.dev.credit_platform_port),
                "--rpc-url",
                settings.rpc.url,
            ]
            env["LEDGER_SIM_OFFICE_PASSWORD"] = passwords["sim-office"]
        for name, command in commands.items():
            if name == "sim":
                _wait_for_api(api_port)
            log = open(VAR / f"{name}.log", "ab")
            children.append(
                (
                    name,
                    subprocess.Popen(
                        command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
                    ),
                )
            )
            _say(f"started {name} (log: var/{name}.log)")
        _say(f"API health:   http://127.0.0.1:{api_port}/health")
        _say(f"API docs:     http://127.0.0.1:{api_port}/docs")
        _say(f"portal:       http://127.0.0.1:{api_port}/ (公众查询, 缴款凭证核验, 费用测算)")
        if simulate:
            _say("simulators:   seeding 24 projects, then one action every 5 s (log: var/sim.log)")
            _say(f"tax checkout: http://127.0.0.1:{settings.dev.checkout_port}/ (pay a levy as an enterprise would)")
            _say(
                f"credit platform: http://127.0.0.1:{settings.dev.credit_platform_port}/status "
                "(the credit events the ledger pushed: /credit-events)"
            )
            _say(
                f"log in:       http://127.0.0.1:{api_port}/login (enterprise → /workspace, regulator → /regulator, "
                "office → /office)"
            )
            _say(
                "dev-only logins (also POST /v1/auth/login; kept in var/sim/passwords.txt): "
                + ", ".join(f"{u} / {p}" for u, p in passwords.items() if u != "sim-office")
            )
        else:
            _say("simulators off (LEDGER_DEV_SIMULATE=false): register clients with `ledger clients add`")
        _say("Ctrl-C stops everything this started")
        return _supervise(children)
    finally:
        _stop(children)
        if node:
            node.stop()
            _say("stopped the local chain")


def _wait_for_api(port: int, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/problems", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)


def _supervise(children) -> int:
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        for name, process in children:
            if process.poll() is not None:
                _say(f"{name} exited with {process.returncode}; see var/{name}.log — stopping the rest")
                return 1
        time.sleep(0.5)
    return 0


def _stop(children) -> None:
    for _name, process in children:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for _name, process in children:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
