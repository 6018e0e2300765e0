"""The office runs a random inspection (双随机、一公开) through the ledger: it commits a draw whose
candidate pool is built from the read model, reveals it once its block is mined, and records each
selected commitment's outcome with the inspection report kept in the document store.

Every step is an outbox command (ledger.outbox.kinds: commit_draw, reveal_draw, expire_draw,
record_inspection, signed by VERIFIER_ROLE on InspectionDraws), and a 202 is a promise: what the
contract would refuse is refused here before anything is queued (a reveal before the reveal block is
mined or after its hash is out of reach, a second reveal, an outcome for a draw not revealed, for a
commitment the draw did not select — the contract cannot check that one — or a second outcome for one
commitment, a re-commit of a draw that can still be revealed).

A draw nobody revealed in its window is committed again the only way the contract allows, so an
unrevealed draw is never replaced silently: its expiry goes on record first (`expire`, DrawExpired),
then the very same pools and picks with a new reveal block, as the draw's next attempt (`recommit_draw`).

The pools are published (as `ledger draw publish` does) in the same transaction that queues the
commitment: the public page shows them from the moment the draw is committed.

The chain's latest block number comes from the caller's `head_block` (the route asks the node, only
once the request passed every other check). A commitment's reveal block is set by the writer when it
sends the transaction: the chain's head then plus `reveal_in_blocks` (`Kind.from_head`), which leaves a
margin of REVEAL_MARGIN blocks over the contract's MIN_REVEAL_DELAY to mine it, however long the command
waited in the outbox. The 202 names the earliest reveal block (the head at acceptance plus
`reveal_in_blocks`); the draw's DrawCommitted event, which the read model keeps, carries the final one,
and every later step (reveal, recommit, the office's list) reads that one.
"""

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from eth_utils import keccak
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.inspection_model import InspectionReport, OfficeDraw
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import InspectionDrawEvent
from ledger.db.write_model import CommitmentRecord, OutboxCommand, Project
from ledger.domain.common import end_of_day, read_model_chain_id, reference_key_hex
from ledger.domain.documents import DocumentStore
from ledger.domain.errors import Conflict, InvalidState, NotFound, ValidationFailed
from ledger.domain.inspection_draws import PublishedDrawFile, pool_hash
from ledger.domain.inspections import public_draw, publish_pools
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.inspections import DrawAccepted, DrawCreate, OfficeDrawPublic, SelectedCommitment
from ledger.outbox.commands import ACCEPTED, FAILED, MINED, SUBMITTED, NewCommand, enqueue
from ledger.outbox.kinds import INSPECTION_OUTCOMES

MIN_REVEAL_DELAY = 10  # InspectionDraws.MIN_REVEAL_DELAY
MAX_REVEAL_DELAY = 100_000  # InspectionDraws.MAX_REVEAL_DELAY
REVEAL_WINDOW = 256  # InspectionDraws.REVEAL_WINDOW: blockhash reaches this many blocks back
REVEAL_MARGIN = 10  # blocks the writer may take to mine the commitment once it sends it
# A reveal is accepted only while at least this many blocks of its window remain: the writer sends it in
# its next round, and a reveal mined after the window fails (InspectionDrawsRevealWindowPassed). 16 blocks
# are minutes on a chain of second-scale blocks, several writer rounds; an outage longer than that still
# fails the reveal, and the draw is then recommitted.
REVEAL_WINDOW_MARGIN = 16


def draw_lane(draw_number: str) -> str:
    """The outbox's ordering lane of a draw's commit and reveal (commands of one lane go in order)."""
    return f"draw:{draw_number}"


