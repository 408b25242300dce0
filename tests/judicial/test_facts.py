"""The parquet's own facts on a case: read only by those who read the judicial compartment (absent and
404 for everyone else), written by the magistrate and the délégué du procureur only, journaled, in the
judicial timeline, and versioned (a second save from the same version is refused with a French message)."""

import pytest
from django.urls import reverse

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.models import Event
from halte.judicial import actions
from halte.judicial.models import JudicialFacts
from tests.conftest import CAST

PROCEDURE = "26123000045"
NO_CONTENT = {"analyst", "dpo", "admin"}
# Page of case_a (school A, its judicial part shared with the police): who gets what.
PAGE = {
    "magistrate": 200,
    "prosecutor_delegate": 200,
    "police": 403,  # reads the judicial part through the share, does not write it
    "coordinator": 404,
    "education_referent": 404,
    "social_worker": 404,
    "school_a_staff": 404,
    "school_b_staff": 404,
    "association_worker": 404,
    **dict.fromkeys(NO_CONTENT, 403),
}
READERS = {"magistrate", "prosecutor_delegate", "police"}


def url(case):
    return reverse("judicial:facts", args=[case.public_id])


def valid(version=0, **extra):
    return {
        "procedure_number": PROCEDURE,
        "status": "investigation",
        "facts_established": "not_established",
        "outcome": "",
        "version": str(version),
    } | extra


@pytest.fixture
def recorded(people, world):
    return actions.save_facts(
        case=world.case_a,
        actor=people.magistrate,
        expected_version=0,
        procedure_number=PROCEDURE,
        status="investigation",
        facts_established="not_established",
    )


def test_every_role_gets_its_answer_and_a_refused_post_saves_nothing(client, login, people, world):
    seen, wrote = {}, {}
    for name in CAST:
        JudicialFacts.objects.all().delete()
        client.logout()
        login(client, getattr(people, name))
        get = client.get(url(world.case_a)).status_code
        post = client.post(url(world.case_a), valid())
        seen[name] = (get, post.status_code)
        wrote[name] = JudicialFacts.objects.filter(version__gt=0).exists()
    assert seen == {name: (code, 302 if code == 200 else code) for name, code in PAGE.items()}
    assert {name for name, did in wrote.items() if did} == {"magistrate", "prosecutor_delegate"}


def test_another_school_case_is_404_for_its_outsiders_and_the_police_without_a_share(client, login, people, world):
    for name in ("police", "school_a_staff", "association_worker"):
        client.logout()
        login(client, getattr(people, name))
        assert client.get(url(world.case_b)).status_code == 404, name
        assert client.post(url(world.case_b), valid()).status_code == 404, name
    assert not JudicialFacts.objects.exists()


def test_the_panel_shows_the_facts_to_judicial_readers_only(client, login, people, world, recorded):
    detail = reverse("cases:detail", args=[world.case_a.public_id])
    for name in CAST:
        if name in NO_CONTENT:
            continue
        client.logout()
        login(client, getattr(people, name))
        response = client.get(detail)
        page = response.content.decode()
        reads = name in READERS
        assert (PROCEDURE in page) is reads, name
        assert ("titre-volet-judiciaire" in page) is reads, name
        assert ("Enquête en cours" in page) is reads, name
        assert (url(world.case_a) in page) is (name in {"magistrate", "prosecutor_delegate"}), name


def test_a_save_is_journaled_and_sits_in_the_judicial_timeline(client, login, people, world):
    login(client, people.magistrate)
    response = client.post(url(world.case_a), valid(outcome="Rappel à la loi le 12/01/2027."))
    assert response.status_code == 302
    row = JudicialFacts.objects.get(case=world.case_a)
    assert (row.version, row.procedure_number, row.updated_by) == (1, PROCEDURE, people.magistrate)
    audit = AuditEvent.objects.get(action=AuditAction.JUDICIAL_FACTS_CHANGED)
    assert audit.membership == people.magistrate and audit.target_id == str(world.case_a.public_id)
    assert audit.detail["changed"] == ["facts_established", "outcome", "procedure_number", "status"]
    line = Event.objects.get(case=world.case_a, kind="judicial_facts")
    assert line.compartment == "judicial" and PROCEDURE in line.text
    client.logout()
    login(client, people.coordinator)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert PROCEDURE not in page and "Rappel à la loi" not in page


