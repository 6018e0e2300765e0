import pytest

from ledger.identifiers import (
    InvalidIdentifier, enterprise_key, normalise_reference, project_key, reason_code, reference_key,
    validate_project_code, validate_uscc,
)


def test_a_valid_uscc_passes_and_a_wrong_check_character_names_the_field():
    assert validate_uscc("91110000600037341L") == "91110000600037341L"
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_uscc("91110000600037341X", field="payer_uscc")
    assert excinfo.value.field == "payer_uscc"


def test_project_codes_must_have_the_national_form_and_a_zhengzhou_division():
    assert validate_project_code("2026-410105-47-01-000123")
    with pytest.raises(InvalidIdentifier, match="YYYY-RRRRRR-II-TT-NNNNNN"):
        validate_project_code("2026-410105-47-01-123")
    with pytest.raises(InvalidIdentifier, match="410999"):
        validate_project_code("2026-410999-47-01-000123")


def test_enterprise_keys_depend_on_the_pepper_and_project_keys_are_keccak():
    assert enterprise_key("91110000600037341L", "a") != enterprise_key("91110000600037341L", "b")
    assert len(project_key("2026-410105-47-01-000123")) == 32


def test_reason_codes_are_readable_bytes32():
    assert reason_code("SCHOOL_EXEMPT").rstrip(b"\0") == b"SCHOOL_EXEMPT"
    with pytest.raises(InvalidIdentifier):
        reason_code("X" * 33)


def test_references_are_normalised_before_hashing_so_one_voucher_has_one_key():
    same = ["SP2026-000123", "sp2026-000123", " SP 2026-000123\t", "ＳＰ２０２６－０００１２３", "SP2026\u2014000123",
            "SP2026\u3000-000123"]
    assert {normalise_reference(v) for v in same} == {"SP2026-000123"}
    assert len({reference_key(v) for v in same}) == 1
    assert reference_key("SP2026-000124") != reference_key("SP2026-000123")


def test_an_empty_or_control_character_reference_names_the_field():
    with pytest.raises(InvalidIdentifier) as excinfo:
        reference_key(" \u3000 ", field="voucher")
    assert excinfo.value.field == "voucher"
    with pytest.raises(InvalidIdentifier, match="control"):
        normalise_reference("SP\x00123")


def test_reason_codes_are_printable_ascii_only_so_the_read_model_keeps_them_losslessly():
    for bad in ("减免", "WITH SPACE", "", "TAB\t"):
        with pytest.raises(InvalidIdentifier, match="printable ASCII"):
            reason_code(bad)
