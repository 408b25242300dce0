from django.shortcuts import render
from django.utils import timezone

from halte.access import policy
from halte.access.policy import Capability

from .models import Notification

PAGE_SIZE = 50


@policy.requires(Capability.USE_STAFF_AREA)
def inbox(request):
    """The notifications of the membership acting now: another role of the same person has its own."""
    notifications = list(Notification.objects.visible_to(request.membership)[:PAGE_SIZE])
    unread = [n.pk for n in notifications if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return render(request, "notifications/inbox.html", {"notifications": notifications, "unread": set(unread)})
