"""The claims a ProConnect-like provider asserts: address (verified or not), names, and how the
agent authenticated (``acr``/``amr``), decided per test user by their groups."""

from oauth2_provider.oauth2_validators import OAuth2Validator


class ProConnectLikeValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        groups = set(user.groups.values_list("name", flat=True))
        mfa = "mfa" in groups
        return {
            "email": user.email,
            "email_verified": "unverified" not in groups,
            "given_name": user.first_name,
            "usual_name": user.last_name,
            "uid": str(user.pk),
            "acr": "eidas2" if mfa else "eidas1",
            "amr": ["pwd", "otp", "mfa"] if mfa else ["pwd"],
        }
