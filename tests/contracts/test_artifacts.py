import subprocess

from ledger.chain.artifacts import load_artifact
from devtools.dev_node import HARDHAT_DIR


def test_the_committed_artifacts_equal_a_fresh_compile_with_the_pinned_solc():
    result = subprocess.run(["node", "compile.js", "--check"], cwd=HARDHAT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_artifacts_record_the_pinned_compiler_version():
    assert load_artifact("FeeLedger")["compiler"].startswith("solc-js 0.8.28+commit")
