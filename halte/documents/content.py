"""What each generated document says, read from the case within the compartments its author reads.

One builder per kind. Each receives the compartments the author reads on the case (computed once, at
generation, by :func:`halte.access.cases.compartments`) and takes nothing from a compartment outside
them; it returns the template, its context and the compartments whose content it actually used
(stored on the document: reading it later needs every one of them).

- Core content (facts, people, words, family context, measures, minutes, decisions) needs CORE; the
  minutes carry only the core decisions of their case's agenda item.
- Health notes go only into the information préoccupante, and only when the author reads HEALTH.
- Judicial notes and measures go only into the art. 40 report, and only when the author reads JUDICIAL.
- The reporter's identity (REPORTER_IDENTITY) goes only where the recipient is the parquet
  (``access.documents.may_name_reporter``: the art. 40 report addressed to a parquet of the directory),
  and only when the author reads it; otherwise the report says the cell knows it and how the parquet
  may obtain it.
- The information préoccupante passes on the parquet's standing « ne pas informer » instruction on the
  child's family (or on every family of the case), with its reason only when the author reads the
  judicial part; its measures include the interviews held with the child's family.
- Letters to a guardian agree with them, from their link to the pupil (``cases.Guardianship``: mother,
  father, other): « Madame, » / « Monsieur, », « représentante légale » / « représentant légal »;
  both forms only when the link says nothing of it (a tutor, « autre »).
- The art. 40 report and the information préoccupante are addressed to a partner of the cell's
  directory (``directory.Partner``, chosen on the form), printed with its postal address; every
  document names the cell of the case's département (``directory.cells``), never the software.
- Signatures carry the author's civility and own title (``Membership.person_title``).
- Documents for families (convocation, closure letter) say nothing of the judicial track and name
  the author for the cell, never their role or organisation (a parquet's letterhead tells a story).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halte.access.documents import may_name_reporter
from halte.accounts.models import Role
from halte.cases.enums import ClosureOutcome, Compartment
from halte.cases.enums import Role as InvolvementRole
from halte.cases.guardians import guardians_by_pupil, pupils_of
from halte.cases.models import Case, Guardianship, Involvement, Note, Person
from halte.directory.cells import cell_for, departement_of
from halte.directory.models import Partner
from halte.interventions import families as intervention_families
from halte.interventions import measures as intervention_measures
from halte.interventions.models import (
    Family,
    FamilyContact,
    Interview,
    Measure,
    MeasureKind,
    ParentsInformation,
)
from halte.meetings.models import AgendaItem, Meeting
from halte.reports.models import Evidence

from .models import DocumentKind

CORE, HEALTH, JUDICIAL = Compartment.CORE, Compartment.HEALTH, Compartment.JUDICIAL
IDENTITY = Compartment.REPORTER_IDENTITY

CONFIDENTIAL = gettext_lazy("Document confidentiel — données d’un mineur")
STOP_HARCELEMENT = "3018"

# What a family is told was done: measures protecting their child, in plain words. A narrowing of the
# interventions' ``family_facing_measures`` (never a judicial measure): never another pupil's sanction
# either (disciplinary measures, suspensions, the author's change of school are that pupil's personal
# data), never a measure's free-text details.
FAMILY_FACING_KINDS = frozenset(
    {
        MeasureKind.ADULT_REFERENT,
        MeasureKind.STAFF_VIGILANCE,
        MeasureKind.PEER_SUPPORT,
        MeasureKind.SEPARATION_CLASS,
        MeasureKind.SEPARATION_TIMETABLE,
        MeasureKind.SEPARATION_TRANSPORT,
        MeasureKind.PSYCHOLOGICAL_REFERRAL,
        MeasureKind.RESTORATIVE,
        MeasureKind.VICTIM_SCHOOL_CHANGE,
    }
)


class DocumentRefused(Exception):
    """A document that cannot be generated as asked. ``message`` is in French, for the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ConvocationDetails:
    on: date
    at: time
    place: str
    purpose: str
    contact: str
    # The pupil whose situation the convocation is about (its « Objet »); the recipient is their guardian.
    pupil: Person | None = None


@dataclass
class Built:
    kind: str
    title: str
    template: str
    context: dict[str, Any]
    compartments: set[str] = field(default_factory=lambda: {CORE})
    recipient: Person | None = None
    meeting: Meeting | None = None

    def compartment_list(self) -> list[str]:
        return sorted(str(compartment) for compartment in self.compartments)


