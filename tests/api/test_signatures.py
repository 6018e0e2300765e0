"""Signed requests (DESIGN.md §6): each forgery is refused with a problem naming the header,
and nothing is written — no project, no nonce, no idempotency record. Under both crypto profiles:
Ed25519 (standard) and SM2 with SM3 (gm)."""

import http.client
import time

import pytest
import requests

from ledger.access import store
from ledger.access.registry import add_key, retire_key
from ledger.access.signing import key_id, new_nonce, public_key_pem, raw_public_key, sign_request
from ledger.core.crypto_profile import GM, PROFILE_NAMES, PROFILES, STANDARD
from devtools.sdk import encode_body
from tests.api.conftest import project_body, project_code

PATH = "/v1/approval/projects"


@pytest.fixture(scope="module", params=PROFILE_NAMES)
def api_crypto_profile(request):
    return PROFILES[request.param]


def signed_post(
    api,
    body: bytes,
    *,
    key=None,
    client_id="approval-bureau",
    timestamp=None,
    nonce=None,
    drop=None,
    send_body: bytes | None = None,
):
    headers = sign_request(
        key or api.keys[client_id],
        client_id=client_id,
        method="POST",
        target=PATH,
        body=body,
        timestamp=timestamp,
        nonce=nonce,
    ).as_dict()
    headers.update({"Content-Type": "application/json", "Idempotency-Key": new_nonce()})
    if drop:
        headers.pop(drop)
    return requests.post(api.url + PATH, data=send_body if send_body is not None else body, headers=headers, timeout=30)


def assert_refused(api, response, before, status, field, rule):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["field"], problem["rule"]) == (field, rule), problem
    assert api.counts() == before


def test_a_correctly_signed_request_is_accepted(api):
    response = signed_post(api, encode_body(project_body(project_code())))
    assert response.status_code == 200, response.text


def test_a_tampered_body_byte_is_refused_and_nothing_is_written(api):
    body = encode_body(project_body(project_code()))
    before = api.counts()
    tampered = body.replace(b"520000", b"520001")
    assert tampered != body
    assert_refused(api, signed_post(api, body, send_body=tampered), before, 401, "X-Signature", "verifies")


def test_a_signature_by_an_unregistered_key_is_refused(api):
    before = api.counts()
    response = signed_post(api, encode_body(project_body(project_code())), key=api.profile.signatures.generate())
    assert_refused(api, response, before, 401, "X-Signature", "verifies")


def test_an_unknown_client_is_refused(api):
    before = api.counts()
    stranger = api.profile.signatures.generate()
    response = signed_post(api, encode_body(project_body(project_code())), key=stranger, client_id="stranger")
    assert_refused(api, response, before, 401, "X-Client-Id", "registered")


@pytest.mark.parametrize("header", ["X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature"])
def test_a_missing_signature_header_is_refused(api, header):
    before = api.counts()
    response = signed_post(api, encode_body(project_body(project_code())), drop=header)
    assert_refused(api, response, before, 401, header, "required")


@pytest.mark.parametrize("offset", [301, -301])
def test_a_timestamp_301_seconds_off_is_refused(api, offset):
    before = api.counts()
    response = signed_post(api, encode_body(project_body(project_code())), timestamp=int(time.time()) + offset)
    assert_refused(api, response, before, 401, "X-Timestamp", "within_window")


@pytest.mark.parametrize("offset", [299, -299])
def test_a_timestamp_299_seconds_off_is_accepted(api, offset):
    # The clock may tick between signing and checking; 298 keeps a second of margin on the "299" side.
    response = signed_post(
        api, encode_body(project_body(project_code())), timestamp=int(time.time()) + offset - (1 if offset > 0 else -1)
    )
    assert response.status_code == 200, response.text


def test_a_replayed_nonce_is_refused_and_nothing_is_written(api):
    body = encode_body(project_body(project_code()))
    nonce = new_nonce()
    assert signed_post(api, body, nonce=nonce).status_code == 200
    before = api.counts()
    replay = signed_post(api, encode_body(project_body(project_code())), nonce=nonce)
    assert_refused(api, replay, before, 401, "X-Nonce", "unused")


