"""The identifiers of the ledger — project codes, USCCs, voucher numbers, levy numbers, refund
references, commitment numbers, reason codes — and the on-chain keys made from them.

One rule for all of them, the same in the API's schemas, the domain and the keys: a value is
**folded** (`fold`: Unicode NFKC, so full-width ２０２６ and ＳＰ become ASCII 2026 and SP; every
dash variant becomes "-"), then it must match its ASCII pattern (character classes are explicit
ASCII ranges, never a Unicode `\\d`). Two spellings with the same meaning have one canonical form,
hence one key; anything else is refused naming the field and the rule. No personal data reaches
the chain.
"""

import re
import unicodedata
from typing import Annotated

from cryptography.hazmat.primitives import hashes, hmac
from eth_utils import keccak
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumInvalid

from ledger.core.crypto_profile import STANDARD, CryptoProfile
from ledger.core.errors import LedgerError

# Zhengzhou's administrative divisions and functional areas (DESIGN.md §3).
DISTRICTS = {
    "410102": "中原区",
    "410103": "二七区",
    "410104": "管城回族区",
    "410105": "金水区",
    "410106": "上街区",
    "410108": "惠济区",
    "410122": "中牟县",
    "410181": "巩义市",
    "410182": "荥阳市",
    "410183": "新密市",
    "410184": "新郑市",
    "410185": "登封市",
    "410171": "经开区",
    "410172": "高新区",
    "410173": "航空港区",
}
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"))

# The canonical (folded) forms. Explicit ASCII classes: Python's \d would also match ２ or ٢.
PROJECT_CODE_PATTERN = r"^[0-9]{4}-[0-9]{6}-[0-9]{2}-[0-9]{2}-[0-9]{6}$"
# GB 32100-2015: 18 characters of 0-9 and A-Y without I, O, S, V, Z; the 18th is a check character.
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUW-Y]{18}$"
REFERENCE_PATTERN = r"^[A-Z0-9][A-Z0-9._/-]{0,63}$"
# A levy number is the project code, -A and the assessment's revision, or -S and the supplementary charge's.
LEVY_NUMBER_PATTERN = r"^[0-9]{4}-[0-9]{6}-[0-9]{2}-[0-9]{2}-[0-9]{6}-[AS][0-9]{1,6}$"
REASON_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,31}$"
# An enterprise as the regulator names it: its on-chain key (0x and 64 hex digits) or its USCC.
ENTERPRISE_KEY_PATTERN = r"^0x[0-9a-f]{64}$"
ENTERPRISE_PATTERN = rf"^(0x[0-9a-f]{{64}}|{USCC_PATTERN[1:-1]})$"
# A command id as the outbox issues it (uuid4().hex).
COMMAND_ID_PATTERN = r"^[0-9a-f]{32}$"
_PROJECT_CODE = re.compile(PROJECT_CODE_PATTERN)
_USCC = re.compile(USCC_PATTERN)
_REFERENCE = re.compile(REFERENCE_PATTERN)
_LEVY_NUMBER = re.compile(LEVY_NUMBER_PATTERN)
_REASON_CODE = re.compile(REASON_CODE_PATTERN)
_ENTERPRISE_KEY = re.compile(ENTERPRISE_KEY_PATTERN)
# The rule a refusal states.
_USCC_RULE = (
    "not a valid unified social credit code (GB 32100-2015): must be 18 characters of 0-9 and A-Y without I, O, S, V, Z"
)
_REFERENCE_RULE = "must be 1 to 64 of A-Z 0-9 . _ / - (ASCII after folding), starting with a letter or digit"
_REASON_CODE_RULE = "must be 1 to 32 printable ASCII characters A-Z 0-9 _ starting with a letter, without spaces"


class InvalidIdentifier(LedgerError, ValueError):
    """An identifier that breaks its rule; `field` names it. A ValueError too, so that pydantic
    validators turn it into a validation error naming the field."""

    def __init__(self, field: str, rule: str):
        self.field, self.rule = field, rule
        super().__init__(f"{field}: {rule}")


def fold(value: str) -> str:
    """The one folding rule: NFKC (full-width letters, digits and spaces become ASCII), dashes as "-"."""
    return unicodedata.normalize("NFKC", value).translate(_DASHES)


def compact(value: str) -> str:
    """Folded, every whitespace removed (also inside): how a number typed from paper is read, spaces
    and full-width forms included. Voucher numbers always are; the portal's forms read project codes so too."""
    return "".join(ch for ch in fold(value) if not ch.isspace())


