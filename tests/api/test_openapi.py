"""The OpenAPI document is complete: every route has an example answer and its problems, and every
problem type appears with an example. Problems are application/problem+json everywhere."""

import requests
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from api.main import app
from api.problems import MEDIA_TYPE, PROBLEM_TYPES, TYPE_PREFIX


def operations():
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_route_has_a_success_example_and_problem_examples():
    for path, method, operation in operations():
        responses = operation["responses"]
        success = [r for status, r in responses.items() if status.startswith("2")]
        assert success, (method, path)
        if path != "/health" and "logout" not in path:  # /health: another issue's route; logout: 204
            assert any("example" in c or "examples" in c for r in success for c in r.get("content", {}).values()), (method, path)
        problems = [r for status, r in responses.items() if status[0] in "45"]
        assert problems, (method, path)
        for r in problems:
            assert set(r["content"]) == {MEDIA_TYPE}, (method, path)
            assert r["content"][MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert r["content"][MEDIA_TYPE]["examples"], (method, path)


def test_every_request_body_has_an_example():
    for path, method, operation in operations():
        if "requestBody" in operation:
            content = operation["requestBody"]["content"]["application/json"]
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
