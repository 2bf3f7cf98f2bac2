"""Single sign-on options per OpenID Connect provider, kept in the SocialApp's settings JSON.

An administrator sets them in the admin (Social applications → Settings) or,
for a first provider, from the environment (README): for example

    {"server_url": "https://login.example.com",
     "allowed_domains": ["example.com"],
     "signup": "invited",
     "password_login_off": true}

`allowed_domains`: only addresses of these domains may sign in (empty: any).
`signup`: "open" creates an account on a first sign-in, "invited" only for
someone with a pending invitation (people with an account always sign in).
`password_login_off`: people whose address is of an allowed domain must use
single sign-on; their password no longer signs them in.
`trust_email`: take the provider's addresses of the allowed domains as verified,
for a provider that sends no `email_verified` claim (Microsoft Entra ID). It
needs `allowed_domains`, and is ignored for Entra's multi-tenant endpoints
(common, organizations, consumers), where another tenant could name any address.
"""

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import HttpRequest, HttpResponse

OPEN: Final = "open"
INVITED: Final = "invited"

DOMAIN_NOT_ALLOWED: Final = "Addresses of %(domain)s cannot sign in with %(provider)s."
NOT_INVITED: Final = (
    "There is no Baton account for %(email)s yet. Ask a program manager to invite you, then sign in again."
)
UNVERIFIED_EMAIL: Final = "%(provider)s did not confirm that %(email)s is your address, so Baton cannot sign you in."
NO_EMAIL: Final = "%(provider)s did not tell Baton your e-mail address, so Baton cannot sign you in."
NONCE_MISMATCH: Final = (
    "%(provider)s answered for another sign-in than this one, so Baton did not sign you in. Please start again."
)
USE_SSO: Final = "People of %(domain)s sign in with %(provider)s: use the button below."


@dataclass(frozen=True)
class ProviderOptions:
    """The options of one provider, read from its settings with safe defaults."""

    name: str
    provider_id: str
    allowed_domains: tuple[str, ...]
    signup: str
    password_login_off: bool
    trust_email: bool = False

    def allows(self, email: str) -> bool:
        """Return whether an address may sign in through this provider."""
        return not self.allowed_domains or domain_of(email) in self.allowed_domains


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def options_for(app: SocialApp) -> ProviderOptions:
    """Return a provider's single sign-on options."""
    data = app.settings or {}
    domains = data.get("allowed_domains") or []
    if isinstance(domains, str):
        domains = domains.split(",")
    signup = data.get("signup", INVITED)
    allowed = tuple(d.strip().lower().lstrip("@") for d in domains if d.strip())
    return ProviderOptions(
        name=app.name,
        provider_id=app.provider_id or app.provider,
        allowed_domains=allowed,
        signup=signup if signup in (OPEN, INVITED) else INVITED,
        password_login_off=bool(data.get("password_login_off", False)),
        trust_email=bool(data.get("trust_email", False)) and bool(allowed) and _single_tenant(data),
    )


MULTI_TENANT: Final = ("/common/", "/organizations/", "/consumers/")


def _single_tenant(data: dict) -> bool:
    """Return whether the server URL names one tenant (Entra's shared endpoints let any tenant answer)."""
    url = f"{str(data.get('server_url', '')).lower().rstrip('/')}/"
    return not any(part in url for part in MULTI_TENANT)


def configured_apps() -> list[SocialApp]:
    """Return every OpenID Connect provider: those of the environment, then those of the admin."""
    apps = []
    for conf in settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", []):
        apps.append(
            SocialApp(
                provider="openid_connect",
                provider_id=conf.get("provider_id", ""),
                name=conf.get("name", ""),
                client_id=conf.get("client_id", ""),
                secret=conf.get("secret", ""),
                settings=conf.get("settings", {}),
            )
        )
    apps += list(SocialApp.objects.filter(provider="openid_connect"))
    return apps


def provider_for_password_login_off(email: str) -> ProviderOptions | None:
    """Return the provider whose people must use single sign-on, if `email` is one of them."""
    if "@" not in email:
        return None
    for app in configured_apps():
        options = options_for(app)
        if options.password_login_off and options.allowed_domains and options.allows(email):
            return options
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def authorization_origins() -> list[str]:
    """Return the origins of the providers' authorization endpoints, for the pages whose forms lead there.

    That is the origin of `server_url` (Google Workspace, Entra ID and Okta
    authorize where they publish their discovery document), or of an
    `authorization_endpoint` set in `openid_configuration_overrides`.
    """
    origins = []
    for app in configured_apps():
        data = app.settings or {}
        overrides = data.get("openid_configuration_overrides") or {}
        url = overrides.get("authorization_endpoint") if isinstance(overrides, dict) else None
        origin = _origin(url or data.get("server_url", ""))
        if origin and origin not in origins:
            origins.append(origin)
    return origins


# The pages with a provider's button: the button posts to Baton, which answers with a redirect to
# the provider, and browsers hold that redirect to the page's Content-Security-Policy form-action.
PAGES_WITH_PROVIDER_FORMS: Final = frozenset(
    {"login", "openid_connect_login", "socialaccount_connections", "account_reauthenticate"}
)


class AllowProviderFormAction:
    """Let the sign-in pages' forms lead to the providers' authorization endpoints (form-action)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PAGES_WITH_PROVIDER_FORMS:
            origins = authorization_origins()
            if origins:
                update = dict(getattr(response, "_csp_update", None) or {})
                update["form-action"] = [*update.get("form-action", []), *origins]
                response._csp_update = update
        return response