# --- Shared pieces -------------------------------------------------------------------------------


# Roles whose title would tell a family that the justice or the police look at the situation.
JUDICIAL_SIDE_ROLES = frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE, Role.POLICE_LIAISON})


def _author(membership, *, family_facing: bool, cell) -> dict[str, str]:
    user = membership.user
    name = user.formal_name() or user.email
    if family_facing:
        title = "" if membership.role in JUDICIAL_SIDE_ROLES else membership.person_title()
        return {"name": name, "role": title, "organisation": _("pour la %(cell)s") % {"cell": _lower_first(cell.name)}}
    return {"name": name, "role": membership.person_title(), "organisation": str(membership.organisation)}


def _lower_first(text: str) -> str:
    """« Cellule de… » as it reads after an article (« pour la cellule de… »)."""
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def _common(case: Case, author, now: datetime, kind: str, *, family_facing: bool = False) -> dict[str, Any]:
    cell = cell_for(departement_of(case, author))
    return {
        "HALTE": settings.HALTE,
        "cell": cell,
        "confidential": CONFIDENTIAL,
        "kind_label": str(DocumentKind(kind).label),
        "case": case,
        "reference": case.reference,
        "generated_at": timezone.localtime(now),
        "author": _author(author, family_facing=family_facing, cell=cell),
        "family_facing": family_facing,
        "partner": None,
    }


def _check_partner(partner: Partner | None, recipients) -> None:
    if partner is not None and not recipients.filter(pk=partner.pk).exists():
        raise DocumentRefused(_("Ce destinataire n’est pas dans l’annuaire des partenaires du département du dossier."))


def _reporters(case: Case, readable: frozenset[str]) -> dict[str, Any]:
    """Who reported, for the art. 40 report: their identity when the author reads it (and the recipient
    is the parquet: the caller leaves IDENTITY out of ``readable`` otherwise), else how to get it."""
    rows = []
    for report in case.reports.select_related("created_by__user", "created_by__organisation").order_by(
        "received_at", "id"
    ):
        row: dict[str, Any] = {"reference": report.reference, "kind": report.get_reporter_kind_display()}
        if IDENTITY in readable:
            filer = report.created_by
            row.update(
                anonymous=report.is_anonymous and not (report.reporter_name or report.reporter_email),
                name=report.reporter_name,
                email=report.reporter_email,
                phone=report.reporter_phone,
                filed_by=(
                    f"{filer.user.formal_name()}, {filer.person_title()} — {filer.organisation}" if filer else ""
                ),
            )
        rows.append(row)
    shown = IDENTITY in readable
    identified = shown and any(r["name"] or r["email"] or r["phone"] or r["filed_by"] for r in rows)
    return {"shown": shown, "identified": identified, "rows": rows}


def _involved(case: Case) -> dict[str, list[Person]]:
    """The people of the case by role (a person may hold several roles), in the order they were added."""
    by_role: dict[str, list[Person]] = {role: [] for role in InvolvementRole.values}
    for involvement in case.involvements.select_related("person__school").order_by("added_at", "id"):
        by_role[involvement.role].append(involvement.person)
    return by_role


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _reports(case: Case) -> list[dict[str, Any]]:
    """The reports of the case; a narrative the case's summary already carries (triage copies it) is
    printed once, in the summary."""
    rows = []
    for report in case.reports.select_related("school").order_by("received_at", "id"):
        rows.append(
            {
                "reference": report.reference,
                "received_at": timezone.localtime(report.received_at),
                "channel": report.get_channel_display(),
                "school": report.school_label,
                "forms": report.form_labels,
                "places": report.place_labels,
                "platforms": report.platform_labels,
                "since": report.get_since_display() if report.since else "",
                "frequency": report.get_frequency_display() if report.frequency else "",
                "description": report.description,
                "in_summary": bool(case.summary) and _same_text(report.description, case.summary),
            }
        )
    return rows


def _evidence(case: Case) -> list[Evidence]:
    return list(Evidence.objects.filter(report__case=case).select_related("report").order_by("uploaded_at", "id"))


def _victim_words(case: Case) -> list[Interview]:
    return list(
        Interview.objects.filter(case=case, kind=Interview.Kind.VICTIM)
        .exclude(words="")
        .select_related("person", "conducted_by__user", "conducted_by__organisation")
        .order_by("held_at", "id")
    )


