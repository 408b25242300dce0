"""Retention rules over five years of cases: exactly what goes, what is anonymised, what stays.

Time travels the project's way: every duty takes ``now``; the data is written with past dates and
the pass is run at ``NOW``. The whole database's case data is dumped as JSON before and after, and
searched for each name: a name of an anonymised case must be nowhere, a name still needed must stay.
"""

import html
import json
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from halte.audit.models import Action, AuditEvent
from halte.cases import models as cases
from halte.core import blobs, periodic, retention
from halte.delivery.models import Job
from halte.documents.models import Document
from halte.interventions.models import Interview
from halte.notifications.models import Notification
from halte.reports import receipts, vault
from halte.reports.models import ApiKey, Evidence, IdempotencyRecord, Message, Report, ReportedPupil
from halte.stats import figures, periods
from halte.stats.filters import Filters
from tests.documents.conftest import stored_document
from tests.factories import SchoolFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=PARIS)
CASE_APPS = ("cases", "reports", "interventions", "meetings", "documents", "prevention")


def ago(days: int = 0, years: int = 0) -> datetime:
    return NOW.replace(year=NOW.year - years) - timedelta(days=days)


def dump() -> str:
    out = StringIO()
    call_command("dumpdata", *CASE_APPS, stdout=out)
    return out.getvalue()


def all_figures() -> list:
    return [figures.compute(Filters(period=periods.school_year(year)), now=NOW) for year in range(2020, NOW.year + 1)]


class World:
    """Cases closed 0 to 5 years ago, people of several ages, evidence, documents, messages."""

    def __init__(self, people):
        self.author = people.coordinator
        self.school = SchoolFactory(uai="0800001A", name="Collège Jules Verne", commune="Amiens")
        self.cases: dict[str, cases.Case] = {}
        self.codes: dict[str, str] = {}
        self.evidence: dict[str, Evidence] = {}
        self.documents: dict[str, Document] = {}
        young = date(2012, 3, 4)
        # Someone cited in a case anonymised now and in a case still kept: their name stays.
        self.shared = self.person("Léa", "Martinval", young)
        grown_up = self.person("Yanis", "Grandval", date(2001, 12, 1))  # 25 on 1 December 2026
        nearly = self.person("Inès", "Bientotval", date(2001, 12, 8))  # 25 tomorrow
        self.make("closed_2_months", closed=ago(days=60), names=("Hugo", "Recentval"), also=[self.shared])
        self.make("closed_1_year_grown_up", closed=ago(years=1), names=("Nina", "Adulteval"), also=[grown_up])
        self.make("closed_1_year_nearly", closed=ago(years=1, days=3), names=("Paul", "Presqueval"), also=[nearly])
        self.make("closed_just_under_3_years", closed=ago(years=3) + timedelta(days=1), names=("Emma", "Limiteval"))
        self.make("closed_3_years", closed=ago(years=3, days=1), names=("Zoé", "Troisval"))
        self.make("closed_4_years", closed=ago(years=4), names=("Tom", "Quatreval"), also=[self.shared])
        self.make("closed_5_years", closed=ago(years=5), names=("Lou", "Cinqval"))
        # Closed 4 years ago, then reopened: an open case keeps everything.
        self.make("reopened", closed=ago(years=4), names=("Max", "Rouvertval"), state="reopened")
        self.make("open_5_years", closed=None, names=("Jade", "Ouvertval"), opened=ago(years=5))
        self.old_report = self.report(None, ago(years=3, days=2), ("Rose", "Sansdossierval"))
        cases.Triage.objects.create(  # decided: redirected elsewhere, no case
            report=self.old_report,
            outcome="redirect",
            qualification="out_of_scope",
            redirected_to="Maison des adolescents",
            decided_by=self.author,
            decided_at=ago(years=3, days=1),
        )
        # Received as long ago but never decided on: a report still waiting is never erased.
        self.undecided_report = self.report(None, ago(years=3, days=3), ("Noé", "Sansdecisionval"))
        self.new_report = self.report(None, ago(years=2), ("Jules", "Recentsansval"))
        self.unlinked = self.person("Orphée", "Seulval", None, created=ago(days=3))

    def person(self, first, last, born, created=None) -> cases.Person:
        return cases.Person.objects.create(
            kind="pupil",
            first_name=first,
            last_name=last,
            birth_date=born,
            school=self.school,
            email=f"{first.lower()}@exemple.test",
            created_at=created or ago(years=6),
        )

    def report(self, case, received, pupil) -> Report:
        code = receipts.new_code()
        key_id, lookup = receipts.lookup_digest(code)
        created = Report.objects.create(
            reference=f"SIG-{received.year}-{Report.objects.count() + 1:06d}",
            channel="public_form",
            received_at=received,
            reporter_kind="parent",
            reporter_name=f"Parent de {pupil[0]} {pupil[1]}",
            reporter_email="parent@exemple.test",
            description=f"{pupil[0]} {pupil[1]} est harcelée à la cantine.",
            school=self.school,
            forms=["verbal"],
            case=case,
            receipt_lookup=lookup,
            receipt_key_id=key_id,
            receipt_hash=receipts.slow_hash(code),
        )
        ReportedPupil.objects.create(report=created, first_name=pupil[0], last_name=pupil[1], role="victim")
        message = Message.objects.create(
            report=created, author_kind="reporter", body=f"{pupil[0]} va mal.", created_at=received
        )
        self.evidence[created.reference] = vault.store(
            report=created, message=message, upload=SimpleUploadedFile("capture.txt", f"{pupil[1]}".encode())
        )
        self.codes[created.reference] = code
        return created

    def make(self, key, *, closed, names, also=(), state=None, opened=None) -> None:
        opened = opened or (closed - timedelta(days=90))
        case = cases.Case.objects.create(
            reference=f"HS-T-{len(self.cases) + 1:06d}",
            priority="P2",
            qualification="bullying",
            state=state or ("closed" if closed else "in_intervention"),
            school=self.school,
            opened_at=opened,
            taken_in_charge_at=opened + timedelta(hours=5),
            closed_at=closed,
            closure_outcome="stopped" if closed else "",
            summary=f"{names[0]} {names[1]} subit des moqueries.",
        )
        self.cases[key] = case
        victim = self.person(names[0], names[1], date(2012, 1, 1))
        cases.Involvement.objects.create(case=case, person=victim, role="victim")
        for person in also:
            cases.Involvement.objects.create(case=case, person=person, role="alleged_author")
        self.report(case, opened - timedelta(days=1), names)
        cases.Note.objects.create(case=case, compartment="health", text=f"{names[0]} pleure.", author=self.author)
        cases.Event.objects.create(case=case, kind="opened", text=f"Ouverture pour {names[0]} {names[1]}")
        Interview.objects.create(
            case=case,
            person=victim,
            kind=Interview.Kind.values[0],
            held_at=opened + timedelta(days=1),
            conducted_by=self.author,
            words=f"Je suis {names[0]} {names[1]}.",
        )
        if closed:
            cases.Transition.objects.create(
                case=case, name="close", from_state="in_intervention", to_state="closed", actor=self.author, at=closed
            )
        self.documents[key] = stored_document(case, self.author, data=f"%PDF-1.7 {names[1]}".encode())
        Document.objects.filter(pk=self.documents[key].pk).update(generated_at=opened + timedelta(days=2))


