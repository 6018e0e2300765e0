"""Domain errors: what a service refuses, naming the field and the rule.

The API turns each into an RFC 9457 problem whose `type` ends in `problem_type`; a service
that raises one has written nothing (the caller's transaction is rolled back).
"""

from ledger.core.errors import LedgerError


class DomainError(LedgerError):
    """Root of the errors a domain service raises on purpose."""

    problem_type = "domain-error"
    title = "Request refused"

    def __init__(self, detail: str, *, field: str | None = None, rule: str | None = None):
        self.detail, self.field, self.rule = detail, field, rule
        super().__init__(f"{field}: {detail}" if field else detail)

    def as_problem(self) -> dict:
        """The problem fields the API needs besides the HTTP status."""
        return {
            "type": self.problem_type,
            "title": self.title,
            "detail": self.detail,
            "field": self.field,
            "rule": self.rule,
        }


class ValidationFailed(DomainError):
    """Input that breaks a rule (a bad identifier, a negative amount, an unknown levy...)."""

    problem_type = "validation-failed"
    title = "Invalid input"


class NotFound(DomainError):
    """The object named by the request does not exist (or is not the caller's to see)."""

    problem_type = "not-found"
    title = "Not found"


class Conflict(DomainError):
    """A business key (voucher number, commitment number, refund reference...) is already used:
    business keys stay unique forever, whatever the idempotency key."""

    problem_type = "conflict"
    title = "Already recorded"


class InvalidState(Conflict):
    """The object exists but its state does not allow this (e.g. fulfilling a breached commitment)."""

    problem_type = "invalid-state"
    title = "Not allowed in the current state"


class Forbidden(DomainError):
    """The caller may not act on this object."""

    problem_type = "forbidden"
    title = "Forbidden"
