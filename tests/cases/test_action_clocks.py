"""Actions feed the clocks: one clock per open action with a due time, escalated by tick() to the action's
owner (person, else organisation), then the coordinators, then the steering contact."""

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import Membership, OrganisationKind, Role
from halte.cases import clocks
from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import Action, Case, ClockNotice, Share
from halte.notifications.models import Notification
from tests.factories import MembershipFactory, OrganisationFactory

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Rencontrer la famille de l’élève"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


OPENED = paris("2026-11-02 09:00")
DUE = paris("2026-11-20 12:00")


@pytest.fixture
def cast(db):
    association = OrganisationFactory(name="Association d’aide aux victimes", short_name="AAV")
    return {
        "lead": MembershipFactory(role=Role.EDUCATION_REFERENT),
        "coordinator": MembershipFactory(role=Role.COORDINATOR),
        "steering": MembershipFactory(role=Role.EDUCATION_REFERENT, is_steering_contact=True),
        "owner": MembershipFactory(role=Role.ASSOCIATION_WORKER, organisation=association),
        "colleague": MembershipFactory(role=Role.ASSOCIATION_WORKER, organisation=association),
        "association": association,
    }


def received(cast) -> dict[str, int]:
    names = ("lead", "coordinator", "steering", "owner", "colleague")
    return {name: Notification.objects.filter(recipient=cast[name].user).count() for name in names}


def a_case(cast, **fields) -> Case:
    """A P3 case whose milestones are all met: only its actions can be due."""
    fields.setdefault("state", "in_intervention")
    return Case.objects.create(
        reference=fields.pop("reference", "HS-2026-000900"),
        priority="P3",
        qualification="bullying",
        opened_at=OPENED,
        lead=cast["lead"],
        taken_in_charge_at=OPENED,
        first_measure_at=OPENED,
        cell_meeting_at=OPENED,
        **fields,
    )


def an_action(case, cast, *, owner=True, **fields) -> Action:
    fields.setdefault("due_at", DUE)
    return Action.objects.create(
        case=case,
        title=fields.pop("title", TITLE),
        owner_organisation=cast["association"],
        owner=cast["owner"] if owner else None,
        created_at=paris("2026-11-10 10:00"),
        **fields,
    )


def action_clock(case) -> clocks.Clock:
    (clock,) = [c for c in clocks.clocks_for(case) if c.name == "action"]
    return clock


# --- The clock ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_open_action_with_a_due_time_is_a_clock_amber_24_hours_before(cast):
    case = a_case(cast)
    action = an_action(case, cast)
    an_action(case, cast, title="Sans échéance", due_at=None)
    clock = action_clock(case)
    assert (clock.key, clock.label, clock.due_at) == (f"action_{action.pk}", f"Action : {TITLE}", DUE)
    assert clock.state(paris("2026-11-19 11:59")) == "green"
    assert clock.state(paris("2026-11-19 12:01")) == "amber"
    assert clock.state(paris("2026-11-20 12:01")) == "red"
    assert clocks.worst_state(clocks.clocks_for(case), paris("2026-11-20 12:01")) == "red"


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_finished_action_stops_its_clock(cast, status):
    case = a_case(cast)
    an_action(case, cast, status=status, done_at=paris("2026-11-21 10:00"))
    clock = action_clock(case)
    assert clock.state(paris("2026-11-25 10:00")) == "done"
    assert clock.done_at == paris("2026-11-21 10:00")


@pytest.mark.django_db
def test_a_closed_case_stops_the_clocks_of_its_actions(cast):
    case = a_case(cast, state="closed", closed_at=paris("2026-11-15 10:00"))
    an_action(case, cast)
    assert action_clock(case).state(paris("2026-11-25 10:00")) == "done"


@pytest.mark.django_db
def test_an_action_in_a_compartment_the_member_does_not_read_is_left_out(cast):
    case = a_case(cast)
    action = an_action(case, cast, compartment=Compartment.JUDICIAL)
    assert [c for c in clocks.clocks_for(case) if c.name == "action"] == []  # core only by default
    readable = (Compartment.CORE, Compartment.JUDICIAL)
    (clock,) = [c for c in clocks.clocks_for(case, readable=readable) if c.name == "action"]
    assert clock.label == f"Action : {TITLE}"
    system = [c.action_id for c in clocks.clocks_for(case, readable=None) if c.name == "action"]
    assert system == [action.pk]


