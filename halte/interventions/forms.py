"""Forms of the interventions: measures and their review, interviews, the shared-concern method, the
families. Choices come from the case (its people, its team) so that nothing outside it can be picked."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from halte.accounts.models import Membership
from halte.cases.enums import Role as InvolvementRole
from halte.cases.models import Case, Involvement
from halte.core.submission import SubmissionTokenMixin
from halte.directory.models import School
from halte.forms import HalteForm
from halte.reports.forms import TextField

from .interviews import held_involvements
from .measures import (
    CONCERNED_ROLES,
    CONFIRM_LABEL,
    ENDS_BEFORE_START,
    ONE_PUPIL_CATEGORIES,
    PUPIL_REQUIRED,
    exclusion_error,
    role_conflict,
)
from .models import (
    CATEGORY_KINDS,
    FamilyContact,
    Interview,
    Measure,
    MeasureCategory,
    MeasureKind,
    MppSeries,
)

HEALTH_HINT = _(
    "N’écrivez ici aucune information de santé ou psychologique : elle a sa place dans le volet santé du dossier."
)
WORDS_LABEL = _("Paroles de l’élève, mot pour mot")
WORDS_HINT = _("Recopiez exactement ce que l’élève a dit, sans reformuler ni corriger, entre guillemets.")


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


def people_choices(case: Case, roles=None) -> list[tuple[str, str]]:
    """The people of the case, once each, with their roles: (person public id, « Prénom Nom — rôles »)."""
    involvements = Involvement.objects.filter(case=case).select_related("person").order_by("person__last_name", "pk")
    if roles is not None:
        involvements = involvements.filter(role__in=list(roles))
    labels: dict[str, tuple[str, list[str]]] = {}
    for involvement in involvements:
        key = str(involvement.person.public_id)
        _name, role_labels = labels.setdefault(key, (str(involvement.person), []))
        role_labels.append(str(involvement.get_role_display()).lower())
    return [(key, f"{name} — {', '.join(roles_)}") for key, (name, roles_) in labels.items()]


def person_from(case: Case, public_id: str):
    """The person of the case behind a choice (the choices already restrict it)."""
    if not public_id:
        return None
    involvement = Involvement.objects.filter(case=case, person__public_id=public_id).select_related("person").first()
    return involvement.person if involvement else None


def team_for(case: Case, actor: Membership):
    """Who may have conducted an interview or made a contact: the actor, the case's lead and
    co-workers, and the staff of the case's school."""
    who = Q(pk=actor.pk) | Q(co_worked_cases=case)
    if case.lead_id:
        who |= Q(pk=case.lead_id)
    if case.school_id:
        who |= Q(organisation__school_id=case.school_id)
    return (
        Membership.objects.active()
        .filter(who)
        .select_related("user", "organisation")
        .distinct()
        .order_by("user__last_name", "user__first_name", "pk")
    )


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        organisation = obj.organisation.short_name or obj.organisation.name
        return f"{obj.user.get_full_name()} ({organisation})"


HOLD_CONFIRMED_LABEL = _(
    "Je confirme : ce que j’enregistre n’a rien appris de la situation à une famille sous consigne, et je "
    "n’en ai pas parlé avec elle."
)


def _hold_confirmed_field():
    """The confirmation a write asks when it reaches or names a held family (``families.held_mentions``,
    a contact with a held family): offered only on a case with such a family."""
    return forms.BooleanField(label=HOLD_CONFIRMED_LABEL, required=False)


def _has_holds(case: Case) -> bool:
    from .families import case_holds

    return bool(case_holds(case))


def _team_field(label):
    return TeamChoiceField(label=label, queryset=Membership.objects.none(), to_field_name="public_id")


# --- Measures --------------------------------------------------------------------------------------

CONFIRM = "confirm_person"