GONE = {
    "closed_3_years": "Troisval",
    "closed_4_years": "Quatreval",
    "closed_5_years": "Cinqval",
    "closed_1_year_grown_up": "Adulteval",
}
KEPT = {
    "closed_2_months": "Recentval",
    "closed_1_year_nearly": "Presqueval",
    "closed_just_under_3_years": "Limiteval",
    "reopened": "Rouvertval",
    "open_5_years": "Ouvertval",
}


@pytest.fixture
def world(people, settings, tmp_path):
    settings.HALTE_CLAMD_URL = ""
    return World(people)


def _plain_rows(people):
    key = ApiKey.objects.create(organisation=people.coordinator.organisation, name="3018", prefix="k1", digest="d" * 64)
    report = Report.objects.filter(anonymised_at__isnull=True).first()
    IdempotencyRecord.objects.create(api_key=key, key="old", fingerprint="f", report=report, created_at=ago(days=31))
    IdempotencyRecord.objects.create(api_key=key, key="new", fingerprint="f", report=report, created_at=ago(days=29))
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=NOW - timedelta(minutes=1))
    Session.objects.create(session_key="b" * 32, session_data="x", expire_date=NOW + timedelta(minutes=29))
    for created in (ago(years=1, days=1), ago(days=364)):
        Notification.objects.create(
            recipient=people.coordinator.user,
            membership=people.coordinator,
            kind="case_assigned",
            title="HS-1",
            url="/",
            created_at=created,
        )
    for status, finished in (("done", ago(days=31)), ("done", ago(days=29)), ("failed", ago(years=1, days=1))):
        Job.objects.create(task="t", title="x", status=status, finished_at=finished)


