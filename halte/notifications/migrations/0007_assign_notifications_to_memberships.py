"""Give every existing notification the membership it was written for, or hide it.

Before 0006 a notification belonged to a person. Each one goes to the person's membership whose role
receives that kind of notification (the table below, frozen here as the senders were when this was
written), among the memberships that existed when it was sent. When no membership, or more than one,
fits, nobody can tell for which role it was written: it is hidden (kept, never shown). A notification
given to a membership that has ended since is hidden as well.
"""

from django.db import migrations
from django.utils import timezone

CELL = ("coordinator", "magistrate", "prosecutor_delegate", "education_referent", "social_worker")
CASE_READERS = (*CELL, "school_staff", "police_liaison", "association_worker")
WORKSHOPS = ("coordinator", "school_staff", "association_worker")

KIND_ROLES = {
    "new_report": ("coordinator",),
    "worrying_report": ("coordinator",),
    "reporter_message": ("coordinator",),
    "follow_up_alert": ("coordinator",),
    "critical_alert": ("coordinator", "magistrate"),
    "assignment": CELL,
    "mpp_switch": CELL,
    "watch_reminder": CELL,
    "share": CASE_READERS,
    "action_assigned": CASE_READERS,
    "action_done": CASE_READERS,
    "case_outcome": CASE_READERS,
    "clock_reminder": CASE_READERS,
    "clock_escalation": CASE_READERS,
    "meeting_invitation": CASE_READERS,
    "workshop_request": ("coordinator",),
    "workshop_assigned": WORKSHOPS,
    "workshop_confirmed": WORKSHOPS,
    "workshop_delivered": WORKSHOPS,
    "workshop_cancelled": WORKSHOPS,
    "workshop_withdrawn": WORKSHOPS,
    "approval_expiry": ("coordinator", "association_worker"),
    "access_grant": ("coordinator", "admin", "dpo"),
}

BATCH = 500


def assign(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Membership = apps.get_model("accounts", "Membership")
    memberships: dict[int, list] = {}
    for membership in Membership.objects.select_related("organisation", "user").order_by("pk"):
        memberships.setdefault(membership.user_id, []).append(membership)
    now = timezone.now()
    pks = list(
        Notification.objects.filter(membership__isnull=True, hidden_at__isnull=True).values_list("pk", flat=True)
    )
    for start in range(0, len(pks), BATCH):
        rows = list(Notification.objects.filter(pk__in=pks[start : start + BATCH]))
        for row in rows:
            roles = KIND_ROLES.get(row.kind, ())
            fitting = [
                m for m in memberships.get(row.recipient_id, []) if m.role in roles and m.created_at <= row.created_at
            ]
            if len(fitting) == 1:
                (chosen,) = fitting
                row.membership_id = chosen.pk
                usable = chosen.is_active and chosen.organisation.is_active and chosen.user.is_active
                row.hidden_at = None if usable else now
            else:
                row.hidden_at = now
        Notification.objects.bulk_update(rows, ["membership", "hidden_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_notification_membership"),
        ("accounts", "0003_login_hardening_grants_proconnect"),
    ]

    operations = [migrations.RunPython(assign, migrations.RunPython.noop)]
