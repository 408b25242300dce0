"""The steering figures, computed by the database.

Every figure is an aggregate query (``COUNT … FILTER``, ``GROUP BY``, ``percentile_cont``): no loop
over cases or reports in Python, and a fixed number of queries whatever the number of rows (see
:mod:`halte.stats.sql` for the one exception, medians on SQLite). Python only lays out the few
aggregated rows a query returns (one per channel, per commune…) and, for prevention, reuses
:func:`halte.prevention.coverage.coverage_for` (one query, one row per school of the directory).

Figures are built by *groups* (:data:`GROUPS`): each group runs its queries once and returns the tables
they feed. The dashboard computes every group; an export computes only the group of its table. Tables
come out of :func:`halte.stats.suppression.shown` only.

Definitions (what is counted in a period) are in :mod:`halte.stats.filters`. Delays run from the
reception of the case's first report (the case's opening when it has no report) to the milestone, in
real hours (datetimes are stored in UTC: a daylight-saving change does not add or remove an hour).
Clocks run from the opening of the case, as in :mod:`halte.cases.clocks`: a clock is *met* when its
milestone is recorded no later than ``opened_at + target``; *missed* when it was recorded later, or
is still missing after its due time while the case was open. Clocks neither due nor done yet, and
clocks stopped by a closure before their due time, are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from halte.accounts.models import OrganisationKind
from halte.cases import targets as targets_module
from halte.cases.clocks import SAME_DAY_MINIMUM
from halte.cases.enums import ActionStatus, ClosureOutcome, Priority, Role, TriageOutcome
from halte.cases.models import Action, FollowUp, Involvement, Transition
from halte.documents.models import Document, DocumentKind
from halte.meetings.models import AgendaItem, Meeting
from halte.prevention import coverage
from halte.reports.enums import Channel, Form, ReporterKind

from . import formats
from . import tables as t
from .filters import (
    KIND_GROUP_LABELS,
    KIND_GROUP_OF,
    KIND_GROUPS,
    Directory,
    Filters,
    class_label,
    departement_label,
)
from .periods import local_midnight
from .sql import spreads
from .suppression import CommuneCounts, CommuneTable, shown

HOUR = 3600.0
# 6 and 12 months after a closure, counted as 183 and 365 days: the same on every database.
REOPEN_WINDOWS = ((6, timedelta(days=183)), (12, timedelta(days=365)))
FOLLOW_UP_DAYS = (30, 90)


@dataclass
class Context:
    filters: Filters
    now: datetime
    known_directory: Directory | None = None

    @property
    def period(self) -> tuple[datetime, datetime]:
        return self.filters.period.range()

    def __post_init__(self):
        # The form offers no split the directory does not allow; a caller that asks for one anyway gets
        # an error, not figures of a commune in disguise (rule 1 of halte.stats.suppression).
        if self.filters.school_kind or self.filters.sector:
            split = self.directory.breakdown
            if (self.filters.school_kind and not split.by_kind) or (self.filters.sector and not split.by_sector):
                raise ValueError(f"The directory does not allow this split: {self.filters}")

    @property
    def directory(self) -> Directory:
        """Loaded once, and only by the groups that need it (one query)."""
        if self.known_directory is None:
            self.known_directory = Directory.load()
        return self.known_directory


# --- Intake ------------------------------------------------------------------------------------------

UNKNOWN_SCHOOL = gettext_lazy("Établissement non renseigné")


def _kind_group() -> SqlCase:
    """The type group of a report's school (see ``filters.KIND_GROUPS``), or "unknown"."""
    return SqlCase(
        When(school__isnull=True, then=Value("unknown")),
        *(When(school__kind__in=kinds, then=Value(group)) for group, kinds in KIND_GROUPS.items()),
        default=Value("other"),
        output_field=CharField(),
    )


def intake_by_channel(ctx: Context) -> list[t.Table]:
    grouped = (
        ctx.filters.reports()
        .annotate(kind_group=_kind_group())
        .values("channel", "kind_group")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(row["channel"], row["kind_group"]): row["n"] for row in grouped}
    if ctx.directory.breakdown.by_kind:
        columns = [(group, str(label)) for group, label in KIND_GROUP_LABELS.items()]
        title = _("Signalements reçus par canal et par type d’établissement")
    else:
        # Rule 1 of halte.stats.suppression: no split by type, known schools are counted together.
        columns = [("known", _("Établissement renseigné"))]
        for channel, _label in Channel.choices:
            counts[(channel, "known")] = sum(counts.get((channel, group), 0) for group in KIND_GROUPS)
        title = _("Signalements reçus par canal")
    columns.append(("unknown", str(UNKNOWN_SCHOOL)))
    return [
        t.Table(
            key="signalements-canaux",
            title=title,
            row_header=_("Canal"),
            columns=[label for _key, label in columns],
            rows=[
                t.Row(str(label), [t.Count(counts.get((channel, key), 0)) for key, _label in columns])
                for channel, label in Channel.choices
            ],
            total_column=True,
            total_row=True,
            chart_column=len(columns),  # the row totals
        )
    ]


