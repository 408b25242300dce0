"""An organisation's switchboard, read from the cell's directory of partners."""

from __future__ import annotations

from .models import Partner


def switchboard(organisation) -> str:
    """The phone number of ``organisation`` in the directory of its département (an active entry of the
    same name that has one), else ""."""
    return (
        Partner.objects.filter(
            departement=organisation.departement, name__iexact=organisation.name.strip(), is_active=True
        )
        .exclude(phone="")
        .order_by("service", "id")
        .values_list("phone", flat=True)
        .first()
        or ""
    )
