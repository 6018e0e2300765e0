"""Where personal data lives (encrypted) and re-encrypting it under the current key (`ledger keys rotate`)."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.core.field_encryption import FieldCipher
from ledger.db.ticket_model import Ticket
from ledger.db.write_model import Enterprise

# Encrypted columns of each table, with the unique key that binds a token to its row.
ENCRYPTED_COLUMNS = {
    Enterprise: ("uscc", ("name_token", "contact_person_token", "contact_phone_token")),
    Ticket: ("number", ("contact_token",)),
}


def field_context(table, column: str, key: str) -> str:
    return f"{table.__tablename__}.{column.removesuffix('_token')}:{key}"


def reencrypt(session: Session, *, cipher: FieldCipher, page: int = 500) -> int:
    """Re-encrypt every token not under the current key; returns how many rows changed. Commits per
    page, so a long rotation can be interrupted and run again."""
    changed = 0
    for model, (key_column, columns) in ENCRYPTED_COLUMNS.items():
        last = ""
        while True:
            rows = (
                session.execute(
                    select(model)
                    .where(getattr(model, key_column) > last)
                    .order_by(getattr(model, key_column))
                    .limit(page)
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            for row in rows:
                key = getattr(row, key_column)
                values = {}
                for column in columns:
                    token = getattr(row, column)
                    if token and cipher.needs_rotation(token):
                        context = field_context(model, column, key)
                        values[column] = cipher.encrypt(cipher.decrypt(token, context=context), context=context)
                if values:
                    session.execute(update(model).where(getattr(model, key_column) == key).values(**values))
                    changed += 1
            session.commit()
            session.expire_all()
            last = getattr(rows[-1], key_column)
    return changed


def key_ids_in_use(session: Session) -> dict[str, int]:
    """How many tokens each key id still protects (drop an old key only when it protects none)."""
    counts: dict[str, int] = {}
    for model, (_, columns) in ENCRYPTED_COLUMNS.items():
        for column in columns:
            for (token,) in session.execute(select(getattr(model, column))).all():
                if token:
                    kid = token.partition(".")[0]
                    counts[kid] = counts.get(kid, 0) + 1
    return counts
