"""The OpenAPI links between routes: from an answer to the next call a client naturally makes with it
(a 202's command → its status; a created object → its GET; a committed draw → its reveal). They tell
an integrator where to go next and drive Schemathesis's stateful run (tests/api/test_fuzzing.py).

Each link is keyed by the answering operation (method, path, status) and names its target (method,
path) and where each of the target's parameters comes from: a runtime expression over the answer
(`$response.body#/…`) or the request that got it (`$request.body#/…`)."""

from typing import NamedTuple


class Link(NamedTuple):
    method: str
    path: str
    parameters: dict[str, str]
    description: str


COMMAND_ID = "$response.body#/command_id"
SYSTEM_STATUS = Link("get", "/v1/commands/{command_id}", {"command_id": COMMAND_ID}, "Follow the command to `indexed`")
OFFICE_STATUS = SYSTEM_STATUS._replace(path="/v1/office/commands/{command_id}")


def _first(status: Link, pointer: str) -> Link:
    """`status` for the first command of an answer holding several (at `pointer`)."""
    return status._replace(parameters={"command_id": f"$response.body#{pointer}/0/command_id"})


LINKS: dict[tuple[str, str, str], dict[str, Link]] = {
    # the tax system
    ("post", "/v1/tax/payments", "202"): {
        "CommandStatus": SYSTEM_STATUS,
        "Receipt": Link(
            "get",
            "/v1/public/receipts/{voucher_number}",
            {"voucher_number": "$request.body#/voucher_number"},
            "Anyone checks the receipt by its voucher number",
        ),
    },
    ("post", "/v1/tax/payments/batch", "202"): {"FirstItemStatus": _first(SYSTEM_STATUS, "/items")},
    ("post", "/v1/tax/refunds", "202"): {"CommandStatus": SYSTEM_STATUS},
    # the approval system
    ("post", "/v1/approval/projects", "200"): {
        "Project": Link(
            "get",
            "/v1/approval/projects/{project_code}",
            {"project_code": "$response.body#/project_code"},
            "The project as registered",
        ),
        "Clearance": Link(
            "get",
            "/v1/approval/projects/{project_code}/clearance",
            {"project_code": "$response.body#/project_code"},
            "Whether the project is clear",
        ),
        "PublicProject": Link(
            "get",
            "/v1/public/projects/{project_code}",
            {"project_code": "$response.body#/project_code"},
            "What the public sees of the project",
        ),
    },
    ("post", "/v1/approval/commitments", "202"): {
        "CommandStatus": _first(SYSTEM_STATUS, ""),
        "OfficeDecision": Link(
            "post",
            "/v1/office/commitments/{commitment_number}/decisions",
            {"commitment_number": "$request.body#/commitment_number"},
            "The office decides on the commitment",
        ),
    },
    ("post", "/v1/approval/commitments/batch", "202"): {"FirstCommandStatus": _first(SYSTEM_STATUS, "")},
    ("post", "/v1/approval/acceptance", "202"): {
        "FirstCommandStatus": _first(SYSTEM_STATUS, "/commands"),
        "Clearance": Link(
            "get",
            "/v1/approval/projects/{project_code}/clearance",
            {"project_code": "$request.body#/project_code"},
            "Whether the accepted project is clear",
        ),
    },
    # the office
    ("post", "/v1/office/assessments", "202"): {
        "CommandStatus": OFFICE_STATUS,
        "Project": Link(
            "get",
            "/v1/office/projects/{project_code}",
            {"project_code": "$request.body#/project_code"},
            "The assessed project",
        ),
    },
    ("post", "/v1/office/adjustments", "202"): {"CommandStatus": OFFICE_STATUS},
    ("post", "/v1/office/commitments/{commitment_number}/decisions", "202"): {"CommandStatus": OFFICE_STATUS},
    ("post", "/v1/office/draws", "202"): {
        "CommandStatus": OFFICE_STATUS,
        "Reveal": Link(
            "post",
            "/v1/office/draws/{draw_number}/reveal",
            {"draw_number": "$request.body#/draw_number"},
            "Reveal the draw once its reveal block is mined",
        ),
        "PublicDraw": Link(
            "get", "/v1/public/inspections/{draw}", {"draw": "$response.body#/draw"}, "The draw as published"
        ),
    },
    ("post", "/v1/office/draws/{draw_number}/reveal", "202"): {"CommandStatus": OFFICE_STATUS},
    ("post", "/v1/office/draws/{draw_number}/outcomes", "202"): {"CommandStatus": OFFICE_STATUS},
    ("post", "/v1/office/draws/{draw_number}/recommit", "202"): {"CommandStatus": OFFICE_STATUS},
    # webhook endpoints
    ("post", "/v1/webhooks", "201"): {
        "Endpoint": Link(
            "get",
            "/v1/webhooks/{endpoint_id}",
            {"endpoint_id": "$response.body#/endpoint_id"},
            "The endpoint as registered",
        ),
        "Enable": Link(
            "post",
            "/v1/webhooks/{endpoint_id}/enable",
            {"endpoint_id": "$response.body#/endpoint_id"},
            "Re-enable the endpoint",
        ),
        "Remove": Link(
            "delete",
            "/v1/webhooks/{endpoint_id}",
            {"endpoint_id": "$response.body#/endpoint_id"},
            "Remove the endpoint",
        ),
    },
}


def add_links(schema: dict) -> None:
    """Write LINKS into the document's responses, each target named by its operationId."""
    paths = schema["paths"]
    for (method, path, status), links in LINKS.items():
        response = paths[path][method]["responses"][status]
        response["links"] = {
            name: {
                "operationId": paths[link.path][link.method]["operationId"],
                "parameters": link.parameters,
                "description": link.description,
            }
            for name, link in links.items()
        }
