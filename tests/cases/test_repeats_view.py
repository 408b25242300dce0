"""Repeat detection on the case page: shown to the roles allowed to know, with the presumption of
innocence, and never to the others."""

from django.urls import reverse

from halte.cases.models import Involvement, Person

from .conftest import make_case


def test_a_returning_author_is_shown_only_to_roles_allowed_to_know(client, login, people):
    earlier = make_case("HS-2025-000007", people.school_b_staff.school, people.coordinator)
    current = make_case("HS-2026-000008", people.school_a_staff.school, people.coordinator)
    author = Person.objects.create(kind="pupil", first_name="Kevin", last_name="Martin-Dubois")
    Involvement.objects.create(case=earlier, person=author, role="alleged_author")
    Involvement.objects.create(case=current, person=author, role="alleged_author")
    url = reverse("cases:detail", args=[current.public_id])
    allowed = {"coordinator", "magistrate", "prosecutor_delegate", "education_referent"}
    for name in (
        "coordinator",
        "magistrate",
        "prosecutor_delegate",
        "education_referent",
        "social_worker",
        "school_a_staff",
    ):
        client.logout()
        login(client, getattr(people, name))
        page = client.get(url).content.decode()
        if name in allowed:
            assert "HS-2025-000007" in page, name
            assert "ne signifie pas" in page, name  # the presumption of innocence, in words
        else:
            assert "HS-2025-000007" not in page, name