def _family_contacts(case: Case, family: str | None = None) -> list[FamilyContact]:
    contacts = FamilyContact.objects.filter(case=case).select_related("person", "pupil")
    if family is not None:
        contacts = contacts.filter(family=family)
    return list(contacts.order_by("at", "id"))


def _measures(case: Case, compartment: str) -> list[Measure]:
    return list(
        Measure.objects.filter(case=case, compartment=compartment)
        .exclude(status=Measure.Status.CANCELLED)
        .select_related("person", "receiving_school")
        .order_by("starts_on", "id")
    )


def _notes(case: Case, compartment: str) -> list[Note]:
    return list(Note.objects.filter(case=case, compartment=compartment).select_related("author__user"))


def _require_core(readable: frozenset[str]) -> None:
    if CORE not in readable:
        raise DocumentRefused(_("Vous ne consultez pas les faits de ce dossier : aucun document ne peut être généré."))


# --- Builders --------------------------------------------------------------------------------------


def art40(
    case: Case, *, author, readable: frozenset[str], now: datetime, partner: Partner | None = None, recipients=None
) -> Built:
    """Signalement au procureur de la République (art. 40 CPP)."""
    _require_core(readable)
    if recipients is not None:
        _check_partner(partner, recipients)
    people = _involved(case)
    context = _common(case, author, now, DocumentKind.ART_40)
    # Who reported is named only to the parquet, whatever the author reads.
    named = readable if may_name_reporter(DocumentKind.ART_40, partner) else readable - {IDENTITY}
    context.update(
        partner=partner,
        reporters=_reporters(case, named),
        reports=_reports(case),
        victims=people[InvolvementRole.VICTIM],
        authors=people[InvolvementRole.ALLEGED_AUTHOR],
        witnesses=people[InvolvementRole.WITNESS],
        words=_victim_words(case),
        family_contacts=_family_contacts(case),
        evidence=_evidence(case),
        measures=_measures(case, CORE),
        judicial_notes=[],
        judicial_measures=[],
    )
    used: set[str] = {CORE}
    if context["reporters"]["identified"]:
        used.add(IDENTITY)
    if JUDICIAL in readable:
        context["judicial_notes"] = _notes(case, JUDICIAL)
        context["judicial_measures"] = _measures(case, JUDICIAL)
        if context["judicial_notes"] or context["judicial_measures"]:
            used.add(JUDICIAL)
    title = _("Signalement au procureur de la République (art. 40 CPP) — %(ref)s") % {"ref": case.reference}
    return Built(DocumentKind.ART_40, title, "documents/pdf/art40.html", context, used)


def _parents_informed(case: Case) -> dict[str, Any]:
    """Whether the victim's parents were informed. Parents told before the cell decided not to inform
    them were informed (``informed``, ``at``); the decision then follows (``since``, ``reason``)."""
    info = ParentsInformation.objects.filter(case=case, family=Family.VICTIM).first()
    if info is None:
        return {"known": False, "informed": False, "at": None, "since": None, "reason": ""}
    at = timezone.localtime(info.informed_at) if info.informed_at else None
    exception = info.status == ParentsInformation.Status.EXCEPTION
    return {
        "known": True,
        "informed": at is not None or not exception,
        "at": at,
        "since": timezone.localtime(info.recorded_at) if exception else None,
        "reason": info.reason if exception else "",
    }


def _ip_guardians(case: Case, victims: list[Person], guardians: list[Person]) -> dict[str, Any]:
    """Each child's guardians (``cases.Guardianship``), those holding parental authority first, with
    their address and phone; then the case's other guardians that no link names (victim's side)."""
    links = guardians_by_pupil(victims)
    linked = {link.guardian_id for rows in links.values() for link in rows}
    return {
        "pupil_guardians": [{"pupil": victim, "links": links[victim.pk]} for victim in victims],
        "guardians": [person for person in victim_side_guardians(case, guardians) if person.pk not in linked],
    }


