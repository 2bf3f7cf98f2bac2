"""Theme pages: the list by impact, one theme, creating and editing, moving the fix, adding issues."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.permissions import program_for_user, visible_program_ids
from core.edge import safe_next
from issues.models import HotIssue
from issues.rows import csrf_input
from issues.selectors import issue_for_user

from . import rows, selectors, services
from .forms import AddToThemeForm, MoveFixForm, ThemeForm, blank_move_fix_form_html, move_fix_form
from .models import Theme

ISSUES_PER_PAGE = 25


@login_required
def theme_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    themes = selectors.themes_by_impact(program=program, open_only=request.GET.get("show") != "all")
    page = Paginator(themes, 25).get_page(request.GET.get("page"))
    context = {
        "program": program,
        "page": page,
        "show_all": request.GET.get("show") == "all",
        "can_edit": services.can_work_themes(program=program, user=request.user, membership=membership),
    }
    return render(request, "themes/theme_list.html", context)


def _theme_form_page(request, program, form, theme=None, status=200):
    return render(request, "themes/theme_form.html", {"program": program, "form": form, "theme": theme}, status=status)


def _save(request, program, theme: Theme | None):
    if not services.can_work_themes(program=program, user=request.user):
        raise PermissionDenied(services.ONLY_ADVOCATE_OR_MANAGER)
    initial = ThemeForm.initial_for(theme) if theme else {}
    form = ThemeForm(request.POST or None, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if theme is None:
                theme = services.create_theme(program=program, actor=request.user, **data)
                messages.success(request, f"Started the theme “{theme.title}”. Add the issues that share its cause.")
            else:
                theme = services.edit_theme(theme=theme, actor=request.user, **data)
                messages.success(request, "Saved the theme.")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(theme)
    return _theme_form_page(request, program, form, theme, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def theme_create(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    return _save(request, program, None)


@login_required
@require_http_methods(["GET", "POST"])
def theme_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    return _save(request, program, selectors.theme_of(program=program, pk=pk))


class _KnownCountPaginator(Paginator):
    """A paginator told its count (the impact query already counted the theme's issues)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known = count

    @property
    def count(self) -> int:
        return self._known


def _detail(request, program, theme, *, membership=None, move_form=None, status=200):
    impact = selectors.impact(theme=theme)
    issues = _KnownCountPaginator(selectors.theme_issues(theme=theme), ISSUES_PER_PAGE, impact.issues).get_page(
        request.GET.get("page")
    )
    can_edit = services.can_work_themes(program=program, user=request.user, membership=membership)
    moves = [s.value for s in services.next_fix_statuses(theme.fix_status)]
    blank_move_form = None
    if move_form is not None:  # posted and refused: shown with what was typed and why
        move_form.fields["to_status"].choices = move_fix_form(moves).fields["to_status"].choices
    elif can_edit:
        move_form = move_fix_form(moves)
        blank_move_form = blank_move_fix_form_html(tuple(moves))  # that form, rendered once per moves
    weeks = selectors.before_and_after(theme=theme)
    peak = max([w.n for w in weeks] + [1]) if weeks else 1
    context = {
        "program": program,
        "theme": theme,
        "impact": impact,
        "issues": issues,
        "history": selectors.fix_history(theme=theme),
        "weeks": weeks,
        "before": sum(w.n for w in weeks if w.offset < 0) if weeks else None,
        "after": sum(w.n for w in weeks if w.offset >= 0) if weeks else None,
        "week_rows": rows.week_rows(weeks, peak=peak) if weeks else "",
        "issue_rows": rows.issue_rows(issues.object_list, theme=theme, csrf_input=csrf_input(request)),
        "can_edit": can_edit,
        "move_form": move_form,
        "blank_move_form": blank_move_form,
    }
    return render(request, "themes/theme_detail.html", context, status=status)


@login_required
def theme_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    return _detail(request, program, selectors.theme_of(program=program, pk=pk), membership=membership)


@login_required
@require_POST
def theme_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    theme = selectors.theme_of(program=program, pk=pk)
    if not services.can_work_themes(program=program, user=request.user):
        raise PermissionDenied(services.ONLY_ADVOCATE_OR_MANAGER)
    form = MoveFixForm(request.POST)
    if form.is_valid():
        try:
            theme = services.move_fix(
                theme=theme,
                actor=request.user,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The fix is now “{theme.get_fix_status_display()}”.")
            return redirect(theme)
    return _detail(request, program, theme, move_form=form, status=400)


@login_required
@require_POST
def theme_remove_issue(request: HttpRequest, slug: str, pk: int, issue_pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    theme = selectors.theme_of(program=program, pk=pk)
    issue = issue_for_user(user=request.user, pk=issue_pk)
    try:
        services.remove_issue(theme=theme, actor=request.user, issue=issue)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Took “{issue.title}” out of the theme.")
    return redirect(theme)


def _add(request, issues: list[HotIssue], program_ids: list[int], back: str) -> HttpResponse:
    themes = list(selectors.open_themes_for(program_ids=program_ids))
    form = AddToThemeForm(request.POST, themes=themes)
    if not form.is_valid():
        messages.error(request, "Choose one of the open themes to add to.")
        return redirect(back)
    theme = next(t for t in themes if t.pk == form.cleaned_data["theme"])
    try:
        added = services.add_issues(theme=theme, actor=request.user, issues=issues)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(request, f"Added {added} issue{'s' if added != 1 else ''} to “{theme.title}”.")
    return redirect(back)


@login_required
@require_POST
def add_from_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """The issue page's panel: add this issue to one of its program's open themes."""
    issue = issue_for_user(user=request.user, pk=pk)
    return _add(request, [issue], [issue.program_id], issue.get_absolute_url())


@login_required
@require_POST
def add_from_log(request: HttpRequest) -> HttpResponse:
    """The log: add the selected issues (of the person's programs) to a theme."""
    back = safe_next(request, request.POST.get("next"), "/issues/")
    program_ids = visible_program_ids(user=request.user)
    ids = [int(v) for v in request.POST.getlist("issues") if v.isdigit() and len(v) < 12][:500]
    issues = list(HotIssue.objects.filter(pk__in=ids, program_id__in=program_ids).only("id", "title", "program_id"))
    if not issues:
        messages.error(request, services.NO_ISSUES)
        return redirect(back)
    return _add(request, issues, program_ids, back)
