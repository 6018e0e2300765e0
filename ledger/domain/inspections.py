"""Random inspections (双随机、一公开) in the read model: the office publishes each draw's pools,
and the public reads every draw with its selection recomputed from the seed and those pools (the
same rules `ledger draw verify` applies against the chain, ledger.domain.inspection_draws)."""

import time

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.bulk import insert_new
from ledger.db.inspection_model import InspectionPool, InspectionSelection, OfficeDraw
from ledger.db.read_model import InspectionDrawEvent, InspectionOutcome
from ledger.db.write_model import CommitmentRecord
from ledger.domain.common import names_of, proof_of
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.inspection_draws import (
    PoolError,
    PublishedDraw,
    PublishedDrawFile,
    Selection,
    canonical_pool,
    fold_draw,
    verify,
)
from ledger.domain.public import as_of
from ledger.domain.schemas.inspections import PublicDraw, PublicDrawPage, PublicInspectionOutcome


def _hex(word: bytes) -> str:
    return "0x" + word.hex()


def publish_pools(session: Session, *, pools: PublishedDrawFile, title: str) -> InspectionPool:
    """Publish (or publish again, identically) a draw's pools, in canonical order."""
    published = pools.published()
    try:
        candidates, inspectors = canonical_pool(published.candidates), canonical_pool(published.inspectors)
    except PoolError as exc:
        raise ValidationFailed(str(exc), field="candidates") from None
    row = session.get(InspectionPool, pools.draw)
    values = {"candidates": [_hex(c) for c in candidates], "inspectors": [_hex(i) for i in inspectors]}
    if row is not None:
        if row.candidates != values["candidates"] or row.inspectors != values["inspectors"]:
            raise ValidationFailed("this draw's pools are published already and cannot change", field="draw")
        return row
    row = InspectionPool(draw=pools.draw, title=title, published_at=time.time(), **values)
    session.add(row)
    session.flush()
    return row


def public_draws(session: Session) -> PublicDrawPage:
    checkpoint = as_of(session)
    if checkpoint is None:
        return PublicDrawPage(items=[], as_of_block=None)
    events = session.scalars(
        select(InspectionDrawEvent)
        .where(col(InspectionDrawEvent.chain_id) == checkpoint.chain_id)
        .order_by(col(InspectionDrawEvent.block_number), col(InspectionDrawEvent.log_index))
    ).all()
    outcomes = session.scalars(
        select(InspectionOutcome)
        .where(col(InspectionOutcome.chain_id) == checkpoint.chain_id)
        .order_by(col(InspectionOutcome.block_number), col(InspectionOutcome.log_index))
    ).all()
    by_draw: dict[str, list[InspectionDrawEvent]] = {}
    for row in events:
        by_draw.setdefault(row.draw, []).append(row)
    pools = {p.draw: p for p in session.scalars(select(InspectionPool)).all()}
    offices = {o.draw: o for o in session.scalars(select(OfficeDraw)).all()}
    items = [
        _draw(checkpoint.chain_id, draw, rows, [o for o in outcomes if o.draw == draw], pools.get(draw))
        for draw, rows in by_draw.items()
    ]
    keys = {k for d in items for k in (d.selected_commitments or [])} | {
        o.commitment for d in items for o in d.outcomes
    }
    numbers = (
        names_of(session, col(CommitmentRecord.commitment_key), col(CommitmentRecord.commitment_number), sorted(keys))
        if keys
        else {}
    )
    for item in items:
        shown = set(item.selected_commitments or []) | {o.commitment for o in item.outcomes}
        item.commitment_numbers = {k: numbers[k] for k in sorted(shown) if k in numbers}
        if (office := offices.get(item.draw)) is not None:
            item.draw_number, item.period_start, item.period_end = (
                office.draw_number,
                office.period_start,
                office.period_end,
            )
            item.commitment_kind, item.district = office.commitment_kind, office.district
    items.sort(key=lambda d: d.committed.block_number, reverse=True)
    return PublicDrawPage(items=items, as_of_block=checkpoint.block_number)


def public_draw(session: Session, *, draw: str) -> PublicDraw:
    for item in public_draws(session).items:
        if item.draw == draw:
            return item
    raise NotFound(f"no inspection draw {draw}")


