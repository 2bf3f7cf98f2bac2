"""The dependency direction: core <- advocacy <- rotations <- issues <- insights, and config on top."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "advocacy", "rotations", "issues", "insights"]
# The one module of config an app may use: log scrubbing, which imports no app.
SHARED_CONFIG = {"config.observability"}


def imports_of(app: str) -> set[tuple[str, str]]:
    """Every (file, module) an app's code imports, at module level or inside a function."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_never_imports_a_higher_one(app):
    higher = set(LAYERS[LAYERS.index(app) + 1 :])
    wrong = {(file, module) for file, module in imports_of(app) if module.split(".")[0] in higher}
    assert not wrong


@pytest.mark.parametrize("app", LAYERS)
def test_apps_use_nothing_of_config_but_its_log_scrubbing(app):
    config = {(file, module) for file, module in imports_of(app) if module.split(".")[0] == "config"}
    if app in ("core", "advocacy"):  # below everything: not even that
        assert not config
    assert {module for _, module in config} <= SHARED_CONFIG


def test_the_shared_config_module_imports_no_app():
    tree = ast.parse((ROOT / "config" / "observability.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {m for m in modules if m.split(".")[0] in LAYERS}
