"""The one root exception of the ledger package and its kinds."""


class LedgerError(Exception):
    """Root of every error raised by `ledger`."""


class ChainUnavailable(LedgerError):
    """The JSON-RPC node could not be reached."""


class ManifestError(LedgerError):
    """The deployment manifest is missing or does not match the chain."""


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
