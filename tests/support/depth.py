"""`make test-deep` sets LEDGER_DEEP=1: the long model and fault runs then take their large size."""

import os

DEEP = bool(os.environ.get("LEDGER_DEEP"))
