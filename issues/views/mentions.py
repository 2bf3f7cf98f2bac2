"""Web mentions: a program's mention feeds and the list of mentions to triage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.permissions import is_manager, program_for_user, require_manager
from advocacy.selectors import display_name

from .. import selectors, services
from ..forms import FeedForm, PromoteForm

PROMOTE_LEVEL_REQUIRED = "Choose how upset the customer is."
POLLING = "Polling; the result appears here in a minute."
PAUSED = "Paused “%(name)s”: it is not polled until you resume it."
RESUMED = "Resumed “%(name)s”: it is polled every 15 minutes again."
SAVED = "Saved “%(name)s”."
REMOVED = "Removed “%(name)s”. Issues made from its mentions stay."


@login_required
@require_http_methods(["GET", "POST"])
def feed_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    can_manage = is_manager(program=program, user=request.user)
    form = FeedForm(request.POST or None)
    if request.method == "POST":
        require_manager(program=program, actor=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                feed = services.add_mention_feed(
                    program=program, actor=request.user, name=data["name"], url=data["url"], is_active=data["is_active"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Added “{feed.name}”. It is polled every 15 minutes.")
                return redirect("issues:feed_list", slug=program.slug)
    context = {"program": program, "feeds": selectors.feeds_of(program=program), "form": form, "can_manage": can_manage}
    return render(request, "issues/feed_list.html", context)


@login_required
@require_POST
def feed_poll(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    feed = selectors.feed_of(program=program, pk=pk)
    try:
        services.request_feed_poll(feed=feed, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, POLLING)
    return redirect("issues:feed_list", slug=program.slug)


@login_required
@require_http_methods(["GET", "POST"])
def feed_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    feed = selectors.feed_of(program=program, pk=pk)
    name = feed.name  # the form writes what was typed onto the instance, valid or not
    form = FeedForm(request.POST or None, instance=feed)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            feed = services.edit_mention_feed(
                feed=feed, actor=request.user, name=data["name"], url=data["url"], is_active=data["is_active"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, SAVED % {"name": feed.name})
            return redirect("issues:feed_list", slug=program.slug)
    return render(request, "issues/feed_form.html", {"program": program, "feed": feed, "name": name, "form": form})


@login_required
@require_POST
def feed_pause(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    feed = selectors.feed_of(program=program, pk=pk)
    paused = request.POST.get("action") != "resume"
    feed = services.pause_mention_feed(feed=feed, actor=request.user, paused=paused)
    messages.success(request, (PAUSED if paused else RESUMED) % {"name": feed.name})
    return redirect("issues:feed_list", slug=program.slug)


@login_required
@require_http_methods(["GET", "POST"])
def feed_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    feed = selectors.feed_of(program=program, pk=pk)
    if request.method == "POST":
        services.remove_mention_feed(feed=feed, actor=request.user)
        messages.success(request, REMOVED % {"name": feed.name})
        return redirect("issues:feed_list", slug=program.slug)
    context = {"program": program, "feed": feed, "counts": selectors.feed_mention_counts(feed=feed)}
    return render(request, "issues/feed_confirm_remove.html", context)


@login_required
def mention_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    page = Paginator(selectors.mentions_to_triage(program=program), 30).get_page(request.GET.get("page"))
    return render(request, "issues/mention_list.html", {"program": program, "page": page, "form": PromoteForm()})


@login_required
@require_POST
def mention_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    mention = selectors.mention_of(program=program, pk=pk)
    try:
        if request.POST.get("action") == "dismiss":
            services.dismiss_mention(mention=mention, actor=request.user)
            text = "Dismissed."
        else:
            form = PromoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(PROMOTE_LEVEL_REQUIRED)
            issue = services.promote_mention(
                mention=mention,
                actor=request.user,
                level=form.cleaned_data["level"],
                public=form.cleaned_data["public"],
            )
            text = f"Now a hot issue, owned by {display_name(issue.owner)}."
    except ValidationError as error:
        text = " ".join(error.messages)
    if request.htmx:
        return render(request, "issues/_mention_done.html", {"text": text, "mention": mention})
    messages.info(request, text)
    return redirect("issues:mention_list", slug=program.slug)
