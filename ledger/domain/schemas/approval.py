"""The approval system's schemas: projects registered and read back (also by the office and the
enterprise), commitments recorded, the joint acceptance, and the clearance it asks for."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool

from ledger.core.identifiers import District, ProjectCode, Reference, Uscc
from ledger.domain.schemas.common import (
    MAX_BATCH,
    Area,
    CommandAccepted,
    CommitmentKind,
    Day,
    FeeStatus,
    Input,
    Moment,
    Name,
    Phone,
    ProjectStage,
    Proof,
    Sha256Hex,
)


class ProjectCreate(Input):
    """Register a project, or update it (same project code) — from the approval system."""

    project_code: ProjectCode
    name: Name
    builder_uscc: Uscc
    builder_name: Name
    contact_person: Name | None = None
    contact_phone: Phone | None = None
    district: District
    required_shelter_area: Area
    built_shelter_area: Area
    stage: ProjectStage = "approval"


class RegisteredProject(BaseModel):
    """A project as registered, in full: for the approval system, the office and its enterprise."""

    project_code: str
    project_key: str  # keccak256(project_code), 0x-hex: how the chain names it
    name: str
    builder_uscc: str
    builder_name: str
    district: str
    district_name: str
    required_shelter_area: int
    built_shelter_area: int
    shortfall_area: int
    stage: ProjectStage
    created_at: datetime
    updated_at: datetime


class CommitmentCreate(Input):
    commitment_number: Reference
    project_code: ProjectCode
    enterprise_uscc: Uscc
    kind: CommitmentKind
    due_date: Day  # due at the end of this day, Asia/Shanghai; at least a day after signing
    terms_sha256: Sha256Hex
    signed_at: Moment | None = None  # when the enterprise signed; now when omitted


class CommitmentBatch(Input):
    items: Annotated[list[CommitmentCreate], Field(min_length=1, max_length=MAX_BATCH)]


class AcceptanceReport(Input):
    """Joint acceptance (联合验收) with the surveyed shelter area (联合测绘)."""

    project_code: ProjectCode
    passed: StrictBool
    surveyed_shelter_area: Area
    report_sha256: Sha256Hex
    accepted_at: Moment | None = None  # when the joint acceptance passed; now when omitted


class AcceptanceAccepted(BaseModel):
    report_id: str
    commands: list[CommandAccepted]  # fulfil shelter_build, and the 补缴 / 核减 adjustment if any
    delta_fen: int  # + supplementary charge, − reduction, 0 when the area matches


class ClearanceReason(BaseModel):
    code: str  # fee_unassessed, fee_outstanding, commitment_overdue, commitment_breached, ...
    detail: str
    reference: str | None = None  # commitment number or project code
    proof: Proof | None = None


class Clearance(BaseModel):
    project_code: str
    clear: bool
    fee_status: FeeStatus
    due_fen: int
    paid_fen: int
    open_commitments: list[str]
    overdue_commitments: list[str]
    reasons: list[ClearanceReason]  # why not clear; empty when clear
    proof: Proof | None = None  # of the fee account's latest event
