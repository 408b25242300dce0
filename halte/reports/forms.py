"""Forms of the public reporting journey (one per step), the mailbox and staff intake.

Labels speak to a child ("tu"); errors say what to do. Every field has a length limit, and text is
stripped of control characters so that nothing odd reaches a screen or a PDF later.
"""

import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.directory.models import School
from halte.forms import HalteForm

from . import enums

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value).strip()


class TextField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value) if value else value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def checkboxes(choices, label, help_text=""):
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, help_text=help_text
    )


def radios(choices, label, required=True, help_text=""):
    return forms.ChoiceField(
        label=label, choices=choices, required=required, widget=forms.RadioSelect, help_text=help_text
    )


YES_NO = [("no", _("Non")), ("yes", _("Oui"))]
ANONYMITY = [("anonymous", _("Je reste anonyme")), ("named", _("Je donne mon nom pour être recontacté"))]


class ReporterStep(HalteForm):
    title = _("Qui es-tu ?")
    reporter_kind = radios(enums.ReporterKind.choices, _("Qui fait ce signalement ?"))
    anonymity = radios(
        ANONYMITY,
        _("Veux-tu rester anonyme ?"),
        help_text=_(
            "Anonyme : personne ne saura qui a écrit. Tu pourras quand même suivre ton signalement avec ton code."
        ),
    )
    reporter_name = TextField(label=_("Ton nom et ton prénom"), max_length=200, required=False)
    reporter_email = forms.EmailField(label=_("Ton adresse électronique"), max_length=254, required=False)
    reporter_phone = TextField(label=_("Ton numéro de téléphone"), max_length=32, required=False)

    def clean(self):
        data = super().clean()
        if data.get("anonymity") == "named":
            if not data.get("reporter_name"):
                self.add_error("reporter_name", _("Écris ton nom, ou choisis de rester anonyme."))
            if not data.get("reporter_email") and not data.get("reporter_phone"):
                self.add_error("reporter_email", _("Donne une adresse électronique ou un numéro de téléphone."))
        return data


class SchoolStep(HalteForm):
    title = _("Dans quel établissement ?")
    school_query = TextField(
        label=_("Nom de l’établissement, ville ou code UAI"),
        max_length=100,
        required=False,
        help_text=_("Par exemple : Amiral Lejeune, Abbeville, 0800020M. Puis appuie sur « Chercher »."),
    )
    school = forms.ChoiceField(label=_("Choisis l’établissement"), required=False, widget=forms.RadioSelect)
    school_text = TextField(
        label=_("Tu ne le trouves pas ? Écris son nom et sa ville"),
        max_length=255,
        required=False,
    )

    def __init__(self, *args, matches=(), **kwargs):
        super().__init__(*args, **kwargs)
        chosen = clean_text(self.data.get(self.add_prefix("school")) or self.initial.get("school") or "")
        schools = list(matches)
        if chosen and chosen not in {s.uai for s in schools}:
            schools += list(School.objects.filter(uai=chosen))
        self.fields["school"].choices = [(s.uai, str(s)) for s in schools]
        if not schools:
            del self.fields["school"]

    def clean(self):
        data = super().clean()
        if not data.get("school") and not data.get("school_text"):
            raise forms.ValidationError(
                _("Cherche l’établissement et choisis-le, ou écris son nom dans la dernière case.")
            )
        return data


