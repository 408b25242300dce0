"""Forms of the public reporting journey (one per step), the mailbox and staff intake.

Labels speak to a child (« tu ») or, once an adult has said who they are, to them (« vous »: see
voice.py); errors say what to do, in the same voice, and none of Django's own messages is left. Every
field has a length limit, and text is stripped of control characters so that nothing odd reaches a
screen or a PDF later.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django import forms
from django.core import validators
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.directory.models import School
from halte.forms import HalteForm

from . import enums
from .voice import tu_vous

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


# --- The public journey ---------------------------------------------------------------------------
# Every message a reporter can meet is written here, in their voice: none of Django's defaults
# (« Saisissez… », « Assurez-vous que… », « Sélectionnez un choix valide… ») is reachable.

REQUIRED_TEXT = tu_vous(_("Écris quelque chose ici."), _("Écrivez quelque chose ici."))
REQUIRED_CHOICE = tu_vous(_("Choisis une réponse."), _("Choisissez une réponse."))
INVALID_CHOICE = tu_vous(
    _("Ce choix n’existe pas : choisis une des réponses proposées."),
    _("Ce choix n’existe pas : choisissez une des réponses proposées."),
)
TOO_LONG = tu_vous(
    _("C’est trop long : %(limit_value)d caractères au plus, tu en as écrit %(show_value)d. Raccourcis un peu."),
    _("C’est trop long : %(limit_value)d caractères au plus, vous en avez écrit %(show_value)d. Raccourcissez un peu."),
)
INVALID_EMAIL = tu_vous(
    _("Cette adresse électronique n’est pas complète : elle s’écrit comme prenom.nom@exemple.fr."),
    _("Cette adresse électronique n’est pas complète : elle s’écrit comme prenom.nom@exemple.fr."),
)
INVISIBLE_CHARACTER = tu_vous(
    _("Il y a un caractère invisible dans ce texte : efface-le et écris-le à nouveau."),
    _("Il y a un caractère invisible dans ce texte : effacez-le et écrivez-le à nouveau."),
)
FILE_UNREADABLE = tu_vous(
    _("Ce fichier n’a pas pu être lu : choisis-le à nouveau."),
    _("Ce fichier n’a pas pu être lu : choisissez-le à nouveau."),
)
FILE_EMPTY = tu_vous(
    _("Ce fichier est vide : choisis-en un autre."), _("Ce fichier est vide : choisissez-en un autre.")
)
FILE_NAME_TOO_LONG = tu_vous(
    _("Le nom de ce fichier est trop long : renomme-le plus court."),
    _("Le nom de ce fichier est trop long : renommez-le plus court."),
)

_FIELD_MESSAGES = {
    "required": REQUIRED_TEXT,
    "invalid_choice": INVALID_CHOICE,
    "invalid_list": INVALID_CHOICE,
    "invalid": FILE_UNREADABLE,
    "missing": FILE_UNREADABLE,
    "empty": FILE_EMPTY,
    "contradiction": FILE_UNREADABLE,
    "max_length": FILE_NAME_TOO_LONG,
    "invalid_image": FILE_UNREADABLE,
}


def _speak_plainly(field: forms.Field) -> None:
    """Replace every message Django would write for `field` by one of ours."""
    messages = {key: value for key, value in _FIELD_MESSAGES.items() if key in field.error_messages}
    if isinstance(field, forms.ChoiceField):
        messages["required"] = REQUIRED_CHOICE
    if isinstance(field, forms.EmailField):
        messages["invalid"] = INVALID_EMAIL
    field.error_messages = {**field.error_messages, **messages}
    voiced = []
    for validator in field.validators:
        if isinstance(validator, validators.MaxLengthValidator):
            validator = validators.MaxLengthValidator(validator.limit_value, message=TOO_LONG)
        elif isinstance(validator, validators.EmailValidator):
            validator = validators.EmailValidator(message=INVALID_EMAIL)
        elif isinstance(validator, validators.ProhibitNullCharactersValidator):
            validator = validators.ProhibitNullCharactersValidator(message=INVISIBLE_CHARACTER)
        voiced.append(validator)
    field.validators = voiced


def _first_input_id(bound_field) -> str:
    """The id of the element a link to this field should focus (the first box of a group)."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label or bound_field.auto_id


@dataclass(frozen=True)
class ErrorLine:
    """One line of the error summary at the top of a page: what is wrong, and a link to where."""

    target: str
    label: object
    message: object


class PublicForm(HalteForm):
    """A step of the public journey: plain words in the reporter's voice, a summary of what to fix."""

    # Where a link for an error that belongs to no field points to.
    non_field_target = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _speak_plainly(field)

    def error_lines(self, label_prefix="") -> list[ErrorLine]:
        if not self.is_bound or not self.errors:
            return []
        lines = []
        first_field = next(iter(self), None)
        for message in self.non_field_errors():
            target = self.non_field_target or (_first_input_id(first_field) if first_field else "")
            lines.append(ErrorLine(target, label_prefix, message))
        for bound_field in self:
            for message in bound_field.errors:
                label = f"{label_prefix}{bound_field.label}" if label_prefix else bound_field.label
                lines.append(ErrorLine(_first_input_id(bound_field), label, message))
        return lines