@pytest.mark.django_db
def test_clocks_and_labels_of_a_prefetched_page_cost_no_query(cast, django_assert_num_queries):
    for index in range(4):
        case = a_case(cast, reference=f"HS-2026-00091{index}")
        an_action(case, cast)
    page = list(Case.objects.prefetch_related(*clocks.prefetch()))
    with django_assert_num_queries(0):
        labels = [c.label for case in page for c in clocks.clocks_for(case, DUE) if c.name == "action"]
        neutral = [c.notice_label for case in page for c in clocks.clocks_for(case, DUE) if c.name == "action"]
    assert labels == [f"Action : {TITLE}"] * 4
    assert neutral == ["Action confiée à AAV"] * 4


@pytest.mark.django_db
def test_the_overdue_filter_counts_core_actions_only(cast):
    judicial = a_case(cast, reference="HS-2026-000904")
    an_action(judicial, cast, compartment=Compartment.JUDICIAL)
    at = paris("2026-11-20 12:01")
    assert not Case.objects.filter(clocks.overdue_filter(at)).exists()
    case = Case.objects.prefetch_related(*clocks.prefetch()).get()
    assert clocks.worst_state(clocks.clocks_for(case, at), at) == "done"
    an_action(judicial, cast)
    assert Case.objects.filter(clocks.overdue_filter(at)).get() == judicial


@pytest.mark.django_db
def test_the_overdue_filter_sees_late_actions(cast):
    late = a_case(cast, reference="HS-2026-000901")
    an_action(late, cast)
    finished = a_case(cast, reference="HS-2026-000902")
    an_action(finished, cast, status="done", done_at=paris("2026-11-19 10:00"))
    at = paris("2026-11-20 12:01")
    selected = set(Case.objects.filter(clocks.overdue_filter(at)).values_list("reference", flat=True))
    assert selected == {"HS-2026-000901"}
    for case in Case.objects.prefetch_related(*clocks.prefetch()):
        red = clocks.worst_state(clocks.clocks_for(case, at), at) == "red"
        assert red == (case.reference in selected)


# --- Escalation -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_action_escalates_from_its_owner_to_the_coordination_to_the_steering(cast):
    case = a_case(cast)
    action = an_action(case, cast)
    steps = [
        ("2026-11-19 11:00", None),
        ("2026-11-19 12:30", "reminder"),
        ("2026-11-20 12:30", "owner"),
        ("2026-11-21 12:30", "coordinator"),
        ("2026-11-22 12:30", "steering"),
        ("2026-11-25 12:30", None),
    ]
    for instant, level in steps:
        result = clocks.tick(paris(instant))
        expected = dict.fromkeys(clocks.LEVELS, 0) | ({level: 1} if level else {})
        assert {name: getattr(result, name) for name in clocks.LEVELS} == expected, instant
    assert received(cast) == {"lead": 0, "coordinator": 1, "steering": 1, "owner": 2, "colleague": 0}
    owner_notes = Notification.objects.filter(recipient=cast["owner"].user)
    assert {n.url for n in owner_notes} == {reverse("cases:my_actions")}
    assert Notification.objects.get(recipient=cast["coordinator"].user).url == reverse(
        "cases:detail", args=[case.public_id]
    )
    titles = list(Notification.objects.values_list("title", flat=True))
    assert f"Dossier {case.reference} : action confiée à AAV en retard" in titles
    assert all(TITLE not in title for title in titles)  # the action's title never leaves the case
    assert set(ClockNotice.objects.values_list("clock", flat=True)) == {f"action_{action.pk}"}


@pytest.mark.django_db
def test_without_an_owner_person_the_organisation_is_reminded(cast):
    an_action(a_case(cast), cast, owner=False)
    # Members of the organisation who never read cases are not told: no case reference for them.
    no_content = [
        MembershipFactory(role=role, organisation=cast["association"]) for role in ("analyst", "dpo", "admin")
    ]
    clocks.tick(paris("2026-11-20 12:30"))
    assert received(cast) == {"lead": 0, "coordinator": 0, "steering": 0, "owner": 1, "colleague": 1}
    assert not Notification.objects.filter(recipient__in=[m.user for m in no_content]).exists()


@pytest.mark.django_db
def test_an_inactive_owner_person_falls_back_to_the_organisation_then_to_the_coordinators(cast):
    case = a_case(cast)
    an_action(case, cast)
    Membership.objects.filter(pk=cast["owner"].pk).update(is_active=False)
    clocks.tick(paris("2026-11-20 12:30"))
    assert received(cast) == {"lead": 0, "coordinator": 0, "steering": 0, "owner": 0, "colleague": 1}
    Membership.objects.filter(pk=cast["colleague"].pk).update(is_active=False)
    other = a_case(cast, reference="HS-2026-000903")
    an_action(other, cast)
    clocks.tick(paris("2026-11-20 12:31"))
    assert received(cast)["coordinator"] == 1


