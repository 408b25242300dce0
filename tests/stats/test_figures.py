"""Every figure against hand-computed fixtures, at the département level (counts shown as they are).

The school year 2024-2025 is used throughout: it contains both daylight-saving changes (27 October
2024, 30 March 2025) and ends on 31 August 2025.
"""

from datetime import date, timedelta

import pytest

from halte.cases.models import Action, FollowUp, Involvement, Person, Triage
from halte.directory.models import School
from halte.documents.models import Document
from halte.meetings.models import AgendaItem, Meeting
from halte.prevention.models import AmbassadorCount, TrainingAttendee, TrainingSession, WorkshopRequest
from halte.stats import figures, periods
from halte.stats.filters import Filters
from tests.factories import SchoolFactory

from .conftest import at, case, report, transition

YEAR = 2024
NOW = at(2025, 9, 15, 12)


def table(key, *, now=NOW, **filters):
    filters.setdefault("period", periods.school_year(YEAR))
    shown = figures.compute_table(Filters(**filters), key, now=now)
    assert shown is not None
    return shown


def by_label(shown):
    return {row.label: [cell.text for cell in row.cells] for row in shown.rows}


# --- Periods and intake ------------------------------------------------------------------------------


@pytest.fixture
def intake(people, schools):
    reports = {
        # 23:30 on 31 August, Paris time (21:30 UTC): the last evening of the school year 2024-2025.
        "last_evening": report(
            received_at=at(2025, 8, 31, 23, 30),
            school=schools["amiens_college"],
            forms=["cyber", "verbal"],
            reporter_kind="parent",
        ),
        "next_year": report(received_at=at(2025, 9, 1, 0, 10), school=schools["amiens_college"]),
        "first_minute": report(
            received_at=at(2024, 9, 1, 0, 0), school=schools["amiens_lycee"], reporter_kind="parent"
        ),
        "previous_year": report(received_at=at(2024, 8, 31, 23, 59), school=schools["amiens_college"]),
        "public": report(
            received_at=at(2025, 1, 15),
            channel="public_form",
            school=schools["abbeville_ecole"],
            forms=["physical"],
            reporter_kind="victim",
        ),
        "no_school": report(received_at=at(2025, 2, 3), forms=["sexual"], reporter_kind="witness"),
        "oise": report(received_at=at(2025, 3, 3), school=schools["beauvais_college"], reporter_kind="other"),
    }
    Triage.objects.create(
        report=reports["last_evening"], outcome="open_case", qualification="bullying", decided_by=people.coordinator
    )
    Triage.objects.create(
        report=reports["public"], outcome="not_bullying", qualification="conflict", decided_by=people.coordinator
    )
    return reports


def test_a_report_at_23_30_on_31_august_belongs_to_the_school_year_ending_that_day(intake):
    period = periods.school_year(YEAR)
    assert period.first_day == date(2024, 9, 1)
    assert period.last_day == date(2025, 8, 31)
    august = by_label(table("signalements-canaux", period=periods.months((2025, 8), (2025, 8))))
    september = by_label(table("signalements-canaux", period=periods.months((2025, 9), (2025, 9))))
    assert august["Appel téléphonique"][-1] == "1"  # the 23:30 report, and only it
    assert september["Appel téléphonique"][-1] == "1"  # the 00:10 report


def test_reports_by_channel_without_a_split_by_type_the_directory_does_not_allow(intake):
    # The Somme's collège and lycée both stand in Amiens, its école in Abbeville: a column per type
    # would be a column per commune (rule 1 of halte.stats.suppression).
    shown = table("signalements-canaux")
    assert shown.title == "Signalements reçus par canal"
    assert shown.columns == ["Établissement renseigné", "Établissement non renseigné", "Total"]
    rows = by_label(shown)
    assert rows["Appel téléphonique"] == ["3", "1", "4"]
    assert rows["Formulaire public"] == ["1", "0", "1"]
    assert rows["Total"] == ["4", "1", "5"]


