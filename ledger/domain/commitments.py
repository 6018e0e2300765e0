"""Commitments: recorded by the approval system, decided by office staff, fulfilled by acceptance."""

from sqlalchemy.orm import Session

from ledger.domain.schemas import (AcceptanceAccepted, AcceptanceReport, CommandAccepted, CommitmentCreate,
                                   CommitmentDecision, CommitmentPublic)


def record_commitments(session: Session, *, commitments: list[CommitmentCreate], client: str) -> list[CommandAccepted]:
    raise NotImplementedError


def decide_commitment(session: Session, *, commitment_number: str, decision: CommitmentDecision,
                      actor: str) -> CommandAccepted:
    raise NotImplementedError


def report_acceptance(session: Session, *, report: AcceptanceReport, client: str) -> AcceptanceAccepted:
    raise NotImplementedError


def commitments_of_enterprise(session: Session, *, uscc: str) -> list[CommitmentPublic]:
    raise NotImplementedError
