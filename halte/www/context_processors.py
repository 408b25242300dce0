from django.conf import settings

from halte.access.policy import navigation_for


def site(request):
    """Service identity for the DSFR shell, and the staff navigation of the current membership."""
    membership = getattr(request, "membership", None)
    return {
        "HALTE": settings.HALTE,
        "membership": membership,
        "staff_navigation": navigation_for(membership),
    }
