"""The access policy: every page has a decision, and the role × page matrix holds.

`test_every_url_has_an_access_rule` is the fail-closed guard: a view added without a rule makes it
fail (and the middleware refuses such a view at run time anyway, see the next test).
"""

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse

from halte.access import policy
from halte.access.policy import ROLE_CAPABILITIES, Capability
from halte.accounts.models import Role


def walk(patterns, namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            extra = (entry.namespace,) if entry.namespace else ()
            yield from walk(entry.url_patterns, namespaces + extra)
        elif isinstance(entry, URLPattern):
            yield entry, list(namespaces)


def test_every_url_has_an_access_rule():
    undecided = [
        str(pattern.pattern)
        for pattern, namespaces in walk(get_resolver().url_patterns)
        if policy.rule_for(pattern.callback, namespaces) is None
    ]
    assert undecided == []


def undecided_view(request):
    return HttpResponse("secret")


urlpatterns = [path("undecided/", undecided_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_rule_is_refused_at_run_time(client, people, login, caplog):
    login(client, people.coordinator)
    response = client.get("/undecided/")
    assert response.status_code == 403
    assert b"secret" not in response.content
    assert "No access rule" in caplog.text


def test_every_role_has_a_row_in_the_capability_table():
    assert set(ROLE_CAPABILITIES) == set(Role)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.DPO, Role.ADMIN])
def test_admins_analysts_and_dpo_never_read_case_content(people, role):
    membership = next(m for m in people.all().values() if m.role == role)
    assert not policy.can_read_case_content(membership)


def test_case_workers_may_read_case_content(people):
    readers = {name for name, m in people.all().items() if policy.can_read_case_content(m)}
    assert readers == set(people.all()) - {"analyst", "dpo", "admin"}


def test_inactive_membership_or_organisation_grants_nothing(people):
    coordinator = people.coordinator
    coordinator.is_active = False
    assert not policy.has_capability(coordinator, Capability.USE_STAFF_AREA)
    coordinator.is_active = True
    coordinator.organisation.is_active = False
    assert not policy.has_capability(coordinator, Capability.USE_STAFF_AREA)


ALL = {
    "coordinator",
    "magistrate",
    "prosecutor_delegate",
    "education_referent",
    "social_worker",
    "school_a_staff",
    "school_b_staff",
    "police",
    "association_worker",
    "analyst",
    "dpo",
    "admin",
}

# page → the people who get 200; everybody else logged in gets 403.
STAFF_PAGES = {
    "www:staff_home": ALL,
    "www:search": ALL - {"analyst", "dpo", "admin"},
    "www:calendar": ALL - {"analyst", "dpo", "admin"},
    "accounts:account": ALL,
    "audit:journal": {"dpo", "admin"},
    "admin:index": {"admin"},
    "admin:accounts_user_changelist": {"admin"},
    "admin:accounts_membership_add": {"admin"},
    "admin:accounts_membershipgrant_changelist": {"admin"},
    "grants:list": {"admin", "coordinator"},
    "directory:partners": {"coordinator"},
    "directory:partner_new": {"coordinator"},
    "delivery:troubles": {"admin"},
}

PUBLIC_PAGES = [
    "www:home",
    "www:accessibility",
    "www:legal_notice",
    "www:privacy",
    "accounts:login",
    "accounts:password_reset",
]


@pytest.mark.parametrize("url_name", STAFF_PAGES)
def test_staff_page_matrix(client, people, login, url_name):
    url = reverse(url_name)
    seen = {}
    for name, membership in people.all().items():
        client.logout()
        login(client, membership)
        seen[name] = client.get(url).status_code
    expected = {name: 200 if name in STAFF_PAGES[url_name] else 403 for name in ALL}
    assert seen == expected


@pytest.mark.parametrize("url_name", STAFF_PAGES)
def test_staff_pages_send_anonymous_visitors_to_login(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url_name", STAFF_PAGES)
def test_staff_pages_need_the_second_factor(client, people, login, url_name):
    login(client, people.admin, verified=False)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp_verify"))


@pytest.mark.parametrize("url_name", PUBLIC_PAGES)
def test_public_pages_open_to_everyone(client, db, url_name):
    assert client.get(reverse(url_name)).status_code == 200


def test_navigation_follows_the_role(client, people, login):
    login(client, people.dpo)
    page = client.get(reverse("www:staff_home")).content.decode()
    assert reverse("audit:journal") in page
    assert reverse("admin:index") not in page
    client.logout()
    login(client, people.school_a_staff)
    page = client.get(reverse("www:staff_home")).content.decode()
    assert reverse("audit:journal") not in page
    assert "Collège A" in page