def _family_members(pupil_guardians: list[dict[str, Any]], guardians: list[Person]) -> dict[int, str]:
    """The children the IP describes and their guardians, each with how the IP names them."""
    members: dict[int, str] = {}
    for entry in pupil_guardians:
        members[entry["pupil"].pk] = str(entry["pupil"])
        for link in entry["links"]:
            members.setdefault(
                link.guardian_id,
                _("%(guardian)s (%(relationship)s de %(child)s)")
                % {
                    "guardian": link.guardian,
                    "relationship": link.get_relationship_display().lower(),
                    "child": link.child,
                },
            )
    for person in guardians:
        members.setdefault(person.pk, str(person))
    return members


def _family_interviews(case: Case, members: dict[int, str]) -> list[dict[str, Any]]:
    """The interviews held with the family of the children the IP describes (a guardian heard, or an
    interview with the family): when, how, who held it, with whom. Never another pupil's family."""
    rows = []
    interviews = (
        Interview.objects.filter(case=case, person__in=list(members))
        .filter(Q(kind=Interview.Kind.GUARDIAN) | Q(method=Interview.Method.JOINT))
        .select_related("person", "conducted_by__user", "conducted_by__organisation")
        .order_by("held_at", "id")
    )
    for interview in interviews:
        member = interview.conducted_by
        rows.append(
            {
                "held_at": timezone.localtime(interview.held_at),
                "method": interview.get_method_display(),
                "by": member.user.formal_name() or member.user.email,
                "by_role": member.person_title(),
                "by_organisation": str(member.organisation),
                "with": members[interview.person_id],
                "also_present": interview.also_present,
            }
        )
    return rows


def _ip_restrictions(case: Case, victims: list[Person], readable: frozenset[str]) -> list[dict[str, Any]]:
    """The parquet's standing « ne pas informer » instructions the CRIP must know before contacting the
    family of a child the IP describes: one on that family, or one on every family of the case. Their
    reason and date are the investigation's (as on the case page): printed only when the author reads
    the judicial part."""
    restrictions = intervention_families.active_restrictions(case)
    shows_reason = JUDICIAL in readable
    victim_ids = {victim.pk for victim in victims}
    rows = [
        {
            "pupil": row.pupil,
            "since": timezone.localtime(row.set_at) if shows_reason else None,
            "reason": row.reason if shows_reason else "",
        }
        for row in restrictions
        if row.pupil_id is None or row.pupil_id in victim_ids
    ]
    if not restrictions and case.do_not_disclose_to_family:  # the flag alone, from before the families
        rows.append({"pupil": None, "since": None, "reason": ""})
    return rows


def information_preoccupante(
    case: Case, *, author, readable: frozenset[str], now: datetime, partner: Partner | None = None, recipients=None
) -> Built:
    """Information préoccupante à la cellule départementale (CRIP)."""
    _require_core(readable)
    if recipients is not None:
        _check_partner(partner, recipients)
    people = _involved(case)
    victims = people[InvolvementRole.VICTIM]
    if not victims:
        raise DocumentRefused(
            _("Ajoutez d’abord au dossier l’élève concerné (rôle « victime ») : l’information préoccupante le décrit.")
        )
    context = _common(case, author, now, DocumentKind.INFORMATION_PREOCCUPANTE)
    family = _ip_guardians(case, victims, people[InvolvementRole.GUARDIAN])
    context.update(
        partner=partner,
        victims=victims,
        **family,
        reports=_reports(case),
        words=_victim_words(case),
        family_contacts=_family_contacts(case, Family.VICTIM),
        family_interviews=_family_interviews(case, _family_members(family["pupil_guardians"], family["guardians"])),
        measures=_measures(case, CORE),
        parents=_parents_informed(case),
        restrictions=_ip_restrictions(case, victims, readable),
        health_notes=[],
    )
    used: set[str] = {CORE}
    if any(row["reason"] or row["since"] for row in context["restrictions"]):
        used.add(JUDICIAL)
    if HEALTH in readable:
        context["health_notes"] = _notes(case, HEALTH)
        if context["health_notes"]:
            used.add(HEALTH)
    title = _("Information préoccupante (CRIP) — %(ref)s") % {"ref": case.reference}
    return Built(DocumentKind.INFORMATION_PREOCCUPANTE, title, "documents/pdf/ip.html", context, used)


def convocation_recipients(case: Case) -> list[Guardianship]:
    """Who a convocation may be addressed to: the guardians holding parental authority of the pupils of
    the case, each link naming the pupil the convocation is about. Never a pupil: a child is not
    summoned by letter, their parents are."""
    pupils = pupils_of(case)
    links = guardians_by_pupil(pupils)
    return [link for pupil in pupils for link in links[pupil.pk] if link.parental_authority]


