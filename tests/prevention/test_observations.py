"""Weak-signal observations: initials only, a pattern over the period, a prefilled report to the cell,
and deletion three calendar months after opening unless transmitted (journaled)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import Role
from halte.audit.models import Action, AuditEvent
from halte.core.submission import new_token
from halte.prevention import observations
from halte.prevention.models import Observation, ObservationEntry
from halte.reports.models import Report
from tests.factories import MembershipFactory

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def colleague(people):
    """A second member of school A's staff."""
    return MembershipFactory(organisation=people.school_a_staff.organisation, role=Role.SCHOOL_STAFF)


def anchor() -> date:
    """A Monday two to three weeks ago: entries on it and a week later are all in the past and within
    the 30 days before an observation opened today."""
    day = timezone.localdate() - timedelta(days=14)
    return day - timedelta(days=day.weekday())


def opening(initials: str) -> dict:
    return {"initials": initials, "class_name": "5e B", "submission_token": new_token()}


def entry_payload(day: date, place: str, signs: list[str], note: str = "") -> dict:
    return {
        "observed_on": day.isoformat(),
        "place": place,
        "signs": signs,
        "note": note,
        "submission_token": new_token(),
    }


def open_with_three_entries(people, colleague) -> Observation:
    staff = people.school_a_staff
    observation = observations.open_observation(school=staff.school, initials="L. M.", class_name="5e B", actor=staff)
    monday = anchor()
    observations.add_entry(
        observation=observation,
        observed_on=monday,
        place="playground",
        signs=["sadness", "isolation"],
        note="",
        actor=staff,
    )
    observations.add_entry(
        observation=observation,
        observed_on=monday + timedelta(days=2),
        place="canteen",
        signs=["isolation"],
        note="",
        actor=colleague,
    )
    observations.add_entry(
        observation=observation,
        observed_on=monday + timedelta(days=8),
        place="playground",
        signs=["isolation", "mockery"],
        note="",
        actor=colleague,
    )
    return observation


# --- The journey: three entries from two colleagues become a prefilled report -------------------


def test_three_entries_from_two_colleagues_become_a_prefilled_report(client, people, login, colleague):
    staff = people.school_a_staff
    login(client, staff)
    response = client.post(
        reverse("prevention:observation_new"),
        {"initials": "L. M.", "class_name": "5e B", "submission_token": new_token()},
    )
    observation = Observation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("prevention:observation_detail", args=[observation.public_id])
    entry_url = reverse("prevention:observation_entry", args=[observation.public_id])
    monday = anchor()
    note = "Lucas Martin reste seul près du préau, Mme Dupont l’a vu aussi."
    assert (
        client.post(entry_url, entry_payload(monday, "playground", ["isolation", "sadness"], note)).status_code == 302
    )

    client.logout()
    login(client, colleague)
    assert (
        client.post(entry_url, entry_payload(monday + timedelta(days=2), "canteen", ["isolation"])).status_code == 302
    )
    day = monday + timedelta(days=8)
    assert client.post(entry_url, entry_payload(day, "playground", ["isolation", "mockery"])).status_code == 302
    assert observation.entries.count() == 3

    client.logout()
    login(client, staff)
    response = client.post(reverse("prevention:observation_to_report", args=[observation.public_id]))

    report = Report.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("reports:detail", args=[report.public_id])
    assert client.get(response.url).status_code == 200
    observation.refresh_from_db()
    assert observation.report == report
    assert report.school == staff.school
    assert report.created_by == staff
    assert report.channel == "school"
    assert report.reporter_kind == "school_staff"
    assert report.places == ["canteen", "playground"]
    assert report.distress_signs == ["isolated", "sad"]
    pupil = report.pupils.get()
    assert (pupil.first_name, pupil.last_name, pupil.class_name, pupil.role) == ("L. M.", "", "5e B", "victim")

    text = report.description
    first, last = monday.strftime("%d/%m/%Y"), day.strftime("%d/%m/%Y")
    assert "élève L. M., classe 5e B" in text
    assert f"3 observations du {first} au {last}, par 2 membres de l’équipe, dans 2 lieux : Cour, Cantine." in text
    assert f"- Isolement : 3 observations, 2 lieux (Cour, Cantine), 2 collègues, du {first} au {last}." in text
    assert f"- Tristesse, repli : 1 observation, 1 lieu (Cour), 1 collègue, du {first} au {first}." in text
    assert "Moqueries, mises à l’écart observées : 1 observation" in text
    assert f"- {first}, Cour : Isolement, Tristesse, repli." in text
    # No name: neither the pupil's nor the adults', not even those typed in a note.
    for member in (staff, colleague):
        assert member.user.last_name not in text
        assert member.user.first_name not in text
    assert "Lucas" not in text
    assert "Martin" not in text
    assert "Dupont" not in text


