"""Workshops: the whole flow through HTTP, approvals that block assignments and warn before expiry,
who sees which request, the iCalendar export, illegal steps, and the list page's query count."""

import re
from datetime import UTC, date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import OrganisationKind, Role
from halte.core.submission import new_token
from halte.notifications.models import Notification
from halte.prevention import approvals, workshops
from halte.prevention.enums import RequestStatus
from halte.prevention.models import Approval, Programme, WorkshopRequest
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def as_member(membership, login) -> Client:
    return login(Client(), membership)


def approve(organisation, *, until=None, since=None, number="AG-80-001") -> Approval:
    today = timezone.localdate()
    return Approval.objects.create(
        organisation=organisation,
        number=number,
        issuer="academic",
        themes=["bullying"],
        valid_from=since or today - timedelta(days=365),
        valid_until=until or today + timedelta(days=365),
    )


def other_association(name="Écoute Jeunes 80", **approval):
    organisation = OrganisationFactory(name=name, kind=OrganisationKind.ASSOCIATION)
    member = MembershipFactory(organisation=organisation, role=Role.ASSOCIATION_WORKER)
    if approval:
        approve(organisation, **approval)
    return member


def new_request(membership, **extra) -> WorkshopRequest:
    data = {"theme": "bullying", "levels": ["6e"], "pupil_count": 28, "classes": "6e A"} | extra
    return workshops.request_workshop(actor=membership, **data)


def future(days=10):
    return timezone.now().replace(microsecond=0, second=0) + timedelta(days=days)


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def association(people):
    organisation = people.association_worker.organisation
    approve(organisation)
    return organisation


def assigned(people, association, *, days=10, confirmed=False, school_staff=None) -> WorkshopRequest:
    workshop = new_request(school_staff or people.school_a_staff)
    workshop = workshops.assign(
        request=workshop, provider=association, scheduled_at=future(days), actor=people.coordinator
    )
    if confirmed:
        workshop = workshops.confirm(request=workshop, actor=people.association_worker)
    return workshop


# --- The flow -------------------------------------------------------------------------------------


def test_school_requests_coordinator_assigns_provider_confirms_and_delivers(people, association, login):
    programme = Programme.objects.create(
        provider=association,
        title="Harcèlement : tous concernés",
        theme="bullying",
        duration_minutes=120,
        group_size=30,
        levels=["6e"],
    )
    school = as_member(people.school_a_staff, login)
    response = school.post(
        reverse("prevention:request_new"),
        {
            "theme": "bullying",
            "levels": ["6e", "5e"],
            "classes": "6e A, 5e B",
            "pupil_count": "52",
            "wished_dates": "semaine du 12 janvier",
            "reason": "Après une situation récente en 6e.",
            "submission_token": new_token(),
        },
    )
    workshop = WorkshopRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("prevention:request_detail", args=[workshop.public_id])
    assert workshop.school == people.school_a_staff.school
    assert workshop.status == RequestStatus.REQUESTED
    assert Notification.objects.filter(recipient=people.coordinator.user, kind="workshop_request").exists()

    coordinator = as_member(people.coordinator, login)
    listing = coordinator.get(reverse("prevention:requests")).content.decode()
    assert reverse("prevention:assign", args=[workshop.public_id]) in listing
    when = future(14)
    response = coordinator.post(
        reverse("prevention:assign", args=[workshop.public_id]),
        {"provider": str(association.pk), "programme": str(programme.pk), "scheduled_at": local_input(when)},
        follow=True,
    )
    assert "Atelier attribué" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.ASSIGNED
    assert workshop.provider == association
    assert workshop.programme == programme
    assert workshop.scheduled_at == when
    assert workshop.assigned_by == people.coordinator
    assert Notification.objects.filter(recipient=people.association_worker.user, kind="workshop_assigned").exists()

    provider = as_member(people.association_worker, login)
    page = provider.get(reverse("prevention:request_detail", args=[workshop.public_id])).content.decode()
    assert reverse("prevention:confirm", args=[workshop.public_id]) in page
    provider.post(reverse("prevention:confirm", args=[workshop.public_id]))
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.CONFIRMED
    assert workshop.confirmed_at is not None

    today = timezone.localdate()
    response = provider.post(
        reverse("prevention:deliver", args=[workshop.public_id]),
        {
            "delivered_on": today.isoformat(),
            "delivered_classes": "6e A, 5e B",
            "pupils_reached": "49",
            "facilitators": "Inès R., Marc T.",
            "feedback_positive": "40",
            "feedback_negative": "3",
            "notes": "Bonne participation.",
        },
        follow=True,
    )
    assert "Réalisation enregistrée." in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.DELIVERED
    assert workshop.delivered_on == today
    assert workshop.pupils_reached == 49
    assert (workshop.feedback_positive, workshop.feedback_negative) == (40, 3)
    assert workshop.delivery_notes == "Bonne participation."
    # The school sees the outcome of its own request.
    page = school.get(reverse("prevention:request_detail", args=[workshop.public_id])).content.decode()
    assert "Réalisé" in page and "49" in page


