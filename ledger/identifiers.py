"""On-chain keys for off-chain identifiers: no personal data reaches the chain."""

import hashlib
import re
import unicodedata

from cryptography.hazmat.primitives import hashes, hmac
from eth_utils import keccak
from stdnum.cn import uscc

# Zhengzhou's administrative divisions and functional areas (DESIGN.md §3).
DISTRICTS = {
    "410102": "中原区", "410103": "二七区", "410104": "管城回族区", "410105": "金水区",
    "410106": "上街区", "410108": "惠济区", "410122": "中牟县", "410181": "巩义市",
    "410182": "荥阳市", "410183": "新密市", "410184": "新郑市", "410185": "登封市",
    "410171": "经开区", "410172": "高新区", "410173": "航空港区",
}
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"))
_REASON_CODE = re.compile(r"[\x21-\x7e]{1,32}")
_PROJECT_CODE = re.compile(r"^(?P<year>\d{4})-(?P<division>\d{6})-(?P<industry>\d{2})-(?P<type>\d{2})-(?P<serial>\d{6})$")


class InvalidIdentifier(ValueError):
    """An identifier that breaks its rule; `field` names it."""

    def __init__(self, field: str, rule: str):
        self.field, self.rule = field, rule
        super().__init__(f"{field}: {rule}")


def validate_uscc(value: str, field: str = "uscc") -> str:
    """A unified social credit code (GB 32100-2015), check character included."""
    try:
        return uscc.validate(value)
    except Exception as exc:  # stdnum raises ValidationError subclasses
        raise InvalidIdentifier(field, f"not a valid unified social credit code (GB 32100-2015): {exc}") from None


def validate_project_code(value: str, field: str = "project_code") -> str:
    """A national investment project code YYYY-RRRRRR-II-TT-NNNNNN in a Zhengzhou division."""
    match = _PROJECT_CODE.match(value)
    if not match:
        raise InvalidIdentifier(field, "must have the form YYYY-RRRRRR-II-TT-NNNNNN")
    if match["division"] not in DISTRICTS:
        raise InvalidIdentifier(field, f"division {match['division']} is not a Zhengzhou district code")
    return value


def project_key(project_code: str) -> bytes:
    return keccak(text=project_code)


def normalise_reference(reference: str, field: str = "reference") -> str:
    """A voucher number, refund reference or commitment number in its one canonical form:
    NFKC (full-width letters, digits and spaces become ASCII), dashes as "-", every
    whitespace removed, upper case. So "ｓｐ 2026-001", "SP2026－001" and "sp2026—001" are the
    same voucher."""
    text = unicodedata.normalize("NFKC", reference).translate(_DASHES)
    text = "".join(ch for ch in text if not ch.isspace()).upper()
    if not text:
        raise InvalidIdentifier(field, "must not be empty or only whitespace")
    if not text.isprintable():
        raise InvalidIdentifier(field, "must not contain control characters")
    return text


def reference_key(reference: str, field: str = "reference") -> bytes:
    """Key of a voucher number, refund reference or commitment number, after normalisation,
    so the on-chain uniqueness is as strong as the business rule."""
    return keccak(text=normalise_reference(reference, field))


def enterprise_key(uscc_code: str, pepper: str) -> bytes:
    mac = hmac.HMAC(pepper.encode(), hashes.SHA256())
    mac.update(uscc_code.encode())
    return mac.finalize()


def document_hash(content: bytes) -> bytes:
    return hashlib.sha256(content).digest()


def reason_code(code: str) -> bytes:
    """A reason code as left-aligned ASCII bytes32, readable on chain (e.g. AFFORDABLE_HOUSING).
    Only printable ASCII without spaces, so the read model decodes every code losslessly."""
    if not _REASON_CODE.fullmatch(code):
        raise InvalidIdentifier("reason", "must be 1 to 32 printable ASCII characters without spaces")
    return code.encode("ascii").ljust(32, b"\0")
