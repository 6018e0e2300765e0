"""The facts the credit rules score, read from the read model: each enterprise's credit events with
their proofs, and every enterprise's score summed in SQL from the counters the indexer keeps.
SQL only: ledger.domain.credit_records turns these facts into the answers (the credit record, the
list of enterprises).

Credit events (DESIGN.md §3): a commitment fulfilled (on time or late), marked overdue,
breached or repaired; a fee payment recorded late; and an earlier contract version's counters
carried over by a migration (`CountersImported`, scored as the events it counts — the imported
commitments themselves are not scored again). A late payment belongs to the fee account's payer.
Under a rule set with the evidence-timing rule, a fulfilment dated before an overdue mark of its
commitment also gives that mark back (`overdue_mark_voided`, derived by the pure scorer; summed
here for the list, marks as CommitmentMarkedOverdue events only — an imported commitment's mark is
carried in its enterprise's counters as the earlier version counted it).
Enterprises are keyed on chain by HMAC-SHA256(pepper, USCC).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import BLOCK_TIME_JOIN, PROOF_WITH_BLOCK_TIME, read_sql
from ledger.db.write_model import Enterprise
from ledger.domain.credit.rules import FALSE_COMMITMENT, VOIDED_MARK, DerivedKind, EventKind, RuleSet
from ledger.domain.credit.score import COUNTERS_IMPORTED, CreditEvent, CreditEventProof

COMMITMENT_KINDS: dict[str, EventKind] = {
    "marked_overdue": "marked_overdue",
    "breached": "breached",
    "repaired": "repaired",
}
# Per enterprise, the overdue marks a later fulfilment of the same commitment predates (its fact
# time before the mark's block time): ledger.domain.credit.score.with_voided_marks, in SQL.
VOIDED_MARKS = """
    SELECT f.enterprise, COUNT(*) AS voided FROM commitment_events f
    JOIN commitment_events m ON m.chain_id = f.chain_id AND m.commitment = f.commitment
      AND m.event = 'marked_overdue'
      AND (m.block_number < f.block_number OR (m.block_number = f.block_number AND m.log_index < f.log_index))
    JOIN block_times t ON t.chain_id = m.chain_id AND t.block_number = m.block_number
    WHERE f.chain_id = :c AND f.event = 'fulfilled' AND f.fact_at < t.timestamp
    GROUP BY f.enterprise"""


# An outcome `o` counts only for a commitment its draw selected: the selection recomputed from the
# draw's revealed seed and its published pools (ledger.domain.inspections.store_selections). The
# contract cannot check selection, so an outcome recorded for any other commitment is not scored
# (the public page flags it: ledger.domain.inspection_draws.verify).
def _selected(o: str) -> str:
    return f"""
    JOIN inspection_draw_events r ON r.chain_id = {o}.chain_id AND r.draw = {o}.draw AND r.event = 'revealed'
    JOIN inspection_selections s ON s.chain_id = {o}.chain_id AND s.draw = {o}.draw AND s.seed = r.seed
      AND s.commitment = {o}.commitment"""


# Per enterprise, the commitments random inspections found false (InspectionDraws' outcomes).
FALSE_COMMITMENTS = f"""
    SELECT c.enterprise, COUNT(*) AS falsified FROM inspection_outcomes o
    JOIN commitments c ON c.chain_id = o.chain_id AND c.commitment = o.commitment {_selected("o")}
    WHERE o.chain_id = :c AND o.outcome = 'false_commitment'
    GROUP BY c.enterprise"""
# counters of enterprise_commitment_summaries / enterprise_counter_imports → credit event kinds
COUNTER_KINDS: dict[EventKind, str] = {
    "fulfilled_on_time": "fulfilled - fulfilled_late",
    "fulfilled_late": "fulfilled_late",
    "marked_overdue": "overdue",
    "breached": "breached",
    "repaired": "repaired",
}


@dataclass(frozen=True)
class EnterpriseScore:
    enterprise: str  # the on-chain key
    uscc: str | None  # where the write model knows the enterprise
    score: int
    counts: dict[str, int]  # credit events by kind


def credit_events(session: Session, *, chain_id: int, enterprise: str) -> list[CreditEvent]:
    """Every credit event of one enterprise in the read model, with its proof."""
    return _credit_events(
        session,
        {"c": chain_id, "e": enterprise},
        commitments="e.enterprise = :e",
        payments="a.payer = :e",
        imports="e.enterprise = :e",
        inspections="c.enterprise = :e",
    )


def credit_events_recorded_between(session: Session, *, chain_id: int, since: int, until: int) -> list[CreditEvent]:
    """Every enterprise's credit events in blocks whose time is in [since, until), and the earlier
    overdue marks of the commitments fulfilled in that range (the evidence-timing rule weighs
    those fulfilments against them; the caller leaves them out once scored)."""
    recorded = "t.timestamp >= :since AND t.timestamp < :until"
    fulfilled_here = f"""
        SELECT e.commitment FROM commitment_events e {BLOCK_TIME_JOIN}
        WHERE e.chain_id = :c AND e.event = 'fulfilled' AND {recorded}"""
    return _credit_events(
        session,
        {"c": chain_id, "since": since, "until": until},
        commitments=f"({recorded} OR (e.event = 'marked_overdue' AND e.commitment IN ({fulfilled_here})))",
        payments=recorded,
        imports=recorded,
        inspections=recorded,
    )


def _credit_events(
    session: Session, params: dict, *, commitments: str, payments: str, imports: str, inspections: str
) -> list[CreditEvent]:
    """The credit events the four conditions keep: on commitment events `e`, on late payments `e`
    of fee accounts `a`, on counter imports `e`, on false-commitment outcomes `e` of commitments
    `c` (each with its block time `t`)."""
    params = {**params, "yes": True}
    events = []
    for enterprise, commitment, event, late, fact_at, project, *proof in session.execute(
        read_sql(f"""
            SELECT e.enterprise, e.commitment, e.event, e.late, e.fact_at, c.project, {PROOF_WITH_BLOCK_TIME}
            FROM commitment_events e
            LEFT JOIN commitments c ON c.chain_id = e.chain_id AND c.commitment = e.commitment {BLOCK_TIME_JOIN}
            WHERE e.chain_id = :c AND {commitments}
              AND e.event IN ('fulfilled', 'marked_overdue', 'breached', 'repaired')"""),
        params,
    ):
        kind: EventKind = (
            ("fulfilled_late" if late else "fulfilled_on_time") if event == "fulfilled" else COMMITMENT_KINDS[event]
        )
        events.append(
            CreditEvent(
                kind, enterprise, CreditEventProof(*proof), commitment=commitment, project=project, fact_at=fact_at
            )
        )
    for payer, project, paid_at, *proof in session.execute(
        read_sql(f"""
            SELECT a.payer, e.project, e.paid_at, {PROOF_WITH_BLOCK_TIME} FROM payments e
            JOIN fee_accounts a ON a.chain_id = e.chain_id AND a.project = e.project {BLOCK_TIME_JOIN}
            WHERE e.chain_id = :c AND {payments} AND e.late = :yes"""),
        params,
    ):
        events.append(
            CreditEvent("late_fee_payment", payer, CreditEventProof(*proof), project=project, fact_at=paid_at)
        )
    for enterprise, commitment, project, *proof in session.execute(
        read_sql(f"""
            SELECT c.enterprise, e.commitment, c.project, {PROOF_WITH_BLOCK_TIME} FROM inspection_outcomes e
            JOIN commitments c ON c.chain_id = e.chain_id AND c.commitment = e.commitment
            {_selected("e")} {BLOCK_TIME_JOIN}
            WHERE e.chain_id = :c AND {inspections} AND e.outcome = 'false_commitment'"""),
        params,
    ):
        events.append(
            CreditEvent(FALSE_COMMITMENT, enterprise, CreditEventProof(*proof), commitment=commitment, project=project)
        )
    counters = ", ".join(f"{expression} AS {kind}" for kind, expression in COUNTER_KINDS.items())
    for enterprise, *row in session.execute(
        read_sql(f"""
            SELECT e.enterprise, {counters}, {PROOF_WITH_BLOCK_TIME} FROM enterprise_counter_imports e
            {BLOCK_TIME_JOIN} WHERE e.chain_id = :c AND {imports}"""),
        params,
    ):
        counts = dict(zip(COUNTER_KINDS, row[: len(COUNTER_KINDS)]))
        events.append(
            CreditEvent(COUNTERS_IMPORTED, enterprise, CreditEventProof(*row[len(COUNTER_KINDS) :]), counts=counts)
        )
    return events


def enterprise_known(session: Session, *, chain_id: int | None, enterprise: str) -> bool:
    """The write model registered the enterprise, or the chain knows it (a commitment or a fee account)."""
    if session.execute(select(col(Enterprise.uscc)).where(col(Enterprise.enterprise_key) == enterprise)).first():
        return True
    return (
        chain_id is not None
        and session.execute(
            read_sql(
                "SELECT 1 FROM enterprise_commitment_summaries WHERE chain_id = :c AND enterprise = :e UNION ALL "
                "SELECT 1 FROM fee_accounts WHERE chain_id = :c AND payer = :e"
            ),
            {"c": chain_id, "e": enterprise},
        ).first()
        is not None
    )


# Every enterprise the chain knows (a commitment or a fee account), joined to its counters, its late
# payments, the overdue marks given back (where the rule set has that rule) and, where the write model
# knows it, its USCC: the FROM clause the two queries below share.
def _enterprises_with_counters(rules: RuleSet, *, select: str) -> str:
    voided_cte, voided_join = "", ""
    if rules.voids_predated_marks:
        voided_cte, voided_join = f", voided AS ({VOIDED_MARKS})", "LEFT JOIN voided v ON v.enterprise = keys.k"
    if rules.weighs_false_commitments:
        voided_cte += f", falsified AS ({FALSE_COMMITMENTS})"
        voided_join += " LEFT JOIN falsified fc ON fc.enterprise = keys.k"
    return f"""
    WITH keys AS (SELECT enterprise AS k FROM enterprise_commitment_summaries WHERE chain_id = :c
                  UNION SELECT payer FROM fee_accounts WHERE chain_id = :c),
         late AS (SELECT a.payer, COUNT(*) AS late_payments FROM payments e
                  JOIN fee_accounts a ON a.chain_id = e.chain_id AND a.project = e.project
                  WHERE e.chain_id = :c AND e.late = :yes GROUP BY a.payer){voided_cte}
    {select} FROM keys
    LEFT JOIN enterprise_commitment_summaries s ON s.chain_id = :c AND s.enterprise = keys.k
    LEFT JOIN late p ON p.payer = keys.k
    {voided_join}
    LEFT JOIN enterprises en ON en.enterprise_key = keys.k"""


def _score_sql(rules: RuleSet) -> tuple[str, dict[EventKind | DerivedKind, str]]:
    """The score as an SQL expression over the counters (bound :start), and each kind's count."""
    weights = rules.weights
    counts: dict[EventKind | DerivedKind, str] = {
        kind: f"COALESCE({' - '.join('s.' + column for column in expression.split(' - '))}, 0)"
        for kind, expression in COUNTER_KINDS.items()
    }
    counts["late_fee_payment"] = "COALESCE(p.late_payments, 0)"
    if rules.voids_predated_marks:
        counts[VOIDED_MARK] = "COALESCE(v.voided, 0)"
    if rules.weighs_false_commitments:
        counts[FALSE_COMMITMENT] = "COALESCE(fc.falsified, 0)"
    return f"(:start + {' + '.join(f'{weights[kind]} * {sql}' for kind, sql in counts.items())})", counts


