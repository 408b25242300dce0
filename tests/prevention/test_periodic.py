"""`manage.py tick` also runs prevention's duties: the 60-day approval warning and the 3-month purge."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from halte.accounts.models import OrganisationKind
from halte.audit.models import AuditEvent
from halte.notifications.models import Notification
from halte.prevention.models import Approval, Observation


def test_tick_warns_once_and_purges_stale_observations(people):
    association = people.association_worker.organisation
    assert association.kind == OrganisationKind.ASSOCIATION
    today = timezone.localdate()
    Approval.objects.create(
        organisation=association,
        number="A-42",
        issuer="academic",
        themes=["bullying"],
        valid_from=today - timedelta(days=300),
        valid_until=today + timedelta(days=30),
    )
    stale = Observation.objects.create(
        school=people.school_a_staff.school,
        initials="L. M.",
        class_name="5e B",
        opened_by=people.school_a_staff,
        opened_at=timezone.now() - timedelta(days=120),
    )
    out = StringIO()
    call_command("tick", stdout=out)
    assert not Observation.objects.filter(pk=stale.pk).exists()
    assert AuditEvent.objects.filter(detail__what="weak_signal_observations").exists()
    warned = Notification.objects.filter(kind="approval_expiry").count()
    assert warned >= 2  # the coordinator and the association's member
    assert "Agréments bientôt expirés signalés : 1." in out.getvalue()
    call_command("tick", stdout=StringIO())
    assert Notification.objects.filter(kind="approval_expiry").count() == warned
