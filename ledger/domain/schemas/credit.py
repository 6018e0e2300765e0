"""The credit record: one enterprise's score, grade and credit events with their proofs (read by the
regulator for any enterprise and by an enterprise for its own), and the regulator's list of
enterprises by score and grade under a rule set."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ledger.domain.schemas.common import Proof, ProofWithBlockTime

Grade = Literal["A", "B", "C", "D"]


class CreditEventPublic(BaseModel):
    # fulfilled_on_time, fulfilled_late, marked_overdue, breached, repaired, late_fee_payment, counters_imported;
    # overdue_mark_voided (rule sets with the evidence-timing rule: the fulfilment predates a mark, proof its own)
    kind: str
    contribution: int  # points this event adds to the score under the rule set
    score_after: int
    commitment_key: str | None = None
    commitment_number: str | None = None  # where the write model knows it
    project_key: str | None = None
    project_code: str | None = None
    fact_at: datetime | None = None  # when the fact happened, as attested on chain
    counts: dict[str, int] | None = None  # counters_imported: how many events of each kind
    proof: ProofWithBlockTime


class CreditRecordPublic(BaseModel):
    enterprise_key: str
    uscc: str | None  # where the write model knows the enterprise
    rule_set: str
    rule_set_label: str
    as_of: datetime | None  # None: everything indexed so far
    start: int
    score: int
    grade: Grade
    events: list[CreditEventPublic]


class EnterpriseCreditPublic(BaseModel):
    enterprise_key: str
    uscc: str | None
    score: int
    grade: Grade
    counts: dict[str, int]  # credit events by kind


class EnterpriseCreditPage(BaseModel):
    rule_set: str
    items: list[EnterpriseCreditPublic]
    next_cursor: str | None


class GradeFloor(BaseModel):
    grade: str
    floor: int  # the lowest score that earns it


class RuleSetPublic(BaseModel):
    """The rule set as served: grades are objects (best first), not [grade, floor] pairs, which the
    document could only state as a 2020-12 `prefixItems` tuple that clients' tools read unevenly."""

    version: str
    label: str
    effective_from: str
    start: int
    weights: dict[str, int]
    grades: list[GradeFloor]  # best first; below the last floor: lowest_grade
    lowest_grade: str
    notes: dict[str, str]


class CreditEventExport(BaseModel):
    """One record of the credit events bulk export (JSON Lines / CSV) for the credit platform's batch
    intake; its JSON Schema is docs/integrators/credit-event.schema.json."""

    enterprise_key: str  # HMAC-SHA256(pepper, USCC), 0x-hex
    uscc: str | None  # where the write model knows the enterprise
    kind: str  # a credit event kind (CreditEventPublic.kind)
    contribution: int  # points under `rule_set`
    rule_set: str  # the version of the credit rules that weighed it
    recorded_at: datetime  # the block's time: when the chain recorded the event (the export's range key)
    fact_at: datetime | None  # when the fact happened, as attested on chain (fulfilment, repair, payment)
    commitment_key: str | None
    commitment_number: str | None  # where the write model knows it
    project_key: str | None
    project_code: str | None  # where the write model knows it
    counts: dict[str, int] | None  # counters_imported: how many events of each kind
    proof: Proof