def test_five_years_of_cases_exactly_what_goes_what_stays(world, people, django_capture_on_commit_callbacks):
    _plain_rows(people)
    before_dump = dump()
    before_figures = all_figures()
    for name in [*GONE.values(), *KEPT.values(), "Sansdossierval", "Seulval", "Grandval", "Martinval"]:
        assert name in before_dump
    journal_before = AuditEvent.objects.count()

    # The dry run names what would go and changes nothing.
    out = StringIO()
    call_command("retention", "--dry-run", f"--now={NOW.isoformat()}", stdout=out)
    printed = out.getvalue()
    for key in ("closed_3_years", "closed_4_years", "closed_5_years"):
        assert world.cases[key].reference in printed
    assert "closed_cases" in printed and "Simulation" in printed
    assert "Troisval" not in printed  # references only
    assert dump() == before_dump
    assert AuditEvent.objects.count() == journal_before

    with django_capture_on_commit_callbacks(execute=True):  # files go once their rows are committed
        periodic.run(NOW)
    after = dump()

    # Names: every name of an anonymised case is gone from the case data; the others stay.
    for name in GONE.values():
        assert name not in after, name
    for name in KEPT.values():
        assert name in after, name
    assert "Sansdossierval" not in after  # a report without a case, received 3 years ago
    assert "Sansdecisionval" in after  # …but only once a decision was taken on it
    assert "Recentsansval" in after  # received 2 years ago
    assert "Grandval" not in after  # turned 25 on 1 December, though his case was closed a year ago
    assert "Bientotval" in after  # 25 tomorrow
    assert "Martinval" in after  # cited in an anonymised case and in a kept one
    assert "Seulval" not in after  # cited in no case
    assert not cases.Person.objects.filter(first_name="Orphée").exists()

    for key in GONE:
        case = cases.Case.objects.get(pk=world.cases[key].pk)
        assert case.anonymised_at == NOW and case.summary == ""
        report = Report.objects.get(case=case)
        assert report.anonymised_at == NOW and report.reporter_email == "" and report.receipt_lookup is None
        assert receipts.find(world.codes[report.reference]) is None  # the mailbox is closed
        assert not Evidence.objects.filter(report=report).exists()
        evidence = world.evidence[report.reference]
        assert not blobs.exists(evidence.original_path)
        document = Document.objects.get(pk=world.documents[key].pk)  # the row stays for the figures
        assert document.erased_at == NOW and "val" not in document.title
        assert not blobs.exists(world.documents[key].path)
        assert set(Message.objects.filter(report=report).values_list("body", flat=True)) == {retention.ERASED}
        # Kept for the figures: school, dates, priority, state, roles.
        assert (case.school_id, case.priority, case.state, case.opened_at) == (
            world.cases[key].school_id,
            "P2",
            "closed",
            world.cases[key].opened_at,
        )
        assert case.involvements.count() == world.cases[key].involvements.count()
    for key in KEPT:
        case = cases.Case.objects.get(pk=world.cases[key].pk)
        assert case.anonymised_at is None
        report = Report.objects.get(case=case)
        assert receipts.find(world.codes[report.reference]) == report
        assert blobs.exists(world.evidence[report.reference].original_path)
        assert Document.objects.get(pk=world.documents[key].pk).erased_at is None
    # The open case keeps its texts; the grown-up pupil's own record does not depend on it.
    assert cases.Person.objects.get(last_name="Martinval").anonymised_at is None

    # Plain rows.
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
    assert Notification.objects.filter(created_at__lt=NOW).count() == 1  # the clocks of this pass write new ones
    assert sorted(Job.objects.filter(finished_at__lt=NOW).values_list("status", "finished_at")) == [
        ("done", ago(days=29))
    ]

    # The figures of /pilotage/ are the same, to the last cell.
    assert all_figures() == before_figures

    # One journal row per rule that did something: counts and references, never content.
    rows = {row.detail["rule"]: row for row in AuditEvent.objects.filter(action=Action.RETENTION_APPLIED)}
    assert set(rows) == {
        "closed_cases",
        "pupils_25",
        "reports_without_case",
        "unlinked_people",
        "api_idempotency",
        "sessions",
        "notifications",
        "deliveries",
    }
    assert rows["closed_cases"].detail["count"] == 3
    assert set(rows["closed_cases"].detail["refs"]) == {
        world.cases[key].reference for key in ("closed_3_years", "closed_4_years", "closed_5_years")
    }
    assert world.cases["closed_1_year_grown_up"].reference in rows["pupils_25"].detail["refs"]
    assert rows["reports_without_case"].detail["refs"] == [world.old_report.reference]
    assert rows["closed_cases"].detail["files"] == 3 * 2  # one evidence file and one document each
    journal_text = json.dumps([row.detail for row in rows.values()], ensure_ascii=False)
    for name in [*GONE.values(), *KEPT.values(), "Sansdossierval", "Seulval"]:
        assert name not in journal_text

    # The comparison can fail: one document fewer changes the figures.
    Document.objects.filter(pk=world.documents["closed_4_years"].pk).delete()
    assert all_figures() != before_figures

    # A second pass finds nothing to do and journals nothing.
    count = AuditEvent.objects.count()
    assert sum(periodic.run(NOW).retention.values()) == 0
    assert AuditEvent.objects.count() == count