YES_NO = [("no", _("Non")), ("yes", _("Oui"))]
ANONYMITY = [
    ("anonymous", _("Je reste anonyme")),
    ("named", _("Je donne mon nom pour être recontacté")),
]
IDENTITY_FIELDS = ("reporter_name", "reporter_email", "reporter_phone")


class ReporterStep(PublicForm):
    title = tu_vous(_("Qui es-tu ?"), _("Qui êtes-vous ?"))
    reporter_kind = radios(enums.REPORTER_CHOICES, _("Qui fait ce signalement ?"))
    anonymity = radios(
        ANONYMITY,
        tu_vous(_("Veux-tu rester anonyme ?"), _("Voulez-vous rester anonyme ?")),
        help_text=tu_vous(
            _("Anonyme : personne ne saura qui a écrit. Tu pourras quand même suivre ton signalement avec ton code."),
            _(
                "Anonyme : personne ne saura qui a écrit. Vous pourrez quand même suivre votre signalement avec "
                "votre code."
            ),
        ),
    )
    reporter_name = TextField(label=_("Nom et prénom"), max_length=200, required=False)
    reporter_email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        required=False,
        help_text=_("Par exemple : prenom.nom@exemple.fr"),
    )
    reporter_phone = TextField(label=_("Numéro de téléphone"), max_length=32, required=False)

    def clean(self):
        data = super().clean()
        if data.get("anonymity") == "named":
            if not data.get("reporter_name"):
                self.add_error(
                    "reporter_name",
                    tu_vous(
                        _("Écris ton nom, ou choisis de rester anonyme."),
                        _("Écrivez votre nom, ou choisissez de rester anonyme."),
                    ),
                )
            if (
                not data.get("reporter_email")
                and not data.get("reporter_phone")
                and "reporter_email" not in self.errors
            ):
                self.add_error(
                    "reporter_email",
                    tu_vous(
                        _("Donne une adresse électronique ou un numéro de téléphone."),
                        _("Donnez une adresse électronique ou un numéro de téléphone."),
                    ),
                )
        elif data.get("anonymity") == "anonymous":
            # Hidden once « anonyme » is chosen: whatever was typed there before is neither checked nor kept.
            for name in IDENTITY_FIELDS:
                self.errors.pop(name, None)
                data[name] = ""
        return data


class SchoolSearchForm(PublicForm):
    """The search of step 2, a form of its own: Enter in it searches, Enter elsewhere continues."""

    school_query = TextField(
        label=tu_vous(
            _("Nom de ton école, collège ou lycée, ou sa ville"),
            _("Nom de l’école, du collège ou du lycée, ou sa ville"),
        ),
        max_length=100,
        required=False,
        help_text=tu_vous(
            _("Par exemple : Amiral Lejeune, ou Abbeville. Puis appuie sur « Chercher »."),
            _("Par exemple : Amiral Lejeune, ou Abbeville. Puis appuyez sur « Chercher »."),
        ),
    )


class SchoolStep(PublicForm):
    title = _("Dans quelle école ?")
    school = forms.ChoiceField(
        label=tu_vous(
            _("Choisis ton école, ton collège ou ton lycée"), _("Choisissez l’école, le collège ou le lycée")
        ),
        required=False,
        widget=forms.RadioSelect,
    )
    school_text = TextField(
        label=tu_vous(
            _("Tu ne la trouves pas ? Écris son nom et sa ville"),
            _("Vous ne la trouvez pas ? Écrivez son nom et sa ville"),
        ),
        max_length=255,
        required=False,
    )
    non_field_target = "id_school_query"

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
        if not data.get("school") and not data.get("school_text") and not self.errors:
            raise forms.ValidationError(
                tu_vous(
                    _("Cherche ton école et choisis-la, ou écris son nom dans la dernière case."),
                    _("Cherchez l’école et choisissez-la, ou écrivez son nom dans la dernière case."),
                )
            )
        return data