def intake_details(ctx: Context) -> list[t.Table]:
    """Forms of bullying, who reports, and what triage decided: one query over the reports."""
    aggregates = {}
    for value in Form.values:
        # ``forms`` is a JSON list: '"cyber"' (quotes included) matches that value and no other one.
        aggregates[f"form_{value}"] = Count("pk", filter=Q(forms__icontains=f'"{value}"'))
    for value in ReporterKind.values:
        aggregates[f"reporter_{value}"] = Count("pk", filter=Q(reporter_kind=value))
    for value in TriageOutcome.values:
        aggregates[f"triage_{value}"] = Count("pk", filter=Q(triage__outcome=value))
    aggregates["untriaged"] = Count("pk", filter=Q(triage__isnull=True))
    totals = ctx.filters.reports().aggregate(**aggregates)
    return [
        t.Table(
            key="signalements-formes",
            title=_("Formes de harcèlement citées dans les signalements"),
            row_header=_("Forme"),
            columns=[_("Signalements")],
            rows=[t.Row(str(label), [t.Count(totals[f"form_{value}"])]) for value, label in Form.choices],
            notes=[_("Un signalement peut citer plusieurs formes : les lignes ne s’additionnent pas.")],
        ),
        t.Table(
            key="signalements-declarants",
            title=_("Qui signale"),
            row_header=_("Personne qui signale"),
            columns=[_("Signalements")],
            rows=[
                t.Row(str(label), [t.Count(totals[f"reporter_{value}"])]) for value, label in REPORTER_LABELS.items()
            ],
            total_row=True,
        ),
        t.Table(
            key="decisions-tri",
            title=_("Décisions de tri des signalements"),
            row_header=_("Décision"),
            columns=[_("Signalements")],
            rows=[
                *(t.Row(str(label), [t.Count(totals[f"triage_{value}"])]) for value, label in TriageOutcome.choices),
                t.Row(_("Pas encore trié"), [t.Count(totals["untriaged"])]),
            ],
            total_row=True,
        ),
    ]


# Who reports, in the third person (the public form speaks to the reporter: « Je suis… »).
REPORTER_LABELS = {
    ReporterKind.VICTIM: gettext_lazy("L’élève qui subit"),
    ReporterKind.PARENT: gettext_lazy("Un parent ou un proche"),
    ReporterKind.WITNESS: gettext_lazy("Un ou une élève témoin"),
    ReporterKind.SCHOOL_STAFF: gettext_lazy("Un personnel de l’établissement"),
    ReporterKind.OTHER: gettext_lazy("Autre"),
}


# --- Priorities and clocks ------------------------------------------------------------------------

MILESTONES = (
    (targets_module.TAKE_CHARGE, "taken_in_charge_at"),
    (targets_module.FIRST_MEASURE, "first_measure_at"),
    (targets_module.CELL_MEETING, "cell_meeting_at"),
)


def _gap(field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) - F("opened_at"), output_field=DurationField())


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def _on_time(field: str, target) -> Q:
    """The milestone ``field`` (not null) is no later than the clock's due time."""
    if target == targets_module.SAME_DAY:
        # Due at the end of the opening's local day, but never less than 4 hours after the opening.
        return Q(LessThanOrEqual(_local_day(field), _local_day("opened_at"))) | Q(
            LessThanOrEqual(_gap(field), SAME_DAY_MINIMUM)
        )
    return Q(LessThanOrEqual(_gap(field), target))


def _due_passed(target, now: datetime) -> Q:
    """The clock's due time is behind us."""
    if target == targets_module.SAME_DAY:
        start_of_today = local_midnight(timezone.localdate(now))
        return Q(opened_at__lt=start_of_today) & Q(opened_at__lt=now - SAME_DAY_MINIMUM)
    return Q(opened_at__lt=now - target)


def _clock_conditions(priority: str, field: str, target, now: datetime) -> tuple[Q, Q]:
    recorded = Q(**{f"{field}__isnull": False})
    missing = Q(**{f"{field}__isnull": True})
    # A closure before the due time stops the clock: nothing was owed any more.
    open_past_due = Q(closed_at__isnull=True) | (Q(closed_at__isnull=False) & ~_on_time("closed_at", target))
    met = Q(priority=priority) & recorded & _on_time(field, target)
    missed = Q(priority=priority) & (
        (recorded & ~_on_time(field, target)) | (missing & _due_passed(target, now) & open_past_due)
    )
    return met, missed


