"""The DPO's view of the audit journal: every event, filtered, newest first."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from halte.access import policy
from halte.access.policy import Capability
from halte.forms import HalteForm

from .models import Action, AuditEvent

PAGE_SIZE = 50


class JournalFilterForm(HalteForm):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Toutes")), *Action.choices])
    actor = forms.CharField(label=_("Auteur (adresse électronique)"), required=False, max_length=254)
    target = forms.CharField(label=_("Objet (identifiant ou libellé)"), required=False, max_length=255)
    since = forms.DateField(
        label=_("Depuis le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("Jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def filter(self, events):
        data = self.cleaned_data
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("actor"):
            events = events.filter(actor__email__icontains=data["actor"])
        if data.get("target"):
            events = events.filter(target_label__icontains=data["target"]) | events.filter(target_id=data["target"])
        if data.get("since"):
            events = events.filter(at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(at__date__lte=data["until"])
        return events


@policy.requires(Capability.VIEW_AUDIT_LOG)
def journal(request):
    form = JournalFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor", "membership__organisation", "membership__user")
    if form.is_valid():
        events = form.filter(events)
    page = Paginator(events.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(event, object_label(event)) for event in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/journal.html", {"form": form, "page": page, "rows": rows, "query": query.urlencode()})


def object_label(event: AuditEvent) -> str:
    """The « Objet » column: the row's target, or for a search (no target) the words typed and the number
    of results — rows written before the count was kept count the references they list."""
    if event.action == Action.SEARCH:
        detail = event.detail or {}
        count = detail.get("results")
        if count is None:
            count = len(detail.get("cases") or []) + len(detail.get("reports") or [])
        return ngettext(
            "Recherche « %(query)s » — %(count)d résultat",
            "Recherche « %(query)s » — %(count)d résultats",
            count,
        ) % {"query": detail.get("query", ""), "count": count}
    return event.target_label
