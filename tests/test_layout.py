"""Architecture rules that a reviewer would otherwise have to remember."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    """The rooms and their order, no cycles, web3 only in ledger.chain, devtools never imported by the
    product: import-linter's contracts in pyproject.toml ([tool.importlinter])."""
    checked = subprocess.run([Path(sys.executable).parent / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def imported_names(package: str) -> set[str]:
    """The full dotted name of every module `package` imports from."""
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_the_api_and_the_portal_do_not_import_each_other():
    """They share web.kit and web.app assembles them."""
    assert not {name for name in imported_names("api") if name.startswith(("portal", "web.app"))}
    assert not {name for name in imported_names("portal") if name.split(".")[0] == "api"}
    assert not {name for name in imported_names("web/kit") if name.startswith(("api", "portal", "web.app"))}


def test_the_migrations_build_exactly_the_schema_the_models_declare(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import ledger.db.read_model  # noqa: F401
    from ledger.db.engine import make_engine
    from ledger.db.schema import upgrade_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def sql_literals(package: str):
    """(file:line, SQL text) of every `text(...)` / `exec_driver_sql(...)` called with a literal."""
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            called = getattr(node, "func", None)
            if (
                isinstance(node, ast.Call)
                and node.args
                and getattr(called, "id", getattr(called, "attr", None)) in ("text", "exec_driver_sql")
            ):
                parts = [
                    n.value for n in ast.walk(node.args[0]) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                ]
                yield f"{path.relative_to(ROOT)}:{node.lineno}", " ".join(parts)


def test_every_raw_read_of_a_uint64_column_goes_through_read_sql():
    """On SQLite a uint64 above 2^63−1 is stored as a BLOB: a plain `text()` SELECT would hand it on as bytes."""
    import re

    from ledger.db.read_model import UINT64_COLUMNS

    uint64 = re.compile(r"\b(" + "|".join(UINT64_COLUMNS) + r")\b")
    raw = [
        (where, sql)
        for package in ("ledger", "api", "portal", "web")
        for where, sql in sql_literals(package)
        if re.search(r"\bSELECT\b", sql, re.IGNORECASE) and uint64.search(sql)
    ]
    assert raw == []