def judicial_share(case, cast, **fields) -> Share:
    """The judicial part goes only to the parquet, the police or the gendarmerie: the owner's
    organisation is a police unit in these tests."""
    cast["association"].kind = OrganisationKind.POLICE
    cast["association"].save(update_fields=["kind"])
    return Share.objects.create(
        case=case,
        organisation=cast["association"],
        compartments=[Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=DUE.date() + timedelta(days=60),
        created_by=cast["coordinator"],
        **fields,
    )


@pytest.mark.django_db
def test_a_judicial_action_escalates_only_to_those_who_read_it(cast):
    """Owner person (judicial share) → the cell's judicial readers; never the coordinators, the case lead
    or a steering contact who do not read the judicial compartment."""
    magistrate = MembershipFactory(role=Role.MAGISTRATE)
    case = a_case(cast)
    judicial_share(case, cast)
    an_action(case, cast, compartment=Compartment.JUDICIAL)
    for instant in ("2026-11-19 12:30", "2026-11-20 12:30", "2026-11-21 12:30", "2026-11-22 12:30"):
        clocks.tick(paris(instant))
    assert received(cast) == {"lead": 0, "coordinator": 0, "steering": 0, "owner": 2, "colleague": 0}
    (note,) = Notification.objects.filter(recipient=magistrate.user)
    assert "escalade aux membres de la cellule chargés de ce volet" in note.title
    assert note.url == reverse("cases:detail", args=[case.public_id])
    # Every level was reached and recorded, even the one nobody may receive.
    assert set(ClockNotice.objects.values_list("level", flat=True)) == set(clocks.LEVELS)


@pytest.mark.django_db
def test_a_judicial_action_its_owner_no_longer_reads_goes_to_the_judicial_readers(cast):
    magistrate = MembershipFactory(role=Role.MAGISTRATE)
    case = a_case(cast)
    judicial_share(case, cast, revoked_at=paris("2026-11-15 10:00"), revoked_by=cast["coordinator"])
    an_action(case, cast, compartment=Compartment.JUDICIAL)
    clocks.tick(paris("2026-11-20 12:30"))
    assert received(cast) == {"lead": 0, "coordinator": 0, "steering": 0, "owner": 0, "colleague": 0}
    assert Notification.objects.filter(recipient=magistrate.user).count() == 1


@pytest.mark.django_db
def test_a_failing_case_does_not_stop_the_pass(cast, monkeypatch, caplog):
    """One case whose notification fails (a database error) is rolled back and logged by id, without
    content; the other cases still get their notices, and the next pass retries the failed one."""
    cases = [a_case(cast, reference=f"HS-2026-00092{index}", summary="FAITS-SECRETS") for index in range(3)]
    for case in cases:
        an_action(case, cast)
    failing = cases[1]
    real_notify = clocks.notify

    def notify(**kwargs):
        if failing.reference in kwargs["title"]:
            # A real database error (on PostgreSQL it aborts the transaction: only a savepoint saves the
            # pass), whose message quotes the statement.
            with connection.cursor() as cursor:
                cursor.execute("SELECT 'FAITS-SECRETS' FROM table_absente")
        return real_notify(**kwargs)

    monkeypatch.setattr(clocks, "notify", notify)
    with caplog.at_level(logging.ERROR, logger="halte.cases.clocks"):
        result = clocks.tick(paris("2026-11-20 12:30"))
    assert (result.cases, result.owner) == (3, 2)
    titles = set(Notification.objects.values_list("title", flat=True))
    assert titles == {f"Dossier {c.reference} : action confiée à AAV en retard" for c in (cases[0], cases[2])}
    assert not ClockNotice.objects.filter(case=failing).exists()  # rolled back: retried next time
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(failing.pk) in record.getMessage()
    assert re.search(rf"case {failing.pk} failed \((OperationalError|ProgrammingError) at ", record.getMessage())
    assert "FAITS-SECRETS" not in record.getMessage()
    monkeypatch.setattr(clocks, "notify", real_notify)
    assert clocks.tick(paris("2026-11-20 12:31")).owner == 1
    assert ClockNotice.objects.filter(case=failing).count() == 1


@pytest.mark.django_db
def test_a_completed_action_sends_nothing(cast):
    an_action(a_case(cast), cast, status="done", done_at=paris("2026-11-19 10:00"))
    assert clocks.tick(paris("2026-11-25 12:30")).notices == 0


@pytest.mark.django_db
def test_an_action_of_a_quiet_case_costs_nothing_until_it_is_nearly_due(cast, django_assert_num_queries):
    an_action(a_case(cast), cast)
    # The open cases that may owe a notice, the reports nobody has opened (the safety net).
    with django_assert_num_queries(2):
        assert clocks.tick(paris("2026-11-19 11:00")).cases == 0


# --- List pages ---------------------------------------------------------------------------------------


JUDICIAL_TITLE = "Convocation de l’auteur présumé au parquet"


def test_a_judicial_action_leaves_no_trace_for_who_does_not_read_judicial(client, login, people):
    """The coordinator (lead) and the school's staff (co-worker here, so that « Mes échéances » lists
    the case) see neither the action nor its due date, nor its late state, on the case page, the list
    and « Mes échéances »; tick() tells them nothing about it. The magistrate reads it all."""
    now = timezone.now()
    opened = timezone.localtime(now - timedelta(days=5)).replace(hour=9, minute=0)
    due = timezone.localtime(now - timedelta(days=3)).replace(hour=4, minute=37, second=0, microsecond=0)
    case = Case.objects.create(
        reference="HS-2026-000950",
        priority="P3",
        qualification="bullying",
        state="in_intervention",
        lead=people.coordinator,
        opened_at=opened,
        taken_in_charge_at=opened,
        first_measure_at=opened,
        cell_meeting_at=opened,
        school=people.school_a_staff.school,
    )
    case.co_workers.add(people.magistrate, people.school_a_staff)
    Action.objects.create(
        case=case,
        title=JUDICIAL_TITLE,
        compartment=Compartment.JUDICIAL,
        owner_organisation=people.magistrate.organisation,
        created_by=people.magistrate,
        created_at=opened,
        due_at=due,
    )
    due_text = timezone.localtime(due).strftime("%d/%m/%Y %H:%M")
    pages = {
        "detail": reverse("cases:detail", args=[case.public_id]),
        "list": reverse("cases:list"),
        "deadlines": reverse("cases:deadlines"),
    }
    for name in ("coordinator", "school_a_staff", "magistrate"):
        client.logout()
        login(client, getattr(people, name))
        reads = name == "magistrate"
        for page_name, url in pages.items():
            response = client.get(url)
            page = response.content.decode()
            assert (JUDICIAL_TITLE in page) is (reads and page_name != "list"), (name, page_name)
            assert (due_text in page) is (reads and page_name != "list"), (name, page_name)
            assert "Action confiée à" not in page, (name, page_name)
        # The list counts core actions only, whoever looks: the case is on time there, for everyone.
        listed = client.get(pages["list"]).context["rows"]
        assert [(row["case"], row["rag"], row["next"]) for row in listed] == [(case, "done", None)], name
        assert case.reference not in client.get(pages["list"], {"overdue": "on"}).content.decode(), name
        detail = client.get(pages["detail"]).context
        assert detail["rag"] == ("red" if reads else "done"), name
    Membership.objects.filter(pk=people.education_referent.pk).update(is_steering_contact=True)
    clocks.tick(now)
    assert ClockNotice.objects.filter(case=case).count() == 3  # owner, coordinator and steering levels
    told = {m.pk for m in people.all().values() if Notification.objects.filter(recipient=m.user).exists()}
    assert told == {people.magistrate.pk, people.prosecutor_delegate.pk}


def _case_with_an_action(people, index) -> Case:
    case = Case.objects.create(
        reference=f"HS-2026-0009{index:02d}",
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        lead=people.coordinator,
        school=people.school_a_staff.school,
    )
    Action.objects.create(
        case=case,
        title="Voir la famille",
        owner_organisation=people.coordinator.organisation,
        due_at=timezone.now() + timedelta(days=index + 1),
    )
    return case


@pytest.mark.parametrize("url_name", ["cases:list", "cases:deadlines"])
def test_list_pages_with_actions_cost_a_constant_number_of_queries(
    client, login, people, django_assert_num_queries, url_name
):
    login(client, people.coordinator)
    _case_with_an_action(people, 0)
    client.get(reverse(url_name))  # warm up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(url_name))
    for index in range(1, 12):
        _case_with_an_action(people, index)
    with django_assert_num_queries(len(one)):
        assert client.get(reverse(url_name)).status_code == 200