def test_reports_by_channel_and_school_kind(intake):
    # An EREA and an école in Amiens, a collège, a lycée and an « other » establishment in Abbeville: now
    # every type of the Somme stands in two communes. The EREA counts with the other establishments.
    SchoolFactory(uai="0801020A", kind="erea", commune="Amiens")
    SchoolFactory(uai="0801021A", kind="ecole", commune="Amiens")
    for uai, kind in (("0801022A", "college"), ("0801023A", "lycee"), ("0801024A", "other")):
        SchoolFactory(uai=uai, kind=kind, commune="Abbeville")
    report(received_at=at(2025, 5, 5), school=School.objects.get(uai="0801020A"), reporter_kind="other")
    rows = by_label(table("signalements-canaux"))
    #                                école collège lycée autres inconnu total
    assert rows["Appel téléphonique"] == ["0", "2", "1", "1", "1", "5"]  # the Oise collège is a collège
    assert rows["Formulaire public"] == ["1", "0", "0", "0", "0", "1"]
    assert rows["Total"] == ["1", "2", "1", "1", "1", "6"]
    assert table("signalements-canaux", school_kind="other").rows[-1].cells[-1].text == "1"  # EREA and others


def test_territory_level_sector_and_channel_filters(intake):
    somme = by_label(table("signalements-canaux", departement="080"))
    assert somme["Total"][-1] == "3"  # neither the Oise nor the report without a school
    oise = by_label(table("signalements-canaux", departement="060"))
    assert oise["Total"][-1] == "1"
    # The Somme's only private school is in Abbeville, its lycée in Amiens: those figures would be a
    # commune's. The form does not offer them, and the figures refuse them (rule 1).
    for split in ({"sector": "private"}, {"school_kind": "lycee"}):
        with pytest.raises(ValueError, match="does not allow"):
            table("signalements-canaux", **split)
    for uai, kind, sector, commune in (
        ("0801031A", "college", "public", "Abbeville"),
        ("0801032A", "lycee", "public", "Abbeville"),
        ("0801033A", "ecole", "private", "Amiens"),
    ):
        SchoolFactory(uai=uai, kind=kind, sector=sector, commune=commune)
    private = by_label(table("signalements-canaux", sector="private"))
    assert private["Total"][-1] == "1"
    lycees = by_label(table("signalements-canaux", school_kind="lycee"))
    assert lycees["Total"][-1] == "1"
    public_form = by_label(table("signalements-canaux", channel="public_form"))
    assert public_form["Total"][-1] == "1"


def test_a_case_counts_in_the_channel_of_its_first_report(schools):
    school = schools["amiens_college"]
    opened = at(2025, 1, 10)
    # First by reception: the phone call; the later public form does not make it a form case.
    phone_first = case(opened_at=opened, school=school)
    report(received_at=at(2025, 1, 9), channel="phone", case=phone_first, school=school)
    report(received_at=at(2025, 1, 8, 9), channel="public_form", case=phone_first, school=school)
    report(received_at=at(2025, 1, 8, 8), channel="phone", case=phone_first, school=school)
    # Two reports received at the same instant: the first written (smaller id) decides.
    tie = case(opened_at=opened, school=school)
    report(received_at=at(2025, 1, 9), channel="public_form", case=tie, school=school)
    report(received_at=at(2025, 1, 9), channel="phone", case=tie, school=school)
    # No report at all: in no channel.
    case(opened_at=opened, school=school)
    totals = {
        channel: by_label(table("dossiers-priorites", channel=channel))["Total"][0]
        for channel in ("phone", "public_form", "email")
    }
    assert totals == {"phone": "1", "public_form": "1", "email": "0"}
    assert by_label(table("dossiers-priorites"))["Total"][0] == "3"


