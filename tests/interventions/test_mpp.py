"""The shared-concern method: series per alleged author, meetings, victim points, and the 15-day rule
that proposes — once and only once — to switch to the sanctions track."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from halte.audit.models import Action, AuditEvent
from halte.cases.models import Event
from halte.core import periodic
from halte.core.submission import new_token
from halte.interventions import mpp
from halte.interventions.common import InterventionRefused
from halte.interventions.models import Interview, MppSeries
from halte.notifications.models import Notification

from .conftest import at, days_ago

START = 40  # the first meeting, this many days ago: J+30 is still in the past


@pytest.fixture
def series(world, cast, people):
    """A series with the author of school A's case, first meeting 40 days ago."""
    row = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    mpp.record_author_meeting(
        series=row,
        actor=people.coordinator,
        held_at=at(days_ago(START)),
        conducted_by=people.coordinator,
        summary="Premier entretien, sans reproche.",
        proposals_made="Lui laisser une place à la cantine.",
    )
    row.refresh_from_db()
    return row


def on_day(series: MppSeries, day: int):
    """Noon on day J+`day` after the first meeting."""
    return at(series.started_on + timedelta(days=day), 12)


def test_started_on_is_the_date_of_the_first_meeting_with_the_author(series, people):
    assert series.started_on == days_ago(START)
    mpp.record_author_meeting(
        series=series,
        actor=people.coordinator,
        held_at=at(days_ago(START + 2)),
        conducted_by=people.coordinator,
        summary="Entretien sans reproche.",
    )
    series.refresh_from_db()
    assert series.started_on == days_ago(START + 2)
    mpp.record_author_meeting(
        series=series,
        actor=people.coordinator,
        held_at=at(days_ago(3)),
        conducted_by=people.coordinator,
        summary="Entretien sans reproche.",
    )
    series.refresh_from_db()
    assert series.started_on == days_ago(START + 2)
    meetings = Interview.objects.filter(series=series, method=Interview.Method.MPP)
    assert meetings.count() == 3
    assert set(meetings.values_list("kind", flat=True)) == {Interview.Kind.ALLEGED_AUTHOR}


def test_fifteen_day_rule_fires_once_and_only_once(series, people, world):
    assert mpp.propose_switches(on_day(series, 14)) == 0
    series.refresh_from_db()
    assert series.switch_proposed_at is None

    assert mpp.propose_switches(on_day(series, 15)) == 1
    series.refresh_from_db()
    assert series.switch_proposed_at == on_day(series, 15)
    assert series.status == MppSeries.Status.OPEN

    assert mpp.propose_switches(on_day(series, 16)) == 0
    assert mpp.propose_switches(on_day(series, 30)) == 0

    assert Event.objects.filter(case=world.case_a, kind="mpp_switch_proposed").count() == 1
    assert AuditEvent.objects.filter(action=Action.MPP_SWITCH_PROPOSED).count() == 1
    notes = Notification.objects.filter(kind="mpp_switch")
    assert [n.recipient for n in notes] == [people.coordinator.user]  # the lead of the case
    assert notes[0].url == reverse("cases:detail", args=[world.case_a.public_id])
    assert "Bernard" not in notes[0].title and "Hugo" not in notes[0].title  # a link, no content


def test_a_better_view_from_the_victim_means_no_proposal_ever(series, people, cast):
    mpp.record_victim_point(
        series=series,
        actor=people.coordinator,
        victim=cast.victim,
        held_at=at(days_ago(START - 5)),
        conducted_by=people.coordinator,
        victim_view=Interview.VictimView.BETTER,
    )
    for day in (14, 15, 16, 30):
        assert mpp.propose_switches(on_day(series, day)) == 0
    series.refresh_from_db()
    assert series.switch_proposed_at is None
    assert not Notification.objects.filter(kind="mpp_switch").exists()


def test_only_better_views_since_the_first_meeting_count(world, cast, people):
    row = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    # The victim said "better" before the method started, then "same" after: that is no improvement.
    mpp.record_victim_point(
        series=row,
        actor=people.coordinator,
        victim=cast.victim,
        held_at=at(days_ago(START + 3)),
        conducted_by=people.coordinator,
        victim_view=Interview.VictimView.BETTER,
    )
    mpp.record_author_meeting(
        series=row,
        actor=people.coordinator,
        held_at=at(days_ago(START)),
        conducted_by=people.coordinator,
        summary="Entretien sans reproche.",
    )
    mpp.record_victim_point(
        series=row,
        actor=people.coordinator,
        victim=cast.victim,
        held_at=at(days_ago(START - 7)),
        conducted_by=people.coordinator,
        victim_view=Interview.VictimView.SAME,
    )
    row.refresh_from_db()
    assert mpp.propose_switches(on_day(row, 15)) == 1


