"""The base of every Halte form: DSFR rendering, optional fields marked as the DSFR now asks."""

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

# What a person can do when a hidden field of the page she posted is unreadable (a page kept open from
# an older version of the application, or altered): nothing she typed is wrong, the page is.
STALE_PAGE_MESSAGE = _(
    "Cette page n’est plus à jour ou a été altérée : rien n’a été enregistré. "
    "Rechargez la page, puis recommencez (copiez d’abord ce que vous avez saisi)."
)

# A choice the page did not offer (altered, or kept open while the choices changed). Said in words:
# Django's own message repeats the posted value, a code word (« judicial ») or an identifier.
INVALID_CHOICE = _(
    "Ce choix n’est pas (ou plus) proposé : choisissez parmi les options affichées (rechargez la page si "
    "elles ont changé)."
)


def form_status(request) -> int:
    """The status of a page that shows a form: 400 when it answers a post — a form posted and accepted
    leads elsewhere (a redirect), so a form shown again was refused and carries its French messages —,
    200 otherwise. DSFR pages show the messages whatever the status."""
    return 400 if request.method == "POST" else 200


class VersionField(forms.IntegerField):
    """The version of a record the form was read from, posted back to refuse a save over someone
    else's change. Malformed, it is a page to reload, said in French above the form."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**31 - 1)
        messages = dict.fromkeys(("required", "invalid", "min_value", "max_value"), STALE_PAGE_MESSAGE)
        kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


# The messages of Django's choice fields that name the posted value (« %(value)s n’en fait pas partie »,
# « “%(pk)s” n’est pas une valeur correcte »).
_CHOICE_MESSAGES = ("invalid_choice", "invalid_pk_value")


def _django_default(field: forms.Field, key: str):
    for cls in type(field).__mro__:
        message = getattr(cls, "default_error_messages", {}).get(key)
        if message is not None:
            return message
    return None


def speak_plainly_of_choices(field: forms.Field) -> None:
    """Replace Django's own wording of a choice not offered, and any wording that repeats the posted
    value, by ``INVALID_CHOICE``; a field's own words (« Choisissez la famille. ») are kept."""
    for key in _CHOICE_MESSAGES:
        message = field.error_messages.get(key)
        if message is None:
            continue
        if message is _django_default(field, key) or "%(" in str(message):
            field.error_messages[key] = INVALID_CHOICE


class HalteForm(DsfrBaseForm):
    def full_clean(self):
        # Here rather than in __init__: some forms add fields after it. Each form has its own copy of
        # its fields' messages (Field.__deepcopy__), so the class's fields are left as they are.
        for field in self.fields.values():
            speak_plainly_of_choices(field)
        super().full_clean()

    def get_context(self) -> dict:
        # Skip DsfrBaseForm.get_context, which only warns about its transitional setting.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    def _post_clean(self):
        """An error on a hidden field is shown nowhere next to it: it goes above the form, once."""
        super()._post_clean()
        for name in [name for name in self._errors if name in self.fields and self.fields[name].widget.is_hidden]:
            for message in self._errors.pop(name):
                if message not in self.non_field_errors():
                    self.add_error(None, message)
