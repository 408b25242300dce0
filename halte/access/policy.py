"""Who may see and do what: the one place where Halte decides access.

Three layers, each decided here and nowhere else:

1. *Pages*: every view carries exactly one :class:`Rule` (``@public``, ``@password_step``,
   ``@verified`` or ``@requires(Capability.X)``). :class:`~halte.access.middleware.AccessPolicyMiddleware`
   enforces it before the view runs and refuses any view that carries none (fail closed).
2. *Capabilities*: what a role may do, as one table (:data:`ROLE_CAPABILITIES`) — data, not ifs.
3. *Objects*: later modules add scoped querysets (``Case.objects.visible_to(membership)``) and
   ``can_<verb>_<noun>(membership, obj)`` predicates to this package, one condition per line.

Outsiders get 404 for objects they may not know about; insiders without the right get 403.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from halte.accounts.models import Role

if TYPE_CHECKING:
    from django.http import HttpRequest

    from halte.accounts.models import Membership


class Capability(enum.StrEnum):
    """Things a membership may do. Later modules add theirs here and in the table below."""

    USE_STAFF_AREA = "use_staff_area"
    READ_CASES = "read_cases"  # case content at all (core compartment, scoped later)
    TRIAGE_REPORTS = "triage_reports"  # the intake queue, every report, reporter identity
    FILE_REPORTS = "file_reports"  # type in a report received by phone, mail, at school…
    VIEW_STATISTICS = "view_statistics"  # the steering dashboard: aggregates only, never a case or a name
    PUBLISH_STATISTICS = "publish_statistics"  # write the yearly report's texts, publish the public results
    PLAN_MEETINGS = "plan_meetings"  # schedule the cell's meetings, edit their agenda, write minutes
    # Prevention
    REQUEST_WORKSHOPS = "request_workshops"  # a school asks for a workshop, observes weak signals
    MANAGE_PREVENTION = "manage_prevention"  # assign workshops, approvals, trainings, ambassadors
    PROVIDE_WORKSHOPS = "provide_workshops"  # an association confirms and records its sessions
    VIEW_COVERAGE = "view_coverage"  # prevention coverage per school year (counts only)
    VIEW_AUDIT_LOG = "view_audit_log"
    ADMINISTER = "administer"
    # Failed and stuck deliveries (titles only, never content) and their retry (halte/delivery).
    SUPERVISE_DELIVERIES = "supervise_deliveries"
    # Ask for, confirm or refuse a membership that needs a second person (access/grants.py).
    MANAGE_GRANTS = "manage_grants"
    # Keep the cell's directory of partners of one's département (access/partners.py).
    MANAGE_PARTNERS = "manage_partners"


_CASE_WORKERS = {Capability.USE_STAFF_AREA, Capability.READ_CASES}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.COORDINATOR: frozenset(
        _CASE_WORKERS
        | {
            Capability.TRIAGE_REPORTS,
            Capability.FILE_REPORTS,
            Capability.VIEW_STATISTICS,
            Capability.PUBLISH_STATISTICS,
            Capability.PLAN_MEETINGS,
            Capability.MANAGE_PREVENTION,
            Capability.VIEW_COVERAGE,
            Capability.MANAGE_GRANTS,
            Capability.MANAGE_PARTNERS,
        }
    ),
    Role.MAGISTRATE: frozenset(_CASE_WORKERS | {Capability.VIEW_STATISTICS}),
    Role.PROSECUTOR_DELEGATE: frozenset(_CASE_WORKERS),
    Role.EDUCATION_REFERENT: frozenset(_CASE_WORKERS | {Capability.VIEW_STATISTICS, Capability.VIEW_COVERAGE}),
    Role.SOCIAL_WORKER: frozenset(_CASE_WORKERS),
    Role.SCHOOL_STAFF: frozenset(_CASE_WORKERS | {Capability.FILE_REPORTS, Capability.REQUEST_WORKSHOPS}),
    Role.POLICE_LIAISON: frozenset(_CASE_WORKERS),
    Role.ASSOCIATION_WORKER: frozenset(_CASE_WORKERS | {Capability.PROVIDE_WORKSHOPS}),
    # Analysts, the DPO and administrators never read case content.
    Role.ANALYST: frozenset({Capability.USE_STAFF_AREA, Capability.VIEW_STATISTICS, Capability.VIEW_COVERAGE}),
    Role.DPO: frozenset({Capability.USE_STAFF_AREA, Capability.VIEW_AUDIT_LOG}),
    Role.ADMIN: frozenset(
        {
            Capability.USE_STAFF_AREA,
            Capability.ADMINISTER,
            Capability.VIEW_AUDIT_LOG,
            Capability.MANAGE_GRANTS,
            Capability.SUPERVISE_DELIVERIES,
        }
    ),
}

# Roles that never see the content of a case, whatever else changes (product brief §5).
ROLES_WITHOUT_CASE_CONTENT = frozenset({Role.ANALYST, Role.DPO, Role.ADMIN})


def has_capability(membership: Membership | None, capability: Capability) -> bool:
    """True when the membership is usable and its role grants the capability."""
    if membership is None:
        return False
    if not membership.is_active:
        return False
    if not membership.organisation.is_active:
        return False
    return capability in ROLE_CAPABILITIES.get(membership.role, frozenset())


def memberships_with(capability: Capability):
    """Active memberships whose role grants a capability: who to notify, who to escalate to."""
    from halte.accounts.models import Membership

    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]
    return Membership.objects.active().filter(role__in=roles).select_related("user", "organisation")


def can_read_case_content(membership: Membership | None) -> bool:
    if membership is None:
        return False
    if membership.role in ROLES_WITHOUT_CASE_CONTENT:
        return False
    return has_capability(membership, Capability.READ_CASES)


def is_fully_authenticated(user: Any) -> bool:
    """Password *and* second factor: the only state in which staff pages open."""
    if not user.is_authenticated:
        return False
    if not user.is_active:
        return False
    return bool(user.is_verified())


# --- Page rules -----------------------------------------------------------------------------------


class Level(enum.Enum):
    PUBLIC = "public"  # anyone, logged in or not
    PASSWORD_STEP = "password_step"  # noqa: S105 - a level name, not a password  # password accepted, second factor pending (2FA pages)
    VERIFIED = "verified"  # password and second factor, no membership needed (pick a membership)
    MEMBERSHIP = "membership"  # verified, acting under an active membership with a capability
    # Not a person's page: a monitoring server holding HALTE_METRICS_TOKEN (Authorization: Bearer).
    MONITORING = "monitoring"


@dataclass(frozen=True)
class Rule:
    level: Level
    capability: Capability | None = None

    def describe(self) -> str:
        return f"{self.level.value}:{self.capability.value}" if self.capability else self.level.value


RULE_ATTRIBUTE = "halte_access_rule"


def _mark(rule: Rule) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        setattr(view, RULE_ATTRIBUTE, rule)
        return view

    return decorate


public = _mark(Rule(Level.PUBLIC))
password_step = _mark(Rule(Level.PASSWORD_STEP))
verified = _mark(Rule(Level.VERIFIED))


# The metrics endpoint: for the monitoring server's token only, never for a session (a staff
# member logged in gets no more than anyone else without the token).
monitoring = _mark(Rule(Level.MONITORING))


def requires(capability: Capability) -> Callable[[Callable], Callable]:
    return _mark(Rule(Level.MEMBERSHIP, capability))


# Views we do not write ourselves get their rule by URL namespace.
NAMESPACE_RULES: dict[str, Rule] = {
    "admin": Rule(Level.MEMBERSHIP, Capability.ADMINISTER),
    # The JSON API authenticates each operation itself (public reads, per-organisation API keys).
    "api": Rule(Level.PUBLIC),
}


def rule_for(view: Callable, namespaces: list[str]) -> Rule | None:
    """The rule of a resolved view, or None when nobody decided (which the middleware refuses)."""
    rule = getattr(view, RULE_ATTRIBUTE, None)
    if rule is None and hasattr(view, "view_class"):
        rule = getattr(view.view_class, RULE_ATTRIBUTE, None)
    if rule is not None:
        return rule
    for namespace in namespaces:
        if namespace in NAMESPACE_RULES:
            return NAMESPACE_RULES[namespace]
    return None


def page_allows(membership: Membership | None, path: str) -> bool:
    """Whether the page rule of the view at ``path`` lets this membership in (capabilities only: the
    objects on that page are decided by their own scoped queries). A path nobody decided is refused."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    rule = rule_for(match.func, match.namespaces)
    if rule is None:
        return False
    if rule.level is not Level.MEMBERSHIP:
        return True
    assert rule.capability is not None
    return has_capability(membership, rule.capability)