def candidate_pool(session: Session, *, draw: DrawCreate) -> list[tuple[str, str]]:
    """(commitment number, on-chain key) of every commitment the read model shows fulfilled in the
    draw's period (its fulfilment's fact time, Shanghai days inclusive), of its kind and district."""
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return []
    query = (
        select(col(CommitmentRecord.commitment_number), col(CommitmentRecord.commitment_key))
        .join(CommitmentView, col(CommitmentView.commitment) == col(CommitmentRecord.commitment_key))
        .join(Project, col(Project.project_code) == col(CommitmentRecord.project_code))
        .where(
            col(CommitmentView.chain_id) == chain_id,
            col(CommitmentView.status) == "fulfilled",
            col(CommitmentView.decided_at) > end_of_day(draw.period_start - timedelta(days=1)),
            col(CommitmentView.decided_at) <= end_of_day(draw.period_end),
        )
        .order_by(col(CommitmentRecord.commitment_key))
    )
    if draw.commitment_kind is not None:
        query = query.where(col(CommitmentView.kind) == draw.commitment_kind)
    if draw.district is not None:
        query = query.where(col(Project.district) == draw.district)
    return [(number, key) for number, key in session.execute(query).tuples().all()]


def inspector_key(code: str) -> bytes:
    """An inspector on the roster: keccak256 of the code (no personal data)."""
    return keccak(text=code)


def commit_draw(session: Session, *, draw: DrawCreate, head_block: Callable[[], int], actor: str) -> DrawAccepted:
    """Queue the draw's commitment (commitDraw) and publish its pools."""
    key = reference_key_hex(draw.draw_number)
    if session.get(OfficeDraw, draw.draw_number) is not None or _on_chain(session, key):
        raise Conflict(f"draw {draw.draw_number} exists already", field="draw_number", rule="unique_forever")
    if draw.period_end < draw.period_start:
        raise ValidationFailed("period_end is before period_start", field="period_end", rule="period_order")
    if len(set(draw.inspectors)) != len(draw.inspectors):
        raise ValidationFailed("an inspector is listed twice", field="inspectors", rule="distinct")
    _check_reveal_delay(draw.reveal_in_blocks)
    pool = candidate_pool(session, draw=draw)
    if not pool:
        raise ValidationFailed(
            "no commitment was fulfilled in that period (of that kind, in that district): nothing to draw from",
            field="period_start",
            rule="non_empty_pool",
        )
    if draw.commitments_to_pick > len(pool):
        raise ValidationFailed(
            f"the pool holds {len(pool)} commitments: cannot pick {draw.commitments_to_pick}",
            field="commitments_to_pick",
            rule="at_most_pool_size",
        )
    if draw.inspectors_to_pick > len(draw.inspectors):
        raise ValidationFailed(
            f"the roster holds {len(draw.inspectors)} inspectors: cannot pick {draw.inspectors_to_pick}",
            field="inspectors_to_pick",
            rule="at_most_roster_size",
        )
    candidates = [bytes.fromhex(k[2:]) for _, k in pool]
    roster = [inspector_key(code) for code in draw.inspectors]
    earliest = head_block() + draw.reveal_in_blocks  # the writer counts from the head when it sends
    command = NewCommand(
        "commit_draw",
        draw.draw_number,
        draw_lane(draw.draw_number),
        {
            "draw": key,
            "pool_hash": "0x" + pool_hash(candidates).hex(),
            "pool_size": len(candidates),
            "roster_hash": "0x" + pool_hash(roster).hex(),
            "roster_size": len(roster),
            "commitments_to_pick": draw.commitments_to_pick,
            "inspectors_to_pick": draw.inspectors_to_pick,
            "reveal_block": earliest,  # replaced by the writer (the head when it sends + reveal_in_blocks)
            "reveal_in_blocks": draw.reveal_in_blocks,
        },
    ).with_id()
    try:  # the draw number is the key: of two requests at once, one is stored
        with session.begin_nested():
            session.add(
                OfficeDraw(
                    draw_number=draw.draw_number,
                    draw=key,
                    title=draw.title,
                    period_start=draw.period_start,
                    period_end=draw.period_end,
                    commitment_kind=draw.commitment_kind,
                    district=draw.district,
                    commitments_to_pick=draw.commitments_to_pick,
                    inspectors_to_pick=draw.inspectors_to_pick,
                    reveal_block=earliest,  # until DrawCommitted is indexed (_chain_status reads it then)
                    actor=actor,
                    command_id=command.id,
                    created_at=time.time(),
                )
            )
            session.flush()
    except IntegrityError:
        raise Conflict(f"draw {draw.draw_number} exists already", field="draw_number", rule="unique_forever") from None
    publish_pools(
        session,
        pools=PublishedDrawFile(
            draw=key, candidates=["0x" + c.hex() for c in candidates], inspectors=["0x" + i.hex() for i in roster]
        ),
        title=draw.title,
    )
    enqueue(session, [command], client=actor)
    session.flush()
    return DrawAccepted(
        command_id=command.id,
        kind=command.kind,
        reference=command.reference,
        draw=key,
        reveal_block=earliest,
        reveal_in_blocks=draw.reveal_in_blocks,
        pool_size=len(candidates),
        roster_size=len(roster),
    )