def test_a_transmitted_observation_is_not_sent_twice_nor_extended(client, people, login, colleague):
    observation = open_with_three_entries(people, colleague)
    observations.to_report(observation=observation, actor=people.school_a_staff)
    login(client, people.school_a_staff)

    response = client.post(reverse("prevention:observation_to_report", args=[observation.public_id]))
    assert response.status_code == 302
    assert response.url == reverse("prevention:observation_detail", args=[observation.public_id])
    assert Report.objects.count() == 1
    response = client.post(
        reverse("prevention:observation_entry", args=[observation.public_id]),
        entry_payload(anchor(), "classroom", ["results"]),
    )
    assert response.status_code == 400
    assert observation.entries.count() == 3


def test_an_observation_without_entries_cannot_be_transmitted(people):
    staff = people.school_a_staff
    observation = observations.open_observation(school=staff.school, initials="AB", class_name="6e A", actor=staff)
    with pytest.raises(observations.ObservationRefused):
        observations.to_report(observation=observation, actor=staff)
    assert Report.objects.count() == 0


# --- The summary, checked by hand ----------------------------------------------------------------


def test_summary_shows_the_pattern_over_the_period(people, colleague):
    observation = open_with_three_entries(people, colleague)
    monday = anchor()

    summary = observations.summary(observation)

    assert summary.entries == 3
    assert summary.colleagues == 2
    assert summary.places == ["Cour", "Cantine"]
    assert (summary.first_on, summary.last_on) == (monday, monday + timedelta(days=8))
    rows = [(s.sign, s.entries, s.places, s.colleagues, s.first_on, s.last_on) for s in summary.signs]
    assert rows == [
        ("isolation", 3, ["Cour", "Cantine"], 2, monday, monday + timedelta(days=8)),
        ("sadness", 1, ["Cour"], 1, monday, monday),
        ("mockery", 1, ["Cour"], 1, monday + timedelta(days=8), monday + timedelta(days=8)),
    ]
    weeks = [(w.starts_on, w.entries, w.signs, w.places) for w in summary.weeks]
    assert weeks == [(monday, 2, 3, 2), (monday + timedelta(days=7), 1, 2, 1)]


def test_summary_counts_empty_weeks_between_entries(people):
    staff = people.school_a_staff
    observation = observations.open_observation(school=staff.school, initials="AB", class_name="6e A", actor=staff)
    monday = anchor() - timedelta(days=7)
    for day in (monday, monday + timedelta(days=15)):
        observations.add_entry(
            observation=observation, observed_on=day, place="online", signs=["absences"], note="", actor=staff
        )

    weeks = [(w.starts_on, w.entries) for w in observations.summary(observation).weeks]

    assert weeks == [(monday, 1), (monday + timedelta(days=7), 0), (monday + timedelta(days=14), 1)]


def test_detail_page_renders_the_summary_as_a_table(client, people, login, colleague):
    observation = open_with_three_entries(people, colleague)
    login(client, colleague)

    page = client.get(reverse("prevention:observation_detail", args=[observation.public_id])).content.decode()

    assert "<caption>Signes relevés, du plus fréquent au moins fréquent</caption>" in page
    assert '<th scope="row">Isolement</th>' in page
    assert "2 (Cour, Cantine)" in page
    assert 'type="date"' in page
    assert 'type="checkbox"' in page
    assert 'type="radio"' in page
    assert reverse("prevention:observation_to_report", args=[observation.public_id]) in page


# --- Initials only -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("L. M.", "L. M."),
        ("LM", "LM"),
        ("l. m.", "L. M."),
        ("J.-P. D.", "J.-P. D."),
        (" A  B ", "A B"),
        ("A.B.C.D.", "A.B.C.D."),
    ],
)
def test_initials_are_accepted_and_normalised(typed, kept):
    assert observations.normalise_initials(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["Lucas Martin", "Léa", "Lucas", "Martin L.", "ABCDE", "L2", "L_M", "", "  ", "L. M. (5e)", "A. B. C. D. E."],
)
def test_anything_like_a_name_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        observations.normalise_initials(typed)
    assert refused.value.messages == ["Indiquez seulement les initiales de l’élève, par exemple L. M."]