class Outcome(enum.Enum):
    ALLOW = "allow"
    LOGIN = "login"  # not logged in: go to the login page
    SECOND_FACTOR = "second_factor"  # password ok, 2FA missing: enrol or verify
    CHOOSE_MEMBERSHIP = "choose_membership"  # several memberships, none picked
    NO_MEMBERSHIP = "no_membership"  # verified but attached to no active organisation
    FORBIDDEN = "forbidden"
    UNAUTHORIZED = "unauthorized"  # a token is needed and none was given (401)
    NOT_FOUND = "not_found"  # the page is switched off (404)


def decide(rule: Rule, request: HttpRequest) -> Outcome:
    """Apply a page rule to a request. Pure: the middleware turns the outcome into a response."""
    if rule.level is Level.PUBLIC:
        return Outcome.ALLOW
    if rule.level is Level.MONITORING:
        return monitoring_outcome(request)
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return Outcome.LOGIN
    if rule.level is Level.PASSWORD_STEP:
        return Outcome.ALLOW
    if not is_fully_authenticated(user):
        return Outcome.SECOND_FACTOR
    if rule.level is Level.VERIFIED:
        return Outcome.ALLOW
    membership = getattr(request, "membership", None)
    if membership is None:
        has_any = user.memberships.active().exists()
        return Outcome.CHOOSE_MEMBERSHIP if has_any else Outcome.NO_MEMBERSHIP
    assert rule.capability is not None
    if has_capability(membership, rule.capability):
        return Outcome.ALLOW
    return Outcome.FORBIDDEN


