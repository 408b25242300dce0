"""The school does the work the cell gives it: the staff of the case's own school run the shared-concern
method (start a series, record its meetings, mark it improved or stopped) and record follow-up
checkpoints on their own — and nobody else outside the cell does: not the staff of another school (even
with the case shared with it), not an association, not the police."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import FollowUp, Share
from halte.core.submission import new_token
from halte.interventions import mpp
from halte.interventions.models import Interview, MppSeries
from halte.www.today import today_for

from .conftest import at, days_ago


def start_url(case):
    return reverse("interventions:series_start", args=[case.public_id])


def series_url(name, series):
    return reverse(f"interventions:{name}", args=[series.case.public_id, series.public_id])


@pytest.fixture
def shared_with_school_b(people, world):
    """Case A's core shared with school B: school B's staff read it, but it is not their school's case."""
    return Share.objects.create(
        case=world.case_a,
        organisation=people.school_b_staff.organisation,
        compartments=[Compartment.CORE],
        legal_basis=LegalBasis.CONVENTION,
        expires_on=timezone.localdate() + timedelta(days=30),
        created_by=people.coordinator,
    )


def test_the_cpe_starts_a_series_records_a_meeting_and_marks_it_improved(client, login, people, world, cast):
    cpe = people.school_a_staff
    login(client, cpe)
    assert client.get(start_url(world.case_a)).status_code == 200
    response = client.post(start_url(world.case_a), {"author": str(cast.author.public_id)})
    assert response.status_code == 302
    series = MppSeries.objects.get(case=world.case_a, author=cast.author)
    assert series.created_by == cpe
    page = client.get(series_url("series_author_meeting", series)).content.decode()
    # « Mené par » is the CPE herself unless she says otherwise.
    assert f'<option value="{cpe.public_id}" selected>' in page
    held = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        series_url("series_author_meeting", series),
        {
            "held_at": held,
            "conducted_by": str(cpe.public_id),
            "summary": "Elle a écouté l’élève, sans reproche.",
            "proposals_done": "yes",
            "submission_token": new_token(),
        },
    )
    assert response.status_code == 302
    meeting = Interview.objects.get(series=series)
    assert meeting.conducted_by == cpe
    assert client.post(series_url("series_outcome", series), {"status": "improved"}).status_code == 302
    series.refresh_from_db()
    assert series.status == MppSeries.Status.IMPROVED


def test_the_switch_to_sanctions_stays_with_the_coordinator_or_the_lead(client, login, people, world, cast):
    series = mpp.start_series(case=world.case_a, actor=people.school_a_staff, author=cast.author)
    mpp.record_author_meeting(
        series=series,
        actor=people.school_a_staff,
        held_at=at(days_ago(20)),
        conducted_by=people.school_a_staff,
        summary="Entretien sans reproche.",
    )
    login(client, people.school_a_staff)
    assert client.post(series_url("series_switch", series)).status_code == 403
    assert client.post(series_url("series_keep_going", series)).status_code == 403
    series.refresh_from_db()
    assert series.status == MppSeries.Status.OPEN
    with pytest.raises(mpp.InterventionRefused):
        mpp.switch_to_sanctions(series=series, actor=people.school_a_staff)


@pytest.mark.parametrize("name", ["school_b_staff", "association_worker"])
def test_outsiders_get_404_and_save_nothing(client, login, people, world, cast, name):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    follow_up = FollowUp.objects.create(case=world.case_a, day=7, due_on=timezone.localdate())
    login(client, getattr(people, name))
    assert client.get(start_url(world.case_a)).status_code == 404
    assert client.post(start_url(world.case_a), {"author": str(cast.second_author.public_id)}).status_code == 404
    assert client.post(series_url("series_outcome", series), {"status": "stopped"}).status_code == 404
    prefix = f"suivi-{follow_up.pk}"
    response = client.post(
        reverse("cases:follow_up", args=[world.case_a.public_id, follow_up.public_id]),
        {f"{prefix}-victim_view": "better", f"{prefix}-wellbeing": "4", f"{prefix}-decision": "continue"},
    )
    assert response.status_code == 404
    assert MppSeries.objects.filter(case=world.case_a).count() == 1
    series.refresh_from_db()
    follow_up.refresh_from_db()
    assert series.status == MppSeries.Status.OPEN and follow_up.done_at is None


def test_another_school_reading_the_case_through_a_share_still_may_not(
    client, login, people, world, cast, shared_with_school_b
):
    follow_up = FollowUp.objects.create(case=world.case_a, day=7, due_on=timezone.localdate())
    login(client, people.school_b_staff)
    assert client.get(reverse("cases:detail", args=[world.case_a.public_id])).status_code == 200
    assert client.get(start_url(world.case_a)).status_code == 403
    assert client.post(start_url(world.case_a), {"author": str(cast.author.public_id)}).status_code == 403
    prefix = f"suivi-{follow_up.pk}"
    response = client.post(
        reverse("cases:follow_up", args=[world.case_a.public_id, follow_up.public_id]),
        {f"{prefix}-victim_view": "better", f"{prefix}-wellbeing": "4", f"{prefix}-decision": "continue"},
    )
    assert response.status_code == 403
    assert not MppSeries.objects.exists()
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    assert today_for(people.school_b_staff)["follow_ups"].count == 0


def test_the_cpe_records_a_follow_up_and_finds_it_on_her_home(client, login, people, world):
    follow_up = FollowUp.objects.create(case=world.case_a, day=7, due_on=timezone.localdate() - timedelta(days=1))
    block = today_for(people.school_a_staff)["follow_ups"]
    assert block.count == 1 and block.extra["late"] == 1
    login(client, people.school_a_staff)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert reverse("cases:follow_up", args=[world.case_a.public_id, follow_up.public_id]) in page
    prefix = f"suivi-{follow_up.pk}"
    response = client.post(
        reverse("cases:follow_up", args=[world.case_a.public_id, follow_up.public_id]),
        {f"{prefix}-victim_view": "better", f"{prefix}-wellbeing": "4", f"{prefix}-decision": "close"},
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None and follow_up.recorded_by == people.school_a_staff
    assert today_for(people.school_a_staff)["follow_ups"].count == 0
    # Closing is the cell's: the school's proposal is passed on, the closure form is not hers.
    assert "#cloture" not in response["Location"]
