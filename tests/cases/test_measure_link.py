"""The first protective measure is recorded in the measures register (halte.interventions): the case page
links there for those who manage the case, until a protective measure is in place. The old free-text
path of the cases app is gone."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from halte.interventions import measures

from .conftest import make_case

LINK = "Enregistrer une mesure de protection"


@pytest.fixture
def case(people):
    return make_case("HS-2026-000800", people.school_a_staff.school, people.coordinator, summary="Situation.")


def page_of(client, login, membership, case) -> str:
    client.logout()
    login(client, membership)
    return client.get(reverse("cases:detail", args=[case.public_id])).content.decode()


def test_the_link_shows_for_who_manages_until_a_protective_measure_is_in_place(client, login, people, case):
    href = reverse("interventions:measure_new", args=[case.public_id]) + "?categorie=protective"
    page = page_of(client, login, people.coordinator, case)
    assert LINK in page
    assert f'href="{href}"' in page
    for name in ("education_referent", "magistrate", "school_a_staff"):  # they read the case, do not manage it
        assert LINK not in page_of(client, login, getattr(people, name), case), name
    measures.record_measure(
        case=case,
        actor=people.coordinator,
        category="protective",
        kind="adult_referent",
        starts_on=timezone.localdate(),
    )
    case.refresh_from_db()
    assert case.first_measure_at is not None
    assert LINK not in page_of(client, login, people.coordinator, case)


def test_the_old_free_text_measure_route_is_gone(client, login, people, case):
    with pytest.raises(NoReverseMatch):
        reverse("cases:measure", args=[case.public_id])
    login(client, people.coordinator)
    response = client.post(f"/dossiers/{case.public_id}/mesure/", {"description": "Adulte référent désigné"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.first_measure_at is None
