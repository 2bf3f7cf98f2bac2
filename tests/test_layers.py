"""The dependency direction, checked on the source: a lower app never uses a higher one.

Layers, lowest first: core <- accounts <- advocacy <- rotations <- issues <- themes <- insights <- integrations <- config.
A module of a lower app must not import a module of a higher app (at module
level or inside a function), look one up by name (importlib, apps.get_model),
or reverse one of its URL names ("issues:log" in rotations, or {% url 'issues:log' %}
in templates/rotations/). A lower app that
must let higher apps act calls an explicit hook whose participants are listed
in the settings (HANDOFF_PARTICIPANTS and friends).
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from advocacy.hooks import participants

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "accounts", "advocacy", "rotations", "issues", "themes", "insights", "integrations", "config"]
RANK = {app: i for i, app in enumerate(LAYERS)}
# A URL name of an app: "issues:log", or the start of one built in an f-string (f"issues:{name}").
URL_NAME = re.compile(rf"^({'|'.join(LAYERS)}):[\w.-]*$")


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _app_of(dotted: str) -> str | None:
    head = dotted.split(".", 1)[0]
    return head if head in RANK else None


def _is_higher(app: str | None, than: str) -> bool:
    return app is not None and RANK[app] > RANK[than]


def violations_in(source: str, *, app: str, path: str) -> list[Violation]:
    """Return every use of a higher app's modules or URL names in one module's source."""
    found: list[Violation] = []
    tree = ast.parse(source, filename=path)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        where = "inside a function" if _in_function(parents, node) else "at module level"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_higher(_app_of(alias.name), app):
                    found.append(Violation(path, node.lineno, f"imports {alias.name} {where}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _is_higher(_app_of(node.module), app):
                found.append(Violation(path, node.lineno, f"imports from {node.module} {where}"))
        elif isinstance(node, ast.Call) and _lookup_by_name(node, app):
            found.append(Violation(path, node.lineno, f"looks up {_lookup_by_name(node, app)} by name {where}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = URL_NAME.match(node.value)
            if match and _is_higher(match.group(1), app):
                found.append(Violation(path, node.lineno, f"names the URL {node.value!r} of {match.group(1)}"))
    return sorted(set(found), key=lambda v: (v.path, v.line, v.what))


def _lookup_by_name(call: ast.Call, app: str) -> str | None:
    """importlib.import_module("issues.x"), __import__("issues"), apps.get_model("issues", ...) or ("issues.X")."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__", "get_model", "get_app_config") or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and _is_higher(_app_of(first.value), app):
        return first.value
    return None


def _in_function(parents: dict, node: ast.AST) -> bool:
    node = parents.get(node)
    while node is not None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return True
        node = parents.get(node)
    return False


TEMPLATE_URL = re.compile(r"""\{%\s*url\s+["'](\w+):([\w-]+)["']""")


def template_violations_in(text: str, *, app: str, path: str) -> list[Violation]:
    """Return every {% url %} of a higher app's URL name in one of the app's templates."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in TEMPLATE_URL.finditer(line):
            if match.group(1) in RANK and _is_higher(match.group(1), app):
                found.append(Violation(path, number, f"reverses the URL '{match.group(1)}:{match.group(2)}'"))
    return found


def project_modules():
    """Yield (app, path) for every Python module of the layered apps that exist in this checkout."""
    for app in LAYERS:
        folder = ROOT / app
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                yield app, path


def all_violations() -> list[Violation]:
    found = []
    for app, path in project_modules():
        found += violations_in(path.read_text(encoding="utf-8"), app=app, path=str(path.relative_to(ROOT)))
    for app in LAYERS:
        for path in sorted((ROOT / "templates" / app).rglob("*.html")):
            text = path.read_text(encoding="utf-8")
            found += template_violations_in(text, app=app, path=str(path.relative_to(ROOT)))
    return found


def test_the_check_sees_the_apps():
    apps = {app for app, _ in project_modules()}
    assert {"advocacy", "rotations", "issues", "themes", "insights", "config"} <= apps
    assert sum(1 for _ in project_modules()) > 50


def test_the_check_finds_a_violating_import_a_url_name_and_a_lookup():
    source = """
from django.urls import reverse
from issues.models import HotIssue
import insights.selectors as health
from . import services
from advocacy.models import Program


def later():
    from issues import services as issue_services
    import importlib
    importlib.import_module("insights.reports")
    return reverse("issues:log"), f"issues:{'detail'}", reverse("rotations:schedule")
"""
    found = [str(v) for v in violations_in(source, app="rotations", path="rotations/fake.py")]
    assert found == [
        "rotations/fake.py:3: imports from issues.models at module level",
        "rotations/fake.py:4: imports insights.selectors at module level",
        "rotations/fake.py:10: imports from issues inside a function",
        "rotations/fake.py:12: looks up insights.reports by name inside a function",
        "rotations/fake.py:13: names the URL 'issues:' of issues",
        "rotations/fake.py:13: names the URL 'issues:log' of issues",
    ]
    # The same source is fine one layer up, where rotations and issues are below.
    assert [str(v) for v in violations_in(source, app="insights", path="insights/fake.py")] == []


def test_the_check_finds_a_higher_url_in_a_template():
    text = """<a href="{% url 'rotations:schedule' program.slug %}">Schedule</a>
<a href="{% url "issues:log" %}?program={{ program.slug }}">Issues</a>"""
    found = [str(v) for v in template_violations_in(text, app="rotations", path="templates/rotations/x.html")]
    assert found == ["templates/rotations/x.html:2: reverses the URL 'issues:log'"]


def test_no_app_uses_a_higher_one():
    found = all_violations()
    assert not found, f"{len(found)} uses of a higher app from a lower one:\n" + "\n".join(map(str, found))


@pytest.mark.parametrize(
    "setting", ["HANDOFF_PARTICIPANTS", "PROGRAM_CHANGED_PARTICIPANTS", "MEMBERSHIP_CHANGED_PARTICIPANTS"]
)
def test_every_hook_participant_is_a_function_of_an_app_above_the_hook(setting):
    owner = "rotations" if setting == "HANDOFF_PARTICIPANTS" else "advocacy"
    assert all(callable(p) for p in participants(setting))
    apps = [path.split(".")[0] for path in getattr(settings, setting)]
    assert apps and all(_is_higher(app, owner) for app in apps)
