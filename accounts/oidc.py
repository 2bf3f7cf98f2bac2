"""Baton's OpenID Connect provider: allauth's generic one, with a nonce bound to each sign-in.

allauth's generic provider checks the state (the answer comes back to the
browser that started the sign-in) but sends no nonce, so an id_token minted for
another sign-in would still be taken. Here every authorization request carries
a fresh random nonce, kept in the session with the state; on the way back
`nonce_matches` compares it with the id_token's `nonce` claim, and
SocialAccountAdapter.pre_social_login refuses the sign-in before anyone is
signed in or an account is made. The class replaces allauth's through
SOCIALACCOUNT_PROVIDERS["openid_connect"]["provider_class"].
"""

import hmac
import secrets
from typing import Final

from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)
from django.http import HttpRequest

from . import sso

NONCE_KEY: Final = "nonce"
NONCE_BYTES: Final = 32


class OpenIDConnectProvider(AllauthOpenIDConnectProvider):
    package = "allauth.socialaccount.providers.openid_connect"  # its URLs stay allauth's

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        """Send the person to the provider with a new nonce, and keep it with the state."""
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        # After whatever the request asked for: a nonce named in the URL is never the one sent.
        auth_params = {**auth_params, NONCE_KEY: nonce}
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)

    def extract_email_addresses(self, data):
        """The provider's addresses; with `trust_email`, those of the allowed domains count as verified.

        Microsoft Entra ID sends no `email_verified` claim: the tenant's
        administrators set the addresses of the company's own domains. Marked
        here, before allauth looks the person up, so an existing account with
        that address is found.
        """
        addresses = super().extract_email_addresses(data)
        options = sso.options_for(self.app)
        if options.trust_email:
            for address in addresses:
                if options.allows(address.email):
                    address.verified = True
        return addresses


def is_openid_connect(sociallogin: SocialLogin) -> bool:
    provider = getattr(sociallogin, "provider", None)
    return isinstance(provider, AllauthOpenIDConnectProvider)


def nonce_matches(sociallogin: SocialLogin) -> bool:
    """Return whether the id_token of an OpenID Connect sign-in carries the nonce its request sent.

    A sign-in that did not start with Baton's redirect (no state at all) has no
    nonce to compare and is refused as well.
    """
    sent = (sociallogin.state or {}).get(NONCE_KEY)
    id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
    received = id_token.get(NONCE_KEY) if isinstance(id_token, dict) else None
    if not isinstance(sent, str) or not isinstance(received, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), received.encode())
