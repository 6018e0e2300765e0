"""The `ledger` command line assembled from its command groups."""

import os

from tests.support.ledger_cli import ledger


def test_ledger_help_lists_every_command_group():
    result = ledger("--help", env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    for command in ("db", "deploy", "index", "reindex", "audit", "clients", "users", "keys", "webhooks"):
        assert f" {command} " in result.stdout, command
    assert " migrate " not in result.stdout  # the upgrade is `ledger db upgrade`
