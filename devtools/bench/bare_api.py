"""The baseline of `python -m devtools bench api`: a bare FastAPI endpoint doing the same insert as a payment
confirmation (the confirmation row and its outbox command, one transaction) — no signature, no
nonce, no idempotency record, no levy lookup. `uvicorn devtools.bench.bare_api:app`."""

import time
from functools import cache

from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.orm import Session

from ledger.db.engine import make_engine
from ledger.db.write_model import PaymentConfirmation as ConfirmationRow
from ledger.domain.common import project_key_hex, reference_key_hex, unix
from ledger.domain.schemas.tax import PaymentConfirmation
from ledger.core.settings import get_settings
from ledger.outbox.commands import NewCommand, enqueue

app = FastAPI()


@cache
def _engine():
    return make_engine(get_settings().database.url)


@app.post("/bare/payments/{project_code}", status_code=202)
def confirm(project_code: str, confirmation: PaymentConfirmation) -> dict:
    command = NewCommand(
        "record_payment",
        confirmation.voucher_number,
        project_code,
        {
            "project": project_key_hex(project_code),
            "voucher": reference_key_hex(confirmation.voucher_number),
            "amount_fen": confirmation.amount_fen,
            "paid_at": unix(confirmation.paid_at),
        },
    ).with_id()
    with Session(_engine()) as session, session.begin():
        session.execute(
            insert(ConfirmationRow),
            [
                {
                    "voucher_number": confirmation.voucher_number,
                    "levy_number": confirmation.levy_number,
                    "project_code": project_code,
                    "amount_fen": confirmation.amount_fen,
                    "paid_at": unix(confirmation.paid_at),
                    "payer_uscc": confirmation.payer_uscc,
                    "client": "bare",
                    "command_id": command.id,
                    "created_at": time.time(),
                }
            ],
        )
        enqueue(session, [command], client="bare")
    return {"command_id": command.id, "kind": command.kind, "reference": command.reference, "status": "accepted"}
