"""`ledger webhooks …` on a real SQLite database, as an operator runs them."""

import os

from tests.support.ledger_cli import ledger


def test_an_endpoint_added_is_listed_once_the_database_is_upgraded_and_refused_before(tmp_path):
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    add = (
        "webhooks",
        "add",
        "--subscriber",
        "approval",
        "--url",
        "https://approval.example/hooks",
        "--event",
        "payment.recorded",
    )
    refused = ledger(*add, env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.strip().count("\n") == 0 and 'run "ledger db upgrade"' in refused.stderr
    assert ledger("db", "upgrade", env=env).returncode == 0
    added = ledger(*add, env=env)
    assert added.returncode == 0, added.stderr
    listed = ledger("webhooks", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "approval https://approval.example/hooks events=payment.recorded" in listed.stdout
