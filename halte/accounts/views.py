"""The login journey: password, second factor (enrolment or verification), choice of membership.

Each step is its own page with its own access rule, so that no staff page can be reached with a
password alone: the policy middleware sends anyone not fully verified back here.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from halte.access import policy
from halte.access.middleware import MEMBERSHIP_SESSION_KEY
from halte.audit.journal import record, record_request
from halte.audit.models import Action

from . import proconnect, throttle, twofactor
from .addresses import normalise_email
from .forms import (
    AccountIdentityForm,
    EmailAuthenticationForm,
    EmailPasswordResetForm,
    EnrolmentForm,
    MembershipChoiceForm,
    TokenForm,
)
from .models import Membership, User


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _keep_next(url: str, request) -> str:
    target = _next_url(request, "")
    return f"{url}?next={target}" if target else url


def _typed_login(typed: str) -> dict:
    """What the journal keeps of a failed login: the address if it is one, never free text
    (a password typed in the wrong box must not end up in an append-only journal)."""
    candidate = normalise_email(typed)[:254]
    try:
        validate_email(candidate)
    except ValidationError:
        return {"email": None, "not_an_address": True}
    return {"email": candidate}


@policy.public
@sensitive_post_parameters("password")
@never_cache
def login(request):
    if policy.is_fully_authenticated(request.user):
        return redirect(_next_url(request, reverse("www:staff_home")))
    form = EmailAuthenticationForm(request, data=request.POST or None)
    context = {"form": form, "next": _next_url(request, ""), "proconnect": proconnect.enabled()}
    if request.method == "POST":
        detail = _typed_login(request.POST.get("username") or "")
        email = detail["email"] or ""
        # Decided before any password is checked: a refused try tells nothing about the password.
        verdict = throttle.check(request, email)
        if not verdict.allowed:
            return _refuse_login(request, context, verdict, detail)
        if form.is_valid():
            user = form.get_user()
            auth_login(request, user)
            step = "accounts:otp_verify" if twofactor.confirmed_totp(user) else "accounts:otp_setup"
            return redirect(_keep_next(reverse(step), request))
        if form.has_error(NON_FIELD_ERRORS):  # a password was checked and refused
            throttle.record_failure(request, email)
            record(Action.LOGIN_FAILED, detail={**detail, "trusted_device": verdict.trusted_device})
    return render(request, "accounts/login.html", context)


def _refuse_login(request, context, verdict, detail):
    minutes = max(1, -(-verdict.retry_after // 60))
    if verdict.scope == "client":
        message = _("Trop de tentatives de connexion ont échoué depuis ce poste. Réessayez dans %(minutes)s minute(s).")
        action = Action.LOGIN_CLIENT_THROTTLED
        detail = {**detail, "client": throttle.client_key(request)[:16]}
    else:
        message = _(
            "Trop de tentatives ont échoué pour ce compte. Réessayez dans %(minutes)s minute(s), ou depuis "
            "le navigateur où vous vous connectez d’habitude, qui n’est pas concerné."
        )
        action = Action.LOCKED_OUT
    record(action, detail={**detail, "retry_after": verdict.retry_after})
    context = {**context, "refusal": message % {"minutes": minutes}}
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _finish_login(request, device, response, *, via_recovery_code: bool = False):
    """The second factor is accepted: a new session id (a key seen before this point, by a shared
    computer or a fixation attempt, opens nothing), and this browser is trusted for the account."""
    otp_login(request, device)
    request.session.cycle_key()
    throttle.remember_device(response, request.user)
    record_request(
        Action.LOGIN,
        request,
        target=request.user,
        detail={"recovery_code": via_recovery_code, "session_renewed": True},
    )
    if via_recovery_code:
        record_request(Action.RECOVERY_CODE_USED, request, target=request.user)
        left = StaticToken.objects.filter(device__user=request.user).count()
        messages.warning(
            request,
            _("Vous vous êtes connecté avec un code de secours. Il vous en reste %(left)s : pensez à les renouveler.")
            % {"left": left},
        )


@policy.password_step
@sensitive_post_parameters("token")
@never_cache
def otp_verify(request):
    if policy.is_fully_authenticated(request.user):
        return redirect(_next_url(request, reverse("www:staff_home")))
    if twofactor.confirmed_totp(request.user) is None:
        return redirect(_keep_next(reverse("accounts:otp_setup"), request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(request.user, form.cleaned_data["token"])
        if device is not None:
            response = redirect(_next_url(request, reverse("www:staff_home")))
            _finish_login(request, device, response, via_recovery_code=isinstance(device, StaticDevice))
            return response
        record_request(Action.OTP_FAILED, request, target=request.user)
        form.add_error("token", _("Ce code n’est pas valable. Vérifiez l’heure de votre téléphone et réessayez."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request, "")})


@policy.password_step
@sensitive_post_parameters("token")
@never_cache
def otp_setup(request):
    if twofactor.confirmed_totp(request.user) is not None:
        # Enrolling a second device would be a way around the first one.
        return redirect(_keep_next(reverse("accounts:otp_verify"), request))
    device = twofactor.pending_totp(request.user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            response = redirect(_keep_next(reverse("accounts:recovery_codes"), request))
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = twofactor.renew_recovery_codes(request.user)
                record_request(Action.OTP_ENROLLED, request, target=request.user)
                _finish_login(request, device, response)
            request.session["halte_new_recovery_codes"] = codes
            return response
        form.add_error("token", _("Ce code ne correspond pas. Saisissez le code affiché en ce moment."))
    context = {
        "form": form,
        "qr_svg": twofactor.qr_code_svg(device),
        "secret": twofactor.base32_secret(device),
        "next": _next_url(request, ""),
    }
    return render(request, "accounts/otp_setup.html", context)


@policy.verified
@never_cache
def recovery_codes(request):
    """Shows freshly generated recovery codes once; POST renews them."""
    if request.method == "POST":
        with transaction.atomic():
            codes = twofactor.renew_recovery_codes(request.user)
            record_request(Action.RECOVERY_CODES_RENEWED, request, target=request.user)
        request.session["halte_new_recovery_codes"] = codes
        return redirect("accounts:recovery_codes")
    codes = request.session.pop("halte_new_recovery_codes", None)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": _next_url(request, reverse("www:staff_home"))},
    )


@policy.verified
@never_cache
def choose_membership(request):
    memberships = list(
        Membership.objects.active()
        .filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    form = MembershipChoiceForm(request.POST or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        membership = form.cleaned_data["membership"]
        request.session[MEMBERSHIP_SESSION_KEY] = str(membership.public_id)
        request.membership = membership
        record_request(Action.MEMBERSHIP_SELECTED, request, target=membership)
        return redirect(_next_url(request, reverse("www:staff_home")))
    return render(request, "accounts/choose_membership.html", {"form": form, "next": _next_url(request, "")})


@policy.public
def no_membership(request):
    return render(request, "accounts/no_membership.html", status=403)


@policy.password_step
@require_POST
def logout(request):
    id_token = request.session.get(proconnect.ID_TOKEN_SESSION_KEY)
    if request.user.is_authenticated:
        record_request(Action.LOGOUT, request, target=request.user, detail={"proconnect": bool(id_token)})
    auth_logout(request)
    if id_token and proconnect.enabled():
        # Also end the session at ProConnect, which comes back to a page of Halte.
        back = settings.SITE_URL + reverse("accounts:proconnect_logged_out")
        return redirect(proconnect.end_session_url(id_token, back))
    messages.info(request, _("Vous êtes déconnecté."))
    return redirect("accounts:login")


def _proconnect_only(view):
    def wrapped(request, *args, **kwargs):
        if not proconnect.enabled():
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


_start_view = proconnect.AuthorisationRequestView.as_view()


@policy.public
@never_cache
@_proconnect_only
def proconnect_start(request):
    """The « S’identifier avec ProConnect » button: off to the provider."""
    return _start_view(request)


@policy.public
@never_cache
@_proconnect_only
def proconnect_callback(request):
    """ProConnect sends the browser back here with a code: match the agent, then the second factor."""
    try:
        user, backend = proconnect.authenticate(request)
    except proconnect.Refused as refusal:
        record(Action.PROCONNECT_REFUSED, detail={"reason": refusal.reason, "email": refusal.email or None})
        context = {"reason": refusal.reason}
        return render(request, "accounts/proconnect_refused.html", context, status=403)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[proconnect.ID_TOKEN_SESSION_KEY] = backend.id_token
    mfa = proconnect.asserted_second_factor(backend.id_claims)
    detail = {"acr": backend.id_claims.get("acr"), "amr": backend.id_claims.get("amr"), "mfa": mfa}
    record(Action.PROCONNECT_LOGIN, actor=user, target=user, detail=detail)
    next_url = request.session.pop("oidc_login_next", None) or ""
    if not mfa:
        step = "accounts:otp_verify" if twofactor.confirmed_totp(user) else "accounts:otp_setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}" if next_url else reverse(step))
    response = redirect(next_url or reverse("www:staff_home"))
    _finish_login(request, proconnect.device_for(user), response)
    return response


@policy.public
def proconnect_logged_out(request):
    """Where ProConnect sends the browser back after its own logout."""
    messages.info(request, _("Vous êtes déconnecté de Halte et de ProConnect."))
    return redirect("accounts:login")


@policy.verified
@never_cache
def account(request):
    """The person's own account; she sets her civility and title here (journaled)."""
    user = request.user
    initial = {"civility": user.civility, "title": user.title}
    form = AccountIdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {
            name: form.cleaned_data[name] for name in ("civility", "title") if form.cleaned_data[name] != initial[name]
        }
        if changed:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(**changed)
                record_request(
                    Action.USER_CHANGED, request, target=user, detail={"fields": sorted(changed), "via": "account"}
                )
        messages.success(request, _("Votre civilité et votre fonction sont enregistrées."))
        return redirect("accounts:account")
    memberships = list(user.memberships.active().select_related("organisation", "user"))
    context = {"totp": twofactor.confirmed_totp(user), "form": form, "memberships": memberships}
    return render(request, "accounts/account.html", context, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = EmailPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        record(Action.PASSWORD_RESET_REQUESTED, detail={"email": form.cleaned_data["email"][:254]})
        # Links in emails are built from the configured address, never from the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    # Never log in here: the second factor is still required afterwards.
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        record(Action.PASSWORD_CHANGED, actor=form.user, target=form.user, detail={"via": "reset"})
        return response


password_reset = policy.public(PasswordResetView.as_view())
password_reset_done = policy.public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = policy.public(PasswordResetConfirmView.as_view())
password_reset_complete = policy.public(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")
)
