"""Forms of the meetings screens. Labels for professionals, errors that say what to do."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.access import meetings as access
from halte.access.cases import CELL_ROLES
from halte.access.policy import Capability, memberships_with
from halte.accounts.models import Membership, Organisation
from halte.cases.forms import ShareProposalMixin
from halte.cases.models import Person
from halte.cases.people import keys_in_text
from halte.core import references
from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.reports.forms import TextField

from .models import Invitation, Meeting

DEFAULT_TITLE = _("Réunion de la cellule")
# A meeting is planned at most this many years ahead (far dates overflow `starts_at + duration`).
MAX_YEARS_AHEAD = 2
# References of cases and reports never travel in an email or a calendar.
_REFERENCE = re.compile(r"\b(?:HS|SIG)-\d{4}-\d+\b", re.IGNORECASE)


# Why a title or place must not identify a case, in the words of each page: a planned meeting's text is
# emailed and put in the .ics; a meeting recorded after the fact emails nobody, but shows in calendars.
EMAILED = _("ce texte est envoyé par courriel aux personnes invitées et inscrit dans leur agenda.")
LISTED = _(
    "ce texte apparaît dans l’agenda et la liste des réunions des personnes invitées, qui ne lisent pas "
    "toutes le dossier."
)


def names_a_person(text: str) -> bool:
    """Whether ``text`` holds the full name of a person of any case (folded as ``cases.people`` folds
    names: accents, case, order). One query on the indexed ``Person.name_key``; none for a single word."""
    keys = keys_in_text(text)
    return bool(keys) and Person.objects.filter(name_key__in=sorted(keys)).exists()


def _nothing_identifying(value: str, why) -> str:
    """Refuse a case reference or the name of a person of a case in a text invitees see outside Halte."""
    if _REFERENCE.search(value):
        raise forms.ValidationError(_("N’indiquez pas de référence de dossier ici : %(why)s") % {"why": why})
    if names_a_person(value):
        raise forms.ValidationError(_("N’indiquez pas le nom d’une personne d’un dossier : %(why)s") % {"why": why})
    return value


def member_label(membership: Membership) -> str:
    organisation = membership.organisation.short_name or membership.organisation.name
    return f"{membership.user.get_full_name()} — {membership.role_label()} ({organisation})"


def local_datetime(day, at: time) -> datetime:
    """A local (Europe/Paris) wall-clock time as an aware datetime; ValueError if it does not exist."""
    zone = timezone.get_default_timezone()
    moment = datetime.combine(day, at, tzinfo=zone)
    # The hour skipped when clocks go forward (e.g. 02:30 on the last Sunday of March) does not exist.
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise ValueError("nonexistent local time")
    return moment


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _wall_clock(form: forms.Form, day, at: time) -> datetime | None:
    """The Paris time of ``day`` at ``at``; None, with the error on the form, for an hour that does not exist."""
    try:
        return local_datetime(day, at)
    except ValueError:
        form.add_error("start", _("Cette heure n’existe pas ce jour-là (passage à l’heure d’été)."))
        return None


def _began(form: forms.Form, data: dict, now: datetime, *, too_old: str) -> datetime | None:
    """When a meeting that has taken place began: within the last MAX_DAYS_BEHIND days, and passed."""
    if data["day"] < timezone.localdate(now) - timedelta(days=MAX_DAYS_BEHIND):
        form.add_error("day", too_old)
        return None
    began = _wall_clock(form, data["day"], data["start"])
    if began is not None and began > now:
        form.add_error("start", _("Cette heure n’est pas encore passée : la réunion n’a pas pu commencer."))
    return began


class MeetingForm(SubmissionTokenMixin, HalteForm):
    title = TextField(label=_("Intitulé"), max_length=200, initial=DEFAULT_TITLE)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(
        label=_("Heure de début"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Heure de Paris."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        min_value=15,
        max_value=600,
        initial=120,
        help_text=_("Par exemple : 120 pour 2 heures."),
    )
    place = TextField(
        label=_("Lieu"),
        max_length=255,
        help_text=_("Un lieu hors de l’établissement scolaire (par exemple une salle de la DSDEN ou du tribunal)."),
    )

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict:
        local = timezone.localtime(meeting.starts_at, timezone.get_default_timezone())
        return {
            "title": meeting.title,
            "day": local.date(),
            "start": local.time().replace(second=0, microsecond=0),
            "duration_minutes": meeting.duration_minutes,
            "place": meeting.place,
        }

    def clean_title(self) -> str:
        return _nothing_identifying(self.cleaned_data["title"], EMAILED)

    def clean_place(self) -> str:
        return _nothing_identifying(self.cleaned_data["place"], EMAILED)

    def clean(self):
        data = super().clean()
        day = data.get("day")
        if day is None or data.get("start") is None:
            return data
        # Days out of range are refused before any arithmetic: year 1 or 9999 would overflow.
        today = timezone.localdate(self.now)
        latest = years_after(today, MAX_YEARS_AHEAD)
        if day < today:
            self.add_error("day", _("Choisissez une date et une heure à venir."))
            return data
        if day > latest:
            self.add_error(
                "day",
                _("Choisissez une date dans les deux ans qui viennent, au plus tard le %(latest)s.")
                % {"latest": latest.strftime("%d/%m/%Y")},
            )
            return data
        starts_at = _wall_clock(self, day, data["start"])
        if starts_at is not None:
            if starts_at <= self.now:
                self.add_error("day", _("Choisissez une date et une heure à venir."))
            data["starts_at"] = starts_at
        return data

    def meeting_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "place": data["place"],
        }


class CancelForm(HalteForm):
    reason = TextField(
        label=_("Motif de l’annulation"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visible dans Halte par les personnes invitées ; il n’est pas envoyé par courriel."),
    )


class AddItemForm(HalteForm):
    reference = forms.CharField(
        label=_("Référence du dossier"), max_length=20, help_text=_("Par exemple HS-2026-000042.")
    )

    def clean_reference(self) -> str:
        return references.typed(self.cleaned_data["reference"])


class ProposalForm(HalteForm):
    cases = forms.MultipleChoiceField(
        label=_("Dossiers à inscrire"), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, proposals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [
            (str(p.case.public_id), f"{p.case.reference} — {p.case.priority} — {', '.join(p.reason_labels)}")
            for p in proposals
        ]
        self.fields["cases"].error_messages["required"] = _("Cochez au moins un dossier.")


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return member_label(obj)


class OtherMemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return member_label(obj)


def _grouped(memberships) -> list:
    """Choices of a <select>, one group per organisation."""
    groups: dict[str, list] = {}
    for membership in memberships:
        groups.setdefault(membership.organisation.name, []).append((membership.pk, member_label(membership)))
    return [("", "—"), *groups.items()]


# A meeting is recorded after the fact within this many days (an older date is almost always a typo).
MAX_DAYS_BEHIND = 92
EMERGENCY_TITLE = _("Réunion d’urgence de la cellule")


class HeldMeetingForm(SubmissionTokenMixin, HalteForm):
    """A meeting that has already taken place, often by phone: its real date, who took part."""

    title = TextField(label=_("Intitulé"), max_length=200, initial=EMERGENCY_TITLE)
    day = forms.DateField(
        label=_("Date à laquelle elle a eu lieu"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start = forms.TimeField(
        label=_("Heure de début"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Heure de Paris."),
    )
    duration_minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=5, max_value=600, initial=30)
    mode = forms.ChoiceField(
        label=_("Forme de la réunion"),
        choices=Meeting.Mode.choices,
        initial=Meeting.Mode.PHONE,
        widget=forms.RadioSelect,
    )
    place = TextField(
        label=_("Lieu"),
        max_length=255,
        required=False,
        help_text=_("Obligatoire pour une réunion en présence ; hors de l’établissement scolaire."),
    )
    members = MemberChoiceField(
        label=_("Personnes qui y ont pris part"),
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leur présence est enregistrée. Personne ne reçoit de courriel : la réunion a déjà eu lieu."),
    )

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        readers = memberships_with(Capability.READ_CASES).order_by("organisation__name", "user__last_name", "pk")
        self.fields["members"].queryset = readers
        self.fields["members"].choices = [(m.pk, member_label(m)) for m in readers]

    def clean_title(self) -> str:
        return _nothing_identifying(self.cleaned_data["title"], LISTED)

    def clean_place(self) -> str:
        return _nothing_identifying(self.cleaned_data["place"], LISTED)

    def clean(self):
        data = super().clean()
        if data.get("mode") == Meeting.Mode.IN_PERSON and not data.get("place"):
            self.add_error("place", _("Indiquez le lieu de la réunion en présence."))
        day = data.get("day")
        if day is None or data.get("start") is None:
            return data
        if day > timezone.localdate(self.now):
            self.add_error("day", _("Cette date est à venir : programmez plutôt la réunion."))
            return data
        earliest = timezone.localdate(self.now) - timedelta(days=MAX_DAYS_BEHIND)
        too_old = _("Choisissez une date depuis le %(earliest)s : une réunion plus ancienne ne s’enregistre plus ici.")
        starts_at = _began(self, data, self.now, too_old=too_old % {"earliest": earliest.strftime("%d/%m/%Y")})
        if starts_at is not None:
            data["starts_at"] = starts_at
        return data

    def meeting_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "mode": data["mode"],
            "place": data["place"],
            "attendees": list(data["members"]),
        }


class HeldEarlierForm(HalteForm):
    """A planned meeting that took place before its date (brought forward in an emergency)."""

    day = forms.DateField(
        label=_("Date à laquelle elle a eu lieu"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start = forms.TimeField(label=_("Heure de début"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean(self):
        data = super().clean()
        if data.get("day") is None or data.get("start") is None:
            return data
        too_old = str(_("Cette date est trop ancienne pour une réunion encore prévue."))
        held_at = _began(self, data, self.now, too_old=too_old)
        if held_at is not None:
            data["held_at"] = held_at
        return data


class InvitationForm(HalteForm):
    members = MemberChoiceField(
        label=_("Personnes invitées"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Les membres de la cellule sont cochés par défaut. Décocher une personne déjà invitée lui envoie "
            "une annulation."
        ),
    )
    other = OtherMemberChoiceField(
        label=_("Inviter aussi une personne d’une autre structure"),
        queryset=Membership.objects.none(),
        required=False,
        help_text=_("Par exemple le chef d’établissement ou le correspondant police. Une personne à la fois."),
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        readers = memberships_with(Capability.READ_CASES).order_by("organisation__name", "user__last_name", "pk")
        invited_ids = set(Invitation.objects.filter(meeting=meeting).values_list("membership_id", flat=True))
        listed = [m for m in readers if m.role in CELL_ROLES or m.pk in invited_ids]
        listed_ids = {m.pk for m in listed}
        # Someone invited whose membership has since been closed still appears, to be un-invited.
        missing = invited_ids - listed_ids
        if missing:
            listed += list(Membership.objects.filter(pk__in=missing).select_related("user", "organisation"))
            listed_ids |= missing
        self.fields["members"].queryset = Membership.objects.filter(pk__in=listed_ids).select_related(
            "user", "organisation"
        )
        self.fields["members"].choices = [(m.pk, member_label(m)) for m in listed]
        others = [m for m in readers if m.pk not in listed_ids]
        self.fields["other"].queryset = Membership.objects.filter(pk__in=[m.pk for m in others])
        self.fields["other"].choices = _grouped(others)
        if not self.is_bound:
            self.initial["members"] = (
                sorted(invited_ids) if invited_ids else _one_per_person(m for m in listed if m.role in CELL_ROLES)
            )

    def chosen(self) -> list[Membership]:
        chosen = list(self.cleaned_data["members"])
        if self.cleaned_data.get("other") and self.cleaned_data["other"] not in chosen:
            chosen.append(self.cleaned_data["other"])
        return chosen


def _one_per_person(memberships) -> list[int]:
    """A person who sits in the cell twice (the DSDEN referent standing in for the coordinator) is
    pre-selected once: one invitation, one email, one attendee line in the calendar."""
    seen: set[int] = set()
    chosen = []
    for membership in memberships:
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            chosen.append(membership.pk)
    return chosen


class AttendanceForm(HalteForm):
    """One radio group per invitation: present, excused, absent, or not filled in."""

    def __init__(self, *args, invitations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.invitations = list(invitations)
        for invitation in self.invitations:
            widget = forms.RadioSelect()
            widget.inline = True  # type: ignore[attr-defined]  # read by the DSFR radio template
            self.fields[self.field_name(invitation)] = forms.ChoiceField(
                label=member_label(invitation.membership),
                choices=invitation.attendance_choices(),
                required=False,
                widget=widget,
                initial=invitation.attendance,
            )

    @staticmethod
    def field_name(invitation: Invitation) -> str:
        return f"presence_{invitation.pk}"

    def values(self) -> dict[int, str]:
        return {invitation.pk: self.cleaned_data[self.field_name(invitation)] for invitation in self.invitations}


class MinutesForm(SubmissionTokenMixin, HalteForm):
    minutes = TextField(
        label=_("Compte rendu"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Ce qui a été dit et décidé sur ce dossier. Visible par les personnes qui lisent le dossier."),
    )


class DecisionForm(ShareProposalMixin, HalteForm):
    title = TextField(label=_("Décision (action à mener)"), max_length=255, required=False)
    owner_organisation = forms.ModelChoiceField(
        label=_("Structure responsable"), queryset=Organisation.objects.none(), required=False
    )
    owner = OtherMemberChoiceField(
        label=_("Personne responsable (facultatif)"), queryset=Membership.objects.none(), required=False
    )
    due_on = forms.DateField(
        label=_("Échéance"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(
        self,
        *args,
        organisations=None,
        members=None,
        member_choices=None,
        followed_organisation_ids=None,
        proposes_share=True,
        share_allowed=None,
        **kwargs,
    ):
        """`members` validates the owner; `member_choices` (grouped by organisation) lists them once
        for every form of the formset instead of one query per form, and `followed_organisation_ids`
        (the organisations of those members) the same for the organisation."""
        super().__init__(*args, **kwargs)
        self.fields["owner_organisation"].queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )
        self.fields["owner"].queryset = members if members is not None else Membership.objects.none()
        if member_choices is not None:
            self.fields["owner"].choices = member_choices
        self.followed_organisation_ids = followed_organisation_ids
        if proposes_share:  # only for who may share the case (``access.cases.can_share``)
            self.add_share_fields(share_allowed)

    def clean(self):
        data = super().clean()
        if not self.has_changed():
            return data
        if not data.get("title"):
            self.add_error("title", _("Indiquez l’action décidée."))
        if not data.get("owner_organisation"):
            self.add_error("owner_organisation", _("Choisissez la structure responsable."))
        if not data.get("due_on"):
            self.add_error("due_on", _("Indiquez l’échéance."))
        elif data["due_on"] < timezone.localdate():
            self.add_error("due_on", _("Choisissez une échéance à venir."))
        owner, organisation = data.get("owner"), data.get("owner_organisation")
        if organisation is not None and organisation.pk not in self._followed_organisation_ids():
            self.add_error("owner_organisation", _("Cette structure n’a personne qui puisse suivre un dossier."))
        if owner is not None and organisation is not None and owner.organisation_id != organisation.pk:
            self.add_error("owner", _("La personne responsable doit appartenir à la structure responsable."))
        self.clean_share_proposal(organisation)
        return data

    def _followed_organisation_ids(self) -> set[int]:
        if self.followed_organisation_ids is None:
            owners = self.fields["owner"].queryset
            self.followed_organisation_ids = set(owners.values_list("organisation_id", flat=True))
        return self.followed_organisation_ids


def decision_form_kwargs() -> dict:
    """What every form of a DecisionFormSet needs: active organisations, and the members who may own
    a decision (those who read cases: never an analyst, the DPO or an administrator)."""
    members = access.decision_owners()
    ordered = list(members.order_by("organisation__name", "user__last_name", "user__first_name", "pk"))
    return {
        "organisations": Organisation.objects.filter(is_active=True).order_by("name"),
        "members": members,
        "member_choices": _grouped(ordered),
        "followed_organisation_ids": {m.organisation_id for m in ordered},
    }


DecisionFormSet = formset_factory(DecisionForm, extra=3, max_num=10, validate_max=True)


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        local = timezone.localtime(obj.starts_at, timezone.get_default_timezone())
        return f"{local:%d/%m/%Y %H:%M} — {obj.title} — {obj.place}"


class EnrolForm(HalteForm):
    meeting = MeetingChoiceField(
        label=_("Réunion"), queryset=Meeting.objects.none(), to_field_name="public_id", empty_label=None
    )

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
