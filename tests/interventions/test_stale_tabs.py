"""A page kept open in a second tab after the thing it lifts was lifted in the first: never a 404 (under
DEBUG, Django's list of addresses), but back to the case with who did it and when."""

from django.urls import reverse

from halte.core.submission import new_token
from halte.interventions import families
from halte.interventions.models import FamilyRestriction, ParentsInformation


def test_a_restriction_lifted_in_another_tab_says_who_lifted_it(client, login, people, world, cast):
    case = world.case_a
    restriction = families.set_restriction(
        case=case, actor=people.magistrate, pupil=cast.author, reason="Auditions en cours."
    )
    login(client, people.magistrate)
    url = reverse("interventions:restriction_lift", args=[case.public_id, restriction.public_id])
    tab_a, tab_b = new_token(), new_token()
    assert client.get(url).status_code == 200  # both tabs open the page
    assert client.post(url, {"reason": "Auditions faites.", "submission_token": tab_a}).status_code == 302
    for second_tab in (
        lambda: client.post(url, {"reason": "Les auditions sont faites.", "submission_token": tab_b}),
        lambda: client.get(url),
    ):
        response = second_tab()
        assert response.status_code == 302, response.status_code
        page = client.get(response["Location"]).content.decode()
        who = people.magistrate.user.get_full_name()
        assert f"Consigne déjà levée par {who} le " in page
    restriction.refresh_from_db()
    assert restriction.lift_reason == "Auditions faites."
    assert FamilyRestriction.objects.filter(case=case).count() == 1


def test_a_restriction_of_another_case_is_still_not_found(client, login, people, world, cast):
    restriction = families.set_restriction(
        case=world.case_a, actor=people.magistrate, pupil=cast.author, reason="Auditions en cours."
    )
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=restriction, reason="Fini.")
    login(client, people.magistrate)
    url = reverse("interventions:restriction_lift", args=[world.case_b.public_id, restriction.public_id])
    assert client.get(url).status_code == 404


def test_the_cells_exception_lifted_in_another_tab_says_who_lifted_it(client, login, people, world, cast):
    case = world.case_a
    families.document_exception(case=case, actor=people.coordinator, pupil=cast.author, reason="Danger au foyer.")
    login(client, people.coordinator)
    url = reverse("interventions:parents_exception_lift", args=[case.public_id, cast.author.public_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "Le danger est écarté.", "submission_token": new_token()}).status_code == 302
    for second_tab in (
        lambda: client.post(url, {"reason": "Écarté.", "submission_token": new_token()}),
        lambda: client.get(url),
    ):
        response = second_tab()
        assert response.status_code == 302, response.status_code
        page = client.get(response["Location"]).content.decode()
        who = people.coordinator.user.get_full_name()
        assert f"Décision déjà levée par {who} le " in page
    assert not ParentsInformation.objects.filter(case=case, status="exception").exists()
    # A pupil who was never under it, or of no family of the case, is still not found.
    victim_url = reverse("interventions:parents_exception_lift", args=[case.public_id, cast.victim.public_id])
    assert client.get(victim_url).status_code == 404