def test_forms_reporters_and_triage(intake):
    forms = by_label(table("signalements-formes"))
    assert forms["Sur internet ou le téléphone (cyberharcèlement)"] == ["1"]
    assert forms["Insultes, moqueries, surnoms (violences verbales)"] == ["1"]
    assert forms["Coups, bousculades (violences physiques)"] == ["1"]
    assert forms["Gestes ou propos sexuels, photos intimes"] == ["1"]
    assert forms["Menaces"] == ["0"]
    reporters = by_label(table("signalements-declarants"))
    assert reporters["Un parent ou un proche"] == ["2"]
    assert reporters["L’élève qui subit"] == ["1"]
    assert reporters["Un ou une élève témoin"] == ["1"]
    assert reporters["Autre"] == ["1"]
    assert reporters["Total"] == ["5"]
    triage = by_label(table("decisions-tri"))
    assert triage["Ouvrir un dossier"] == ["1"]
    assert triage["Clore : pas de harcèlement"] == ["1"]
    assert triage["Pas encore trié"] == ["3"]
    assert triage["Total"] == ["5"]


# --- Delays ------------------------------------------------------------------------------------------


@pytest.fixture
def delay_cases(schools):
    school = schools["amiens_college"]
    cases = []
    # Reported, opened 2 hours later, taken in charge 1 hour after the opening: 3 hours from the report.
    cases.append(
        case(
            opened_at=at(2024, 11, 4, 10),
            with_report=at(2024, 11, 4, 8),
            taken_in_charge_at=at(2024, 11, 4, 11),
            cell_meeting_at=at(2024, 11, 5, 8),
            school=school,
        )
    )
    for hours in (1, 2, 4):
        received = at(2025, 1, 6, 9)
        cases.append(
            case(
                opened_at=received,
                with_report=received,
                taken_in_charge_at=received + timedelta(hours=hours),
                cell_meeting_at=received + timedelta(hours=24 * hours),
                school=school,
            )
        )
    # Across the spring daylight-saving change: 22:00 on 29 March to 22:00 on 30 March, Paris time,
    # is 23 real hours (the clocks jumped from 2:00 to 3:00).
    cases.append(
        case(
            opened_at=at(2025, 3, 29, 22),
            with_report=at(2025, 3, 29, 22),
            taken_in_charge_at=at(2025, 3, 30, 22),
            school=school,  # no cell meeting yet
        )
    )
    # Reopened: no closure date any more, so not in the closure delays.
    cases.append(case(opened_at=at(2025, 2, 3), with_report=at(2025, 2, 3), state="reopened", school=school))
    return cases


def test_delays_median_and_90th_percentile_in_real_hours(delay_cases):
    rows = by_label(table("delais"))
    # Take charge: 1, 2, 3, 4, 23 hours. Median 3 h; 90th percentile 4 + 0.6 × (23 − 4) = 15.4 h.
    assert rows["Prise en charge"] == ["5", "3,0\u00a0h", "15,4\u00a0h"]
    # Cell meeting on 4 cases only (one not examined yet): too few for a delay.
    assert rows["Premier examen en cellule"] == ["4", "—", "—"]
    assert rows["Clôture"] == ["0", "—", "—"]
    shown = table("delais")
    median = shown.rows[0].cells[1]
    assert median.value == 3.0
    assert shown.rows[0].cells[2].value == 15.4


def test_delays_are_measured_from_the_first_report(schools):
    for _ in range(5):
        case(
            opened_at=at(2025, 2, 10, 12),
            with_report=at(2025, 2, 9, 12),
            taken_in_charge_at=at(2025, 2, 10, 12),
            school=schools["amiens_college"],
        )
    assert by_label(table("delais"))["Prise en charge"] == ["5", "24,0\u00a0h", "24,0\u00a0h"]


# --- Clocks -----------------------------------------------------------------------------------------

CLOCK_NOW = at(2025, 6, 15, 12)


