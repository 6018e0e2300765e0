"""The OpenAPI document: problem responses carry the Problem schema under application/problem+json
(FastAPI would list it under application/json), and FastAPI's default 422 becomes our problem."""

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.openapi_links import add_links
from web.kit.problems import MEDIA_TYPE, OpenApiResponses, problem_responses

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
CHAIN_TIME = "the chain's time (`chain.head_time` in GET /health; the contracts judge fact times by block time)"
AFTER_CHAIN = f"at most 15 minutes after {CHAIN_TIME} (rule `not_after_chain_time`)"

# Input rules a JSON Schema keyword cannot carry (they depend on the chain, the clock or stored facts),
# stated on the field they govern, with the `rule` a refusal names. Identifier patterns, enums and
# bounds come from the models themselves (ledger.core.identifiers, ledger.domain.schemas).
FIELD_RULES: dict[tuple[str, str], str] = {
    ("PaymentConfirmation", "paid_at"): "When the payment was made: ISO 8601 with an offset. Not before the levy's "
    "assessment time (rule `not_before_assessment`: FeeLedger refuses paidAt before the first assessment) and "
    f"{AFTER_CHAIN}.",
    ("PaymentConfirmation", "payer_uscc"): "The levy's payer (rule `payer_of_levy`).",
    ("PaymentConfirmation", "levy_number"): "An open levy from GET /v1/tax/levies (rules `known_levy`, "
    "`open_levy`, `levy_on_chain`).",
    ("RefundCreate", "refunded_at"): "When the refund was paid out: ISO 8601 with an offset. Not before the levy's "
    f"assessment time (rule `not_before_assessment`) and {AFTER_CHAIN}.",
    ("RefundCreate", "amount_fen"): "At most what was paid and not yet refunded (rule `not_above_refundable`).",
    ("RefundCreate", "reason_code"): "Omit for an ordinary refund of the excess; else a code the chain allows "
    "(rule `allowed_on_chain`).",
    ("FeeAssessmentCreate", "due_date"): "The fee is due at the end of this day (Asia/Shanghai); 30 days after "
    f"today when omitted. After today (`future_date`), at least a day after {CHAIN_TIME} (`min_notice`) and "
    "within 3,650 days of it (`max_horizon`).",
    ("FeeAssessmentCreate", "effective_on"): "The rate table in force on this day (Asia/Shanghai) is used; today when "
    "omitted. The table must be in effect by the chain's time (rule `rate_table_in_force`).",
    ("CommitmentCreate", "due_date"): "Due at the end of this day (Asia/Shanghai): at least a day (`min_notice`) and "
    "at most 3,650 days (`max_horizon`) after signed_at.",
    ("CommitmentCreate", "signed_at"): f"When the enterprise signed; now when omitted. {AFTER_CHAIN}".replace(
        "(rule `not_after_chain_time`)", "(rule `not_in_future`)"
    ),
    ("CommitmentDecision", "decided_at"): "The fact time of a fulfilment, repair or evidence; now when omitted. Not "
    f"before the commitment was signed (`not_before_signing`) and {AFTER_CHAIN}.",
    ("CommitmentDecision", "new_due_date"): "Only to extend (`required_for_extend`, `only_for_extend`): after the "
    "current due date (`later_than_due_date`), ahead of the chain's time (`future_date`), within 3,650 days of "
    "signing (`max_horizon`); at most 3 extensions (`max_extensions`).",
    ("AcceptanceReport", "accepted_at"): "When the joint acceptance passed; now when omitted. Not before the "
    f"shelter_build commitment was signed (`not_before_signing`) and {AFTER_CHAIN}.",
    ("AdjustmentCreate", "reason_code"): "A reason of the reduction policy (rule `policy_reason`).",
    ("AdjustmentCreate", "delta_fen"): "Omit to apply the policy of reason_code; else a non-zero signed amount that "
    "keeps the amount due at or above zero (`not_below_zero`).",
}

