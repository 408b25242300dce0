"""Forms of the cases screens. Labels for professionals, errors that say what to do."""

import dataclasses
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.access.cases import can_own_action, can_read, shareable_compartments
from halte.access.policy import Capability, memberships_with
from halte.accounts.models import Membership, Organisation
from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm, VersionField
from halte.reports.forms import TextField

from . import enums, roles, targets
from .actions import (
    JUDICIAL_OWNER_REFUSED,
    JUDICIAL_PERSON_REFUSED,
    SHARE_MAX_DAYS,
    ShareRequest,
    share_expiry_refusal,
    too_far,
)
from .forms_people import ContactFieldsMixin, birth_date_field, clean_birth_date_value
from .models import Case, FollowUp
from .severity import CRITERIA_LABELS, Criteria, PhysicalViolence
from .workflow import DEFAULT_WATCH_DAYS, MAX_WATCH_DAYS

PHYSICAL_CHOICES = PhysicalViolence.choices


class CriteriaForm(HalteForm):
    """The severity criteria, one field per `Criteria` attribute, pre-filled from the report."""

    qualification = forms.ChoiceField(
        label=_("Qualification"), choices=enums.Qualification.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in dataclasses.fields(Criteria):
            label = str(CRITERIA_LABELS.get(field.name, field.name))
            if field.name == "author_count":
                self.fields[field.name] = forms.IntegerField(label=label, min_value=0, max_value=50, initial=0)
            elif field.name == "physical_violence":
                self.fields[field.name] = forms.ChoiceField(label=label, choices=PHYSICAL_CHOICES, initial="none")
            else:
                self.fields[field.name] = forms.BooleanField(label=label, required=False)
        # Re-apply the DSFR classes to the fields added above.
        from dsfr.utils import dsfr_input_class_attr

        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)

    def criteria(self) -> Criteria:
        values = {f.name: self.cleaned_data.get(f.name) for f in dataclasses.fields(Criteria)}
        values["author_count"] = values["author_count"] or 0
        values["physical_violence"] = values["physical_violence"] or "none"
        return Criteria.from_dict({k: (False if v is None else v) for k, v in values.items()})

    @classmethod
    def initial_from(cls, criteria: Criteria, qualification: str) -> dict:
        return {**dataclasses.asdict(criteria), "qualification": qualification}


