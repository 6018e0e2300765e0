"""Idempotency-Key on system-client POSTs: replayed responses, 409 in flight, 422 for another body,
decided by a row in PostgreSQL so two API processes agree."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from ledger.access import store
from ledger.db.write_model import PaymentConfirmation
from tests.api.conftest import open_levy, payment_for

PAYMENTS = "/v1/tax/payments"


def confirmations_of(api, voucher: str) -> int:
    with api.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(PaymentConfirmation).where(PaymentConfirmation.voucher_number == voucher)
        ).scalar_one()


def test_the_same_confirmation_twice_records_one_payment_and_replays_the_first_response(api):
    payment = payment_for(open_levy(api))
    tax = api.client()
    first = tax.request("POST", PAYMENTS, json=payment, idempotency_key="pay-twice-" + payment["voucher_number"])
    second = tax.request("POST", PAYMENTS, json=payment, idempotency_key="pay-twice-" + payment["voucher_number"])
    assert first.status_code == second.status_code == 202, first.text
    assert first.content == second.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"] == first.json()["status_url"]
    assert confirmations_of(api, payment["voucher_number"]) == 1


def test_ten_concurrent_identical_confirmations_on_two_processes_record_exactly_one_payment(api):
    payment = payment_for(open_levy(api))
    key = f"pay-concurrent-{uuid.uuid4()}"
    clients = [api.client(server=i % 2) for i in range(10)]
    barrier = threading.Barrier(10)

    def send(client):
        barrier.wait()
        return client.request("POST", PAYMENTS, json=payment, idempotency_key=key)

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(send, clients))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {202, 409}, statuses
    accepted = [r.content for r in responses if r.status_code == 202]
    assert accepted and len(set(accepted)) == 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["type"] == "/problems/idempotency-key-in-flight" and r.headers["Retry-After"] == "1"
    # After the first finished, every retry is the identical replay.
    again = api.client(server=1).request("POST", PAYMENTS, json=payment, idempotency_key=key)
    assert again.status_code == 202 and again.content == accepted[0]
    assert confirmations_of(api, payment["voucher_number"]) == 1


def test_a_duplicate_while_the_first_is_in_flight_gets_409_and_the_first_completes(api):
    payment = payment_for(open_levy(api))
    key = f"pay-in-flight-{uuid.uuid4()}"
    tax = api.client()
    # Hold the confirmations table, so the first request waits inside its transaction after claiming the key.
    blocker = api.engine.connect()
    blocker.begin()
    blocker.execute(text("LOCK TABLE payment_confirmations IN ACCESS EXCLUSIVE MODE"))
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(tax.request, "POST", PAYMENTS, json=payment, idempotency_key=key)
        try:
            with api.engine.connect() as conn:  # wait (by polling the claim row, not by sleeping a fixed time)
                for _ in range(600):
                    row = conn.execute(select(store.idem_t.c.state).where(store.idem_t.c.key == key)).first()
                    conn.rollback()
                    if row:
                        break
                    threading.Event().wait(0.05)
            assert row and row.state == "in_flight"
            duplicate = api.client(server=1).request("POST", PAYMENTS, json=payment, idempotency_key=key)
        finally:
            blocker.rollback()
            blocker.close()
        assert duplicate.status_code == 409, duplicate.text
        assert duplicate.headers["content-type"] == "application/problem+json"
        assert duplicate.json()["field"] == "Idempotency-Key"
        assert first.result().status_code == 202
    assert confirmations_of(api, payment["voucher_number"]) == 1


def test_the_same_key_with_another_body_is_refused_with_422(api):
    levy = open_levy(api)
    payment = payment_for(levy)
    key = f"pay-other-body-{uuid.uuid4()}"
    tax = api.client()
    assert tax.request("POST", PAYMENTS, json=payment, idempotency_key=key).status_code == 202
    other = payment_for(levy)
    before = api.counts()
    response = tax.request("POST", PAYMENTS, json=other, idempotency_key=key)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert response.json()["field"] == "Idempotency-Key"
    assert api.counts() == before | {"api_nonces": before["api_nonces"] + 1}
    assert confirmations_of(api, other["voucher_number"]) == 0


def test_the_same_voucher_under_a_new_key_is_refused_naming_the_voucher(api):
    payment = payment_for(open_levy(api))
    tax = api.client()
    assert tax.request("POST", PAYMENTS, json=payment).status_code == 202
    response = tax.request("POST", PAYMENTS, json=payment, idempotency_key=f"another-{uuid.uuid4()}")
    assert response.status_code == 409, response.text
    assert response.json()["field"] == "voucher_number"
    assert payment["voucher_number"] in response.json()["detail"]
    assert confirmations_of(api, payment["voucher_number"]) == 1


def test_a_post_without_an_idempotency_key_is_refused(api):
    payment = payment_for(open_levy(api))
    before = api.counts()
    response = api.client().request("POST", PAYMENTS, json=payment, headers={"Idempotency-Key": ""})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/idempotency-key-missing"
    assert api.counts() == before  # refused before the nonce was stored: nothing written


def test_a_key_longer_than_255_characters_is_refused(api):
    payment = payment_for(open_levy(api))
    response = api.client().request("POST", PAYMENTS, json=payment, idempotency_key="k" * 256)
    assert response.status_code == 422 and response.json()["field"] == "Idempotency-Key"
    assert confirmations_of(api, payment["voucher_number"]) == 0
    assert api.client().request("POST", PAYMENTS, json=payment, idempotency_key="k" * 255).status_code == 202


def test_a_request_refused_by_validation_does_not_use_up_its_key(api):
    levy = open_levy(api)
    key = f"pay-fix-{uuid.uuid4()}"
    tax = api.client()
    bad = payment_for(levy, amount_fen=-1)
    assert tax.request("POST", PAYMENTS, json=bad, idempotency_key=key).status_code == 422
    good = payment_for(levy)
    assert tax.request("POST", PAYMENTS, json=good, idempotency_key=key).status_code == 202


def test_a_stored_response_is_replayed_for_24_hours_and_the_key_is_free_after_retention(api):
    now = 1_800_000_000.0
    hours = 3600.0
    with api.engine.begin() as conn:
        claim = lambda at, fp="a": store.claim_key(
            conn,
            client_id="tax-bureau",
            key="retention-test",
            fingerprint=fp,
            now=at,
            lock_seconds=60,
            retention_seconds=24 * hours,
        )
        assert claim(now).outcome == "claimed"
        store.complete_key(
            conn,
            client_id="tax-bureau",
            key="retention-test",
            status_code=202,
            content_type="application/json",
            location=None,
            body=b"{}",
            now=now,
        )
        assert claim(now + 23.9 * hours).outcome == "replay"
        assert claim(now + 23.9 * hours, "b").outcome == "mismatch"
        assert claim(now + 24.1 * hours, "b").outcome == "claimed"


def test_an_abandoned_in_flight_claim_is_taken_over_after_its_lock_expires(api):
    now = 1_800_000_000.0
    with api.engine.begin() as conn:
        claim = lambda at: store.claim_key(
            conn,
            client_id="tax-bureau",
            key="abandoned-test",
            fingerprint="a",
            now=at,
            lock_seconds=60,
            retention_seconds=86400,
        )
        assert claim(now).outcome == "claimed"
        assert claim(now + 59).outcome == "in_flight"
        assert claim(now + 61).outcome == "claimed"
        assert claim(now + 62).outcome == "in_flight"