def reveal_draw(session: Session, *, draw_number: str, head_block: Callable[[], int], actor: str) -> CommandAccepted:
    """Queue the draw's reveal, once its reveal block is mined (and while its hash is in reach)."""
    office = _office_draw(session, draw_number, lock=True)
    if _queued(session, "reveal_draw", draw_number):
        raise Conflict(
            f"draw {draw_number} is revealed already (or its reveal is on its way)",
            field="draw_number",
            rule="reveal_once",
        )
    status, reveal_block = _chain_status(session, office)
    if status == "revealed":
        raise Conflict(f"draw {draw_number} is revealed already", field="draw_number", rule="reveal_once")
    if status == "expired":
        raise InvalidState(f"draw {draw_number} expired unrevealed", field="draw_number", rule="not_expired")
    head = head_block()
    if head <= reveal_block:
        raise InvalidState(
            f"draw {draw_number} can be revealed after block {reveal_block} is mined; the chain is at block {head}",
            field="draw_number",
            rule="after_reveal_block",
        )
    last = reveal_block + REVEAL_WINDOW - REVEAL_WINDOW_MARGIN  # the chain must mine it by reveal_block + 256
    if head > last:
        raise InvalidState(
            f"draw {draw_number}'s reveal is accepted until the chain is at block {last} "
            f"({REVEAL_WINDOW_MARGIN} blocks before block {reveal_block}'s hash is out of reach); "
            f"the chain is at block {head}: the draw can only expire after block {reveal_block + REVEAL_WINDOW} "
            "and be committed again",
            field="draw_number",
            rule="reveal_window",
        )
    command = NewCommand("reveal_draw", draw_number, draw_lane(draw_number), {"draw": office.draw}).with_id()
    enqueue(session, [command], client=actor)
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def recommit_draw(
    session: Session, *, draw_number: str, reveal_in_blocks: int, head_block: Callable[[], int], actor: str
) -> DrawAccepted:
    """Commit again a draw nobody revealed while its reveal block's hash was in reach: queue its expiry
    (unless the chain shows it expired already) and then its commitment with the same pools and picks and
    a new reveal block, in the draw's lane, so the expiry lands first. The answer is the commitment's."""
    office = _office_draw(session, draw_number, lock=True)
    _check_reveal_delay(reveal_in_blocks)
    if _on_its_way(session, draw_number):
        raise Conflict(
            f"a step of draw {draw_number} is on its way to the chain; ask again once it is indexed",
            field="draw_number",
            rule="settled_draw",
        )
    status, reveal_block = _chain_status(session, office)
    if status == "revealed":
        raise Conflict(
            f"draw {draw_number} is revealed: its selection stands and is never drawn again",
            field="draw_number",
            rule="unrevealed_draw",
        )
    head = head_block()
    last = reveal_block + REVEAL_WINDOW
    if status == "committed" and head < last:  # expire() is mined in block head + 1 at the soonest
        raise InvalidState(
            f"draw {draw_number} can still be revealed until block {last} (the chain is at block {head}); "
            "it can be committed again only once its reveal window has passed unrevealed",
            field="draw_number",
            rule="reveal_window_passed",
        )
    terms = _latest_terms(session, office)
    assert terms.pool_size is not None and terms.roster_size is not None  # a committed event carries its terms
    earliest = head + reveal_in_blocks  # the writer counts from the head when it sends
    commands = [] if status == "expired" else [_expire_command(office)]
    commands.append(
        NewCommand(
            "commit_draw",
            draw_number,
            draw_lane(draw_number),
            {
                "draw": office.draw,
                "pool_hash": terms.pool_hash,
                "pool_size": terms.pool_size,
                "roster_hash": terms.roster_hash,
                "roster_size": terms.roster_size,
                "commitments_to_pick": terms.commitments_to_pick,
                "inspectors_to_pick": terms.inspectors_to_pick,
                "reveal_block": earliest,  # replaced by the writer (the head when it sends + reveal_in_blocks)
                "reveal_in_blocks": reveal_in_blocks,
            },
        ).with_id()
    )
    enqueue(session, commands, client=actor)
    office.reveal_block, office.command_id = earliest, commands[-1].id
    session.flush()
    return DrawAccepted(
        command_id=commands[-1].id,
        kind="commit_draw",
        reference=draw_number,
        draw=office.draw,
        reveal_block=earliest,
        reveal_in_blocks=reveal_in_blocks,
        pool_size=terms.pool_size,
        roster_size=terms.roster_size,
    )


