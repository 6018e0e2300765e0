"""The documentation names only tests that exist."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `tests/path.py` or `tests/path.py::function`, as docs/guarantees.md cites them.
CITATION = re.compile(r"`(tests/[A-Za-z0-9_/.-]+\.py)(?:::([A-Za-z0-9_]+))?`")


def defined_names(path: Path) -> set[str]:
    """Every function and class defined in a test module, at any depth."""
    return {
        node.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def test_every_test_the_guarantees_page_cites_exists():
    page = (ROOT / "docs" / "guarantees.md").read_text()
    citations = CITATION.findall(page)
    assert page.count("tests/") == len(citations), "every mention of tests/ is a `path` or `path::name` citation"
    missing = [
        f"{path}::{name}" if name else path
        for path, name in citations
        if not (ROOT / path).is_file() or (name and name not in defined_names(ROOT / path))
    ]
    assert missing == []
    assert len({name for _, name in citations if name}) >= 40  # the page is read, not skipped
