"""Revoking a share or cancelling an action from a page kept open after someone did it: said in words,
with who and when, and nothing written twice."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions


def test_a_share_revoked_twice_says_who_revoked_it(client, login, people, world):
    share = actions.share(
        case=world.case_b,
        actor=people.magistrate,
        organisation=people.police.organisation,
        compartments=["judicial"],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    login(client, people.magistrate)
    url = reverse("cases:revoke_share", args=[world.case_b.public_id, share.public_id])
    assert client.post(url).status_code == 302
    second = client.post(url, follow=True)
    page = second.content.decode()
    who = people.magistrate.user.get_full_name()
    assert f"Partage déjà révoqué par {who} le " in page
    assert AuditEvent.objects.filter(action=AuditAction.CASE_SHARE_REVOKED).count() == 1
    assert world.case_b.events.filter(kind="share_revoked").count() == 1


def test_an_action_cancelled_in_another_tab_says_who_cancelled_it(client, login, people, world):
    action = actions.create_action(
        case=world.case_a,
        actor=people.coordinator,
        title="Rencontrer la famille",
        owner_organisation=people.coordinator.organisation,
        due_at=timezone.now() + timedelta(days=3),
    )
    login(client, people.coordinator)
    url = reverse("cases:cancel_action", args=[action.public_id])
    field = f"action-{action.pk}-reason"
    assert client.post(url, {field: "Plus utile."}).status_code == 302
    for second_tab in (lambda: client.post(url, {field: "Doublon."}), lambda: client.get(url)):
        response = second_tab()
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert f"Action déjà annulée par {people.coordinator.user.get_full_name()} le " in page
    action.refresh_from_db()
    assert (action.status, action.completion_note) == ("cancelled", "Plus utile.")