def enterprise_scores(
    session: Session, *, chain_id: int, rules: RuleSet, grade: str | None, after: str, limit: int
) -> list[EnterpriseScore]:
    """Every enterprise the chain knows (a commitment or a fee account) after the key `after`, by
    key, scored in SQL from the indexer's counters (the same sums `credit_events` adds up event by
    event); `grade` keeps those whose score falls in that grade."""
    score, counts = _score_sql(rules)
    bounds, params = [], {"c": chain_id, "after": after, "limit": limit, "start": rules.start, "yes": True}
    if grade is not None:
        low, high = rules.score_range(grade)
        if low is not None:
            bounds.append(f"{score} >= :low")
            params["low"] = low
        if high is not None:
            bounds.append(f"{score} < :high")
            params["high"] = high
    select_scores = f"SELECT keys.k, {score} AS score, {', '.join(counts.values())}, en.uscc"
    rows = session.execute(
        read_sql(
            _enterprises_with_counters(rules, select=select_scores)
            + f" WHERE keys.k > :after {''.join(' AND ' + b for b in bounds)} ORDER BY keys.k LIMIT :limit"
        ),
        params,
    ).all()
    return [
        EnterpriseScore(enterprise=row[0], uscc=row[-1], score=row[1], counts=dict(zip(counts, row[2:-1])))
        for row in rows
    ]


def grade_counts(session: Session, *, chain_id: int, rules: RuleSet) -> dict[str, int]:
    """How many enterprises fall in each grade (every grade named, 0 where none): one grouped query."""
    score, _ = _score_sql(rules)
    params: dict[str, object] = {"c": chain_id, "start": rules.start, "yes": True, "lowest": rules.lowest_grade}
    whens = []
    for index, (name, floor) in enumerate(rules.grades):  # best first: the first floor reached is the grade
        whens.append(f"WHEN {score} >= :floor{index} THEN CAST(:grade{index} AS VARCHAR(8))")
        params |= {f"floor{index}": floor, f"grade{index}": name}
    grade = f"CASE {' '.join(whens)} ELSE CAST(:lowest AS VARCHAR(8)) END"
    graded = _enterprises_with_counters(rules, select=f"SELECT {grade} AS grade")
    rows = session.execute(read_sql(f"SELECT grade, COUNT(*) FROM ({graded}) graded GROUP BY grade"), params)
    return {name: 0 for name in rules.grade_names} | {name: count for name, count in rows}