def priorities_and_clocks(ctx: Context) -> list[t.Table]:
    cases = ctx.filters.cases()
    aggregates = {f"priority_{p}": Count("pk", filter=Q(priority=p)) for p in Priority.values}
    table = {p: targets_module.targets(p) for p in Priority.values}
    for priority in Priority.values:
        for name, field in MILESTONES:
            target = table[priority].get(name)
            if target is None:
                continue
            met, missed = _clock_conditions(priority, field, target, ctx.now)
            aggregates[f"met_{priority}_{name}"] = Count("pk", filter=met)
            aggregates[f"missed_{priority}_{name}"] = Count("pk", filter=missed)
    totals = cases.aggregate(**aggregates)

    rows = []
    for name, _field in MILESTONES:
        cells: list[t.Cell] = []
        met_all = due_all = 0
        for priority in Priority.values:
            if table[priority].get(name) is None:
                cells.append(None)
                continue
            met, missed = totals[f"met_{priority}_{name}"], totals[f"missed_{priority}_{name}"]
            met_all, due_all = met_all + met, due_all + met + missed
            cells.append(t.Rate(met, met + missed))
        cells.append(t.Rate(met_all, due_all))
        rows.append(t.Row(str(targets_module.CLOCK_LABELS[name]), cells))
    return [
        t.Table(
            key="dossiers-priorites",
            title=_("Dossiers ouverts par priorité"),
            row_header=_("Priorité"),
            columns=[_("Dossiers")],
            rows=[t.Row(str(label), [t.Count(totals[f"priority_{p}"])]) for p, label in Priority.choices],
            total_row=True,
        ),
        t.Table(
            key="objectifs-delais",
            title=_("Part des délais tenus, par étape et par priorité"),
            row_header=_("Étape"),
            columns=[*Priority.values, _("Toutes priorités")],
            rows=rows,
            notes=[
                _(
                    "Un délai est tenu quand l’étape a eu lieu avant l’échéance fixée pour la priorité du dossier, "
                    "comptée depuis son ouverture. Les étapes dont l’échéance n’est pas encore passée ne comptent "
                    "pas, ni celles d’un dossier clos avant l’échéance."
                ),
                *(_target_note(priority, table[priority]) for priority in Priority.values),
            ],
            chart_column=len(Priority.values),
        ),
    ]


def _target_text(target) -> str:
    if target is None:
        return _("sans objet")
    if target == targets_module.SAME_DAY:
        return _("le jour même")
    return formats.hours(target.total_seconds() / HOUR)


def _target_note(priority: str, targets: dict) -> str:
    return _("%(priority)s : prise en charge %(take)s, première mesure %(measure)s, examen en cellule %(meeting)s.") % {
        "priority": priority,
        "take": _target_text(targets.get(targets_module.TAKE_CHARGE)),
        "measure": _target_text(targets.get(targets_module.FIRST_MEASURE)),
        "meeting": _target_text(targets.get(targets_module.CELL_MEETING)),
    }


# --- Delays -----------------------------------------------------------------------------------------

DELAY_STEPS = (
    ("take_charge", "taken_in_charge_at", gettext_lazy("Prise en charge")),
    ("first_measure", "first_measure_at", gettext_lazy("Première mesure de protection")),
    ("cell_meeting", "cell_meeting_at", gettext_lazy("Premier examen en cellule")),
    ("closure", "closed_at", gettext_lazy("Clôture")),
)


def delays(ctx: Context) -> list[t.Table]:
    # The first report's reception is the earliest ``received_at`` of the case's reports: one grouped join
    # (one pass over the reports of the selected cases), not a subquery run again for each case.
    per_case = ctx.filters.cases().annotate(
        delay_start=Coalesce(Min("reports__received_at"), F("opened_at"), output_field=DateTimeField())
    )
    found = spreads(per_case, {f"delay_{name}": (field, "delay_start") for name, field, _label in DELAY_STEPS})
    rows = []
    for name, _field, label in DELAY_STEPS:
        spread = found[f"delay_{name}"]
        rows.append(
            t.Row(
                str(label),
                [
                    t.Count(spread.n),
                    t.Delay(None if spread.median is None else spread.median / HOUR, spread.n),
                    t.Delay(None if spread.p90 is None else spread.p90 / HOUR, spread.n),
                ],
            )
        )
    return [
        t.Table(
            key="delais",
            title=_("Délais depuis la réception du signalement"),
            row_header=_("Étape"),
            columns=[_("Dossiers concernés"), _("Médiane"), _("90ᵉ centile")],
            rows=rows,
            notes=[
                _(
                    "Dossiers ouverts pendant la période ayant atteint l’étape. Délai compté en heures réelles "
                    "depuis la réception du premier signalement du dossier. La médiane partage les dossiers en "
                    "deux moitiés ; 9 dossiers sur 10 ont atteint l’étape avant le 90ᵉ centile."
                ),
                _("Dans les exports, les délais sont en heures."),
            ],
            chart_column=1,
        )
    ]