def monitoring_outcome(request: HttpRequest) -> Outcome:
    """The metrics endpoint: 404 unless HALTE_METRICS_TOKEN is configured, then the bearer token only,
    compared in constant time. Sessions, logins and memberships play no part."""
    from django.conf import settings

    expected = getattr(settings, "HALTE_METRICS_TOKEN", "") or ""
    if not expected:
        return Outcome.NOT_FOUND
    scheme, _space, given = request.headers.get("Authorization", "").strip().partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        return Outcome.UNAUTHORIZED
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")):
        return Outcome.FORBIDDEN
    return Outcome.ALLOW


# --- Navigation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    capability: Capability


STAFF_NAVIGATION: tuple[NavItem, ...] = (
    NavItem(_("Accueil"), "www:staff_home", Capability.USE_STAFF_AREA),
    NavItem(_("Signalements"), "reports:queue", Capability.TRIAGE_REPORTS),
    NavItem(_("Dossiers"), "cases:list", Capability.READ_CASES),
    NavItem(_("Mes échéances"), "cases:deadlines", Capability.READ_CASES),
    NavItem(_("Nos actions"), "cases:my_actions", Capability.READ_CASES),
    NavItem(_("Réunions"), "meetings:list", Capability.READ_CASES),
    NavItem(_("Calendrier"), "www:calendar", Capability.READ_CASES),
    NavItem(_("Signalements de ma structure"), "reports:mine", Capability.FILE_REPORTS),
    NavItem(_("Ateliers"), "prevention:requests", Capability.REQUEST_WORKSHOPS),
    NavItem(_("Ateliers"), "prevention:requests", Capability.MANAGE_PREVENTION),
    NavItem(_("Ateliers"), "prevention:requests", Capability.PROVIDE_WORKSHOPS),
    NavItem(_("Signaux faibles"), "prevention:observations", Capability.REQUEST_WORKSHOPS),
    NavItem(_("Formations"), "prevention:trainings", Capability.MANAGE_PREVENTION),
    NavItem(_("Couverture"), "prevention:coverage", Capability.VIEW_COVERAGE),
    NavItem(_("Pilotage"), "stats:dashboard", Capability.VIEW_STATISTICS),
    NavItem(_("Notifications"), "notifications:inbox", Capability.USE_STAFF_AREA),
    NavItem(_("Journal d'audit"), "audit:journal", Capability.VIEW_AUDIT_LOG),
    NavItem(_("Habilitations"), "grants:list", Capability.MANAGE_GRANTS),
    NavItem(_("Partenaires"), "directory:partners", Capability.MANAGE_PARTNERS),
    NavItem(_("Envois"), "delivery:troubles", Capability.SUPERVISE_DELIVERIES),
    NavItem(_("Administration"), "admin:index", Capability.ADMINISTER),
)


def navigation_for(membership: Membership | None) -> list[NavItem]:
    items, seen = [], set()
    for item in STAFF_NAVIGATION:
        if item.url_name not in seen and has_capability(membership, item.capability):
            items.append(item)
            seen.add(item.url_name)
    return items