def test_a_failure_in_the_middle_of_a_case_leaves_it_whole_and_the_pass_goes_on(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    original = retention.anonymise_report
    calls = []

    def broken(report, now):
        calls.append(report.reference)
        original(report, now)
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention, "anonymise_report", broken)
    before = dump()
    with django_capture_on_commit_callbacks(execute=True):
        result = periodic.run(NOW)  # does not raise
    assert calls
    assert result.retention["closed_cases"] == 0
    after = dump()
    for name in ("Troisval", "Quatreval", "Cinqval"):
        assert name in after
    assert not AuditEvent.objects.filter(action=Action.RETENTION_APPLIED, detail__rule="closed_cases").exists()
    assert cases.Case.objects.filter(anonymised_at__isnull=False).count() == 0
    assert before.count("Troisval") == after.count("Troisval")
    # Files survive a rolled-back anonymisation.
    for report in Report.objects.filter(case__isnull=False):
        assert blobs.exists(world.evidence[report.reference].original_path)


def test_a_reopened_or_open_case_is_never_anonymised_even_when_closed_long_ago(world):
    due = {case.pk for case in retention._closed_cases_due(NOW)}
    assert world.cases["reopened"].pk not in due
    assert world.cases["open_5_years"].pk not in due
    assert due == {world.cases[key].pk for key in ("closed_3_years", "closed_4_years", "closed_5_years")}


def test_a_batch_is_bounded_and_the_next_pass_continues(world, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 1)
    periodic.run(NOW)
    assert cases.Case.objects.filter(anonymised_at__isnull=False).count() == 2  # one per rule: cases, 25 years
    periodic.run(NOW)
    periodic.run(NOW)
    assert cases.Case.objects.filter(anonymised_at__isnull=False).count() == 4


def test_the_command_applies_everything_at_once(world):
    out = StringIO()
    call_command("retention", f"--now={NOW.isoformat()}", stdout=out)
    assert "closed_cases" in out.getvalue()
    assert cases.Case.objects.filter(anonymised_at__isnull=False).count() == 4


def test_the_privacy_page_is_the_rule_table(client):
    page = html.unescape(client.get("/donnees-personnelles/").content.decode())
    for rule in retention.RULES:
        assert f'id="conservation-{rule.key}"' in page
        for text in (rule.category, rule.duration, rule.effect, rule.legal_basis):
            assert str(text) in page


def test_every_rule_has_french_texts_and_both_functions():
    keys = [rule.key for rule in retention.RULES]
    assert len(keys) == len(set(keys))
    for rule in retention.RULES:
        assert callable(rule.pending) and callable(rule.apply)
        for text in (rule.category, rule.duration, rule.effect, rule.legal_basis):
            assert str(text).strip()


def test_anonymisation_and_its_journal_row_commit_together(world, monkeypatch):
    """The journal row of a rule is written in the rule's transaction: if it fails, nothing changed."""
    from halte.audit import journal

    def refuse(*args, **kwargs):
        raise RuntimeError("journal unavailable")

    monkeypatch.setattr(journal, "record", refuse)
    with pytest.raises(RuntimeError), transaction.atomic():
        retention.run(NOW, rules=["closed_cases"])
    assert cases.Case.objects.filter(anonymised_at__isnull=False).count() == 0


def test_a_person_no_case_involves_but_an_interview_cites_is_kept(world):
    heard = world.person("Noé", "Entenduval", date(2012, 5, 5), created=ago(days=3))
    Interview.objects.create(
        case=world.cases["closed_2_months"],
        person=heard,
        kind=Interview.Kind.values[0],
        held_at=ago(days=70),
        conducted_by=world.author,
    )
    outcome = retention.run(NOW, rules=["unlinked_people"])
    assert outcome.count("unlinked_people") == 1  # Orphée only
    assert cases.Person.objects.filter(pk=heard.pk).exists()
    assert not cases.Person.objects.filter(pk=world.unlinked.pk).exists()
