"""Developer tools run from a checkout, outside the product (`python -m devtools …`)."""

from pathlib import Path

# The checkout these tools run from (never an installed package): hardhat-local/, var/, the sources.
REPO_ROOT = Path(__file__).resolve().parent.parent
