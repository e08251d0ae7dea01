"""flows/ stays pure: no Flask, channel SDK, database, clock or randomness (design.md, "Layout")."""
import ast
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "flows"
FORBIDDEN_MODULES = {
    "flask", "werkzeug", "telegram", "twilio", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "sqlite3",
    "requests", "httpx", "urllib", "socket", "time", "random", "secrets", "uuid", "os", "subprocess",
    "storage", "bot", "web", "webhook", "logging",
}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


def _modules():
    return sorted(FLOWS.glob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_flow_module_imports_nothing_impure(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}:{node.lineno} imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_flow_module_reads_no_clock(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno} calls .{node.func.attr}()"


def test_the_checks_see_every_flow_module():
    names = {path.name for path in _modules()}
    assert {"engine.py", "report.py", "status.py", "home.py"} <= names