# --- Outcomes --------------------------------------------------------------------------------------


def victims_view(ctx: Context) -> list[t.Table]:
    starts_at, ends_at = ctx.period
    grouped = (
        FollowUp.objects.filter(
            case__in=ctx.filters.case_ids(),
            day__in=FOLLOW_UP_DAYS,
            done_at__gte=starts_at,
            done_at__lt=ends_at,
        )
        .exclude(victim_view="")
        .values("day", "victim_view")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(row["day"], row["victim_view"]): row["n"] for row in grouped}
    views = FollowUp.View.choices
    return [
        t.Table(
            key="ressenti-victimes",
            title=_("Ce que dit l’élève victime aux points de suivi J+30 et J+90"),
            row_header=_("Point de suivi"),
            columns=[str(label) for _value, label in views],
            rows=[
                t.Row(f"J+{day}", [t.Count(counts.get((day, value), 0)) for value, _label in views])
                for day in FOLLOW_UP_DAYS
            ],
            total_column=True,
            total_row=True,
            notes=[_("Points de suivi faits pendant la période, avec le ressenti de l’élève recueilli.")],
            chart_column=None,
        )
    ]


def closures(ctx: Context) -> list[t.Table]:
    starts_at, ends_at = ctx.period
    grouped = (
        ctx.filters.cases(opened_in_period=False)
        .filter(closed_at__gte=starts_at, closed_at__lt=ends_at)
        .exclude(closure_outcome="")
        .values("closure_outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["closure_outcome"]: row["n"] for row in grouped}
    return [
        t.Table(
            key="issues-clotures",
            title=_("Issue des dossiers clos"),
            row_header=_("Issue"),
            columns=[_("Dossiers")],
            rows=[t.Row(str(label), [t.Count(counts.get(value, 0))]) for value, label in ClosureOutcome.choices],
            total_row=True,
            notes=[_("Dossiers clos pendant la période (et toujours clos : un dossier rouvert n’y figure plus).")],
        )
    ]


def documents(ctx: Context) -> list[t.Table]:
    starts_at, ends_at = ctx.period
    grouped = (
        Document.objects.filter(case__in=ctx.filters.case_ids(), generated_at__gte=starts_at, generated_at__lt=ends_at)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["kind"]: row["n"] for row in grouped}
    return [
        t.Table(
            key="documents",
            title=_("Documents établis"),
            row_header=_("Document"),
            columns=[_("Documents")],
            rows=[t.Row(str(label), [t.Count(counts.get(value, 0))]) for value, label in DocumentKind.choices],
            total_row=True,
        )
    ]


SCHOOLS_GROUP = ""  # the group of every school organisation: schools are never named in a ranking


def actions_by_organisation(ctx: Context) -> list[t.Table]:
    starts_at, ends_at = ctx.period
    group = SqlCase(
        When(owner_organisation__kind=OrganisationKind.SCHOOL, then=Value(SCHOOLS_GROUP)),
        default=F("owner_organisation__name"),
        output_field=CharField(),
    )
    grouped = (
        Action.objects.filter(case__in=ctx.filters.case_ids(), due_at__gte=starts_at, due_at__lt=ends_at)
        .exclude(status=ActionStatus.CANCELLED)
        .filter(Q(due_at__lte=ctx.now) | Q(status=ActionStatus.DONE))
        .annotate(organisation_group=group)
        .values("organisation_group")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(status=ActionStatus.DONE, done_at__lte=F("due_at"))),
        )
        .order_by()
    )
    found = {row["organisation_group"]: (row["due"], row["on_time"]) for row in grouped}
    names = sorted((name for name in found if name != SCHOOLS_GROUP), key=str.casefold)
    if SCHOOLS_GROUP in found:
        names.append(SCHOOLS_GROUP)
    rows = []
    for name in names:
        due, on_time = found[name]
        label = _("Établissements scolaires (regroupés)") if name == SCHOOLS_GROUP else name
        rows.append(t.Row(label, [t.Count(due), t.Count(on_time), t.Rate(on_time, due)]))
    return [
        t.Table(
            key="actions-structures",
            title=_("Actions du plan d’action faites à temps, par structure"),
            row_header=_("Structure responsable"),
            columns=[_("Actions échues"), _("Faites à temps"), _("Part faite à temps")],
            rows=rows,
            total_row=True,
            total_rates={2: (1, 0)},
            notes=[
                _(
                    "Actions dont l’échéance tombe dans la période et est passée (ou déjà faites), hors actions "
                    "annulées. Les établissements scolaires sont regroupés : aucun n’est nommé. Structures par "
                    "ordre alphabétique."
                )
            ],
            chart_column=2,
        )
    ]


