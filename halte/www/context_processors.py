from functools import cache

from django.conf import settings

from halte.access.policy import Capability, has_capability, navigation_for


def site(request):
    """Service identity for the DSFR shell, the staff navigation of the current membership and its
    count of unread notifications (counted only by pages that show it)."""
    membership = getattr(request, "membership", None)
    return {
        "HALTE": settings.HALTE,
        "membership": membership,
        "staff_navigation": navigation_for(membership),
        # The header's search box: for whoever may open the search page.
        "can_search": has_capability(membership, Capability.READ_CASES),
        "header_query": _header_query(request),
        # A callable: the template calls it (once, cached) only where it shows the count.
        "unread_notifications": cache(lambda: _unread(membership)),
    }


def _unread(membership) -> int:
    from halte.notifications.models import Notification

    if membership is None:
        return 0
    return Notification.objects.visible_to(membership).filter(read_at__isnull=True).count()


def _header_query(request) -> str:
    """The words of the search being shown, kept in the header's box (the search page only)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != "www:search":
        return ""
    return request.GET.get("q", "")[:200]