def test_the_form_refuses_a_full_name_and_saves_nothing(client, people, login):
    login(client, people.school_a_staff)

    response = client.post(
        reverse("prevention:observation_new"),
        {"initials": "Lucas Martin", "class_name": "5e B", "submission_token": new_token()},
    )

    assert response.status_code == 400
    assert "Indiquez seulement les initiales de l’élève, par exemple L. M." in response.content.decode()
    assert not Observation.objects.exists()


def test_the_action_refuses_a_full_name_too(people):
    staff = people.school_a_staff
    with pytest.raises(ValidationError):
        observations.open_observation(school=staff.school, initials="Lucas", class_name="5e B", actor=staff)
    assert not Observation.objects.exists()


# --- Dates and signs of an entry ----------------------------------------------------------------


@pytest.fixture
def observation(people):
    staff = people.school_a_staff
    return observations.open_observation(school=staff.school, initials="AB", class_name="6e A", actor=staff)


def test_a_date_in_the_future_is_refused(client, people, login, observation):
    login(client, people.school_a_staff)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        reverse("prevention:observation_entry", args=[observation.public_id]),
        entry_payload(tomorrow, "classroom", ["results"]),
    )

    assert response.status_code == 400
    assert "La date ne peut pas être dans le futur." in response.content.decode()
    assert not observation.entries.exists()


def test_today_is_accepted(client, people, login, observation):
    login(client, people.school_a_staff)
    response = client.post(
        reverse("prevention:observation_entry", args=[observation.public_id]),
        entry_payload(timezone.localdate(), "classroom", ["results"]),
    )
    assert response.status_code == 302
    assert observation.entries.get().signs == ["results"]


def test_a_date_long_before_the_opening_is_refused(people, observation):
    too_early = timezone.localdate(observation.opened_at) - timedelta(days=31)
    with pytest.raises(ValidationError) as refused:
        observations.add_entry(
            observation=observation,
            observed_on=too_early,
            place="classroom",
            signs=["results"],
            note="",
            actor=people.school_a_staff,
        )
    assert "observed_on" in refused.value.message_dict
    thirty_days = too_early + timedelta(days=1)
    observations.add_entry(
        observation=observation,
        observed_on=thirty_days,
        place="classroom",
        signs=["results"],
        note="",
        actor=people.school_a_staff,
    )
    assert observation.entries.count() == 1


def test_an_entry_needs_a_sign(client, people, login, observation):
    login(client, people.school_a_staff)
    response = client.post(
        reverse("prevention:observation_entry", args=[observation.public_id]),
        entry_payload(timezone.localdate(), "classroom", []),
    )
    assert response.status_code == 400
    assert "Cochez au moins un signe observé." in response.content.decode()
    assert not observation.entries.exists()


# --- Temporary by default -----------------------------------------------------------------------


def test_every_page_says_when_the_observation_will_be_erased(client, people, login, observation):
    login(client, people.school_a_staff)
    observation_erased = observations.add_months(timezone.localdate(observation.opened_at), 3).strftime("%d/%m/%Y")
    new_erased = observations.add_months(timezone.localdate(), 3).strftime("%d/%m/%Y")

    detail = client.get(reverse("prevention:observation_detail", args=[observation.public_id])).content.decode()
    new = client.get(reverse("prevention:observation_new")).content.decode()
    listing = client.get(reverse("prevention:observations")).content.decode()

    assert f"Sans transmission à la cellule, cette observation sera effacée le {observation_erased}." in detail
    assert f"Sans transmission à la cellule, cette observation sera effacée le {new_erased}." in new
    assert "sans transmission à la cellule, elle est effacée trois mois après son ouverture" in listing
    assert observation_erased in listing


def test_the_list_shows_open_observations_with_their_counts(client, people, login, colleague):
    observation = open_with_three_entries(people, colleague)
    other = observations.open_observation(
        school=people.school_b_staff.school, initials="ZZ", class_name="3e C", actor=people.school_b_staff
    )
    login(client, colleague)

    page = client.get(reverse("prevention:observations")).content.decode()

    assert reverse("prevention:observation_detail", args=[observation.public_id]) in page
    assert "<td>3</td>" in page
    assert reverse("prevention:observation_detail", args=[other.public_id]) not in page