def _ascii_upper(text: str, field: str, rule: str) -> str:
    """Upper case of a folded value that must be ASCII. Checked before upper-casing: "ß".upper() is
    "SS" and "ı".upper() is "I", so a non-ASCII letter would otherwise pass as ASCII ones."""
    if not text.isascii():
        raise InvalidIdentifier(field, rule)
    return text.upper()


def validate_uscc(value: str, field: str = "uscc") -> str:
    """A unified social credit code (GB 32100-2015), check character included (python-stdnum),
    in its canonical form: folded, trimmed, upper case."""
    code = _ascii_upper(fold(value).strip(), field, _USCC_RULE)
    if not _USCC.match(code):
        raise InvalidIdentifier(field, _USCC_RULE)
    try:
        return uscc.validate(code)
    except StdnumInvalid as exc:
        raise InvalidIdentifier(field, f"not a valid unified social credit code (GB 32100-2015): {exc}") from None


def validate_project_code(value: str, field: str = "project_code") -> str:
    """A national investment project code YYYY-RRRRRR-II-TT-NNNNNN in a Zhengzhou division, in its
    canonical form (folded, trimmed)."""
    code = fold(value).strip()
    if not _PROJECT_CODE.match(code):
        raise InvalidIdentifier(field, "must have the form YYYY-RRRRRR-II-TT-NNNNNN (ASCII digits)")
    division = code.split("-")[1]
    if division not in DISTRICTS:
        raise InvalidIdentifier(field, f"division {division} is not a Zhengzhou district code")
    return code


def project_key(project_code: str) -> bytes:
    """keccak256 of the folded project code: one project, one key, however it was spelt. (Its form is
    checked where a code comes in, by validate_project_code; benches and imports key other names.)"""
    return keccak(text=fold(project_code).strip())


def normalise_reference(reference: str, field: str = "reference") -> str:
    """A voucher number, refund reference, levy or commitment number in its one canonical form:
    folded, every whitespace removed, upper case; then 1–64 of A-Z 0-9 . _ / - (starting with a
    letter or digit). So "ｓｐ 2026-001", "SP2026－001" and "sp2026—001" are the same voucher."""
    text = compact(reference)
    if not text:
        raise InvalidIdentifier(field, "must not be empty or only whitespace")
    if not text.isprintable():
        raise InvalidIdentifier(field, "must not contain control characters")
    text = _ascii_upper(text, field, _REFERENCE_RULE)
    if not _REFERENCE.match(text):
        raise InvalidIdentifier(field, _REFERENCE_RULE)
    return text


def validate_levy_number(value: str, field: str = "levy_number") -> str:
    """A levy number as this platform issues it: <project code>-A<revision> or -S<n>."""
    number = normalise_reference(value, field)
    if not _LEVY_NUMBER.match(number):
        raise InvalidIdentifier(
            field, "must have the form YYYY-RRRRRR-II-TT-NNNNNN-A<n> or -S<n> (a levy number from GET /v1/tax/levies)"
        )
    return number


def reference_key(reference: str, field: str = "reference") -> bytes:
    """Key of a voucher number, refund reference or commitment number, after normalisation,
    so the on-chain uniqueness is as strong as the business rule."""
    return keccak(text=normalise_reference(reference, field))


def normalise_reason_code(code: str, field: str = "reason") -> str:
    """A reason code (e.g. AFFORDABLE_HOUSING) in its canonical form: folded, trimmed, upper case."""
    text = _ascii_upper(fold(code).strip(), field, _REASON_CODE_RULE)
    if not _REASON_CODE.match(text):
        raise InvalidIdentifier(field, _REASON_CODE_RULE)
    return text


def reason_code(code: str, field: str = "reason") -> bytes:
    """A reason code as left-aligned ASCII bytes32, readable on chain (e.g. AFFORDABLE_HOUSING).
    Only ASCII letters, digits and _, so the read model decodes every code losslessly."""
    return normalise_reason_code(code, field).encode("ascii").ljust(32, b"\0")


def validate_enterprise(value: str, field: str = "enterprise") -> str:
    """An enterprise's on-chain key (lower case) or its USCC (canonical form), as the regulator names it."""
    text = fold(value).strip()
    if text.isascii() and _ENTERPRISE_KEY.match(text.lower()):
        return text.lower()
    try:
        return validate_uscc(text, field)
    except InvalidIdentifier:
        raise InvalidIdentifier(
            field, "neither a unified social credit code (GB 32100-2015) nor an enterprise key (0x and 64 hex digits)"
        ) from None


