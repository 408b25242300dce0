"""Notifications belong to the membership they were written for: a person who is both coordinator and
education referent does not see, acting as the referent, the coordinator's « à lire en priorité »
(whose link would be refused); a role taken away takes its notifications with it."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import Membership, Role
from halte.notifications.models import Notification
from halte.notifications.service import notify
from halte.reports.actions import ReportData, submit_report
from tests.factories import MembershipFactory

backfill = import_module("halte.notifications.migrations.0007_assign_notifications_to_memberships")


@pytest.fixture
def twofold(people):
    """The demo's referent: education referent and, as a stand-in, coordinator of the same DSDEN."""
    referent = people.education_referent
    coordinator = MembershipFactory(user=referent.user, organisation=referent.organisation, role=Role.COORDINATOR)
    return referent, coordinator


def _inbox(client, login, membership) -> str:
    client.logout()
    login(client, membership)
    return client.get(reverse("notifications:inbox")).content.decode()


def _header(client, login, membership) -> str:
    client.logout()
    login(client, membership)
    return client.get(reverse("www:staff_home")).content.decode()


def test_a_worrying_report_reaches_the_coordinator_membership_not_the_referent_one(
    client, login, people, twofold, django_capture_on_commit_callbacks
):
    referent, coordinator = twofold
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit_report(
            data=ReportData(
                channel="phone",
                reporter_kind="parent",
                description="Ma fille dit qu’elle veut mourir, on l’attend à la sortie tous les soirs.",
                school=people.school_a_staff.school,
            ),
            actor=people.coordinator,
        )
    reference = submission.report.reference
    assert submission.report.is_worrying
    assert Notification.objects.filter(membership=coordinator, kind="worrying_report").count() == 1
    assert not Notification.objects.filter(membership=referent).exists()

    assert "1 notification non lue" in _header(client, login, coordinator)
    assert "non lue" not in _header(client, login, referent)
    assert reference not in _inbox(client, login, referent)
    page = _inbox(client, login, coordinator)
    assert reference in page
    link = Notification.objects.get(membership=coordinator).url
    assert client.get(link).status_code == 200  # the coordinator opens it
    client.logout()
    login(client, referent)
    assert client.get(link).status_code == 403  # the referent would be refused: it never sees the link
    # The email says for which role and structure, so the person picks the right one at login.
    (sent,) = [m for m in mail.outbox if reference in m.subject and referent.user.email in m.to]
    assert "Coordinateur ou coordinatrice de la cellule" in sent.subject
    assert referent.user.email in sent.to
    assert referent.organisation.name in sent.subject


def test_each_membership_counts_and_reads_only_its_own(client, login, people, twofold):
    referent, coordinator = twofold
    notify(memberships=[coordinator], kind="new_report", title="Nouveau signalement SIG-2026-000101", url="/x/")
    notify(memberships=[coordinator], kind="new_report", title="Nouveau signalement SIG-2026-000102", url="/x/")
    notify(
        memberships=[referent], kind="assignment", title="Vous êtes responsable du dossier HS-2026-000103", url="/x/"
    )
    assert "1 notification non lue" in _header(client, login, referent)
    assert "2 notifications non lues" in _header(client, login, coordinator)
    page = _inbox(client, login, referent)
    assert "HS-2026-000103" in page and "SIG-2026-000101" not in page and "SIG-2026-000102" not in page
    # Reading them as the referent marks nothing of the coordinator's as read.
    assert Notification.objects.filter(membership=coordinator, read_at__isnull=True).count() == 2
    assert "non lue" not in _header(client, login, referent)
    assert "2 notifications non lues" in _header(client, login, coordinator)


def test_one_person_notified_in_two_roles_gets_two_rows_and_two_emails_each_naming_its_role(
    twofold, django_capture_on_commit_callbacks
):
    referent, coordinator = twofold
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(memberships=[referent, coordinator, referent], kind="clock_reminder", title="Échéance", url="/")
    assert {row.membership for row in rows} == {referent, coordinator}
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2
    assert any("Référent ou référente Éducation nationale" in s for s in subjects)
    assert any("Coordinateur ou coordinatrice de la cellule" in s for s in subjects)


