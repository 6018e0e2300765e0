import re
import unicodedata

import pytest
from hypothesis import given, strategies as st
from pydantic import TypeAdapter, ValidationError
from stdnum.cn import uscc as stdnum_uscc

from ledger.core.identifiers import (
    DISTRICTS,
    LEVY_NUMBER_PATTERN,
    PROJECT_CODE_PATTERN,
    REASON_CODE_PATTERN,
    REFERENCE_PATTERN,
    USCC_PATTERN,
    Enterprise,
    InvalidIdentifier,
    LevyNumber,
    ProjectCode,
    ReasonCode,
    Reference,
    Uscc,
    enterprise_key,
    fold,
    normalise_reason_code,
    normalise_reference,
    project_key,
    reason_code,
    reference_key,
    validate_levy_number,
    validate_enterprise,
    validate_project_code,
    validate_uscc,
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
    same = [
        "SP2026-000123",
        "sp2026-000123",
        " SP 2026-000123\t",
        "ＳＰ２０２６－０００１２３",
        "SP2026\u2014000123",
        "SP2026\u3000-000123",
    ]
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
    for bad in ("减免", "WITH SPACE", "", "TA\tB"):
        with pytest.raises(InvalidIdentifier, match="printable ASCII"):
            reason_code(bad)


# --- one rule: fold to ASCII (NFKC), then an ASCII pattern; the same in schemas, domain and keys ---


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (U+FF01…), the dash as the full-width hyphen."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_a_full_width_project_code_is_the_same_project_as_its_ascii_twin():
    ascii_code, wide = "2026-410105-70-01-443463", "２０２６-410105-70-01-４４３４６３"
    assert validate_project_code(wide) == ascii_code
    assert project_key(wide) == project_key(ascii_code)
    assert TypeAdapter(ProjectCode).validate_python(wide) == ascii_code
    assert TypeAdapter(ProjectCode).validate_python(full_width(ascii_code)) == ascii_code


def test_digits_of_other_scripts_are_not_digits_of_a_project_code():
    for other in ("٢٠٢٦-410105-70-01-443463", "2026-४१०१०५-70-01-443463", "2026-410105-70-01-44346３x"):
        with pytest.raises(InvalidIdentifier, match="ASCII digits"):
            validate_project_code(other)
        with pytest.raises(ValidationError):
            TypeAdapter(ProjectCode).validate_python(other)


def test_a_full_width_or_lower_case_uscc_is_its_ascii_twin_and_the_check_character_is_checked():
    code = "91410100MA3X5L8R2W"
    assert validate_uscc(full_width(code)) == validate_uscc(code.lower()) == code
    with pytest.raises(InvalidIdentifier, match="GB 32100"):
        validate_uscc(code[:-1] + ("X" if code[-1] != "X" else "Y"))
    with pytest.raises(InvalidIdentifier):
        validate_uscc("٩" + code[1:])  # an Arabic-Indic nine is not a digit of a USCC


def test_levy_numbers_and_reason_codes_follow_the_same_rule():
    assert validate_levy_number(full_width("2026-410105-70-01-000123-a1")) == "2026-410105-70-01-000123-A1"
    with pytest.raises(InvalidIdentifier, match="levy number"):
        validate_levy_number("LV-2026-000123")
    assert reason_code(full_width("affordable_housing")) == reason_code("AFFORDABLE_HOUSING")
    assert TypeAdapter(ReasonCode).validate_python("ａｆｆｏｒｄａｂｌｅ_housing") == "AFFORDABLE_HOUSING"


def test_a_reference_of_non_ascii_letters_is_refused_not_hashed():
    for bad in ("凭证123", "SP-2026-Ж", "SP٢٠٢٦"):
        with pytest.raises(InvalidIdentifier, match="A-Z 0-9"):
            reference_key(bad)


def test_every_type_checks_exactly_what_its_function_checks():
    for adapter, check, good, bad in (
        (Uscc, validate_uscc, "91410100MA3X5L8R2W", "91410100MA3X5L8R2X"),
        (ProjectCode, validate_project_code, "2026-410105-70-01-000001", "2026-1"),
        (Reference, normalise_reference, "sp 2026-1", "凭证"),
        (LevyNumber, validate_levy_number, "2026-410105-70-01-000001-S2", "S2"),
        (ReasonCode, normalise_reason_code, "school", "减免"),
        (Enterprise, validate_enterprise, "0X" + "AB" * 32, "0x1234"),
    ):
        assert TypeAdapter(adapter).validate_python(good) == check(good)
        with pytest.raises(ValidationError):
            TypeAdapter(adapter).validate_python(bad)
        with pytest.raises(InvalidIdentifier):
            check(bad)


# Variants that keep the meaning: full-width forms, dash variants, spaces (ideographic too), case.
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]