def closure_recipients(case: Case) -> list[tuple[Person, list[str]]]:
    """Who a closure letter may be addressed to: the legal guardians on the victim's side."""
    guardians = _people_with_roles(case, [InvolvementRole.GUARDIAN])
    kept = {person.pk for person in victim_side_guardians(case, [person for person, _roles in guardians])}
    return [(person, roles) for person, roles in guardians if person.pk in kept]


def victim_side_guardians(case: Case, guardians: list[Person]) -> list[Person]:
    """The guardians of the case on the victim's side: less those linked (``Guardianship``) only to
    pupils of the case who are not its victims — an alleged author's or a witness's parents — and less
    those the family contacts show as the alleged author's family only (a guardian no link names)."""
    victims = set(
        Involvement.objects.filter(case=case, role=InvolvementRole.VICTIM).values_list("person_id", flat=True)
    )
    pupils = {pupil.pk for pupil in pupils_of(case)}
    wards: dict[int, set[int]] = {}
    for guardian_id, child_id in Guardianship.objects.filter(
        guardian__in=[person.pk for person in guardians], child_id__in=pupils
    ).values_list("guardian_id", "child_id"):
        wards.setdefault(guardian_id, set()).add(child_id)
    families: dict[int, set[str]] = {}
    for person_id, family in FamilyContact.objects.filter(case=case, person__isnull=False).values_list(
        "person_id", "family"
    ):
        families.setdefault(person_id, set()).add(family)
    kept = []
    for person in guardians:
        linked = wards.get(person.pk)
        if linked is not None:
            if linked & victims:
                kept.append(person)
        elif families.get(person.pk) != {Family.AUTHOR}:
            kept.append(person)
    return kept


def _people_with_roles(case: Case, roles: Sequence[str]) -> list[tuple[Person, list[str]]]:
    found: dict[int, tuple[Person, list[str]]] = {}
    for involvement in case.involvements.filter(role__in=roles).select_related("person").order_by("added_at", "id"):
        _person, labels = found.setdefault(involvement.person_id, (involvement.person, []))
        labels.append(str(involvement.get_role_display()))
    return list(found.values())


@dataclass(frozen=True)
class Addressing:
    """How a letter speaks to a guardian, from their link to the pupil: ``gender`` is "f" (a mother),
    "m" (a father) or "" when the link does not say (a tutor, « autre », no link): then both forms."""

    gender: str = ""

    @property
    def salutation(self) -> str:
        return {"f": _("Madame,"), "m": _("Monsieur,")}.get(self.gender, _("Madame, Monsieur,"))

    @property
    def closing(self) -> str:
        """The formal address inside the closing formula (« agréer, Madame, l’expression… »)."""
        return {"f": _("Madame"), "m": _("Monsieur")}.get(self.gender, _("Madame, Monsieur"))


def addressing(link: Guardianship | None) -> Addressing:
    if link is None:
        return Addressing()
    genders: dict[str, str] = {Guardianship.Relationship.MOTHER: "f", Guardianship.Relationship.FATHER: "m"}
    return Addressing(genders.get(link.relationship, ""))


def family_refusal(case: Case, kind: str, *, recipient: Person | None, pupil: Person | None = None) -> str | None:
    """Why this letter may not go to this family, or None: a convocation, under any hold on the family of
    the pupil it is about or on the recipient (« ne pas informer » here or elsewhere, the cell's
    exception); a closure letter, under either « ne pas informer » on the victims' families or on the
    recipient. The recipient
    herself counts: a parent held through another child of hers. Checked when the letter is built, and
    again under the families' locks just before it is kept (``actions.generate``)."""
    if kind == DocumentKind.CONVOCATION:
        if pupil is None:
            return None
        return intervention_families.convocation_refusal(case, pupil, recipient)
    if kind != DocumentKind.CLOSURE_LETTER:
        return None
    holds = list(intervention_families.holds_on(case, _involved(case)[InvolvementRole.VICTIM]).values())
    if recipient is not None:
        holds.extend(intervention_families.guardian_holds(case, [recipient]).values())
    kinds = {hold.kind for hold in holds}
    if intervention_families.Hold.RESTRICTION in kinds:
        return _(
            "La famille de l’élève est sous la consigne « ne pas informer » (besoin de l’enquête) : "
            "aucun courrier ne peut lui être adressé tant que la consigne n’est pas levée."
        )
    if intervention_families.Hold.ELSEWHERE in kinds:
        return _(
            "Consigne sur cette famille : ne pas contacter cette famille tant que cette consigne n’est pas levée. "
            "Aucun courrier ne peut lui être adressé."
        )
    return None