def record_outcome(
    session: Session,
    *,
    draw_number: str,
    commitment_number: str,
    outcome: str,
    document: bytes,
    store: DocumentStore,
    actor: str,
) -> CommandAccepted:
    """Queue one inspected commitment's outcome, its report kept in the document store (its digest on chain)."""
    office = _office_draw(session, draw_number, lock=True)
    if outcome not in INSPECTION_OUTCOMES:
        raise ValidationFailed(
            f"outcome must be one of {', '.join(INSPECTION_OUTCOMES)}", field="outcome", rule="known_outcome"
        )
    record = session.get(CommitmentRecord, commitment_number)
    if record is None:
        raise NotFound(f"no commitment {commitment_number}", field="commitment_number", rule="recorded_commitment")
    status, _ = _chain_status(session, office)
    if status != "revealed":
        raise InvalidState(
            f"draw {draw_number} is not revealed yet: outcomes belong to revealed draws",
            field="draw_number",
            rule="revealed_draw",
        )
    published = public_draw(session, draw=office.draw)
    if published.selected_commitments is None:
        raise InvalidState(
            f"draw {draw_number}'s selection cannot be recomputed: {'; '.join(published.problems)}",
            field="draw_number",
            rule="verified_draw",
        )
    if record.commitment_key not in published.selected_commitments:
        raise InvalidState(
            f"draw {draw_number} did not select commitment {commitment_number}: "
            "only a selected commitment is inspected",
            field="commitment_number",
            rule="selected_commitment",
        )
    recorded = {o.commitment for o in published.outcomes}
    if record.commitment_key in recorded or _reported(session, draw_number, commitment_number):
        raise Conflict(
            f"the outcome of commitment {commitment_number} in draw {draw_number} is recorded already",
            field="commitment_number",
            rule="outcome_once",
        )
    stored = store.put(document)
    command = NewCommand(
        "record_inspection",
        commitment_number,
        record.project_code,
        {
            "draw": office.draw,
            "commitment": record.commitment_key,
            "outcome": INSPECTION_OUTCOMES[outcome],
            "document_hash": "0x" + stored.digest,
        },
    ).with_id()
    session.add(
        InspectionReport(
            id=uuid.uuid4().hex,
            draw_number=draw_number,
            commitment_number=commitment_number,
            outcome=outcome,
            document_digest=stored.digest,
            actor=actor,
            command_id=command.id,
            created_at=time.time(),
        )
    )
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def office_draws(session: Session, *, limit: int = 100) -> list[OfficeDrawPublic]:
    """The draws the office ran, newest first, with where each stands."""
    rows = session.execute(select(OfficeDraw).order_by(col(OfficeDraw.created_at).desc()).limit(limit)).scalars().all()
    out = []
    for row in rows:
        command_status = session.execute(
            select(col(OutboxCommand.status)).where(col(OutboxCommand.id) == row.command_id)
        ).scalar()
        status, chain_block = _chain_status(session, row, strict=False)
        # A committed or revealed draw's reveal block is the one its DrawCommitted carries; until then (and
        # while a recommit is on its way) the earliest one the office's record holds.
        reveal_block = chain_block if status in ("committed", "revealed") else row.reveal_block
        if command_status == FAILED:
            status = "failed"
        out.append(
            OfficeDrawPublic(
                draw_number=row.draw_number,
                draw=row.draw,
                title=row.title,
                period_start=row.period_start,
                period_end=row.period_end,
                commitment_kind=row.commitment_kind,
                district=row.district,
                commitments_to_pick=row.commitments_to_pick,
                inspectors_to_pick=row.inspectors_to_pick,
                reveal_block=reveal_block,
                status=status,
                command_id=row.command_id,
                outcomes_recorded=session.execute(
                    select(func.count())
                    .select_from(InspectionReport)
                    .join(OutboxCommand, col(OutboxCommand.id) == col(InspectionReport.command_id))
                    .where(col(InspectionReport.draw_number) == row.draw_number, col(OutboxCommand.status) != FAILED)
                ).scalar_one(),
            )
        )
    return out


