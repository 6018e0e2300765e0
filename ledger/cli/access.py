"""`ledger clients …` and `ledger users …`: who may call the API."""

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import current_engine, fail
from ledger.core.errors import LedgerError
from ledger.core.settings import get_settings

clients = typer.Typer(
    no_args_is_help=True, help="System clients (tax, approval) and their keys (Ed25519, or SM2 under the gm profile)."
)
users = typer.Typer(no_args_is_help=True, help="People who log in: office, regulator, enterprise.")


def _engine():
    return current_engine(get_settings().database.url)


PublicKeyFile = Annotated[
    Path,
    typer.Option(
        "--public-key",
        exists=True,
        dir_okay=False,
        help="Public key of LEDGER_CRYPTO_PROFILE's algorithm: PEM, or base64 of the raw key "
        "(Ed25519: 32 bytes; SM2 under the gm profile: the 65-byte point 04 ‖ x ‖ y).",
    ),
]


@clients.command("add")
def clients_add(
    name: Annotated[str, typer.Option(help="The client id it sends as X-Client-Id, e.g. tax-bureau.")],
    role: Annotated[str, typer.Option(help="tax (may call /v1/tax) or approval (may call /v1/approval).")],
    public_key: PublicKeyFile,
) -> None:
    """Register a system client with its first public key."""
    from ledger.access.registry import add_client

    try:
        kid = add_client(_engine(), name=name, role=role, public_key_text=public_key.read_bytes())
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"client {name} ({role}) registered with key {kid}")


@clients.command("add-key")
def clients_add_key(name: Annotated[str, typer.Option()], public_key: PublicKeyFile) -> None:
    """Add a second active key during rotation (both verify until the old one is retired)."""
    from ledger.access.registry import add_key

    try:
        kid = add_key(_engine(), name=name, public_key_text=public_key.read_bytes())
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"key {kid} added to {name}")


@clients.command("retire-key")
def clients_retire_key(name: Annotated[str, typer.Option()], key_id: Annotated[str, typer.Option()]) -> None:
    """Stop accepting a key."""
    from ledger.access.registry import retire_key

    try:
        retire_key(_engine(), name=name, key_id=key_id)
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"key {key_id} of {name} retired")


@clients.command("list")
def clients_list() -> None:
    """Clients, their roles and active key ids."""
    from ledger.access import store

    with _engine().connect() as conn:
        for client in store.list_clients(conn):
            keys = ", ".join(k for k, _ in client.keys) or "no active key"
            typer.echo(f"{client.id}\t{client.role}\t{'active' if client.active else 'disabled'}\t{keys}")


@clients.command("keygen")
def clients_keygen(
    out: Annotated[
        Path, typer.Option(help="Private key file to write (PEM, mode 600); the public key goes to OUT.pub.")
    ],
) -> None:
    """Make a key pair for a client, of LEDGER_CRYPTO_PROFILE's algorithm: Ed25519, or SM2 under the gm
    profile (the client keeps the private half)."""
    from ledger.access.signing import key_id, private_key_pem, public_key_pem
    from ledger.core.crypto_profile import current_profile

    if out.exists():
        fail(FileExistsError(f"{out} exists; refusing to overwrite a key"))
    key = current_profile(get_settings()).signatures.generate()
    out.touch(mode=0o600)
    out.write_bytes(private_key_pem(key))
    out.with_name(out.name + ".pub").write_bytes(public_key_pem(key.public_key()))
    typer.echo(f"wrote {out} and {out}.pub (key {key_id(key.public_key())})")


# A new password: prompted for twice, never echoed, or read from LEDGER_NEW_USER_PASSWORD.
NewPassword = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="LEDGER_NEW_USER_PASSWORD",
        help="Prompted for when not given (or LEDGER_NEW_USER_PASSWORD).",
    ),
]


@users.command("add")
def users_add(
    username: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="office, regulator or enterprise.")],
    uscc: Annotated[str | None, typer.Option(help="Enterprise users: the USCC they act for.")] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
    *,  # so the password needs no default to be required (typer prompts for it when not given)
    password: NewPassword,
) -> None:
    """Create a user with an Argon2id password hash."""
    from ledger.access.users import add_user

    try:
        person = add_user(
            _engine(), username=username, password=password, role=role, uscc=uscc, display_name=display_name
        )
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"user {person.username} ({person.role}{', ' + person.uscc if person.uscc else ''}) created")


@users.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Option()],
    *,
    password: NewPassword,
) -> None:
    """Give a user a new password; every session of theirs ends (each device logs in again)."""
    from ledger.access.users import set_password

    try:
        set_password(_engine(), username=username, password=password)
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"password of {username} changed; their sessions have ended")
