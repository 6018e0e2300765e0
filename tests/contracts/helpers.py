"""Small helpers for the contract tests."""

from contextlib import contextmanager

import pytest

from ledger.errors import ContractRevert
from ledger.identifiers import enterprise_key, project_key, reference_key
from ledger.settings import DEV_PEPPER

PAYER = enterprise_key("91410100MA44XXXX0X", DEV_PEPPER)
BASIS = reference_key("sample-rate-table-v1")
DOC = reference_key("document")


def project(n: int = 0) -> bytes:
    return project_key(f"2026-410105-47-01-{n:06d}")


@contextmanager
def reverts(name: str):
    with pytest.raises(ContractRevert) as excinfo:
        yield excinfo
    assert excinfo.value.name == name, f"expected {name}, got {excinfo.value}"