@pytest.fixture
def clocked(schools):
    school = schools["amiens_college"]

    def p2(opened, **fields):
        return case(opened_at=opened, priority="P2", school=school, **fields)

    # P2: take charge within 24 hours, cell meeting within 72 hours.
    p2(at(2025, 6, 1, 10), taken_in_charge_at=at(2025, 6, 2, 9), cell_meeting_at=at(2025, 6, 3, 10))  # met, met
    p2(at(2025, 6, 1, 10), taken_in_charge_at=at(2025, 6, 2, 11))  # 25 hours: missed
    p2(at(2025, 6, 15, 9))  # opened 3 hours ago: pending, not counted (no cell meeting yet, not due)
    p2(at(2025, 6, 10, 10))  # never taken in charge, due long ago: missed (no cell meeting: missed)
    p2(at(2025, 6, 10, 10), state="closed", closed_at=at(2025, 6, 10, 12))  # closed before the due time
    p2(at(2025, 6, 10, 10), state="closed", closed_at=at(2025, 6, 12, 10))  # closed after 48 h: missed
    p2(at(2025, 6, 1, 10), taken_in_charge_at=at(2025, 6, 1, 12))  # met
    p2(at(2025, 6, 1, 10), taken_in_charge_at=at(2025, 6, 1, 13))  # met

    def p1(opened, **fields):
        return case(opened_at=opened, priority="P1", school=school, **fields)

    # P1: first protective measure the same day (Paris), but never less than 4 hours after the opening.
    p1(at(2025, 6, 2, 20), first_measure_at=at(2025, 6, 2, 23, 30))  # same evening: met
    p1(at(2025, 6, 2, 22), first_measure_at=at(2025, 6, 3, 1, 30))  # next day, 3 h 30 later: met
    p1(at(2025, 6, 2, 10), first_measure_at=at(2025, 6, 3, 9))  # next morning: missed
    p1(at(2025, 6, 2, 10))  # never: missed
    p1(at(2025, 6, 15, 8))  # today, nothing yet: pending
    p1(at(2025, 6, 1, 10), first_measure_at=at(2025, 6, 1, 21))  # met


def test_share_of_clocks_met_per_step_and_priority(clocked):
    rows = by_label(table("objectifs-delais", now=CLOCK_NOW))
    #                         P1    P2       P3     P4            all
    assert rows["Prise en charge"][1] == "50\u00a0%"  # 3 met, 3 missed (one pending, one stopped early)
    assert rows["Première mesure de protection"][0] == "60\u00a0%"  # 3 met, 2 missed
    assert rows["Examen en cellule"][1] == "20\u00a0%"  # 1 met, 4 missed (the one closed at 48 h had stopped)
    assert rows["Première mesure de protection"][3] == "sans objet"
    assert rows["Examen en cellule"][3] == "sans objet"
    assert rows["Prise en charge"][2] == "—"  # no P3 case


def test_priorities(clocked):
    rows = by_label(table("dossiers-priorites", now=CLOCK_NOW))
    assert rows["P1 — critique"] == ["6"]
    assert rows["P2 — élevée"] == ["8"]
    assert rows["Total"] == ["14"]


# --- Outcomes ----------------------------------------------------------------------------------------


def test_victims_view_at_j30_and_j90(schools):
    first = case(opened_at=at(2024, 10, 1), school=schools["amiens_college"])
    second = case(opened_at=at(2024, 10, 1), school=schools["amiens_college"])
    done = at(2025, 1, 10)
    FollowUp.objects.create(case=first, day=30, due_on=date(2024, 10, 31), done_at=done, victim_view="better")
    FollowUp.objects.create(case=first, day=90, due_on=date(2024, 12, 30), done_at=done, victim_view="worse")
    FollowUp.objects.create(case=second, day=30, due_on=date(2024, 10, 31), done_at=done, victim_view="same")
    FollowUp.objects.create(case=second, day=7, due_on=date(2024, 10, 8), done_at=done, victim_view="better")
    FollowUp.objects.create(case=second, day=90, due_on=date(2024, 12, 30), done_at=at(2025, 9, 2), victim_view="same")
    rows = by_label(table("ressenti-victimes"))
    #                 Mieux Pareil Moins bien Total
    assert rows["J+30"] == ["1", "1", "0", "2"]
    assert rows["J+90"] == ["0", "0", "1", "1"]
    assert rows["Total"] == ["1", "1", "1", "3"]