@st.composite
def spelling_of(draw, canonical: str, *, spaces: bool = False, case: bool = False) -> str:
    out = []
    for ch in canonical:
        if ch == "-":
            ch = draw(st.sampled_from(DASHES))
        elif draw(st.booleans()):
            ch = full_width(ch)
        if case and ch.isascii() and ch.isalpha() and draw(st.booleans()):
            ch = ch.lower()
        if spaces and draw(st.integers(0, 4)) == 0:
            ch += draw(st.sampled_from([" ", "\u3000", "\t"]))
        out.append(ch)
    return "".join(out)


project_codes = st.builds(
    lambda y, d, i, t, n: f"{y:04d}-{d}-{i:02d}-{t:02d}-{n:06d}",
    st.integers(0, 9999),
    st.sampled_from(sorted(DISTRICTS)),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 999_999),
)
references = st.from_regex(REFERENCE_PATTERN, fullmatch=True)
usccs = st.from_regex(r"[0-9]{2}[0-9]{6}[0-9A-HJ-NPQRTUW-Y]{9}", fullmatch=True).map(
    lambda body: body + stdnum_uscc.calc_check_digit(body)
)


@given(st.data(), project_codes)
def test_two_spellings_of_one_project_code_never_get_two_keys(data, code):
    assert project_key(data.draw(spelling_of(code))) == project_key(code)
    assert re.match(PROJECT_CODE_PATTERN, validate_project_code(data.draw(spelling_of(code))))


@given(st.data(), references)
def test_two_spellings_of_one_reference_never_get_two_keys(data, reference):
    spelt = data.draw(spelling_of(reference, spaces=True, case=True))
    assert reference_key(spelt) == reference_key(reference)
    assert TypeAdapter(Reference).validate_python(spelt) == normalise_reference(reference)


@given(st.data(), usccs)
def test_two_spellings_of_one_uscc_are_one_enterprise(data, code):
    spelt = data.draw(spelling_of(code, case=True))
    assert validate_uscc(spelt) == code and re.match(USCC_PATTERN, code)
    assert enterprise_key(validate_uscc(spelt), "pepper") == enterprise_key(code, "pepper")


@given(st.text(max_size=40))
def test_any_text_gets_a_key_only_through_its_canonical_ascii_form(text):
    """Whatever the input, a key is made only from a canonical form matching the ASCII pattern, and
    the canonical form is its own canonical form (folding twice changes nothing)."""
    for canonical, pattern in (
        (normalise_reference, REFERENCE_PATTERN),
        (validate_project_code, PROJECT_CODE_PATTERN),
        (validate_levy_number, LEVY_NUMBER_PATTERN),
        (normalise_reason_code, REASON_CODE_PATTERN),
    ):
        try:
            form = canonical(text)
        except InvalidIdentifier:
            continue
        assert form.isascii() and re.fullmatch(pattern, form)
        assert canonical(form) == form
        assert canonical(unicodedata.normalize("NFKC", text)) == form


# --- ASCII is checked after folding and before upper-casing ---