def test_cancel_needs_a_reason_and_keeps_it(people, association, login):
    workshop = assigned(people, association)
    school = as_member(people.school_a_staff, login)
    school.post(reverse("prevention:cancel", args=[workshop.public_id]), {"reason": ""})
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.ASSIGNED
    school.post(reverse("prevention:cancel", args=[workshop.public_id]), {"reason": "Sortie scolaire ce jour-là."})
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.CANCELLED
    assert workshop.cancel_reason == "Sortie scolaire ce jour-là."


# --- Approvals ------------------------------------------------------------------------------------


def test_assigning_a_provider_whose_approval_expired_is_refused_and_nothing_changes(people, login):
    expired = other_association(until=date(2025, 6, 30), since=date(2022, 7, 1)).organisation
    workshop = new_request(people.school_a_staff)
    coordinator = as_member(people.coordinator, login)
    response = coordinator.post(
        reverse("prevention:assign", args=[workshop.public_id]),
        {"provider": str(expired.pk), "scheduled_at": local_input(future())},
        follow=True,
    )
    assert "L’agrément de cette association a expiré le 30/06/2025" in response.content.decode()
    assert "elle ne peut pas recevoir de nouvel atelier" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.REQUESTED
    assert workshop.provider is None
    assert workshop.scheduled_at is None
    assert not Notification.objects.filter(kind="workshop_assigned").exists()
    # The expired approval is still there, and listed as expired.
    assert Approval.objects.filter(organisation=expired).exists()
    page = coordinator.get(reverse("prevention:approvals")).content.decode()
    assert "Expiré" in page


def test_an_approval_that_ends_before_the_session_blocks_it(people):
    ending = other_association(until=timezone.localdate() + timedelta(days=5)).organisation
    workshop = new_request(people.school_a_staff)
    with pytest.raises(workshops.WorkshopRefused, match="a expiré le"):
        workshops.assign(request=workshop, provider=ending, scheduled_at=future(30), actor=people.coordinator)
    workshop.refresh_from_db()
    assert workshop.provider is None


def test_an_association_without_approval_or_a_non_provider_is_refused(people):
    unapproved = other_association().organisation
    workshop = new_request(people.school_a_staff)
    with pytest.raises(workshops.WorkshopRefused, match="n’a pas d’agrément valable"):
        workshops.assign(request=workshop, provider=unapproved, scheduled_at=future(), actor=people.coordinator)
    with pytest.raises(workshops.WorkshopRefused, match="Éducation nationale ou une association agréée"):
        workshops.assign(
            request=workshop, provider=people.police.organisation, scheduled_at=future(), actor=people.coordinator
        )
    # An Éducation nationale team needs no approval.
    workshops.assign(
        request=workshop, provider=people.coordinator.organisation, scheduled_at=future(), actor=people.coordinator
    )