def test_closure_outcomes(schools):
    school = schools["amiens_college"]
    for outcome in ("stopped", "stopped", "not_established"):
        case(
            opened_at=at(2024, 9, 10), state="closed", closed_at=at(2025, 2, 1), closure_outcome=outcome, school=school
        )
    case(opened_at=at(2024, 9, 10), state="reopened", school=school)  # closed, then reopened: no outcome now
    case(opened_at=at(2024, 9, 10), state="closed", closed_at=at(2025, 10, 1), closure_outcome="other", school=school)
    rows = by_label(table("issues-clotures"))
    assert rows["Le harcèlement a cessé"] == ["2"]
    assert rows["Harcèlement non établi"] == ["1"]
    assert rows["Autre"] == ["0"]
    assert rows["Total"] == ["3"]


def test_documents_by_kind(people, schools):
    owner = case(opened_at=at(2024, 9, 10), school=schools["amiens_college"])
    for index, (kind, when) in enumerate(
        [("art40", at(2024, 12, 1)), ("art40", at(2025, 3, 1)), ("ip", at(2025, 3, 2)), ("art40", at(2025, 9, 2))]
    ):
        Document.objects.create(
            case=owner,
            kind=kind,
            title="Document",
            compartments=["core"],
            path=f"documents/{index}.bin",
            key_id="k1",
            sha256="0" * 64,
            size=100,
            generated_by=people.coordinator,
            generated_at=when,
        )
    rows = by_label(table("documents"))
    assert rows["Signalement au procureur de la République (art. 40 CPP)"] == ["2"]
    assert rows["Information préoccupante (CRIP)"] == ["1"]
    assert rows["Total"] == ["3"]


def test_actions_done_on_time_per_organisation_schools_never_named(people, schools):
    owner = case(opened_at=at(2024, 9, 10), school=schools["amiens_college"])
    parquet = people.magistrate.organisation
    school_a = people.school_a_staff.organisation
    school_b = people.school_b_staff.organisation
    due = at(2025, 3, 1)

    def action(organisation, *, status="open", done_at=None, due_at=due):
        Action.objects.create(
            case=owner, title="Action", owner_organisation=organisation, due_at=due_at, status=status, done_at=done_at
        )

    action(parquet, status="done", done_at=due - timedelta(days=1))  # on time
    action(parquet, status="done", done_at=due + timedelta(days=1))  # late
    action(parquet)  # still open, past due
    action(parquet, due_at=NOW + timedelta(days=3))  # not due yet (and not in the period)
    action(parquet, status="cancelled", done_at=due)  # cancelled: not counted
    for organisation in (school_a, school_a, school_b):
        action(organisation, status="done", done_at=due - timedelta(hours=2))
    shown = table("actions-structures")
    rows = by_label(shown)
    assert rows["Parquet d'Amiens"] == ["3", "1", "—"]  # 3 actions: too few for a rate
    assert rows["Établissements scolaires (regroupés)"] == ["3", "3", "—"]
    assert rows["Total"] == ["6", "4", "67\u00a0%"]
    assert not any("Collège" in label for label in rows)


# --- Recidivism --------------------------------------------------------------------------------------


