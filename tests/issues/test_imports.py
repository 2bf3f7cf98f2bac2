"""Issues' modules import at module level; tasks.py calls the services, never the reverse."""

import ast
from pathlib import Path

import issues

ROOT = Path(issues.__file__).parent
# App start-up wiring (AppConfig.ready) imports late by design.
LATE_BY_DESIGN = {"apps.py"}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts and path.name not in LATE_BY_DESIGN:
            yield path, ast.parse(path.read_text(), filename=str(path))


def test_no_function_local_imports_hide_a_cycle():
    hidden = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                hidden += [
                    f"{path.relative_to(ROOT)}:{inner.lineno}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
    assert hidden == []


def _imports_tasks(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name == "issues.tasks" for alias in node.names)
    if not isinstance(node, ast.ImportFrom):
        return False
    if node.module in ("issues.tasks", "tasks") or (node.module or "").endswith(".tasks"):
        return True
    package = node.module is None or node.module == "issues"
    return package and any(alias.name == "tasks" for alias in node.names)


def test_nothing_in_issues_imports_tasks():
    importers = [str(path.relative_to(ROOT)) for path, tree in _modules() if any(map(_imports_tasks, ast.walk(tree)))]
    assert importers == []
