"""A Hardhat node of the module's own (its clock is the wall clock)."""

from tests.support.chain import module_chain  # noqa: F401