def test_reopen_rate_within_6_and_12_months(people, schools):
    now = at(2026, 6, 1)  # 6 months back: 30 Nov 2025; 12 months back: 1 June 2025
    actor = people.coordinator
    school = schools["amiens_college"]

    def history(*events):
        created = case(opened_at=at(2024, 9, 2), school=school)
        for name, moment in events:
            transition(created, name, moment, actor)

    history(("close", at(2024, 10, 1)), ("reopen", at(2024, 12, 1)))  # reopened after 2 months
    history(("close", at(2024, 11, 1)), ("reopen", at(2025, 8, 1)))  # after 9 months
    history(("close", at(2025, 1, 10)))  # never reopened
    history(("close", at(2025, 2, 1)), ("reopen", at(2025, 3, 1)), ("close", at(2025, 4, 1)))
    history(("close", at(2025, 7, 15)))  # too recent to know about 12 months
    rows = by_label(table("reouvertures", now=now))
    # 6 months: 6 closures, reopened within 183 days after 2 of them (2 months, 1 month).
    assert rows["Dans les 6 mois"] == ["6", "2", "33\u00a0%"]
    # 12 months: 5 closures old enough, 3 reopened within 365 days.
    assert rows["Dans les 12 mois"] == ["5", "3", "60\u00a0%"]


def test_repeated_alleged_authors_and_victims(schools):
    school = schools["amiens_college"]

    def person(name):
        return Person.objects.create(kind="pupil", first_name=name, last_name="Test")

    def involve(case_, person_, role):
        Involvement.objects.create(case=case_, person=person_, role=role)

    one, two, three, four, five = (case(opened_at=at(2024, 10, 1), school=school) for _ in range(5))
    old = case(opened_at=at(2022, 10, 1), school=school)
    merged = case(opened_at=at(2024, 11, 1), school=school, merged_into=five)
    a, b, c, d, v, w, x = (person(name) for name in "ABCDVWX")
    involve(one, a, "alleged_author")
    involve(two, a, "alleged_author")  # A: two cases → repeated
    involve(one, b, "alleged_author")  # B: one case
    involve(three, c, "alleged_author")
    involve(old, c, "alleged_author")  # C: a case two years earlier → repeated
    involve(five, d, "alleged_author")
    involve(merged, d, "alleged_author")  # D: the second case is a duplicate merged into the first
    involve(one, v, "victim")
    involve(two, v, "victim")  # V: victim twice → repeated
    involve(three, w, "victim")
    involve(one, x, "victim")
    involve(four, x, "alleged_author")  # X: once victim, once author: repeated in neither role
    rows = by_label(table("personnes-citees"))
    assert rows["Auteurs présumés"] == ["5", "2", "40\u00a0%"]  # A, B, C, D, X — A and C
    assert rows["Victimes"] == ["3", "1", "—"]  # V, W, X — V; too few for a rate


# --- Prevention --------------------------------------------------------------------------------------


def test_prevention_reuses_coverage(people, schools):
    coordinator = people.coordinator
    college, lycee = schools["amiens_college"], schools["amiens_lycee"]
    for school, pupils in ((college, 25), (lycee, 30)):
        WorkshopRequest.objects.create(
            school=school,
            requested_by=coordinator,
            theme="bullying",
            pupil_count=pupils,
            status="delivered",
            delivered_on=date(2025, 3, 10),
            pupils_reached=pupils,
        )
    WorkshopRequest.objects.create(
        school=college, requested_by=coordinator, theme="bullying", pupil_count=10, status="cancelled"
    )
    session = TrainingSession.objects.create(
        topic="weak_signals",
        title="Signaux faibles",
        trainer="Formatrice",
        starts_at=at(2025, 2, 4, 9),
        duration_minutes=180,
        place="Amiens",
        created_by=coordinator,
    )
    for name, attended in (("Anne Une", True), ("Bruno Deux", True), ("Chloé Trois", False)):
        TrainingAttendee.objects.create(
            session=session, full_name=name, function="CPE", school=college, attended=attended
        )
    AmbassadorCount.objects.create(
        school=college, school_year=YEAR, trained_on=date(2025, 1, 20), count=12, recorded_by=coordinator
    )
    actions = by_label(table("prevention-actions", departement="080"))
    assert actions["Ateliers réalisés"] == ["2"]
    assert actions["Élèves touchés par les ateliers"] == ["55"]
    assert actions["Personnels formés"] == ["2"]
    assert actions["Élèves ambassadeurs"] == ["12"]
    # Somme schools: the collège (all targets), the lycée (workshop only), the école, collèges A and B.
    levels = by_label(table("prevention-couverture", departement="080"))
    assert levels["Objectifs atteints"] == ["1"]
    assert levels["Objectifs en partie atteints"] == ["1"]
    assert levels["Aucune action de prévention"] == ["3"]
    assert levels["Total"] == ["5"]
    targets = by_label(table("prevention-objectifs", departement="080"))
    assert targets["Au moins 1 atelier réalisé"] == ["2", "40\u00a0%"]
    assert targets["Au moins 2 personnels formés"] == ["1", "20\u00a0%"]
    assert targets["Au moins 10 élèves ambassadeurs"] == ["1", "20\u00a0%"]


