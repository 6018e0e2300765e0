"""pytest plugin of the mutation run (`-p devtools.mutate.plugin`): LEDGER_MUTANT_ARTIFACT=Name=path
swaps contract Name's committed artifact for the mutant's compiled one before the tests import it
(the ABI is the same; deploy checks the deployed code against this bytecode)."""

import json
import os
from functools import cache
from pathlib import Path

from ledger.chain import artifacts

_swap = os.environ.get("LEDGER_MUTANT_ARTIFACT")
if _swap:
    _name, _path = _swap.split("=", 1)
    _mutant = json.loads(Path(_path).read_text())
    _committed = artifacts.load_artifact

    @cache
    def _load(name: str) -> dict:
        artifact = _committed(name)
        if name != _name:
            return artifact
        return artifact | {"bytecode": _mutant["bytecode"], "deployedBytecode": _mutant["deployedBytecode"]}

    artifacts.load_artifact = _load
