"""Forms for the people who can be reached: an adult's contact details, a pupil's date of birth and
home address, and a pupil's guardian (an adult of the case, or one entered then). Bad input gets a
French message on its field."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halte.core.submission import SubmissionTokenMixin
from halte.forms import HalteForm
from halte.reports.forms import TextField

from .guardians import check_birth_date, normalise_phone
from .models import Guardianship, Person

EMAIL_INVALID = _("Adresse électronique non reconnue : elle s’écrit comme prenom.nom@exemple.fr.")


class ContactFieldsMixin(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        required=False,
        max_length=254,
        error_messages={"invalid": EMAIL_INVALID},
    )
    phone = TextField(label=_("Téléphone"), required=False, max_length=32, help_text=_("Par exemple : 06 12 34 56 78"))
    address = TextField(
        label=_("Adresse postale"),
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Numéro et voie, puis code postal et commune, comme sur une enveloppe."),
    )

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data.get("phone") or "")
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_address(self):
        return clean_address(self.cleaned_data.get("address") or "")


def clean_address(value: str) -> str:
    """Lines kept as typed (an envelope has several), trailing spaces and empty lines dropped."""
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


def birth_date_field() -> forms.DateField:
    return forms.DateField(
        label=_("Date de naissance"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date non reconnue : indiquez le jour, le mois et l’année (4 chiffres).")},
    )


def clean_birth_date_value(value, *, pupil: bool):
    try:
        check_birth_date(value, timezone.localdate(), pupil=pupil)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from None
    return value


class ContactForm(ContactFieldsMixin, SubmissionTokenMixin, HalteForm):
    pass


class PupilIdentityForm(SubmissionTokenMixin, HalteForm):
    """A pupil's date of birth and home address: what the CRIP needs to identify the child. Their phone
    and email are their guardians'."""

    birth_date = birth_date_field()
    address = ContactFieldsMixin.base_fields["address"]

    def clean_birth_date(self):
        return clean_birth_date_value(self.cleaned_data.get("birth_date"), pupil=True)

    def clean_address(self):
        return clean_address(self.cleaned_data.get("address") or "")


class GuardianForm(ContactFieldsMixin, SubmissionTokenMixin, HalteForm):
    existing = forms.ChoiceField(
        label=_("Adulte déjà dans le dossier"),
        required=False,
        error_messages={"invalid_choice": _("Choisissez un adulte de ce dossier, ou « Nouvelle personne ».")},
        help_text=_("Ou laissez « Nouvelle personne » et saisissez-la ci-dessous."),
    )
    first_name = TextField(label=_("Prénom"), max_length=100, required=False)
    last_name = TextField(label=_("Nom"), max_length=100, required=False)
    relationship = forms.ChoiceField(
        label=_("Lien avec l’élève"),
        choices=Guardianship.Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez le lien avec l’élève."),
            "invalid_choice": _("Choisissez le lien avec l’élève."),
        },
    )
    parental_authority = forms.TypedChoiceField(
        label=_("Exerce l’autorité parentale"),
        choices=[("1", _("Oui")), ("0", _("Non"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Indiquez si cette personne exerce l’autorité parentale."),
            "invalid_choice": _("Indiquez si cette personne exerce l’autorité parentale."),
        },
    )

    field_order = [
        "existing",
        "first_name",
        "last_name",
        "phone",
        "email",
        "address",
        "relationship",
        "parental_authority",
    ]

    def __init__(self, *args, adults: list[Person], **kwargs):
        super().__init__(*args, **kwargs)
        self._adults = {str(person.public_id): person for person in adults}
        existing = self.fields["existing"]
        assert isinstance(existing, forms.ChoiceField)
        existing.choices = [
            ("", _("Nouvelle personne")),
            *[(key, str(person)) for key, person in self._adults.items()],
        ]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        data["guardian"] = self._adults.get(data.pop("existing", "") or "")
        if data["guardian"] is None and not data.get("first_name"):
            self.add_error("first_name", _("Indiquez le prénom, ou choisissez un adulte déjà dans le dossier."))
        return data
