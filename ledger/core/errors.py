"""The one root exception of the ledger package and its kinds.

Kinds derived from `TransientError` may clear by themselves: the indexer retries them with
backoff and keeps running. Every other kind stops it with a named error (a halt)."""


class LedgerError(Exception):
    """Root of every error raised by `ledger`."""


class SettingsError(LedgerError):
    """A setting has a bad value (the message names the environment variable)."""


class TransientError(LedgerError):
    """A failure that retrying later may cure: the node or the database is away or busy."""


class ChainUnavailable(TransientError):
    """The JSON-RPC node could not be reached, timed out, or answered HTTP 5xx."""


class RateLimited(ChainUnavailable):
    """The node (or its gateway) refused the request for now: HTTP 429 or a rate-limit error."""


class ReadModelUnavailable(TransientError):
    """The read model's database went away or refused the connection."""


class LeaseLost(TransientError):
    """Another process holds the lease (or moved the checkpoint): this one must not write, nor sign
    with the shared nonces. Transient: it may stand by and take the lease over later."""


class ManifestError(LedgerError):
    """The deployment manifest is missing or does not match the chain."""


class AbiConflict(LedgerError):
    """Two contract ABIs declare the same event topic with different layouts."""


class GasTooHigh(LedgerError):
    """A transaction would ask for more gas than the block gas limit leaves us (ledger.chain.node.gas_cap):
    nothing was signed; split its batch."""


class ContractRevert(LedgerError):
    """A contract call reverted with a named custom error."""

    def __init__(self, name: str, args: tuple = ()):
        self.name = name
        self.args_ = args
        super().__init__(f"{name}{args!r}" if args else name)


class GenesisMismatch(LedgerError):
    """The chain's genesis differs from the one the read model was built on."""


class ReorgTooDeep(LedgerError):
    """A reorganisation deeper than the configured limit: the indexer stops rather than diverge."""
