"""Projects and their builders (enterprises), registered by the approval system."""

import time

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.field_encryption import field_cipher
from ledger.core.identifiers import DISTRICTS
from ledger.core.settings import get_settings
from ledger.db.write_model import Enterprise, Project
from ledger.domain.common import enterprise_key_hex, from_unix, get_project_row, project_key_hex
from ledger.domain.rates import shortfall
from ledger.domain.schemas.approval import ProjectCreate, RegisteredProject


def register_project(session: Session, *, project: ProjectCreate, client: str) -> RegisteredProject:
    """Register a project or update it (same code). Off-chain only: projects reach the chain with
    their first assessment or commitment. The builder's name and contacts are stored encrypted."""
    now = time.time()
    _upsert_enterprise(
        session,
        uscc=project.builder_uscc,
        name=project.builder_name,
        contact_person=project.contact_person,
        contact_phone=project.contact_phone,
        now=now,
    )
    row = session.get(Project, project.project_code)
    if row is None:
        row = Project(
            project_code=project.project_code,
            project_key=project_key_hex(project.project_code),
            registered_by=client,
            created_at=now,
            name=project.name,
            builder_uscc=project.builder_uscc,
            district=project.district,
            required_shelter_area=project.required_shelter_area,
            built_shelter_area=project.built_shelter_area,
            stage=project.stage,
            updated_at=now,
        )
        session.add(row)
    else:
        row.name, row.builder_uscc, row.district = project.name, project.builder_uscc, project.district
        row.required_shelter_area, row.built_shelter_area = project.required_shelter_area, project.built_shelter_area
        row.stage, row.updated_at = project.stage, now
    session.flush()
    return _public(session, row)


def get_project(session: Session, *, project_code: str) -> RegisteredProject:
    return _public(session, get_project_row(session, project_code))


def projects_of_enterprise(session: Session, *, uscc: str) -> list[RegisteredProject]:
    rows = session.execute(
        select(Project).where(col(Project.builder_uscc) == uscc).order_by(col(Project.project_code))
    ).scalars()
    return [_public(session, row) for row in rows]


def enterprise_name(session: Session, uscc: str) -> str | None:
    enterprise = session.get(Enterprise, uscc)
    if enterprise is None:
        return None
    return field_cipher(get_settings()).decrypt(enterprise.name_token, context=f"enterprises.name:{uscc}")


def _upsert_enterprise(
    session: Session, *, uscc: str, name: str, contact_person: str | None, contact_phone: str | None, now: float
) -> None:
    cipher = field_cipher(get_settings())

    def seal(column: str, value: str) -> str:
        return cipher.encrypt(value, context=f"enterprises.{column}:{uscc}")

    enterprise = session.get(Enterprise, uscc)
    if enterprise is None:
        enterprise = Enterprise(
            uscc=uscc, enterprise_key=enterprise_key_hex(uscc), created_at=now, updated_at=now, name_token=""
        )
        session.add(enterprise)
    enterprise.name_token = seal("name", name)
    if contact_person is not None:
        enterprise.contact_person_token = seal("contact_person", contact_person)
    if contact_phone is not None:
        enterprise.contact_phone_token = seal("contact_phone", contact_phone)
    enterprise.updated_at = now
    session.flush()


def _public(session: Session, row: Project) -> RegisteredProject:
    return RegisteredProject(
        project_code=row.project_code,
        project_key=row.project_key,
        name=row.name,
        builder_uscc=row.builder_uscc,
        builder_name=enterprise_name(session, row.builder_uscc) or "",
        district=row.district,
        district_name=DISTRICTS[row.district],
        required_shelter_area=row.required_shelter_area,
        built_shelter_area=row.built_shelter_area,
        shortfall_area=shortfall(row.required_shelter_area, row.built_shelter_area),
        stage=row.stage,
        created_at=from_unix(row.created_at),
        updated_at=from_unix(row.updated_at),
    )


def recent_projects(session: Session, *, limit: int = 100) -> list[RegisteredProject]:
    """The most recently updated projects first (the office's list)."""
    rows = session.execute(
        select(Project).order_by(col(Project.updated_at).desc(), col(Project.project_code)).limit(limit)
    ).scalars()
    return [_public(session, row) for row in rows]
