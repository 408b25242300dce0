"""Timelines by compartment: a line that reveals a compartment (a judicial share, an art. 40 report, a
health note…) is read only by those who read that compartment of the case.

The matrix is roles × event kinds → visible or not, on the real case page. The compartment of each
kind is written out again below (``EXPECTED``), apart from the policy: a kind added without a
decision, or a decision changed without this table, fails here.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.access.timeline import (
    EVENT_COMPARTMENTS,
    SUBJECT,
    UndecidedEventKind,
    document_compartment,
    share_compartment,
)
from halte.accounts.models import OrganisationKind
from halte.cases import actions, timeline
from halte.cases.enums import EventKind, LegalBasis
from halte.cases.models import Case, Event
from halte.notifications.models import Notification
from tests.conftest import CAST
from tests.factories import OrganisationFactory

CORE, HEALTH, JUDICIAL = "core", "health", "judicial"

# The decision per kind, written out again (a SUBJECT kind takes the compartment of what it records).
EXPECTED = {
    "opened": CORE,
    "critical_alert": CORE,
    "critical_alert_parquet": JUDICIAL,
    "report_attached": CORE,
    "assessed": CORE,
    "assigned": CORE,
    "summary": CORE,
    "transition": CORE,
    "follow_up": CORE,
    "follow_up_wellbeing": HEALTH,
    "follow_up_escalated": CORE,
    "follow_up_added": CORE,
    "action": SUBJECT,
    "action_done": SUBJECT,
    "action_cancelled": SUBJECT,
    "action_difficulty": SUBJECT,
    "disclosure": JUDICIAL,
    "shared": SUBJECT,
    "share_revoked": SUBJECT,
    "note": SUBJECT,
    "person": CORE,
    "linked": CORE,
    "merged": CORE,
    "meeting": CORE,
    "document_generated": SUBJECT,
    "family_contact": CORE,
    "parents_information": CORE,
    "interview": CORE,
    "measure": SUBJECT,
    "measure_review": SUBJECT,
    "mpp": CORE,
    "mpp_switch_proposed": CORE,
    "judicial_facts": JUDICIAL,
}

# What each member of the cast reads on the case of the matrix (school A's case, shared with the
# police for its judicial compartment under art. 40 and with the association for its core):
# None = the case page is closed to them, so no line at all.
READS = {
    "coordinator": {CORE},
    "magistrate": {CORE, JUDICIAL},
    "prosecutor_delegate": {CORE, JUDICIAL},
    "education_referent": {CORE},
    "social_worker": {CORE, HEALTH},
    "school_a_staff": {CORE},
    "school_b_staff": None,
    "police": {JUDICIAL},
    "association_worker": {CORE},
    "analyst": None,
    "dpo": None,
    "admin": None,
}


def test_every_event_kind_has_a_compartment_decision_and_the_matrix_knows_it():
    assert set(EventKind.values) == set(EVENT_COMPARTMENTS), "an event kind has no compartment decision"
    assert set(EVENT_COMPARTMENTS) == set(EXPECTED), "the matrix does not know every event kind"
    assert {kind: EVENT_COMPARTMENTS[kind] for kind in EXPECTED} == EXPECTED
    assert set(READS) == set(CAST)


@pytest.fixture
def matrix_case(people):
    association = people.association_worker.organisation
    case = Case.objects.create(
        reference="HS-2026-000077",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        school=people.school_a_staff.school,
        summary="Moqueries répétées.",
        lead=people.coordinator,
    )
    until = timezone.localdate() + timedelta(days=30)
    police = people.police.organisation
    actions.share(
        case=case,
        actor=people.magistrate,
        organisation=police,
        compartments=[JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=until,
    )
    actions.share(
        case=case,
        actor=people.coordinator,
        organisation=association,
        compartments=[CORE],
        legal_basis=LegalBasis.CONVENTION,
        expires_on=until,
    )
    return case


def _lines(case, actor) -> dict[str, str]:
    """One line per kind (and per compartment of its subject), written through the one writer; the
    marker of each line → the compartment it must sit in."""
    written = {}
    for kind, decided in EXPECTED.items():
        subjects = [CORE, HEALTH, JUDICIAL] if decided == SUBJECT else [None]
        for subject in subjects:
            marker = f"LIGNE-{kind}-{subject or 'fixe'}".upper().replace("_", "-")
            event = timeline.write(case, actor, kind, marker, subject=subject)
            assert event.compartment == (subject or decided)
            written[marker] = event.compartment
    return written


@pytest.mark.parametrize("name", CAST)
def test_roles_by_event_kinds(client, login, people, matrix_case, name):
    written = _lines(matrix_case, people.coordinator)
    login(client, getattr(people, name))
    response = client.get(reverse("cases:detail", args=[matrix_case.public_id]))
    page = response.content.decode()
    reads = READS[name]
    if reads is None:
        assert response.status_code in (403, 404)
    else:
        assert response.status_code == 200
    seen = {marker for marker in written if marker in page}
    expected = {marker for marker, compartment in written.items() if reads and compartment in reads}
    assert seen == expected


def test_the_school_never_reads_that_the_case_went_to_the_police_under_article_40(client, login, people, matrix_case):
    """The finding: « Partagé avec … police … (Article 40 du code de procédure pénale) » in the
    school's case history."""
    police = people.police.organisation.name
    line = matrix_case.events.get(kind="shared", text__contains=police)
    assert line.compartment == JUDICIAL
    for name in ("school_a_staff", "education_referent", "association_worker", "coordinator"):
        client.logout()
        login(client, getattr(people, name))
        page = client.get(reverse("cases:detail", args=[matrix_case.public_id])).content.decode()
        assert f"Partagé avec {police}" not in page, name
        if name != "coordinator":  # who shares sees the list of shares, with their legal basis
            assert "Article 40" not in page, name
    client.logout()
    login(client, people.magistrate)
    assert (
        f"Partagé avec {police}" in client.get(reverse("cases:detail", args=[matrix_case.public_id])).content.decode()
    )


