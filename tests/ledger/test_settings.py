import pytest
from pydantic import ValidationError

from ledger.settings import Settings


def test_production_refuses_the_public_development_mnemonic():
    with pytest.raises(ValidationError, match="LEDGER_MNEMONIC"):
        Settings(environment="production", enterprise_pepper="a-real-secret-pepper")


def test_production_refuses_the_development_pepper():
    with pytest.raises(ValidationError, match="LEDGER_ENTERPRISE_PEPPER"):
        Settings(environment="production", mnemonic="abandon " * 11 + "about")


def test_development_accepts_the_defaults():
    assert Settings(environment="development").environment == "development"