class PupilForm(HalteForm):
    first_name = TextField(label=_("Prénom"), max_length=100, required=False)
    last_name = TextField(label=_("Nom (si tu le connais)"), max_length=100, required=False)
    class_name = TextField(label=_("Classe (si tu la connais)"), max_length=50, required=False)
    role = forms.ChoiceField(
        label=_("Ce que fait cet élève"), choices=[("", "—"), *enums.PupilRole.choices], required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("first_name") and not data.get("role"):
            self.add_error("role", _("Dis ce que fait cet élève."))
        if data.get("role") and not data.get("first_name"):
            self.add_error("first_name", _("Écris au moins son prénom."))
        return data


PupilFormSet = forms.formset_factory(PupilForm, extra=4, max_num=4, absolute_max=4, validate_max=True)


class FactsStep(HalteForm):
    title = _("Que se passe-t-il ?")
    bullying_forms = checkboxes(enums.Form.choices, _("Qu’est-ce qui se passe ?"), _("Tu peux cocher plusieurs cases."))
    platforms = checkboxes(enums.Platform.choices, _("Si c’est sur internet : où ?"))
    since = radios(enums.Since.choices, _("Depuis quand ?"))
    frequency = radios(enums.Frequency.choices, _("Combien de fois ?"))
    places = checkboxes(enums.Place.choices, _("Où ça se passe ?"))
    description = TextField(
        label=_("Raconte avec tes mots"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Qui fait quoi, quand, depuis quand. Écris ce que tu sais, même si ce n’est pas tout."),
    )


class WellbeingStep(HalteForm):
    title = _("Comment ça va ?")
    distress_signs = checkboxes(
        enums.DistressSign.choices,
        _("L’élève qui subit…"),
        _("Coche ce qui est vrai. Si tu ne sais pas, ne coche rien."),
    )
    immediate_danger = radios(YES_NO, _("Quelqu’un est-il en danger en ce moment ?"))


class FinishStep(HalteForm):
    title = _("Envoyer")
    files = MultipleFileField(
        label=_("Ajouter des preuves (facultatif)"),
        required=False,
        help_text=_(
            "Captures d’écran, photos, messages, PDF ou courtes vidéos. 10 fichiers au maximum, "
            "10 Mo chacun. Les informations cachées dans les photos (lieu, appareil) sont retirées."
        ),
    )
    consent_to_contact = forms.BooleanField(
        label=_("J’accepte que la cellule me contacte"),
        required=False,
        help_text=_("Seulement si tu as donné ton nom et un moyen de te joindre."),
    )


STEPS = [
    ("qui", ReporterStep),
    ("etablissement", SchoolStep),
    ("eleves", PupilFormSet),
    ("faits", FactsStep),
    ("bien-etre", WellbeingStep),
    ("envoyer", FinishStep),
]
STEP_TITLES = {
    "qui": _("Qui es-tu ?"),
    "etablissement": _("Dans quel établissement ?"),
    "eleves": _("Quels élèves ?"),
    "faits": _("Que se passe-t-il ?"),
    "bien-etre": _("Comment ça va ?"),
    "envoyer": _("Envoyer"),
}


class ReceiptForm(HalteForm):
    code = forms.CharField(
        label=_("Ton code de suivi"),
        max_length=40,
        help_text=_("Les 20 chiffres que tu as notés, avec ou sans espaces."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )


class ReporterMessageForm(HalteForm):
    body = TextField(label=_("Ton message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Ajouter des preuves (facultatif)"), required=False)


class StaffReplyForm(SubmissionTokenMixin, HalteForm):
    body = TextField(
        label=_("Réponse à la personne qui a signalé"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Elle la lira avec son code de suivi. Écrivez simplement : c’est peut-être un enfant."),
    )


class StaffIntakeForm(SubmissionTokenMixin, HalteForm):
    """One page for a report received by phone, email, letter, at school or from a partner."""

    channel = forms.ChoiceField(label=_("Reçu par"), choices=[(c.value, c.label) for c in enums.STAFF_CHANNELS])
    received_at = forms.DateTimeField(
        label=_("Reçu le"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )
    reporter_kind = forms.ChoiceField(
        label=_("Qui signale"),
        choices=[
            (enums.ReporterKind.VICTIM, _("L’élève victime")),
            (enums.ReporterKind.PARENT, _("Un parent ou un proche")),
            (enums.ReporterKind.WITNESS, _("Un élève témoin")),
            (enums.ReporterKind.SCHOOL_STAFF, _("Un personnel de l’établissement")),
            (enums.ReporterKind.OTHER, _("Autre (partenaire, professionnel…)")),
        ],
    )
    is_anonymous = forms.BooleanField(label=_("La personne souhaite rester anonyme"), required=False)
    reporter_name = TextField(label=_("Nom de la personne qui signale"), max_length=200, required=False)
    reporter_email = forms.EmailField(label=_("Son adresse électronique"), max_length=254, required=False)
    reporter_phone = TextField(label=_("Son téléphone"), max_length=32, required=False)
    consent_to_contact = forms.BooleanField(label=_("Elle accepte d’être recontactée"), required=False)
    school = forms.CharField(label=_("Établissement (code UAI)"), max_length=8, required=False)
    school_text = TextField(label=_("Établissement hors annuaire"), max_length=255, required=False)
    bullying_forms = checkboxes(enums.Form.choices, _("Formes"))
    platforms = checkboxes(enums.Platform.choices, _("Réseaux et applications"))
    since = forms.ChoiceField(label=_("Depuis"), choices=[("", "—"), *enums.Since.choices], required=False)
    frequency = forms.ChoiceField(label=_("Fréquence"), choices=[("", "—"), *enums.Frequency.choices], required=False)
    places = checkboxes(enums.Place.choices, _("Lieux"))
    description = TextField(label=_("Faits rapportés"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 8}))
    distress_signs = checkboxes(enums.DistressSign.choices, _("Signes de souffrance"))
    immediate_danger = forms.BooleanField(label=_("Danger immédiat signalé"), required=False)
    faits_etablissement_id = TextField(label=_("N° « Faits établissement »"), max_length=64, required=False)
    faits_etablissement_level = forms.TypedChoiceField(
        label=_("Niveau « Faits établissement »"),
        choices=[("", "—"), *enums.FaitsLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    parquet_number = TextField(label=_("N° de parquet"), max_length=64, required=False)
    stop_harcelement_id = TextField(label=_("N° 3018"), max_length=64, required=False)
    crip_id = TextField(label=_("N° CRIP"), max_length=64, required=False)
    files = MultipleFileField(label=_("Pièces"), required=False)

    # Up to this many schools, a plain list to pick from; beyond, the UAI is typed (the annuaire has 66,000).
    SELECT_LIMIT = 300

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.schools = schools
        options = list(schools.order_by("name")[: self.SELECT_LIMIT + 1])
        if len(options) <= self.SELECT_LIMIT:
            self.fields["school"] = forms.ChoiceField(
                label=_("Établissement"),
                choices=[("", "—"), *((s.uai, str(s)) for s in options)],
                required=len(options) == 1,
            )
            if len(options) == 1:
                self.fields["school"].initial = options[0].uai
                del self.fields["school_text"]
        else:
            self.fields["school"].help_text = _("8 caractères, par exemple 0800020M.")

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value.year < 2000:
            raise forms.ValidationError(_("Cette date est trop ancienne : vérifiez l’année."))
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("La date de réception ne peut pas être dans le futur."))
        return value

    def clean_school(self):
        uai = (self.cleaned_data.get("school") or "").strip().upper()
        if not uai:
            return None
        school = self.schools.filter(uai=uai).first()
        if school is None:
            raise forms.ValidationError(_("Cet établissement n’existe pas ou ne fait pas partie des vôtres."))
        return school

    def clean(self):
        data = super().clean()
        if not data.get("school") and not data.get("school_text"):
            self.add_error("school", _("Indiquez l’établissement concerné."))
        if not data.get("is_anonymous") and not data.get("reporter_name"):
            self.add_error("reporter_name", _("Indiquez le nom de la personne, ou cochez « anonyme »."))
        return data
