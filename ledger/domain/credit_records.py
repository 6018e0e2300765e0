"""The credit record: one enterprise's score, grade and every credit event with its contribution
and proof (for the regulator, and for the enterprise itself), and the list of enterprises by score
and grade. The facts come from ledger.domain.credit.record, the scoring from its rule sets; the
USCC, commitment numbers and project codes are shown where the write model knows them.
"""

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.identifiers import InvalidIdentifier, validate_uscc
from ledger.db.write_model import CommitmentRecord, Enterprise, Project
from ledger.domain.common import (
    ONCHAIN_KEY,
    decode_key_cursor,
    encode_key_cursor,
    enterprise_key_hex,
    from_unix,
    names_of,
    proof_with_block_time,
    read_model_chain_id,
    unix,
)
from ledger.domain.credit.record import credit_events, enterprise_known, enterprise_scores, grade_counts
from ledger.domain.credit.rules import RuleSet, load_rule_set
from ledger.domain.credit.score import CreditScore, score_events
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.schemas.credit import (
    CreditEventPublic,
    CreditRecordPublic,
    EnterpriseCreditPage,
    EnterpriseCreditPublic,
)


def resolve_enterprise(value: str, *, field: str = "enterprise") -> str:
    """An enterprise named by its USCC or its on-chain key → the on-chain key."""
    value = value.strip()
    if ONCHAIN_KEY.match(value.lower()):
        return value.lower()
    try:
        return enterprise_key_hex(validate_uscc(value.upper()))
    except InvalidIdentifier:
        raise ValidationFailed(
            f"{value!r} is neither a unified social credit code (GB 32100-2015) nor an "
            "enterprise key (0x and 64 hex digits)",
            field=field,
            rule="uscc_or_enterprise_key",
        ) from None


def credit_record(
    session: Session,
    *,
    enterprise: str,
    as_of: datetime | None = None,
    rules: RuleSet | None = None,
    known: bool = False,
) -> CreditRecordPublic:
    """One enterprise's score, grade and every credit event with its contribution and proof;
    with `as_of`, the record as the chain held it then. `enterprise`: a USCC or an enterprise key
    (`known`: the caller vouches it exists, e.g. the logged-in enterprise with nothing on chain yet)."""
    rules = rules or load_rule_set()
    key = resolve_enterprise(enterprise)
    chain_id = read_model_chain_id(session)
    if not known and not enterprise_known(session, chain_id=chain_id, enterprise=key):
        raise NotFound(f"no enterprise {enterprise} in the ledger", field="enterprise", rule="exists")
    events = credit_events(session, chain_id=chain_id, enterprise=key) if chain_id is not None else []
    scored = score_events(events, rules, as_of=unix(as_of) if as_of else None)
    return _public(session, key, scored, rules, as_of)


def _public(
    session: Session, key: str, scored: CreditScore, rules: RuleSet, as_of: datetime | None
) -> CreditRecordPublic:
    numbers = names_of(
        session,
        col(CommitmentRecord.commitment_key),
        col(CommitmentRecord.commitment_number),
        {s.event.commitment for s in scored.events},
    )
    codes = names_of(
        session, col(Project.project_key), col(Project.project_code), {s.event.project for s in scored.events}
    )
    uscc = names_of(session, col(Enterprise.enterprise_key), col(Enterprise.uscc), {key}).get(key)
    events = [
        CreditEventPublic(
            kind=s.event.kind,
            contribution=s.contribution,
            score_after=s.score_after,
            commitment_key=s.event.commitment,
            commitment_number=numbers.get(s.event.commitment) if s.event.commitment else None,
            project_key=s.event.project,
            project_code=codes.get(s.event.project) if s.event.project else None,
            fact_at=from_unix(s.event.fact_at),
            counts=s.event.counts or None,
            proof=proof_with_block_time(**asdict(s.event.proof)),
        )
        for s in scored.events
    ]
    return CreditRecordPublic(
        enterprise_key=key,
        uscc=uscc,
        rule_set=scored.rule_set,
        rule_set_label=rules.label,
        as_of=as_of,
        start=scored.start,
        score=scored.score,
        grade=scored.grade,
        events=events,
    )


def list_enterprises(
    session: Session,
    *,
    grade: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    rules: RuleSet | None = None,
) -> EnterpriseCreditPage:
    """Every enterprise the chain knows (a commitment or a fee account), with today's score and
    grade, by enterprise key; `grade` filters. Scored in SQL from the counters the indexer keeps
    (the same sums `credit_record` adds up event by event)."""
    rules = rules or load_rule_set()
    if grade is not None and grade not in rules.grade_names:
        raise ValidationFailed(f"grade must be one of {', '.join(rules.grade_names)}", field="grade", rule="grade")
    after = decode_key_cursor(cursor, "enterprise")
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return EnterpriseCreditPage(rule_set=rules.version, items=[], next_cursor=None)
    scores = enterprise_scores(session, chain_id=chain_id, rules=rules, grade=grade, after=after, limit=limit)
    items = [
        EnterpriseCreditPublic(
            enterprise_key=s.enterprise, uscc=s.uscc, score=s.score, grade=rules.grade(s.score), counts=s.counts
        )
        for s in scores
    ]
    next_cursor = encode_key_cursor("enterprise", scores[-1].enterprise) if len(scores) == limit else None
    return EnterpriseCreditPage(rule_set=rules.version, items=items, next_cursor=next_cursor)


def enterprises_by_grade(session: Session, *, rules: RuleSet | None = None) -> dict[str, int]:
    """How many enterprises have each grade today, best grade first (one grouped query in SQL)."""
    rules = rules or load_rule_set()
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return dict.fromkeys(rules.grade_names, 0)
    return grade_counts(session, chain_id=chain_id, rules=rules)