class MeasureForm(SubmissionTokenMixin, HalteForm):
    category = forms.ChoiceField(label=_("Catégorie"))
    kind = forms.ChoiceField(
        label=_("Mesure"),
        help_text=_("Les mesures sont regroupées par catégorie : choisissez-en une de la catégorie retenue ci-dessus."),
    )
    person = forms.ChoiceField(label=_("Élève concerné"), required=False)
    description = TextField(label=_("Précisions"), max_length=4000, required=False, widget=_textarea())
    status = forms.ChoiceField(label=_("État"), choices=Measure.Status.choices, initial=Measure.Status.ACTIVE)
    starts_on = forms.DateField(label=_("Début"), widget=_date_input())
    ends_on = forms.DateField(label=_("Fin"), required=False, widget=_date_input())
    review_on = forms.DateField(
        label=_("À réexaminer le"),
        required=False,
        widget=_date_input(),
        help_text=_("La mesure sera signalée sur le dossier à cette date tant que son bilan n’est pas fait."),
    )
    receiving_school = forms.CharField(
        label=_("Établissement d’accueil (code UAI)"),
        max_length=8,
        required=False,
        help_text=_("Seulement pour un changement d’établissement. Par exemple 0801234A."),
    )

    def __init__(self, *args, case: Case, categories: list[str], shows_people: bool, **kwargs):
        """``shows_people``: the member reads the core of the case, where its people are. Otherwise (the
        police on a case shared for its judicial part) the form has no « élève concerné » at all."""
        super().__init__(*args, **kwargs)
        self.case = case
        labels = dict(MeasureCategory.choices)
        kinds = dict(MeasureKind.choices)
        self.fields["category"].choices = [(c, labels[c]) for c in categories]
        self.fields["kind"].choices = [(labels[c], [(k, kinds[k]) for k in CATEGORY_KINDS[c]]) for c in categories]
        if shows_people:
            people = people_choices(case, CONCERNED_ROLES)
            self.fields["person"].choices = [("", _("Aucun élève en particulier")), *people]
        else:
            del self.fields["person"]
        if len(categories) == 1:
            self.fields["category"].initial = categories[0]
        if self.is_bound and shows_people:
            # Shown only on the page that answers a measure going against the pupil's role (see clean).
            self.fields[CONFIRM] = forms.BooleanField(label=CONFIRM_LABEL, required=False)

    def clean_receiving_school(self):
        uai = (self.cleaned_data.get("receiving_school") or "").strip().upper()
        if not uai:
            return None
        school = School.objects.filter(uai=uai).first()
        if school is None:
            raise forms.ValidationError(_("Aucun établissement de l’annuaire ne porte ce code UAI."))
        return school

    def clean(self):
        data = super().clean()
        category, kind = data.get("category"), data.get("kind")
        if category and kind and kind not in CATEGORY_KINDS[category]:
            self.add_error("kind", _("Cette mesure ne relève pas de la catégorie choisie."))
        starts_on, ends_on, review_on = data.get("starts_on"), data.get("ends_on"), data.get("review_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", ENDS_BEFORE_START)
        elif refusal := exclusion_error(kind or "", starts_on, ends_on):
            self.add_error("ends_on", refusal)
        if starts_on and review_on and review_on < starts_on:
            self.add_error("review_on", _("La date de réexamen ne peut pas être antérieure à la date de début."))
        if "receiving_school" in data:
            school = data.get("receiving_school")
            if category == MeasureCategory.SCHOOL_CHANGE and school is None:
                self.add_error("receiving_school", _("Indiquez l’établissement d’accueil : il est obligatoire ici."))
            if category and category != MeasureCategory.SCHOOL_CHANGE and school is not None:
                self.add_error(
                    "receiving_school",
                    _("Un établissement d’accueil ne s’indique que pour un changement d’établissement."),
                )
        person = person_from(self.case, data.get("person") or "") if "person" in self.fields else None
        if category in ONE_PUPIL_CATEGORIES and person is None and "person" not in self.errors:
            self.add_error("person", PUPIL_REQUIRED)
        data["person"] = person
        against, warning = role_conflict(self.case, person, data.get("kind") or "")
        if not against:
            # Nothing to confirm: no checkbox on the page (a box ticked in advance confirms nothing).
            self.fields.pop(CONFIRM, None)
            data[CONFIRM] = False
        elif not data.get(CONFIRM):
            self.add_error(CONFIRM, warning)
        return data


class MeasureReviewForm(HalteForm):
    effectiveness = forms.ChoiceField(
        label=_("La mesure a été"),
        choices=Measure.Effectiveness.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez si la mesure a été efficace.")},
    )
    review_note = TextField(
        label=_("Bilan"),
        max_length=4000,
        widget=_textarea(4),
        error_messages={"required": _("Écrivez le bilan de la mesure.")},
    )
    status = forms.ChoiceField(label=_("État de la mesure après ce bilan"), choices=Measure.Status.choices)
    next_review_on = forms.DateField(
        label=_("Prochain réexamen le"),
        required=False,
        widget=_date_input(),
        help_text=_("Si la mesure continue et doit être revue."),
    )


# --- Interviews ------------------------------------------------------------------------------------


