"""A synthetic population for the benchmarks, written through the project's own schema.

Rows are built as the application builds them (the models' defaults, derived columns such as
``School.search_text`` and ``Person.name_key``, timeline compartments decided by the access policy,
audit digests computed as the journal computes them, reference counters moved past the numbers used)
and written with PostgreSQL's ``COPY`` (:mod:`halte.bench.rows`) in chunks, one transaction per chunk;
the audit chain trigger links every journal row.

Shape, for ``cases`` cases (fixed seed, so two runs of the same size build the same data):

- three school years of cases, ~70 % closed, P1 5 % / P2 20 % / P3 45 % / P4 30 %;
- every Somme school of the directory file, plus synthetic schools (about one per 200 cases,
  at least 1,000), cases concentrated on the Somme ones;
- one report per case (two pupils named), 3 % more reports waiting in the queue;
- a victim per case and an alleged author, a quarter of them repeat authors;
- severity assessment, triage, transitions and timeline lines per case, one action, two follow-ups,
  a protective measure for 40 % of cases, weekly cell meetings with three agenda items, one journal row;
- one open case with a 500-line timeline (the case page benchmark).

It is the steady state of a cell whose periodic pass runs every minute: what fell due was done or
reminded long ago, except for 2 % of the open cases (an overdue action, a missed follow-up), new cases
are less than an hour old and unread reports less than half an hour. So the first ``tick`` after a
load does the work due, proportional to those, and the second one finds nothing due.
"""

import base64
import functools
import hashlib
import itertools
import json
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.db.models import Model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from halte.audit import chain
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import enums as case_enums
from halte.cases import timeline
from halte.cases.models import (
    Action,
    Case,
    Event,
    FollowUp,
    Involvement,
    Person,
    SeverityAssessment,
    Transition,
    Triage,
)
from halte.cases.people import name_key
from halte.cases.severity import Criteria, assess
from halte.cases.targets import CELL_MEETING, FOLLOW_UP, targets
from halte.core.models import Counter
from halte.directory.importer import DEFAULT_DIRECTORY, import_schools
from halte.directory.models import School, SchoolKind, Sector, fold
from halte.interventions.models import Measure, MeasureCategory, MeasureKind
from halte.meetings.models import AgendaItem, Meeting
from halte.reports import enums as report_enums
from halte.reports.models import Report, ReportedPupil

from .rows import Table, Tables

SEED = 20260
CHUNK = 10_000
PASSWORD = "Banc-d-essai-2026"  # noqa: S105 - synthetic accounts of a throwaway database
DOMAIN = "banc.halte.test"
TIMELINE_EVENTS = 500
AUTHOR_POOL = 50_000
LATE = 0.02  # open cases behind their clocks

P = case_enums.Priority
S = case_enums.State
PRIORITIES = [(P.P1, 5), (P.P2, 20), (P.P3, 45), (P.P4, 30)]
OPEN_STATES = [(S.TRIAGED, 25), (S.IN_INTERVENTION, 45), (S.MONITORING, 22), (S.REOPENED, 5), (S.NEW, 3)]
QUALIFICATIONS = [
    (case_enums.Qualification.BULLYING, 60),
    (case_enums.Qualification.INTIMIDATION, 20),
    (case_enums.Qualification.CONFLICT, 15),
    (case_enums.Qualification.OTHER_OFFENCE, 5),
]
FIRST_NAMES = (  # noqa: SIM905 - read as a sentence
    "Léa Emma Chloé Inès Manon Jade Louise Alice Lina Rose Anna Mila Ambre Julia Zoé Lou Nina Sarah Léna Eva "
    "Lucas Hugo Louis Nathan Gabriel Jules Arthur Adam Raphaël Tom Noah Ethan Paul Sacha Mohamed Timéo Enzo "
    "Maël Nolan Rayan Yanis Kylian Mathis Théo Axel Liam Aaron Noé Malo Évan"
).split()
LAST_NAMES = (  # noqa: SIM905 - read as a sentence
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
    "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet "
    "François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin "
    "Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen "
    "Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Pérez Marchand "
    "Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud "
    "Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Leclercq"
).split()
STORIES = [
    "Depuis la rentrée, des élèves de sa classe l’insultent tous les jours et la bousculent dans les couloirs.",
    "Il reçoit des messages moqueurs sur Snapchat le soir, une photo de lui circule dans un groupe.",
    "Elle est mise à l’écart à la cantine et dans la cour, on se moque de ses vêtements.",
    "Un groupe lui prend ses affaires et le menace à la sortie du collège.",
    "Des rumeurs circulent sur elle, elle ne veut plus aller en cours de sport.",
]
CHANNELS = [
    (report_enums.Channel.PUBLIC_FORM, 40),
    (report_enums.Channel.SCHOOL, 25),
    (report_enums.Channel.PHONE, 10),
    (report_enums.Channel.STOP_HARCELEMENT, 10),
    (report_enums.Channel.EMAIL, 8),
    (report_enums.Channel.API, 4),
    (report_enums.Channel.PARQUET, 3),
]


