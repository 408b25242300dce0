"""Every page or file that shows case content writes a read row about that case.

The test walks every URL pattern of the project and fails on one it does not know: a new page is either
in CASE_READS (GET it as a member allowed to, and a read row about that case or report must follow),
in OTHER_READS (journaled reads about something else that may carry case references), in POST_ONLY
(it acts and journals the act; GET must answer 405, which the test checks) or in EXEMPT with the reason
it shows no case content.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.cases.models import Case
from halte.interventions import mpp
from halte.interventions.models import FamilyRestriction, Measure, MeasureCategory, MeasureKind, ParentsInformation
from halte.meetings.models import AgendaItem
from halte.reports.actions import PupilData, ReportData, submit_report
from tests.documents.conftest import stored_document
from tests.interventions.conftest import involve
from tests.meetings.conftest import make_meeting
from tests.reports.helpers import jpeg_with_gps


def walk(patterns, namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            extra = (entry.namespace,) if entry.namespace else ()
            yield from walk(entry.url_patterns, namespaces + extra)
        elif isinstance(entry, URLPattern):
            yield ":".join([*namespaces, entry.name or str(entry.pattern)]), entry


def project_patterns() -> dict[str, URLPattern]:
    return dict(walk(get_resolver().url_patterns))


@dataclass
class Scene:
    case: Case
    report: object
    evidence: object
    measure: Measure
    series: object
    document: object
    meeting: object
    item: AgendaItem
    pupil: object = None
    adult: object = None
    restriction: object = None


@pytest.fixture
def scene(people, settings, tmp_path, monkeypatch) -> Scene:
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS", raising=False)
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)
    coordinator = people.coordinator
    school = people.school_a_staff.school
    report = submit_report(
        data=ReportData(
            channel="school",
            reporter_kind="staff",
            description="Élève de 5e B insultée chaque jour dans la cour, elle parle de se faire du mal.",
            school=school,
            school_text="",
            pupils=[PupilData(first_name="Jade", role="victim")],
        ),
        actor=people.school_a_staff,
        with_receipt=False,
        files=[SimpleUploadedFile("capture.jpg", jpeg_with_gps(), content_type="image/jpeg")],
    ).report
    case = Case.objects.create(
        reference="HS-2026-000101",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        school=school,
        summary="Moqueries répétées, exclusion du groupe.",
        lead=coordinator,
    )
    victim = involve(case, "victim", "Léa", "Martin")
    author = involve(case, "alleged_author", "Hugo", "Bernard")
    measure = Measure.objects.create(
        case=case,
        category=MeasureCategory.PROTECTIVE,
        kind=MeasureKind.ADULT_REFERENT,
        person=victim,
        starts_on=timezone.localdate(),
        created_by=coordinator,
    )
    series = mpp.start_series(case=case, actor=coordinator, author=author)
    meeting = make_meeting(coordinator, timezone.now() - timedelta(hours=1))
    item = AgendaItem.objects.create(meeting=meeting, case=case, position=0, reason=AgendaItem.Reason.NEW_URGENT)
    return Scene(
        case=case,
        report=report,
        evidence=report.evidence.get(),
        measure=measure,
        series=series,
        document=stored_document(case, coordinator),
        meeting=meeting,
        item=item,
        pupil=victim,
        adult=involve(case, "guardian", "Claire", "Martin", kind="adult"),
        restriction=FamilyRestriction.objects.create(case=case, pupil=author, reason="Enquête.", set_by=coordinator),
    )


def _case(*extra):
    return lambda s: ([s.case.public_id, *(e(s) for e in extra)], s.case)


def _report(*extra):
    return lambda s: ([s.report.public_id, *(e(s) for e in extra)], s.report)


def _action(scene):
    """An open action of the scene's case, owed by the coordinator's own organisation (so that
    « Signaler une difficulté » opens for them too)."""
    from halte.cases.models import Action as CaseAction

    return CaseAction.objects.create(
        case=scene.case,
        title="Proposer un accompagnement",
        owner_organisation=scene.case.lead.organisation,
        created_by=scene.case.lead,
    )


# Pages and files that show a case's or a report's content: URL arguments and the object the read row names.
CASE_READS = {
    "reports:detail": _report(),
    "reports:evidence_original": _report(lambda s: s.evidence.public_id),
    "reports:evidence_display": _report(lambda s: s.evidence.public_id),
    "cases:triage": _report(),
    "cases:detail": _case(),
    "cases:access_log": _case(),
    "cases:reassess": _case(),
    "cases:add_person": _case(),
    "cases:print": _case(),
    # The forms of the case page, each on its own page, name the case and some of its content.
    "cases:transition": _case(lambda s: "close"),
    "cases:share": _case(),
    "cases:note": _case(),
    "cases:follow_up": _case(
        lambda s: s.case.follow_ups.get_or_create(day=7, defaults={"due_on": s.case.opened_at.date()})[0].public_id
    ),
    "cases:conflict": _case(),
    "cases:summary": _case(),
    "cases:assign": _case(),
    "cases:link": _case(),
    "cases:add_follow_up": _case(),
    "interventions:measure_new": _case(),
    "interventions:measure_review": _case(lambda s: s.measure.public_id),
    "interventions:interview_new": _case(),
    "interventions:series_start": _case(),
    "interventions:series_author_meeting": _case(lambda s: s.series.public_id),
    "interventions:series_victim_point": _case(lambda s: s.series.public_id),
    "interventions:family_contact": _case(),
    "interventions:parents_exception": _case(),
    "interventions:parents_exception_lift": _case(
        lambda s: (
            ParentsInformation.objects.get_or_create(
                case=s.case,
                pupil=s.pupil,
                defaults={"family": "victim", "status": "exception", "reason": "Danger.", "recorded_by": s.case.lead},
            )[0].pupil.public_id
        )
    ),
    "interventions:restriction_set": _case(),
    "interventions:restriction_lift": _case(lambda s: s.restriction.public_id),
    "cases:guardian_add": _case(lambda s: s.pupil.public_id),
    "cases:person_contact": _case(lambda s: s.adult.public_id),
    "documents:generate": _case(lambda s: "convocation"),
    "documents:download": _case(lambda s: s.document.public_id),
    "meetings:item": lambda s: ([s.meeting.public_id, s.item.public_id], s.case),
    "cases:add_action": _case(),
    "cases:action": lambda s: ([_action(s).public_id], s.case),
    "cases:complete_action": lambda s: ([_action(s).public_id], s.case),
    "cases:cancel_action": lambda s: ([_action(s).public_id], s.case),
    "cases:report_difficulty": lambda s: ([_action(s).public_id], s.case),
    "judicial:facts": _case(),
}

# Pages read by another member than the coordinator (they show a compartment the coordinator never reads).
READER = {"judicial:facts": "magistrate"}

# Journaled reads whose object is not a case: a meeting (its agenda names cases), the workshops' calendar.
OTHER_READS = {
    "meetings:detail": (Action.MEETING_READ, lambda s: [s.meeting.public_id], "meeting"),
    "meetings:invitation_ics": (Action.MEETING_READ, lambda s: [s.meeting.public_id], "meeting"),
    "prevention:calendar": (Action.PREVENTION_CALENDAR_READ, lambda s: [], None),
}

# They act on a case, a report, a meeting…: GET answers 405; the action writes its own audit row.
POST_ONLY = {
    "reports:reply",
    "reports:take_charge",
    "cases:revoke_share",
    "interventions:series_outcome",
    "interventions:series_switch",
    "interventions:series_keep_going",
    "meetings:enrol",
    "meetings:mark_held",
    "meetings:accept_proposal",
    "meetings:add_item",
    "meetings:remove_item",
    "meetings:move_up",
    "meetings:move_down",
    "meetings:attendance",
    "grants:decide",
}

PUBLIC = "public page: no case content"
ACCOUNT = "the person's own account or login step: no case content"
LIST = "list of references, states, dates and owners, no account of facts; each case opened from it is journaled"
MEETING_FORM = "the meeting's date, place and invitees, no case content (the agenda is on the journaled page)"
PREVENTION = "prevention work (workshops, trainings, weak signals by initials, counts), not a case"
STATS = "aggregate figures under disclosure control, never a case (exports are journaled as such)"
EXEMPT = {
    "www:home": PUBLIC,
    "www:accessibility": PUBLIC,
    "www:legal_notice": PUBLIC,
    "www:privacy": PUBLIC,
    "www:staff_home": "« Aujourd'hui »: counts, references, step labels and owed actions as « Nos actions » lists them",
    "www:search": "every search is journaled with its words and the references shown (tests/www/test_search.py)",
    "www:healthz": "health probe",
    "www:metrics": "monitoring: grouped counts and timings by route name, never a case (token only)",
    "www:robots_txt": PUBLIC,
    "www:favicon": PUBLIC,
    "reports:danger": PUBLIC,
    "reports:quick_exit": PUBLIC,
    "reports:start": "the public form: the reporter's own draft",
    "reports:step": "the public form: the reporter's own draft",
    "directory:partners": "the cell's directory of partners: names and addresses of services, never a case",
    "directory:partner_new": "adds a partner to the directory (journaled); no case content",
    "directory:partner_edit": "edits a partner of the directory (journaled); no case content",
    "delivery:troubles": "the administrator's failed deliveries: titles and recipients, never content",
    "delivery:retry": "queues a failed delivery again (administrators only, journaled as an administration change)",
    "reports:keep_alive": "keeps the reporter's own draft alive; answers no content",
    "reports:custody_pack": "the parquet's export: journaled as its own action (custody_pack_exported), "
    "for the magistrate only, shown by tests/reports/test_custody.py",
    "reports:mailbox_open": "the reporter's own mailbox, opened with their receipt code",
    "reports:mailbox": "the reporter's own mailbox, opened with their receipt code",
    "reports:mailbox_close": "the reporter's own mailbox, opened with their receipt code",
    "reports:queue": LIST,
    "reports:staff_new": "an empty intake form",
    "reports:mine": LIST,
    "cases:list": LIST,
    "www:calendar": "dates with references, meeting and action titles as « Nos actions » and the meetings list "
    "show them, no account of facts (tests/www/test_calendar.py: nothing the membership may not see)",
    "cases:deadlines": LIST,
    "cases:my_actions": LIST,
    "meetings:list": LIST,
    "meetings:schedule": MEETING_FORM,
    "meetings:record_held": MEETING_FORM,
    "meetings:edit": MEETING_FORM,
    "meetings:cancel": MEETING_FORM,
    "meetings:invitations": MEETING_FORM,
    "notifications:inbox": "titles with a reference and a link, never content",
    "audit:journal": "the journal itself, read by the DPO (who never reads case content)",
    "grants:list": "memberships and grant requests, no case",
    "api:openapi-json": "API description",
    "api:openapi-view": "API description",
    "api:api-root": "API description",
    "api:search_schools": "public directory of schools",
    "api:create_report": "a partner sends a report (journaled as received)",
    "api:report_status": "a partner reads the status (one word) of the report it sent",
}
for _name in (
    "requests",
    "request_new",
    "programmes",
    "request_detail",
    "assign",
    "confirm",
    "deliver",
    "cancel",
    "approvals",
    "trainings",
    "training_detail",
    "training_certificate",
    "ambassadors",
    "observations",
    "observation_new",
    "observation_detail",
    "observation_entry",
    "observation_to_report",
    "coverage",
):
    EXEMPT[f"prevention:{_name}"] = PREVENTION
for _name in (
    "dashboard",
    "export",
    "yearly_reports",
    "yearly_report_edit",
    "yearly_report_publish",
    "yearly_report_unpublish",
    "yearly_report_pdf",
    "public_results",
    "public_year",
):
    EXEMPT[f"stats:{_name}"] = STATS
for _name in (
    "login",
    "otp_verify",
    "otp_setup",
    "recovery_codes",
    "choose_membership",
    "no_membership",
    "logout",
    "account",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "proconnect_start",
    "proconnect_callback",
    "proconnect_logged_out",
):
    EXEMPT[f"accounts:{_name}"] = ACCOUNT


def is_admin(name: str) -> bool:
    # The administration site shows reports as references only, and nothing else of a case (checked below).
    return name.startswith("admin:")


def test_every_url_pattern_is_classified():
    known = set(CASE_READS) | set(OTHER_READS) | POST_ONLY | set(EXEMPT)
    names = {name for name in project_patterns() if not is_admin(name)}
    assert sorted(names - known) == [], "new URL pattern: journal its reads (CASE_READS) or say why not (EXEMPT)"
    assert sorted(known - names) == [], "classified pattern that no longer exists"
    groups = [set(CASE_READS), set(OTHER_READS), POST_ONLY, set(EXEMPT)]
    assert sum(len(g) for g in groups) == len(set().union(*groups)), "a pattern is in two classes"


def test_the_administration_site_has_no_case_content():
    from django.contrib import admin

    from halte.reports.admin import REPORT_FIELDS

    content_apps = {"cases", "reports", "interventions", "documents", "meetings"}
    registered = {model._meta.label for model in admin.site._registry if model._meta.app_label in content_apps}
    assert registered == {"reports.ApiKey", "reports.Report"}
    assert REPORT_FIELDS == ("reference", "channel", "received_at", "status")  # references only, never content


def reads_about(target, user) -> int:
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.public_id), actor=user
    ).count()


# Pages a coordinator may not open: read by who may (the judicial side's « ne pas informer »).
READERS = {"interventions:restriction_set": "magistrate", "interventions:restriction_lift": "magistrate"}


@pytest.mark.parametrize("name", sorted(CASE_READS))
def test_each_page_showing_case_content_writes_a_read_row(client, people, login, scene, name):
    args, target = CASE_READS[name](scene)
    reader = getattr(people, {**READER, **READERS}.get(name, "coordinator"))
    login(client, reader)
    before = reads_about(target, reader.user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, name
    assert reads_about(target, reader.user) == before + 1, name


@pytest.mark.parametrize("name", sorted(OTHER_READS))
def test_other_journaled_reads(client, people, login, scene, name):
    action, arguments, target_attr = OTHER_READS[name]
    login(client, people.coordinator)
    before = AuditEvent.objects.filter(action=action, actor=people.coordinator.user).count()
    response = client.get(reverse(name, args=arguments(scene)))
    assert response.status_code == 200, name
    events = AuditEvent.objects.filter(action=action, actor=people.coordinator.user).order_by("-id")
    assert events.count() == before + 1
    if target_attr:
        assert events[0].target_id == str(getattr(scene, target_attr).public_id)


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_post_only_patterns_answer_get_with_405(client, people, login, name):
    pattern = project_patterns()[name]
    kwargs = {
        key: uuid.uuid4() if "UUID" in type(converter).__name__ else "x"
        for key, converter in pattern.pattern.converters.items()
    }
    login(client, people.coordinator)
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 405