# --- Recidivism -----------------------------------------------------------------------------------


def reopenings(ctx: Context) -> list[t.Table]:
    starts_at, ends_at = ctx.period
    closings = Transition.objects.filter(
        name="close", at__gte=starts_at, at__lt=ends_at, case__in=ctx.filters.case_ids()
    ).order_by()
    # A closing is followed by a reopening within the window when its case has a reopening in
    # (closing, closing + window]: the next reopening is then within the window, and only then. One
    # grouped join over the case's transitions, not a subquery for each closing.
    later = {"case__transitions__name": "reopen", "case__transitions__at__gt": F("at")}
    per_closing = closings.annotate(
        **{
            f"reopenings_{months}": Count(
                "case__transitions", filter=Q(**later, case__transitions__at__lte=F("at") + window)
            )
            for months, window in REOPEN_WINDOWS
        }
    )
    aggregates = {}
    for months, window in REOPEN_WINDOWS:
        observable = Q(at__lte=ctx.now - window)
        aggregates[f"closed_{months}"] = Count("pk", filter=observable)
        aggregates[f"reopened_{months}"] = Count("pk", filter=observable & Q(**{f"reopenings_{months}__gt": 0}))
    totals = per_closing.aggregate(**aggregates)
    rows = []
    for months, _window in REOPEN_WINDOWS:
        closed, reopened = totals[f"closed_{months}"], totals[f"reopened_{months}"]
        rows.append(
            t.Row(
                _("Dans les %(months)d mois") % {"months": months},
                [t.Count(closed), t.Count(reopened), t.Rate(reopened, closed)],
            )
        )
    return [
        t.Table(
            key="reouvertures",
            title=_("Dossiers rouverts après leur clôture"),
            row_header=_("Délai après la clôture"),
            columns=[_("Clôtures observables"), _("Suivies d’une réouverture"), _("Taux de réouverture")],
            rows=rows,
            notes=[
                _(
                    "Clôtures de la période datant d’au moins 6 mois (183 jours) ou 12 mois (365 jours), "
                    "et celles qui ont été suivies d’une réouverture dans ce délai."
                )
            ],
            chart_column=2,
        )
    ]


def repeated_people(ctx: Context) -> list[t.Table]:
    roles = ((Role.ALLEGED_AUTHOR, _("Auteurs présumés")), (Role.VICTIM, _("Victimes")))
    role_values = [role for role, _label in roles]
    # One grouped pass over the involvements of the people cited in a selected case: per person and role,
    # in how many (unmerged) cases, all dates; then one count per role over those groups.
    # EXISTS in the WHERE clause: a semi-join on (person, role), not a subquery per row.
    cited = Exists(
        Involvement.objects.filter(
            person=OuterRef("person"), role=OuterRef("role"), case__in=ctx.filters.cases().values("pk")
        )
    )
    grouped = (
        Involvement.objects.filter(cited, role__in=role_values, case__merged_into__isnull=True)
        .order_by()
        .values("person", "role")
        # Distinct cases without DISTINCT: a person has one involvement per case and role (involvement_unique),
        # so the groups are hashed, not sorted.
        .annotate(cases=Count("pk"))
    )
    aggregates = {}
    for role in role_values:
        aggregates[f"people_{role}"] = Count("person", filter=Q(role=role))
        aggregates[f"repeated_{role}"] = Count("person", filter=Q(role=role, cases__gte=2))
    totals = grouped.aggregate(**aggregates)
    rows = []
    for role, label in roles:
        people, repeated = totals[f"people_{role}"], totals[f"repeated_{role}"]
        rows.append(t.Row(label, [t.Count(people), t.Count(repeated), t.Rate(repeated, people)]))
    return [
        t.Table(
            key="personnes-citees",
            title=_("Personnes citées dans plusieurs dossiers"),
            row_header=_("Rôle dans le dossier"),
            columns=[_("Personnes"), _("Citées dans au moins 2 dossiers"), _("Part")],
            rows=rows,
            notes=[
                _(
                    "Personnes citées dans les dossiers ouverts pendant la période, et parmi elles celles qui le "
                    "sont, dans le même rôle, dans au moins deux dossiers (toutes dates confondues). Un auteur "
                    "présumé reste présumé innocent : ces chiffres ne disent rien d’une culpabilité."
                )
            ],
            chart_column=2,
        )
    ]