@pytest.mark.parametrize(
    ("kind", "compartments", "basis", "expected"),
    [
        (OrganisationKind.POLICE, [JUDICIAL], LegalBasis.ART_40, JUDICIAL),
        (OrganisationKind.POLICE, [CORE], LegalBasis.CONVENTION, JUDICIAL),  # the investigators themselves
        (OrganisationKind.GENDARMERIE, [CORE], LegalBasis.CONVENTION, JUDICIAL),
        (OrganisationKind.ASSOCIATION, [CORE], LegalBasis.ART_40, JUDICIAL),
        (OrganisationKind.ASSOCIATION, [CORE], LegalBasis.CONVENTION, CORE),
        (OrganisationKind.ASSOCIATION, [CORE], LegalBasis.SHARED_SECRET, HEALTH),
        (OrganisationKind.ASSOCIATION, [CORE], LegalBasis.INFORMATION_PREOCCUPANTE, HEALTH),
        (OrganisationKind.ASSOCIATION, [CORE, HEALTH], LegalBasis.CONVENTION, HEALTH),
        (OrganisationKind.POLICE, [CORE, JUDICIAL], LegalBasis.CONVENTION, JUDICIAL),
        (OrganisationKind.DEPARTEMENT, [CORE], LegalBasis.CONVENTION, HEALTH),
        (OrganisationKind.SCHOOL, [CORE], LegalBasis.CONVENTION, CORE),
    ],
)
def test_a_share_line_sits_in_the_most_restricted_compartment_it_reveals(
    people, matrix_case, kind, compartments, basis, expected
):
    organisation = (
        people.school_b_staff.organisation if kind == OrganisationKind.SCHOOL else OrganisationFactory(kind=kind)
    )
    # The judicial part is shared by the parquet, the rest by the coordination (access.cases.SHARERS).
    sharer = people.magistrate if JUDICIAL in compartments else people.coordinator
    row = actions.share(
        case=matrix_case,
        actor=sharer,
        organisation=organisation,
        compartments=compartments,
        legal_basis=basis,
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    assert share_compartment(row) == expected
    shared = matrix_case.events.filter(kind="shared").latest("id")
    assert shared.compartment == expected and organisation.name in shared.text
    actions.revoke_share(share=row, actor=sharer)
    revoked = matrix_case.events.get(kind="share_revoked")
    assert revoked.compartment == expected


def test_the_share_notification_goes_only_to_the_receiving_organisation_and_names_no_basis(people, matrix_case):
    told = Notification.objects.filter(kind="share")
    assert {n.membership.organisation for n in told} == {
        people.police.organisation,
        people.association_worker.organisation,
    }
    for notification in told:
        assert "40" not in notification.title and "police" not in notification.title.lower()


@pytest.mark.parametrize(
    ("kind", "built_from", "expected"),
    [
        ("art40", [CORE], JUDICIAL),  # a coordinator's art. 40 report carries only core facts: still judicial
        ("art40", [CORE, "reporter_identity"], JUDICIAL),
        ("ip", [CORE], HEALTH),
        ("ip", [CORE, JUDICIAL], JUDICIAL),
        ("convocation", [CORE], CORE),
        ("minutes", [CORE, HEALTH], HEALTH),
        ("closure_letter", [CORE], CORE),
    ],
)
def test_a_document_line_sits_in_the_compartment_its_kind_or_content_reveals(kind, built_from, expected):
    assert document_compartment(kind, built_from) == expected


def test_an_undecided_kind_cannot_be_written_nor_a_subject_kind_without_its_compartment(people, matrix_case):
    before = Event.objects.count()
    with pytest.raises(UndecidedEventKind):
        timeline.write(matrix_case, people.coordinator, "enquete_ouverte", "Enquête ouverte.")
    with pytest.raises(UndecidedEventKind):
        timeline.write(matrix_case, people.coordinator, "note", "Note sans volet.")
    with pytest.raises(UndecidedEventKind):
        timeline.write(matrix_case, people.coordinator, "note", "Note.", subject="reporter_identity")
    assert Event.objects.count() == before


ROOT = Path(__file__).resolve().parents[2] / "halte"
# A call that writes a line: the one writer, or the helpers of the apps that call it.
WRITE_CALL = re.compile(
    r"\b(?:timeline\.write|_event|event)\(\s*[^,()]+,\s*[^,()]+,\s*(\"[a-z_]+\"|EventKind\.[A-Z_]+)"
)


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, path.read_text(encoding="utf-8")


def test_no_timeline_line_is_written_outside_the_one_writer():
    for path, source in _sources():
        if path == ROOT / "cases" / "timeline.py":
            continue
        assert not re.search(r"\bEvent\.objects\.(create|bulk_create|get_or_create|update_or_create)\b", source), path
        assert not re.search(r"\bevents\.(create|bulk_create)\b", source), path


def test_every_kind_written_in_the_code_has_a_decision():
    """A literal kind in a call of the writer that the policy does not know fails here, before any page."""
    written = set()
    for path, source in _sources():
        for match in WRITE_CALL.finditer(source):
            token = match.group(1)
            written.add(token.strip('"') if token.startswith('"') else EventKind[token.split(".")[1]].value)
        if path.name not in ("enums.py", "timeline.py"):  # a kind named by its constant where it is written
            written.update(EventKind[name].value for name in re.findall(r"\bEventKind\.([A-Z_]+)\b", source))
    written.add("document_generated")  # documents/actions.py passes it through EVENT_KIND
    assert written, "the scan found no call: the pattern is out of date"
    assert written <= set(EVENT_COMPARTMENTS), written - set(EVENT_COMPARTMENTS)
    # Every decided kind is written somewhere (a decision for a kind nobody writes is a stale line).
    assert set(EVENT_COMPARTMENTS) <= written, set(EVENT_COMPARTMENTS) - written


def test_the_migration_moves_old_revealing_lines_out_of_the_core(people, matrix_case):
    """Lines written before the policy decided: all in the core, as the school read them."""
    from importlib import import_module

    from django.apps import apps

    placing = import_module("halte.cases.migrations.0006_timeline_compartments")
    police = people.police.organisation.name
    Event.objects.filter(case=matrix_case).update(compartment=CORE)
    lost = Event.objects.create(case=matrix_case, kind="shared", compartment=CORE, text="Partagé avec Inconnue (…).")
    alert = Event.objects.create(case=matrix_case, kind="critical_alert", compartment=CORE, text=placing.OLD_ALERT)
    placing.place(apps, None)
    assert matrix_case.events.get(kind="shared", text__contains=police).compartment == JUDICIAL
    association = people.association_worker.organisation.name
    assert matrix_case.events.get(kind="shared", text__contains=association).compartment == CORE
    lost.refresh_from_db()
    assert lost.compartment == JUDICIAL  # its share cannot be found: refused rather than guessed
    alert.refresh_from_db()
    assert alert.text == placing.NEW_ALERT and alert.compartment == CORE
    parquet = matrix_case.events.get(kind="critical_alert_parquet")
    assert parquet.compartment == JUDICIAL and parquet.at == alert.at
