"""Enforce the page rules of :mod:`halte.access.policy` on every request, before any view runs."""

import logging

from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from halte.accounts.models import Membership

from . import policy

logger = logging.getLogger(__name__)

MEMBERSHIP_SESSION_KEY = "halte_membership"


class MembershipMiddleware:
    """Attach ``request.membership``: the membership the user picked, or their only one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = self._membership(request)
        return self.get_response(request)

    @staticmethod
    def _membership(request):
        user = request.user
        if not policy.is_fully_authenticated(user):
            return None
        active = Membership.objects.active().filter(user=user).select_related("organisation__school", "user")
        picked = request.session.get(MEMBERSHIP_SESSION_KEY)
        if picked:
            membership = active.filter(public_id=picked).first()
            if membership is not None:
                return membership
            request.session.pop(MEMBERSHIP_SESSION_KEY, None)
        candidates = list(active[:2])
        if len(candidates) == 1:
            request.session[MEMBERSHIP_SESSION_KEY] = str(candidates[0].public_id)
            return candidates[0]
        return None


class AccessPolicyMiddleware:
    """Fail closed: a view without a rule is refused, and a logged error names it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        rule = getattr(request, "halte_rule", None)
        if rule is None or rule.level is not policy.Level.PUBLIC:
            # Staff pages show children's situations: never keep them in a browser or proxy cache.
            patch_cache_control(response, no_store=True, private=True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        rule = policy.rule_for(view_func, match.namespaces if match else [])
        if rule is None:
            logger.error("No access rule for view %s: refused.", getattr(match, "view_name", view_func))
            raise PermissionDenied
        request.halte_rule = rule
        outcome = policy.decide(rule, request)
        if outcome is policy.Outcome.ALLOW:
            return None
        if outcome is policy.Outcome.LOGIN:
            return redirect(_with_next(reverse("accounts:login"), request))
        if outcome is policy.Outcome.SECOND_FACTOR:
            return redirect(_with_next(reverse("accounts:otp_verify"), request))
        if outcome is policy.Outcome.CHOOSE_MEMBERSHIP:
            return redirect(_with_next(reverse("accounts:choose_membership"), request))
        if outcome is policy.Outcome.NOT_FOUND:
            raise Http404
        if outcome is policy.Outcome.UNAUTHORIZED:
            response = HttpResponse("Jeton d’accès requis.\n", status=401, content_type="text/plain; charset=utf-8")
            response["WWW-Authenticate"] = 'Bearer realm="halte"'
            return response
        if outcome is policy.Outcome.NO_MEMBERSHIP:
            logout(request)
            return redirect(reverse("accounts:no_membership"))
        raise PermissionDenied


def _with_next(url: str, request) -> str:
    target = request.get_full_path()
    if request.method != "GET" or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return url
    return f"{url}?{urlencode({'next': target})}"