def selected_commitments(session: Session, *, draw_number: str) -> list[SelectedCommitment]:
    """A revealed draw's selected commitments by number (the public draw's selection holds their keys),
    each with its outcome once recorded: on chain, or queued and not failed. Empty until it is revealed."""
    office = _office_draw(session, draw_number)
    if _chain_status(session, office, strict=False)[0] != "revealed":
        return []
    published = public_draw(session, draw=office.draw)
    selected = published.selected_commitments or []
    numbers = dict(
        session.execute(
            select(col(CommitmentRecord.commitment_key), col(CommitmentRecord.commitment_number)).where(
                col(CommitmentRecord.commitment_key).in_(selected)
            )
        )
        .tuples()
        .all()
    )
    on_chain = {o.commitment: o.outcome for o in published.outcomes}
    queued = {
        number: (outcome, command_id)
        for number, outcome, command_id in session.execute(
            select(
                col(InspectionReport.commitment_number),
                col(InspectionReport.outcome),
                col(InspectionReport.command_id),
            )
            .join(OutboxCommand, col(OutboxCommand.id) == col(InspectionReport.command_id))
            .where(col(InspectionReport.draw_number) == draw_number, col(OutboxCommand.status) != FAILED)
        ).tuples()
    }
    out = []
    for key in selected:
        number = numbers.get(key, key)  # a key the ledger never recorded is shown as the key
        outcome, command_id = queued.get(number, (None, None))
        out.append(
            SelectedCommitment(
                commitment_number=number, commitment=key, outcome=on_chain.get(key, outcome), command_id=command_id
            )
        )
    return out


# -- helpers ------------------------------------------------------------------------------------


def _check_reveal_delay(reveal_in_blocks: int) -> None:
    if reveal_in_blocks < MIN_REVEAL_DELAY + REVEAL_MARGIN or reveal_in_blocks > MAX_REVEAL_DELAY:
        raise ValidationFailed(
            f"reveal_in_blocks must be {MIN_REVEAL_DELAY + REVEAL_MARGIN} to {MAX_REVEAL_DELAY}",
            field="reveal_in_blocks",
            rule="reveal_delay",
        )


def _expire_command(office: OfficeDraw) -> NewCommand:
    return NewCommand("expire_draw", office.draw_number, draw_lane(office.draw_number), {"draw": office.draw}).with_id()


def _latest_terms(session: Session, office: OfficeDraw) -> InspectionDrawEvent:
    """The draw's latest commitment on chain: its terms, which a re-commit must repeat exactly."""
    query = select(InspectionDrawEvent).where(
        col(InspectionDrawEvent.draw) == office.draw, col(InspectionDrawEvent.event) == "committed"
    )
    if (chain_id := read_model_chain_id(session)) is not None:
        query = query.where(col(InspectionDrawEvent.chain_id) == chain_id)
    return session.execute(query.order_by(col(InspectionDrawEvent.attempt).desc()).limit(1)).scalar_one()


