"""The cell's directory of partners (« Partenaires »): the coordination of a département lists, adds and
edits the partners documents are addressed to. Thin views: scope and rule in ``halte.access.partners``,
writes in ``partners.py``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from halte.access import partners as access
from halte.access import policy
from halte.access.policy import Capability
from halte.core import submission
from halte.stats.filters import departement_label

from . import partners
from .forms import PartnerForm


def _require(membership) -> None:
    if not access.can_manage_partners(membership):
        raise PermissionDenied


@policy.requires(Capability.MANAGE_PARTNERS)
def partner_list(request):
    membership = request.membership
    _require(membership)
    rows = list(access.managed_partners(membership).order_by("-is_active", "kind", "name", "service"))
    context = {"partners": rows, "departement": departement_label(access.partners_departement(membership))}
    return render(request, "directory/partners.html", context)


@policy.requires(Capability.MANAGE_PARTNERS)
def partner_new(request):
    membership = request.membership
    _require(membership)
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
                partner = partners.create_partner(actor=membership, **form.partner_values())
                spent.leads_to(_edit_url(partner))
        except submission.AlreadySubmitted as already:
            return submission.already_done(request, already, fallback="directory:partners")
        except partners.PartnerRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Partenaire ajouté : %(name)s.") % {"name": partner})
            return redirect("directory:partners")
    context = {"form": form, "partner": None, "departement": _departement(membership)}
    return render(request, "directory/partner_form.html", context, status=400 if form.errors else 200)


@policy.requires(Capability.MANAGE_PARTNERS)
def partner_edit(request, public_id):
    membership = request.membership
    _require(membership)
    partner = get_object_or_404(access.managed_partners(membership), public_id=public_id)
    initial = {name: getattr(partner, name) for name in partners.FIELDS}
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            partner = partners.update_partner(actor=membership, partner=partner, **form.partner_values())
        except partners.PartnerRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Partenaire enregistré : %(name)s.") % {"name": partner})
            return redirect("directory:partners")
    context = {"form": form, "partner": partner, "departement": _departement(membership)}
    return render(request, "directory/partner_form.html", context, status=400 if form.errors else 200)


def _departement(membership) -> str:
    return departement_label(access.partners_departement(membership))


def _edit_url(partner) -> str:
    return reverse("directory:partner_edit", args=[partner.public_id])
