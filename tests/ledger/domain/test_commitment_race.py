"""A commitment number taken by a concurrent request between the check and the insert is named like
any taken number: the batch item that holds it."""

import pytest

from ledger.domain import commitments, projects
from ledger.domain.business_keys import KeyStates
from ledger.domain.errors import Conflict
from tests.support.samples import commitment, project


def test_a_number_taken_by_a_concurrent_request_names_its_batch_item(session, monkeypatch):
    projects.register_project(session, project=project(1), client="approval")
    commitments.record_commitments(session, commitments=[commitment(1, "C-1")], client="approval")
    session.commit()
    checks = iter([KeyStates()])  # the first check runs before the concurrent request committed C-1
    real = commitments.key_states
    monkeypatch.setattr(commitments, "key_states", lambda *args: next(checks, None) or real(*args))
    with pytest.raises(Conflict) as taken:
        commitments.record_commitments(
            session, commitments=[commitment(1, "C-2"), commitment(1, "C-1")], client="approval"
        )
    assert (taken.value.field, taken.value.rule) == ("items[1].commitment_number", "unique_forever")
    assert "C-1" in str(taken.value)