@pytest.mark.parametrize(
    ("now", "cutoff"),
    [
        (datetime(2026, 5, 31, 12, tzinfo=UTC), datetime(2026, 2, 28, 14, tzinfo=PARIS)),
        (datetime(2026, 11, 25, 9, tzinfo=UTC), datetime(2026, 8, 25, 10, tzinfo=PARIS)),
        (datetime(2026, 1, 15, 8, tzinfo=UTC), datetime(2025, 10, 15, 9, tzinfo=PARIS)),
    ],
)
def test_three_calendar_months_are_counted_with_the_calendar(now, cutoff):
    assert observations.retention_cutoff(now) == cutoff


def test_stale_observations_are_purged_and_the_deletion_journaled(people, colleague):
    staff = people.school_a_staff
    now = timezone.now()
    stale = open_with_three_entries(people, colleague)
    transmitted = open_with_three_entries(people, colleague)
    observations.to_report(observation=transmitted, actor=staff)
    recent = observations.open_observation(school=staff.school, initials="CD", class_name="4e A", actor=staff)
    Observation.objects.filter(pk=stale.pk).update(opened_at=now - timedelta(days=100))
    Observation.objects.filter(pk=transmitted.pk).update(opened_at=now - timedelta(days=200))
    Observation.objects.filter(pk=recent.pk).update(opened_at=now - timedelta(days=61))

    deleted = observations.purge_stale_observations(now=now)

    assert deleted == 1
    assert set(Observation.objects.values_list("pk", flat=True)) == {transmitted.pk, recent.pk}
    assert not ObservationEntry.objects.filter(observation_id=stale.pk).exists()
    assert ObservationEntry.objects.filter(observation_id=transmitted.pk).count() == 3
    event = AuditEvent.objects.get(action=Action.ADMIN_DELETION)
    assert event.actor is None
    assert event.detail == {"what": "weak_signal_observations", "count": 1, "ids": [str(stale.public_id)]}

    assert observations.purge_stale_observations(now=now) == 0
    assert AuditEvent.objects.filter(action=Action.ADMIN_DELETION).count() == 1


def test_the_purge_keeps_what_is_just_inside_three_months(people):
    staff = people.school_a_staff
    now = datetime(2026, 5, 31, 12, tzinfo=UTC)
    kept = observations.open_observation(school=staff.school, initials="AB", class_name="6e A", actor=staff)
    gone = observations.open_observation(school=staff.school, initials="CD", class_name="6e A", actor=staff)
    Observation.objects.filter(pk=kept.pk).update(opened_at=datetime(2026, 2, 28, 14, tzinfo=PARIS))
    Observation.objects.filter(pk=gone.pk).update(opened_at=datetime(2026, 2, 28, 13, 59, tzinfo=PARIS))

    assert observations.purge_stale_observations(now=now) == 1

    assert list(Observation.objects.values_list("pk", flat=True)) == [kept.pk]


# --- Who sees what ------------------------------------------------------------------------------


def test_another_school_gets_404(client, people, login, observation):
    login(client, people.school_b_staff)
    detail = reverse("prevention:observation_detail", args=[observation.public_id])
    entry = reverse("prevention:observation_entry", args=[observation.public_id])
    send = reverse("prevention:observation_to_report", args=[observation.public_id])

    assert client.get(detail).status_code == 404
    assert client.post(entry, entry_payload(timezone.localdate(), "classroom", ["results"])).status_code == 404
    assert client.post(send).status_code == 404
    assert not observation.entries.exists()
    assert Report.objects.count() == 0


@pytest.mark.parametrize("name", ["police", "coordinator", "association_worker", "analyst", "admin"])
def test_other_roles_get_403(client, people, login, observation, name):
    login(client, getattr(people, name))

    assert client.get(reverse("prevention:observations")).status_code == 403
    assert client.get(reverse("prevention:observation_new")).status_code == 403
    assert client.get(reverse("prevention:observation_detail", args=[observation.public_id])).status_code == 403
    assert client.post(reverse("prevention:observation_to_report", args=[observation.public_id])).status_code == 403
    assert Report.objects.count() == 0


def test_school_staff_of_both_schools_open_the_list(client, people, login):
    for staff in (people.school_a_staff, people.school_b_staff):
        client.logout()
        login(client, staff)
        assert client.get(reverse("prevention:observations")).status_code == 200
