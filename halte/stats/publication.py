"""The yearly report: the coordinator's texts, publication of the year's figures, and the PDF.

Every write is one transaction that locks the year's row and writes its audit event. Publishing
computes the département-level figures of the school year (:func:`halte.stats.figures.compute` with
``public=True``: no table below the département level, suppression applied) and stores them as JSON,
so that the public page shows the year exactly as published and never queries a case. Publishing
again refreshes them; withdrawing the publication takes the year off the public page at once.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.audit.journal import record
from halte.audit.models import Action as AuditAction

from . import periods
from .charts import chart_for
from .figures import compute
from .filters import Filters
from .models import YearlyReport
from .tables import Section


class Refused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_valid_year(year: int, now: datetime | None = None) -> bool:
    """School years a yearly report may be written for: from 2000 to the current one."""
    return 2000 <= year <= periods.current_school_year(now)


def report_for(year: int) -> YearlyReport:
    """The year's report, or an unsaved empty one (nothing is written by reading)."""
    return YearlyReport.objects.filter(school_year=year).first() or YearlyReport(school_year=year)


def _locked(year: int) -> YearlyReport:
    report, _created = YearlyReport.objects.select_for_update().get_or_create(school_year=year)
    return report


def save_texts(*, year: int, actor, introduction: str, highlights: str, outlook: str, expected_version: int):
    with transaction.atomic():
        report = _locked(year)
        if report.version != expected_version:
            raise Refused(
                _(
                    "Ce bilan a été modifié par quelqu’un d’autre entre-temps. "
                    "Rechargez la page et reprenez vos changements."
                )
            )
        report.introduction, report.highlights, report.outlook = introduction, highlights, outlook
        report.updated_at, report.updated_by = timezone.now(), actor
        report.version += 1
        report.save()
        record(
            AuditAction.STATS_REPORT_EDITED,
            actor=actor.user,
            membership=actor,
            target=report,
            detail={"school_year": year, "published": report.is_published},
        )
    return report


def public_figures(year: int, *, now: datetime | None = None) -> list[Section]:
    """The département-level figures of a school year, as published."""
    return compute(Filters(period=periods.school_year(year)), now=now, public=True)


def publish(*, year: int, actor, now: datetime | None = None) -> YearlyReport:
    now = now or timezone.now()
    if not is_valid_year(year, now):
        raise Refused(_("Cette année scolaire ne peut pas être publiée."))
    sections = public_figures(year, now=now)
    with transaction.atomic():
        report = _locked(year)
        republished = report.is_published
        report.figures = [section.to_dict() for section in sections]
        report.published_at, report.published_by = now, actor
        report.version += 1
        report.save()
        record(
            AuditAction.STATS_PUBLISHED,
            actor=actor.user,
            membership=actor,
            target=report,
            detail={"school_year": year, "republished": republished},
        )
    return report


def unpublish(*, year: int, actor) -> YearlyReport:
    with transaction.atomic():
        report = _locked(year)
        if not report.is_published:
            raise Refused(_("Ce bilan n’est pas publié."))
        report.published_at = report.published_by = None
        report.version += 1
        report.save()
        record(
            AuditAction.STATS_UNPUBLISHED,
            actor=actor.user,
            membership=actor,
            target=report,
            detail={"school_year": year},
        )
    return report


def published_sections(report: YearlyReport) -> list[Section]:
    return [Section.from_dict(data) for data in report.figures or []]


def with_charts(sections: list[Section]) -> list[dict]:
    """Sections ready for a template: each table next to its chart (or None)."""
    return [
        {"section": section, "tables": [{"table": table, "chart": chart_for(table)} for table in section.tables]}
        for section in sections
    ]


def _refuse_all_fetches(url: str, *args, **kwargs):
    """The report needs no external resource: WeasyPrint may fetch nothing."""
    raise ValueError(f"Resource refused: {url}")


def render_pdf(report: YearlyReport, *, now: datetime | None = None) -> bytes:
    """The yearly report as a PDF: the texts, then the published figures (or, before publication, the
    figures as they stand, marked as a working version)."""
    import weasyprint  # lazy: Pango may be missing where the application starts

    sections = published_sections(report) if report.is_published else public_figures(report.school_year, now=now)
    html = render_to_string(
        "stats/yearly_report_pdf.html",
        {
            "report": report,
            "sections": with_charts(sections),
            "generated_at": now or timezone.now(),
            "HALTE": settings.HALTE,
        },
    )
    stylesheet = weasyprint.CSS(string=render_to_string("stats/yearly_report_pdf.css"))
    return weasyprint.HTML(string=html, url_fetcher=_refuse_all_fetches).write_pdf(stylesheets=[stylesheet])
