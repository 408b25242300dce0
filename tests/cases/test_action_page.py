"""An action given to an organisation that cannot read the case: its own page (what to do, the case
reference, the school, who asked and whom to call, the case only through a share), the share proposed
with the action (created in the same transaction, never of a compartment that kind of organisation
never receives, only by someone allowed to share), completing and reporting a difficulty from there.

Attacks first: another association, a conflicted organisation, an expired or revoked share, a forged
share of a compartment never shared, a person who may not share, a double submit."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import Civility, Membership, OrganisationKind, Role
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions
from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import Action, Case, ConflictOfInterest, Event, Share
from halte.core.submission import new_token
from halte.notifications.models import Kind, Notification
from tests.factories import MembershipFactory, OrganisationFactory

from .conftest import CORE_MARK, make_case

TITLE = "Proposer un accompagnement à l’élève victime et à sa mère"


@pytest.fixture
def case(people):
    lead = people.coordinator
    lead.user.phone = "03 22 00 11 22"
    lead.user.save(update_fields=["phone"])
    return make_case("HS-2026-000700", people.school_a_staff.school, lead)


@pytest.fixture
def action(people, case):
    return Action.objects.create(
        case=case,
        title=TITLE,
        owner_organisation=people.association_worker.organisation,
        due_at=timezone.now() + timedelta(days=5),
        created_by=people.coordinator,
    )


def page_url(action):
    return reverse("cases:action", args=[action.public_id])


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def action_post(people, organisation, **extra):
    data = {
        "action-title": TITLE,
        "action-submission_token": new_token(),
        "action-owner_organisation": str(organisation.pk),
        "action-due_at": local_input(timezone.now() + timedelta(days=3)),
    }
    data.update(extra)
    return data


def share_fields(compartments=("core",), basis="convention", days=60):
    return {
        "action-share": "on",
        "action-share_compartments": list(compartments),
        "action-share_legal_basis": basis,
        "action-share_expires_on": (timezone.localdate() + timedelta(days=days)).isoformat(),
    }


# --- Who opens the action's page ----------------------------------------------------------------------


def test_the_owner_association_sees_what_to_do_and_whom_to_call_but_not_the_case(client, login, people, case, action):
    login(client, people.association_worker)
    response = client.get(page_url(action))
    assert response.status_code == 200
    page = response.content.decode()
    lead = people.coordinator
    for expected in (
        TITLE,
        case.reference,
        "Collège A",  # the school
        lead.user.get_full_name(),
        "03 22 00 11 22",
        lead.user.email,
        lead.organisation.name,
        str(lead.get_role_display()),
        "Votre structure n’a pas accès au dossier",
    ):
        assert expected in page, expected
    assert CORE_MARK not in page  # the case's facts never show without a share
    assert reverse("cases:detail", args=[case.public_id]) not in page
    assert client.get(reverse("cases:detail", args=[case.public_id])).status_code == 404


def test_the_contact_reads_with_her_own_title_or_the_role_agreeing_with_her(client, login, people, case, action):
    lead = people.coordinator
    lead.user.civility = Civility.MADAME
    lead.user.save(update_fields=["civility"])
    login(client, people.association_worker)
    page = client.get(page_url(action)).content.decode()
    assert "Coordinatrice de la cellule" in page
    assert str(lead.get_role_display()) not in page  # « Coordinateur ou coordinatrice »
    lead.user.title = "Cheffe de projet de la cellule"
    lead.user.save(update_fields=["title"])
    page = client.get(page_url(action)).content.decode()
    assert "Cheffe de projet de la cellule" in page and "Coordinatrice de la cellule" not in page


def test_the_access_log_names_each_visitor_with_her_own_title(client, login, people, case):
    people.coordinator.user.civility = Civility.MADAME
    people.coordinator.user.save(update_fields=["civility"])
    login(client, people.coordinator)
    client.get(reverse("cases:detail", args=[case.public_id]))
    page = client.get(reverse("cases:access_log", args=[case.public_id])).content.decode()
    assert "Coordinatrice de la cellule" in page
    assert str(people.coordinator.get_role_display()) not in page


def test_the_page_is_a_journaled_read_of_the_case(client, login, people, case, action):
    login(client, people.association_worker)
    client.get(page_url(action))
    event = AuditEvent.objects.get(action=AuditAction.CASE_READ, membership=people.association_worker)
    assert event.target_id == str(case.public_id)
    assert event.detail == {"page": "action", "action": str(action.public_id), "compartments": ["core"]}


def test_another_association_gets_404_everywhere(client, login, people, action):
    other = MembershipFactory(
        organisation=OrganisationFactory(name="Association voisine", kind=OrganisationKind.ASSOCIATION),
        role=Role.ASSOCIATION_WORKER,
    )
    login(client, other)
    assert client.get(page_url(action)).status_code == 404
    for name in ("complete_action", "cancel_action", "report_difficulty"):
        url = reverse(f"cases:{name}", args=[action.public_id])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {f"action-{action.pk}-note": "x", "text": "x"}).status_code == 404, name
    action.refresh_from_db()
    assert action.status == "open"
    assert not Event.objects.filter(kind__startswith="action_").exists()


def test_a_conflicted_organisation_gets_404(client, login, people, case):
    school = people.school_a_staff.organisation
    action = Action.objects.create(case=case, title=TITLE, owner_organisation=school, created_by=people.coordinator)
    login(client, people.school_a_staff)
    assert client.get(page_url(action)).status_code == 200
    ConflictOfInterest.objects.create(
        case=case, organisation=school, reason="Un enseignant mis en cause", decided_by=people.coordinator
    )
    assert client.get(page_url(action)).status_code == 404
    assert client.get(reverse("cases:report_difficulty", args=[action.public_id])).status_code == 404


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_an_expired_or_revoked_share_opens_nothing_more_than_the_action(client, login, people, case, action, state):
    share = Share.objects.create(
        case=case,
        organisation=people.association_worker.organisation,
        compartments=[Compartment.CORE],
        legal_basis=LegalBasis.CONVENTION,
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.coordinator,
    )
    login(client, people.association_worker)
    assert reverse("cases:detail", args=[case.public_id]) in client.get(page_url(action)).content.decode()
    if state == "expired":
        Share.objects.filter(pk=share.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    else:
        actions.revoke_share(share=share, actor=people.coordinator)
    page = client.get(page_url(action)).content.decode()
    assert reverse("cases:detail", args=[case.public_id]) not in page
    assert CORE_MARK not in page
    assert client.get(reverse("cases:detail", args=[case.public_id])).status_code == 404


def test_with_a_core_share_the_page_links_to_the_case(client, login, people, case, action):
    actions.share(
        case=case,
        actor=people.coordinator,
        organisation=people.association_worker.organisation,
        compartments=[Compartment.CORE],
        legal_basis=LegalBasis.SHARED_SECRET,
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    login(client, people.association_worker)
    page = client.get(page_url(action)).content.decode()
    assert reverse("cases:detail", args=[case.public_id]) in page
    assert client.get(reverse("cases:detail", args=[case.public_id])).status_code == 200


def test_roles_without_case_content_are_refused(client, login, people, action):
    for name in ("analyst", "dpo", "admin"):
        client.logout()
        login(client, getattr(people, name))
        assert client.get(page_url(action)).status_code == 403, name


# --- The share proposed with an action ------------------------------------------------------------------


def test_the_action_goes_out_with_its_share_in_one_go(client, login, people, case):
    association = people.association_worker.organisation
    login(client, people.coordinator)
    form = client.get(reverse("cases:add_action", args=[case.public_id])).context["form"]
    assert form["share_compartments"].initial == [Compartment.CORE]  # prefilled with the action's compartment
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]),
        action_post(people, association, **share_fields(basis="secret_partage")),
    )
    assert response.status_code == 302
    action = Action.objects.get(case=case)
    share = Share.objects.get(case=case, organisation=association)
    assert (share.compartments, share.legal_basis, share.created_by) == (["core"], "secret_partage", people.coordinator)
    assert share.expires_on == timezone.localdate() + timedelta(days=60)
    shared = AuditEvent.objects.get(action=AuditAction.CASE_SHARED)
    assert shared.detail["compartments"] == ["core"]
    assert case.events.filter(kind="shared").exists()
    created = AuditEvent.objects.get(action=AuditAction.CASE_ACTION_CREATED)
    assert created.detail == {"action_id": str(action.public_id), "shared": True}
    client.logout()
    login(client, people.association_worker)
    assert client.get(reverse("cases:detail", args=[case.public_id])).status_code == 200


def test_unchecked_the_action_goes_out_alone_and_the_form_says_so(client, login, people, case):
    login(client, people.coordinator)
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]), action_post(people, people.association_worker.organisation)
    )
    assert response.status_code == 302
    assert Action.objects.filter(case=case).count() == 1
    assert not Share.objects.exists()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("n’a pas accès à ce dossier" in m for m in said), said


def test_the_school_of_the_case_needs_no_share_and_is_not_warned(client, login, people, case):
    login(client, people.coordinator)
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]), action_post(people, people.school_a_staff.organisation)
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("n’a pas accès" in m for m in said), said


@pytest.mark.parametrize("compartments", [["health"], ["core", "health"]])
def test_a_forged_share_of_a_compartment_never_shared_is_refused_and_nothing_is_written(
    client, login, people, case, compartments
):
    """Health never goes to the police, whatever the posted form says: no action, no share, no line."""
    login(client, people.coordinator)
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]),
        action_post(people, people.police.organisation, **share_fields(compartments)),
    )
    assert response.status_code == 400
    assert "jamais partagés avec DIPN de la Somme" in response.content.decode()
    assert not Action.objects.exists()
    assert not Share.objects.exists()
    assert not Event.objects.filter(case=case).exists()


def test_the_domain_refuses_a_forged_share_too_and_keeps_nothing(people, case):
    with pytest.raises(actions.ActionRefused):
        actions.create_action(
            case=case,
            actor=people.coordinator,
            title=TITLE,
            owner_organisation=people.police.organisation,
            share_with=actions.ShareRequest(
                compartments=["health"], legal_basis="art40", expires_on=timezone.localdate() + timedelta(days=9)
            ),
        )
    assert not Action.objects.exists()
    assert not Share.objects.exists()


def test_a_refused_action_takes_its_share_back(people, case):
    """The share is written first; an action then refused (judicial action, core share) rolls it back."""
    with pytest.raises(actions.ActionRefused):
        actions.create_action(
            case=case,
            actor=people.coordinator,
            title=TITLE,
            owner_organisation=people.association_worker.organisation,
            compartment=Compartment.JUDICIAL,
            share_with=actions.ShareRequest(
                compartments=["core"], legal_basis="convention", expires_on=timezone.localdate() + timedelta(days=9)
            ),
        )
    assert not Share.objects.exists()
    assert not Action.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_SHARED).exists()


def test_only_someone_allowed_to_share_may_propose_a_share(client, login, people, case):
    """The education referent on the case may add actions but not share: no share field, a forged one ignored,
    and the domain refuses it."""
    case.co_workers.add(people.education_referent)
    login(client, people.education_referent)
    form = client.get(reverse("cases:add_action", args=[case.public_id])).context["form"]
    assert "share" not in form.fields
    client.post(
        reverse("cases:add_action", args=[case.public_id]),
        action_post(people, people.association_worker.organisation, **share_fields()),
    )
    assert Action.objects.count() == 1
    assert not Share.objects.exists()
    with pytest.raises(actions.ActionRefused, match="seule la coordination"):
        actions.create_action(
            case=case,
            actor=people.education_referent,
            title=TITLE,
            owner_organisation=people.association_worker.organisation,
            share_with=actions.ShareRequest(
                compartments=["core"], legal_basis="convention", expires_on=timezone.localdate() + timedelta(days=9)
            ),
        )
    assert Action.objects.count() == 1
    assert not Share.objects.exists()


def test_a_double_submit_creates_one_action_and_one_share(client, login, people, case):
    login(client, people.coordinator)
    data = action_post(people, people.association_worker.organisation, **share_fields())
    url = reverse("cases:add_action", args=[case.public_id])
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    assert first.status_code == 302
    assert "Déjà enregistré" in second.content.decode()
    assert Action.objects.count() == 1
    assert Share.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.ACTION_ASSIGNED).count() == 1


def test_a_past_expiry_or_a_missing_basis_is_a_french_message(client, login, people, case):
    login(client, people.coordinator)
    fields = share_fields(days=-1)
    fields["action-share_legal_basis"] = ""
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]),
        action_post(people, people.association_worker.organisation, **fields),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choisissez une date à venir" in page
    assert "Choisissez le fondement juridique du partage" in page
    assert "Rien n’a été enregistré" in page
    assert not Action.objects.exists()
    assert not Share.objects.exists()


# --- Completing, reporting a difficulty -------------------------------------------------------------------


def test_the_association_completes_from_the_action_page(client, login, people, action):
    login(client, people.association_worker)
    url = reverse("cases:complete_action", args=[action.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {f"action-{action.pk}-note": "   "})
    assert response.status_code == 400
    assert "Indiquez ce qui a été fait" in response.content.decode()
    action.refresh_from_db()
    assert action.status == "open"
    response = client.post(url, {f"action-{action.pk}-note": "Première rencontre avec la mère le 9."})
    assert response.url == page_url(action)
    action.refresh_from_db()
    assert (action.status, action.done_by) == ("done", people.association_worker)
    again = client.post(url, {f"action-{action.pk}-note": "Encore."}, follow=True)
    who = people.association_worker.user.get_full_name()
    assert f"Action déjà faite, enregistrée par {who} le " in again.content.decode()
    assert client.get(url).url == page_url(action)  # no form for a finished action
    assert AuditEvent.objects.filter(action=AuditAction.CASE_ACTION_CHANGED).count() == 1


def test_a_difficulty_reaches_the_lead_once_without_its_text(client, login, people, case, action):
    login(client, people.association_worker)
    url = reverse("cases:report_difficulty", args=[action.public_id])
    data = {"text": "La mère ne répond pas au téléphone.", "submission_token": new_token()}
    assert client.post(url, data).url == page_url(action)
    second = client.post(url, data, follow=True)
    assert "Déjà enregistré" in second.content.decode()
    events = Event.objects.filter(case=case, kind="action_difficulty")
    assert events.count() == 1
    assert events.get().compartment == Compartment.CORE
    told = Notification.objects.get(kind=Kind.ACTION_DIFFICULTY)
    assert told.membership == people.coordinator
    assert told.url == page_url(action)
    assert "téléphone" not in told.title
    action.refresh_from_db()
    assert action.status == "open"


def test_an_empty_difficulty_is_a_french_message(client, login, people, action):
    login(client, people.association_worker)
    response = client.post(
        reverse("cases:report_difficulty", args=[action.public_id]), {"text": " ", "submission_token": new_token()}
    )
    assert response.status_code == 400
    assert "Rien n’a été enregistré" in response.content.decode()
    assert not Event.objects.filter(kind="action_difficulty").exists()


def test_only_the_owner_organisation_reports_a_difficulty(client, login, people, action):
    login(client, people.coordinator)  # reads the action, does not owe it
    response = client.post(
        reverse("cases:report_difficulty", args=[action.public_id]), {"text": "x", "submission_token": new_token()}
    )
    assert response.status_code == 403


# --- Where the page is linked from ------------------------------------------------------------------------


def test_the_page_is_linked_from_nos_actions_today_and_the_notification(client, login, people, case):
    action = actions.create_action(
        case=case, actor=people.coordinator, title=TITLE, owner_organisation=people.association_worker.organisation
    )
    login(client, people.association_worker)
    assert page_url(action) in client.get(reverse("cases:my_actions")).content.decode()
    assert page_url(action) in client.get(reverse("www:staff_home")).content.decode()
    assert Notification.objects.get(membership=people.association_worker).url == page_url(action)


def test_the_coordination_is_not_told_of_a_judicial_share_when_it_gives_an_action(client, login, people, case):
    """« Dossier déjà partagé avec » lists only the shares the member may manage: the parquet's judicial
    share with a police unit does not exist for the coordination."""
    police = people.police.organisation
    Share.objects.create(
        case=case,
        organisation=police,
        compartments=["judicial"],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.magistrate,
    )
    Share.objects.create(
        case=case,
        organisation=people.association_worker.organisation,
        compartments=["core"],
        legal_basis="convention",
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.coordinator,
    )
    login(client, people.coordinator)
    response = client.get(reverse("cases:add_action", args=[case.public_id]))
    assert response.context["shared_with"] == [people.association_worker.organisation.name]
    assert f"Dossier déjà partagé avec : {people.association_worker.organisation.name}." in response.content.decode()
    assert police.name not in response.context["shared_with"]


def test_the_share_proposed_with_an_action_offers_only_what_the_member_may_share(client, login, people, case):
    """The coordination shares the core and health parts, never the judicial one it does not read."""
    login(client, people.coordinator)
    form = client.get(reverse("cases:add_action", args=[case.public_id])).context["form"]
    offered = {value for value, _label in form.fields["share_compartments"].choices}
    assert "judicial" not in offered
    assert "core" in offered


def test_the_action_page_warns_of_a_family_under_instruction_in_neutral_words(client, login, people, case, action):
    """« Appeler la mère de … » handed to an association while the parquet says « ne pas informer » that
    family: the page where the call is prepared says so — without the reason nor whose family it is."""
    from halte.cases.models import Involvement, Person
    from halte.interventions import families

    login(client, people.association_worker)
    caution = "Consigne sur une famille de ce dossier"
    assert caution not in client.get(page_url(action)).content.decode()
    pupil = Person.objects.create(kind="pupil", first_name="Chloé", last_name="Marchal")
    Involvement.objects.create(case=case, person=pupil, role="victim")
    families.set_restriction(case=case, actor=people.magistrate, pupil=pupil, reason="Audition prévue jeudi.")
    html = client.get(page_url(action)).content.decode()
    assert caution in html
    assert "Audition prévue" not in html and "Marchal" not in html


def test_without_a_lead_nor_a_giver_the_contacts_are_the_coordinators_of_the_case_s_departement(
    client, login, people, case, action
):
    """Halte is national: the coordination to call is that of the case's territory (its school's
    département), never a coordinator of another département, however many there are."""
    Case.objects.filter(pk=case.pk).update(lead=None)
    Action.objects.filter(pk=action.pk).update(created_by=None)
    # « DSDEN de l’Aisne » sorts before « DSDEN de la Somme »: an unscoped « first three » lists them.
    elsewhere = OrganisationFactory(name="DSDEN de l’Aisne", kind=OrganisationKind.EDUCATION, departement="002")
    strangers = [MembershipFactory(organisation=elsewhere, role=Role.COORDINATOR) for _n in range(3)]
    login(client, people.association_worker)
    page = client.get(page_url(action)).content.decode()
    assert people.coordinator.user.email in page
    assert "Coordination de la cellule" in page
    for stranger in strangers:
        assert stranger.user.email not in page


def test_with_no_coordinator_in_the_case_s_departement_none_from_elsewhere_is_listed(
    client, login, people, case, action
):
    Case.objects.filter(pk=case.pk).update(lead=None)
    Action.objects.filter(pk=action.pk).update(created_by=None)
    Membership.objects.filter(pk=people.coordinator.pk).update(is_active=False)
    elsewhere = OrganisationFactory(name="DSDEN de l’Aisne", kind=OrganisationKind.EDUCATION, departement="002")
    stranger = MembershipFactory(organisation=elsewhere, role=Role.COORDINATOR)
    login(client, people.association_worker)
    page = client.get(page_url(action)).content.decode()
    assert stranger.user.email not in page
    assert "Aucune personne à contacter n’est enregistrée pour le territoire de ce dossier" in page


# --- Cancelling is for who manages the case; the contact's phone -------------------------------------------


def test_the_owner_association_cannot_cancel_what_the_cell_decided(client, login, people, action):
    login(client, people.association_worker)
    page = client.get(page_url(action)).content.decode()
    assert "Marquer comme faite" in page and "Signaler une difficulté" in page
    assert reverse("cases:cancel_action", args=[action.public_id]) not in page
    url = reverse("cases:cancel_action", args=[action.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {f"action-{action.pk}-reason": "Nous ne le ferons pas."}).status_code == 403
    action.refresh_from_db()
    assert action.status == "open"


def test_the_lead_cancels_from_the_action_page(client, login, people, action):
    login(client, people.coordinator)
    url = reverse("cases:cancel_action", args=[action.public_id])
    assert url in client.get(page_url(action)).content.decode()
    response = client.post(url, {f"action-{action.pk}-reason": "Plus nécessaire."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "cancelled"


def test_the_case_page_offers_cancel_only_to_who_manages_the_case(client, login, people, world):
    """The school of the case owes an action of it: it completes it from the case page, never cancels."""
    owed = Action.objects.create(
        case=world.case_a,
        title="Réunir l’équipe éducative",
        owner_organisation=people.school_a_staff.organisation,
        due_at=timezone.now() + timedelta(days=5),
        created_by=people.coordinator,
    )
    login(client, people.school_a_staff)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert reverse("cases:complete_action", args=[owed.public_id]) in page
    assert reverse("cases:cancel_action", args=[owed.public_id]) not in page


def test_a_contact_without_a_phone_shows_the_organisation_s_switchboard(client, login, people, case, action):
    from halte.directory.models import Partner

    lead = people.coordinator
    lead.user.phone = ""
    lead.user.save(update_fields=["phone"])
    login(client, people.association_worker)
    page = client.get(page_url(action)).content.decode()
    assert "non renseigné" not in page
    Partner.objects.create(
        departement=lead.organisation.departement,
        kind="dsden",
        name=lead.organisation.name,
        address="1 rue de la Paix\n80000 Amiens",
        phone="03 22 71 25 00",
    )
    page = client.get(page_url(action)).content.decode()
    assert "03 22 71 25 00" in page and "Standard" in page
