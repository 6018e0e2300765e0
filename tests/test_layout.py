"""Architecture rules that a reviewer would otherwise have to remember."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> set[str]:
    modules = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def test_only_the_ledger_package_imports_web3():
    for package in ("api", "portal"):
        assert not imported_modules(package) & {"web3", "eth_abi", "eth_account"}, package


def test_the_migrations_build_exactly_the_schema_the_models_declare(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import ledger.db.models  # noqa: F401
    from ledger.db.engine import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