# --- Prevention -----------------------------------------------------------------------------------

LEVEL_LABELS = {
    coverage.Level.GREEN: gettext_lazy("Objectifs atteints"),
    coverage.Level.AMBER: gettext_lazy("Objectifs en partie atteints"),
    coverage.Level.RED: gettext_lazy("Objectifs non atteints"),
    coverage.Level.NONE: gettext_lazy("Aucune action de prévention"),
}


def prevention(ctx: Context) -> list[t.Table]:
    year = ctx.filters.period.prevention_year
    rows = coverage.coverage_for(year, ctx.filters.schools())
    totals = coverage.totals_of(rows)
    targets = dict(coverage.TARGETS)
    met = {
        "workshops": sum(1 for row in rows if row.workshops >= targets["workshops_per_school"]),
        "staff": sum(1 for row in rows if row.staff_trained >= targets["staff_trained_per_school"]),
        "ambassadors": sum(1 for row in rows if row.ambassadors >= targets["ambassadors_per_school"]),
    }
    year_note = _(
        "La prévention se compte par année scolaire : %(year)s, dans les établissements ouverts de la sélection "
        "(le filtre de canal ne s’applique pas)."
    ) % {"year": f"{year}-{year + 1}"}
    workshops, staff, ambassadors = (
        targets["workshops_per_school"],
        targets["staff_trained_per_school"],
        targets["ambassadors_per_school"],
    )
    target_rows = [
        (
            ngettext("Au moins %(count)d atelier réalisé", "Au moins %(count)d ateliers réalisés", workshops)
            % {"count": workshops},
            met["workshops"],
        ),
        (
            ngettext("Au moins %(count)d personnel formé", "Au moins %(count)d personnels formés", staff)
            % {"count": staff},
            met["staff"],
        ),
        (
            ngettext("Au moins %(count)d élève ambassadeur", "Au moins %(count)d élèves ambassadeurs", ambassadors)
            % {"count": ambassadors},
            met["ambassadors"],
        ),
    ]
    return [
        t.Table(
            key="prevention-actions",
            title=_("Actions de prévention"),
            row_header=_("Action"),
            columns=[_("Nombre")],
            rows=[
                t.Row(_("Ateliers réalisés"), [t.Count(totals.workshops)]),
                t.Row(_("Élèves touchés par les ateliers"), [t.Count(totals.pupils_reached)]),
                t.Row(_("Personnels formés"), [t.Count(totals.staff_trained)]),
                t.Row(_("Élèves ambassadeurs"), [t.Count(totals.ambassadors)]),
            ],
            notes=[year_note],
            chart_column=None,
        ),
        t.Table(
            key="prevention-couverture",
            title=_("Établissements selon leur couverture par la prévention"),
            row_header=_("Couverture"),
            columns=[_("Établissements")],
            rows=[t.Row(str(label), [t.Count(totals.by_level[level])]) for level, label in LEVEL_LABELS.items()],
            total_row=True,
            notes=[year_note],
        ),
        t.Table(
            key="prevention-objectifs",
            title=_("Établissements ayant atteint chaque objectif de prévention"),
            row_header=_("Objectif par établissement"),
            columns=[_("Établissements"), _("Part des établissements")],
            rows=[
                t.Row(label, [t.Count(count), t.Rate(count, totals.schools)])
                for i, (label, count) in enumerate(target_rows)
            ],
            notes=[year_note],
            chart_column=1,
        ),
    ]


# --- The cell at work ---------------------------------------------------------------------------


