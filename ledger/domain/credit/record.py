"""The credit record from the read model: each enterprise's credit events with their proofs,
scored by a rule set (ledger.domain.credit.score), and the list of enterprises by score and grade.

Credit events (DESIGN.md §3): a commitment fulfilled (on time or late), marked overdue,
breached or repaired; a fee payment recorded late; and an earlier contract version's counters
carried over by a migration (`CountersImported`, scored as the events it counts — the imported
commitments themselves are not scored again). A late payment belongs to the fee account's payer.
Enterprises are keyed on chain by HMAC-SHA256(pepper, USCC); the USCC is shown where the write
model knows it.
"""

import base64
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.domain.credit.rules import RuleSet, load_rule_set
from ledger.domain.credit.schemas import (CreditEventPublic, CreditRecordPublic, EnterpriseCreditPage, EnterpriseCreditPublic,
                                   ProofPublic)
from ledger.domain.credit.score import COUNTERS_IMPORTED, ChainProof, CreditEvent, CreditScore, score_events
from ledger.db.read_model import read_sql
from ledger.db.write_model import CommitmentRecord, Enterprise, Project
from ledger.domain.common import enterprise_key_hex, from_unix, read_model_chain_id, unix
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.core.identifiers import InvalidIdentifier, validate_uscc

ENTERPRISE_KEY = re.compile(r"^0x[0-9a-f]{64}$")
PROOF = "e.chain_id, e.block_number, e.log_index, e.block_hash, e.transaction_hash, t.timestamp"
BLOCK_TIME = "LEFT JOIN block_times t ON t.chain_id = e.chain_id AND t.block_number = e.block_number"
COMMITMENT_KINDS = {"marked_overdue": "marked_overdue", "breached": "breached", "repaired": "repaired"}
# counters of enterprise_commitment_summaries / enterprise_counter_imports → credit event kinds
COUNTER_KINDS = {"fulfilled_on_time": "fulfilled - fulfilled_late", "fulfilled_late": "fulfilled_late",
                 "marked_overdue": "overdue", "breached": "breached", "repaired": "repaired"}


def chain_proof(row) -> ChainProof:
    return ChainProof(*row)


def proof_public(proof: ChainProof) -> ProofPublic:
    return ProofPublic(chain_id=proof.chain_id, block_number=proof.block_number, block_hash=proof.block_hash,
                       transaction_hash=proof.transaction_hash, log_index=proof.log_index,
                       block_time=from_unix(proof.block_time))


def resolve_enterprise(value: str, *, field: str = "enterprise") -> str:
    """An enterprise named by its USCC or its on-chain key → the on-chain key."""
    value = value.strip()
    if ENTERPRISE_KEY.match(value.lower()):
        return value.lower()
    try:
        return enterprise_key_hex(validate_uscc(value.upper()))
    except InvalidIdentifier:
        raise ValidationFailed(f"{value!r} is neither a unified social credit code (GB 32100-2015) nor an "
                               "enterprise key (0x and 64 hex digits)", field=field, rule="uscc_or_enterprise_key") from None


def credit_events(session: Session, *, chain_id: int, enterprise: str) -> list[CreditEvent]:
    """Every credit event of one enterprise in the read model, with its proof."""
    params = {"c": chain_id, "e": enterprise, "yes": True}
    events = []
    for commitment, event, late, fact_at, project, *proof in session.execute(read_sql(f"""
            SELECT e.commitment, e.event, e.late, e.fact_at, c.project, {PROOF} FROM commitment_events e
            LEFT JOIN commitments c ON c.chain_id = e.chain_id AND c.commitment = e.commitment {BLOCK_TIME}
            WHERE e.chain_id = :c AND e.enterprise = :e
              AND e.event IN ('fulfilled', 'marked_overdue', 'breached', 'repaired')"""), params):
        kind = ("fulfilled_late" if late else "fulfilled_on_time") if event == "fulfilled" else COMMITMENT_KINDS[event]
        events.append(CreditEvent(kind, enterprise, chain_proof(proof), commitment=commitment, project=project,
                                  fact_at=fact_at))
    for project, paid_at, *proof in session.execute(read_sql(f"""
            SELECT e.project, e.paid_at, {PROOF} FROM payments e
            JOIN fee_accounts a ON a.chain_id = e.chain_id AND a.project = e.project {BLOCK_TIME}
            WHERE e.chain_id = :c AND a.payer = :e AND e.late = :yes"""), params):
        events.append(CreditEvent("late_fee_payment", enterprise, chain_proof(proof), project=project, fact_at=paid_at))
    counters = ", ".join(f"{expression} AS {kind}" for kind, expression in COUNTER_KINDS.items())
    for row in session.execute(read_sql(f"""
            SELECT {counters}, {PROOF} FROM enterprise_counter_imports e {BLOCK_TIME}
            WHERE e.chain_id = :c AND e.enterprise = :e"""), params):
        counts = dict(zip(COUNTER_KINDS, row[:len(COUNTER_KINDS)]))
        events.append(CreditEvent(COUNTERS_IMPORTED, enterprise, chain_proof(row[len(COUNTER_KINDS):]), counts=counts))
    return events


def _known(session: Session, chain_id: int | None, enterprise: str) -> bool:
    if session.execute(select(Enterprise.uscc).where(Enterprise.enterprise_key == enterprise)).first():
        return True
    return chain_id is not None and session.execute(read_sql(
        "SELECT 1 FROM enterprise_commitment_summaries WHERE chain_id = :c AND enterprise = :e UNION ALL "
        "SELECT 1 FROM fee_accounts WHERE chain_id = :c AND payer = :e"), {"c": chain_id, "e": enterprise}).first() is not None


