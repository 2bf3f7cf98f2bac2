"""What themes shows on the issue page and offers on the log (registered with issues in apps.py)."""

from advocacy.panels import Panel
from advocacy.permissions import is_member

from .forms import AddToThemeForm
from .selectors import open_theme_choices, open_themes_for, themes_of_issue
from .services import can_work_themes


def issue_theme_panel(request, issue):
    """The themes an issue is in, and a form to add it to one of its program's open themes.

    Once an issue is closed with a lasting fix needed and is in no theme, the
    panel asks for it first: that is the follow-up to resolving it.
    """
    if not is_member(program=issue.program, user=request.user):
        return None
    joined = list(themes_of_issue(issue=issue))
    joined_ids = {t.pk for t in joined}
    choices = [t for t in open_themes_for(program_ids=[issue.program_id]) if t.pk not in joined_ids]
    context = {
        "issue": issue,
        "joined": joined,
        "form": AddToThemeForm(themes=choices) if choices else None,
        "can_create": can_work_themes(program=issue.program, user=request.user),
        "prompt": not issue.is_open and issue.lasting_fix_needed and not joined,
    }
    return Panel(template="themes/_issue_panel.html", context=context, order=10)


def log_theme_action(request, programs):
    """Above the log: add the selected issues to a theme (only when the person's programs have open themes)."""
    # Plain values: every log page reads them, and the form only lists them (posting goes to its own view).
    themes = open_theme_choices(program_ids=[p.pk for p in programs])
    choices = [(pk, title if len(programs) == 1 else f"{program}: {title}") for pk, title, program in themes]
    if not choices:
        return None
    context = {"choices": [("", "Choose a theme"), *choices], "next": request.get_full_path()}
    return Panel(template="themes/_log_action.html", context=context, order=10)