@pytest.mark.parametrize("how", ["membership", "organisation", "user"])
def test_ending_a_membership_hides_its_notifications_for_good(client, login, people, twofold, how):
    referent, coordinator = twofold
    notify(memberships=[coordinator], kind="worrying_report", title="Signalement SIG-2026-000201 à lire", url="/x/")
    notify(memberships=[referent], kind="assignment", title="Dossier HS-2026-000202", url="/x/")
    if how == "membership":
        coordinator.is_active = False
        coordinator.save()
    elif how == "organisation":
        coordinator.organisation.is_active = False
        coordinator.organisation.save()
    else:
        coordinator.user.is_active = False
        coordinator.user.save()
    hidden = Notification.objects.get(membership=coordinator)
    assert hidden.hidden_at is not None  # kept (who was told what, as whom), never shown again
    assert not Notification.objects.visible_to(coordinator).exists()
    # Given back later (by two people), the role starts with none of its old notifications.
    for row in (coordinator, coordinator.organisation, coordinator.user):
        type(row).objects.filter(pk=row.pk).update(is_active=True)
    coordinator.refresh_from_db()
    assert not Notification.objects.visible_to(coordinator).exists()
    page = _inbox(client, login, coordinator)
    assert "SIG-2026-000201" not in page
    if how == "membership":  # the referent role lives on, with its own
        assert "HS-2026-000202" in _inbox(client, login, referent)


def test_an_ended_membership_receives_nothing_and_a_bulk_update_without_signal_still_hides(people, twofold):
    referent, coordinator = twofold
    Membership.objects.filter(pk=coordinator.pk).update(is_active=False)  # no signal
    coordinator.refresh_from_db()
    assert notify(memberships=[coordinator], kind="new_report", title="Nouveau signalement", url="/x/") == []
    notify(memberships=[referent], kind="assignment", title="Dossier", url="/x/")
    Membership.objects.filter(pk=referent.pk).update(is_active=False)
    referent.refresh_from_db()
    assert not Notification.objects.visible_to(referent).exists()


def test_a_link_the_role_may_not_open_becomes_the_staff_home(people):
    """A steering contact who is an education referent is told of an unread report it cannot read."""
    (row,) = notify(
        memberships=[people.education_referent],
        kind="clock_escalation",
        title="Signalement SIG-2026-000301 : toujours pas lu — escalade au pilotage de la cellule",
        url=reverse("reports:queue"),
        email=False,
    )
    assert row.url == reverse("www:staff_home")


# --- The backfill of existing notifications -----------------------------------------------------------


def _old(user, kind, when=None) -> Notification:
    """A notification as they were before memberships: the person only."""
    return Notification.objects.create(
        recipient=user, membership=None, kind=kind, title=f"Ancienne {kind}", url="/", created_at=when or timezone.now()
    )


def test_the_backfill_gives_each_old_notification_to_the_one_membership_whose_role_receives_it(people, twofold):
    referent, coordinator = twofold
    worrying = _old(referent.user, "worrying_report")  # only coordinators receive these
    ambiguous = _old(referent.user, "clock_reminder")  # both roles could have: nobody can tell
    school = _old(people.school_a_staff.user, "case_outcome")
    grant = _old(people.dpo.user, "access_grant")
    nobody = _old(people.analyst.user, "critical_alert")  # no analyst ever receives that
    ended = MembershipFactory(role=Role.SOCIAL_WORKER, is_active=False)
    of_ended = _old(ended.user, "share")
    before = _old(people.police.user, "share", when=people.police.created_at - timedelta(days=1))

    backfill.assign(apps, None)

    def reread(row):
        row.refresh_from_db()
        return row.membership, row.hidden_at is None

    assert reread(worrying) == (coordinator, True)
    assert reread(ambiguous) == (None, False)
    assert reread(school) == (people.school_a_staff, True)
    assert reread(grant) == (people.dpo, True)
    assert reread(nobody) == (None, False)
    assert reread(of_ended) == (ended, False)
    assert reread(before) == (None, False)  # written before the membership existed
    assert set(Notification.objects.visible_to(referent)) == set()
    assert set(Notification.objects.visible_to(coordinator)) == {worrying}


def test_a_membership_with_notifications_is_ended_not_deleted(people, twofold):
    """Its notifications are the record of who was told what, as whom: deleting it is refused."""
    from django.db.models import ProtectedError

    _referent, coordinator = twofold
    notify(memberships=[coordinator], kind="new_report", title="Nouveau signalement", url="/", email=False)
    with pytest.raises(ProtectedError):
        coordinator.delete()
    assert Notification.objects.filter(membership=coordinator).exists()
