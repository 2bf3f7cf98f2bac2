"""The claims the test provider gives: e-mail (verified unless the person's last name says "Unverified"), names.

The id_token carries the nonce of the authorization request, unless the client
application was created with "id_token_nonce" (serve.py): "missing" leaves it
out, any other value is put in its place (a provider answering for another
sign-in).
"""

import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator

MISSING = "missing"


def _nonce_overrides() -> dict:
    return json.loads(os.environ.get("OIDC_PROVIDER_NONCES", "{}"))


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "email": "email",
        "email_verified": "email",
        "given_name": "profile",
        "family_name": "profile",
        "preferred_username": "profile",
    }

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": user.last_name != "Unverified",
            "given_name": user.first_name,
            "family_name": user.last_name,
            "preferred_username": user.username,
        }

    def finalize_id_token(self, id_token, token, token_handler, request):
        override = _nonce_overrides().get(request.client.client_id)
        if override == MISSING:
            id_token.pop("nonce", None)
            request.nonce = None
        elif override:
            id_token["nonce"] = override
            request.nonce = override
        return super().finalize_id_token(id_token, token, token_handler, request)
