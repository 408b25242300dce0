"""Family support: contacts with both families, « parents informed » per family (or the documented
exception, which needs a reason), the « do not disclose to the family » warning, and the measures a
family-facing output may draw from."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.core.submission import new_token
from halte.interventions import families, measures
from halte.interventions.common import InterventionRefused
from halte.interventions.models import FamilyContact, ParentsInformation

WARNING = "Ne rien dire du volet judiciaire à la famille"
NEUTRAL_WARNING = (
    "Consigne de la cellule : ne pas informer la famille de certains éléments du dossier pour le moment. "
    "Limitez-vous à ce que la cellule a validé."
)


def contact_url(case):
    return reverse("interventions:family_contact", args=[case.public_id])


def exception_url(case):
    return reverse("interventions:parents_exception", args=[case.public_id])


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def contact_payload(people, cast, **overrides):
    data = {
        "family": "victim",
        "at": local(timezone.now() - timedelta(days=1)),
        "channel": "phone",
        "made_by": str(people.school_a_staff.public_id),
        "person": str(cast.victim_guardian.public_id),
        "summary": "Appel à la mère : point sur la situation et sur l’adulte référent.",
        "submission_token": new_token(),
    }
    data.update(overrides)
    return data


def test_a_contact_with_the_box_ticked_records_the_parents_as_informed(client, login, people, world, cast):
    login(client, people.school_a_staff)
    response = client.post(contact_url(world.case_a), contact_payload(people, cast, informed_of_situation="on"))
    assert response.status_code == 302
    contact = FamilyContact.objects.get()
    assert (contact.family, contact.person, contact.made_by) == ("victim", cast.victim_guardian, people.school_a_staff)
    info = ParentsInformation.objects.get(case=world.case_a, family="victim")
    assert info.status == "informed"
    assert info.informed_at == contact.at
    assert not ParentsInformation.objects.filter(family="author").exists()
    assert AuditEvent.objects.filter(action=Action.FAMILY_CONTACT_RECORDED).count() == 1
    assert AuditEvent.objects.filter(action=Action.PARENTS_INFORMATION_CHANGED).count() == 1
    html = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert "Informés le" in html
    assert "Pas encore informés" in html  # the author's family


def test_a_contact_without_the_box_does_not_inform(people, world, cast):
    families.record_family_contact(
        case=world.case_a,
        actor=people.coordinator,
        family="author",
        at=timezone.now(),
        channel="meeting",
        made_by=people.coordinator,
        summary="Rendez-vous fixé.",
    )
    assert not ParentsInformation.objects.exists()


def test_the_first_informed_date_is_kept(people, world):
    earlier = timezone.now() - timedelta(days=3)
    for moment in (earlier, timezone.now() - timedelta(days=1)):
        families.record_family_contact(
            case=world.case_a,
            actor=people.coordinator,
            family="author",
            at=moment,
            channel="phone",
            made_by=people.coordinator,
            summary="Appel.",
            informed_of_situation=True,
        )
    assert ParentsInformation.objects.get(family="author").informed_at == earlier


def test_the_exception_requires_a_reason(client, login, people, world):
    login(client, people.coordinator)
    response = client.post(exception_url(world.case_a), {"family": "victim", "reason": "   "})
    assert response.status_code == 400
    assert "Expliquez pourquoi informer ces parents irait contre l’intérêt de l’enfant" in response.content.decode()
    assert not ParentsInformation.objects.exists()
    with pytest.raises(InterventionRefused):
        families.document_exception(case=world.case_a, actor=people.coordinator, family="victim", reason="")
    assert not ParentsInformation.objects.exists()
    reason = "Le père est mis en cause dans des violences au domicile."
    assert client.post(exception_url(world.case_a), {"family": "victim", "reason": reason}).status_code == 302
    info = ParentsInformation.objects.get()
    assert (info.status, info.reason, info.informed_at) == ("exception", reason, None)
    html = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert reason in html


def test_a_later_informing_contact_replaces_the_exception(people, world):
    families.document_exception(case=world.case_a, actor=people.coordinator, family="author", reason="Danger.")
    families.record_family_contact(
        case=world.case_a,
        actor=people.coordinator,
        family="author",
        at=timezone.now(),
        channel="phone",
        made_by=people.coordinator,
        summary="Danger écarté, famille informée.",
        informed_of_situation=True,
    )
    info = ParentsInformation.objects.get()
    assert (info.status, info.reason) == ("informed", "")


def test_invalid_contact_is_refused_and_nothing_saved(client, login, people, world, cast):
    login(client, people.school_a_staff)
    future = client.post(
        contact_url(world.case_a),
        contact_payload(people, cast, at=local(timezone.now() + timedelta(days=2)), informed_of_situation="on"),
    )
    assert future.status_code == 400
    assert "La date du contact ne peut pas être dans le futur." in future.content.decode()
    no_summary = client.post(contact_url(world.case_a), contact_payload(people, cast, summary=""))
    assert no_summary.status_code == 400
    assert not FamilyContact.objects.exists()
    assert not ParentsInformation.objects.exists()


def test_school_staff_record_contacts_but_the_exception_is_the_cells(client, login, people, world):
    login(client, people.school_a_staff)
    assert client.get(contact_url(world.case_a)).status_code == 200
    assert client.get(exception_url(world.case_a)).status_code == 403
    assert client.post(exception_url(world.case_a), {"family": "victim", "reason": "x"}).status_code == 403
    assert not ParentsInformation.objects.exists()


# --- Do not disclose to the family ---------------------------------------------------------------------


@pytest.mark.parametrize("flag", [True, False])
def test_the_contact_form_warns_when_nothing_may_be_disclosed(client, login, people, world, flag):
    world.case_a.do_not_disclose_to_family = flag
    world.case_a.save()
    login(client, people.school_a_staff)
    html = client.get(contact_url(world.case_a)).content.decode()
    assert (NEUTRAL_WARNING in html) is flag
    assert (
        NEUTRAL_WARNING in client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    ) is flag


def warning_pages(client, case) -> dict[str, str]:
    return {
        "contact form": client.get(contact_url(case)).content.decode(),
        "case page": client.get(reverse("cases:detail", args=[case.public_id])).content.decode(),
    }


@pytest.mark.parametrize("name", ["school_a_staff", "coordinator"])
def test_the_warning_says_nothing_of_the_judicial_track_to_who_does_not_read_it(client, login, people, world, name):
    world.case_a.do_not_disclose_to_family = True
    world.case_a.save()
    login(client, getattr(people, name))
    for where, html in warning_pages(client, world.case_a).items():
        assert NEUTRAL_WARNING in html, where
        assert WARNING not in html, where
        assert "Le volet judiciaire de ce dossier" not in html, where
        assert "démarche judiciaire" not in html, where


def test_the_warning_keeps_its_judicial_wording_for_who_reads_the_judicial_part(client, login, people, world):
    world.case_a.do_not_disclose_to_family = True
    world.case_a.save()
    world.case_a.co_workers.add(people.magistrate)  # on the case's team: records family contacts
    login(client, people.magistrate)
    for where, html in warning_pages(client, world.case_a).items():
        assert WARNING in html, where
        assert "ne parlez d’aucune démarche judiciaire" in html, where
        assert NEUTRAL_WARNING not in html, where


def test_family_facing_measures_never_list_a_judicial_measure(people, world, cast):
    world.case_a.do_not_disclose_to_family = True
    world.case_a.save()
    today = timezone.localdate()
    core = measures.record_measure(
        case=world.case_a, actor=people.coordinator, category="protective", kind="adult_referent", starts_on=today
    )
    disciplinary = measures.record_measure(
        case=world.case_a,
        actor=people.school_a_staff,
        category="disciplinary",
        kind="reprimand",
        person=cast.author,
        starts_on=today,
    )
    measures.record_measure(
        case=world.case_a,
        actor=people.prosecutor_delegate,
        category="judicial",
        kind="prosecution_alternative",
        person=cast.author,
        starts_on=today,
    )
    measures.record_measure(  # another case's measure never leaks in either
        case=world.case_b, actor=people.coordinator, category="protective", kind="peer_support", starts_on=today
    )
    assert set(families.family_facing_measures(world.case_a)) == {core, disciplinary}
    assert set(measures.family_facing_measures(world.case_a)) == {core, disciplinary}
