"""Settings of the `portal` package, from `LEDGER_PORTAL_*` environment variables (and `.env`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_PORTAL_", env_file=".env", extra="ignore")

    # The address the public reaches the portal at (https://…, no trailing slash): the QR code on a
    # receipt links there. Unset: the address the request came in on.
    public_base_url: str | None = Field(None, pattern=r"^https?://[^\s/]+(/[^\s]*[^/\s])?$")
    # A block explorer's transaction page, `{tx}` standing for the hash: proofs link there when set.
    explorer_tx_url: str | None = Field(None, pattern=r"^https?://\S*\{tx\}\S*$")
    # The tax system's checkout page for one levy, `{levy}` standing for the levy number: the enterprise
    # workspace links "pay online" there. Unset: no link. `make run` sets the simulator's.
    tax_checkout_url: str | None = Field(None, pattern=r"^https?://\S*\{levy\}\S*$")
