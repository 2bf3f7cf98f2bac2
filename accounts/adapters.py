"""How django-allauth fits Baton: its mail goes through the outbox, its limits see the real client,
and single sign-on follows each provider's options (accounts.sso).

People join through an invitation (advocacy) or single sign-on; open sign-up is
off unless ACCOUNT_ALLOW_SIGNUP says so. Which addresses are invited is asked of
the apps above through ACCOUNTS_INVITATION_CHECKS (dotted paths in the settings):
this app never imports them.
"""

import logging
from functools import lru_cache
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.module_loading import import_string

from core.clients import client_ip
from core.mail import queue_mail

from . import oidc, sso

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _checks(paths: tuple[str, ...]) -> tuple:
    return tuple(import_string(path) for path in paths)


def is_invited(email: str) -> bool:
    """Return whether any app above says `email` has a pending invitation."""
    return any(check(email) for check in _checks(tuple(getattr(settings, "ACCOUNTS_INVITATION_CHECKS", ()))))


def _emails_for_login(credentials: dict) -> list[str]:
    """Return the addresses of the person a sign-in names (by e-mail, or by username)."""
    email = credentials.get("email") or ""
    username = credentials.get("username") or ""
    found = [email] if email else []
    if username:
        found += list(
            get_user_model()
            .objects.filter(Q(username__iexact=username) | Q(email__iexact=username))
            .values_list("email", flat=True)
        )
    return [e for e in found if e]


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render the mail now, send it from a worker (core.mail): the request never waits for it."""
        request = self.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL.rstrip("/"),
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        html = next((content for content, kind in getattr(message, "alternatives", []) if kind == "text/html"), "")
        queue_mail(to=email, subject=message.subject, body=message.body, html=html)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        """Links in e-mails point at SITE_URL, never at whatever Host a request named."""
        return _site_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return _site_url(path.replace("UID-KEY", quote(key)))

    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        """Refuse a password for people whose provider turned password sign-in off."""
        super().pre_authenticate(request, **credentials)
        for email in _emails_for_login(credentials):
            provider = sso.provider_for_password_login_off(email)
            if provider is not None:
                raise forms.ValidationError(
                    sso.USE_SSO % {"domain": sso.domain_of(email), "provider": provider.name}, code="use_sso"
                )


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _refuse(request: HttpRequest, message: str):
    response = render(request, "socialaccount/refused.html", {"message": message}, status=403)
    raise ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Let in only the answer to this sign-in, for a verified address of an allowed domain,
        and new people only as the provider says."""
        options = sso.options_for(sociallogin.provider.app)
        if oidc.is_openid_connect(sociallogin) and not oidc.nonce_matches(sociallogin):
            log.warning("Single sign-on with %s refused: the id_token's nonce is missing or wrong", options.provider_id)
            _refuse(request, sso.NONCE_MISMATCH % {"provider": options.name})
        addresses = sociallogin.email_addresses or []
        primary = next((a for a in addresses if a.primary), addresses[0] if addresses else None)
        email = (primary.email if primary else getattr(sociallogin.user, "email", "")) or ""
        names = {"provider": options.name, "email": email, "domain": sso.domain_of(email)}
        if not email:
            _refuse(request, sso.NO_EMAIL % names)
        if primary is None or not primary.verified:
            _refuse(request, sso.UNVERIFIED_EMAIL % names)
        if not options.allows(email):
            _refuse(request, sso.DOMAIN_NOT_ALLOWED % names)
        if not sociallogin.is_existing and options.signup != sso.OPEN and not is_invited(email):
            _refuse(request, sso.NOT_INVITED % names)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        """Log why a single sign-on failed (the page tells the person plainly, without the details)."""
        log.warning(
            "Single sign-on with %s failed: %s %s",
            getattr(provider, "id", provider),
            error,
            f"{type(exception).__name__}: {exception}" if exception else "",
        )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # pre_social_login has refused whoever may not join.
        return True

    def is_email_verified(self, provider, email) -> bool:
        # Only what the provider says (the email_verified claim), checked in pre_social_login.
        return False
