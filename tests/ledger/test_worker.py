"""The Celery worker (ledger.worker): the app made by its factory, nothing loaded on import, a bad setting in one
line, and the indexer as a beat task run by a real worker process on Redis, also through a node that resets
connections, answers 502 and 429 and times out once."""

import os
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import replace

import pytest
import redis
from sqlalchemy import text
from sqlmodel import Session

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain import reconciliation
from ledger.core.settings import Settings
from ledger.worker import _command_line_app, beat_schedule, create_app, reconcile_if_due
from tests.ledger.indexer.conftest import make_indexer, read_model, workload
from tests.ledger.indexer.faulty_node import Faults, FaultyNode


REDIS_DB = 14


def indexed_to(engine) -> int:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT block_number FROM chain_state")).first()
    return row[0] if row else -1


FAULTS = {
    "a_good_node": None,
    "a_faulty_node": Faults(
        reset_rate=0.05, http_502_rate=0.05, http_429_rate=0.03, timeouts=1, timeout_seconds=1.5, seed=5
    ),
}


@pytest.mark.every_node  # runs on Hardhat and on anvil
@pytest.mark.parametrize("behaviour", FAULTS)
def test_a_celery_worker_with_beat_keeps_the_read_model_up_to_date(chain, tmp_path, behaviour):
    faults = FAULTS[behaviour]
    node = FaultyNode(chain.node.url, replace(faults)) if faults else None  # a copy: the proxy counts faults down
    with node or nullcontext():
        _worker_keeps_up(chain, tmp_path, node.url if node else chain.node.url)
    if node:
        assert node.seen["timeouts"] == 1 and node.seen["resets"] + node.seen["http_502"] + node.seen["http_429"] > 0


def _worker_keeps_up(chain, tmp_path, node_url):
    broker = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()  # Redis must be running: a missing server fails the test
    database_url = f"sqlite:///{tmp_path / 'read-model.db'}"
    manifest_path = tmp_path / "deployment.json"
    chain.manifest.save(manifest_path)
    load = workload(chain)
    projects = load.assess(5)
    env = {
        **os.environ,
        "LEDGER_RPC_URL": node_url,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_MANIFEST_PATH": str(manifest_path),
        "LEDGER_BROKER_URL": broker,
        "LEDGER_INDEX_POLL_SECONDS": "0.2",
        "LEDGER_RPC_TIMEOUT_SECONDS": "1",
        "LEDGER_INDEX_RETRY_MAX_SECONDS": "1",
    }
    engine = make_engine(database_url)
    upgrade_schema(engine)  # before the worker starts: it refuses an older schema
    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ledger.worker",
            "worker",
            "-B",
            "--pool=solo",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        env=env,
        stdout=open(log_path, "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        for round_ in range(2):  # the second round proves beat keeps polling
            if round_:
                load.pay(projects, 30)
            head = chain.w3.eth.block_number
            deadline = time.monotonic() + 90
            while indexed_to(engine) < head:
                assert worker.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(30)
    fresh = make_indexer(chain, f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.catch_up()
    assert read_model(engine) == read_model(fresh.engine)


def test_importing_the_worker_module_loads_no_settings_and_creates_no_app():
    # A bad value would stop a worker; importing the module must not even read it.
    probe = (
        "import sys, ledger.worker\n"
        "from ledger.core.settings import get_settings\n"
        "assert get_settings.cache_info().currsize == 0\n"
        "assert 'app' not in vars(ledger.worker)\n"
        "assert sorted(name for name in sys.modules if name.startswith('ledger')) == "
        "['ledger', 'ledger.core', 'ledger.core.errors', 'ledger.core.settings', 'ledger.worker']\n"
    )
    env = {**os.environ, "LEDGER_REORG_LIMIT": "-5"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_worker_started_with_a_bad_setting_says_so_in_one_line_naming_the_variable():
    env = {**os.environ, "LEDGER_WRITER_BATCH_SIZE": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "ledger.worker", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert "LEDGER_WRITER_BATCH_SIZE='0'" in result.stderr


def test_the_worker_started_on_a_database_without_the_schema_says_what_to_run_in_one_line(tmp_path):
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "ledger.worker", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert 'run "ledger db upgrade"' in result.stderr


def test_the_app_is_built_from_the_settings_with_every_task_found_by_autodiscovery(monkeypatch):
    monkeypatch.setenv("LEDGER_CELERY_QUEUE", "ledger-test-queue")
    monkeypatch.setenv("LEDGER_WEBHOOK_POLL_SECONDS", "0.3")
    app = create_app()
    app.loader.import_default_modules()  # what a starting worker does: autodiscovery imports each tasks.py
    assert {
        "ledger.index_chain",
        "ledger.writer.drain",
        "ledger.writer.mark_indexed",
        "ledger.webhooks.deliver",
        "ledger.commitments.sweep_overdue",
        "ledger.notices.scan",
        "ledger.reconcile_if_due",
        "ledger.sharing.push",
    } <= set(app.tasks)
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= set(app.tasks)
    assert app.conf.beat_schedule["webhooks-deliver"]["schedule"] == 0.3
    assert app.conf.task_default_queue == "ledger-test-queue"
    assert app.conf.task_acks_late and app.conf.accept_content == ["json"] and app.conf.task_serializer == "json"


def test_beat_pushes_credit_events_only_while_the_credit_platforms_url_is_set():
    assert "credit-sharing-push" not in beat_schedule(Settings())
    shared = beat_schedule(Settings(credit_sharing={"url": "https://credit.example.gov.cn/intake", "poll_seconds": 5}))
    assert shared["credit-sharing-push"] == {"task": "ledger.sharing.push", "schedule": 5, "options": {"expires": 25}}


def test_the_worker_started_while_the_database_is_down_starts_and_says_each_task_checks_again(monkeypatch, caplog):
    monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql://127.0.0.1:1/nothing-listens-here")
    _command_line_app.cache_clear()
    try:
        app = _command_line_app()
    finally:
        _command_line_app.cache_clear()
    assert app.main == "ledger"
    assert "the database is unreachable at start" in caplog.text


def test_the_reconciliation_task_runs_at_once_on_a_fresh_database_then_only_when_asked_or_a_day_later(
    monkeypatch, tmp_path
):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    monkeypatch.setenv("LEDGER_RPC_URL", "http://127.0.0.1:9")  # no node: the audit says so in the run
    assert reconcile_if_due() == 1
    assert reconcile_if_due() is None  # the last run is not a day old
    with Session(engine) as s:
        reconciliation.request_reconciliation(s, actor="regulator")
        s.commit()
    assert reconcile_if_due() == 2
    with Session(engine) as s:
        run = reconciliation.latest_run(s)
    assert run.run_id == 2 and run.trigger == "on_demand" and run.status == "done"
    assert run.checked["read_model"].startswith("not checked: ")
    engine.dispose()