class InterviewForm(SubmissionTokenMixin, HalteForm):
    involvement = forms.ChoiceField(
        label=_("Personne entendue"), help_text=_("Sa qualité (victime, témoin…) est celle qu’elle a dans le dossier.")
    )
    method = forms.ChoiceField(
        label=_("Forme de l’entretien"),
        choices=[
            (m.value, m.label) for m in (Interview.Method.HEARING, Interview.Method.JOINT, Interview.Method.PHONE)
        ],
    )
    held_at = forms.DateTimeField(label=_("Date et heure"), widget=_datetime_input())
    conducted_by = _team_field(_("Mené par"))
    also_present = TextField(
        label=_("Autres personnes présentes"),
        max_length=255,
        required=False,
        help_text=_("Par exemple : la CPE, un parent."),
    )
    words = TextField(label=WORDS_LABEL, max_length=20_000, required=False, widget=_textarea(6), help_text=WORDS_HINT)
    summary = TextField(
        label=_("Synthèse"), max_length=20_000, required=False, widget=_textarea(4), help_text=HEALTH_HINT
    )

    def __init__(self, *args, case: Case, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        rows = (
            Involvement.objects.filter(case=case, role__in=Interview.Kind.values)
            .select_related("person")
            .order_by("person__last_name", "pk")
        )
        self.involvements = {str(i.pk): i for i in rows}
        held = held_involvements(case, self.involvements.values())
        held_note = " — " + str(_("famille sous consigne : pas d’entretien avec la famille"))
        self.fields["involvement"].choices = [
            (key, f"{i.person} — {str(i.get_role_display()).lower()}{held_note if i.pk in held else ''}")
            for key, i in self.involvements.items()
        ]
        self.fields["conducted_by"].queryset = team_for(case, actor)
        self.fields["conducted_by"].initial = actor.public_id
        if _has_holds(case):
            self.fields["hold_confirmed"] = _hold_confirmed_field()

    def clean(self):
        data = super().clean()
        data["involvement"] = self.involvements.get(data.get("involvement") or "")
        if not (data.get("words") or "").strip() and not (data.get("summary") or "").strip():
            self.add_error("summary", _("Écrivez les paroles de l’élève ou la synthèse de l’entretien."))
        return data


# --- Shared-concern method -----------------------------------------------------------------------------


class SeriesStartForm(HalteForm):
    author = forms.ChoiceField(label=_("Élève auteur présumé"))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        taken = {str(p) for p in case.mpp_series.values_list("author__public_id", flat=True)}
        choices = [c for c in people_choices(case, [InvolvementRole.ALLEGED_AUTHOR]) if c[0] not in taken]
        self.fields["author"].choices = choices

    def engaged_series(self):
        """The series already engaged with the author posted (a second click, a second tab): no longer
        offered, it is no invalid choice but something already done."""
        posted = self.data.get(self.add_prefix("author")) if self.is_bound else None
        if not posted:
            return None
        try:
            return self.case.mpp_series.select_related("created_by__user").filter(author__public_id=posted).first()
        except ValidationError:  # not an identifier: the field says so in words
            return None

    def clean(self):
        data = super().clean()
        data["author"] = person_from(self.case, data.get("author") or "")
        return data


YES_NO_UNKNOWN = [("unknown", _("Pas encore vérifié")), ("yes", _("Oui")), ("no", _("Non"))]


class AuthorMeetingForm(SubmissionTokenMixin, HalteForm):
    held_at = forms.DateTimeField(label=_("Date et heure"), widget=_datetime_input())
    conducted_by = _team_field(_("Mené par"))
    summary = TextField(
        label=_("Ce qui s’est dit"),
        max_length=20_000,
        widget=_textarea(3),
        help_text=HEALTH_HINT,
        error_messages={"required": _("Écrivez ce qui s’est dit pendant l’entretien.")},
    )
    proposals_made = TextField(
        label=_("Propositions faites par l’élève"),
        max_length=4000,
        required=False,
        widget=_textarea(3),
        help_text=_("Ce que l’élève propose de faire pour que l’autre élève aille mieux."),
    )
    proposals_done = forms.ChoiceField(
        label=_("Les propositions de l’entretien précédent ont-elles été mises en œuvre ?"),
        choices=YES_NO_UNKNOWN,
        initial="unknown",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, case: Case, actor: Membership, first: bool, **kwargs):
        """``first``: no meeting with the author is recorded yet, so there are no previous proposals to
        ask about: the question is not shown."""
        super().__init__(*args, **kwargs)
        self.fields["conducted_by"].queryset = team_for(case, actor)
        self.fields["conducted_by"].initial = actor.public_id
        if first:
            del self.fields["proposals_done"]

    def clean_proposals_done(self):
        return {"yes": True, "no": False}.get(self.cleaned_data["proposals_done"])


class VictimPointForm(SubmissionTokenMixin, HalteForm):
    victim = forms.ChoiceField(label=_("Élève victime"))
    held_at = forms.DateTimeField(label=_("Date et heure"), widget=_datetime_input())
    conducted_by = _team_field(_("Mené par"))
    victim_view = forms.ChoiceField(
        label=_("Selon l’élève, depuis le début de la méthode, c’est"),
        choices=Interview.VictimView.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez ce que dit l’élève : mieux, pareil ou moins bien.")},
    )
    words = TextField(label=WORDS_LABEL, max_length=20_000, required=False, widget=_textarea(4), help_text=WORDS_HINT)
    summary = TextField(
        label=_("Synthèse"), max_length=20_000, required=False, widget=_textarea(3), help_text=HEALTH_HINT
    )

    def __init__(self, *args, case: Case, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["victim"].choices = people_choices(case, [InvolvementRole.VICTIM])
        self.fields["conducted_by"].queryset = team_for(case, actor)
        self.fields["conducted_by"].initial = actor.public_id

    def clean(self):
        data = super().clean()
        data["victim"] = person_from(self.case, data.get("victim") or "")
        return data


class SeriesOutcomeForm(HalteForm):
    status = forms.ChoiceField(
        label=_("Issue de la série"),
        choices=[(s.value, s.label) for s in (MppSeries.Status.IMPROVED, MppSeries.Status.STOPPED)],
    )


# --- Families ----------------------------------------------------------------------------------------


def family_choices(case: Case, *, exclude_pupils=()) -> list[tuple[str, str]]:
    """The families of the case, one per pupil: (pupil public id, « Famille de Léa Martin (victime) »)."""
    from .families import families_of

    return [
        (str(family.pupil.public_id), family.label)
        for family in families_of(case)
        if family.pupil.pk not in set(exclude_pupils)
    ]


def pupil_from(case: Case, public_id: str):
    """The pupil behind a family choice, only if it is a pupil of the case."""
    return person_from(case, public_id) if public_id else None


class FamilyContactForm(SubmissionTokenMixin, HalteForm):
    pupil = forms.ChoiceField(
        label=_("Famille"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez la famille contactée."),
            "invalid_choice": _("Choisissez la famille contactée."),
        },
    )
    at = forms.DateTimeField(label=_("Date et heure"), widget=_datetime_input())
    channel = forms.ChoiceField(label=_("Moyen"), choices=FamilyContact.Channel.choices)
    made_by = _team_field(_("Contact pris par"))
    person = forms.ChoiceField(label=_("Personne contactée"), required=False)
    summary = TextField(label=_("Résumé de l’échange"), max_length=8000, widget=_textarea(4), help_text=HEALTH_HINT)
    informed_of_situation = forms.BooleanField(
        label=_("La famille a été informée de la situation, des mesures prises et de ses droits"),
        required=False,
        help_text=_("Impossible tant qu’une consigne « ne pas informer » s’applique à cette famille."),
    )

    def __init__(self, *args, case: Case, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["pupil"].choices = family_choices(case)
        self.fields["person"].choices = [("", _("Non précisé")), *people_choices(case)]
        self.fields["made_by"].queryset = team_for(case, actor)
        self.fields["made_by"].initial = actor.public_id
        if _has_holds(case):
            self.fields["hold_confirmed"] = _hold_confirmed_field()

    def clean(self):
        data = super().clean()
        data["pupil"] = pupil_from(self.case, data.get("pupil") or "")
        data["person"] = person_from(self.case, data.get("person") or "")
        return data


class ParentsExceptionForm(HalteForm):
    pupil = forms.ChoiceField(
        label=_("Famille"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez la famille concernée."),
            "invalid_choice": _("Choisissez la famille concernée."),
        },
    )
    reason = TextField(
        label=_("Pourquoi informer ces parents irait contre l’intérêt de l’enfant"),
        max_length=4000,
        widget=_textarea(4),
        error_messages={
            "required": _(
                "Expliquez pourquoi informer ces parents irait contre l’intérêt de l’enfant : "
                "sans motif, rien n’est enregistré."
            )
        },
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["pupil"].choices = family_choices(case)

    def clean(self):
        data = super().clean()
        data["pupil"] = pupil_from(self.case, data.get("pupil") or "")
        return data


class RestrictionForm(SubmissionTokenMixin, HalteForm):
    pupil = forms.ChoiceField(
        label=_("Famille à ne pas informer"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez la famille."), "invalid_choice": _("Choisissez la famille.")},
    )
    reason = TextField(
        label=_("Motif (besoin de l’enquête)"),
        max_length=2000,
        widget=_textarea(3),
        help_text=_("Lu seulement par qui consulte le volet judiciaire du dossier."),
        error_messages={"required": _("Indiquez le motif : sans motif, rien n’est enregistré.")},
    )

    def __init__(self, *args, case: Case, exclude_pupils=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["pupil"].choices = family_choices(case, exclude_pupils=exclude_pupils)

    def clean(self):
        data = super().clean()
        data["pupil"] = pupil_from(self.case, data.get("pupil") or "")
        return data


class LiftRestrictionForm(SubmissionTokenMixin, HalteForm):
    reason = TextField(
        label=_("Motif de la levée"),
        max_length=2000,
        widget=_textarea(3),
        error_messages={"required": _("Indiquez le motif : sans motif, rien n’est enregistré.")},
    )