def credit_record(session: Session, *, enterprise: str, as_of: datetime | None = None,
                  rules: RuleSet | None = None, known: bool = False) -> CreditRecordPublic:
    """One enterprise's score, grade and every credit event with its contribution and proof;
    with `as_of`, the record as the chain held it then. `enterprise`: a USCC or an enterprise key
    (`known`: the caller vouches it exists, e.g. the logged-in enterprise with nothing on chain yet)."""
    rules = rules or load_rule_set()
    key = resolve_enterprise(enterprise)
    chain_id = read_model_chain_id(session)
    if not known and not _known(session, chain_id, key):
        raise NotFound(f"no enterprise {enterprise} in the ledger", field="enterprise", rule="exists")
    events = credit_events(session, chain_id=chain_id, enterprise=key) if chain_id is not None else []
    scored = score_events(events, rules, as_of=unix(as_of) if as_of else None)
    return _public(session, key, scored, rules, as_of)


def names_of(session: Session, key_column, name_column, keys) -> dict[str, str]:
    """Write-model names (commitment numbers, project codes, USCCs) of on-chain keys, where known."""
    keys = {k for k in keys if k}
    if not keys:
        return {}
    return dict(session.execute(select(key_column, name_column).where(key_column.in_(keys))).all())


def _public(session: Session, key: str, scored: CreditScore, rules: RuleSet, as_of: datetime | None) -> CreditRecordPublic:
    numbers = names_of(session, CommitmentRecord.commitment_key, CommitmentRecord.commitment_number,
                     {s.event.commitment for s in scored.events})
    codes = names_of(session, Project.project_key, Project.project_code, {s.event.project for s in scored.events})
    uscc = names_of(session, Enterprise.enterprise_key, Enterprise.uscc, {key}).get(key)
    events = [CreditEventPublic(
        kind=s.event.kind, contribution=s.contribution, score_after=s.score_after, commitment_key=s.event.commitment,
        commitment_number=numbers.get(s.event.commitment), project_key=s.event.project,
        project_code=codes.get(s.event.project), fact_at=from_unix(s.event.fact_at), counts=s.event.counts or None,
        proof=proof_public(s.event.proof)) for s in scored.events]
    return CreditRecordPublic(enterprise_key=key, uscc=uscc, rule_set=scored.rule_set, rule_set_label=rules.label,
                              as_of=as_of, start=scored.start, score=scored.score, grade=scored.grade, events=events)


# -- the list of enterprises -------------------------------------------------------------------

def decode_cursor(cursor: str | None, kind: str) -> str:
    """The key after which a page starts ("" for the first page)."""
    if not cursor:
        return ""
    try:
        found, _, key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if found != kind or not ENTERPRISE_KEY.match(key):
            raise ValueError(found)
        return key
    except ValueError:
        raise ValidationFailed("not a cursor this list issued", field="cursor", rule="opaque_cursor") from None


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def list_enterprises(session: Session, *, grade: str | None = None, cursor: str | None = None, limit: int = 100,
                     rules: RuleSet | None = None) -> EnterpriseCreditPage:
    """Every enterprise the chain knows (a commitment or a fee account), with today's score and
    grade, by enterprise key; `grade` filters. Scored in SQL from the counters the indexer keeps
    (the same sums `credit_record` adds up event by event)."""
    rules = rules or load_rule_set()
    if grade is not None and grade not in rules.grade_names:
        raise ValidationFailed(f"grade must be one of {', '.join(rules.grade_names)}", field="grade", rule="grade")
    after = decode_cursor(cursor, "enterprise")
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return EnterpriseCreditPage(rule_set=rules.version, items=[], next_cursor=None)
    weights = rules.weights
    counts = {kind: f"COALESCE({' - '.join('s.' + column for column in expression.split(' - '))}, 0)"
              for kind, expression in COUNTER_KINDS.items()}
    counts["late_fee_payment"] = "COALESCE(p.late_payments, 0)"
    score = f"(:start + {' + '.join(f'{weights[kind]} * {sql}' for kind, sql in counts.items())})"
    bounds, params = [], {"c": chain_id, "after": after, "limit": limit, "start": rules.start, "yes": True}
    if grade is not None:
        low, high = rules.score_range(grade)
        if low is not None:
            bounds.append(f"{score} >= :low")
            params["low"] = low
        if high is not None:
            bounds.append(f"{score} < :high")
            params["high"] = high
    rows = session.execute(read_sql(f"""
        WITH keys AS (SELECT enterprise AS k FROM enterprise_commitment_summaries WHERE chain_id = :c
                      UNION SELECT payer FROM fee_accounts WHERE chain_id = :c),
             late AS (SELECT a.payer, COUNT(*) AS late_payments FROM payments e
                      JOIN fee_accounts a ON a.chain_id = e.chain_id AND a.project = e.project
                      WHERE e.chain_id = :c AND e.late = :yes GROUP BY a.payer)
        SELECT keys.k, {score} AS score, {', '.join(counts.values())}, en.uscc FROM keys
        LEFT JOIN enterprise_commitment_summaries s ON s.chain_id = :c AND s.enterprise = keys.k
        LEFT JOIN late p ON p.payer = keys.k
        LEFT JOIN enterprises en ON en.enterprise_key = keys.k
        WHERE keys.k > :after {''.join(' AND ' + b for b in bounds)}
        ORDER BY keys.k LIMIT :limit"""), params).all()
    items = [EnterpriseCreditPublic(enterprise_key=row[0], uscc=row[-1], score=row[1], grade=rules.grade(row[1]),
                                    counts=dict(zip(counts, row[2:-1]))) for row in rows]
    next_cursor = encode_cursor("enterprise", rows[-1][0]) if len(rows) == limit else None
    return EnterpriseCreditPage(rule_set=rules.version, items=items, next_cursor=next_cursor)