class TriageForm(HalteForm):
    outcome = forms.ChoiceField(label=_("Décision"), choices=enums.TriageOutcome.choices, widget=forms.RadioSelect)
    override_priority = forms.ChoiceField(
        label=_("Corriger la priorité proposée (facultatif)"),
        choices=[("", _("Garder la priorité proposée")), *enums.Priority.choices],
        required=False,
    )
    override_reason = TextField(
        label=_("Motif de la correction"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attach_to = forms.CharField(
        label=_("Dossier auquel rattacher (référence)"),
        max_length=20,
        required=False,
        help_text=_("Par exemple HS-2026-000042."),
    )
    confirm_other_school = forms.BooleanField(
        label=_("Je confirme le rattachement à un dossier d’un autre établissement"),
        required=False,
        help_text=_(
            "Seulement si le dossier choisi appartient à un autre établissement que celui du signalement : "
            "ses élèves et leurs familles y seront rattachés."
        ),
    )
    follow_up_on = forms.DateField(
        label=_("Point de suivi avec l’établissement le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    redirected_to = TextField(label=_("Réorienté vers"), max_length=255, required=False)
    reason = TextField(
        label=_("Motif de la décision"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if data.get("override_priority") and not data.get("override_reason"):
            self.add_error("override_reason", _("Expliquez pourquoi vous corrigez la priorité proposée."))
        if outcome == enums.TriageOutcome.ATTACH and not data.get("attach_to"):
            self.add_error("attach_to", _("Indiquez la référence du dossier."))
        if outcome == enums.TriageOutcome.HAND_BACK:
            if not data.get("follow_up_on"):
                self.add_error("follow_up_on", _("Indiquez la date du point de suivi avec l’établissement."))
            elif data["follow_up_on"] <= timezone.localdate():
                self.add_error("follow_up_on", _("Choisissez une date à venir."))
            elif data["follow_up_on"] > targets.last_follow_up_on(timezone.localdate()):
                self.add_error("follow_up_on", too_far(targets.last_follow_up_on(timezone.localdate())))
        if outcome in (enums.TriageOutcome.REDIRECT, enums.TriageOutcome.NOT_BULLYING) and not data.get("reason"):
            self.add_error("reason", _("Indiquez le motif."))
        if outcome == enums.TriageOutcome.REDIRECT and not data.get("redirected_to"):
            self.add_error("redirected_to", _("Indiquez vers qui le signalement est réorienté."))
        return data


# The roles a pupil named in a report can take in the case (as the reporter said, or corrected).
PUPIL_ROLES = roles.choices_for(
    enums.PersonKind.PUPIL, (enums.Role.VICTIM, enums.Role.ALLEGED_AUTHOR, enums.Role.WITNESS)
)
NEW_PERSON = "nouvelle"


class ReportedPupilForm(HalteForm):
    """One pupil named in the report, confirmed at triage: kept (as written or corrected) or dropped,
    and, when a person record of the same school bears a close name, that record reused or not."""

    decision = forms.ChoiceField(
        label=_("Ajouter cet élève au dossier ?"),
        choices=[("keep", _("Oui, l’ajouter")), ("drop", _("Non, ne pas l’ajouter"))],
        widget=forms.RadioSelect,
        initial="keep",
    )
    first_name = TextField(label=_("Prénom"), max_length=100, required=False)
    last_name = TextField(label=_("Nom"), max_length=100, required=False)
    class_name = TextField(label=_("Classe"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("Rôle dans la situation"), choices=PUPIL_ROLES)
    person = forms.ChoiceField(
        label=_("Cet élève a peut-être déjà une fiche dans cet établissement"),
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = list(suggestions)
        if self.suggestions:
            choices = [(str(s.person.public_id), self.describe(s)) for s in self.suggestions]
            self.fields["person"].choices = [*choices, (NEW_PERSON, _("Aucune de ces fiches : créer une fiche"))]
            self.fields["person"].help_text = _(
                "Reprendre la fiche existante relie ce dossier à ses autres dossiers ; n’en créez une "
                "nouvelle que s’il s’agit d’un autre élève."
            )
        else:
            del self.fields["person"]

    @staticmethod
    def describe(suggestion) -> str:
        person = suggestion.person
        parts = [str(person)]
        if person.class_name:
            parts.append(person.class_name)
        if person.birth_date:
            parts.append(_("né(e) le %(date)s") % {"date": person.birth_date.strftime("%d/%m/%Y")})
        return f"{' — '.join(parts)} ({', '.join(suggestion.reasons)})"

    def clean(self):
        data = super().clean()
        if data.get("decision") != "keep":
            return data
        if not (data.get("first_name") or "").strip():
            self.add_error("first_name", _("Indiquez au moins le prénom, ou choisissez de ne pas ajouter cet élève."))
        if self.suggestions and not data.get("person"):
            self.add_error("person", _("Choisissez une fiche existante ou la création d’une nouvelle fiche."))
        return data

    def chosen_person(self):
        """The existing record chosen, or None for a new one."""
        chosen = self.cleaned_data.get("person")
        return next((s.person for s in self.suggestions if str(s.person.public_id) == chosen), None)


class VersionedForm(HalteForm):
    version = VersionField(min_value=1)


class ReassessForm(VersionedForm):
    override_priority = TriageForm.base_fields["override_priority"]
    override_reason = TriageForm.base_fields["override_reason"]


class SummaryForm(VersionedForm):
    summary = TextField(label=_("Résumé de la situation"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6}))


class AssignForm(VersionedForm):
    lead = forms.ModelChoiceField(label=_("Responsable du dossier"), queryset=Membership.objects.none(), required=False)
    co_workers = forms.ModelMultipleChoiceField(
        label=_("Co-intervenants"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = members
        self.fields["co_workers"].queryset = members
        self.fields["lead"].label_from_instance = self.fields["co_workers"].label_from_instance = lambda m: (
            f"{m.user.get_full_name()} — {m.role_label()} ({m.organisation.short_name or m.organisation})"
        )


class TransitionForm(VersionedForm):
    reason = TextField(label=_("Motif"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=_("Issue"), choices=[("", "—"), *enums.ClosureOutcome.choices], required=False)
    watch_days = forms.IntegerField(
        label=_("Période de veille après la clôture (jours)"),
        min_value=0,
        max_value=MAX_WATCH_DAYS,
        required=False,
        initial=DEFAULT_WATCH_DAYS,
        help_text=_("De 0 à 365 jours ; 90 par défaut. Des rappels sont envoyés à 30 jours et à la fin de la veille."),
    )


class ReasonedTransitionForm(VersionedForm):
    """A change of state that needs a reason (reopen, redirect), on its own page."""

    reason = TextField(
        label=_("Motif"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indiquez le motif.")},
    )


class CloseForm(VersionedForm):
    """Closing a case: its outcome, why, and how long the watch period keeps reminders running."""

    outcome = forms.ChoiceField(
        label=_("Issue du dossier"),
        choices=[("", "—"), *enums.ClosureOutcome.choices],
        error_messages={"required": _("Choisissez l’issue du dossier.")},
    )
    reason = TextField(
        label=_("Motif de la clôture"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indiquez le motif.")},
    )
    watch_days = TransitionForm.base_fields["watch_days"]


SHARE_TERM_HELP = _(
    "Un partage dure au plus un an. S’il est encore utile à son terme, partagez de nouveau avec la même "
    "structure : le partage existant est renouvelé (volets ajoutés, nouvelle date), sans en créer un second. "
    "Vous pouvez le révoquer à tout moment."
)


def _bound_share_date(field: forms.Field) -> None:
    """The browser's date picker offers only the days a share may end on."""
    today = timezone.localdate()
    field.widget.attrs.update(min=today.isoformat(), max=(today + timedelta(days=SHARE_MAX_DAYS)).isoformat())


# A compartment posted that the form did not offer (an altered page): said in words, never its code.
COMPARTMENT_NOT_OFFERED = _(
    "Ce volet ne peut pas être partagé par vous sur ce dossier : rien n’a été partagé. "
    "Choisissez parmi les volets proposés."
)


class ShareForm(SubmissionTokenMixin, HalteForm):
    organisation = forms.ModelChoiceField(label=_("Structure"), queryset=Organisation.objects.none())
    compartments = forms.MultipleChoiceField(
        label=_("Volets partagés"),
        choices=[(c.value, c.label) for c in enums.SHAREABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": COMPARTMENT_NOT_OFFERED},
    )
    legal_basis = forms.ChoiceField(label=_("Fondement juridique"), choices=enums.LegalBasis.choices)
    expires_on = forms.DateField(
        label=_("Partage valable jusqu’au"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=SHARE_TERM_HELP,
    )

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        """``allowed``: the compartments this member may share (``access.share_compartments_for``);
        only those are offered, and any other posted is refused as an invalid choice."""
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True).order_by("name")
        if allowed is not None:
            self.fields["compartments"].choices = [(c.value, c.label) for c in enums.SHAREABLE if c in allowed]
        _bound_share_date(self.fields["expires_on"])

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        refusal = share_expiry_refusal(value)
        if refusal:
            raise forms.ValidationError(refusal)
        return value


class NoteForm(SubmissionTokenMixin, HalteForm):
    compartment = forms.ChoiceField(widget=forms.HiddenInput, choices=enums.Compartment.choices)
    text = TextField(label=_("Note"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


class PersonForm(ContactFieldsMixin, SubmissionTokenMixin, HalteForm):
    role = forms.ChoiceField(label=_("Rôle dans la situation"), choices=enums.Role.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=enums.PersonKind.choices)
    first_name = TextField(label=_("Prénom"), max_length=100)
    last_name = TextField(label=_("Nom"), max_length=100, required=False)
    birth_date = birth_date_field()
    class_name = TextField(label=_("Classe"), max_length=50, required=False)
    existing = forms.UUIDField(widget=forms.HiddenInput, required=False)

    field_order = ["role", "kind", "first_name", "last_name", "birth_date", "class_name", "phone", "email", "address"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        pupil = data.get("kind") == "pupil"
        if data.get("kind") and data.get("role"):
            unsuited = roles.refusal(data["kind"], data["role"])
            if unsuited is not None:
                self.add_error("role", unsuited)
        if pupil and any(data.get(name) for name in ("email", "phone")):
            self.add_error(
                "phone",
                _(
                    "Le téléphone et l’adresse électronique d’un élève sont ceux de ses représentants légaux : "
                    "laissez-les vides (l’adresse postale de l’élève peut être indiquée), puis ajoutez ses "
                    "représentants légaux depuis le dossier."
                ),
            )
        if "birth_date" in data:
            try:
                data["birth_date"] = clean_birth_date_value(data["birth_date"], pupil=pupil)
            except forms.ValidationError as error:
                self.add_error("birth_date", error)
        return data


class FollowUpForm(HalteForm):
    victim_view = forms.ChoiceField(
        label=_("Selon l’élève, la situation va"), choices=FollowUp.View.choices, widget=forms.RadioSelect
    )
    wellbeing = forms.TypedChoiceField(
        label=_("Bien-être de l’élève (1 = très mal, 5 = très bien)"),
        choices=[(str(i), str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    decision = forms.ChoiceField(label=_("Décision"), choices=FollowUp.Decision.choices, widget=forms.RadioSelect)
    note = TextField(label=_("Observations"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wellbeing"].help_text = _(
            "Seuls les professionnels qui lisent le volet santé du dossier verront cette note."
        )


class ExtraFollowUpForm(SubmissionTokenMixin, HalteForm):
    due_on = forms.DateField(
        label=_("Date du point de suivi supplémentaire"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        last = targets.last_follow_up_on(timezone.localdate(case.opened_at))
        self.fields["due_on"].widget.attrs.update(min=timezone.localdate().isoformat(), max=last.isoformat())

    def clean_due_on(self):
        value = self.cleaned_data["due_on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choisissez une date à venir."))
        last = targets.last_follow_up_on(timezone.localdate(self.case.opened_at))
        if value > last:
            raise forms.ValidationError(too_far(last))
        return value


def _membership_label(membership: Membership) -> str:
    organisation = membership.organisation
    return f"{membership.user.get_full_name()} — {organisation.short_name or organisation.name}"


# How long the share proposed with an action lasts by default: the time to carry the action out.
SHARE_PROPOSAL_DAYS = 90


def _share_proposal_expiry():
    return timezone.localdate() + timedelta(days=SHARE_PROPOSAL_DAYS)


class ShareProposalMixin:
    """The share proposed with an action (the case page's action form, the meeting's decision form):
    unchecked, the action goes out alone and its owner organisation works from the action's page;
    checked, the owner organisation is given the chosen compartments of the case, with the legal basis
    and the expiry, in the same transaction as the action. Compartments the organisation's kind never
    receives (``NEVER_SHARED``) are refused, whatever was posted."""

    SHARE_DETAILS = ("share_compartments", "share_legal_basis", "share_expires_on")

    def has_changed(self) -> bool:
        """A form left blank but for the share's prefilled details is still blank (a formset's spare
        decision lines)."""
        return any(name not in self.SHARE_DETAILS for name in self.changed_data)  # type: ignore[attr-defined]

    def add_share_fields(self, allowed: list[str] | None = None) -> None:
        """`allowed`: the compartments the member may share on this case (``access.cases
        .share_compartments_for``); a compartment they may not share is not offered."""
        fields = self.fields  # type: ignore[attr-defined]
        fields["share"] = forms.BooleanField(
            label=_("Partager aussi le dossier avec cette structure"),
            help_text=_(
                "À cocher si la structure n’a pas accès au dossier et en a besoin pour mener l’action "
                "(une association, la police ou la gendarmerie n’y ont accès que par un partage). "
                "Sans partage, elle voit seulement l’action, l’établissement et la personne à contacter."
            ),
            required=False,
        )
        fields["share_compartments"] = forms.MultipleChoiceField(
            label=_("Volets à partager"),
            choices=[(c.value, c.label) for c in enums.SHAREABLE if allowed is None or c.value in allowed],
            widget=forms.CheckboxSelectMultiple,
            initial=[enums.Compartment.CORE],
            required=False,
            error_messages={"invalid_choice": COMPARTMENT_NOT_OFFERED},
        )
        fields["share_legal_basis"] = forms.ChoiceField(
            label=_("Fondement juridique du partage"),
            choices=enums.LegalBasis.choices,
            initial=enums.LegalBasis.CONVENTION,
            required=False,
        )
        fields["share_expires_on"] = forms.DateField(
            label=_("Partage valable jusqu’au"),
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            initial=_share_proposal_expiry,
            required=False,
            help_text=SHARE_TERM_HELP,
        )
        _bound_share_date(fields["share_expires_on"])

    def clean_share_proposal(self, organisation) -> None:
        data = self.cleaned_data  # type: ignore[attr-defined]
        if not data.get("share"):
            return
        add_error = self.add_error  # type: ignore[attr-defined]
        chosen = data.get("share_compartments") or []
        if not chosen:
            add_error("share_compartments", _("Choisissez au moins un volet à partager."))
        elif organisation is not None:
            refused = set(chosen) - set(shareable_compartments(organisation))
            if refused:
                labels = ", ".join(str(enums.Compartment(code).label) for code in sorted(refused))
                add_error(
                    "share_compartments",
                    _("Ces volets ne sont jamais partagés avec %(org)s : %(labels)s.")
                    % {"org": organisation.name, "labels": labels},
                )
        if not data.get("share_legal_basis"):
            add_error("share_legal_basis", _("Choisissez le fondement juridique du partage."))
        expires_on = data.get("share_expires_on")
        if expires_on is None:
            add_error("share_expires_on", _("Indiquez jusqu’à quand le partage est valable."))
        elif share_expiry_refusal(expires_on):
            add_error("share_expires_on", share_expiry_refusal(expires_on))

    def share_request(self) -> ShareRequest | None:
        data = self.cleaned_data  # type: ignore[attr-defined]
        if not data.get("share"):
            return None
        return ShareRequest(
            compartments=sorted(data["share_compartments"]),
            legal_basis=data["share_legal_basis"],
            expires_on=data["share_expires_on"],
        )


class ActionForm(ShareProposalMixin, SubmissionTokenMixin, HalteForm):
    """A new action of the action plan: what, which organisation, who (optional), by when."""

    title = TextField(label=_("Action à mener"), max_length=255)
    owner_organisation = forms.ModelChoiceField(label=_("Structure responsable"), queryset=Organisation.objects.none())
    owner = forms.ModelChoiceField(
        label=_("Personne responsable (facultatif)"),
        queryset=Membership.objects.none(),
        required=False,
        help_text=_("Elle doit appartenir à la structure responsable. Sinon, toute la structure est prévenue."),
    )
    due_at = forms.DateTimeField(
        label=_("Échéance (date et heure)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    judicial = forms.BooleanField(
        label=_("Action du volet judiciaire (visible seulement de ceux qui lisent ce volet)"), required=False
    )

    def __init__(self, *args, case: Case, judicial: bool = False, share_allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        organisations = Organisation.objects.filter(is_active=True).order_by("name")
        self.fields["owner_organisation"].queryset = organisations
        # Only members who read cases: never an analyst, the DPO or an administrator.
        self.fields["owner"].queryset = (
            memberships_with(Capability.READ_CASES)
            .filter(organisation__in=organisations)
            .order_by("organisation__name", "user__last_name", "user__first_name")
        )
        self.fields["owner"].label_from_instance = _membership_label
        if not judicial:
            del self.fields["judicial"]
        self.add_share_fields(share_allowed)

    def clean_due_at(self):
        value = self.cleaned_data["due_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choisissez une échéance à venir."))
        return value

    def compartment(self) -> str:
        judicial = self.cleaned_data.get("judicial")
        return enums.Compartment.JUDICIAL if judicial else enums.Compartment.CORE

    def clean(self):
        data = super().clean()
        owner, organisation = data.get("owner"), data.get("owner_organisation")
        if owner is not None and organisation is not None and owner.organisation_id != organisation.pk:
            self.add_error("owner", _("La personne responsable doit appartenir à la structure responsable."))
        compartment = self.compartment()
        shared = compartment in (data.get("share_compartments") or []) if data.get("share") else False
        if organisation is not None and not shared and not can_own_action(organisation, self.case, compartment):
            self.add_error("owner_organisation", JUDICIAL_OWNER_REFUSED)
        elif (
            owner is not None and compartment != enums.Compartment.CORE and not can_read(owner, self.case, compartment)
        ):
            self.add_error("owner", JUDICIAL_PERSON_REFUSED)
        self.clean_share_proposal(organisation)
        return data


BACK_CHOICES = [("case", "case"), ("list", "list")]


class CompleteActionForm(HalteForm):
    note = TextField(
        label=_("Ce qui a été fait"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=True,
        error_messages={"required": _("Indiquez ce qui a été fait.")},
    )
    back = forms.ChoiceField(widget=forms.HiddenInput, choices=BACK_CHOICES, required=False)


class CancelActionForm(HalteForm):
    reason = TextField(
        label=_("Motif de l’annulation"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=True,
        error_messages={"required": _("Indiquez le motif de l’annulation.")},
    )
    back = forms.ChoiceField(widget=forms.HiddenInput, choices=BACK_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        # Shown next to the completion form of the same action (same prefix): ids of its own.
        kwargs.setdefault("auto_id", "annuler_%s")
        super().__init__(*args, **kwargs)


class DifficultyForm(SubmissionTokenMixin, HalteForm):
    """« Signaler une difficulté » on an action: what stands in the way."""

    text = TextField(
        label=_("La difficulté rencontrée"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Par exemple : la famille ne répond pas, il manque un élément du dossier pour agir."),
    )


class MyActionsFilterForm(HalteForm):
    OPEN_FILTERS = ("", "late", "soon")
    status = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[
            ("", _("À faire : toutes")),
            ("late", _("À faire : en retard")),
            ("soon", _("À faire : échéance dans les 24 heures")),
            ("finished", _("Terminées (30 derniers jours) : toutes")),
            ("done", _("Terminées : faites")),
            ("cancelled", _("Terminées : annulées")),
        ],
    )


class LinkForm(HalteForm):
    other = forms.CharField(label=_("Référence de l’autre dossier"), max_length=20)
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[("linked", _("Lier les deux dossiers")), ("merged", _("Fusionner ce dossier dans l’autre"))],
    )
    reason = TextField(label=_("Motif"), max_length=2000)


class CaseFilterForm(HalteForm):
    state = forms.ChoiceField(
        label=_("État"), choices=[("", _("Tous les dossiers ouverts")), *enums.State.choices], required=False
    )
    priority = forms.ChoiceField(
        label=_("Priorité"), choices=[("", _("Toutes")), *enums.Priority.choices], required=False
    )
    school = forms.CharField(label=_("Établissement (UAI)"), max_length=8, required=False)
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)
    repeat = forms.BooleanField(label=_("Personnes déjà citées ailleurs"), required=False)
    mine = forms.BooleanField(label=_("Mes dossiers seulement"), required=False)