def test_a_series_not_started_or_closed_is_never_proposed(world, cast, people, series):
    not_started = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.second_author)
    mpp.close_series(series=series, actor=people.coordinator, status=MppSeries.Status.IMPROVED)
    assert mpp.propose_switches(on_day(series, 20)) == 0
    not_started.refresh_from_db()
    assert not_started.switch_proposed_at is None


def test_two_concurrent_passes_cannot_both_fire(series):
    now = on_day(series, 15)
    # Both passes listed the series as due; the first claims it, the second finds it claimed.
    listed_by_second = list(mpp.due_series(now.date()))
    assert [s.pk for s in listed_by_second] == [series.pk]
    assert mpp.propose_switches(now) == 1
    assert not any(mpp._claim(s, now) for s in listed_by_second)
    assert Notification.objects.filter(kind="mpp_switch").count() == 1


def test_without_a_lead_the_coordinators_are_told(series, world, people):
    world.case_a.lead = None
    world.case_a.save()
    mpp.propose_switches(on_day(series, 15))
    recipients = set(Notification.objects.filter(kind="mpp_switch").values_list("recipient", flat=True))
    assert recipients == {people.coordinator.user.pk}


def test_the_periodic_pass_runs_the_rule(series):
    result = periodic.run(on_day(series, 15))
    assert result.mpp_switches_proposed == 1
    assert "bascule proposée : 1" in result.summary()
    assert periodic.run(on_day(series, 16)).mpp_switches_proposed == 0
    out = StringIO()
    call_command("tick", stdout=out)  # today is J+40: already proposed, nothing more
    assert "bascule proposée" not in out.getvalue()
    assert Notification.objects.filter(kind="mpp_switch").count() == 1


# --- The decision on the case page --------------------------------------------------------------------


def page(client, login, membership, case):
    client.logout()
    login(client, membership)
    return client.get(reverse("cases:detail", args=[case.public_id])).content.decode()


def test_the_case_page_shows_the_proposal_with_both_decisions(client, login, people, world, series):
    mpp.propose_switches(on_day(series, 15))
    html = page(client, login, people.coordinator, world.case_a)
    assert "Pas d’amélioration : basculer vers les sanctions ?" in html
    assert "Basculer vers les sanctions" in html
    assert "Poursuivre la préoccupation partagée" in html
    assert reverse("interventions:series_keep_going", args=[world.case_a.public_id, series.public_id]) in html
    # The school sees the series but does not decide.
    html = page(client, login, people.school_a_staff, world.case_a)
    assert "Pas d’amélioration : basculer vers les sanctions ?" in html
    assert "Poursuivre la préoccupation partagée" not in html


def test_keeping_going_is_journaled_and_the_proposal_is_not_repeated(client, login, people, world, series):
    mpp.propose_switches(on_day(series, 15))
    login(client, people.coordinator)
    response = client.post(reverse("interventions:series_keep_going", args=[world.case_a.public_id, series.public_id]))
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.status == MppSeries.Status.OPEN
    assert series.switch_declined_at is not None
    assert series.switch_declined_by == people.coordinator
    assert AuditEvent.objects.filter(action=Action.MPP_SERIES_CHANGED, detail__change="kept_going").count() == 1
    assert Event.objects.filter(case=world.case_a, kind="mpp", text__contains="poursuite décidée").exists()
    html = page(client, login, people.coordinator, world.case_a)
    assert "Pas d’amélioration : basculer vers les sanctions ?" not in html
    assert "poursuite décidée le" in html
    assert mpp.propose_switches(on_day(series, 40)) == 0
    # Answering twice is refused, nothing changes.
    with pytest.raises(InterventionRefused):
        mpp.keep_going(series=series, actor=people.coordinator)


def test_switching_to_sanctions_closes_the_series_with_a_timeline_event(client, login, people, world, series):
    mpp.propose_switches(on_day(series, 15))
    login(client, people.coordinator)
    response = client.post(reverse("interventions:series_switch", args=[world.case_a.public_id, series.public_id]))
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.status == MppSeries.Status.SWITCHED
    assert Event.objects.filter(case=world.case_a, kind="mpp", text__contains="bascule vers les sanctions").exists()
    assert AuditEvent.objects.filter(action=Action.MPP_SERIES_CHANGED, detail__change="switched").exists()
    with pytest.raises(InterventionRefused):
        mpp.record_author_meeting(
            series=series,
            actor=people.coordinator,
            held_at=at(days_ago(1)),
            conducted_by=people.coordinator,
            summary="Entretien sans reproche.",
        )


