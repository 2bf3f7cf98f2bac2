"""The dependency direction: core <- advocacy <- rotations <- issues <- insights, and config on top.

A lower app never imports a higher one (not even inside a function), never
reverses one of its URLs and never links to it from its templates. When a
lower app's action must let higher apps act, it calls an explicit hook whose
participants are listed in the settings.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from advocacy.hooks import participants

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["core", "advocacy", "rotations", "issues", "insights"]
URL_NAME = re.compile(r"""["'](?P<app>\w+):\w+["']""")
# The one module of config an app may use: log scrubbing, which imports no app.
SHARED_CONFIG = {"config.observability"}


def _higher(app: str) -> list[str]:
    return LAYERS[LAYERS.index(app) + 1 :]


def _sources(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from insights.selectors import x\n    import issues.models\n")
    assert imports_of(module) == {"insights.selectors", "issues.models"}


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_a_lower_app_imports_no_higher_app(app):
    higher = set(_higher(app))
    wrong = {
        str(path.relative_to(ROOT)): sorted(m for m in imports_of(path) if m.split(".")[0] in higher)
        for path in _sources(app)
    }
    assert not {file: modules for file, modules in wrong.items() if modules}


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_a_lower_app_names_no_url_of_a_higher_app(app):
    files = _sources(app) + list((ROOT / "templates" / app).rglob("*.html"))
    wrong = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in files
        for match in URL_NAME.finditer(path.read_text())
        if match.group("app") in _higher(app)
    ]
    assert not wrong


@pytest.mark.parametrize("app", LAYERS)
def test_apps_use_nothing_of_config_but_its_log_scrubbing(app):
    used = {m for path in _sources(app) for m in imports_of(path) if m.split(".")[0] == "config"}
    if app in ("core", "advocacy"):  # below everything: not even that
        assert not used
    assert used <= SHARED_CONFIG


def test_the_shared_config_module_imports_no_app():
    assert not {m for m in imports_of(ROOT / "config" / "observability.py") if m.split(".")[0] in LAYERS}


@pytest.mark.parametrize(
    "setting", ["HANDOFF_PARTICIPANTS", "PROGRAM_CHANGED_PARTICIPANTS", "MEMBERSHIP_CHANGED_PARTICIPANTS"]
)
def test_every_hook_participant_is_a_function_of_an_app_above_the_hook(setting):
    owner = "rotations" if setting == "HANDOFF_PARTICIPANTS" else "advocacy"
    assert all(callable(p) for p in participants(setting))
    apps = [path.split(".")[0] for path in getattr(settings, setting)]
    assert apps and all(app in _higher(owner) for app in apps)