# --- The cell at work ----------------------------------------------------------------------------------


def test_meetings_cases_per_meeting_and_p1_first_meeting(people, schools):
    school = schools["amiens_college"]

    def meeting(starts_at, status="held"):
        return Meeting.objects.create(
            title="Cellule", starts_at=starts_at, place="DSDEN", status=status, organiser=people.coordinator
        )

    def enrol(meeting_, case_):
        AgendaItem.objects.create(meeting=meeting_, case=case_, reason="added")

    first, second = meeting(at(2025, 1, 10, 14)), meeting(at(2025, 1, 20, 14))
    p1 = {}
    for hours, held in ((10, first), (20, first), (30, second), (40, second), (50, second)):
        p1[hours] = case(opened_at=held.starts_at - timedelta(hours=hours), priority="P1", school=school)
        enrol(held, p1[hours])
    enrol(second, p1[10])  # examined again later: its first meeting is still the first one
    for day in (3, 4, 5):
        enrol(meeting(at(2025, 2, day, 14)), case(opened_at=at(2025, 1, 2), school=school))
    waiting = case(opened_at=at(2025, 5, 1), priority="P1", school=school)
    enrol(meeting(at(2025, 5, 2, 14), status="planned"), waiting)  # not held: no first meeting yet
    enrol(meeting(at(2025, 5, 3, 14), status="cancelled"), waiting)
    enrol(meeting(at(2025, 9, 3, 14)), waiting)  # held, but in the next school year
    rows = by_label(table("cellule"))
    assert rows["Réunions de la cellule tenues"] == ["5"]
    assert rows["Dossiers examinés (inscriptions à l’ordre du jour)"] == ["9"]
    assert rows["Dossiers examinés par réunion (moyenne)"] == ["1,8"]
    # P1 cases first examined 10, 20, 30, 40, 50 hours after opening; the waiting one after 4 months.
    delay = rows["Délai médian entre l’ouverture d’un dossier P1 et sa première réunion"]
    assert delay == ["35,0\u00a0h"]


def test_a_meeting_held_before_the_case_was_opened_is_not_its_first_meeting(people, schools):
    """A meeting recorded after the fact may sit before the case on the calendar: no negative delay."""
    school = schools["amiens_college"]
    for day in range(10, 15):
        opened = at(2025, 1, day, 3)
        p1 = case(opened_at=opened, priority="P1", school=school)
        for starts_at in (opened - timedelta(hours=9), opened + timedelta(hours=10)):
            meeting = Meeting.objects.create(
                title="Cellule", starts_at=starts_at, place="DSDEN", status="held", organiser=people.coordinator
            )
            AgendaItem.objects.create(meeting=meeting, case=p1, reason="added")
    rows = by_label(table("cellule"))
    assert rows["Délai médian entre l’ouverture d’un dossier P1 et sa première réunion"] == ["10,0\u00a0h"]
