"""The base of every Halte form: DSFR rendering, optional fields marked as the DSFR now asks."""

from django import forms
from dsfr.forms import DsfrBaseForm


class HalteForm(DsfrBaseForm):
    def get_context(self) -> dict:
        # Skip DsfrBaseForm.get_context, which only warns about its transitional setting.
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context