def _on_its_way(session: Session, draw_number: str) -> bool:
    """A commitment, reveal or expiry of the draw queued and not yet indexed (nor failed)."""
    return (
        session.execute(
            select(func.count())
            .select_from(OutboxCommand)
            .where(
                col(OutboxCommand.kind).in_(("commit_draw", "reveal_draw", "expire_draw")),
                col(OutboxCommand.reference) == draw_number,
                col(OutboxCommand.status).in_((ACCEPTED, SUBMITTED, MINED)),
            )
        ).scalar_one()
        > 0
    )


def _office_draw(session: Session, draw_number: str, *, lock: bool = False) -> OfficeDraw:
    """The office's draw; `lock` holds its row until the transaction ends (PostgreSQL's FOR UPDATE), so two
    reveals or two outcomes of one draw sent at once are judged one after the other, never both queued."""
    row = session.get(OfficeDraw, draw_number, with_for_update=lock)
    if row is None:
        raise NotFound(f"no draw {draw_number}", field="draw_number", rule="office_draw")
    return row


def _on_chain(session: Session, key: str) -> bool:
    return (
        session.execute(select(col(InspectionDrawEvent.draw)).where(col(InspectionDrawEvent.draw) == key)).first()
        is not None
    )


def _chain_status(session: Session, office: OfficeDraw, *, strict: bool = True) -> tuple[str, int]:
    """The draw's status on chain as the read model shows it (its latest attempt), and its reveal block.
    Strict: a draw whose commitment is not indexed yet (or failed) is refused with the reason."""
    chain_id = read_model_chain_id(session)
    query = (
        select(col(InspectionDrawEvent.event), col(InspectionDrawEvent.reveal_block), col(InspectionDrawEvent.attempt))
        .where(col(InspectionDrawEvent.draw) == office.draw)
        .order_by(col(InspectionDrawEvent.block_number), col(InspectionDrawEvent.log_index))
    )
    if chain_id is not None:
        query = query.where(col(InspectionDrawEvent.chain_id) == chain_id)
    status, reveal_block = "pending", office.reveal_block
    for event, block, _ in session.execute(query).all():
        if event == "committed":
            status, reveal_block = "committed", block
        elif event == "revealed":
            status = "revealed"
        elif event == "expired":
            status = "expired"
    if status == "pending" and strict:
        failed = (
            session.execute(
                select(col(OutboxCommand.status)).where(col(OutboxCommand.id) == office.command_id)
            ).scalar()
            == FAILED
        )
        raise InvalidState(
            f"the chain refused draw {office.draw_number}'s commitment"
            if failed
            else f"draw {office.draw_number} is not committed on chain yet (its commitment is on its way)",
            field="draw_number",
            rule="committed_draw",
        )
    return status, reveal_block


def _queued(session: Session, kind: str, reference: str) -> bool:
    """A command of this kind and reference that did not fail (on its way, or landed)."""
    return (
        session.execute(
            select(func.count())
            .select_from(OutboxCommand)
            .where(
                col(OutboxCommand.kind) == kind,
                col(OutboxCommand.reference) == reference,
                col(OutboxCommand.status) != FAILED,
            )
        ).scalar_one()
        > 0
    )


def _reported(session: Session, draw_number: str, commitment_number: str) -> bool:
    """An outcome of this commitment in this draw queued already (and not failed)."""
    return (
        session.execute(
            select(col(InspectionReport.id))
            .join(OutboxCommand, col(OutboxCommand.id) == col(InspectionReport.command_id))
            .where(
                col(InspectionReport.draw_number) == draw_number,
                col(InspectionReport.commitment_number) == commitment_number,
                col(OutboxCommand.status) != FAILED,
            )
        ).first()
        is not None
    )


__all__ = [
    "candidate_pool",
    "commit_draw",
    "office_draws",
    "recommit_draw",
    "record_outcome",
    "reveal_draw",
    "selected_commitments",
]
