"""A share is limited in time and there is one per organisation and sharing authority: an expiry
beyond the maximum is refused in French, and sharing again with an organisation that already holds an
active share the sharer manages renews that share (compartments merged, new expiry, journaled, a line
of the timeline) instead of adding a second one beside it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.access import cases as access
from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases import actions
from halte.cases.models import Share
from halte.core.submission import new_token


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def post_share(client, case, organisation, compartments, until, basis="art40"):
    data = {
        "organisation": str(organisation.pk),
        "compartments": compartments,
        "legal_basis": basis,
        "expires_on": until.isoformat(),
        "submission_token": new_token(),
    }
    return client.post(reverse("cases:share", args=[case.public_id]), data)


def share(case, actor, organisation, compartments, until, basis="art40"):
    return actions.share(
        case=case,
        actor=actor,
        organisation=organisation,
        compartments=compartments,
        legal_basis=basis,
        expires_on=until,
    )


def test_a_share_beyond_the_maximum_is_refused_in_french(client, login, people, world):
    login(client, people.magistrate)
    police = people.police.organisation
    before = Share.objects.count()
    for until in (days(actions.SHARE_MAX_DAYS + 1), timezone.datetime(2099, 1, 1).date()):
        response = post_share(client, world.case_b, police, ["judicial"], until)
        assert response.status_code == 400
        page = response.content.decode()
        assert "Un partage dure au plus un an" in page
        assert Share.objects.count() == before
        with pytest.raises(actions.ActionRefused, match="au plus un an"):
            share(world.case_b, people.magistrate, police, ["judicial"], until)
    assert Share.objects.count() == before
    # The form says so before anyone tries.
    assert "au plus un an" in client.get(reverse("cases:share", args=[world.case_b.public_id])).content.decode()
    # The last day allowed is allowed.
    assert post_share(client, world.case_b, police, ["judicial"], days(actions.SHARE_MAX_DAYS)).status_code == 302


def test_sharing_again_with_the_same_organisation_renews_the_one_share(client, login, people, world):
    login(client, people.magistrate)
    police = people.police.organisation
    case = world.case_b
    assert post_share(client, case, police, ["judicial"], days(30)).status_code == 302
    first = Share.objects.get(case=case, organisation=police)
    response = post_share(client, case, police, ["core", "judicial"], days(200))
    assert response.status_code == 302
    shares = Share.objects.filter(case=case, organisation=police)
    assert shares.count() == 1, "a second active share beside the first"
    renewed = shares.get()
    assert renewed.pk == first.pk and renewed.created_by == people.magistrate
    assert renewed.compartments == ["core", "judicial"] and renewed.expires_on == days(200)
    assert access.compartments(people.police, case) == {"core", "judicial"}
    line = case.events.filter(kind="shared").latest("id")
    assert "renouvelé" in line.text and police.name in line.text and days(200).strftime("%d/%m/%Y") in line.text
    assert line.compartment == "judicial"
    renewal = AuditEvent.objects.get(action=AuditAction.CASE_SHARE_RENEWED)
    assert renewal.detail["compartments"] == ["core", "judicial"] and renewal.detail["added"] == ["core"]
    assert renewal.detail["expires_on"] == days(200).isoformat()
    assert renewal.detail["previous_expires_on"] == days(30).isoformat()
    followed = client.get(reverse("cases:detail", args=[case.public_id]))
    assert followed.status_code == 200


def test_the_renewal_is_said_on_the_page(client, login, people, world):
    login(client, people.coordinator)
    association = people.association_worker.organisation
    post_share(client, world.case_b, association, ["core"], days(30), basis="convention")
    response = post_share(client, world.case_b, association, ["core", "health"], days(60), basis="convention")
    page = client.get(response["Location"]).content.decode()
    assert "Partage avec France Victimes 80 renouvelé" in page
    assert Share.objects.filter(case=world.case_b, organisation=association).count() == 1


def test_a_share_of_another_authority_is_neither_extended_nor_revealed(people, world):
    """The coordination cannot learn of the parquet's judicial share, nor decide its term: her share of
    the core stays a share of her own. The parquet's judicial share does not swallow hers either (she
    would lose the share she made from her list)."""
    police = people.police.organisation
    case = world.case_b
    judicial = share(case, people.magistrate, police, ["judicial"], days(30))
    core = share(case, people.coordinator, police, ["core"], days(90), basis="convention")
    assert core.pk != judicial.pk
    judicial.refresh_from_db()
    assert (judicial.compartments, judicial.expires_on) == (["judicial"], days(30))
    again = share(case, people.magistrate, police, ["judicial"], days(60))
    assert again.pk == judicial.pk
    core.refresh_from_db()
    assert (core.compartments, core.expires_on) == (["core"], days(90))
    assert Share.objects.filter(case=case, organisation=police, revoked_at__isnull=True).count() == 2


def test_a_revoked_or_expired_share_is_not_revived(people, world):
    police = people.police.organisation
    case = world.case_b
    old = share(case, people.magistrate, police, ["judicial"], days(30))
    actions.revoke_share(share=old, actor=people.magistrate)
    new = share(case, people.magistrate, police, ["judicial"], days(30))
    assert new.pk != old.pk
    Share.objects.filter(pk=new.pk).update(expires_on=days(-1))
    newer = share(case, people.magistrate, police, ["judicial"], days(30))
    assert newer.pk not in (old.pk, new.pk)


def test_another_legal_basis_is_another_share(people, world):
    association = people.association_worker.organisation
    first = share(world.case_b, people.coordinator, association, ["core"], days(30), basis="convention")
    other = share(world.case_b, people.coordinator, association, ["health"], days(30), basis="secret_partage")
    assert first.pk != other.pk


def test_the_share_proposed_with_an_action_has_the_same_maximum(client, login, people, world):
    login(client, people.coordinator)
    data = {
        "action-title": "Accompagner la famille",
        "action-owner_organisation": str(people.association_worker.organisation.pk),
        "action-due_at": (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "action-share": "on",
        "action-share_compartments": ["core"],
        "action-share_legal_basis": "convention",
        "action-share_expires_on": days(actions.SHARE_MAX_DAYS + 1).isoformat(),
        "action-submission_token": new_token(),
    }
    response = client.post(reverse("cases:add_action", args=[world.case_b.public_id]), data)
    assert response.status_code == 400
    assert "Un partage dure au plus un an" in response.content.decode()
    assert not Share.objects.filter(case=world.case_b, organisation=people.association_worker.organisation)


def test_a_revoked_judicial_share_is_a_mere_visit_in_the_coordinators_journal(people, world):
    judicial = share(world.case_b, people.magistrate, people.police.organisation, ["judicial"], days(30))
    actions.revoke_share(share=judicial, actor=people.magistrate)
    revoked = AuditEvent.objects.get(action=AuditAction.CASE_SHARE_REVOKED)
    touched = access.journal_entry_compartments(revoked.action, revoked.detail, {})
    assert not access.can_see_journal_entry(people.coordinator, world.case_b, touched)
