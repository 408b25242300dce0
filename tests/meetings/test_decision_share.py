"""A decision of the cell given to an organisation that cannot read the case: the decision form proposes
the share it needs (prefilled with the action's compartment, legal basis and expiry); checked, the share is
written with the action, all or nothing; unchecked, the decision goes out and the coordinator is told
that the organisation works from the action's page. A forged share of a compartment never shared saves
nothing, and a double submit creates one action and one share."""

from datetime import timedelta

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.models import Action, Share

from .test_minutes import in_days, nothing_saved, post_data, url_of

TITLE = "Proposer un accompagnement à l’élève victime et à sa mère"


def decision(organisation, **extra):
    return {"title": TITLE, "owner_organisation": organisation.pk, "due_on": in_days(5), **extra}


def with_share(compartments=("core",), basis="secret_partage"):
    return {
        "share": "on",
        "share_compartments": list(compartments),
        "share_legal_basis": basis,
        "share_expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }


def test_the_decision_form_proposes_the_share_prefilled(client, login, people, cell):
    # The parquet's judicial share with the police (the cell fixture) does not exist for the coordination.
    Share.objects.create(
        case=cell.case_a,
        organisation=people.association_worker.organisation,
        compartments=["core"],
        legal_basis="convention",
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.coordinator,
    )
    login(client, people.coordinator)
    response = client.get(url_of(cell.item_a))
    first = response.context["formset"].forms[0]
    assert first["share_compartments"].initial == ["core"]
    assert first["share_legal_basis"].initial == "convention"
    # The coordination does not read the judicial part: it is not offered to share it.
    assert "judicial" not in {value for value, _label in first.fields["share_compartments"].choices}
    page = response.content.decode()
    assert "Partager aussi le dossier avec cette structure" in page
    assert f"Dossier déjà partagé avec : {people.association_worker.organisation.name}." in page
    assert "DIPN de la Somme" not in response.context["shared_with"]


def test_a_decision_with_its_share_opens_the_case_to_the_association(client, login, people, cell):
    association = people.association_worker.organisation
    login(client, people.coordinator)
    response = client.post(url_of(cell.item_a), post_data(decisions=[decision(association, **with_share())]))
    assert response.status_code == 302
    action = Action.objects.get(case=cell.case_a)
    share = Share.objects.get(case=cell.case_a, organisation=association)
    assert (action.owner_organisation, share.compartments, share.legal_basis) == (
        association,
        ["core"],
        "secret_partage",
    )
    assert AuditEvent.objects.filter(action=AuditAction.CASE_SHARED, target_id=str(cell.case_a.public_id)).exists()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("n’a pas accès" in m for m in said)
    client.logout()
    login(client, people.association_worker)
    page = client.get(reverse("cases:action", args=[action.public_id])).content.decode()
    assert reverse("cases:detail", args=[cell.case_a.public_id]) in page
    assert client.get(reverse("cases:detail", args=[cell.case_a.public_id])).status_code == 200


def test_without_a_share_the_decision_goes_out_and_the_coordinator_is_told(client, login, people, cell):
    association = people.association_worker.organisation
    login(client, people.coordinator)
    response = client.post(url_of(cell.item_a), post_data(decisions=[decision(association)]))
    assert response.status_code == 302
    assert Action.objects.filter(case=cell.case_a, owner_organisation=association).exists()
    assert not Share.objects.filter(organisation=association).exists()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("France Victimes 80 n’a pas accès au dossier HS-2026-000001" in m for m in said), said


def test_a_forged_health_share_to_the_police_saves_nothing(client, login, people, cell):
    login(client, people.coordinator)
    forged = decision(people.police.organisation, **with_share(["core", "health"], "art40"))
    response = client.post(url_of(cell.item_a), post_data(decisions=[forged]))
    assert response.status_code == 400
    assert "jamais partagés avec DIPN de la Somme" in response.content.decode()
    nothing_saved(cell)
    assert Share.objects.filter(case=cell.case_a).count() == 1  # the fixture's judicial share only


def test_a_double_submit_records_one_decision_and_one_share(client, login, people, cell):
    association = people.association_worker.organisation
    login(client, people.coordinator)
    data = post_data(decisions=[decision(association, **with_share())])
    client.post(url_of(cell.item_a), data)
    second = client.post(url_of(cell.item_a), data, follow=True)
    assert "Déjà enregistré" in second.content.decode()
    assert Action.objects.filter(case=cell.case_a).count() == 1
    assert Share.objects.filter(organisation=association).count() == 1


def test_spare_lines_with_the_prefilled_share_stay_blank(client, login, people, cell):
    """A browser posts the prefilled share details of the unused lines: they are not decisions."""
    login(client, people.coordinator)
    data = post_data(decisions=[decision(people.school_a_staff.organisation)])
    for index in (1, 2):
        data[f"decisions-{index}-share_compartments"] = ["core"]
        data[f"decisions-{index}-share_legal_basis"] = "convention"
        data[f"decisions-{index}-share_expires_on"] = (timezone.localdate() + timedelta(days=90)).isoformat()
    assert client.post(url_of(cell.item_a), data).status_code == 302
    assert Action.objects.filter(case=cell.case_a).count() == 1


def test_who_may_not_share_is_not_offered_the_share_and_cannot_forge_it(client, login, people, cell):
    """The education referent on the case writes minutes but does not share: no share field, a forged one ignored."""
    cell.case_a.co_workers.add(people.education_referent)
    login(client, people.education_referent)
    form = client.get(url_of(cell.item_a)).context["formset"].forms[0]
    assert "share" not in form.fields
    association = people.association_worker.organisation
    client.post(url_of(cell.item_a), post_data(decisions=[decision(association, **with_share())]))
    assert Action.objects.filter(case=cell.case_a, owner_organisation=association).count() == 1
    assert not Share.objects.filter(organisation=association).exists()


def test_the_decision_form_warns_of_a_family_under_instruction(client, login, people, cell):
    """The cell decides « appeler la mère » while the parquet said « ne pas informer » that family: the
    decision form says so before anyone is handed the call."""
    from halte.cases.models import Involvement, Person
    from halte.interventions import families

    login(client, people.coordinator)
    caution = "Consigne sur une famille de ce dossier"
    assert caution not in client.get(url_of(cell.item_a)).content.decode()
    pupil = Person.objects.create(kind="pupil", first_name="Chloé", last_name="Marchal")
    Involvement.objects.create(case=cell.case_a, person=pupil, role="victim")
    families.set_restriction(case=cell.case_a, actor=people.magistrate, pupil=pupil, reason="Audition prévue jeudi.")
    html = client.get(url_of(cell.item_a)).content.decode()
    assert caution in html
    assert "Audition prévue" not in html


def test_a_decision_naming_a_held_family_asks_a_confirmation(client, login, people, cell):
    """« Recevoir le père d’Enzo pour l’informer des mesures » while Enzo's family is under « ne pas
    informer »: the form names that family and saves nothing until the writer confirms."""
    from halte.cases.models import Involvement, Person
    from halte.interventions import families

    enzo = Person.objects.create(kind="pupil", first_name="Enzo", last_name="Lefèvre")
    Involvement.objects.create(case=cell.case_a, person=enzo, role="alleged_author")
    families.set_restriction(case=cell.case_a, actor=people.magistrate, pupil=enzo, reason="Audition prévue jeudi.")
    login(client, people.coordinator)
    held = {
        **decision(people.school_a_staff.organisation),
        "title": "Recevoir le père d’Enzo pour l’informer des mesures",
    }
    response = client.post(url_of(cell.item_a), post_data(decisions=[held]))
    assert response.status_code == 400  # refused until confirmed, as every form shown again after a post
    html = response.content.decode()
    assert "la famille d’Enzo Lefèvre" in html and "Cochez la case" in html
    assert "Audition prévue" not in html
    nothing_saved(cell)
    confirmed = {**post_data(decisions=[held]), "hold_confirmed": "on"}
    assert client.post(url_of(cell.item_a), confirmed).status_code == 302
    assert Action.objects.filter(case=cell.case_a).count() == 1
