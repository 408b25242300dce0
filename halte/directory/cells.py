"""The cell itself, per département: its name, postal address, phone and email as documents and emails
give them (``settings.HALTE["CELLS"]``). Halte is the software; the cell is the people who use it.

Nothing here assumes one département: a case belongs to the département of its school, else of the
organisation of the member acting on it; a département without an entry in the settings still gets a
name (the tagline, « Cellule d'intervention rapide contre le harcèlement scolaire ») and the contact email.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class Cell:
    departement: str
    name: str
    address_lines: list[str] = field(default_factory=list)
    phone: str = ""
    email: str = ""

    def __str__(self) -> str:
        return self.name

    @property
    def subject(self) -> str:
        """The name at the head of a sentence: « La cellule … porte à votre connaissance », not
        « Cellule … porte »; a name that is not « Cellule … » (« Le GIP … ») is taken as written."""
        if self.name[:8].lower() == "cellule ":
            return "La c" + self.name[1:]
        return self.name


def cell_for(departement: str) -> Cell:
    """The cell of ``departement`` as the settings describe it."""
    entry = settings.HALTE.get("CELLS", {}).get(departement or "", {}) or {}
    address = str(entry.get("address", ""))
    return Cell(
        departement=departement or "",
        name=str(entry.get("name") or settings.HALTE["SERVICE_TAGLINE"]),
        address_lines=[line.strip() for line in address.splitlines() if line.strip()],
        phone=str(entry.get("phone", "")),
        email=str(entry.get("email") or settings.HALTE["CONTACT_EMAIL"]),
    )


def departement_of(case, membership=None) -> str:
    """The département a case belongs to: its school's, else that of the acting member's organisation."""
    school = getattr(case, "school", None)
    if school is not None and school.departement:
        return school.departement
    if membership is not None:
        return membership.organisation.departement
    return ""


def cell_of_membership(membership) -> Cell:
    return cell_for(membership.organisation.departement if membership is not None else "")
