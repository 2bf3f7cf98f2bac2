"""The dependency direction: advocacy <- rotations <- issues <- insights.

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
LAYERS = ["advocacy", "rotations", "issues", "insights"]
URL_NAME = re.compile(r"""["'](?P<app>\w+):\w+["']""")


def _higher(app: str) -> list[str]:
    return LAYERS[LAYERS.index(app) + 1 :]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _sources(app: str):
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_a_lower_app_imports_no_higher_app(app):
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(_higher(app)))
        for path in _sources(app)
        if _imports(path) & set(_higher(app))
    }
    assert not wrong


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


@pytest.mark.parametrize(
    "setting", ["HANDOFF_PARTICIPANTS", "PROGRAM_CHANGED_PARTICIPANTS", "MEMBERSHIP_CHANGED_PARTICIPANTS"]
)
def test_every_hook_participant_is_a_function_of_an_app_above_the_hook(setting):
    owner = "rotations" if setting == "HANDOFF_PARTICIPANTS" else "advocacy"
    assert all(callable(p) for p in participants(setting))
    apps = [path.split(".")[0] for path in getattr(settings, setting)]
    assert apps and all(app in _higher(owner) for app in apps)