# What answer fields mean where the name alone does not say it.
FIELD_MEANINGS: dict[tuple[str, str], str] = {
    ("Reconciliation", "day"): "The calendar day (Asia/Shanghai) of the payments' paid_at.",
    ("Reconciliation", "matched"): "Vouchers in both statements with the same amount.",
    ("Reconciliation", "missing_here"): "Vouchers in your statement we hold no confirmation of (or only one whose "
    "command failed): confirm them (POST /v1/tax/payments).",
    ("Reconciliation", "missing_there"): "Vouchers we accepted for this day (on chain or on their way) that your "
    "statement lacks.",
    ("Reconciliation", "amount_mismatches"): "Vouchers in both statements whose amounts differ: ours_fen is what "
    "we recorded, theirs_fen what your statement says.",
    ("Reconciliation", "clean"): "True when nothing is missing on either side and no amount differs.",
    ("DailyStatement", "items"): "Every confirmation accepted for the day (by paid_at, Asia/Shanghai) whose command "
    "did not fail: on chain or on its way.",
    ("LevyPage", "next_cursor"): "Pass it back as `cursor` for the next page; null when this page is the last one "
    "so far. To resume later, send the cursor that fetched this last page again (it answers this page plus "
    "any newer levies; deduplicate by levy_number).",
}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            webhooks=app.webhooks.routes,
        )
        _restore_nulls_in_examples(app, schema)
        validation = problem_responses("validation-failed")[422]
        for route, path in schema["paths"].items():
            for method, operation in path.items():
                responses = operation.setdefault("responses", {})
                extra = ["method-not-allowed", "internal-error", "database-unavailable"]
                if method == "post" and route.startswith("/v1/") and not route.startswith("/v1/auth/"):
                    extra.append("domain-error")  # any other refusal a domain service may raise
                if "requestBody" in operation:
                    extra.append("malformed-request")  # a body that is not JSON, on every route that reads one
                _merge(responses, problem_responses(*extra))
                for status, response in list(responses.items()):
                    content = response.get("content", {})
                    if status == "422" and MEDIA_TYPE not in content:
                        responses[status] = response = {
                            "description": validation["description"],
                            "content": {MEDIA_TYPE: dict(validation["content"][MEDIA_TYPE])},
                        }
                        content = response["content"]
                    if MEDIA_TYPE in content:
                        content.pop("application/json", None)
                        content[MEDIA_TYPE]["schema"] = PROBLEM_REF
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        for (model, field), rule in (FIELD_RULES | FIELD_MEANINGS).items():
            prop = schemas[model]["properties"][field]
            prop["description"] = " ".join(filter(None, (rule, prop.get("description"))))
        add_links(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace the document


def _restore_nulls_in_examples(app: FastAPI, schema: dict) -> None:
    """FastAPI writes the document with exclude_none, which also drops the null fields of our answer
    examples (`"next_cursor": null`): put the examples back as declared, so they match the schemas."""
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            for status, response in (route.responses or {}).items() if operation else ():
                example = response.get("content", {}).get("application/json", {}).get("example")
                documented = operation["responses"].get(str(status), {}).get("content", {}).get("application/json")
                if example is not None and documented is not None:
                    documented["example"] = jsonable_encoder(example)


def _merge(responses: dict, extra: OpenApiResponses) -> None:
    """Add problem examples to an operation's responses, keeping those it declares."""
    for status, response in extra.items():
        examples = response["content"][MEDIA_TYPE]["examples"]
        existing = responses.get(str(status))
        if existing is None:
            responses[str(status)] = {
                "description": response["description"],
                "content": {MEDIA_TYPE: {"examples": dict(examples)}},
            }
        elif MEDIA_TYPE in existing.get("content", {}):
            existing["content"][MEDIA_TYPE].setdefault("examples", {}).update(
                {k: v for k, v in examples.items() if k not in existing["content"][MEDIA_TYPE]["examples"]}
            )
