"""The committed artifacts against a fresh compile with the pinned solc is `make check-artifacts`
(`node compile.js --check`), which `make test` runs before pytest; here, what they record."""

from ledger.chain.artifacts import load_artifact


def test_the_artifacts_record_the_pinned_compiler_version():
    assert load_artifact("FeeLedger")["compiler"].startswith("solc-js 0.8.28+commit")
