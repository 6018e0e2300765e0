"""Contract roles, which contract each lives on, and the development account that holds it."""

from eth_utils import keccak

DEFAULT_ADMIN_ROLE = b"\x00" * 32

# role name -> contracts that define it
ROLE_CONTRACTS: dict[str, tuple[str, ...]] = {
    "ASSESSOR_ROLE": ("FeeLedger",),
    "TAX_ROLE": ("FeeLedger",),
    "APPROVAL_ROLE": ("CommitmentRegistry",),
    "VERIFIER_ROLE": ("CommitmentRegistry", "InspectionDraws"),  # the office also runs the draws
    "PAUSER_ROLE": ("FeeLedger", "CommitmentRegistry", "InspectionDraws"),
}

# Index of each signer in the HD wallet of LEDGER_MNEMONIC (path m/44'/60'/0'/0/i).
ROLE_ACCOUNT_INDEX: dict[str, int] = {
    "DEFAULT_ADMIN_ROLE": 0,  # also the deployer; a multisig/timelock in production
    "ASSESSOR_ROLE": 1,
    "TAX_ROLE": 2,
    "APPROVAL_ROLE": 3,
    "VERIFIER_ROLE": 4,
    "PAUSER_ROLE": 5,
}


def role_id(name: str) -> bytes:
    return DEFAULT_ADMIN_ROLE if name == "DEFAULT_ADMIN_ROLE" else keccak(text=name)
