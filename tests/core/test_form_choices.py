"""No form echoes a value it was posted: Django's « Sélectionnez un choix valide. <valeur> n’en fait pas
partie » shows a tampered or stale page a code word (« judicial ») or an identifier. Every Halte form
(``HalteForm``) says in French words that the choice is not offered, whatever field it is on and
whenever the field was added."""

import pytest
from django import forms

from halte.accounts.models import Organisation
from halte.forms import INVALID_CHOICE, HalteForm

POSTED = "valeur-forgee-6d4510cb"


class Choices(HalteForm):
    single = forms.ChoiceField(choices=[("a", "A")], required=False)
    several = forms.MultipleChoiceField(choices=[("a", "A")], required=False)
    typed = forms.TypedChoiceField(choices=[("1", "1")], coerce=int, required=False)
    model = forms.ModelChoiceField(queryset=Organisation.objects.all(), required=False)
    models = forms.ModelMultipleChoiceField(queryset=Organisation.objects.all(), required=False)
    kept = forms.ChoiceField(
        choices=[("a", "A")], required=False, error_messages={"invalid_choice": "Choisissez la famille."}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["late"] = forms.ChoiceField(choices=[("a", "A")], required=False)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["single", "several", "typed", "model", "models", "late"])
def test_a_value_not_offered_is_never_echoed(name):
    value = [POSTED] if name in ("several", "models") else POSTED
    form = Choices(data={name: value})
    assert not form.is_valid()
    errors = " ".join(str(message) for message in form.errors[name])
    assert POSTED not in errors
    assert errors == str(INVALID_CHOICE)


@pytest.mark.django_db
def test_a_form_s_own_wording_is_kept():
    form = Choices(data={"kept": POSTED})
    assert not form.is_valid()
    assert form.errors["kept"] == ["Choisissez la famille."]


@pytest.mark.django_db
def test_a_malformed_key_is_not_echoed_either():
    form = Choices(data={"models": ["pas-un-nombre"]})
    assert not form.is_valid()
    assert "pas-un-nombre" not in str(form.errors)
