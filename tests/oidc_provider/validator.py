"""The claims the test provider gives: e-mail (verified unless the person's last name says "Unverified"), names."""

from oauth2_provider.oauth2_validators import OAuth2Validator


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
