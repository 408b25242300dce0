"""Forms of the login journey. Labels and errors in plain French."""

import logging

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from halte.core import mail
from halte.forms import HalteForm

from .addresses import NormalisedEmailField


class EmailAuthenticationForm(HalteForm, AuthenticationForm):
    username = NormalisedEmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _("Adresse électronique ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé. Contactez l'administrateur de la cellule."),
    }


class EmailPasswordResetForm(PasswordResetForm):
    """The reset form finds the account whatever the case or Unicode form of the address typed."""

    email = NormalisedEmailField(label=_("Adresse électronique"), max_length=254, widget=forms.EmailInput())

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        """Like every Halte email: an HTML twin of the text and the automatic-message headers. A
        failure is logged, not shown: the page must not tell whether the address has an account."""
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        try:
            mail.compose(subject, body, [to_email]).send()
        except Exception:
            logging.getLogger("django.contrib.auth").exception(
                "Failed to send password reset email to %s", context["user"].pk
            )


class TokenForm(HalteForm):
    token = forms.CharField(
        label=_("Code à 6 chiffres de votre application d'authentification"),
        help_text=_("Vous pouvez aussi saisir un de vos codes de secours."),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split()).lower()


class EnrolmentForm(HalteForm):
    token = forms.CharField(
        label=_("Code à 6 chiffres affiché par votre application"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError(_("Le code ne contient que des chiffres."))
        return token


class MembershipChoiceForm(HalteForm):
    membership = forms.ChoiceField(label=_("Je travaille aujourd'hui au titre de"), widget=forms.RadioSelect)

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = {str(m.public_id): m for m in memberships}
        self.fields["membership"].choices = [
            (key, f"{m.get_role_display()} — {m.organisation}") for key, m in self.memberships.items()
        ]

    def clean_membership(self):
        return self.memberships[self.cleaned_data["membership"]]


class GrantRequestForm(HalteForm):
    """Ask for a membership that a second person must confirm."""

    email = NormalisedEmailField(
        label=_("Adresse électronique de la personne"),
        help_text=_("Le compte doit exister : l’administrateur le crée d’abord, sans rôle."),
    )
    organisation: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Structure"), queryset=None)
    role = forms.ChoiceField(label=_("Rôle"))
    reason = forms.CharField(
        label=_("Motif"),
        help_text=_("Pourquoi cette personne a besoin de ce rôle (fonction, arrêté, convention…)."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        from halte.access.grants import SECOND_PERSON_ROLES

        from .models import Organisation, Role

        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True).order_by("name")
        self.fields["role"].choices = [(value, label) for value, label in Role.choices if value in SECOND_PERSON_ROLES]

    def clean_email(self):
        from .models import User

        user = User.objects.filter(email=self.cleaned_data["email"], is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Aucun compte actif n’a cette adresse. Le compte doit être créé d’abord."))
        return user


class GrantDecisionForm(HalteForm):
    note = forms.CharField(
        label=_("Observation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AccountIdentityForm(HalteForm):
    """What a person says of herself on « Mon compte »: how to address her and her own title."""

    civility = forms.ChoiceField(
        label=_("Civilité"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Accorde les libellés de votre rôle dans les documents (« coordinatrice », « coordinateur »)."),
    )
    title = forms.CharField(
        label=_("Fonction"),
        max_length=150,
        required=False,
        help_text=_(
            "Imprimée sous votre nom dans les documents que vous signez. Par exemple : "
            "« Conseillère principale d’éducation », « Substitut du procureur chargé des mineurs »."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Civility

        self.fields["civility"].choices = [*Civility.choices, ("", _("Ni l’un ni l’autre"))]

    def clean_title(self):
        value = " ".join(self.cleaned_data["title"].split())
        if any(ord(char) < 32 or char in "<>" for char in value):
            raise forms.ValidationError(_("La fonction ne peut contenir ni caractère de contrôle ni « < » ou « > »."))
        return value
