"""The OpenAPI document is complete: every route has an example answer and its problems, and every
problem type appears with an example. Problems are application/problem+json everywhere."""

import ast
import json
import re
from pathlib import Path
from typing import get_args

import requests
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter
from pydantic_core.core_schema import ErrorType

from ledger.core.identifiers import DISTRICTS, LEVY_NUMBER_PATTERN
from web.app import create_app
from web.kit.problems import MEDIA_TYPE, PROBLEM_TYPES, TYPE_PREFIX

app = create_app()  # routes and OpenAPI document read in this process


def operations():
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_route_has_a_success_example_and_problem_examples():
    for path, method, operation in operations():
        responses = operation["responses"]
        success = [r for status, r in responses.items() if status.startswith("2")]
        assert success, (method, path)
        if path != "/health" and "logout" not in path and method != "delete":  # logout, delete: 204, no body
            assert any("example" in c or "examples" in c for r in success for c in r.get("content", {}).values()), (
                method,
                path,
            )
        problems = [r for status, r in responses.items() if status[0] in "45"]
        assert problems, (method, path)
        for r in problems:
            assert set(r["content"]) == {MEDIA_TYPE}, (method, path)
            assert r["content"][MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert r["content"][MEDIA_TYPE]["examples"], (method, path)


def test_every_request_body_has_an_example():
    for path, method, operation in operations():
        if "requestBody" in operation:
            (content,) = operation["requestBody"]["content"].values()  # JSON, or an upload's multipart form
            assert content.get("examples") or content.get("example"), (method, path)


def test_every_request_and_answer_example_is_valid_for_its_model():
    """Examples follow the schemas the routes really take and return (they moved with contracts v2)."""
    checked = 0
    for route in (r for r in app.routes if isinstance(r, APIRoute)):
        for param in route.dependant.body_params:
            for example in (param.field_info.openapi_examples or {}).values():
                TypeAdapter(param.field_info.annotation).validate_python(example["value"])
                checked += 1
        for status, response in route.responses.items():
            example = response.get("content", {}).get("application/json", {}).get("example")
            if str(status).startswith("2") and example is not None and route.response_model is not None:
                TypeAdapter(route.response_model).validate_python(example)
                checked += 1
    assert checked >= 20


def test_every_problem_type_has_an_example_somewhere():
    seen = set()
    for _path, _method, operation in operations():
        for response in operation["responses"].values():
            seen |= set(response.get("content", {}).get(MEDIA_TYPE, {}).get("examples", {}))
    assert seen == set(PROBLEM_TYPES)


def test_the_docs_and_problem_type_pages_are_served(api):
    assert requests.get(api.url + "/docs", timeout=30).status_code == 200
    assert requests.get(api.url + "/openapi.json", timeout=30).json()["paths"]
    for slug, kind in PROBLEM_TYPES.items():
        page = requests.get(api.url + TYPE_PREFIX + slug, timeout=30).json()
        assert page["status"] == kind.status and page["type"] == TYPE_PREFIX + slug


def test_an_unknown_route_and_a_wrong_method_are_problems(api):
    missing = requests.get(api.url + "/v1/nowhere", timeout=30)
    assert missing.status_code == 404 and missing.headers["content-type"] == MEDIA_TYPE
    wrong = requests.delete(api.url + "/v1/auth/login", timeout=30)
    assert wrong.status_code == 405 and wrong.json()["type"] == "/problems/method-not-allowed"


def test_the_webhook_public_key_is_published(api):
    key = requests.get(api.url + "/v1/public/keys/webhook", timeout=30).json()
    assert key["algorithm"] == "Ed25519" and key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


# --- input rules in the schema: identifier patterns, and examples that are real values ------------

IDENTIFIER_FIELDS = {
    "project_code",
    "builder_uscc",
    "enterprise_uscc",
    "payer_uscc",
    "uscc",
    "voucher_number",
    "levy_number",
    "refund_reference",
    "commitment_number",
    "reason_code",
    "district",
    "command_id",
    "enterprise",
}


def resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def request_schemas(document: dict):
    """(name, schema) of every schema a request body reaches, found by following the document from each
    operation's requestBody through $ref, properties, items and anyOf/allOf/oneOf."""
    seen, todo = set(), []
    for _, _, operation in operations():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            todo.append(media["schema"])
    while todo:
        schema = todo.pop()
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                todo.append(resolve(document, schema))
                yield name, resolve(document, schema)
            continue
        todo += list(schema.get("properties", {}).values()) + [schema[k] for k in ("items",) if k in schema]
        todo += [s for k in ("anyOf", "allOf", "oneOf") for s in schema.get(k, [])]


def identifier_schemas(document: dict):
    """(where, name, schema) of every identifier field a client sends: parameters and request-body properties."""
    for path, method, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["name"] in IDENTIFIER_FIELDS:
                yield f"{method} {path} {parameter['in']}", parameter["name"], parameter["schema"]
    for name, schema in request_schemas(document):
        for field, prop in schema.get("properties", {}).items():
            if field in IDENTIFIER_FIELDS:
                yield name, field, next((s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"), prop)


def test_every_identifier_field_a_client_sends_carries_its_pattern_and_a_real_example():
    document = app.openapi()
    seen = set()
    for where, field, schema in identifier_schemas(document):
        assert schema.get("pattern") or schema.get("enum"), (where, field)
        for example in schema.get("examples", []):
            assert re.search(schema["pattern"], example) if "pattern" in schema else example in schema["enum"], (
                where,
                field,
                example,
            )
        seen.add(field)
    assert seen >= IDENTIFIER_FIELDS - {"uscc"}


def test_request_schemas_are_found_by_walking_the_document():
    names = {name for name, _ in request_schemas(app.openapi())}
    assert {"PaymentConfirmation", "PaymentBatch", "CommitmentCreate", "WebhookRegistration"} <= names
    assert not names & {"CommandAcceptedPublic", "PaymentBatchResultPublic", "Clearance", "Problem"}


def test_the_input_rules_that_depend_on_the_chain_are_stated_on_their_fields():
    schemas = app.openapi()["components"]["schemas"]
    paid_at = schemas["PaymentConfirmation"]["properties"]["paid_at"]["description"]
    assert "not_before_assessment" in paid_at and "15 minutes after the chain's time" in paid_at
    assert "GET /health" in paid_at
    assert "max_horizon" in schemas["FeeAssessmentCreate"]["properties"]["due_date"]["description"]
    assert "min_notice" in json.dumps(schemas["CommitmentCreate"]["properties"]["due_date"])
    assert set(schemas["ProjectCreate"]["properties"]["district"]["enum"]) == set(DISTRICTS)
    assert "check character" in schemas["ProjectCreate"]["properties"]["builder_uscc"]["description"]


def examples_in(document: dict):
    """(where, schema, example) for every request and answer example of the document."""
    for path, method, operation in operations():
        bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
        bodies += [(status, r.get("content", {})) for status, r in operation["responses"].items()]
        for kind, content in bodies:
            for media in content.values():
                schema = media.get("schema")
                values = [media["example"]] if "example" in media else []
                values += [e["value"] for e in media.get("examples", {}).values()]
                for value in values if schema else []:
                    yield f"{method} {path} {kind}", schema, value


def test_every_example_validates_against_the_documents_own_schema():
    document = app.openapi()
    checked = 0
    for where, schema, example in examples_in(document):
        validator = Draft202012Validator(
            {**schema, "components": document["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = [e.message for e in validator.iter_errors(example)]
        assert not errors, (where, errors[:3])
        checked += 1
    assert checked >= 60


def test_the_notices_we_send_are_documented_with_their_version():
    document = app.openapi()
    assert set(document["webhooks"]) == {
        "payment.recorded",
        "clearance.changed",
        "commitment.overdue",
        "commitment.breached",
        "commitment.repaired",
        "commitment.due_soon",
        "commitment.inspected",
    }
    for name in ("CommandNotice", "ClearanceChangedNotice", "DueSoonNotice"):
        assert document["components"]["schemas"][name]["properties"]["version"]["const"] == 1


def values(node, key):
    """Every string value under `key`, at any depth."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            yield from values(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from values(item, key)


def test_example_levy_numbers_and_command_ids_are_ones_the_api_issues():
    """Answers too: a levy number as fees.assess_fee makes it, a command id as the outbox does (32 hex);
    a status URL ends with a command's id, or a held reduction's approval id (four-eyes)."""
    examples = [example for _, _, example in examples_in(app.openapi())]
    levies, commands = list(values(examples, "levy_number")), list(values(examples, "command_id"))
    assert levies and commands
    assert all(re.fullmatch(LEVY_NUMBER_PATTERN, levy) for levy in levies), levies
    assert all(re.fullmatch(r"[0-9a-f]{32}", command) for command in commands), commands
    approvals = list(values(examples, "approval_id"))
    assert all(re.fullmatch(r"[0-9a-f]{32}", approval) for approval in approvals), approvals
    assert all(url.endswith(tuple(commands + approvals)) for url in values(examples, "status_url"))


def rules_the_code_emits() -> set[str]:
    """Every rule name the source can put in a problem: a `rule=` argument, a `rule` parameter passed by
    position to a function of the same module, a "rule" key of a body built by hand (outside the
    examples), and pydantic's own error types."""
    rules = set(get_args(ErrorType))
    for path in [*Path("api").rglob("*.py"), *Path("web").rglob("*.py"), *Path("ledger").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        examples = path.parts[:2] == ("api", "routes") or path == Path("api/examples.py")
        position = {
            f.name: [a.arg for a in f.args.args].index("rule")
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef) and "rule" in [a.arg for a in f.args.args]
        }
        for node in ast.walk(tree):
            found = []
            if isinstance(node, ast.keyword) and node.arg == "rule":
                found = [node.value]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in position:
                found = node.args[position[node.func.id] : position[node.func.id] + 1]
            elif isinstance(node, ast.Dict) and not examples:
                found = [v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value == "rule"]
            rules |= {v.value for v in found if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return rules


def test_every_rule_an_example_shows_is_one_the_code_emits():
    emitted = rules_the_code_emits()
    assert {"unique_forever", "uscc", "within_window", "max_bytes"} <= emitted  # the scan finds each way
    shown = set(values([example for _, _, example in examples_in(app.openapi())], "rule"))
    shown |= {kind.example_rule for kind in PROBLEM_TYPES.values() if kind.example_rule}
    assert shown - emitted == set()


def test_every_route_that_reads_a_body_documents_the_400_for_a_body_that_is_not_json():
    for path, method, operation in operations():
        if "requestBody" in operation:
            examples = operation["responses"]["400"]["content"][MEDIA_TYPE]["examples"]
            assert "malformed-request" in examples, (method, path)


def test_an_unknown_problem_type_is_a_documented_404():
    responses = app.openapi()["paths"]["/problems/{slug}"]["get"]["responses"]
    assert "not-found" in responses["404"]["content"][MEDIA_TYPE]["examples"]


def test_each_link_names_an_operation_and_fills_each_of_its_path_parameters_from_a_field_the_answer_or_request_has():
    paths = app.openapi()["paths"]
    operation_ids = {op["operationId"]: (path, op) for path, item in paths.items() for op in item.values()}
    links = [
        (path, method, status, link)
        for path, method, operation in operations()
        for status, response in operation["responses"].items()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 20
    for path, method, status, link in links:
        target_path, target = operation_ids[link["operationId"]]
        wanted = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == wanted, (method, path, target_path)
        source = paths[path][method]
        for expression in link["parameters"].values():
            where, pointer = re.fullmatch(r"\$(response|request)\.body#(/.+)", expression).groups()
            schema = (
                source["responses"][status]["content"]["application/json"]["schema"]
                if where == "response"
                else source["requestBody"]["content"]["application/json"]["schema"]
            )
            assert _has_pointer(app.openapi(), schema, pointer.strip("/").split("/")), (method, path, expression)


def _has_pointer(document: dict, schema: dict, steps: list[str]) -> bool:
    """Whether `schema` (refs resolved in `document`) can hold a value at the JSON pointer `steps`."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if not steps:
        return True
    step, rest = steps[0], steps[1:]
    if "anyOf" in schema:
        return any(_has_pointer(document, option, steps) for option in schema["anyOf"])
    if step.isdigit():
        return "items" in schema and _has_pointer(document, schema["items"], rest)
    return step in schema.get("properties", {}) and _has_pointer(document, schema["properties"][step], rest)


def test_every_accepted_answer_links_to_its_commands_status():
    paths = app.openapi()["paths"]
    status_operations = {
        op["operationId"]
        for path, item in paths.items()
        if path.endswith("/commands/{command_id}")
        for op in item.values()
    }
    unlinked = [
        (method, path)
        for path, method, operation in operations()
        if "202" in operation["responses"]
        and not status_operations
        & {link["operationId"] for link in operation["responses"]["202"].get("links", {}).values()}
    ]
    assert status_operations and unlinked == []