def test_sixty_day_warning_fires_once(people):
    today = date(2026, 3, 1)
    association = people.association_worker.organisation
    approval = approve(association, since=date(2023, 5, 1), until=today + timedelta(days=60), number="AG-60")
    later = approve(association, since=date(2023, 5, 1), until=today + timedelta(days=61), number="AG-61")

    assert approvals.warn_expiring(today) == 1
    assert approvals.warn_expiring(today) == 0

    approval.refresh_from_db()
    later.refresh_from_db()
    assert approval.expiry_warned_at is not None
    assert later.expiry_warned_at is None
    rows = Notification.objects.filter(kind="approval_expiry")
    assert sorted(rows.values_list("recipient", flat=True)) == sorted(
        [people.coordinator.user.pk, people.association_worker.user.pk]
    )
    assert rows.first().title == f"L’agrément n° AG-60 de {association} expire le 30/04/2026"
    # The next day the 61-day one comes within reach, once.
    assert approvals.warn_expiring(today + timedelta(days=1)) == 1
    assert approvals.warn_expiring(today + timedelta(days=1)) == 0


def test_coordinator_records_an_approval_with_a_pdf_only(people, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    association = people.association_worker.organisation
    coordinator = as_member(people.coordinator, login)
    data = {
        "organisation": str(association.pk),
        "number": "AG-2026-12",
        "issuer": "national",
        "themes": ["bullying", "cyberbullying"],
        "valid_from": "2026-01-01",
        "valid_until": "2030-12-31",
        "submission_token": new_token(),
    }
    fake = SimpleUploadedFile("agrement.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = coordinator.post(reverse("prevention:approvals"), {**data, "document": fake})
    assert response.status_code == 400
    assert "Le document doit être un fichier PDF." in response.content.decode()
    assert not Approval.objects.exists()
    pdf = SimpleUploadedFile("agrement.pdf", b"%PDF-1.7\n%fake\n", content_type="application/pdf")
    response = coordinator.post(reverse("prevention:approvals"), {**data, "document": pdf})
    assert response.status_code == 302
    approval = Approval.objects.get()
    assert approval.themes == ["bullying", "cyberbullying"]
    assert approval.document.read().startswith(b"%PDF-")
    # The association reads its own approvals, and may not add any.
    provider = as_member(people.association_worker, login)
    assert "AG-2026-12" in provider.get(reverse("prevention:approvals")).content.decode()
    assert provider.post(reverse("prevention:approvals"), data).status_code == 403
    assert as_member(people.school_a_staff, login).get(reverse("prevention:approvals")).status_code == 403


# --- Who sees what --------------------------------------------------------------------------------


def test_each_party_sees_only_its_own_requests(people, association, login):
    mine = assigned(people, association)
    theirs = new_request(people.school_b_staff, classes="5e C")
    rival = other_association(name="Autre association 80", until=timezone.localdate() + timedelta(days=400))

    school_a = as_member(people.school_a_staff, login)
    listing = school_a.get(reverse("prevention:requests")).content.decode()
    assert str(mine.public_id) in listing and str(theirs.public_id) not in listing
    assert school_a.get(reverse("prevention:request_detail", args=[theirs.public_id])).status_code == 404

    school_b = as_member(people.school_b_staff, login)
    assert school_b.get(reverse("prevention:request_detail", args=[mine.public_id])).status_code == 404
    assert school_b.get(reverse("prevention:request_detail", args=[theirs.public_id])).status_code == 200

    provider = as_member(people.association_worker, login)
    listing = provider.get(reverse("prevention:requests")).content.decode()
    assert str(mine.public_id) in listing and str(theirs.public_id) not in listing
    assert provider.get(reverse("prevention:request_detail", args=[theirs.public_id])).status_code == 404

    other = as_member(rival, login)
    assert other.get(reverse("prevention:request_detail", args=[mine.public_id])).status_code == 404
    assert other.post(reverse("prevention:confirm", args=[mine.public_id])).status_code == 404

    coordinator = as_member(people.coordinator, login)
    listing = coordinator.get(reverse("prevention:requests")).content.decode()
    assert str(mine.public_id) in listing and str(theirs.public_id) in listing

    police = as_member(people.police, login)
    assert police.get(reverse("prevention:request_detail", args=[mine.public_id])).status_code == 404
    assert police.get(reverse("prevention:requests")).status_code == 403
    assert as_member(people.analyst, login).get(reverse("prevention:requests")).status_code == 403


def test_insiders_without_the_right_get_403(people, association, login):
    workshop = new_request(people.school_a_staff)
    school = as_member(people.school_a_staff, login)
    url = reverse("prevention:assign", args=[workshop.public_id])
    assert school.post(url, {"provider": str(association.pk), "scheduled_at": local_input(future())}).status_code == 403
    assert school.post(reverse("prevention:confirm", args=[workshop.public_id])).status_code == 403
    coordinator = as_member(people.coordinator, login)
    assert coordinator.post(reverse("prevention:confirm", args=[workshop.public_id])).status_code == 403
    assert coordinator.get(reverse("prevention:request_new")).status_code == 403
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.REQUESTED


# --- Illegal steps --------------------------------------------------------------------------------


def test_illegal_transitions_are_refused(people, association, login):
    workshop = new_request(people.school_a_staff)
    provider = people.association_worker
    with pytest.raises(workshops.WorkshopRefused):
        workshops.confirm(request=workshop, actor=provider)  # not assigned to them
    workshop = workshops.assign(request=workshop, provider=association, scheduled_at=future(), actor=people.coordinator)
    with pytest.raises(workshops.WorkshopRefused, match="confirmez d’abord"):
        workshops.record_delivery(
            request=workshop, actor=provider, delivered_on=timezone.localdate(), pupils_reached=20
        )
    with pytest.raises(workshops.WorkshopRefused):
        workshops.confirm(request=workshop, actor=people.school_a_staff)
    workshop = workshops.confirm(request=workshop, actor=provider)
    with pytest.raises(workshops.WorkshopRefused, match="rien à confirmer"):
        workshops.confirm(request=workshop, actor=provider)
    with pytest.raises(workshops.WorkshopRefused, match="date future"):
        workshops.record_delivery(
            request=workshop, actor=provider, delivered_on=timezone.localdate() + timedelta(days=1), pupils_reached=5
        )
    with pytest.raises(workshops.WorkshopRefused, match="plus d’avis"):
        workshops.record_delivery(
            request=workshop, actor=provider, delivered_on=timezone.localdate(), pupils_reached=5, feedback_positive=6
        )
    workshop = workshops.record_delivery(
        request=workshop, actor=provider, delivered_on=timezone.localdate(), pupils_reached=25
    )
    with pytest.raises(workshops.WorkshopRefused, match="ne peut plus être annulée"):
        workshops.cancel(request=workshop, actor=people.coordinator, reason="Trop tard.")
    with pytest.raises(workshops.WorkshopRefused, match="ne peut plus être attribuée"):
        workshops.assign(request=workshop, provider=association, scheduled_at=future(), actor=people.coordinator)
    with pytest.raises(workshops.WorkshopRefused, match="motif"):
        workshops.cancel(request=new_request(people.school_a_staff), actor=people.coordinator, reason="  ")
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.DELIVERED and workshop.pupils_reached == 25


def test_an_illegal_step_through_http_shows_the_message(people, association, login):
    workshop = assigned(people, association, confirmed=True)
    coordinator = as_member(people.coordinator, login)
    coordinator.post(reverse("prevention:cancel", args=[workshop.public_id]), {"reason": "Grève des transports."})
    provider = as_member(people.association_worker, login)
    response = provider.post(reverse("prevention:confirm", args=[workshop.public_id]), follow=True)
    assert "il n’y a rien à confirmer" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.status == RequestStatus.CANCELLED


# --- iCalendar ------------------------------------------------------------------------------------


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")[:-1]


def events(body: str) -> list[dict[str, str]]:
    found, current = [], None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return found


def test_icalendar_export_is_well_formed_and_lists_only_visible_sessions(people, association, login):
    school_a = people.school_a_staff.school
    school_a.name = "Collège Amiral Lejeune — section d’enseignement général et professionnel adapté"
    school_a.save()
    rival = other_association(name="Autre association 80", until=timezone.localdate() + timedelta(days=400))
    first = assigned(people, association, days=3)
    second = assigned(people, association, days=9, confirmed=True)
    elsewhere = assigned(people, rival.organisation, days=5, school_staff=people.school_b_staff)
    delivered = assigned(people, association, days=1, confirmed=True)
    WorkshopRequest.objects.filter(pk=delivered.pk).update(status=RequestStatus.DELIVERED)
    past = assigned(people, association, days=2)
    WorkshopRequest.objects.filter(pk=past.pk).update(scheduled_at=timezone.now() - timedelta(days=2))
    new_request(people.school_a_staff)  # not scheduled yet

    response = as_member(people.association_worker, login).get(reverse("prevention:calendar"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode("utf-8")
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode("utf-8")) <= 75 for line in body.split("\r\n"))
    assert "\r\n " in body  # the long school name was folded
    lines = unfold(body)
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 2
    found = events(body)
    assert [e["UID"].split("@")[0] for e in found] == [str(first.public_id), str(second.public_id)]
    assert len({e["UID"] for e in found}) == 2
    for event in found:
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTART"])
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTEND"]) and event["DTEND"] > event["DTSTART"]
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
        assert "Lejeune" in event["SUMMARY"]
    assert found[0]["DTSTART"] == first.scheduled_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert found[1]["STATUS"] == "CONFIRMED" and found[0]["STATUS"] == "TENTATIVE"

    coordinator_body = as_member(people.coordinator, login).get(reverse("prevention:calendar")).content.decode()
    assert {e["UID"].split("@")[0] for e in events(coordinator_body)} == {
        str(first.public_id),
        str(second.public_id),
        str(elsewhere.public_id),
    }
    school_b_body = as_member(people.school_b_staff, login).get(reverse("prevention:calendar")).content.decode()
    assert [e["UID"].split("@")[0] for e in events(school_b_body)] == [str(elsewhere.public_id)]
    assert as_member(people.police, login).get(reverse("prevention:calendar")).status_code == 403


def test_icalendar_text_is_escaped():
    from halte.core.icalendar import ics_escape, ics_fold

    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = ics_fold("SUMMARY:" + "é" * 80)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "é" * 80


# --- Query count ----------------------------------------------------------------------------------

LIST_QUERIES = 13  # with the count of unread notifications in the header


@pytest.mark.parametrize("count", [2, 10])
def test_list_page_query_count_does_not_grow(people, association, login, count, django_assert_num_queries):
    for index in range(count):
        workshop = new_request(people.school_a_staff if index % 2 else people.school_b_staff)
        if index % 3 == 0:
            workshops.assign(request=workshop, provider=association, scheduled_at=future(), actor=people.coordinator)
    coordinator = as_member(people.coordinator, login)
    with django_assert_num_queries(LIST_QUERIES):
        response = coordinator.get(reverse("prevention:requests"))
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == count + 1


def test_list_page_query_count_is_the_same_for_every_party(people, association, login):
    for _ in range(3):
        assigned(people, association)
    counts = []
    for membership in (people.school_a_staff, people.association_worker):
        client = as_member(membership, login)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("prevention:requests"))
        for _ in range(5):
            assigned(people, association)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("prevention:requests"))
        counts.append((len(few), len(many)))
    assert all(a == b for a, b in counts), counts


def test_a_workshop_request_sent_twice_is_one_request(people, login):
    school = as_member(people.school_a_staff, login)
    data = {
        "theme": "bullying",
        "levels": ["6e"],
        "classes": "6e A",
        "pupil_count": "25",
        "wished_dates": "en mars",
        "reason": "Moqueries en 6e A.",
        "submission_token": new_token(),
    }
    first = school.post(reverse("prevention:request_new"), data)
    second = school.post(reverse("prevention:request_new"), data, follow=True)
    assert second.redirect_chain[0] == (first.url, 302)
    assert "Déjà enregistré" in second.content.decode()
    assert WorkshopRequest.objects.count() == 1
