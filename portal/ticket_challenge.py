"""The submit form's spam control, without a third-party service: an arithmetic question whose token is
signed (HMAC-SHA256 under LEDGER_API_SESSION_SECRET, as the CSRF tokens) and expires after
LEDGER_TICKETS_CHALLENGE_SECONDS. It stops blind form posting; the per-address limit on submissions
(ticket_pages) stops a script that reads the page."""

import hmac
import secrets
import time
from dataclasses import dataclass

from ledger.core.settings import Settings
from web.kit.sessions import tokens_match

_PURPOSE = b"ticket-challenge:"


@dataclass(frozen=True)
class Challenge:
    question: str  # e.g. "7 + 12 = ?"
    token: str  # a.b.expires.nonce.mac


def _mac(settings: Settings, payload: str) -> str:
    key = settings.api.session_secret.get_secret_value().encode()
    return hmac.new(key, _PURPOSE + payload.encode(), "sha256").hexdigest()


def new_challenge(settings: Settings, *, now: float | None = None) -> Challenge:
    a, b = secrets.randbelow(20) + 1, secrets.randbelow(20) + 1
    expires = int((time.time() if now is None else now) + settings.tickets.challenge_seconds)
    payload = f"{a}.{b}.{expires}.{secrets.token_hex(8)}"
    return Challenge(question=f"{a} + {b} = ?", token=f"{payload}.{_mac(settings, payload)}")


def check_answer(settings: Settings, *, token: str, answer: str, now: float | None = None) -> str | None:
    """None when the answer is right and the token genuine and unexpired; else why not (in Chinese)."""
    payload, _, mac = token.rpartition(".")
    if not payload or not tokens_match(mac, _mac(settings, payload)):
        return "验证题已失效，请重新作答。"
    a, b, expires, _ = payload.split(".")
    if (time.time() if now is None else now) > int(expires):
        return "验证题已过期，请重新作答。"
    if answer.strip() != str(int(a) + int(b)):
        return "验证题答案不正确，请重新计算。"
    return None