def test_two_saves_from_the_same_version_the_second_is_refused_in_french(client, login, people, world, recorded):
    login(client, people.magistrate)
    first = client.post(url(world.case_a), valid(version=1, status="dismissed"))
    assert first.status_code == 302
    client.logout()
    login(client, people.prosecutor_delegate)
    second = client.post(url(world.case_a), valid(version=1, status="prosecution", outcome="Écrasé ?"))
    assert second.status_code == 409
    page = second.content.decode()
    assert "modifié par quelqu’un d’autre" in page and "rien n’a été enregistré" in page
    row = JudicialFacts.objects.get(case=world.case_a)
    assert (row.status, row.outcome, row.version) == ("dismissed", "", 2)
    # The form shown again carries the version saved by the other person.
    assert 'name="version" value="2"' in page


def test_the_action_refuses_a_stale_version_and_a_role_that_may_not(people, world, recorded):
    with pytest.raises(actions.StaleJudicialFacts):
        actions.save_facts(case=world.case_a, actor=people.magistrate, expected_version=0, status="judgment")
    with pytest.raises(actions.JudicialRefused):
        actions.save_facts(case=world.case_a, actor=people.police, expected_version=1, status="judgment")
    with pytest.raises(actions.JudicialRefused):
        actions.save_facts(case=world.case_a, actor=people.coordinator, expected_version=1, status="judgment")
    assert JudicialFacts.objects.get(case=world.case_a).status == "investigation"


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "acquitted"},
        {"facts_established": "maybe"},
        {"version": "abc"},
        {"procedure_number": "9" * 41},
        {"version": ""},
    ],
)
def test_bad_input_gets_a_french_message_and_saves_nothing(client, login, people, world, bad):
    login(client, people.magistrate)
    response = client.post(url(world.case_a), valid() | bad)
    assert response.status_code == 400
    assert "Rien n’a été enregistré" in response.content.decode()
    if "version" in bad:  # a hidden field: its message is shown above the form, saying what to do
        assert "Rechargez la page" in response.content.decode()
    assert not JudicialFacts.objects.filter(version__gt=0).exists()


def test_the_coordinators_access_log_shows_the_parquets_visit_but_not_its_judicial_work(client, login, people, world):
    login(client, people.magistrate)
    assert client.get(url(world.case_a)).status_code == 200
    assert client.post(url(world.case_a), valid()).status_code == 302
    client.logout()
    login(client, people.coordinator)
    response = client.get(reverse("cases:access_log", args=[world.case_a.public_id]))
    assert response.status_code == 200
    rows = [row for row in response.context["page"] if row.membership_id == people.magistrate.pk]
    # Two entries of the magistrate (the page read, the save), both shown as a mere visit of the case.
    assert [row.shown_action for row in rows] == [str(AuditAction.CASE_READ.label)] * 2
    html = response.content.decode()
    assert str(AuditAction.JUDICIAL_FACTS_CHANGED.label) not in html
    assert "judicial" not in html and "judiciaire" not in html.lower()


def test_the_access_log_does_not_give_away_a_share_the_coordinator_does_not_see(client, login, people, world):
    """The parquet shares the judicial part with the police: the coordination does not learn the share
    exists (no sharing section lists it), so the log of visits does not list the police's visit either."""
    from datetime import timedelta

    from django.utils import timezone

    from halte.cases.models import Share

    Share.objects.create(
        case=world.case_a,
        organisation=people.police.organisation,
        compartments=["judicial", "core"],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.magistrate,
    )
    login(client, people.police)
    assert client.get(reverse("cases:detail", args=[world.case_a.public_id])).status_code == 200
    client.logout()
    login(client, people.coordinator)
    response = client.get(reverse("cases:access_log", args=[world.case_a.public_id]))
    visitors = {row.membership_id for row in response.context["page"]}
    assert people.coordinator.pk in visitors
    assert people.police.pk not in visitors
    assert people.police.organisation.name not in response.content.decode()