def test_a_non_ascii_letter_that_upper_cases_to_ascii_is_refused_not_read_as_ascii():
    # "ß".upper() is "SS" and "ı".upper() is "I": without the order, "paß" would be the voucher PASS.
    for canonical, value in (
        (normalise_reference, "paß"),
        (normalise_reference, "ıd"),
        (normalise_reason_code, "paß"),
        (normalise_reason_code, "ıd"),
        (validate_levy_number, "2026-410105-70-01-000123-A1ß"),
        (validate_uscc, "91410100MA3X5L8R2ı"),
    ):
        with pytest.raises(InvalidIdentifier):
            canonical(value)


def test_a_compatibility_form_is_folded_by_nfkc_like_a_full_width_one():
    # The stated rule is NFKC for every compatibility form, not only the full-width ones.
    assert normalise_reference("SP①②") == "SP12"
    assert normalise_reference("ｓｐ²") == "SP2"
    assert normalise_reason_code("ＳＣＨＯＯＬ") == "SCHOOL"


def _case_maps_to_ascii(ch: str) -> bool:
    """A character NFKC keeps outside ASCII whose upper case is ASCII (ß, ı): the ones an upper-case-first
    check would let through."""
    folded = fold(ch)
    return not folded.isascii() and folded.upper().isascii()


# Found over the whole of Unicode, so the property below draws every such character, not only the random ones.
CASE_MAPS_TO_ASCII = [chr(c) for c in range(0x80, 0x110000) if _case_maps_to_ascii(chr(c))]
non_ascii_after_folding = st.one_of(st.sampled_from(CASE_MAPS_TO_ASCII), st.characters(min_codepoint=0x80)).filter(
    lambda ch: any(not c.isascii() and not c.isspace() for c in fold(ch))
)
levy_numbers = st.builds(
    lambda code, kind, n: f"{code}-{kind}{n}", project_codes, st.sampled_from("AS"), st.integers(0, 999_999)
)
reason_codes = st.from_regex(REASON_CODE_PATTERN, fullmatch=True)
IDENTIFIERS = (
    (normalise_reference, references),
    (validate_levy_number, levy_numbers),
    (normalise_reason_code, reason_codes),
    (validate_uscc, usccs),
    (validate_project_code, project_codes),
)


def test_the_case_mapping_characters_include_the_known_ones():
    assert {"ß", "ı"} <= set(CASE_MAPS_TO_ASCII)


@given(st.data(), non_ascii_after_folding)
def test_any_non_ascii_character_that_survives_nfkc_is_refused_in_every_identifier(data, ch):
    for canonical, values in IDENTIFIERS:
        value = data.draw(values)
        at = data.draw(st.integers(0, len(value)))
        with pytest.raises(InvalidIdentifier):
            canonical(value[:at] + ch + value[at:])


@given(st.data(), levy_numbers)
def test_two_spellings_of_one_levy_number_are_one_levy(data, number):
    spelt = data.draw(spelling_of(number, spaces=True, case=True))
    assert validate_levy_number(spelt) == validate_levy_number(number) == number
    assert TypeAdapter(LevyNumber).validate_python(spelt) == number


@given(st.data(), reason_codes)
def test_two_spellings_of_one_reason_code_are_one_bytes32(data, code):
    spelt = data.draw(spelling_of(code, case=True))
    assert reason_code(spelt) == reason_code(code) == code.encode("ascii").ljust(32, b"\0")
    assert TypeAdapter(ReasonCode).validate_python(spelt) == code


def test_an_enterprise_is_named_by_its_uscc_or_its_on_chain_key_in_one_canonical_form():
    key = "0x" + "ab" * 32
    assert validate_enterprise(full_width("0X" + "AB" * 32)) == key
    assert validate_enterprise(full_width("91410100ma3x5l8r2w")) == "91410100MA3X5L8R2W"
    for bad in ("0x" + "ab" * 31, "0x" + "ıb" * 32, "91410100MA3X5L8R2X"):
        with pytest.raises(InvalidIdentifier, match="enterprise key") as refused:
            validate_enterprise(bad, field="enterprise")
        assert refused.value.field == "enterprise"
