"""Response headers that Django does not set itself: the browser features a page may use.

Halte needs no camera, microphone, location, payment or sensor on any page: the policy switches all
of them off, for the page and for anything it could embed. Cross-origin isolation headers keep other
sites from embedding Halte's responses (a case page, an evidence file) in theirs.
"""

from django.conf import settings


def _permissions_policy() -> str:
    return ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = _permissions_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Static files are answered before Django's clickjacking middleware runs.
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response
