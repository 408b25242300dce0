"""Pages of the steering statistics: the dashboard and its exports, the yearly reports, the public results.

Thin views: validate the filters, compute the figures (:mod:`halte.stats.figures`, suppression applied
there), render. Aggregates only: nothing here reads or shows a case, a person or a school by name.
Bad filters give a French message, never an error page. Exports and publication are journaled.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from halte.access import policy
from halte.access import stats as access
from halte.access.policy import Capability
from halte.audit.journal import record_request
from halte.audit.models import Action as AuditAction
from halte.forms import form_status

from . import periods, publication
from .exports import WRITERS
from .figures import TABLE_KEYS, compute, compute_table
from .filters import Directory, describe
from .forms import FilterForm, YearlyReportForm
from .models import YearlyReport

EXPORT_FORMATS = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("ods", "LibreOffice (ODS)"))


@policy.requires(Capability.VIEW_STATISTICS)
def dashboard(request):
    directory = Directory.load()
    form = FilterForm(request.GET, directory=directory)
    context = {
        "form": form,
        "sections": [],
        "description": "",
        "query": "",
        "formats": EXPORT_FORMATS,
        "can_publish": access.can_publish(request.membership),
    }
    if form.is_valid():
        filters = form.filters()
        context.update(
            sections=publication.with_charts(compute(filters, directory=directory)),
            description=describe(filters),
            query=urlencode({name: request.GET[name] for name in form.fields if request.GET.get(name)}),
        )
    return render(request, "stats/dashboard.html", context)


@policy.requires(Capability.VIEW_STATISTICS)
def export(request, table, fmt):
    if table not in TABLE_KEYS or fmt not in WRITERS:
        raise Http404
    directory = Directory.load()
    form = FilterForm(request.GET, directory=directory)
    if not form.is_valid():
        return render(request, "stats/export_error.html", {"form": form}, status=400)
    filters = form.filters()
    shown = compute_table(filters, table, directory=directory)
    assert shown is not None  # the key is one of TABLE_KEYS
    description = describe(filters)
    written = WRITERS[fmt](shown, description)
    record_request(
        AuditAction.STATS_EXPORTED,
        request,
        detail={"table": table, "format": fmt, "filters": description},
    )
    response = HttpResponse(written.content, content_type=written.content_type)
    period = filters.period
    name = f"halte-{table}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.{written.extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Yearly reports -------------------------------------------------------------------------------


def _year_or_404(year: int) -> int:
    if not publication.is_valid_year(year):
        raise Http404
    return year


@policy.requires(Capability.VIEW_STATISTICS)
def yearly_reports(request):
    existing = {report.school_year: report for report in YearlyReport.objects.defer("figures")}
    years = sorted(set(periods.recent_school_years()) | set(existing), reverse=True)
    rows = [
        {"year": year, "label": periods.year_label(year), "report": existing.get(year)}
        for year in years
        if publication.is_valid_year(year)
    ]
    return render(
        request,
        "stats/yearly_reports.html",
        {"rows": rows, "can_edit": access.can_edit_yearly_report(request.membership)},
    )


@policy.requires(Capability.PUBLISH_STATISTICS)
def yearly_report_edit(request, year):
    year = _year_or_404(year)
    report = publication.report_for(year)
    initial = {
        "introduction": report.introduction,
        "highlights": report.highlights,
        "outlook": report.outlook,
        "version": report.version,
    }
    form = YearlyReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            publication.save_texts(
                year=year,
                actor=request.membership,
                introduction=form.cleaned_data["introduction"],
                highlights=form.cleaned_data["highlights"],
                outlook=form.cleaned_data["outlook"],
                expected_version=form.cleaned_data["version"],
            )
        except publication.Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Textes du bilan enregistrés."))
            return redirect("stats:yearly_report_edit", year)
    context = {
        "report": report,
        "year": year,
        "year_label": periods.year_label(year),
        "form": form,
        "is_current": year == periods.current_school_year(),
    }
    return render(request, "stats/yearly_report_edit.html", context, status=form_status(request))


@policy.requires(Capability.PUBLISH_STATISTICS)
@require_POST
def yearly_report_publish(request, year):
    year = _year_or_404(year)
    try:
        report = publication.publish(year=year, actor=request.membership)
    except publication.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Bilan %(year)s publié : les chiffres du département sont en ligne sur la page publique des résultats.")
            % {"year": report.year_label},
        )
    return redirect("stats:yearly_report_edit", year)


@policy.requires(Capability.PUBLISH_STATISTICS)
@require_POST
def yearly_report_unpublish(request, year):
    year = _year_or_404(year)
    try:
        report = publication.unpublish(year=year, actor=request.membership)
    except publication.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Bilan %(year)s retiré de la page publique.") % {"year": report.year_label})
    return redirect("stats:yearly_report_edit", year)


@policy.requires(Capability.VIEW_STATISTICS)
def yearly_report_pdf(request, year):
    year = _year_or_404(year)
    report = publication.report_for(year)
    pdf = publication.render_pdf(report)
    record_request(
        AuditAction.STATS_EXPORTED,
        request,
        detail={"table": "bilan-annuel", "format": "pdf", "school_year": year, "published": report.is_published},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="halte-bilan-annuel-{periods.year_label(year)}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- Public results ---------------------------------------------------------------------------------


def _public_page(request, year: int | None):
    """One published year (the latest when ``year`` is None), its figures read from the frozen JSON."""
    published = list(access.public_yearly_reports().defer("figures").order_by("-school_year"))
    if year is None and published:
        year = published[0].school_year
    report = access.public_yearly_reports().filter(school_year=year).first() if year is not None else None
    if year is not None and report is None:
        raise Http404
    context = {
        "report": report,
        "published": published,
        "sections": publication.with_charts(publication.published_sections(report)) if report else [],
    }
    return render(request, "stats/public_results.html", context)


@policy.public
def public_results(request):
    """The latest published year (nothing at all before the first publication)."""
    return _public_page(request, None)


@policy.public
def public_year(request, year):
    return _public_page(request, year)
