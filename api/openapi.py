"""The OpenAPI document: problem responses carry the Problem schema under application/problem+json
(FastAPI would list it under application/json), and FastAPI's default 422 becomes our problem."""

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import MEDIA_TYPE, problem_responses

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                             routes=app.routes, tags=app.openapi_tags, webhooks=app.webhooks.routes)
        validation = problem_responses("validation-failed")[422]
        for route, path in schema["paths"].items():
            for method, operation in path.items():
                responses = operation.setdefault("responses", {})
                extra = ["method-not-allowed", "internal-error"]
                if method == "post" and route.startswith("/v1/") and not route.startswith("/v1/auth/"):
                    extra.append("domain-error")  # any other refusal a domain service may raise
                _merge(responses, problem_responses(*extra))
                for status, response in list(responses.items()):
                    content = response.get("content", {})
                    if status == "422" and MEDIA_TYPE not in content:
                        responses[status] = response = {"description": validation["description"],
                                                        "content": {MEDIA_TYPE: dict(validation["content"][MEDIA_TYPE])}}
                        content = response["content"]
                    if MEDIA_TYPE in content:
                        content.pop("application/json", None)
                        content[MEDIA_TYPE]["schema"] = PROBLEM_REF
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def _merge(responses: dict, extra: dict[int, dict]) -> None:
    """Add problem examples to an operation's responses, keeping those it declares."""
    for status, response in extra.items():
        examples = response["content"][MEDIA_TYPE]["examples"]
        existing = responses.get(str(status))
        if existing is None:
            responses[str(status)] = {"description": response["description"],
                                      "content": {MEDIA_TYPE: {"examples": dict(examples)}}}
        elif MEDIA_TYPE in existing.get("content", {}):
            existing["content"][MEDIA_TYPE].setdefault("examples", {}).update(
                {k: v for k, v in examples.items() if k not in existing["content"][MEDIA_TYPE]["examples"]})