def cell_at_work(ctx: Context) -> list[t.Table]:
    starts_at, ends_at = ctx.period
    meetings = Meeting.objects.filter(status=Meeting.Status.HELD, starts_at__gte=starts_at, starts_at__lt=ends_at)
    items_filter = Q()
    if ctx.filters.restricts_cases:
        case_ids = ctx.filters.case_ids()
        meetings = meetings.filter(Exists(AgendaItem.objects.filter(meeting=OuterRef("pk"), case__in=case_ids)))
        items_filter = Q(items__case__in=case_ids)
    held = meetings.aggregate(
        meetings=Count("pk", distinct=True), items=Count("items", filter=items_filter, distinct=True)
    )
    # A case's first held meeting: one grouped join over the agenda, not a subquery for each case. A
    # meeting that began before the case was opened (recorded after the fact) did not examine it.
    first_meeting = Min(
        "agenda_items__meeting__starts_at",
        filter=Q(
            agenda_items__meeting__status=Meeting.Status.HELD,
            agenda_items__meeting__starts_at__gte=F("opened_at"),
        ),
    )
    per_case = ctx.filters.cases().filter(priority=Priority.P1).annotate(first_meeting_at=first_meeting)
    spread = spreads(per_case, {"p1_meeting": ("first_meeting_at", "opened_at")})["p1_meeting"]
    n_meetings, n_items = held["meetings"], held["items"]
    mean = n_items / n_meetings if n_meetings else None
    return [
        t.Table(
            key="cellule",
            title=_("La cellule au travail"),
            row_header=_("Indicateur"),
            columns=[_("Valeur")],
            rows=[
                t.Row(_("Réunions de la cellule tenues"), [t.Count(n_meetings)]),
                t.Row(_("Dossiers examinés (inscriptions à l’ordre du jour)"), [t.Count(n_items)]),
                t.Row(_("Dossiers examinés par réunion (moyenne)"), [t.Mean(mean, n_meetings)]),
                t.Row(
                    _("Délai médian entre l’ouverture d’un dossier P1 et sa première réunion"),
                    [t.Delay(None if spread.median is None else spread.median / HOUR, spread.n)],
                ),
            ],
            notes=[
                _(
                    "Réunions tenues pendant la période (avec, si un filtre de territoire, d’établissement ou de "
                    "canal est choisi, au moins un dossier de la sélection à l’ordre du jour). Délai P1 : dossiers "
                    "P1 ouverts pendant la période déjà examinés en réunion."
                )
            ],
            chart_column=None,
        )
    ]


# --- By commune ---------------------------------------------------------------------------------


COMMUNE_MEASURES = (gettext_lazy("Signalements reçus"), gettext_lazy("Dossiers ouverts"))
# From 31 August to 1 October: reports entered late (a letter, a partner's transfer) are in by then.
COMMUNE_TABLE_DELAY = timedelta(days=31)


def _commune_unavailable(ctx: Context) -> str:
    """Rule 3 of halte.stats.suppression: why the table by commune is not given, or ""."""
    period = ctx.filters.period
    if period.school_year is None:
        return _(
            "La répartition par commune n’est donnée que pour une année scolaire entière : choisissez une année "
            "scolaire plutôt qu’une suite de mois."
        )
    if ctx.now < local_midnight(period.last_day + COMMUNE_TABLE_DELAY):
        return _(
            "La répartition par commune n’est donnée que pour une année scolaire terminée, à partir du 1er "
            "octobre qui suit : choisissez une année passée. Les chiffres d’une année en cours, comparés d’un "
            "mois à l’autre, désigneraient les signalements de chaque commune."
        )
    if ctx.filters.channel:
        return _("La répartition par commune ne se combine pas avec le filtre de canal : retirez ce filtre.")
    return ""


def by_commune(ctx: Context) -> list[CommuneTable]:
    """Reports received and cases opened per commune and class of school, masked by rule 2 of
    :mod:`halte.stats.suppression`. Two grouped queries (and the directory's), whatever the number of cases."""
    table = CommuneTable(
        key="communes",
        title=_("Signalements et dossiers par commune de l’établissement"),
        row_header=_("Commune"),
        columns=[str(label) for label in COMMUNE_MEASURES],
        notes=[
            _(
                "Communes par ordre alphabétique ; aucun établissement n’est nommé. Une commune n’apparaît que "
                "pour les types d’établissement où elle compte au moins 5 signalements ou 5 dossiers."
            )
        ],
        unavailable=_commune_unavailable(ctx),
    )
    if table.unavailable:
        return [table]
    split = ctx.directory.breakdown
    keys = ("school__departement", "school__commune", "school__kind", "school__sector")
    counts: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
    labels: dict[tuple[str, ...], str] = {}
    unknown = [0, 0]
    grouped = (ctx.filters.reports(), ctx.filters.cases())
    for measure, queryset in enumerate(grouped):
        for row in queryset.values(*keys).annotate(n=Count("pk")).order_by():
            if row["school__commune"] is None:
                unknown[measure] += row["n"]
                continue
            group = KIND_GROUP_OF.get(row["school__kind"], "other")
            class_key = split.class_of(group, row["school__sector"])
            labels[class_key] = class_label(group, row["school__sector"], split)
            key = (row["school__departement"], row["school__commune"], class_key)
            counts.setdefault(key, [0, 0])[measure] += row["n"]
    # Every commune where an open school of the class stands takes part in rule 2, with or without figures.
    places: set[tuple[str, str, tuple[str, ...]]] = set()
    selected = ctx.filters
    for place in ctx.directory.places:
        if selected.departement and place.departement != selected.departement:
            continue
        if selected.school_kind and place.kind_group != selected.school_kind:
            continue
        if selected.sector and place.sector != selected.sector:
            continue
        class_key = split.class_of(place.kind_group, place.sector)
        places.add((place.departement, place.commune, class_key))
        labels[class_key] = class_label(place.kind_group, place.sector, split)
    for departement, commune, class_key in sorted(set(counts) | places):
        key = (departement, commune, class_key)
        table.places.append(
            CommuneCounts(
                departement=departement,
                departement_label=departement_label(departement),
                commune=commune,
                class_key=class_key,
                class_label=labels[class_key],
                counts=tuple(counts.get(key, (0, 0))),
            )
        )
    if not selected.has_school_filter:
        table.unknown = tuple(unknown)
    return [table]