def family_letter_people(case: Case, kind: str, *, recipient: Person | None, pupil: Person | None) -> list[Person]:
    """Whose households a letter of ``kind`` depends on (:func:`family_refusal`): none but for a letter to
    a family."""
    if kind == DocumentKind.CONVOCATION:
        return [person for person in (pupil, recipient) if person is not None]
    if kind == DocumentKind.CLOSURE_LETTER:
        return [*_involved(case)[InvolvementRole.VICTIM], *([recipient] if recipient is not None else [])]
    return []


def pupils_without_address(case: Case) -> list[Person]:
    """The victims an information préoccupante describes whose home address is not known."""
    return [person for person in _involved(case)[InvolvementRole.VICTIM] if not has_postal_address(person)]


def has_postal_address(person: Person) -> bool:
    """A letter goes by post: without an address there is nothing to print under the name."""
    return bool((person.address or "").strip())


def missing_address_message(person: Person) -> str:
    return _(
        "%(name)s n’a pas d’adresse postale : la convocation ne peut pas lui être envoyée. Ajoutez son "
        "adresse depuis le dossier, section « Personnes », lien « Coordonnées de %(name)s », puis générez "
        "la convocation."
    ) % {"name": person}


def convocation(case: Case, *, author, readable: frozenset[str], now: datetime, recipient: Person, details) -> Built:
    """Convocation of a pupil's legal guardian about that pupil: when, where, why, whom to contact.
    Refused when that pupil's family is held back (``families.convocation_refusal``). Nothing judicial."""
    _require_core(readable)
    pupil = details.pupil
    link = next(
        (
            link
            for link in convocation_recipients(case)
            if link.guardian_id == recipient.pk and pupil is not None and link.child_id == pupil.pk
        ),
        None,
    )
    if link is None:
        raise DocumentRefused(
            _(
                "Une convocation s’adresse à un représentant légal d’un élève du dossier qui exerce l’autorité "
                "parentale : ajoutez-le depuis le dossier, avec son adresse."
            )
        )
    refusal = family_refusal(case, DocumentKind.CONVOCATION, recipient=recipient, pupil=pupil)
    if refusal:
        raise DocumentRefused(refusal)
    if not has_postal_address(recipient):
        raise DocumentRefused(missing_address_message(recipient))
    context = _common(case, author, now, DocumentKind.CONVOCATION, family_facing=True)
    context.update(
        recipient=recipient,
        relationship=link.get_relationship_display(),
        addressing=addressing(link),
        pupil=pupil,
        pupil_school=pupil.school or case.school,
        details=details,
    )
    title = _("Convocation de %(name)s le %(day)s") % {"name": recipient, "day": details.on.strftime("%d/%m/%Y")}
    return Built(
        DocumentKind.CONVOCATION, title, "documents/pdf/convocation.html", context, {CORE}, recipient=recipient
    )


def minutes_meetings(case: Case):
    """Meetings where this case was on the agenda (not cancelled), most recent first."""
    return (
        Meeting.objects.filter(items__case=case)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at", "-id")
        .distinct()
    )


def minutes(case: Case, *, author, readable: frozenset[str], now: datetime, meeting: Meeting) -> Built:
    """Minutes of one meeting for one case: never a word about the other cases of the meeting."""
    _require_core(readable)
    item = AgendaItem.objects.filter(meeting=meeting, case=case).select_related("minutes_by__user").first()
    if item is None:
        raise DocumentRefused(_("Ce dossier n’était pas à l’ordre du jour de cette réunion."))
    attendees: dict[str, list[dict[str, str]]] = {}
    invitations = meeting.invitations.select_related("membership__user", "membership__organisation").order_by(
        "membership__organisation__name", "id"
    )
    for invitation in invitations:
        member = invitation.membership
        attendees.setdefault(str(member.organisation), []).append(
            {
                "name": member.user.formal_name() or member.user.email,
                "role": member.person_title(),
                "attendance": invitation.attendance_label(),
            }
        )
    # Core decisions only: judicial content goes into the art. 40 report alone, health into the IP alone.
    decisions = [
        decision.action
        for decision in item.decisions.select_related("action__owner_organisation").order_by("id")
        if decision.action.compartment == CORE
    ]
    context = _common(case, author, now, DocumentKind.MINUTES)
    context.update(
        meeting=meeting,
        meeting_at=timezone.localtime(meeting.starts_at),
        attendees=sorted(attendees.items()),
        item=item,
        decisions=decisions,
    )
    title = _("Compte rendu de la réunion du %(day)s — %(ref)s") % {
        "day": timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y"),
        "ref": case.reference,
    }
    return Built(DocumentKind.MINUTES, title, "documents/pdf/minutes.html", context, {CORE}, meeting=meeting)