def published_pools(session: Session, *, draw: str) -> PublishedDrawFile:
    """The file `ledger draw verify --pools` reads: the pools and the selection published here."""
    pool = session.get(InspectionPool, draw)
    if pool is None:
        raise NotFound(f"the pools of inspection draw {draw} are not published")
    item = public_draw(session, draw=draw)
    body: dict = {"draw": draw, "title": pool.title, "candidates": pool.candidates, "inspectors": pool.inspectors}
    if item.selected_commitments is not None:
        body["selection"] = {"commitments": item.selected_commitments, "inspectors": item.selected_inspectors}
    return PublishedDrawFile.model_validate(body)


def _draw(chain_id, draw, rows, outcomes, pool: InspectionPool | None) -> PublicDraw:
    events = [(f"Draw{row.event.capitalize()}", _args(row)) for row in rows]
    events += [("InspectionRecorded", {"commitment": o.commitment, "outcome": o.outcome}) for o in outcomes]
    record = fold_draw(bytes.fromhex(draw[2:]), events)
    assert record is not None  # every draw's first event is its commitment
    committed = next(r for r in reversed(rows) if r.event == "committed")
    revealed = next((r for r in rows if r.event == "revealed" and r.attempt == record.terms.attempt), None)
    problems, selection = ["the office has not published this draw's pools yet"], None
    if pool is not None:
        published = PublishedDraw(
            record.terms.draw,
            [bytes.fromhex(c[2:]) for c in pool.candidates],
            [bytes.fromhex(i[2:]) for i in pool.inspectors],
        )
        problems, selection = verify(published, record, None)
    return PublicDraw(
        draw=draw,
        title=pool.title if pool else None,
        attempt=record.terms.attempt,
        expired_attempts=record.expired_attempts,
        status=record.status,
        pool_hash=_hex(record.terms.pool_hash),
        pool_size=record.terms.pool_size,
        roster_hash=_hex(record.terms.roster_hash),
        roster_size=record.terms.roster_size,
        commitments_to_pick=record.terms.commitments_to_pick,
        inspectors_to_pick=record.terms.inspectors_to_pick,
        reveal_block=record.terms.reveal_block,
        commitment=_hex(record.commitment),
        seed=_hex(record.seed) if record.seed else None,
        reveal_block_hash=_hex(record.reveal_block_hash) if record.reveal_block_hash else None,
        selected_commitments=_words(selection.commitments) if selection else None,
        selected_inspectors=_words(selection.inspectors) if selection else None,
        problems=problems,
        outcomes=[
            PublicInspectionOutcome(
                commitment=o.commitment, outcome=o.outcome, document_hash=o.document_hash, proof=proof_of(chain_id, o)
            )
            for o in outcomes
        ],
        committed=proof_of(chain_id, committed),
        revealed=proof_of(chain_id, revealed) if revealed else None,
    )


def _words(words: list[bytes]) -> list[str]:
    return [_hex(w) for w in words]


def _args(row: InspectionDrawEvent) -> dict:
    return {
        "attempt": row.attempt,
        "poolHash": row.pool_hash,
        "poolSize": row.pool_size,
        "rosterHash": row.roster_hash,
        "rosterSize": row.roster_size,
        "commitmentsToPick": row.commitments_to_pick,
        "inspectorsToPick": row.inspectors_to_pick,
        "revealBlock": row.reveal_block,
        "commitment": row.commitment,
        "revealBlockHash": row.reveal_block_hash,
        "seed": row.seed,
    }


def store_selections(session: Session) -> int:
    """Keep each revealed draw's selection, recomputed from its seed and published pools, where the
    credit scorer joins outcomes to it (an outcome for a commitment not selected is not scored); a
    draw already kept adds nothing. Returns how many selected commitments were added."""
    checkpoint = as_of(session)
    if checkpoint is None:
        return 0
    kept = set(
        session.execute(
            select(col(InspectionSelection.draw), col(InspectionSelection.seed)).where(
                col(InspectionSelection.chain_id) == checkpoint.chain_id
            )
        )
        .tuples()
        .all()
    )
    rows = [
        {"chain_id": checkpoint.chain_id, "draw": d.draw, "seed": d.seed, "commitment": c, "position": i}
        for d in public_draws(session).items
        if d.seed is not None and d.selected_commitments is not None and (d.draw, d.seed) not in kept
        for i, c in enumerate(d.selected_commitments)
    ]
    if not rows:
        return 0
    return len(
        session.execute(insert_new(session, InspectionSelection).returning(col(InspectionSelection.draw)), rows).all()
    )


__all__ = ["Selection", "public_draw", "public_draws", "publish_pools", "published_pools", "store_selections"]