def test_the_lead_who_is_not_coordinator_decides_too(people, world, series):
    world.case_a.lead = people.education_referent
    world.case_a.save()
    series.case.refresh_from_db()
    mpp.switch_to_sanctions(series=series, actor=people.education_referent)
    series.refresh_from_db()
    assert series.status == MppSeries.Status.SWITCHED


def test_a_co_worker_runs_the_series_but_does_not_decide(people, world, series):
    world.case_a.co_workers.add(people.social_worker)
    mpp.record_author_meeting(
        series=series,
        actor=people.social_worker,
        held_at=at(days_ago(2)),
        conducted_by=people.social_worker,
        summary="Entretien sans reproche.",
    )
    with pytest.raises(InterventionRefused):
        mpp.switch_to_sanctions(series=series, actor=people.social_worker)


# --- Starting a series and recording its meetings through the pages ----------------------------------


def test_a_series_is_started_with_an_alleged_author_only(client, login, people, world, cast):
    login(client, people.coordinator)
    url = reverse("interventions:series_start", args=[world.case_a.public_id])
    page_html = client.get(url).content.decode()
    assert str(cast.author) in page_html
    assert str(cast.victim) not in page_html
    response = client.post(url, {"author": str(cast.victim.public_id)})
    assert response.status_code == 400
    assert not MppSeries.objects.exists()
    assert client.post(url, {"author": str(cast.author.public_id)}).status_code == 302
    assert MppSeries.objects.get().author == cast.author
    with pytest.raises(InterventionRefused):
        mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)


def test_a_second_click_on_start_says_the_series_is_already_engaged(client, login, people, world, cast):
    login(client, people.coordinator)
    url = reverse("interventions:series_start", args=[world.case_a.public_id])
    assert client.post(url, {"author": str(cast.author.public_id)}).status_code == 302
    second = client.post(url, {"author": str(cast.author.public_id)})
    assert second.status_code == 302  # back to the series on the case page, as « Déjà enregistré » does
    page = client.get(second["Location"]).content.decode()
    assert "Déjà engagée pour cet élève" in page
    assert str(cast.author.public_id) not in page.split("Déjà engagée", 1)[1][:300]
    assert "n’en fait pas partie" not in page
    assert MppSeries.objects.filter(case=world.case_a, author=cast.author).count() == 1
    with pytest.raises(InterventionRefused, match="Déjà engagée pour cet élève"):
        mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)


def test_meetings_and_victim_points_through_the_pages(client, login, people, world, cast):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    login(client, people.coordinator)
    meeting_url = reverse("interventions:series_author_meeting", args=[world.case_a.public_id, series.public_id])
    response = client.post(
        meeting_url,
        {
            "held_at": at(days_ago(3)).strftime("%Y-%m-%dT%H:%M"),
            "submission_token": new_token(),
            "conducted_by": str(people.coordinator.public_id),
            "summary": "Il reconnaît qu’elle ne va pas bien.",
            "proposals_made": "Lui dire bonjour, l’inviter au foot.",
            "proposals_done": "unknown",
        },
    )
    assert response.status_code == 302
    meeting = Interview.objects.get(series=series)
    assert (meeting.method, meeting.proposals_done, meeting.person) == (Interview.Method.MPP, None, cast.author)
    series.refresh_from_db()
    assert series.started_on == days_ago(3)

    point_url = reverse("interventions:series_victim_point", args=[world.case_a.public_id, series.public_id])
    bad = client.post(
        point_url,
        {
            "victim": str(cast.victim.public_id),
            "held_at": at(days_ago(1)).strftime("%Y-%m-%dT%H:%M"),
            "submission_token": new_token(),
            "conducted_by": str(people.coordinator.public_id),
        },
    )
    assert bad.status_code == 400
    assert "Indiquez ce que dit l’élève : mieux, pareil ou moins bien." in bad.content.decode()
    good = client.post(
        point_url,
        {
            "victim": str(cast.victim.public_id),
            "held_at": at(days_ago(1)).strftime("%Y-%m-%dT%H:%M"),
            "submission_token": new_token(),
            "conducted_by": str(people.coordinator.public_id),
            "victim_view": "worse",
            "words": "« Ils continuent dans le bus. »",
        },
    )
    assert good.status_code == 302
    point = Interview.objects.get(series=series, method=Interview.Method.MPP_VICTIM)
    assert (point.kind, point.victim_view, point.person) == (Interview.Kind.VICTIM, "worse", cast.victim)
    html = page(client, login, people.coordinator, world.case_a)
    assert "« Ils continuent dans le bus. »" in html
    assert "Lui dire bonjour, l’inviter au foot." in html


