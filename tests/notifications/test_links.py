"""A notification never leads its membership to a refusal: for every kind of notification, produced by
the real code that sends it, the membership it was written for opens its link (200), acting as itself.

The scenarios below cover every kind (``Kind``): a kind added without a scenario fails here.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from halte.accounts import grants
from halte.accounts.models import OrganisationKind, Role
from halte.cases import actions, clocks
from halte.cases.models import Action, Case, FollowUp
from halte.cases.severity import Criteria
from halte.interventions import mpp
from halte.meetings import actions as meetings
from halte.notifications.models import Kind, Notification
from halte.prevention import approvals, workshops
from halte.prevention.models import Approval
from halte.reports.actions import ReportData, post_reporter_message, submit_report
from halte.reports.models import Report
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _report(people, description: str) -> Report:
    data = ReportData(
        channel="phone", reporter_kind="parent", description=description, school=people.school_a_staff.school
    )
    return submit_report(data=data, actor=people.school_a_staff).report


def _case(people, reference: str, **fields) -> Case:
    fields.setdefault("state", "in_intervention")
    fields.setdefault("priority", "P2")
    return Case.objects.create(
        reference=reference,
        qualification="bullying",
        school=people.school_a_staff.school,
        summary="Moqueries répétées.",
        **fields,
    )


def _approve(organisation, until):
    today = timezone.localdate()
    return Approval.objects.create(
        organisation=organisation,
        number=f"AG-{organisation.pk}-{until:%j}",
        issuer="academic",
        themes=["bullying"],
        valid_from=today - timedelta(days=365),
        valid_until=until,
    )


def reports_and_messages(people):
    _report(people, "Des moqueries en classe depuis la rentrée.")
    worrying = _report(people, "Ma fille dit qu’elle veut mourir, on l’attend tous les soirs à la sortie.")
    post_reporter_message(report=worrying, body="Il y a du nouveau depuis hier.")
    # Nobody opens it: the safety net escalates to the coordinators, then to the steering contact, an
    # education referent who may not read reports (its link is the staff home, not a refusal).
    Report.objects.filter(pk=worrying.pk).update(received_at=timezone.now() - timedelta(days=2))
    people.education_referent.is_steering_contact = True
    people.education_referent.save()
    clocks.tick(timezone.now())
    assert Notification.objects.filter(membership=people.education_referent, kind=Kind.CLOCK_ESCALATION).exists()


def case_work(people):
    case = _case(people, "HS-2026-000501", lead=people.coordinator)
    actions.reassess(
        case=case,
        actor=people.coordinator,
        criteria=Criteria(repeated=True, self_harm_or_suicidal=True),
        qualification="bullying",
        expected_version=case.version,
    )
    case.refresh_from_db()
    actions.assign(
        case=case,
        actor=people.coordinator,
        lead=people.education_referent,
        co_workers=[],
        expected_version=case.version,
    )
    until = timezone.localdate() + timedelta(days=30)
    actions.share(
        case=case,
        actor=people.magistrate,
        organisation=people.police.organisation,
        compartments=["judicial"],
        legal_basis="art40",
        expires_on=until,
    )
    actions.share(
        case=case,
        actor=people.coordinator,
        organisation=people.association_worker.organisation,
        compartments=["core"],
        legal_basis="convention",
        expires_on=until,
    )
    action = actions.create_action(
        case=case,
        actor=people.coordinator,
        title="Rencontrer la famille",
        owner_organisation=people.association_worker.organisation,
    )
    other = actions.create_action(
        case=case,
        actor=people.coordinator,
        title="Proposer un accompagnement",
        owner_organisation=people.association_worker.organisation,
    )
    actions.report_difficulty(action=other, actor=people.association_worker, text="La famille ne répond pas.")
    actions.complete_action(action=action, actor=people.association_worker, note="Rencontrée mardi.")
    judicial = actions.create_action(
        case=case,
        actor=people.magistrate,
        title="Audition",
        owner_organisation=people.police.organisation,
        compartment="judicial",
    )
    actions.complete_action(action=judicial, actor=people.police, note="Faite.")
    follow_up = FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate())
    actions.record_follow_up(
        follow_up=follow_up,
        actor=people.education_referent,
        victim_view=FollowUp.View.WORSE,
        wellbeing=2,
        decision=FollowUp.Decision.ESCALATE,
        note="",
    )
    case.refresh_from_db()
    case.close(actor=people.coordinator, outcome="stopped", reason="Les moqueries ont cessé.")


def clocks_and_watch(people):
    people.education_referent.is_steering_contact = True
    people.education_referent.save()
    now = timezone.now()
    _case(
        people,
        "HS-2026-000601",
        priority="P1",
        lead=people.social_worker,
        opened_at=now - timedelta(hours=3, minutes=50),
    )
    _case(people, "HS-2026-000602", priority="P1", lead=people.magistrate, opened_at=now - timedelta(days=3))
    late = _case(people, "HS-2026-000603", lead=people.coordinator, opened_at=now - timedelta(days=40))
    Action.objects.create(
        case=late,
        title="Audition",
        compartment="judicial",
        owner_organisation=people.police.organisation,
        due_at=now - timedelta(days=2),
        created_by=people.magistrate,
    )
    closed = _case(people, "HS-2026-000604", lead=people.prosecutor_delegate)
    closed.close(actor=people.coordinator, outcome="stopped", reason="Apaisé.", tell=False)
    Case.objects.filter(pk=closed.pk).update(closed_at=now - timedelta(days=30, minutes=5))
    clocks.tick(now)


def prevention(people):
    association = people.association_worker.organisation
    _approve(association, timezone.localdate() + timedelta(days=365))
    other = OrganisationFactory(name="Écoute Jeunes 80", kind=OrganisationKind.ASSOCIATION)
    MembershipFactory(organisation=other, role=Role.ASSOCIATION_WORKER)
    _approve(other, timezone.localdate() + timedelta(days=30))  # within the 60-day warning
    approvals.warn_expiring()
    soon = timezone.now().replace(microsecond=0, second=0) + timedelta(days=10)

    def requested():
        return workshops.request_workshop(
            actor=people.school_a_staff, theme="bullying", levels=["6e"], pupil_count=28, classes="6e A"
        )

    moved = workshops.assign(request=requested(), provider=other, scheduled_at=soon, actor=people.coordinator)
    workshops.assign(request=moved, provider=association, scheduled_at=soon, actor=people.coordinator)
    done = workshops.confirm(request=moved, actor=people.association_worker)
    workshops.record_delivery(
        request=done, actor=people.association_worker, delivered_on=timezone.localdate(), pupils_reached=25
    )
    dropped = workshops.assign(request=requested(), provider=association, scheduled_at=soon, actor=people.coordinator)
    workshops.cancel(request=dropped, actor=people.school_a_staff, reason="Sortie scolaire ce jour-là.")


def meetings_and_mpp(people):
    from halte.cases.models import Involvement, Person

    starts = timezone.now().replace(microsecond=0, second=0) + timedelta(days=7)
    meeting = meetings.schedule(
        actor=people.coordinator, title="Cellule de mars", starts_at=starts, duration_minutes=90, place="Préfecture"
    )
    meetings.send_invitations(
        meeting=meeting,
        actor=people.coordinator,
        memberships=[people.magistrate, people.police, people.school_a_staff, people.association_worker],
    )
    case = _case(people, "HS-2026-000701", lead=people.social_worker)
    # The series' first meeting, 20 days ago, falls within the case (interventions are dated within it).
    case.opened_at = timezone.now() - timedelta(days=30)
    case.save(update_fields=["opened_at"])
    author = Person.objects.create(kind="pupil", first_name="Hugo", last_name="Bernard", class_name="5e B")
    Involvement.objects.create(case=case, person=author, role="alleged_author")
    series = mpp.start_series(case=case, actor=people.coordinator, author=author)
    held = timezone.now() - timedelta(days=20)
    mpp.record_author_meeting(
        series=series,
        actor=people.coordinator,
        held_at=held,
        conducted_by=people.coordinator,
        summary="Entretien sans reproche.",
    )
    mpp.propose_switches(timezone.now())
    from halte.interventions import families

    families.set_restriction(case=case, actor=people.magistrate, pupil=author, reason="Audition à venir.")


def access_grants(people):
    newcomer = UserFactory(email="nouvelle.magistrate@halte.test")
    grant = grants.request_grant(
        actor=people.admin,
        user=newcomer,
        organisation=people.magistrate.organisation,
        role=Role.MAGISTRATE,
        reason="Arrivée au parquet le 1er mars.",
    )
    grants.approve_grant(actor=people.coordinator, grant=grant)


SCENARIOS = {
    reports_and_messages: {Kind.NEW_REPORT, Kind.WORRYING_REPORT, Kind.REPORTER_MESSAGE},
    case_work: {
        Kind.CRITICAL_ALERT,
        Kind.ASSIGNMENT,
        Kind.SHARE,
        Kind.ACTION_ASSIGNED,
        Kind.ACTION_DONE,
        Kind.ACTION_DIFFICULTY,
        Kind.FOLLOW_UP_ALERT,
        Kind.CASE_OUTCOME,
    },
    clocks_and_watch: {Kind.CLOCK_REMINDER, Kind.CLOCK_ESCALATION, Kind.WATCH_REMINDER},
    prevention: {
        Kind.APPROVAL_EXPIRY,
        Kind.WORKSHOP_REQUEST,
        Kind.WORKSHOP_ASSIGNED,
        Kind.WORKSHOP_WITHDRAWN,
        Kind.WORKSHOP_CONFIRMED,
        Kind.WORKSHOP_DELIVERED,
        Kind.WORKSHOP_CANCELLED,
    },
    meetings_and_mpp: {Kind.MEETING_INVITATION, Kind.MPP_SWITCH, Kind.FAMILY_RESTRICTION},
    access_grants: {Kind.ACCESS_GRANT},
}


# A notification about something since taken away from the organisation: the workshop given to another
# provider (who was told « atelier retiré »). Its link is the 404 of what it no longer knows, never a 403.
SUPERSEDED = {(Kind.WORKSHOP_ASSIGNED, "Écoute Jeunes 80")}


def test_every_kind_of_notification_has_a_scenario():
    covered = set().union(*SCENARIOS.values())
    assert covered == set(Kind), set(Kind) - covered


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=lambda f: f.__name__)
def test_a_notification_link_opens_for_the_membership_that_sees_it(people, login, scenario):
    scenario(people)
    rows = list(Notification.objects.select_related("membership__organisation", "membership__user"))
    produced = {row.kind for row in rows}
    assert SCENARIOS[scenario] <= produced, SCENARIOS[scenario] - produced
    opened = {}
    for row in rows:
        assert row.membership is not None and row.membership.user_id == row.recipient_id
        client = login(Client(), row.membership)
        key = (row.membership_id, row.url)
        if key not in opened:
            opened[key] = client.get(row.url).status_code
        assert opened[key] != 403, (row.kind, row.membership, row.url)
        if (row.kind, row.membership.organisation.name) in SUPERSEDED:
            assert opened[key] == 404
        else:
            assert opened[key] == 200, (row.kind, row.membership, row.url, opened[key])
        # …and the membership sees it in its own inbox, no other membership of the person does.
        assert Notification.objects.visible_to(row.membership).filter(pk=row.pk).exists()
