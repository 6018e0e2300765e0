"""What the approval system already holds for a project (licences, earlier results), asked over HTTP.

Behind the `ApprovalMaterials` interface so the guide's pages take a fake in tests; the HTTP client
answers within its timeout or raises `ApprovalUnreachable` (the guide then says so and asks for
everything: a slow or absent approval system never makes the page fail). An unknown project holds
nothing on file."""

from datetime import date
from typing import Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ledger.domain.guide import MaterialOnFile


class ApprovalUnreachable(Exception):
    """The approval system did not answer, or answered something unreadable."""


class ApprovalMaterials(Protocol):
    def on_file(self, project_code: str) -> list[MaterialOnFile]: ...


class _Material(BaseModel):
    code: str
    number: str
    issued_on: date


class _Answer(BaseModel):
    project_code: str
    materials: list[_Material]


class HttpApprovalMaterials:
    def __init__(self, url_template: str, timeout_seconds: float):
        self.url_template, self.timeout = url_template, timeout_seconds

    def on_file(self, project_code: str) -> list[MaterialOnFile]:
        url = self.url_template.replace("{project}", quote(project_code, safe=""))
        try:
            response = httpx.get(url, timeout=self.timeout)
            if response.status_code == 404:
                return []
            response.raise_for_status()
            answer = _Answer.model_validate_json(response.content)
        except (httpx.HTTPError, ValidationError) as exc:
            raise ApprovalUnreachable(f"{type(exc).__name__}: {exc}") from exc
        return [MaterialOnFile(m.code, m.number, m.issued_on) for m in answer.materials]


class NoApprovalSystem:
    """No approval system configured: nothing is known to be on file."""

    def on_file(self, project_code: str) -> list[MaterialOnFile]:
        raise ApprovalUnreachable("no approval system configured (LEDGER_PORTAL_APPROVAL_MATERIALS_URL)")
