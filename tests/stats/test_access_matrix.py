"""Roles × every URL of the statistics: who reads the dashboard, who writes and publishes the yearly
report, and the public page open to anyone. Fails when a URL of the ``stats`` namespace has no row.

Analysts read every figure but still nothing of a case."""

import pytest
from django.urls import get_resolver, reverse

from halte.stats import periods, publication

ROLES = [
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
]
VIEWERS = {"coordinator", "magistrate", "education_referent", "analyst"}
PUBLISHERS = {"coordinator"}


def year() -> int:
    return periods.current_school_year() - 1


# URL name → (method, who may, URL arguments).
URL_MATRIX = {
    "stats:dashboard": ("get", VIEWERS, lambda: []),
    "stats:export": ("get", VIEWERS, lambda: ["delais", "csv"]),
    "stats:yearly_reports": ("get", VIEWERS, lambda: []),
    "stats:yearly_report_pdf": ("get", VIEWERS, lambda: [year()]),
    "stats:yearly_report_edit": ("get", PUBLISHERS, lambda: [year()]),
    "stats:yearly_report_publish": ("post", PUBLISHERS, lambda: [year()]),
    "stats:yearly_report_unpublish": ("post", PUBLISHERS, lambda: [year()]),
    "stats:public_results": ("get", "public", lambda: []),
    "stats:public_year": ("get", "public", lambda: [year()]),
}


def stats_url_names():
    resolver = get_resolver()
    return {f"stats:{name}" for name in resolver.namespace_dict["stats"][1].reverse_dict if isinstance(name, str)}


def test_every_stats_url_is_in_the_matrix():
    assert stats_url_names() == set(URL_MATRIX)


@pytest.fixture
def published(people):
    return publication.publish(year=year(), actor=people.coordinator)


def _status(client, method, url):
    response = getattr(client, method)(url)
    return response.status_code


@pytest.mark.parametrize("url_name", sorted(URL_MATRIX))
def test_role_matrix(client, login, people, published, url_name):
    method, allowed, args = URL_MATRIX[url_name]
    url = reverse(url_name, args=args())
    seen = {}
    for role in ROLES:
        client.logout()
        login(client, getattr(people, role))
        seen[role] = _status(client, method, url)
    success = 302 if method == "post" else 200
    expected = {role: (success if allowed == "public" or role in allowed else 403) for role in ROLES}
    assert seen == expected
    client.logout()
    anonymous = _status(client, method, url)
    assert anonymous == (200 if allowed == "public" else 302)


def test_staff_pages_send_anonymous_people_to_the_login(client):
    response = client.get(reverse("stats:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_analysts_get_the_dashboard_but_never_a_case(client, login, people, schools):
    from .conftest import at, case

    target = case(opened_at=at(2025, 1, 6), school=schools["amiens_college"])
    login(client, people.analyst)
    assert client.get(reverse("stats:dashboard")).status_code == 200
    assert client.get(reverse("cases:detail", args=[target.public_id])).status_code in (403, 404)
    assert client.get(reverse("cases:list")).status_code == 403


def test_publishing_needs_a_post(client, login, people):
    login(client, people.coordinator)
    assert client.get(reverse("stats:yearly_report_publish", args=[year()])).status_code == 405
