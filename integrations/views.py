"""Pages for a program's inbound sources, e-mail in and chat channels (managers only), and the endpoints tools and mail services post to."""

import json
import warnings

from anymail.exceptions import AnymailNotSupportedWarning
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.permissions import program_for_user

from . import chat, mailin, mapping, selectors, services
from .forms import ChannelForm, MailInForm, RotateForm, SourceAddForm, SourceMappingForm
from .models import CHANNEL_EVENTS, Source

NO_SUCH_SOURCE = "No such source."


def _secret_key(source: Source) -> str:
    return f"integrations-secret-{source.pk}"


def _source(request: HttpRequest, slug: str, pk: int):
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    source = selectors.source_of(program=program, pk=pk)
    if source is None:
        raise Http404(NO_SUCH_SOURCE)
    return program, source


@login_required
@require_http_methods(["GET"])
def source_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    return render(
        request, "integrations/source_list.html", {"program": program, "sources": selectors.sources_of(program=program)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_add(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    form = SourceAddForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        try:
            source, secret = services.create_source(program=program, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if source.kind not in services.TOOL_MAKES_SECRET:
                request.session[_secret_key(source)] = secret
            messages.success(
                request, f"Added the source “{source.name}”. Now set it up in {source.get_kind_display()}."
            )
            return redirect(source)
    return render(
        request, "integrations/source_add.html", {"program": program, "form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET"])
def source_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, source = _source(request, slug, pk)
    # A secret Baton made is shown once, right after it was made (or rotated).
    secret = request.session.pop(_secret_key(source), None)
    context = {
        "program": program,
        "source": source,
        "secret": secret,
        "tool_makes_secret": source.kind in services.TOOL_MAKES_SECRET,
        "endpoint": request.build_absolute_uri(source.endpoint_path()),
        "deliveries": selectors.last_deliveries(source=source),
        "zendesk_body": json.dumps(mapping.ZENDESK_BODY, indent=2),
        "freshdesk_body": json.dumps(mapping.FRESHDESK_BODY, indent=2),
    }
    return render(request, "integrations/source_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, source = _source(request, slug, pk)
    form = SourceMappingForm(request.POST or None, instance=Source.objects.get(pk=source.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_source(source=source, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved. New deliveries are read with this mapping.")
            return redirect(source)
    context = {"program": program, "source": source, "form": form}
    return render(request, "integrations/source_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def source_rotate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, source = _source(request, slug, pk)
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source, secret = services.rotate_secret(source=source, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if source.kind not in services.TOOL_MAKES_SECRET:
                request.session[_secret_key(source)] = secret
            messages.success(request, "The secret was changed. Put the new one into the tool.")
            return redirect(source)
    context = {
        "program": program,
        "source": source,
        "form": form,
        "tool_makes_secret": source.kind in services.TOOL_MAKES_SECRET,
    }
    return render(request, "integrations/source_rotate.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def source_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, source = _source(request, slug, pk)
    if request.method == "POST":
        services.delete_source(source=source, actor=request.user)
        messages.success(request, f"Removed the source “{source.name}”. The issues it created stay.")
        return redirect("integrations:source_list", slug=program.slug)
    return render(request, "integrations/source_confirm_delete.html", {"program": program, "source": source})


@login_required
@require_POST
def source_test(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _, source = _source(request, slug, pk)
    received = services.send_test_delivery(source=source, actor=request.user, bad=request.POST.get("rating") != "good")
    if received.status >= 400:
        messages.error(request, f"The test delivery was refused: {received.message}")
    else:
        messages.success(request, "A signed test delivery was received; its outcome shows below in a moment.")
    return redirect(source)


def _headers(request: HttpRequest) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def _body(request: HttpRequest) -> bytes | None:
    """Return the raw body, or None when it is larger than the limit (read no further than that)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > services.MAX_BODY:
        return None
    if hasattr(request, "_body"):  # already read (a form-encoded body the edge checked)
        return request._body if len(request._body) <= services.MAX_BODY else None
    body = request.read(services.MAX_BODY + 1)
    return None if len(body) > services.MAX_BODY else body


@csrf_exempt
@require_POST
def receive(request: HttpRequest, public_id: str, token: str = "") -> HttpResponse:
    """Take one webhook delivery: verify, store, queue; answer at once."""
    source = Source.objects.filter(public_id=public_id).first()
    if source is None:
        return JsonResponse({"error": NO_SUCH_SOURCE}, status=404)
    body = _body(request)
    if body is None:
        size = (
            int(request.META.get("CONTENT_LENGTH") or 0) if (request.META.get("CONTENT_LENGTH") or "").isdigit() else 0
        )
        services.refuse(source=source, reason=services.TOO_LARGE, size=size, headers=_headers(request))
        return JsonResponse({"error": services.TOO_LARGE}, status=413)
    received = services.receive(source=source, body=body, headers=_headers(request), token=token)
    if received.status >= 400:
        return JsonResponse({"error": received.message}, status=received.status)
    return JsonResponse({"delivery": received.delivery.pk, "status": received.message}, status=received.status)


# ---------------------------------------------------------------- e-mail in


@login_required
@require_http_methods(["GET", "POST"])
def mail_in(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's address, its on/off switch and level, forwarding instructions and every mail's outcome."""
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    settings_row = selectors.mail_in_of(program=program)
    initial = {"enabled": settings_row.enabled, "level": settings_row.level} if settings_row else {}
    form = MailInForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            settings_row = mailin.configure_mail_in(program=program, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if settings_row.enabled:
                messages.success(request, f"E-mail in is on. Forward customers' e-mails to {settings_row.address}.")
            else:
                messages.success(request, "E-mail in is off. Mail to the address is refused.")
            return redirect("integrations:mail_in", slug=program.slug)
    page = None
    if settings_row is not None:
        page = Paginator(selectors.mails_of(mail_in=settings_row), selectors.MAILS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    context = {
        "program": program,
        "mail_in": settings_row,
        "form": form,
        "page": page,
        "counts": selectors.mail_counts(mail_in=settings_row) if settings_row else {},
        "max_mb": django_settings.INBOUND_EMAIL_MAX_BYTES // (1024 * 1024),
        "max_attachments": django_settings.INBOUND_EMAIL_MAX_ATTACHMENTS,
        "per_hour": django_settings.INBOUND_EMAIL_PER_SENDER_PER_HOUR,
    }
    return render(request, "integrations/mail_in.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def mail_in_new_address(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    settings_row = mailin.change_address(program=program, actor=request.user)
    messages.success(request, f"The new address is {settings_row.address}. Mail to the old one is refused.")
    return redirect("integrations:mail_in", slug=program.slug)


# The e-mail services' inbound webhooks: anymail's views, which check each service's signature.
ESP_WEBHOOKS = {
    "postmark": (PostmarkInboundWebhookView, "WEBHOOK_SECRET"),
    "mailgun": (MailgunInboundWebhookView, "MAILGUN_WEBHOOK_SIGNING_KEY"),
    "sendgrid": (SendGridInboundWebhookView, "WEBHOOK_SECRET"),
    "amazon_ses": (AmazonSESInboundWebhookView, "WEBHOOK_SECRET"),
}
_ESP_VIEWS = {esp: view.as_view() for esp, (view, _) in ESP_WEBHOOKS.items()}
NOT_SET_UP = "E-mail in through this service is not set up."
# An e-mail service posts the message base64-encoded or as form fields, with its own JSON around it.
ESP_OVERHEAD = 4 / 3


@csrf_exempt
def mail_hook(request: HttpRequest, esp: str) -> HttpResponse:
    """Take one inbound e-mail an e-mail service posts: anymail checks and parses it, the receiver stores it."""
    if esp not in ESP_WEBHOOKS or not django_settings.ANYMAIL.get(ESP_WEBHOOKS[esp][1]):
        # Without its secret anymail would take a post from anyone (Mailgun's key would be empty).
        return JsonResponse({"error": NOT_SET_UP}, status=404)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > mailin.max_bytes() * ESP_OVERHEAD + 256 * 1024:
        return JsonResponse({"error": "The message is larger than Baton takes."}, status=413)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnymailNotSupportedWarning)  # SendGrid: anymail keeps its inbound view
        return _ESP_VIEWS[esp](request)


# ---------------------------------------------------------------- chat channels (Slack, Teams)

NO_SUCH_CHANNEL = "No such channel."


def _channel(request: HttpRequest, slug: str, pk: int):
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    channel = chat.channel_of(program=program, pk=pk)
    if channel is None:
        raise Http404(NO_SUCH_CHANNEL)
    return program, channel


@login_required
@require_http_methods(["GET"])
def channel_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    context = {"program": program, "channels": chat.channels_of(program=program)}
    return render(request, "integrations/channel_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def channel_add(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    form = ChannelForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        try:
            channel = chat.create_channel(program=program, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Connected “{channel.name}”. Send a test message to check it arrives.")
            return redirect(channel)
    context = {"program": program, "form": form}
    return render(request, "integrations/channel_add.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET"])
def channel_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, channel = _channel(request, slug, pk)
    context = {"program": program, "channel": channel, "sent": chat.last_messages(channel=channel)}
    return render(request, "integrations/channel_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, channel = _channel(request, slug, pk)
    initial = {"name": channel.name, **{f"on_{event.value}": channel.wants(event) for event in CHANNEL_EVENTS}}
    form = ChannelForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            chat.update_channel(channel=channel, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(channel)
    context = {"program": program, "channel": channel, "form": form}
    return render(request, "integrations/channel_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def channel_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, channel = _channel(request, slug, pk)
    if request.method == "POST":
        chat.delete_channel(channel=channel, actor=request.user)
        messages.success(request, f"Removed “{channel.name}”. Nothing more is posted there.")
        return redirect("integrations:channel_list", slug=program.slug)
    return render(request, "integrations/channel_confirm_delete.html", {"program": program, "channel": channel})


@login_required
@require_POST
def channel_test(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _, channel = _channel(request, slug, pk)
    try:
        chat.send_test_message(channel=channel, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "A test message is on its way; its outcome shows below in a moment.")
    return redirect(channel)


@login_required
@require_POST
def channel_pause(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _, channel = _channel(request, slug, pk)
    paused = request.POST.get("paused") != "0"
    try:
        chat.set_paused(channel=channel, actor=request.user, paused=paused)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Paused: nothing is posted until you resume." if paused else "Resumed.")
    return redirect(channel)