def totp_key(email: str) -> str:
    """A stable TOTP key (hex, as django-otp stores it) for a bench account."""
    return hashlib.sha256(f"halte-bench-totp:{email}".encode()).hexdigest()[:40]


def base32(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode("ascii")


@dataclass
class Cast:
    """The accounts the benchmarks log in as, and the objects they look at."""

    coordinator: Membership
    school_staff: Membership
    timeline_case: Case
    bench_school: School


@dataclass
class LoadStats:
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def add(self, name: str, count: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + count


def _weighted(rng: random.Random, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def _account(email: str, first: str, last: str, organisation: Organisation, role: str, password: str) -> Membership:
    user = User.objects.create(email=email, first_name=first, last_name=last, password=password)
    TOTPDevice.objects.create(user=user, name="Banc d’essai", confirmed=True, key=totp_key(email))
    return Membership.objects.create(user=user, organisation=organisation, role=role)


def _synthetic_schools(count: int, rng: random.Random) -> list[School]:
    kinds = [(SchoolKind.ECOLE, 60), (SchoolKind.COLLEGE, 25), (SchoolKind.LYCEE, 13), (SchoolKind.EREA, 2)]
    schools = []
    for number in range(count):
        departement = f"{rng.choice([2, 60, 62, 59, 76]):03d}"
        commune = f"Commune {number % 700:03d}"
        school = School(
            uai=f"9{number:06d}{chr(65 + number % 26)}",
            name=f"Établissement synthétique {number}",
            kind=_weighted(rng, kinds),
            sector=Sector.PUBLIC if rng.random() < 0.8 else Sector.PRIVATE,
            postcode=f"{departement[1:]}{number % 1000:03d}",
            commune=commune,
            commune_code=f"{departement[1:]}{number % 700:03d}",
            departement=departement,
            academie="Synthétique",
        )
        # bulk_create skips save(): the derived column is filled as School.save() fills it.
        school.search_text = fold(f"{school.name} {school.commune} {school.postcode} {school.uai}")
        schools.append(school)
    return School.objects.bulk_create(schools, batch_size=CHUNK)


def _assessments() -> dict[str, tuple[dict, Any, str]]:
    """For each priority, criteria that the real rules assess at that priority (or the nearest one)."""
    candidates = [
        Criteria(repeated=True, frequency_daily=True, self_harm_or_suicidal=True),
        Criteria(repeated=True, frequency_daily=True, duration_months=True, author_count=3, threats=True),
        Criteria(repeated=True, duration_months=True, author_count=2),
        Criteria(repeated=True),
        Criteria(),
    ]
    found: dict[str, tuple[dict, Any, str]] = {}
    for criteria in candidates:
        result = assess(criteria, case_enums.Qualification.BULLYING)
        found.setdefault(str(result.priority), (criteria.to_dict(), result.fired_rules_json(), str(result.priority)))
    return found


def load(cases: int, *, stdout=None) -> tuple[Cast, LoadStats]:
    """Build the population in the current (empty, migrated) database. Returns who logs in, and the counts."""
    started = time.perf_counter()
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, reproducible on purpose
    stats = LoadStats()
    say = stdout.write if stdout else (lambda _text: None)
    now = timezone.now()

    # --- Directory, organisations, accounts ----------------------------------------------------------
    import_schools(DEFAULT_DIRECTORY)
    somme = list(School.objects.order_by("uai").values_list("pk", flat=True))
    synthetic = [school.pk for school in _synthetic_schools(max(1_000, cases // 200), rng)]
    stats.add("schools", len(somme) + len(synthetic))
    bench_school = School.objects.order_by("uai").first()
    if bench_school is None:
        raise RuntimeError("Banc d’essai : l’annuaire des établissements est vide.")

    dsden = Organisation.objects.create(name="DSDEN de la Somme (banc d’essai)", kind=OrganisationKind.EDUCATION)
    school_org = Organisation.objects.create(
        name=bench_school.name, kind=OrganisationKind.SCHOOL, school=bench_school, departement="080"
    )
    # The hashing is the slow part of an account: once for every account, as the login checks it anyway.
    password = make_password(PASSWORD)
    coordinator = _account(f"coordination@{DOMAIN}", "Claire", "Banc", dsden, Role.COORDINATOR, password)
    staff = _account(f"cpe@{DOMAIN}", "Nadia", "Banc", school_org, Role.SCHOOL_STAFF, password)
    colleagues = [
        _account(f"coordination{n}@{DOMAIN}", "Coordination", f"N{n}", dsden, Role.COORDINATOR, password)
        for n in range(1, 4)
    ]
    stats.add("accounts", 2 + len(colleagues))

    def pick_school() -> int:
        """Cases concentrated on the Somme schools (the bench school most of all), the rest spread out."""
        draw = rng.random()
        if draw < 0.02:
            return bench_school.pk
        if draw < 0.6:
            return rng.choice(somme)
        return rng.choice(synthetic)

    population = _Population(
        rng=rng,
        now=now,
        leads=[(m.pk, m.user_id) for m in (coordinator, *colleagues)],
        dsden=dsden.pk,
        school_org=school_org.pk,
        bench_school=bench_school.pk,
        pick_school=pick_school,
    )
    done = 0
    # One thread builds the rows of a chunk while another writes the previous one (its own connection,
    # one transaction per chunk): PostgreSQL digests a chunk while Python builds the next.
    with Writer(population.tables) as writer:
        while done < cases:
            size = min(CHUNK, cases - done)
            writer.put(population.chunk(size))
            done += size
            say(f"  {done} / {cases} dossiers\n")

    with transaction.atomic():
        timeline_case = _timeline_case(now, coordinator, bench_school, population.reference, stats)
        population.queue_reports(max(10, cases * 3 // 100))
        _meetings(now, population.span, coordinator, stats)
        for (name, year), value in population.references.items():
            Counter.objects.update_or_create(name=name, year=year, defaults={"value": value})
    for name, count in population.tables.counts().items():
        stats.add(name, count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None
    stats.seconds = time.perf_counter() - started
    cast = Cast(coordinator=coordinator, school_staff=staff, timeline_case=timeline_case, bench_school=bench_school)
    return cast, stats


class _Weighted:
    """A weighted draw with its cumulative weights computed once (the loader draws millions)."""

    def __init__(self, table):
        self.values, weights = zip(*table, strict=True)
        self.cumulative = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


_PRIORITY = _Weighted(PRIORITIES)
_OPEN_STATE = _Weighted(OPEN_STATES)
_QUALIFICATION = _Weighted(QUALIFICATIONS)
_CHANNEL = _Weighted(CHANNELS)
DAY = 86_400
# Drawn millions of times: the choices listed once, JSON values serialised once.
MIDNIGHT = dt_time(0, 0)
OUTCOMES = list(case_enums.ClosureOutcome.values)
REPORTER_KINDS = list(report_enums.ReporterKind.values)
VIEWS = list(FollowUp.View.values)
DETAILS = {priority: json.dumps({"priority": priority}) for priority in P.values}
FORM_PAIRS = [json.dumps([a, b]) for a, b in itertools.permutations(report_enums.Form.values, 2)]


@functools.cache
def _name_key(first: str, last: str) -> str:
    return name_key(first, last)  # what Person.save() derives


class _Population:
    """Writes the cases and everything hanging from them, one chunk of cases (one transaction) at a time.

    Rows are plain dicts written by :mod:`halte.bench.rows` (``COPY``), their ids reserved first so that
    a chunk's rows point at each other without reading anything back.
    """

    def __init__(self, *, rng, now, leads, dsden, school_org, bench_school, pick_school):
        self.rng = rng
        self.now = now
        self.leads = leads  # (membership id, user id)
        self.dsden = dsden
        self.school_org = school_org
        self.bench_school = bench_school
        self.pick_school = pick_school
        self.span = timedelta(days=3 * 365)
        self.references: dict[tuple[str, int], int] = {}
        self.assessments = {
            priority: (json.dumps(criteria), json.dumps(fired), computed)
            for priority, (criteria, fired, computed) in _assessments().items()
        }
        self.repeat_authors: list[int] = []  # person ids of a bounded pool of authors who come back
        self.tables = Tables()
        self.targets = {priority: targets(priority) for priority in P.values}
        self.zone = timezone.get_current_timezone()
        self.today = now.astimezone(self.zone).date()

    def reference(self, name: str, prefix: str, at: datetime) -> str:
        year = at.astimezone(self.zone).year
        self.references[(name, year)] = self.references.get((name, year), 0) + 1
        return f"{prefix}-{year}-{self.references[(name, year)]:06d}"

    def _case(self, case_id: int) -> dict[str, Any]:
        rng, now = self.rng, self.now
        closed = rng.random() < 0.7
        priority = _PRIORITY(rng)
        if closed:
            opened_at = now - timedelta(seconds=rng.uniform(20 * DAY, self.span.total_seconds()))
            state = S.CLOSED
        else:
            state = _OPEN_STATE(rng)
            # A new case is triaged within the hour: older ones have moved on.
            age = rng.uniform(60, 3600) if state == S.NEW else rng.uniform(3600, 150 * DAY)
            opened_at = now - timedelta(seconds=age)
        fresh = state == S.NEW
        closed_at = min(opened_at + timedelta(days=rng.uniform(10, 180)), now - timedelta(days=1)) if closed else None
        lead = None if fresh else rng.choice(self.leads)
        return {
            "id": case_id,
            "public_id": uuid.uuid4(),
            "reference": self.reference("case", "HS", opened_at),
            "state": state,
            "priority": priority,
            "qualification": _QUALIFICATION(rng),
            "summary": rng.choice(STORIES),
            "school_id": self.pick_school(),
            "lead_id": lead[0] if lead else None,
            "opened_at": opened_at,
            "taken_in_charge_at": None if fresh else opened_at + timedelta(hours=rng.uniform(1, 96)),
            "first_measure_at": None if fresh else opened_at + timedelta(days=rng.uniform(0.2, 3)),
            "cell_meeting_at": opened_at + timedelta(hours=rng.uniform(2, 20))
            if self.targets[priority][CELL_MEETING] and not fresh
            else None,
            "closed_at": closed_at,
            "closure_outcome": rng.choice(OUTCOMES) if closed else "",
            "watch_until": (closed_at + timedelta(days=90)).date() if closed_at else None,
            # Not columns: who acted on the case, for the rows below.
            "_actor": lead or self.leads[0],
        }

    def _person(self, person_id: int, school_id: int, born: date) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return {
            "id": person_id,
            "kind": case_enums.PersonKind.PUPIL,
            "first_name": first,
            "last_name": last,
            "birth_date": born,
            "school_id": school_id,
            "name_key": _name_key(first, last),
        }

    def chunk(self, size: int) -> list[tuple[type[Model], list[dict[str, Any]]]]:
        """The rows of `size` more cases, their ids reserved, parents before children."""
        rng, now, t = self.rng, self.now, self.tables
        cases = [self._case(case_id) for case_id in t[Case].ids(size)]
        report_ids = iter(t[Report].ids(size))
        # Persons: a victim per case, a new alleged author unless a repeat author comes back (75 %); ids
        # reserved for the most that may be needed (the ones left unused are a gap in the sequence).
        person_ids = iter(t[Person].ids(2 * size))
        reports, pupils, triages, persons, involvements, assessed, transitions = [], [], [], [], [], [], []
        events, actions, follow_ups, measures, audit = [], [], [], [], []
        for case in cases:
            actor_id, actor_user = case.pop("_actor")
            opened_at, state, priority = case["opened_at"], case["state"], case["priority"]
            received_at = opened_at - timedelta(hours=rng.uniform(0.5, 72))
            report_id = next(report_ids)
            reports.append(
                {
                    "id": report_id,
                    "reference": self.reference("report", "SIG", received_at),
                    "channel": _CHANNEL(rng),
                    "received_at": received_at,
                    "status": report_enums.Status.CLOSED if state == S.CLOSED else report_enums.Status.IN_PROGRESS,
                    "reporter_kind": rng.choice(REPORTER_KINDS),
                    "school_id": case["school_id"],
                    "forms": rng.choice(FORM_PAIRS),
                    "description": case["summary"],
                    "proposed_priority": priority,
                    "first_read_at": received_at + timedelta(minutes=rng.uniform(5, 600)),
                    "first_read_by_id": actor_id,
                    "case_id": case["id"],
                }
            )
            pupils.append({"report_id": report_id, "first_name": rng.choice(FIRST_NAMES), "role": "victim"})
            pupils.append({"report_id": report_id, "first_name": rng.choice(FIRST_NAMES), "role": "alleged_author"})
            triages.append(
                {
                    "report_id": report_id,
                    "outcome": case_enums.TriageOutcome.OPEN_CASE,
                    "qualification": case["qualification"],
                    "case_id": case["id"],
                    "decided_by_id": actor_id,
                    "decided_at": opened_at,
                }
            )
            criteria, fired, computed = self.assessments.get(priority) or next(iter(self.assessments.values()))
            assessed.append(
                {
                    "case_id": case["id"],
                    "version": 1,
                    "criteria": criteria,
                    "computed_priority": computed,
                    "fired_rules": fired,
                    "priority": priority,
                    "override_reason": "" if computed == priority else "Éléments recueillis lors de l’appel.",
                    "assessed_by_id": actor_id,
                    "assessed_at": opened_at,
                }
            )
            born = date(2008, 1, 1) + timedelta(days=rng.randrange(3650))
            victim = self._person(next(person_ids), case["school_id"], born)
            persons.append(victim)
            if not (self.repeat_authors and rng.random() < 0.75):
                author = self._person(
                    next(person_ids), case["school_id"], born + timedelta(days=rng.randrange(-400, 400))
                )
                persons.append(author)
                author_id = author["id"]
                if len(self.repeat_authors) < AUTHOR_POOL:
                    self.repeat_authors.append(author_id)
                else:
                    self.repeat_authors[rng.randrange(AUTHOR_POOL)] = author_id
            else:
                author_id = rng.choice(self.repeat_authors)
            for role, person_id in (
                (case_enums.Role.VICTIM, victim["id"]),
                (case_enums.Role.ALLEGED_AUTHOR, author_id),
            ):
                involvements.append(
                    {"case_id": case["id"], "person_id": person_id, "role": role, "added_at": opened_at}
                )

            def event(kind, text, at, case_id=case["id"], actor_id=actor_id):
                events.append(timeline.row(case_id, actor_id, kind, text, at))

            event(case_enums.EventKind.OPENED, "Dossier ouvert.", opened_at)
            event(case_enums.EventKind.ASSESSED, f"Gravité {priority}.", opened_at)
            end = case["closed_at"] or now
            path = PATHS[state]
            for step, (before, after, name) in enumerate(path):
                at = opened_at + (end - opened_at) * (step + 1) / (len(path) + 1)
                transitions.append(
                    {
                        "case_id": case["id"],
                        "name": name,
                        "from_state": before,
                        "to_state": after,
                        "actor_id": actor_id,
                        "at": at,
                    }
                )
                event(case_enums.EventKind.TRANSITION, f"{before} → {after}", at)
            open_case = state != S.CLOSED
            # The steady state of a cell whose periodic pass runs every minute: what was due was done or
            # reminded long ago; LATE of the open cases are behind (an action overdue, a follow-up missed).
            late = open_case and rng.random() < LATE
            if open_case:
                due = now + timedelta(days=rng.uniform(-10, -1) if late else rng.uniform(1, 30))
            else:
                due = opened_at + timedelta(days=10)
            actions.append(
                {
                    "case_id": case["id"],
                    "title": "Entretien avec l’élève et sa famille",
                    "owner_organisation_id": self.school_org if case["school_id"] == self.bench_school else self.dsden,
                    "owner_id": actor_id if rng.random() < 0.5 else None,
                    "due_at": due,
                    "status": case_enums.ActionStatus.OPEN if open_case else case_enums.ActionStatus.DONE,
                    "completion_note": "" if open_case else "Entretien mené.",
                    "created_by_id": actor_id,
                    "created_at": opened_at,
                    "done_at": None if open_case else due,
                    "done_by_id": None if open_case else actor_id,
                }
            )
            opened_on = opened_at.astimezone(self.zone).date()
            for day in self.targets[priority][FOLLOW_UP]:
                due_on = opened_on + timedelta(days=day)
                finished = state == S.CLOSED or (due_on <= self.today and not late)
                follow_ups.append(
                    {
                        "case_id": case["id"],
                        "day": day,
                        "due_on": due_on,
                        "done_at": datetime.combine(due_on, MIDNIGHT, tzinfo=self.zone) if finished else None,
                        "victim_view": rng.choice(VIEWS) if finished else "",
                        "wellbeing": rng.randint(1, 5) if finished else None,
                        "decision": FollowUp.Decision.CONTINUE if finished else "",
                        "recorded_by_id": actor_id if finished else None,
                    }
                )
            if rng.random() < 0.4:
                measures.append(
                    {
                        "case_id": case["id"],
                        "category": MeasureCategory.PROTECTIVE,
                        "kind": MeasureKind.ADULT_REFERENT,
                        "person_id": victim["id"],
                        "starts_on": opened_on + timedelta(days=2),
                        "status": Measure.Status.ENDED if state == S.CLOSED else Measure.Status.ACTIVE,
                        "created_by_id": actor_id,
                        "created_at": opened_at,
                    }
                )
            entry = {
                "at": opened_at,
                "actor_id": actor_user,
                "membership_id": actor_id,
                "action": AuditAction.CASE_OPENED,
                "target_type": "cases.case",
                "target_id": str(case["public_id"]),
                "target_label": case["reference"],
                "detail": {"priority": priority},
            }
            entry["digest"] = chain.digest(**entry)  # what AuditEvent's bulk_create computes
            entry["detail"] = DETAILS[priority]
            audit.append(entry)
        batches: list[tuple[type[Model], list[dict[str, Any]]]] = [(Case, cases), (Report, reports), (Person, persons)]
        for model, rows in (
            (ReportedPupil, pupils),
            (Triage, triages),
            (Involvement, involvements),
            (SeverityAssessment, assessed),
            (Transition, transitions),
            (Event, events),
            (Action, actions),
            (FollowUp, follow_ups),
            (Measure, measures),
            (AuditEvent, audit),
        ):
            batches.append((model, _with_ids(t[model], rows)))
        return batches

    def queue_reports(self, count: int) -> None:
        """Reports not triaged yet: the coordinator's queue (a few nobody has opened)."""
        rng, now = self.rng, self.now
        reports = []
        for n in range(count):
            unread = n % 10 == 0
            # Nobody has opened a report only for minutes: the safety net escalates it within the hour.
            minutes = rng.uniform(1, 30) if unread else rng.uniform(60, 60 * 24 * 20)
            received_at = now - timedelta(minutes=minutes)
            reports.append(
                {
                    "reference": self.reference("report", "SIG", received_at),
                    "channel": _CHANNEL(rng),
                    "received_at": received_at,
                    "reporter_kind": rng.choice(REPORTER_KINDS),
                    "school_id": self.pick_school(),
                    "forms": rng.choice(FORM_PAIRS),
                    "description": rng.choice(STORIES),
                    "proposed_priority": _PRIORITY(rng),
                    "is_worrying": rng.random() < 0.05,
                    "first_read_at": None if unread else received_at + timedelta(minutes=30),
                }
            )
        self.tables[Report].write(_with_ids(self.tables[Report], reports))


class Writer:
    """Writes the chunks handed to it in a thread of its own, one transaction per chunk, in order.

    At most one chunk waits while another is written, so memory stays bounded; a failure in the thread
    is raised again by the next ``put`` or at the end.
    """

    def __init__(self, tables: Tables):
        self.tables = tables
        self.chunks: queue.Queue = queue.Queue(maxsize=1)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="bench-writer", daemon=True)
        # Inside a transaction (the loader's own tests) another connection would not see its rows:
        # the chunks are then written in place, in that transaction.
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block

    def __enter__(self) -> "Writer":
        if self.threaded:
            self.thread.start()
        return self

    def put(self, batches) -> None:
        if not self.threaded:
            self._write(batches)
            return
        if self.failure:
            raise self.failure
        self.chunks.put(batches)

    def __exit__(self, *exc) -> None:
        if not self.threaded:
            return
        self.chunks.put(None)
        self.thread.join()
        if self.failure and exc[0] is None:
            raise self.failure

    def _write(self, batches) -> None:
        with transaction.atomic():
            for model, rows in batches:
                self.tables[model].write(rows)

    def _run(self) -> None:
        try:
            while (batches := self.chunks.get()) is not None:
                self._write(batches)
        except BaseException as error:
            self.failure = error
            while self.chunks.get() is not None:
                pass  # drain: the building thread learns of the failure at its next put
        finally:
            connections.close_all()


def _with_ids(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row, row_id in zip(rows, table.ids(len(rows)), strict=True):
        row["id"] = row_id
    return rows


# The transitions that lead a case to its state, as the workflow records them.
PATHS: dict[str, list[tuple[str, str, str]]] = {
    S.NEW: [],
    S.TRIAGED: [(S.NEW, S.TRIAGED, "triage")],
    S.IN_INTERVENTION: [(S.NEW, S.TRIAGED, "triage"), (S.TRIAGED, S.IN_INTERVENTION, "start_intervention")],
    S.MONITORING: [
        (S.NEW, S.TRIAGED, "triage"),
        (S.TRIAGED, S.IN_INTERVENTION, "start_intervention"),
        (S.IN_INTERVENTION, S.MONITORING, "start_monitoring"),
    ],
    S.CLOSED: [
        (S.NEW, S.TRIAGED, "triage"),
        (S.TRIAGED, S.IN_INTERVENTION, "start_intervention"),
        (S.IN_INTERVENTION, S.MONITORING, "start_monitoring"),
        (S.MONITORING, S.CLOSED, "close"),
    ],
    S.REOPENED: [
        (S.NEW, S.TRIAGED, "triage"),
        (S.TRIAGED, S.IN_INTERVENTION, "start_intervention"),
        (S.IN_INTERVENTION, S.CLOSED, "close"),
        (S.CLOSED, S.REOPENED, "reopen"),
    ],
}


def _timeline_case(now, coordinator, school, reference, stats) -> Case:
    opened_at = now - timedelta(days=60)
    case = Case.objects.create(
        reference=reference("case", "HS", opened_at),
        state=S.IN_INTERVENTION,
        priority=P.P2,
        qualification=case_enums.Qualification.BULLYING,
        summary=STORIES[0],
        school=school,
        lead=coordinator,
        opened_at=opened_at,
        taken_in_charge_at=opened_at + timedelta(hours=2),
    )
    assessments = _assessments()
    criteria, fired, computed = assessments.get(P.P2) or next(iter(assessments.values()))
    SeverityAssessment.objects.create(
        case=case,
        version=1,
        criteria=criteria,
        computed_priority=computed,
        fired_rules=fired,
        priority=P.P2,
        override_reason="" if computed == P.P2 else "Éléments recueillis lors de l’appel.",
        assessed_by=coordinator,
    )
    kinds = [case_enums.EventKind.NOTE, case_enums.EventKind.FOLLOW_UP, case_enums.EventKind.ACTION]
    timeline.write_many(
        (
            case,
            coordinator,
            kinds[n % len(kinds)],
            f"Ligne {n + 1} du suivi : échange avec l’équipe éducative.",
            opened_at + timedelta(minutes=100 * n),
            case_enums.Compartment.CORE,  # what a note or an action of the core records
        )
        for n in range(TIMELINE_EVENTS)
    )
    stats.add("case", 1)
    stats.add("event", TIMELINE_EVENTS)
    return case


def _meetings(now, span, coordinator, stats) -> None:
    weeks = int(span.days / 7)
    meetings = [
        Meeting(
            title="Réunion de la cellule",
            starts_at=now - timedelta(days=7 * week),
            place="DSDEN, salle 2",
            status=Meeting.Status.HELD if week else Meeting.Status.PLANNED,
            organiser=coordinator,
            held_at=now - timedelta(days=7 * week) if week else None,
        )
        for week in range(weeks)
    ]
    Meeting.objects.bulk_create(meetings)
    items = []
    for meeting in meetings:
        window = (meeting.starts_at - timedelta(days=14), meeting.starts_at)
        chosen = list(
            Case.objects.filter(opened_at__range=window, priority__in=[P.P1, P.P2]).values_list("pk", flat=True)[:3]
        )
        for position, case_id in enumerate(chosen):
            items.append(
                AgendaItem(meeting=meeting, case_id=case_id, position=position, reason=AgendaItem.Reason.NEW_URGENT)
            )
    AgendaItem.objects.bulk_create(items)
    stats.add("meeting", len(meetings))
    stats.add("agendaitem", len(items))
