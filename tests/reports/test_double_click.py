"""A double click on staff intake files one report: the form's one-time token is spent with it."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from halte.core.models import Counter, SubmissionToken
from halte.core.submission import new_token
from halte.reports.models import Report
from tests.conftest import log_in
from tests.races import in_threads, join, on_postgresql, wait_until, waiting_for_locks


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def intake(token):
    return {
        "channel": "phone",
        "received_at": "2026-11-20T10:30",
        "reporter_kind": "parent",
        "is_anonymous": "on",
        "school": "0800020M",
        "description": "Appel de la mère de Léa : moqueries quotidiennes au self depuis la rentrée.",
        "submission_token": token,
    }


def test_the_same_form_posted_twice_files_one_report(client, login, people):
    login(client, people.coordinator)
    page = client.get(reverse("reports:staff_new")).content.decode()
    assert 'name="submission_token"' in page
    token = new_token()
    first = client.post(reverse("reports:staff_new"), intake(token))
    second = client.post(reverse("reports:staff_new"), intake(token), follow=True)
    report = Report.objects.get()
    assert first.status_code == 302
    assert first.url == reverse("reports:detail", args=[report.public_id])
    assert second.redirect_chain[0] == (first.url, 302)
    assert "Déjà enregistré" in second.content.decode()
    assert SubmissionToken.objects.get(token=token).target_url == first.url


def test_a_new_form_files_a_new_report(client, login, people):
    login(client, people.coordinator)
    client.post(reverse("reports:staff_new"), intake(new_token()))
    client.post(reverse("reports:staff_new"), intake(new_token()))
    assert Report.objects.count() == 2


@pytest.mark.parametrize("token", ["", "x", "<script>" * 8])
def test_a_missing_or_forged_token_is_a_french_form_error(client, login, people, token):
    login(client, people.coordinator)
    response = client.post(reverse("reports:staff_new"), intake(token))
    assert response.status_code == 400
    assert "Ce formulaire n’est plus valable" in response.content.decode()
    assert not Report.objects.exists()


def test_a_refused_submission_gives_its_token_back(client, login, people):
    login(client, people.coordinator)
    token = new_token()
    refused = client.post(reverse("reports:staff_new"), {**intake(token), "school": "0800022P", "description": ""})
    assert refused.status_code == 400
    assert not SubmissionToken.objects.exists()
    assert client.post(reverse("reports:staff_new"), intake(token)).status_code == 302
    assert Report.objects.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_double_click_posted_at_once_files_one_report(people):
    token = new_token()
    clients = [log_in(Client(), people.coordinator), log_in(Client(), people.coordinator)]

    def post(browser):
        return browser.post(reverse("reports:staff_new"), intake(token))

    counter, _ = Counter.objects.get_or_create(name="report", year=timezone.localdate().year)
    with transaction.atomic():
        # Hold the reports' counter: the first click spends the token and waits here, the second
        # click waits behind the first one's token; both are in flight at once.
        Counter.objects.select_for_update().get(pk=counter.pk)
        threads, results = in_threads(*(lambda browser=browser: post(browser) for browser in clients))
        wait_until(lambda: waiting_for_locks() == 2)
    join(threads)
    report = Report.objects.get()
    assert [response.status_code for response in results] == [302, 302], results
    assert {response.url for response in results} == {reverse("reports:detail", args=[report.public_id])}


def test_a_reply_to_the_child_sent_twice_is_one_message(client, login, people):
    from tests.reports.test_staff import make_report

    report = make_report()
    login(client, people.coordinator)
    data = {"body": "Merci de nous avoir écrit, nous appelons ton collège.", "submission_token": new_token()}
    client.post(reverse("reports:reply", args=[report.public_id]), data)
    second = client.post(reverse("reports:reply", args=[report.public_id]), data, follow=True)
    assert "Déjà envoyée" in second.content.decode()
    assert report.messages.count() == 1