def test_marking_a_series_improved_or_stopped(client, login, people, world, series):
    login(client, people.coordinator)
    url = reverse("interventions:series_outcome", args=[world.case_a.public_id, series.public_id])
    assert client.post(url, {"status": "switched"}).status_code == 400  # not an outcome one marks here
    series.refresh_from_db()
    assert series.status == MppSeries.Status.OPEN
    assert client.post(url, {"status": "improved"}).status_code == 302
    series.refresh_from_db()
    assert series.status == MppSeries.Status.IMPROVED
    assert Event.objects.filter(case=world.case_a, kind="mpp", text__contains="amélioration constatée").exists()


# --- A meeting says what was said, once per minute; the first has no previous proposals -------------


def meeting_post(series, held_at, **overrides):
    data = {
        "held_at": held_at.strftime("%Y-%m-%dT%H:%M"),
        "submission_token": new_token(),
        "summary": "Il dit qu’il va la laisser tranquille.",
        "proposals_made": "",
        "proposals_done": "unknown",
    }
    data["conducted_by"] = str(series.created_by.public_id)
    data.update(overrides)
    return data


def test_a_meeting_without_what_was_said_is_refused(client, login, people, world, cast):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    login(client, people.coordinator)
    url = reverse("interventions:series_author_meeting", args=[world.case_a.public_id, series.public_id])
    response = client.post(url, meeting_post(series, at(days_ago(2)), summary="  ", proposals_made=""))
    assert response.status_code == 400
    assert "Écrivez ce qui s’est dit pendant l’entretien." in response.content.decode()
    with pytest.raises(InterventionRefused) as refused:
        mpp.record_author_meeting(
            series=series,
            actor=people.coordinator,
            held_at=at(days_ago(2)),
            conducted_by=people.coordinator,
            summary=" \n ",
        )
    assert "Écrivez ce qui s’est dit" in refused.value.message
    assert not Interview.objects.exists()
    series.refresh_from_db()
    assert series.started_on is None


def test_a_second_meeting_at_the_same_minute_is_refused(client, login, people, world, cast):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    login(client, people.coordinator)
    url = reverse("interventions:series_author_meeting", args=[world.case_a.public_id, series.public_id])
    held = at(days_ago(2))
    assert client.post(url, meeting_post(series, held)).status_code == 302
    again = client.post(url, meeting_post(series, held, summary="Autre chose."))
    assert again.status_code == 400
    assert "Un entretien est déjà enregistré à cette heure" in again.content.decode()
    with pytest.raises(InterventionRefused) as refused:
        mpp.record_author_meeting(
            series=series,
            actor=people.coordinator,
            held_at=held + timedelta(seconds=30),
            conducted_by=people.coordinator,
            summary="Encore.",
        )
    assert "Un entretien est déjà enregistré à cette heure" in refused.value.message
    assert Interview.objects.filter(series=series).count() == 1
    # The next minute is another meeting.
    assert client.post(url, meeting_post(series, held + timedelta(minutes=1))).status_code == 302
    assert Interview.objects.filter(series=series).count() == 2


def test_the_first_meeting_is_not_asked_about_previous_proposals(client, login, people, world, cast):
    series = mpp.start_series(case=world.case_a, actor=people.coordinator, author=cast.author)
    login(client, people.coordinator)
    url = reverse("interventions:series_author_meeting", args=[world.case_a.public_id, series.public_id])
    question = "propositions de l’entretien précédent"
    assert question not in client.get(url).content.decode()
    assert client.post(url, meeting_post(series, at(days_ago(5)), proposals_done="yes")).status_code == 302
    assert Interview.objects.get(series=series).proposals_done is None
    assert question in client.get(url).content.decode()
    with pytest.raises(InterventionRefused):
        # Before the first meeting there is still no previous meeting to ask about.
        mpp.record_author_meeting(
            series=series,
            actor=people.coordinator,
            held_at=at(days_ago(6)),
            conducted_by=people.coordinator,
            summary="Plus tôt.",
            proposals_done=True,
        )
    assert client.post(url, meeting_post(series, at(days_ago(2)), proposals_done="no")).status_code == 302
    assert Interview.objects.filter(series=series).latest("held_at").proposals_done is False


def test_without_an_alleged_author_the_start_page_explains_who_adds_one(client, login, people, world):
    login(client, people.coordinator)
    url = reverse("interventions:series_start", args=[world.case_a.public_id])
    html = client.get(url).content.decode()
    assert "Aucun élève auteur présumé n’est inscrit au dossier" in html
    assert "coordination" in html and "responsable du dossier" in html
    assert 'name="author"' not in html
    assert client.post(url, {"author": ""}).status_code == 400
    assert not MppSeries.objects.exists()