OUTCOME_WORDS = {
    ClosureOutcome.STOPPED: gettext_lazy(
        "D’après les derniers points faits avec votre enfant et avec l’établissement, le harcèlement a cessé."
    ),
    ClosureOutcome.NOT_ESTABLISHED: gettext_lazy(
        "Après avoir examiné la situation, la cellule n’a pas retenu de harcèlement. Cela ne veut pas dire "
        "que ce que votre enfant a vécu n’a pas compté : l’établissement reste à votre écoute."
    ),
    ClosureOutcome.REDIRECTED: gettext_lazy(
        "La situation a été confiée à un autre service, mieux placé pour vous accompagner ; il vous contactera."
    ),
    ClosureOutcome.MOVED_AWAY: gettext_lazy("Votre enfant a quitté l’établissement : la cellule clôt son suivi."),
    ClosureOutcome.OTHER: gettext_lazy("La cellule clôt son suivi de la situation."),
}


def _closure_letter_measures(case: Case) -> list[Measure]:
    """What the closure letter tells the family was done: among the measures the interventions allow a
    family-facing output to draw from (the one definition, never a judicial measure), those protecting
    the child (``FAMILY_FACING_KINDS``) that were not cancelled."""
    return list(
        intervention_measures.family_facing_measures(case)
        .filter(kind__in=FAMILY_FACING_KINDS)
        .exclude(status=Measure.Status.CANCELLED)
        .order_by("starts_on", "id")
    )


def closure_letter(case: Case, *, author, readable: frozenset[str], now: datetime, recipient: Person | None) -> Built:
    """Letter to the family when the case is closed: outcome, what was done for their child, whom to call."""
    _require_core(readable)
    if not case.closure_outcome:
        raise DocumentRefused(_("Ce dossier n’est pas clos : le courrier de clôture se prépare après la clôture."))
    if recipient is not None and recipient.pk not in {person.pk for person, _roles in closure_recipients(case)}:
        raise DocumentRefused(_("Cette personne n’est pas un représentant légal de ce dossier."))
    victims = _involved(case)[InvolvementRole.VICTIM]
    refusal = family_refusal(case, DocumentKind.CLOSURE_LETTER, recipient=recipient)
    if refusal:
        raise DocumentRefused(refusal)
    context = _common(case, author, now, DocumentKind.CLOSURE_LETTER, family_facing=True)
    link = None
    if recipient is not None:  # their link to the child the letter is about, else to another victim
        links = Guardianship.objects.filter(guardian=recipient, child__in=[victim.pk for victim in victims])
        link = next((row for row in links if victims and row.child_id == victims[0].pk), None) or links.first()
    context.update(
        recipient=recipient,
        addressing=addressing(link),
        child=victims[0] if victims else None,
        outcome=OUTCOME_WORDS.get(ClosureOutcome(case.closure_outcome), OUTCOME_WORDS[ClosureOutcome.OTHER]),
        measures=[{"label": m.get_kind_display(), "since": m.starts_on} for m in _closure_letter_measures(case)],
        watch_until=case.watch_until,
        school=case.school,
        stop_harcelement=STOP_HARCELEMENT,
        # Anything about complaints or the justice system is left out when an investigation is under way.
        may_mention_justice=not case.do_not_disclose_to_family,
    )
    title = _("Courrier de clôture à la famille — %(ref)s") % {"ref": case.reference}
    return Built(
        DocumentKind.CLOSURE_LETTER, title, "documents/pdf/closure_letter.html", context, {CORE}, recipient=recipient
    )
