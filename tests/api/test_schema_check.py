"""The API refuses to start on a database not at this code's schema revision."""

import os
import subprocess
import sys

import pytest

from ledger.db.schema import head_revision
from tests.support.databases import upgrade_to


@pytest.mark.parametrize("revision", [None, "0008"], ids=["empty", "older"])
def test_the_api_refuses_to_start_on_a_database_not_at_the_head_in_one_line_naming_the_command_to_run(
    tmp_path, revision
):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    if revision:
        upgrade_to(url, revision)
    server = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--host", "127.0.0.1", "--port", "0"],
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode != 0
    assert "Traceback" not in server.stderr, server.stderr
    reasons = [line for line in server.stderr.splitlines() if "ledger db upgrade" in line]
    assert len(reasons) == 1, server.stderr
    assert head_revision() in reasons[0] and (revision or "no schema") in reasons[0]
