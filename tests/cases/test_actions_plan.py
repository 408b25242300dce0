"""Action plans: adding an action on the case page, completing or cancelling it (from the case page or
from « Nos actions »), who may do what, and the « Nos actions » page itself."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.access import cases as access
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions
from halte.cases.enums import Compartment
from halte.cases.models import Action, Event, Share
from halte.core.submission import new_token
from halte.notifications.models import Kind, Notification
from tests.factories import MembershipFactory

from .conftest import make_case

JUDICIAL_TITLE = "Audition de l’auteur présumé par le délégué"


@pytest.fixture
def case(people):
    return make_case("HS-2026-000500", people.school_a_staff.school, people.coordinator, summary="Situation.")


def an_action(case, organisation, *, title="Rencontrer la famille", due_in=timedelta(days=3), **fields):
    fields.setdefault("created_by", case.lead)
    return Action.objects.create(
        case=case,
        title=title,
        owner_organisation=organisation,
        due_at=timezone.now() + due_in if due_in is not None else None,
        **fields,
    )


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- Adding an action on the case page ----------------------------------------------------------------


def test_the_coordinator_adds_an_action_and_the_owner_organisation_is_told(client, login, people, case):
    login(client, people.coordinator)
    due = timezone.now() + timedelta(days=2)
    association = people.association_worker.organisation
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]),
        {
            "action-title": "Proposer un accompagnement",
            "action-submission_token": new_token(),
            "action-owner_organisation": str(association.pk),
            "action-due_at": local_input(due),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(case=case)
    assert (action.title, action.owner_organisation, action.compartment) == (
        "Proposer un accompagnement",
        association,
        Compartment.CORE,
    )
    assert action.due_at.replace(second=0, microsecond=0) == due.replace(second=0, microsecond=0)
    assert case.events.filter(kind="action").exists()
    assert AuditEvent.objects.filter(action=AuditAction.CASE_ACTION_CREATED, target_id=str(case.public_id)).exists()
    notification = Notification.objects.get(recipient=people.association_worker.user)
    assert notification.kind == Kind.ACTION_ASSIGNED
    assert notification.url == reverse("cases:action", args=[action.public_id])  # the action's own page
    assert "Proposer" not in notification.title


def test_an_owner_person_of_another_organisation_is_refused_and_nothing_is_saved(client, login, people, case):
    login(client, people.coordinator)
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]),
        {
            "action-title": "Rencontrer la famille",
            "action-submission_token": new_token(),
            "action-owner_organisation": str(people.association_worker.organisation.pk),
            "action-owner": str(people.police.pk),
            "action-due_at": local_input(timezone.now() + timedelta(days=1)),
        },
        follow=True,
    )
    assert "doit appartenir à la structure responsable" in response.content.decode()
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action-due_at", "2001-01-01T10:00", "Choisissez une échéance à venir"),
        ("action-due_at", "demain", "Saisissez une date et une heure valides"),
        ("action-title", "", "Ce champ est obligatoire"),
    ],
)
def test_bad_input_gets_a_french_message_not_an_error(client, login, people, case, field, value, message):
    login(client, people.coordinator)
    data = {
        "action-title": "Rencontrer la famille",
        "action-submission_token": new_token(),
        "action-owner_organisation": str(people.association_worker.organisation.pk),
        "action-due_at": local_input(timezone.now() + timedelta(days=1)),
        field: value,
    }
    response = client.post(reverse("cases:add_action", args=[case.public_id]), data, follow=True)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Action.objects.exists()


def test_control_characters_never_reach_the_database(client, login, people, case):
    login(client, people.coordinator)
    client.post(
        reverse("cases:add_action", args=[case.public_id]),
        {
            "action-title": "Voir\x00 la famille",
            "action-submission_token": new_token(),
            "action-owner_organisation": str(people.association_worker.organisation.pk),
            "action-due_at": local_input(timezone.now() + timedelta(days=1)),
        },
    )
    assert "\x00" not in Action.objects.get().title


def test_only_judicial_readers_may_file_a_judicial_action_and_only_they_read_it(client, login, people, case):
    case.co_workers.add(people.magistrate)
    login(client, people.magistrate)
    form = client.get(reverse("cases:add_action", args=[case.public_id])).context["form"]
    assert "judicial" in form.fields
    client.post(
        reverse("cases:add_action", args=[case.public_id]),
        {
            "action-title": JUDICIAL_TITLE,
            "action-submission_token": new_token(),
            "action-owner_organisation": str(people.prosecutor_delegate.organisation.pk),
            "action-due_at": local_input(timezone.now() + timedelta(days=1)),
            "action-judicial": "on",
        },
    )
    action = Action.objects.get()
    assert action.compartment == Compartment.JUDICIAL
    assert Event.objects.get(kind="action").compartment == Compartment.JUDICIAL
    assert JUDICIAL_TITLE in client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    for name in ("coordinator", "education_referent", "social_worker", "school_a_staff"):
        client.logout()
        login(client, getattr(people, name))
        page = client.get(reverse("cases:detail", args=[case.public_id]))
        assert JUDICIAL_TITLE not in page.content.decode(), name
        if name == "coordinator":
            form = client.get(reverse("cases:add_action", args=[case.public_id])).context["form"]
            assert "judicial" not in form.fields


# --- Completing and cancelling ------------------------------------------------------------------------


def test_a_member_of_the_owner_organisation_completes_from_nos_actions_without_seeing_the_case(
    client, login, people, case
):
    action = an_action(case, people.association_worker.organisation)
    login(client, people.association_worker)
    assert client.get(reverse("cases:detail", args=[case.public_id])).status_code == 404
    page = client.get(reverse("cases:my_actions")).content.decode()
    assert action.title in page
    assert reverse("cases:detail", args=[case.public_id]) not in page  # reference shown, not linked
    assert case.reference in page
    response = client.post(
        reverse("cases:complete_action", args=[action.public_id]),
        {f"action-{action.pk}-note": "Famille rencontrée le 3 mars.", f"action-{action.pk}-back": "case"},
    )
    # The case is not visible: back to the action's own page.
    assert response.url == reverse("cases:action", args=[action.public_id])
    action.refresh_from_db()
    assert (action.status, action.done_by, action.completion_note) == (
        "done",
        people.association_worker,
        "Famille rencontrée le 3 mars.",
    )
    assert action.done_at is not None
    event = AuditEvent.objects.get(action=AuditAction.CASE_ACTION_CHANGED)
    assert event.detail["status"] == "done"
    assert event.membership == people.association_worker
    assert case.events.filter(kind="action_done").exists()
    # The creator (also the lead here) is told once, with a link and no content.
    told = Notification.objects.filter(recipient=people.coordinator.user, kind=Kind.ACTION_DONE)
    assert [n.title for n in told] == [f"Dossier {case.reference} : une action a été réalisée"]


def test_completing_from_the_case_page_returns_to_it(client, login, people, case):
    action = an_action(case, people.school_a_staff.organisation)
    login(client, people.school_a_staff)
    page = client.get(reverse("cases:detail", args=[case.public_id]))
    row = next(r for r in page.context["actions_list"] if r["action"].pk == action.pk)
    assert row["can_complete"]
    link = reverse("cases:complete_action", args=[action.public_id]) + "?depuis=dossier"
    assert link in page.content.decode()
    form = client.get(link).context["form"]
    assert form["back"].value() == "case"
    response = client.post(
        reverse("cases:complete_action", args=[action.public_id]),
        {f"action-{action.pk}-note": "Adulte référent désigné.", f"action-{action.pk}-back": "case"},
    )
    assert response.url == reverse("cases:detail", args=[case.public_id])


def test_a_note_is_required_and_a_finished_action_cannot_be_finished_again(client, login, people, case):
    action = an_action(case, people.coordinator.organisation)
    login(client, people.coordinator)
    url = reverse("cases:complete_action", args=[action.public_id])
    response = client.post(url, {f"action-{action.pk}-note": "  "}, follow=True)
    assert "Indiquez ce qui a été fait" in response.content.decode()
    action.refresh_from_db()
    assert action.status == "open"
    client.post(url, {f"action-{action.pk}-note": "Fait."})
    response = client.post(
        reverse("cases:cancel_action", args=[action.public_id]), {f"action-{action.pk}-reason": "Doublon"}, follow=True
    )
    assert "Action déjà faite, enregistrée par" in response.content.decode()
    action.refresh_from_db()
    assert action.status == "done"
    assert AuditEvent.objects.filter(action=AuditAction.CASE_ACTION_CHANGED).count() == 1


def test_cancelling_keeps_the_reason(client, login, people, case):
    action = an_action(case, people.association_worker.organisation)
    login(client, people.coordinator)
    client.post(
        reverse("cases:cancel_action", args=[action.public_id]),
        {f"action-{action.pk}-reason": "La famille a déménagé."},
    )
    action.refresh_from_db()
    assert (action.status, action.completion_note) == ("cancelled", "La famille a déménagé.")
    assert case.events.filter(kind="action_cancelled").exists()


def test_a_judicial_action_is_out_of_reach_of_those_who_do_not_read_judicial(client, login, people, case):
    action = an_action(case, people.police.organisation, title=JUDICIAL_TITLE, compartment=Compartment.JUDICIAL)
    data = {f"action-{action.pk}-note": "Fait."}
    login(client, people.coordinator)  # manages the case, does not read the judicial compartment
    assert client.post(reverse("cases:complete_action", args=[action.public_id]), data).status_code == 404
    client.logout()
    login(client, people.police)  # owner organisation, but case not shared with it
    assert client.post(reverse("cases:complete_action", args=[action.public_id]), data).status_code == 404
    assert JUDICIAL_TITLE not in client.get(reverse("cases:my_actions")).content.decode()
    actions.share(
        case=case,
        actor=people.magistrate,
        organisation=people.police.organisation,
        compartments=[Compartment.JUDICIAL],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    assert JUDICIAL_TITLE in client.get(reverse("cases:my_actions")).content.decode()
    assert client.post(reverse("cases:complete_action", args=[action.public_id]), data).status_code == 302
    action.refresh_from_db()
    assert action.status == "done"


def test_owed_actions_is_the_same_rule_as_can_see_action(people, world):
    """The list's query and the page's predicate agree for every role on every action."""
    organisations = {m.organisation for m in people.all().values()}
    created = []
    for case in (world.case_a, world.case_b):
        for organisation in organisations:
            for compartment in (Compartment.CORE, Compartment.HEALTH, Compartment.JUDICIAL):
                created.append(
                    an_action(case, organisation, title=f"{organisation} {compartment}", compartment=compartment)
                )
    for name, membership in people.all().items():
        listed = set(access.owed_actions(membership).values_list("pk", flat=True))
        expected = {
            a.pk
            for a in created
            if a.owner_organisation_id == membership.organisation_id and access.can_see_action(membership, a)
        }
        assert listed == expected, name


# --- « Nos actions » ------------------------------------------------------------------------------------


def test_nos_actions_late_first_then_soon_then_the_others_with_badges(client, login, people, case):
    school = people.school_a_staff.organisation
    later = an_action(case, school, title="Plus tard", due_in=timedelta(days=5))
    late = an_action(case, school, title="En retard", due_in=-timedelta(hours=2))
    soon = an_action(case, school, title="Bientôt", due_in=timedelta(hours=5))
    undated = an_action(case, school, title="Sans date", due_in=None)
    an_action(case, people.association_worker.organisation, title="Pas pour nous")
    login(client, people.school_a_staff)
    response = client.get(reverse("cases:my_actions"))
    assert [item["action"] for item in response.context["items"]] == [late, soon, later, undated]
    assert [item["badge"] for item in response.context["items"]] == ["red", "amber", "green", ""]
    page = response.content.decode()
    assert "Pas pour nous" not in page
    assert reverse("cases:detail", args=[case.public_id]) in page  # the school sees its case: linked
    late_only = client.get(reverse("cases:my_actions"), {"status": "late"}).context["items"]
    assert [item["action"] for item in late_only] == [late]
    soon_only = client.get(reverse("cases:my_actions"), {"status": "soon"}).context["items"]
    assert [item["action"] for item in soon_only] == [soon]


def test_finished_actions_of_the_last_30_days_are_in_their_own_tab(client, login, people, case):
    school = people.school_a_staff.organisation
    done = an_action(case, school, title="Faite hier")
    cancelled = an_action(case, school, title="Annulée")
    old = an_action(case, school, title="Faite il y a longtemps")
    now = timezone.now()
    Action.objects.filter(pk=done.pk).update(status="done", done_at=now - timedelta(days=1))
    Action.objects.filter(pk=cancelled.pk).update(status="cancelled", done_at=now - timedelta(days=2))
    Action.objects.filter(pk=old.pk).update(status="done", done_at=now - timedelta(days=31))
    login(client, people.school_a_staff)
    assert client.get(reverse("cases:my_actions")).context["items"] == []
    finished = client.get(reverse("cases:my_actions"), {"status": "finished"})
    assert [item["action"] for item in finished.context["items"]] == [done, cancelled]
    assert finished.context["finished"]
    only_done = client.get(reverse("cases:my_actions"), {"status": "done"}).context["items"]
    assert [item["action"] for item in only_done] == [done]


def test_nos_actions_is_journaled(client, login, people, case):
    an_action(case, people.school_a_staff.organisation)
    login(client, people.school_a_staff)
    client.get(reverse("cases:my_actions"))
    event = AuditEvent.objects.get(action=AuditAction.CASE_READ, membership=people.school_a_staff)
    assert event.detail == {"page": "my_actions", "cases": [case.reference]}


@pytest.mark.parametrize("count", [1, 20])
def test_nos_actions_query_count_is_constant(client, login, people, django_assert_num_queries, count):
    coordinator = people.coordinator
    for index in range(count):
        other = make_case(f"HS-2026-0006{index:02d}", people.school_b_staff.school, coordinator)
        owner = MembershipFactory(organisation=people.police.organisation, role="police_liaison")
        an_action(other, people.police.organisation, owner=owner, due_in=timedelta(hours=index - 5))
        an_action(other, people.police.organisation, title=JUDICIAL_TITLE, compartment=Compartment.JUDICIAL)
    login(client, people.police)
    # Session, user, OTP device, membership, session save, the police's active shares (judicial actions),
    # count, one page of actions (case, owner), which of the page's cases it sees, audit row…
    with django_assert_num_queries(MY_ACTIONS_QUERIES):
        response = client.get(reverse("cases:my_actions"))
    assert len(response.context["items"]) == count  # the judicial ones are not shown: no share


MY_ACTIONS_QUERIES = 13  # with the count of unread notifications in the header


def test_the_navigation_line_target_exists():
    assert reverse("cases:my_actions") == "/actions/"


def test_create_action_links_to_the_action_page(people, case):
    action = actions.create_action(
        case=case, actor=people.coordinator, title="Voir", owner_organisation=people.school_a_staff.organisation
    )
    assert Notification.objects.get(recipient=people.school_a_staff.user).url == f"/actions/{action.public_id}/"


def test_an_inactive_organisation_receives_no_action(people, case):
    organisation = people.association_worker.organisation
    organisation.is_active = False
    organisation.save()
    with pytest.raises(actions.ActionRefused, match="plus active"):
        actions.create_action(case=case, actor=people.coordinator, title="Voir", owner_organisation=organisation)
    assert not Action.objects.exists()


def test_nos_actions_forms_have_their_own_ids(client, login, people, case):
    for index in range(3):
        an_action(case, people.school_a_staff.organisation, title=f"Action {index}")
    login(client, people.school_a_staff)
    page = client.get(reverse("cases:my_actions")).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [duplicate for duplicate, count in ids.items() if count > 1] == []


# --- Who may own a judicial action --------------------------------------------------------------------------


def judicial_share(case, people, organisation, **fields):
    return Share.objects.create(
        case=case,
        organisation=organisation,
        compartments=[Compartment.JUDICIAL],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.coordinator,
        **fields,
    )


def test_can_own_action_only_where_the_compartment_is_read(people, case):
    parquet, police = people.magistrate.organisation, people.police.organisation
    school, association = people.school_a_staff.organisation, people.association_worker.organisation
    judicial = Compartment.JUDICIAL
    assert access.can_own_action(parquet, case, judicial)  # its members' role reads it
    assert not access.can_own_action(school, case, judicial)  # a school never receives it
    assert not access.can_own_action(police, case, judicial)  # no member reads it, no share
    assert all(access.can_own_action(org, case, Compartment.CORE) for org in (school, police, association))
    judicial_share(case, people, police, revoked_at=timezone.now(), revoked_by=people.coordinator)
    assert not access.can_own_action(police, case, judicial)
    judicial_share(case, people, police)
    assert access.can_own_action(police, case, judicial)
    assert not access.can_own_action(association, case, judicial)
    # A share of the school is ignored: schools never receive the judicial compartment.
    judicial_share(case, people, school)
    assert not access.can_own_action(school, case, judicial)


@pytest.mark.parametrize("owner", ["school_a_staff", "police", "association_worker"])
def test_the_form_refuses_a_judicial_action_for_a_structure_that_cannot_read_it(client, login, people, case, owner):
    case.co_workers.add(people.magistrate)
    login(client, people.magistrate)
    response = client.post(
        reverse("cases:add_action", args=[case.public_id]),
        {
            "action-title": JUDICIAL_TITLE,
            "action-submission_token": new_token(),
            "action-owner_organisation": str(getattr(people, owner).organisation.pk),
            "action-due_at": local_input(timezone.now() + timedelta(days=1)),
            "action-judicial": "on",
        },
        follow=True,
    )
    assert "n’a pas accès au volet judiciaire de ce dossier" in response.content.decode()
    assert not Action.objects.exists()
    assert not Notification.objects.filter(kind=Kind.ACTION_ASSIGNED).exists()


def test_the_form_accepts_a_judicial_action_for_a_structure_the_volet_is_shared_with(client, login, people, case):
    case.co_workers.add(people.magistrate)
    judicial_share(case, people, people.police.organisation)
    login(client, people.magistrate)
    client.post(
        reverse("cases:add_action", args=[case.public_id]),
        {
            "action-title": JUDICIAL_TITLE,
            "action-submission_token": new_token(),
            "action-owner_organisation": str(people.police.organisation.pk),
            "action-due_at": local_input(timezone.now() + timedelta(days=1)),
            "action-judicial": "on",
        },
    )
    assert Action.objects.get().compartment == Compartment.JUDICIAL
    assert Notification.objects.get(kind=Kind.ACTION_ASSIGNED).recipient == people.police.user


def test_create_action_refuses_a_judicial_action_for_a_structure_that_cannot_read_it(people, case):
    for organisation in (people.school_a_staff.organisation, people.association_worker.organisation):
        with pytest.raises(actions.ActionRefused, match="n’a pas accès au volet judiciaire"):
            actions.create_action(
                case=case,
                actor=people.magistrate,
                title=JUDICIAL_TITLE,
                owner_organisation=organisation,
                compartment=Compartment.JUDICIAL,
            )
    assert not Action.objects.exists()
    assert not case.events.exists()


def test_create_action_refuses_a_judicial_owner_person_who_does_not_read_it(people, case):
    """The parquet reads the judicial compartment, but the person named must read it too."""
    clerk = MembershipFactory(organisation=people.magistrate.organisation, role="education_referent")
    with pytest.raises(actions.ActionRefused, match="Cette personne n’a pas accès"):
        actions.create_action(
            case=case,
            actor=people.magistrate,
            title=JUDICIAL_TITLE,
            owner_organisation=people.magistrate.organisation,
            owner=clerk,
            compartment=Compartment.JUDICIAL,
        )
    assert not Action.objects.exists()


# --- Who is told: never those who do not read cases, never those who may not read the action -----------------


def test_members_who_never_read_cases_are_neither_told_nor_offered_as_owners(client, login, people, case):
    dsden = people.coordinator.organisation  # also the organisation of the DPO and the administrator
    actions.create_action(case=case, actor=people.coordinator, title="Voir la famille", owner_organisation=dsden)
    told = {n.recipient_id for n in Notification.objects.filter(kind=Kind.ACTION_ASSIGNED)}
    assert told == {people.coordinator.user_id, people.education_referent.user_id}
    login(client, people.coordinator)
    form = client.get(reverse("cases:add_action", args=[case.public_id])).context["form"]
    offered = set(form.fields["owner"].queryset)
    assert people.education_referent in offered
    assert not offered & {people.dpo, people.admin, people.analyst}
    with pytest.raises(actions.ActionRefused, match="ne suit pas de dossiers"):
        actions.create_action(
            case=case, actor=people.coordinator, title="Voir", owner_organisation=dsden, owner=people.dpo
        )


def test_a_judicial_action_assigned_to_an_organisation_tells_its_judicial_readers_only(people, case):
    police = people.police.organisation
    judicial_share(case, people, police)
    # The police liaison reads the judicial compartment through the share; an analyst never reads cases.
    analyst = MembershipFactory(organisation=police, role="analyst")
    actions.create_action(
        case=case,
        actor=people.magistrate,
        title=JUDICIAL_TITLE,
        owner_organisation=police,
        compartment=Compartment.JUDICIAL,
    )
    told = {n.recipient_id for n in Notification.objects.filter(kind=Kind.ACTION_ASSIGNED)}
    assert told == {people.police.user_id}
    assert analyst.user_id not in told


def test_sharing_tells_only_the_members_who_read_cases(people, case):
    region = people.analyst.organisation
    reader = MembershipFactory(organisation=region, role="social_worker")
    actions.share(
        case=case,
        actor=people.coordinator,
        organisation=region,
        compartments=[Compartment.CORE],
        legal_basis="convention",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    told = {n.recipient_id for n in Notification.objects.filter(kind=Kind.SHARE)}
    assert told == {reader.user_id}


def test_completing_a_judicial_action_tells_only_who_may_read_it(people, case):
    """The creator (magistrate) is told; the case lead (coordinator) does not read the judicial
    compartment and hears nothing."""
    action = an_action(
        case,
        people.magistrate.organisation,
        title=JUDICIAL_TITLE,
        compartment=Compartment.JUDICIAL,
        created_by=people.magistrate,
    )
    actions.complete_action(action=action, actor=people.prosecutor_delegate, note="Audition faite.")
    told = {n.recipient_id for n in Notification.objects.filter(kind=Kind.ACTION_DONE)}
    assert told == {people.magistrate.user_id}
    assert not Notification.objects.filter(recipient=people.coordinator.user).exists()


def test_completing_a_core_action_still_tells_its_creator_and_the_lead(people, case):
    action = an_action(case, people.association_worker.organisation, created_by=people.education_referent)
    actions.complete_action(action=action, actor=people.association_worker, note="Famille rencontrée.")
    told = {n.recipient_id for n in Notification.objects.filter(kind=Kind.ACTION_DONE)}
    assert told == {people.education_referent.user_id, people.coordinator.user_id}