def enterprise_key(uscc_code: str, pepper: str) -> bytes:
    mac = hmac.HMAC(pepper.encode(), hashes.SHA256())
    mac.update(uscc_code.encode())
    return mac.finalize()


def document_hash(content: bytes, profile: CryptoProfile = STANDARD) -> bytes:
    """A document's digest as the chain keeps it: SHA-256, or SM3 under the gm profile (32 bytes either way)."""
    return profile.digest(content)


# --- the same rules as pydantic types (the API's request schemas) ------------------------------------


def _checked(rule: str, canonical):
    """A before-validator: the canonical form, or a pydantic error whose type is `rule`."""

    def check(value):
        if not isinstance(value, str):
            return value  # the str type refuses it, naming the field
        try:
            return canonical(value)
        except InvalidIdentifier as exc:
            raise PydanticCustomError(rule, "{rule}", {"rule": exc.rule}) from None

    return check


def _district(value):
    if isinstance(value, str) and fold(value).strip() in DISTRICTS:
        return fold(value).strip()
    raise PydanticCustomError(
        "district",
        "{value} is not a Zhengzhou district code ({known})",
        {"value": value, "known": ", ".join(sorted(DISTRICTS))},
    )


_FOLDED = "Full-width forms are folded to ASCII first (NFKC)."


def _identifier(rule: str, canonical, **field):
    """A str type checked by `canonical` (a refusal's rule is `rule`), documented by `field`."""
    return Annotated[str, Field(**field), BeforeValidator(_checked(rule, canonical))]


Uscc = _identifier(
    "uscc",
    validate_uscc,
    pattern=USCC_PATTERN,
    examples=["91410100MA3X5L8R2W"],
    description="Unified social credit code (GB 32100-2015); the 18th character is the check character computed "
    f"from the first 17 (checked). Lower case is upper-cased. {_FOLDED}",
)
ProjectCode = _identifier(
    "project_code",
    validate_project_code,
    pattern=PROJECT_CODE_PATTERN,
    examples=["2026-410105-70-01-000123"],
    description="National investment project code YYYY-RRRRRR-II-TT-NNNNNN; RRRRRR must be a Zhengzhou district "
    f"code ({', '.join(sorted(DISTRICTS))}). {_FOLDED}",
)
Reference = _identifier(
    "reference",
    normalise_reference,
    pattern=REFERENCE_PATTERN,
    examples=["332026000000123456"],
    description="A business key (voucher number, refund reference, commitment number): 1–64 of A-Z 0-9 . _ / -; "
    f"whitespace is removed and lower case upper-cased before it is checked and hashed. {_FOLDED}",
)
LevyNumber = _identifier(
    "levy_number",
    validate_levy_number,
    pattern=LEVY_NUMBER_PATTERN,
    examples=["2026-410105-70-01-000123-A1"],
    description="A levy number from GET /v1/tax/levies: the project code, then -A<revision> (an assessment) or "
    f"-S<n> (a supplementary charge). {_FOLDED}",
)
ReasonCode = _identifier(
    "reason_code",
    normalise_reason_code,
    pattern=REASON_CODE_PATTERN,
    examples=["AFFORDABLE_HOUSING"],
    description=f"A reason code: 1–32 of A-Z 0-9 _ starting with a letter; lower case is upper-cased. {_FOLDED}",
)
Enterprise = _identifier(
    "uscc_or_enterprise_key",
    validate_enterprise,
    pattern=ENTERPRISE_PATTERN,
    examples=["91410100MA3X5L8R2W"],
    description="The enterprise's USCC (checked like every USCC) or its on-chain enterprise key: 0x and 64 hex "
    f"digits. {_FOLDED}",
)
CommandId = Annotated[
    str,
    Field(
        pattern=COMMAND_ID_PATTERN,
        examples=["9b2c4f0e8a7d4c1b9e3f5a6b7c8d9e0f"],
        description="A command id as a 202 gives it: 32 lower-case hex digits",
    ),
]
District = Annotated[
    str,
    Field(
        json_schema_extra={"enum": sorted(DISTRICTS)},
        examples=["410105"],
        description="Zhengzhou district code: " + ", ".join(f"{k} {v}" for k, v in sorted(DISTRICTS.items())),
    ),
    BeforeValidator(_district),
]
