"""Interventions are dated within their case: an MPP interview « held » on 01/01/1990 was accepted. One
rule (``common.check_within_case``) for every date the interventions take: interviews, MPP meetings and
follow-up points (not before the series' first meeting either), family contacts, measures' start."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.core.submission import new_token
from halte.interventions import families, interviews, measures, mpp
from halte.interventions.common import InterventionRefused, case_began_on
from halte.interventions.models import FamilyContact, Interview, Measure

from .conftest import at, days_ago

LONG_AGO = date(1990, 1, 1)


@pytest.fixture
def opened_ten_days_ago(world):
    opened = timezone.now() - timedelta(days=10)
    world.case_a.opened_at = opened
    world.case_a.save(update_fields=["opened_at"])
    world.case_a.reports.update(received_at=opened)
    return timezone.localdate(opened)


def _interview(world, people, cast, moment):
    involvement = world.case_a.involvements.get(person=cast.victim)
    return interviews.record_interview(
        case=world.case_a,
        actor=people.coordinator,
        involvement=involvement,
        held_at=moment,
        conducted_by=people.coordinator,
        words="Ils se moquent de moi.",
    )


def _author_meeting(world, people, cast, moment):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    return mpp.record_author_meeting(
        series=series, actor=people.coordinator, held_at=moment, conducted_by=people.coordinator, summary="Échange."
    )


def _contact(world, people, cast, moment):
    return families.record_family_contact(
        case=world.case_a,
        actor=people.coordinator,
        pupil=cast.victim,
        at=moment,
        channel="phone",
        made_by=people.coordinator,
        summary="Appel de la mère.",
    )


def _measure(world, people, cast, moment):
    return measures.record_measure(
        case=world.case_a,
        actor=people.coordinator,
        category="protective",
        kind="adult_referent",
        person=cast.victim,
        starts_on=moment.date() if hasattr(moment, "date") else moment,
    )


WRITES = {"interview": _interview, "mpp_meeting": _author_meeting, "family_contact": _contact, "measure": _measure}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("when", ["1990", "day_before"])
def test_a_date_before_the_case_is_refused(write, when, opened_ten_days_ago, world, people, cast):
    day = LONG_AGO if when == "1990" else opened_ten_days_ago - timedelta(days=1)
    with pytest.raises(InterventionRefused) as refused:
        WRITES[write](world, people, cast, at(day))
    assert "antérieure au début du dossier" in refused.value.message
    assert day.strftime("%d/%m/%Y") in refused.value.message
    assert opened_ten_days_ago.strftime("%d/%m/%Y") in refused.value.message
    assert not Interview.objects.filter(case=world.case_a).exists()
    assert not FamilyContact.objects.filter(case=world.case_a).exists()
    assert not Measure.objects.filter(case=world.case_a).exists()


@pytest.mark.parametrize("write", WRITES)
def test_the_day_the_case_began_is_accepted(write, opened_ten_days_ago, world, people, cast):
    WRITES[write](world, people, cast, at(opened_ten_days_ago, 12))


def test_a_report_received_before_the_case_was_opened_starts_it(world):
    opened = timezone.now() - timedelta(days=2)
    world.case_a.opened_at = opened
    world.case_a.reports.update(received_at=opened - timedelta(days=5))
    assert case_began_on(world.case_a) == timezone.localdate(opened - timedelta(days=5))


def test_a_follow_up_point_before_the_series_first_meeting_is_refused(opened_ten_days_ago, world, people, cast):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    mpp.record_author_meeting(
        series=series,
        actor=people.coordinator,
        held_at=at(days_ago(5)),
        conducted_by=people.coordinator,
        summary="Échange.",
    )
    series.refresh_from_db()
    with pytest.raises(InterventionRefused) as refused:
        mpp.record_victim_point(
            series=series,
            actor=people.coordinator,
            victim=cast.victim,
            held_at=at(days_ago(7)),
            conducted_by=people.coordinator,
            victim_view=Interview.VictimView.BETTER,
        )
    assert "premier entretien de la série" in refused.value.message
    assert not Interview.objects.filter(method=Interview.Method.MPP_VICTIM).exists()


def test_the_mpp_form_says_why_1990_is_refused(client, login, opened_ten_days_ago, world, people, cast):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    login(client, people.coordinator)
    url = reverse("interventions:series_author_meeting", args=[world.case_a.public_id, series.public_id])
    response = client.post(
        url,
        {
            "held_at": "1990-01-01T10:00",
            "submission_token": new_token(),
            "conducted_by": str(people.coordinator.public_id),
            "summary": "Entretien.",
            "proposals_made": "",
            "proposals_done": "unknown",
        },
    )
    assert response.status_code in (200, 400)
    assert "antérieure au début du dossier" in response.content.decode()
    assert not Interview.objects.filter(series=series).exists()