def test_a_replayed_nonce_is_refused_by_the_other_api_process_too(api):
    nonce = new_nonce()
    first = signed_post(api, encode_body(project_body(project_code())), nonce=nonce)
    assert first.status_code == 200
    body = encode_body(project_body(project_code()))
    headers = sign_request(
        api.keys["approval-bureau"], client_id="approval-bureau", method="POST", target=PATH, body=body, nonce=nonce
    ).as_dict() | {"Content-Type": "application/json", "Idempotency-Key": new_nonce()}
    response = requests.post(api.urls[1] + PATH, data=body, headers=headers, timeout=30)
    assert response.status_code == 401 and response.json()["field"] == "X-Nonce"


def test_both_keys_are_accepted_during_rotation_and_a_retired_key_is_not(api):
    old = api.keys["approval-bureau"]
    new = api.profile.signatures.generate()
    add_key(api.engine, name="approval-bureau", public_key_text=public_key_pem(new.public_key()), profile=api.profile)
    try:
        assert signed_post(api, encode_body(project_body(project_code())), key=old).status_code == 200
        assert signed_post(api, encode_body(project_body(project_code())), key=new).status_code == 200
    finally:
        retire_key(api.engine, name="approval-bureau", key_id=key_id(new.public_key()))
    before = api.counts()
    response = signed_post(api, encode_body(project_body(project_code())), key=new)
    assert_refused(api, response, before, 401, "X-Signature", "verifies")


def test_a_key_of_the_other_profile_left_in_the_registry_is_not_accepted(api):
    """A key registered before the profile was switched (put in directly: `clients add-key` refuses it)."""
    other = (GM if api.profile is STANDARD else STANDARD).signatures.generate()
    with api.engine.begin() as conn:
        store.insert_key(
            conn,
            client_id="approval-bureau",
            key_id="other-profile",
            public_key=raw_public_key(other.public_key()),
            now=0,
        )
    try:
        before = api.counts()
        response = signed_post(api, encode_body(project_body(project_code())), key=other)
        assert_refused(api, response, before, 401, "X-Signature", "verifies")
        assert f"any active {api.profile.signatures.name} key" in response.json()["detail"]
        assert f"hex({api.profile.digest_name}(body))" in response.json()["detail"]
    finally:
        retire_key(api.engine, name="approval-bureau", key_id="other-profile")


def test_a_client_may_call_only_its_own_routes(api):
    before = api.counts()
    tax = api.client("tax-bureau")
    response = tax.request("POST", PATH, json=project_body(project_code()))
    assert_refused(api, response, before, 403, "X-Client-Id", "role")


def test_the_query_string_is_signed(api):
    tax = api.client("tax-bureau")
    body = b""
    headers = sign_request(
        api.keys["tax-bureau"], client_id="tax-bureau", method="GET", target="/v1/tax/levies?limit=5", body=body
    ).as_dict()
    assert requests.get(api.url + "/v1/tax/levies?limit=5", headers=headers, timeout=30).status_code == 200
    headers = sign_request(
        api.keys["tax-bureau"], client_id="tax-bureau", method="GET", target="/v1/tax/levies?limit=5", body=body
    ).as_dict()
    response = requests.get(api.url + "/v1/tax/levies?limit=6", headers=headers, timeout=30)
    assert response.status_code == 401 and response.json()["field"] == "X-Signature"
    assert tax.get("/v1/tax/levies", limit=5)["items"] is not None


def test_a_target_ending_in_a_bare_question_mark_is_signed_without_it(api):
    """An empty query is no query: `GET /v1/tax/levies?` is signed as `/v1/tax/levies` (docs/integrators/signing.md)."""
    host, port = api.url.removeprefix("http://").split(":")

    def get(signed_target: str) -> int:
        headers = sign_request(
            api.keys["tax-bureau"], client_id="tax-bureau", method="GET", target=signed_target, body=b""
        ).as_dict()
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", "/v1/tax/levies?", headers=headers)  # sent as is, bare "?" included
        status = connection.getresponse().status
        connection.close()
        return status

    assert get("/v1/tax/levies") == 200
    assert get("/v1/tax/levies?") == 401