class PupilForm(PublicForm):
    first_name = TextField(label=_("Prénom"), max_length=100, required=False)
    last_name = TextField(
        label=tu_vous(_("Nom (si tu le connais)"), _("Nom (si vous le connaissez)")), max_length=100, required=False
    )
    class_name = TextField(
        label=tu_vous(_("Classe (si tu la connais)"), _("Classe (si vous la connaissez)")),
        max_length=50,
        required=False,
    )
    role = forms.ChoiceField(
        label=_("Ce que fait cet élève"), choices=[("", "—"), *enums.PupilRole.choices], required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("first_name") and not data.get("role"):
            self.add_error("role", tu_vous(_("Dis ce que fait cet élève."), _("Dites ce que fait cet élève.")))
        if data.get("role") and not data.get("first_name"):
            self.add_error("first_name", tu_vous(_("Écris au moins son prénom."), _("Écrivez au moins son prénom.")))
        return data


class BasePupilFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": tu_vous(
            _("La page n’était pas complète. Écris à nouveau les prénoms, puis continue."),
            _("La page n’était pas complète. Écrivez à nouveau les prénoms, puis continuez."),
        ),
        "too_many_forms": _("Pas plus de %(num)d élèves ici."),
        "too_few_forms": _("Pas plus de %(num)d élèves ici."),
    }

    def __init__(self, *args, carried_errors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.carried_errors = list(carried_errors)

    def error_lines(self) -> list[ErrorLine]:
        if not self.is_bound:
            return [ErrorLine("id_form-0-first_name", "", message) for message in self.carried_errors]
        lines = [ErrorLine("id_form-0-first_name", "", message) for message in self.non_form_errors()]
        if self.management_form.is_valid():
            for number, form in enumerate(self.forms, start=1):
                prefix = _("Élève %(number)d, ") % {"number": number}
                lines += form.error_lines(label_prefix=prefix)
        return lines


PupilFormSet = cast(
    "type[BasePupilFormSet]",
    forms.formset_factory(PupilForm, formset=BasePupilFormSet, extra=4, max_num=4, absolute_max=4, validate_max=True),
)


class FactsStep(PublicForm):
    title = _("Que se passe-t-il ?")
    bullying_forms = checkboxes(
        enums.Form.choices,
        _("Qu’est-ce qui se passe ?"),
        tu_vous(_("Tu peux cocher plusieurs cases."), _("Vous pouvez cocher plusieurs cases.")),
    )
    platforms = checkboxes(enums.Platform.choices, _("Si c’est sur internet : où ?"))
    since = radios(enums.Since.choices, _("Depuis quand ?"))
    frequency = radios(enums.Frequency.choices, _("Combien de fois ?"))
    places = checkboxes(enums.Place.choices, _("Où ça se passe ?"))
    description = TextField(
        label=tu_vous(_("Raconte avec tes mots"), _("Racontez avec vos mots")),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=tu_vous(
            _("Qui fait quoi, quand, depuis quand. Écris ce que tu sais, même si ce n’est pas tout."),
            _("Qui fait quoi, quand, depuis quand. Écrivez ce que vous savez, même si ce n’est pas tout."),
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].error_messages["required"] = tu_vous(
            _("Raconte ce qui se passe, même en quelques mots."),
            _("Racontez ce qui se passe, même en quelques mots."),
        )


class WellbeingStep(PublicForm):
    title = _("Comment ça va ?")
    distress_signs = checkboxes(
        enums.DistressSign.choices,
        _("L’élève qui subit…"),
        tu_vous(
            _("Coche ce qui est vrai. Si tu ne sais pas, ne coche rien."),
            _("Cochez ce qui est vrai. Si vous ne savez pas, ne cochez rien."),
        ),
    )
    immediate_danger = radios(YES_NO, _("Quelqu’un est-il en danger en ce moment ?"))


class FinishStep(PublicForm):
    title = _("Envoyer")
    files = MultipleFileField(
        label=tu_vous(_("Ajouter des preuves, si tu en as"), _("Ajouter des preuves, si vous en avez")),
        required=False,
        help_text=tu_vous(
            _(
                "Captures d’écran, photos, messages, PDF ou courtes vidéos : 10 fichiers au plus. Une photo ou une "
                "capture passe toujours ; une vidéo doit durer moins d’une minute environ. Ce que les photos "
                "cachent (le lieu, le téléphone utilisé) est effacé."
            ),
            _(
                "Captures d’écran, photos, messages, PDF ou courtes vidéos : 10 fichiers au plus. Une photo ou une "
                "capture passe toujours ; une vidéo doit durer moins d’une minute environ. Ce que les photos "
                "cachent (le lieu, le téléphone utilisé) est effacé."
            ),
        ),
    )
    consent_to_contact = forms.BooleanField(
        label=_("J’accepte que l’équipe me contacte"),
        required=False,
        help_text=tu_vous(
            _("Seulement si tu as donné ton nom et un moyen de te joindre."),
            _("Seulement si vous avez donné votre nom et un moyen de vous joindre."),
        ),
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
    "qui": tu_vous(_("Qui es-tu ?"), _("Qui êtes-vous ?")),
    "etablissement": _("Dans quelle école ?"),
    "eleves": _("Quels élèves ?"),
    "faits": _("Que se passe-t-il ?"),
    "bien-etre": _("Comment ça va ?"),
    "envoyer": _("Envoyer"),
}


class ReceiptForm(PublicForm):
    code = forms.CharField(
        label=_("Ton code de suivi"),
        max_length=40,
        help_text=_("Les 20 chiffres que tu as notés, avec ou sans espaces."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )


class ReporterMessageForm(PublicForm):
    body = TextField(
        label=tu_vous(_("Ton message"), _("Votre message")), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    files = MultipleFileField(
        label=tu_vous(_("Ajouter des preuves, si tu en as"), _("Ajouter des preuves, si vous en avez")), required=False
    )


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