# --- Groups and sections --------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    section: str
    keys: tuple[str, ...]
    build: Callable[[Context], list[t.Table] | list[CommuneTable]]
    public: bool = True  # part of the published (département-level) figures


SECTIONS = {
    "signalements": (
        gettext_lazy("Signalements reçus"),
        gettext_lazy(
            "Ce qui arrive à la cellule : par quel canal, quelles formes de harcèlement, qui signale, ce que le tri "
            "a décidé, et la priorité des dossiers ouverts."
        ),
    ),
    "delais": (
        gettext_lazy("Délais"),
        gettext_lazy("Combien de temps entre le signalement et chaque étape, et la part des délais cibles tenus."),
    ),
    "resultats": (
        gettext_lazy("Résultats"),
        gettext_lazy(
            "Ce que disent les élèves aux points de suivi, comment les dossiers se terminent, les documents "
            "établis et les actions faites à temps."
        ),
    ),
    "recidive": (
        gettext_lazy("Récidive"),
        gettext_lazy("Les dossiers qui reviennent et les personnes citées plusieurs fois."),
    ),
    "prevention": (
        gettext_lazy("Prévention"),
        gettext_lazy("Ateliers, formations, élèves ambassadeurs et couverture des établissements."),
    ),
    "cellule": (gettext_lazy("La cellule au travail"), gettext_lazy("Les réunions de la cellule et leur rythme.")),
    "territoire": (
        gettext_lazy("Par commune"),
        gettext_lazy(
            "Le seul chiffre donné au-dessous du département, pour une année scolaire terminée : les communes "
            "de moins de 5 signalements ou dossiers sont masquées, ainsi qu’une autre pour qu’on ne puisse pas "
            "les retrouver par soustraction."
        ),
    ),
}

GROUPS: tuple[Group, ...] = (
    Group("signalements", ("signalements-canaux",), intake_by_channel),
    Group("signalements", ("signalements-formes", "signalements-declarants", "decisions-tri"), intake_details),
    Group("signalements", ("dossiers-priorites", "objectifs-delais"), priorities_and_clocks),
    Group("delais", ("delais",), delays),
    Group("resultats", ("ressenti-victimes",), victims_view),
    Group("resultats", ("issues-clotures",), closures),
    Group("resultats", ("documents",), documents),
    Group("resultats", ("actions-structures",), actions_by_organisation, public=False),
    Group("recidive", ("reouvertures",), reopenings),
    Group("recidive", ("personnes-citees",), repeated_people),
    Group("prevention", ("prevention-actions", "prevention-couverture", "prevention-objectifs"), prevention),
    Group("cellule", ("cellule",), cell_at_work),
    Group("territoire", ("communes",), by_commune, public=False),
)

TABLE_KEYS = tuple(key for group in GROUPS for key in group.keys)

# Where each table goes on the page: the clocks table belongs with the delays.
PLACEMENT = {"objectifs-delais": "delais"}


def compute(
    filters: Filters, *, now: datetime | None = None, public: bool = False, directory: Directory | None = None
) -> list[t.Section]:
    """Every figure of the dashboard (``public``: only those published on the public page), as sections
    of shown tables — suppression already applied. ``directory``: when the caller has loaded it already."""
    ctx = Context(filters=filters, now=now or timezone.now(), known_directory=directory)
    placed: dict[str, list[t.ShownTable]] = {key: [] for key in SECTIONS}
    for group in GROUPS:
        if public and not group.public:
            continue
        for table in group.build(ctx):
            placed[PLACEMENT.get(table.key, group.section)].append(shown(table))
    return [
        t.Section(key=key, title=str(title), intro=str(intro), tables=placed[key])
        for key, (title, intro) in SECTIONS.items()
        if placed[key]
    ]


def compute_table(
    filters: Filters, key: str, *, now: datetime | None = None, directory: Directory | None = None
) -> t.ShownTable | None:
    """One table (for an export): only the queries of its group run."""
    ctx = Context(filters=filters, now=now or timezone.now(), known_directory=directory)
    for group in GROUPS:
        if key in group.keys:
            return next(shown(table) for table in group.build(ctx) if table.key == key)
    return None
